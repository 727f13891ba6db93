from pathlib import Path

import pytest

from monitor.errors import ConfigError
from monitor.settings import registry
from monitor.settings.config import load_config, parse_config

ROOT = Path(__file__).parent.parent
DEFAULT = ROOT / "config" / "monitor.toml"


def test_default_config_loads_with_real_feeds_topics_and_channels() -> None:
    config = load_config(DEFAULT)
    assert len(config.feeds) >= 15
    assert all(f.url.startswith("https://") for f in config.feeds)
    names = " ".join(f.name for f in config.feeds)
    for outlet in (
        "BBC",
        "Al Jazeera",
        "Sky News Arabia",
        "Al Arabiya",
        "France 24",
        "DW",
        "RT",
        "Shafaq",
        "Alsumaria",
        "Rudaw",
        "Google News",
    ):
        assert outlet in names
    assert [t.name for t in config.topics] == ["nato_iraq"]
    assert config.alerts.channels
    assert config.database_path == Path("data/monitor.db")


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[pipline]\n", "pipline"),
        ("[pipeline]\nworkerz = 3\n", "pipeline.workerz"),
        ("[pipeline]\nworkers = 'four'\n", "pipeline.workers"),
        ("[pipeline]\nworkers = 0\n", "pipeline.workers"),
        ("[pipeline]\ncorpus_policy = 'some'\n", "pipeline.corpus_policy"),
        ("[storage]\ndatabase = 3\n", "storage.database"),
        ("[[feeds]]\nname = 'x'\n", "feeds[0].url"),
        ("[[feeds]]\nurl = 'ftp://x/feed'\n", "feeds[0].url"),
        ("[[feeds]]\nurl = 'https://x/f'\n[[feeds]]\nurl = 'https://x/f'\n", "feeds[1].url"),
        ("[[feeds]]\nurl = 'https://x/f'\ninterval = 5\n", "feeds[0].interval"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == key
    assert key in str(info.value)


def test_missing_and_unparsable_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config file"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[storage\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_empty_config_gives_defaults_and_env_overrides_database(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({})
    assert config.feeds == ()
    assert config.pipeline.workers == 32
    monkeypatch.setenv("MONITOR_DATABASE", "/tmp/elsewhere.db")
    assert parse_config({}).database_path == Path("/tmp/elsewhere.db")


def test_every_setting_is_documented_in_the_default_config() -> None:
    import tomllib

    text = DEFAULT.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for key in (*registry.STORAGE.keys, *registry.PIPELINE.keys):
        assert f"\n{key.name} = " in text, key.name
        assert key.help
    for section in (registry.HTTP, registry.SCHEDULE):
        for key in section.keys:
            # every key is shown (commented out when its default is computed) with a comment above it
            assert f"\n{key.name} = " in text or f"\n# {key.name} = " in text, f"{section.path}.{key.name}"
    assert set(data["ops"]) == {key.name for key in registry.OPS.keys}

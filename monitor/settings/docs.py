"""docs/configuration.md, generated from the registry:  python -m monitor.settings.docs > docs/configuration.md

tests/test_settings_registry.py fails when the file differs from what this prints.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.settings import registry
from monitor.settings.registry import Key, Section

_INTRO = """\
<!-- Generated from monitor/settings/registry.py; do not edit by hand. Regenerate with:
     python -m monitor.settings.docs > docs/configuration.md -->
# Configuration

One TOML file, `config/monitor.toml` by default (`--config PATH` or `$MONITOR_CONFIG` choose another).
Every key is optional unless marked required. A wrong key or value stops the program with one line
naming the key, e.g. `config error at 'pipeline.workerz': unknown key (known: …)`, and exit code 2.
`monitor config` prints the configuration in effect (every key, defaults filled in, environment
overrides applied) as TOML, or as JSON with `--json`; secret values are masked.

Relative paths are taken from the working directory. Secrets never need to be in the file: the alert
channels read them from the environment variables named by `secret_env` / `password_env`, when they
send. Read-only commands (`status`, `search`, `feeds list`, …) work without them; `run`, `once` and
`alerts test` stop at start, naming the key, when an enabled channel's variable is unset.

Environment variables:

| variable | effect |
|---|---|
| `MONITOR_CONFIG` | config file when `--config` is not given |
| `MONITOR_<SECTION>_<KEY>` | overrides a single-value key of [storage], [pipeline], [http], [schedule], \
[ops] or [alerts], e.g. `MONITOR_PIPELINE_WORKERS=8`; parsed as the key's type (`true`/`false`, numbers) \
and checked like the file's value |
| `MONITOR_DATABASE` | the same as `MONITOR_STORAGE_DATABASE` (which wins when both are set) |
| the names in `secret_env` / `password_env` | webhook `whsec_` secrets (space-separated for rotation), SMTP password |

Topic rules are explained in docs/topics.md, the schedule in docs/polling.md, channels in
docs/alerts.md and docs/webhooks.md, the ops endpoint in docs/operations.md.
"""


def _default(key: Key) -> str:
    if key.default_text is not None:
        return key.default_text
    if key.required:
        return "required"
    if key.default is None:
        return "not set"
    value: Any = list(key.default) if isinstance(key.default, tuple) else key.default
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def section_markdown(section: Section) -> str:
    header = f"## `[[{section.path}]]`" if section.path in ("feeds", "alerts.channels") else f"## `[{section.path}]`"
    if section.path.startswith("alerts.channels ("):
        kind = section.path.removeprefix("alerts.channels (").rstrip(")")
        header = f'## `[[alerts.channels]]` with `type = "{kind}"`'
    lines = [header, "", section.help, ""]
    if not section.keys:
        return "\n".join([*lines, "No keys beyond the common channel keys.", ""])
    with_env = section.env_prefix is not None
    lines.append("| key | type | default | description |" + (" environment |" if with_env else ""))
    lines.append("|---|---|---|---|" + ("---|" if with_env else ""))
    for key in section.keys:
        help_text = key.help + (" (secret: masked in `monitor config`)" if key.secret else "")
        row = f"| `{key.name}` | {key.kind} | {_cell(_default(key))} | {_cell(help_text)} |"
        if with_env:
            env = section.env_name(key)
            row += f" `{env}` |" if env else " — |"
        lines.append(row)
    lines.append("")
    return "\n".join(lines)


def render() -> str:
    return "\n".join([_INTRO, *(section_markdown(s) for s in registry.ALL_SECTIONS)])


if __name__ == "__main__":
    print(render(), end="")

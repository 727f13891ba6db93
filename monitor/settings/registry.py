"""Every config key, declared once: its section, type, default, help line, secret flag and check.

The loader (`read_table`) validates a TOML table against a section's keys; `monitor config` dumps the
effective values by the same list, and docs/configuration.md is generated from it (settings/docs.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from monitor import __version__
from monitor.errors import ConfigError
from monitor.settings import validators as v

Kind = Literal["string", "integer", "number", "boolean", "strings", "numbers"]

DEFAULT_USER_AGENT = f"monitor/{__version__} (Arabic news monitor; polite feed fetcher)"
# Standard Webhooks' recommended schedule: the gaps between attempts 1→2, 2→3, … (attempt 1 is immediate).
STANDARD_WEBHOOKS_DELAYS: tuple[float, ...] = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)

_KIND_TEXT = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "strings": "a list of strings",
    "numbers": "a list of numbers",
}


@dataclass(frozen=True)
class Key:
    name: str
    kind: Kind
    default: Any  # None = not set (optional) or computed, see default_text
    help: str
    check: v.Check | None = None  # on the whole value
    each: v.Check | None = None  # on every item of a list, reported at `key[i]`
    required: bool = False
    secret: bool = False  # masked in dumps; never logged
    default_text: str | None = None  # for the docs when the default is computed

    @property
    def scalar(self) -> bool:
        return self.kind not in ("strings", "numbers")


@dataclass(frozen=True)
class Section:
    path: str  # as written in the docs: "pipeline", "[feeds]", "alerts.channels (webhook)", "topics.NAME"
    keys: tuple[Key, ...]
    help: str
    env_prefix: str | None = None  # MONITOR_<SECTION>_<KEY> overrides its scalar keys

    def env_name(self, key: Key) -> str | None:
        return f"{self.env_prefix}_{key.name.upper()}" if self.env_prefix and key.scalar else None


def _plain(name: str, help: str, *keys: Key) -> Section:
    return Section(name, keys, help, env_prefix=f"MONITOR_{name.upper()}")


STORAGE = _plain(
    "storage",
    "Where the data lives.",
    Key(
        "database",
        "string",
        "data/monitor.db",
        "SQLite database file (created with its folder; relative to the working directory; "
        "MONITOR_DATABASE overrides it too)",
        v.non_empty,
    ),
    Key(
        "url",
        "string",
        None,
        "PostgreSQL instead of the SQLite file, e.g. \"postgresql://monitor@db-host:5432/monitor\" (any number "
        "of workers may share it; docs/postgresql.md); unset = the SQLite file. MONITOR_DATABASE_URL overrides it too",
        secret=True,
    ),
    Key(
        "lease_seconds",
        "number",
        900.0,
        "PostgreSQL only: how long a worker holds a feed it claimed without recording the poll; a feed whose "
        "worker died is polled by another after at most this long (keep it above the longest poll)",
        v.positive,
    ),
)

PIPELINE = _plain(
    "pipeline",
    "What happens to each new entry.",
    Key("seeds_dir", "string", "seeds", "folder of seed articles (.txt: first line title, then text) loaded at start"),
    Key("fetch_pages", "boolean", True, "fetch each new entry's page and extract its text; false = feed summary only"),
    Key("extract_timeout_seconds", "number", 20.0, "longest time one page's text extraction may take", v.positive),
    Key("max_entries_per_poll", "integer", 200, "most new entries processed from one poll of one feed", v.positive),
    Key("workers", "integer", 32, "feeds polled at the same time (per-host limits still apply)", v.positive),
    Key(
        "corpus_policy",
        "string",
        "matches",
        "which new articles join the near-copy corpus: 'matches' (topic matches) or 'all' (every non-copy)",
        v.one_of("matches", "all"),
    ),
    Key("cycle_seconds", "integer", 30, "how often the daemon looks for due feeds and pending alerts", v.positive),
    Key(
        "page_retry_first_seconds",
        "number",
        60.0,
        "a page that failed temporarily (timeout, 5xx, 429, connection error) is fetched again after this"
        " long, then at doubling intervals; its article's decision on the feed summary is provisional meanwhile",
        v.positive,
    ),
    Key(
        "page_retry_max_seconds",
        "number",
        1800.0,
        "longest wait between two fetches of a page that keeps failing temporarily",
        v.positive,
    ),
    Key(
        "page_retry_give_up_hours",
        "number",
        24.0,
        "how long a failing page is tried before its article's provisional decision is left as it is",
        v.positive,
    ),
)

FEEDS = Section(
    "feeds",
    (
        Key("url", "string", None, "feed URL (RSS, Atom or JSON Feed)", v.http_url, required=True),
        Key("name", "string", None, "display name used in logs and alerts", default_text="the URL's host"),
        Key(
            "interval_minutes",
            "integer",
            None,
            "poll this feed every N minutes instead of the adaptive rate (within [schedule] min/max "
            "interval; failures still back off and a server's Retry-After/TTL still delays it)",
            v.positive,
            default_text="adaptive",
        ),
        Key("enabled", "boolean", True, "false keeps the feed in the config without polling it"),
    ),
    "One [[feeds]] table per feed.",
)

HTTP = _plain(
    "http",
    "The one HTTP client for feeds and article pages.",
    Key(
        "user_agent",
        "string",
        DEFAULT_USER_AGENT,
        "User-Agent sent with every request",
        v.non_empty,
        default_text='"monitor/<version> (Arabic news monitor; polite feed fetcher)"',
    ),
    Key("connect_timeout", "number", 10.0, "seconds to open a connection (TCP and TLS)", v.positive),
    Key("read_timeout", "number", 30.0, "seconds of silence allowed between two reads", v.positive),
    Key("total_timeout", "number", 60.0, "seconds for a whole fetch, redirects and body included", v.positive),
    Key("max_body_bytes", "integer", 10 * 1024 * 1024, "largest body read, after decompression", v.at_least(1)),
    Key("max_redirects", "integer", 5, "redirects followed before giving up", v.at_least(0)),
    Key(
        "allow_private_addresses",
        "boolean",
        False,
        "allow targets on private, loopback or link-local addresses (SSRF guard off)",
    ),
    Key("allowed_networks", "strings", (), "CIDR blocks allowed even when private addresses are refused", v.cidr_list),
    Key("per_host_concurrency", "integer", 2, "requests in flight to one host at a time", v.at_least(1)),
    Key("per_host_min_interval", "number", 1.0, "minimum seconds between two requests to one host", v.at_least(0)),
    Key(
        "use_env_proxy",
        "boolean",
        False,
        "send requests through the proxy in HTTPS_PROXY / HTTP_PROXY, except hosts in NO_PROXY "
        "(docs/operations.md: what the SSRF guard checks then)",
    ),
)

SCHEDULE = _plain(
    "schedule",
    "The adaptive poll schedule (docs/polling.md). Intervals are in minutes.",
    Key("min_interval_minutes", "number", 5.0, "shortest interval between two polls of one feed", v.positive),
    Key("max_interval_minutes", "number", 240.0, "longest interval, for a feed that publishes rarely", v.positive),
    Key("default_interval_minutes", "number", 30.0, "interval while a feed's publishing rate is unknown", v.positive),
    Key("max_backoff_minutes", "number", 720.0, "cap of the exponential backoff of a failing feed", v.positive),
    Key("jitter_fraction", "number", 0.1, "each interval is stretched by a random 0..this fraction", v.between(0, 1)),
    Key("target_new_items_per_poll", "number", 2.0, "new items per poll the interval aims for", v.positive),
    Key(
        "missed_items_factor",
        "number",
        0.5,
        "interval factor when a poll returns only unseen items",
        v.between(0, 1, above_low=True),
    ),
    Key(
        "max_server_delay_minutes",
        "number",
        1440.0,
        "a feed's TTL / Cache-Control / Retry-After is honoured up to this",
        v.positive,
    ),
    Key(
        "warn_after_hours",
        "number",
        24.0,
        "a feed with no successful poll for this long raises one warning; 0 = no warnings",
        v.at_least(0),
    ),
)

STORIES = _plain(
    "stories",
    "How articles are grouped into stories (docs/stories.md): one alert per story, later members as updates.",
    Key("window_hours", "number", 72.0, "a story takes new members until this long after its latest one", v.positive),
    Key(
        "threshold",
        "number",
        0.3,
        "similarity (0..1, cosine of rarity-weighted terms) at or above which an article joins a story",
        v.between(0, 1, above_low=True),
    ),
    Key(
        "update_minutes",
        "number",
        60.0,
        "at most one story.updated message per story and channel in this period (later members wait for the next)",
        v.positive,
    ),
    Key(
        "score_jump",
        "number",
        0.5,
        "a later member whose topic score exceeds the story's best by this much alerts on its own",
        v.positive,
    ),
)

OPS = _plain(
    "ops",
    "The operator's HTTP endpoint of `monitor run`: /healthz, /metrics, /alerts/<topic>.atom and .json.",
    Key("enabled", "boolean", True, "serve the endpoint while `monitor run` runs"),
    Key(
        "host",
        "string",
        "127.0.0.1",
        "address to bind; keep it on loopback unless a proxy adds TLS and auth",
        v.non_empty,
    ),
    Key("port", "integer", 9468, "TCP port (0 = any free port, logged at start)", v.between(0, 65535)),
    Key(
        "stale_after_seconds",
        "integer",
        600,
        "/healthz fails when no poll cycle has succeeded for this long (keep it well above pipeline.cycle_seconds)",
        v.positive,
    ),
    Key(
        "feeds_down_after_seconds",
        "integer",
        3600,
        "/healthz says degraded when feed polls fail and none has succeeded for this long "
        "(a dead network or proxy); 0 = no such check",
        v.at_least(0),
    ),
    Key(
        "retention_days",
        "integer",
        0,
        "clear the text of articles older than this that matched nothing, are "
        "not in the corpus and raised no alert (titles, URLs, decisions stay); 0 = keep",
        v.at_least(0),
    ),
    Key("feed_entries", "integer", 50, "most recent alerts listed in each topic's feed", v.positive),
    Key(
        "public_url",
        "string",
        "",
        "base URL the endpoint is reached at, for the feeds' self links",
        v.optional_http_url,
        default_text="http://host:port",
    ),
)

# named: their defaults are also the typed settings' defaults (settings/alerts.py)
ALERTS_LANGUAGE = Key(
    "language",
    "string",
    "ar",
    "language of the labels, reasons and headings of alerts (e-mail, digest, Apprise, alert feeds): ar or en",
    v.one_of("ar", "en"),
)
ALERTS_TIMEZONE = Key(
    "timezone",
    "string",
    "Asia/Baghdad",
    "IANA time zone alert times are shown in (UTC is shown beside)",
    v.time_zone,
)

ALERTS = _plain(
    "alerts",
    "Retry policy of every delivery and how alerts are written; the channels are [[alerts.channels]] tables.",
    Key("max_attempts", "integer", 8, "attempts per delivery in all before it is dead-lettered", v.at_least(1)),
    Key(
        "retry_delays_seconds",
        "numbers",
        STANDARD_WEBHOOKS_DELAYS,
        "seconds to wait after attempt 1, 2, … fails; the last value repeats",
        each=v.at_least(0),
    ),
    Key("retry_jitter", "number", 0.2, "random spread of each delay (0.2 = ±20%)", v.between(0, 1)),
    Key("max_retry_after_seconds", "number", 86400.0, "a receiver's Retry-After is honoured up to this", v.at_least(0)),
    ALERTS_LANGUAGE,
    ALERTS_TIMEZONE,
)

CHANNEL_TYPES = ("console", "jsonl", "webhook", "email", "apprise")

CHANNEL = Section(
    "alerts.channels",
    (
        Key("type", "string", None, " | ".join(CHANNEL_TYPES), v.one_of(*CHANNEL_TYPES), required=True),
        Key("name", "string", None, "unique id used in logs, delivery ids and --channel", default_text="the type"),
        Key("enabled", "boolean", True, "false keeps the channel here without sending to it"),
        Key("topics", "strings", (), "only alerts of these topics", each=v.non_empty, default_text="every topic"),
        Key(
            "digest_minutes",
            "integer",
            None,
            "send one message listing the alerts of every N-minute period",
            v.at_least(1),
        ),
        Key("digest_daily_at", "string", None, 'or one message a day at "HH:MM" (24 h) in digest_timezone', v.hh_mm),
        Key("digest_timezone", "string", "UTC", "IANA zone for digest_daily_at", v.time_zone),
        Key(
            "rate_limit_count",
            "integer",
            None,
            "at most this many messages per window; the rest wait and go out together",
            v.at_least(1),
        ),
        Key("rate_limit_window_minutes", "number", 60.0, "the rate limit's window", v.at_least(0.01)),
        Key("max_attempts", "integer", None, "overrides [alerts] max_attempts for this channel", v.at_least(1)),
        Key(
            "alert_on",
            "string",
            "story",
            'story: one alert when a story first matches a topic, later members as story.updated messages '
            '(docs/stories.md); article: an alert for every matching article that is not a near-copy',
            v.one_of("story", "article"),
        ),
    ),
    "Keys every [[alerts.channels]] table takes.",
)

CHANNEL_KINDS: dict[str, Section] = {
    "console": Section("alerts.channels (console)", (), "One log line per alert (logger monitor.alerts)."),
    "jsonl": Section(
        "alerts.channels (jsonl)",
        (Key("path", "string", "data/alerts.jsonl", "file to append one JSON object per alert to", v.non_empty),),
        "Appends the webhook payload of each alert to a file and fsyncs.",
    ),
    "webhook": Section(
        "alerts.channels (webhook)",
        (
            Key(
                "url",
                "string",
                None,
                "receiver URL (http:// or https://); redirects are not followed",
                v.http_url,
                required=True,
            ),
            Key(
                "secret_env",
                "string",
                None,
                "environment variable holding the whsec_ secret(s), space-separated "
                "for rotation; read when the channel sends",
            ),
            Key(
                "secrets",
                "strings",
                (),
                "whsec_ secrets written in the file (prefer secret_env)",
                each=v.non_empty,
                secret=True,
            ),
            Key("timeout_seconds", "number", 10.0, "seconds to wait for the receiver's answer", v.between(0.1, 300)),
        ),
        "Standard Webhooks POST, signed with each secret.",
    ),
    "email": Section(
        "alerts.channels (email)",
        (
            Key("host", "string", None, "SMTP server", v.non_empty, required=True),
            Key("port", "integer", None, "SMTP port", v.between(1, 65535), default_text="587, or 465 for tls"),
            Key(
                "security",
                "string",
                "starttls",
                "starttls, tls (implicit TLS) or none",
                v.one_of("starttls", "tls", "none"),
            ),
            Key("username", "string", None, "login name; leave out for a server without authentication"),
            Key(
                "password_env",
                "string",
                None,
                "environment variable holding the SMTP password; read when the channel sends",
            ),
            Key("from", "string", None, "envelope and header sender", v.e_mail, required=True),
            Key("to", "strings", (), "recipients (at least one)", each=v.e_mail, required=True),
            Key("ca_file", "string", None, "extra CA bundle for a server with a private certificate"),
            Key("timeout_seconds", "number", 30.0, "seconds for the SMTP conversation", v.between(0.1, 600)),
            Key("subject_prefix", "string", "[monitor]", "prefix of every subject"),
        ),
        "Multipart e-mail (plain text and right-to-left HTML).",
    ),
    "apprise": Section(
        "alerts.channels (apprise)",
        (
            Key(
                "urls_env",
                "string",
                None,
                "environment variable holding one or more Apprise URLs (slack://, msteams://, tgram://, "
                "ntfy://, matrix://, discord://, json://, …), separated by spaces or commas; read when sending",
                v.non_empty,
                required=True,
            ),
            Key(
                "body_format",
                "string",
                "markdown",
                "markdown (hits in bold) or text (hits in «guillemets»)",
                v.one_of("markdown", "text"),
            ),
            Key("timeout_seconds", "number", 10.0, "seconds to connect and to wait for an answer", v.between(0.1, 300)),
        ),
        "Slack, Teams, Telegram, ntfy, Matrix, Discord and the rest through Apprise "
        "(`pip install 'monitor[apprise]'`). Each URL is its own delivery: attempts, retries and dead "
        "letter per URL.",
    ),
}

TOPIC = Section(
    "topics.NAME",
    (
        Key("description", "string", "", "what the topic is for (shown by `monitor topics test`)"),
        Key("threshold", "number", 2.0, "an article matches when its score reaches this", v.positive),
        Key(
            "require",
            "strings",
            None,
            "groups that must all be mentioned close together",
            each=v.non_empty,
            required=True,
        ),
        Key("proximity", "integer", 30, "most words between the mentions of the required groups", v.at_least(1)),
        Key(
            "boost_proximity",
            "integer",
            10,
            "a bonus group counts only within this many words of a counted mention",
            v.at_least(1),
        ),
        Key(
            "sentence_weight",
            "number",
            1.0,
            "score of a body sentence that mentions every required group",
            v.at_least(0),
        ),
        Key(
            "neighbour_weight",
            "number",
            0.5,
            "score when the partner mention is in the neighbouring sentence",
            v.at_least(0),
        ),
        Key("title_weight", "number", 1.0, "score of a title that mentions every required group", v.at_least(0)),
        Key(
            "lead_weight",
            "number",
            0.0,
            "extra score when the body's first sentence (the lead) mentions every required group",
            v.at_least(0),
        ),
        Key("ignore", "strings", (), "phrases in which a term does not count", each=v.non_empty),
        Key("exclude", "strings", (), "phrases that rule the whole article out", each=v.non_empty),
    ),
    "One [topics.NAME] table per topic (rule language: docs/topics.md); its groups are "
    "[topics.NAME.groups.GROUP] tables.",
)

GROUP = Section(
    "topics.NAME.groups.GROUP",
    (
        Key(
            "terms",
            "strings",
            None,
            "the group's terms ('word*' = any word starting so)",
            each=v.non_empty,
            required=True,
        ),
        Key("refer", "strings", (), "back-references that count only after an explicit term", each=v.non_empty),
        Key(
            "weight",
            "number",
            None,
            "extra score when the group is present in a counted sentence",
            v.at_least(0),
            default_text="0 for a required group, 0.5 otherwise",
        ),
    ),
    "One term group of a topic.",
)

DESK_ROLES = ("viewer", "editor")


def _sha256_hex(value: Any) -> str | None:
    text = str(value).lower()
    return None if len(text) == 64 and all(c in "0123456789abcdef" for c in text) else "must be 64 hex digits"


DESK = _plain(
    "desk",
    "The analysts' desk: a right-to-left web interface and JSON API served by `monitor run` (docs/desk.md).",
    Key("enabled", "boolean", True, "serve the desk while `monitor run` runs"),
    Key(
        "host",
        "string",
        "127.0.0.1",
        "address to bind; a non-loopback address needs at least one [desk.users] or [desk.tokens] entry",
        v.non_empty,
    ),
    Key("port", "integer", 8470, "TCP port (0 = any free port, logged at start)", v.between(0, 65535)),
    Key("timezone", "string", "Asia/Baghdad", "IANA time zone the pages show times in", v.time_zone),
    Key("language", "string", "ar", "interface language: 'ar' (right to left) or 'en'", v.one_of("ar", "en")),
    Key("page_size", "integer", 50, "rows per page in the inbox and API lists (search shows at most 20)", v.positive),
    Key("session_hours", "integer", 12, "how long a login lasts", v.positive),
    Key("https", "boolean", False, "the desk is reached over https (a TLS proxy): cookies are sent only over https"),
    Key(
        "secret_key",
        "string",
        None,
        "signs session cookies (MONITOR_DESK_SECRET works too); unset = a random key, logins end on restart",
        secret=True,
    ),
)

DESK_USER = Section(
    "desk.users.NAME",
    (
        Key("role", "string", "viewer", "'viewer' reads; 'editor' also judges, retries and edits feeds",
            v.one_of(*DESK_ROLES)),
        Key("password_hash", "string", None, "argon2 hash of the password (`monitor desk hash-password`)",
            required=True, secret=True),
    ),
    "One desk user; log in with NAME and the password.",
)

DESK_TOKEN = Section(
    "desk.tokens.NAME",
    (
        Key("role", "string", "viewer", "'viewer' or 'editor', as for users", v.one_of(*DESK_ROLES)),
        Key("sha256", "string", None, "SHA-256 hex digest of the API token (`monitor desk new-token`)",
            _sha256_hex, required=True, secret=True),
    ),
    "One API token for /api/v1 (Authorization: Bearer TOKEN).",
)

PLAIN_SECTIONS: tuple[Section, ...] = (STORAGE, PIPELINE, HTTP, SCHEDULE, STORIES, OPS, ALERTS, DESK)
ALL_SECTIONS: tuple[Section, ...] = (
    STORAGE, PIPELINE, FEEDS, HTTP, SCHEDULE, STORIES, OPS, ALERTS, CHANNEL, *CHANNEL_KINDS.values(), TOPIC, GROUP,
    DESK, DESK_USER, DESK_TOKEN,
)  # fmt: skip
TOP_LEVEL = ("storage", "pipeline", "feeds", "http", "schedule", "stories", "topics", "alerts", "ops", "desk")


def typed(key_path: str, key: Key, value: Any) -> Any:
    """The value checked against the key's type (lists as tuples); ConfigError naming key_path when wrong."""
    if key.kind in ("strings", "numbers"):
        if key.kind == "strings" and isinstance(value, str):
            value = [value]  # one string where a list belongs: a list of one
        if not isinstance(value, list | tuple):
            raise ConfigError(key_path, f"must be {_KIND_TEXT[key.kind]}, got {value!r}")
        item = "string" if key.kind == "strings" else "number"
        items = tuple(_scalar(f"{key_path}[{i}]", item, x) for i, x in enumerate(value))
        if key.each is not None:
            for i, x in enumerate(items):
                if problem := key.each(x):
                    raise ConfigError(f"{key_path}[{i}]", problem)
        return items
    return _scalar(key_path, key.kind, value)


def _scalar(key_path: str, kind: str, value: Any) -> Any:
    # bool is an int in Python: `workers = true` must not pass as 1
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[kind]
    if not ok:
        raise ConfigError(key_path, f"must be {_KIND_TEXT[kind]}, got {value!r}")
    if kind == "number":
        if not math.isfinite(value):
            raise ConfigError(key_path, f"must be a finite number, got {value!r}")
        return float(value)
    return value


def read_table(
    prefix: str,
    table: Any,
    keys: tuple[Key, ...],
    *,
    nested: tuple[str, ...] = (),
    origins: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Validate one table: unknown keys, types, required keys, checks. Missing keys get their default.

    `nested` names sub-tables the caller reads itself; `origins` maps a key to the environment variable
    its value came from, so the error says where to look.
    """
    if not isinstance(table, Mapping):
        raise ConfigError(prefix, "must be a table")
    known = {k.name: k for k in keys}
    for name in table:
        if name not in known and name not in nested:
            names = ", ".join(sorted((*known, *nested)))
            raise ConfigError(f"{prefix}.{name}", f"unknown key (known: {names})")
    values: dict[str, Any] = {}
    for key in keys:
        path = f"{prefix}.{key.name}"
        try:
            value = table.get(key.name)
            if value is None:
                if key.required:
                    raise ConfigError(path, "is required")
                values[key.name] = key.default
                continue
            value = typed(path, key, value)
            if key.required and not value:
                raise ConfigError(path, "is required" if key.scalar else "must be a non-empty list")
            if key.check is not None and (problem := key.check(value)):
                raise ConfigError(path, problem)
        except ConfigError as exc:
            if origins and key.name in origins:
                raise ConfigError(exc.key, f"{exc.message} (from {origins[key.name]})") from None
            raise
        values[key.name] = value
    return values


def env_value(section: Section, key: Key, text: str) -> Any:
    """An environment variable's text as the key's type (then validated like a TOML value)."""
    var = section.env_name(key)
    where = f"{section.path}.{key.name}"
    if key.kind == "string":
        return text
    if key.kind == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ConfigError(where, f"must be true or false, got {text!r} (from {var})")
    try:
        return int(text) if key.kind == "integer" else float(text)
    except ValueError:
        raise ConfigError(where, f"must be {_KIND_TEXT[key.kind]}, got {text!r} (from {var})") from None

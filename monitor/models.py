"""Plain, frozen value objects passed between the pipeline stages.

Nothing here does I/O; every stage takes and returns these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class FetchStatus(enum.Enum):
    """What one HTTP fetch came to: status codes map in fetch/rules.py, exceptions in fetch/client.py.

    TEMPORARY: try again later (timeouts, 5xx, 429, connection errors).
    SOFT: the server answered but not with something usable (404, HTML instead of feed, empty body).
    HARD: will not work without a config change (410, refused private address, bad URL, too large).
    """

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    TEMPORARY = "temporary"
    SOFT = "soft"
    HARD = "hard"


@dataclass(frozen=True)
class FetchResult:
    url: str  # the URL asked for
    final_url: str  # after redirects
    status: FetchStatus
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    etag: str | None = None
    last_modified: str | None = None
    retry_after_seconds: float | None = None
    error: str | None = None  # human-readable reason when status is not OK / NOT_MODIFIED
    withdrawn: bool = False  # no request was made: the caller's last check before it said no

    @property
    def ok(self) -> bool:
        return self.status is FetchStatus.OK


@dataclass(frozen=True)
class Entry:
    """One item of a feed, as the feed states it."""

    feed_url: str
    guid: str
    link: str
    title: str
    summary: str  # plain text (HTML stripped)
    published: datetime | None = None  # timezone-aware UTC when known


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[Entry, ...]
    ttl_minutes: int | None = None
    warning: str | None = None  # e.g. feedparser's bozo reason when entries were still recovered


@dataclass(frozen=True)
class ExtractedText:
    """The article text the pipeline decides on, with where it came from."""

    title: str
    text: str
    language: str | None
    method: str  # "page" (extracted from the article page) or "feed" (feed title + summary fallback)
    fallback_reason: str | None = None  # why the page was not used, when method == "feed"
    # The page failed temporarily: it is fetched again later and the article decided again on its text,
    # so what is decided on this text is provisional.
    page_pending: bool = False


@dataclass(frozen=True)
class NearCopy:
    """Outcome of a near-duplicate lookup against the corpus."""

    duplicate_of: str | None  # id of the corpus article this one copies, or None
    similarity: float  # 0..1, the score the decision was taken on
    passage: str = ""  # a passage the two share (normalised text), for the record
    kind: str = "none"  # "exact", "near" or "none"


@dataclass(frozen=True)
class Evidence:
    group: str  # the term group that fired, e.g. "nato"
    term: str  # the configured term that matched
    matched: str  # the text as written in the article
    start: int  # character offset in the text the topic was matched on
    sentence: str  # the sentence (or passage) it was found in


@dataclass(frozen=True)
class TopicResult:
    name: str
    matched: bool
    score: float
    threshold: float
    evidence: tuple[Evidence, ...] = ()
    reason: str = ""  # one line: why it matched or not
    # What the decision saw: "headline" (title alone), "summary" (title + a sentence or two) or "full".
    # A short item is decided on what it has, so an alert can say it has not been read in full yet.
    basis: str = "full"

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "matched": self.matched,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "reason": self.reason,
            "evidence": [
                {"group": e.group, "term": e.term, "matched": e.matched, "start": e.start, "sentence": e.sentence}
                for e in self.evidence
            ],
        }


@dataclass(frozen=True)
class Decision:
    article_id: str
    near_copy: NearCopy
    topics: tuple[TopicResult, ...]

    @property
    def duplicate_of(self) -> str | None:
        return self.near_copy.duplicate_of

    @property
    def matched_topics(self) -> tuple[TopicResult, ...]:
        return tuple(t for t in self.topics if t.matched)

    @property
    def should_alert(self) -> bool:
        return self.duplicate_of is None and bool(self.matched_topics)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.article_id,
            "duplicate_of": self.near_copy.duplicate_of,
            "similarity": round(self.near_copy.similarity, 4),
            "duplicate_kind": self.near_copy.kind,
            "duplicate_passage": self.near_copy.passage,
            "topics": [t.to_json() for t in self.topics],
        }


@dataclass(frozen=True)
class Alert:
    """One alert: an article that matched a topic. alert_id is stable (idempotency key)."""

    alert_id: str
    article_id: str
    topic: str
    score: float
    threshold: float
    evidence: tuple[Evidence, ...]
    title: str
    url: str
    source: str  # feed name
    published: datetime | None
    snippet: str
    created_at: datetime
    reason: str = ""
    basis: str = "full"  # TopicResult.basis of the decision that raised it: "headline", "summary" or "full"
    status: str = "final"  # one of ALERT_STATUSES
    settled_at: datetime | None = None  # when a provisional alert was confirmed or withdrawn
    settled_reason: str = ""  # the full text's decision that confirmed or withdrew it


# "final": decided on all the text there was. "provisional": decided on the feed's headline/summary while
# the page failed temporarily; it becomes "confirmed" or "withdrawn" once the page's text is decided on, or
# "unconfirmed" if the page never came (the alert stands as sent).
ALERT_STATUSES = ("final", "provisional", "confirmed", "withdrawn", "unconfirmed")


@dataclass(frozen=True)
class AlsoPublished:
    """A near-copy of the alerted article seen later ("also published by …")."""

    article_id: str
    source: str
    url: str


STORY_UPDATE_BATCH = "story:"  # batch key prefix of story.updated messages: story:<story>:<channel>:<due>


@dataclass(frozen=True)
class AlertItem:
    """An alert as it is sent: with the near-copies recorded on it by then."""

    alert: Alert
    also_published: tuple[AlsoPublished, ...] = ()
    story_id: str | None = None  # the story the alerted article belongs to (its first article's id)
    story_size: int = 0  # articles in that story when the message was made

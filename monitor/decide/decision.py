"""Entry text + corpus index + topics -> Decision -> Alerts. Pure: the index is passed in.

decide_analysed takes the text work already done (decide/analysis.py, in an extraction worker) and only
looks the fingerprint up; decide does the text work here first. Both take the same decision."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from monitor.decide.analysis import Analysis, analyse
from monitor.decide.near_copies import Fingerprint
from monitor.models import Alert, Decision, NearCopy
from monitor.settings.topics import Topic

SNIPPET_CHARS = 280


class CorpusLookup(Protocol):
    def check(self, text: str) -> NearCopy: ...

    def check_fingerprint(self, fp: Fingerprint) -> NearCopy: ...


def article_id_for(canonical_url: str) -> str:
    """Stable id from the canonical URL, so a re-seen article maps to the same row."""
    return "a" + hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:19]


def alert_id_for(article_id: str, topic: str) -> str:
    """Stable id of the alert for (article, topic): the idempotency key receivers see."""
    return "al_" + hashlib.sha256(f"{article_id}\x00{topic}".encode()).hexdigest()[:24]


def decide(article_id: str, title: str, text: str, index: CorpusLookup, topics: Sequence[Topic]) -> Decision:
    return decide_analysed(article_id, analyse(title, text, topics), index)


def decide_analysed(article_id: str, analysis: Analysis, index: CorpusLookup) -> Decision:
    near_copy = index.check_fingerprint(analysis.fingerprint)
    return Decision(article_id=article_id, near_copy=near_copy, topics=analysis.topics)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat.rfind(" ", 0, limit)
    return flat[: cut if cut > limit // 2 else limit] + "…"


def build_alerts(
    decision: Decision,
    *,
    title: str,
    url: str,
    source: str,
    published: datetime | None,
    text: str,
    now: datetime,
    provisional: bool = False,
) -> list[Alert]:
    """One alert per matched topic, only for articles that are not near-copies. `provisional`: the text is
    the feed's while the page is still to come, so the alerts are decided again on the page's text."""
    if not decision.should_alert:
        return []
    alerts = []
    for result in decision.matched_topics:
        # The article's opening: the evidence passages already show why it matched.
        lead = text or title
        alerts.append(
            Alert(
                alert_id=alert_id_for(decision.article_id, result.name),
                article_id=decision.article_id,
                topic=result.name,
                score=result.score,
                threshold=result.threshold,
                evidence=result.evidence,
                title=title,
                url=url,
                source=source,
                published=published,
                snippet=snippet(lead),
                created_at=now,
                reason=result.reason,
                basis=result.basis,
                status="provisional" if provisional else "final",
            )
        )
    return alerts

"""An article decided provisionally (on its feed headline/summary while its page failed) decided again on
the page's text: which provisional alerts are confirmed, which are withdrawn, and which topics alert now.

    settle(alerted, decision) -> Settlement
Pure: no I/O. The store applies the settlement in one transaction (Store.settle_page_retry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from monitor.models import Decision, TopicResult


@dataclass(frozen=True)
class Settlement:
    confirmed: tuple[TopicResult, ...] = ()  # provisional alerts whose topic the full text matches too
    withdrawn: tuple[TopicResult, ...] = ()  # provisional alerts whose topic the full text does not match
    raised: tuple[TopicResult, ...] = ()  # topics the full text matches that had no alert yet

    @property
    def changed(self) -> bool:
        return bool(self.confirmed or self.withdrawn or self.raised)


def settle(alerted: Mapping[str, str], decision: Decision) -> Settlement:
    """`alerted`: topic -> status of the article's alerts so far. Only provisional alerts are settled; a
    topic that had no alert alerts now if the full text matches it (and the article is no near-copy)."""
    confirmed: list[TopicResult] = []
    withdrawn: list[TopicResult] = []
    raised: list[TopicResult] = []
    for result in decision.topics:
        status = alerted.get(result.name)
        if status == "provisional":
            (confirmed if result.matched else withdrawn).append(result)
        elif status is None and result.matched and decision.should_alert:
            raised.append(result)
    return Settlement(tuple(confirmed), tuple(withdrawn), tuple(raised))

"""Feeds that keep publishing, for tests and benches with several workers: on one local FaultServer, feed i
shows its items 0..k where k grows with time (one more every `step` seconds), and every item is a distinct
text that the shipped nato_iraq topic matches and that is no near-copy of any other, so each item is one
article and one alert whatever order the workers take them in.

The server logs, per feed, how many requests are in flight at once (`overlaps`: a request that arrived while
another for the same feed was being answered), and answers each after `request_delay` seconds, so a poll
is long enough for a worker to be killed in the middle of it.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from monitor.decide.topics import match_topic
from monitor.settings.topics import parse_topics
from tests.config_files import shipped_topics
from tests.e2e_site import Story, rss_feed
from tests.fault_server import FaultServer, LoggedRequest, Reply

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
RSS = {"Content-Type": "application/rss+xml"}
TOPICS = parse_topics(shipped_topics())
# words that would make an item match or un-match the topic by accident
_TOPIC_WORDS = re.compile("عراق|ناتو|حلف|طلس|شام|عضو|حليف|شريك|اعضاء|أعضاء|لاجئ|مهاجر|مواطن|رعايا|غزو|احتلال|حرب")


def vocabulary() -> list[str]:
    texts = [path.read_text("utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    words = {w for text in texts for w in re.findall(r"[\u0621-\u064a]{3,}", text)}
    return sorted(w for w in words if not _TOPIC_WORDS.search(w))


def item_text(rng: random.Random, words: list[str], title: str) -> str:
    """A matching sentence between runs of random words: no two items share more than the topic's terms.
    Drawn again while the words happen to make it no match (a passing-mention rule, say)."""
    def filler(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(n))

    while True:
        text = (f"{filler(14)}. وأعلن حلف شمال الأطلسي {filler(3)} أن بعثته في العراق ستتوسع {filler(3)}. "
                f"{filler(40)}. {filler(30)}.")
        if all(match_topic(topic, title, text).matched for topic in TOPICS):
            return text


class GrowingFeeds:
    def __init__(self, server: FaultServer, feeds: int, items: int, step: float, request_delay: float,
                 seed: int = 7) -> None:
        self.server = server
        self.feeds = feeds
        self.items = items
        self.step = step
        self.request_delay = request_delay
        self.start = time.monotonic()
        self.overlaps: list[int] = []
        self.polls: Counter[int] = Counter()
        self._in_flight: Counter[int] = Counter()
        self._lock = threading.Lock()
        rng, words = random.Random(seed), vocabulary()
        published = format_datetime(datetime.now(UTC).replace(microsecond=0))
        self._stories = [
            [Story(f"f{i}-{j}", f"تقرير {i}-{j}", item_text(rng, words, f"تقرير {i}-{j}"), published)
             for j in range(items)]
            for i in range(feeds)
        ]
        for i in range(feeds):
            server.set(f"/feed{i}.xml", self._route(i))

    def feed_urls(self) -> list[str]:
        return [self.server.url(f"/feed{i}.xml") for i in range(self.feeds)]

    def item_path(self, feed: int, item: int) -> str:
        return f"/f{feed}/a/{item}.html"

    def item_urls(self) -> list[str]:
        return [self.server.url(self.item_path(i, j)) for i in range(self.feeds) for j in range(self.items)]

    def visible(self) -> int:
        return min(self.items, 1 + int((time.monotonic() - self.start) / self.step))

    def publish_all(self) -> None:
        self.start -= self.items * self.step

    def _route(self, feed: int) -> Callable[[LoggedRequest], Reply]:
        def serve(request: LoggedRequest) -> Reply:
            with self._lock:
                self._in_flight[feed] += 1
                self.polls[feed] += 1
                if self._in_flight[feed] > 1:
                    self.overlaps.append(feed)
            try:
                time.sleep(self.request_delay)
                shown = self._stories[feed][: self.visible()]
                items = [(s, self.item_path(feed, j), s.text) for j, s in enumerate(shown)][::-1]  # newest first
                return Reply(200, RSS, rss_feed(f"feed {feed}", self.server.url(""), items))
            finally:
                with self._lock:
                    self._in_flight[feed] -= 1

        return serve

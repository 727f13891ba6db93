"""Property: whatever the transport answers, every delivery ends delivered or dead-lettered, never twice,
within max_attempts, with every attempt recorded."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.deliver.channels import Message
from monitor.deliver.dispatcher import Dispatcher
from monitor.deliver.policy import Outcome, Result
from tests.fake_clock import FakeClock
from tests.helpers_delivery import attempts, config, make_alert, make_db, states, store

OUTCOMES = st.sampled_from(
    [
        Outcome(Result.DELIVERED),
        Outcome(Result.RETRY, "HTTP 503", 503),
        Outcome(Result.RETRY, "HTTP 429", 429, retry_after=120.0),
        Outcome(Result.RETRY, "timeout"),
        Outcome(Result.FAILED, "HTTP 400", 400),
    ]
)


class Scripted:
    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[str] = []

    def send(self, message: Message, now: datetime) -> Outcome:
        self.sent.append(message.message_id)
        return self.outcomes.pop(0) if self.outcomes else Outcome(Result.DELIVERED)

    def close(self) -> None:
        pass


@settings(max_examples=60, deadline=None)
@given(script=st.lists(OUTCOMES, max_size=10), max_attempts=st.integers(1, 6), jitter=st.sampled_from([0, 0.5]))
def test_every_delivery_terminates_exactly_once(script: list[Outcome], max_attempts: int, jitter: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "m.db"
        db = make_db(db_path)
        store(db, make_alert(1), ["x"])
        db.conn.close()
        sender = Scripted(script)
        clock = FakeClock()
        cfg = config([{"name": "x", "type": "console"}], max_attempts=max_attempts, retry_jitter=jitter)
        d = Dispatcher(db_path, cfg, clock, senders={"x": sender})
        for _ in range(max_attempts + 5):
            d.run_due()
            clock.advance(3 * 3600)  # past any backoff in the test schedule (<= 1800 s * 1.5, Retry-After)
        d.close()

        # what should have happened, computed from the script independently of the dispatcher
        expected_results: list[str] = []
        final = "failed"
        padded = [*script, *[Outcome(Result.DELIVERED)] * max_attempts]
        for n, outcome in enumerate(padded[:max_attempts], start=1):
            expected_results.append(outcome.result.value)
            if outcome.result is Result.DELIVERED:
                final = "delivered"
                break
            if outcome.result is Result.FAILED or n == max_attempts:
                break
        assert states(db_path) == {"alrt_0001:x": final}
        assert [r for r, _, _ in attempts(db_path, "alrt_0001:x")] == expected_results
        assert sender.sent == ["alrt_0001"] * len(expected_results)  # one idempotency key throughout

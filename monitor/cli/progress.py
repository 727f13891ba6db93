"""Progress of a long command on stderr: a bar with total and ETA on a terminal, plain lines otherwise.

The library loops only call back with how far they are; what the user sees is decided here.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Never, TextIO

from tqdm import tqdm

PLAIN_EVERY = 500  # items between two plain lines when stderr is not a terminal


class Progress:
    """`update(done)` as the work goes; `write(line)` for messages, which must not break the bar.

    `plain=False` when the caller already prints its own periodic lines off a terminal.
    """

    def __init__(self, label: str, total: int | None, *, unit: str = "articles", stream: TextIO | None = None,
                 plain: bool = True, every: int = PLAIN_EVERY) -> None:
        self.label, self.total, self.unit, self.plain, self.every = label, total, unit, plain, every
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._bar: tqdm[Never] | None = None  # a bar over no iterable
        if self.interactive:
            self._bar = tqdm(total=total, desc=label, unit=f" {unit}", file=self.stream, dynamic_ncols=True)

    @property
    def interactive(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def set_total(self, total: int) -> None:
        """For work whose size is known only once it has started."""
        self.total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    def update(self, done: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self.done)
        elif self.plain and done // self.every > self.done // self.every:
            rate = done / max(time.monotonic() - self.started, 1e-6)
            of = f" of {self.total}" if self.total is not None else ""
            print(f"{self.label}: {done}{of} {self.unit} ({rate:.0f}/s)", file=self.stream, flush=True)
        self.done = done

    def write(self, line: str) -> None:
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class LineWriter:
    """A text stream whose lines go through `Progress.write`, for a library that prints notes to a stream."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            self.progress.write(line)
        return len(text)

    def flush(self) -> None:
        pass

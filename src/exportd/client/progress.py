"""How long-running commands show where they are: a rich bar on a terminal, plain lines off one.

Everything goes to standard error, so `--json` output on standard output stays one object.
A bar shows the server's progress when it offers one (objects written of objects expected,
rate, time left) and a spinner with the elapsed time when it does not; downloads show bytes.
Plain lines are printed on every change of state, on completion, and at most every few
seconds otherwise: a log of a long run shows it alive, a short one gets a line or two.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Self

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

PLAIN_EVERY = 5.0  # seconds between plain progress lines that say nothing new


class RateColumn(ProgressColumn):
    """Objects per second, once rich has measured a rate."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text(f"{speed:,.0f}/s" if speed else "", style="progress.data.speed")


class Reporter:
    """One command's progress: `step` (a count of a total, or not), `transfer` (bytes)."""

    def __init__(self, console: Console | None = None, *, quiet: bool = False) -> None:
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal and not quiet
        self.quiet = quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._kind = ""
        self._last_line = ("", 0.0)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress, self._task, self._kind = None, None, ""

    def note(self, message: str) -> None:
        """A line that stays, above the bar on a terminal."""
        if self.quiet:
            return
        if self._progress is not None:
            self._progress.console.print(message, highlight=False, markup=False)
        else:
            self.console.print(message, highlight=False, markup=False, soft_wrap=True)

    def step(self, label: str, done: int | None, total: int | None, detail: str = "") -> None:
        """Objects (or anything counted) of a total; a spinner when the total is unknown.
        `detail` is shown on the bar only, so that plain lines stay few."""
        if self.live:
            kind = "count" if total else "spinner"
            task = self._start(kind, label)
            assert self._progress is not None
            description = f"{label} {detail}" if detail else label
            self._progress.update(task, description=description, completed=done or 0, total=total)
            return
        if total:
            self._plain(label, f"{label}: {done or 0:,} of {total:,}", final=done == total)
        else:
            self._plain(label, f"{label}" + (f": {done:,}" if done else ""))

    def transfer(self, label: str, done: int, total: int | None) -> None:
        if self.live:
            task = self._start("bytes", label)
            assert self._progress is not None
            self._progress.update(task, completed=done, total=total)
            return
        size = f" of {total / 1e6:,.1f} MB" if total else ""
        self._plain(label, f"{label}: {done / 1e6:,.1f} MB{size}", final=total == done)

    def _plain(self, key: str, line: str, *, final: bool = False) -> None:
        """Print on a new label, on completion, else at most every PLAIN_EVERY seconds."""
        if self.quiet:
            return
        last_key, last_time = self._last_line
        now = time.monotonic()
        if key != last_key or final or now - last_time >= PLAIN_EVERY:
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)
            self._last_line = (key, now)

    def _start(self, kind: str, label: str) -> TaskID:
        if self._progress is not None and self._kind == kind and self._task is not None:
            return self._task
        self.stop()
        columns = {
            "count": (
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                RateColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
            ),
            "spinner": (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()),
            "bytes": (
                TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                TransferSpeedColumn(), TimeRemainingColumn(),
            ),
        }[kind]  # fmt: skip
        self._progress = Progress(*columns, console=self.console, transient=False)
        self._progress.start()
        self._task = self._progress.add_task(label, total=None)
        self._kind = kind
        return self._task

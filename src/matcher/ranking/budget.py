"""Per-request time budget.

A request's deadline is a ``time.monotonic()`` instant (``None``: no budget). The ranking code
calls :func:`check` between stages and inside its loops over briefs and candidates; past the
deadline it raises :class:`DeadlineExceeded` naming the stage reached, so the work stops there
instead of running on after the client has given up.

    deadline = time.monotonic() + 2.0
    pipe.recommend(brief, k=10, deadline=deadline)   # DeadlineExceeded after ~2 s of work
"""

from __future__ import annotations

import time


class DeadlineExceeded(TimeoutError):
    """The request's time budget ran out; ``stage`` is where the work stopped."""

    def __init__(self, stage: str, overrun_s: float = 0.0) -> None:
        self.stage = stage
        self.overrun_s = overrun_s
        super().__init__(f"time budget exceeded at stage {stage!r}")


def _clock() -> float:
    """``time.monotonic()`` (one place, so tests can replace the clock of the checks alone)."""
    return time.monotonic()


def deadline_in(seconds: float | None) -> float | None:
    """The deadline ``seconds`` from now (``None`` or a non-positive value: no budget)."""
    return None if seconds is None or seconds <= 0 else _clock() + seconds


def remaining(deadline: float | None) -> float | None:
    """Seconds left (negative once past), ``None`` without a deadline."""
    return None if deadline is None else deadline - _clock()


def check(deadline: float | None, stage: str) -> None:
    """Raise :class:`DeadlineExceeded` naming ``stage`` if ``deadline`` has passed."""
    if deadline is not None:
        now = _clock()
        if now >= deadline:
            raise DeadlineExceeded(stage, now - deadline)

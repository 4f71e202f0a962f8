"""How long a task counted in steps has left, from how long its steps took so far (the time spent over the share
done), smoothed so that the words do not jump about: the Retrain dialog's "about 3 min left". It has no clock of its
own: the caller says what time it is, so that it is tested without waiting."""

from __future__ import annotations

from dataclasses import dataclass

MIN_DONE = 0.02  # the share of the steps done before an estimate is given: the first steps say too little
SMOOTHING = 0.3  # the weight of a new estimate against the one before, counted down since


@dataclass
class TimeLeft:
    """Give it `update(now, done, total)` as the steps go; `seconds(now)` is None until the time left can be told.

    `started`: when the steps began, for a task that first says how far it is once a step has ended (a trainer
    printing each epoch as it ends); None: they begin at the first `update` (a progress bar drawn at its start,
    after whatever the task did before its steps, which says nothing of how long they take)."""

    started: float | None = None
    _first: tuple[float, int] | None = None  # (time, steps done) the rate is measured from
    _estimate: float | None = None
    _at: float = 0.0  # when `_estimate` was made
    _done: int = 0  # the steps done at the last update
    per_step: float | None = None  # the seconds a step took on average, once the time left can be told

    def update(self, now: float, done: int, total: int) -> None:
        if self._first is None or done < self._done:  # the first step counted, or the count began again
            self._first, self._estimate = ((self.started, 0) if self.started is not None and done > 0
                                           else (now, done)), None
        self._done = done
        since, done_then = self._first
        steps = done - done_then
        if steps < max(1.0, MIN_DONE * total) or now <= since:
            return
        self.per_step = (now - since) / steps
        measured = self.per_step * max(total - done, 0)
        previous = self.seconds(now)
        self._estimate = measured if previous is None else SMOOTHING * measured + (1 - SMOOTHING) * previous
        self._at = now

    def seconds(self, now: float) -> float | None:
        """The time left at `now`: the last estimate, counted down since it was made."""
        return None if self._estimate is None else max(0.0, self._estimate - (now - self._at))


def time_left_said(seconds: float) -> str:
    """'less than a minute left', 'about 3 min left', 'about 1 h 40 min left' (to 10 min beyond an hour and a half)."""
    return f"{duration_said(seconds)} left"


def duration_said(seconds: float) -> str:
    """'less than a minute', 'about 3 min', 'about 1 h 40 min' (to 10 min beyond an hour and a half)."""
    minutes = int(seconds / 60 + 0.5)
    if seconds < 60:
        return "less than a minute"
    if minutes < 90:
        return f"about {minutes} min"
    hours, rest = divmod(int(seconds / 600 + 0.5) * 10, 60)
    return f"about {hours} h{f' {rest} min' if rest else ''}"

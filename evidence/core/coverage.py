"""How much of a candidate's footage a match shows, in seconds. Pure: no database, no media.

A candidate's stored frames are a second apart, so counting the matched ones cannot tell two seconds of
a three-second clip from all of it: a 2 s piece of a still scene in a compilation lines up with the
stored frames at 0, 1 and 2 s of a 3 s excerpt of that scene (the alignment's tolerance stretches 2 s
over 2.07 s), and the compilation would "contain" the excerpt and join its cluster. So a side counts as
mostly matched only when the seconds the query shows of it (measured on the query's dense frames, at
the alignment's speed) are that share of the candidate's footage too: from its first informative
stored frame to the end of its last one (the next stored frame's time, or the end of the media).
"""

from __future__ import annotations

from collections.abc import Sequence

STORED_INTERVAL = 1.0
"""Seconds between a candidate's stored frames (the analysis's sampling grid)."""

SAME_SPEED = 1.1
"""An alignment whose two sides' spans differ by less than this factor is taken at normal speed: an
offset tolerance stretches a short run that much, and a copy played this much faster still shows 0.9
of its source."""


def footage_span(times: Sequence[float], duration: float | None) -> tuple[float, float] | None:
    """The (start, end) seconds a candidate's informative stored frames (`times`, in order) stand for,
    or None when its duration is unknown (no bound then)."""
    if duration is None or not times:
        return None
    return times[0], max(times[0], min(duration, times[-1] + STORED_INTERVAL))


def time_share(shown: float, seconds: float | None) -> float:
    """The share of `seconds` of footage that `shown` seconds cover (1 when the footage is unknown)."""
    if seconds is None or seconds <= 0:
        return 1.0
    return min(1.0, shown / seconds)


def speed_of(query_span: float, target_span: float) -> float:
    """An alignment's speed from its spans: normal within `SAME_SPEED`, else their ratio in 0.5-2."""
    if query_span <= 0:
        return 1.0
    ratio = target_span / query_span
    if 1 / SAME_SPEED <= ratio <= SAME_SPEED:
        return 1.0
    return min(2.0, max(0.5, ratio))

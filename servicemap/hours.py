"""Weekly opening hours: parsed from text into an hour-of-week mask.

Opening hours are written as a service directory writes them::

    Mon-Fri 09:00-17:00; Sat 10:00-13:00
    24/7
    Mon-Thu 09:00-12:30, 13:30-17:00; Fri 09:00-16:30
    Fri-Sat 22:00-02:00          (overnight: Friday night into Saturday morning)
    Daily 08:00-20:00; Wed closed
    Weekdays 09:00-17:00
    closed

Rules are separated by ``;``. A rule is a day spec (``Mon``, ``Mon-Fri``, ``Mon,Wed``,
``Daily``, ``Weekdays``, ``Weekends``, full day names too) followed by one or more
time ranges separated by commas, or by ``closed``. A range whose end is not after its
start runs past midnight into the next day (``Sun 22:00-02:00`` ends on Monday). A
``closed`` rule removes every opening that *starts* on those days, whatever the order
of the rules. Times are ``HH:MM`` (``24:00`` is midnight at the end of a day).

The week starts on Monday at 00:00; minute ``m`` of the week is day ``m // 1440``.
:attr:`OpeningHours.minutes` gives the open minutes in each of the 168 hours, and
:attr:`OpeningHours.mask` whether each hour is open at all. :func:`hour_band_mask`
gives the hours of each band of the vocabulary.

Examples
--------
>>> h = parse_hours("Mon-Fri 09:00-17:00; Sat 10:00-13:00")
>>> h.hours_per_week
43.0
>>> h.open_in_band()
{'weekday_daytime': True, 'weekday_evening': False, 'overnight': False, 'weekend': True}
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np

__all__ = [
    "BAND_MINIMUM_MINUTES",
    "HOUR_BANDS",
    "OVERNIGHT_CORE",
    "HoursError",
    "OpeningHours",
    "format_hours",
    "hour_band_mask",
    "parse_hours",
]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES = {
    **{d: i for i, d in enumerate(DAYS)},
    "monday": 0, "tues": 1, "tuesday": 1, "weds": 2, "wednesday": 2, "thur": 3,
    "thurs": 3, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
_DAY_GROUPS = {
    "daily": tuple(range(7)), "everyday": tuple(range(7)), "every day": tuple(range(7)),
    "weekdays": tuple(range(5)), "weekends": (5, 6), "weekend": (5, 6),
}
WEEK = 7 * 24 * 60
EXAMPLE = "Mon-Fri 09:00-17:00; Sat 10:00-13:00"

#: The hour bands of the vocabulary as (days, start hour, end hour), a partition of the
#: week's 168 hours: 50 + 20 + 70 + 28.
HOUR_BANDS: dict[str, tuple[tuple[int, ...], int, int]] = {
    "weekday_daytime": (tuple(range(5)), 8, 18),
    "weekday_evening": (tuple(range(5)), 18, 22),
    "overnight": (tuple(range(7)), 22, 32),  # 22:00 to 08:00 the next morning
    "weekend": ((5, 6), 8, 22),
}


class HoursError(ValueError):
    """Opening hours text that cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class OpeningHours:
    """Weekly opening hours as open intervals of the week, in minutes from Monday 00:00.

    Parameters
    ----------
    intervals : tuple of (int, int)
        Sorted, disjoint, half-open ``[start, end)`` minute intervals within
        ``[0, 10080]``.
    text : str
        The text the hours were parsed from, kept for display and round trips.

    Examples
    --------
    >>> h = parse_hours("Fri 22:00-02:00")  # Friday 22:00 is minute 4 x 1440 + 22 x 60
    >>> h.intervals
    ((7080, 7320),)
    """

    intervals: tuple[tuple[int, int], ...]
    text: str = field(default="", compare=False)

    @property
    def minutes(self) -> np.ndarray:
        """Open minutes in each hour of the week, shape (168,), Monday 00:00 first.

        Examples
        --------
        >>> parse_hours("Mon 09:30-11:00").minutes[9:12].tolist()
        [30, 60, 0]
        """
        week = np.zeros(WEEK, dtype=bool)
        for start, end in self.intervals:
            week[start:end] = True
        return week.reshape(168, 60).sum(axis=1).astype(np.uint8)

    @property
    def mask(self) -> np.ndarray:
        """Whether each of the 168 hours of the week is open for any minute.

        Examples
        --------
        >>> int(parse_hours("24/7").mask.sum())
        168
        """
        return self.minutes > 0

    @property
    def hours_per_week(self) -> float:
        """Open hours in a week.

        Examples
        --------
        >>> parse_hours("Mon-Fri 09:00-12:30, 13:30-17:00").hours_per_week
        35.0
        """
        return sum(end - start for start, end in self.intervals) / 60

    @property
    def is_always_open(self) -> bool:
        """Whether the service is open every minute of the week (24/7)."""
        return self.intervals == ((0, WEEK),)

    def open_in_band(self, min_minutes: int | None = None) -> dict[str, bool]:
        """Whether the service is open for a meaningful part of each hour band.

        A service counts in a band when, on some day the band covers, it is open for
        at least ``min_minutes`` (default :data:`BAND_MINIMUM_MINUTES`, an hour) of
        the band's hours that day. Overnight is judged on the night's core, 00:00 to
        06:00 (:data:`OVERNIGHT_CORE`): a service open 07:00-22:00 or until midnight
        keeps long days, not overnight hours. The minutes of a day need not be
        consecutive.

        Parameters
        ----------
        min_minutes : int, optional
            The minutes a day that count; 1 gives "open at any time in the band".

        Examples
        --------
        >>> parse_hours("Sat 22:00-02:00").open_in_band()["overnight"]
        True
        >>> parse_hours("Daily 07:00-22:00").open_in_band()["overnight"]
        False
        >>> parse_hours("Mon-Fri 09:00-18:01").open_in_band()["weekday_evening"]
        False
        >>> parse_hours("Mon-Fri 09:00-18:01").open_in_band(1)["weekday_evening"]
        True
        """
        least = BAND_MINIMUM_MINUTES if min_minutes is None else int(min_minutes)
        if least < 1:
            msg = f"min_minutes={min_minutes!r}: give a whole number of minutes, 1 or more."
            raise ValueError(msg)
        minutes = self.minutes.astype(np.int64)
        return {band: bool((minutes[days] .sum(axis=1) >= least).any())
                for band, days in _band_days().items()}

    def __str__(self) -> str:
        return self.text or format_hours(self.intervals)


#: The least a service must be open in a band, on one day, to count as open in it.
BAND_MINIMUM_MINUTES = 60

#: The hours (start, end; past 24 into the next day) that judge the overnight band.
OVERNIGHT_CORE = (24, 30)


@cache
def _band_days() -> dict[str, np.ndarray]:
    """Each band's hours as (days, hours a day) indices into the week's 168 hours."""
    out = {}
    for band, (days, start, end) in HOUR_BANDS.items():
        if band == "overnight":
            start, end = OVERNIGHT_CORE
        idx = (np.asarray(days)[:, None] * 24 + np.arange(start, end)[None, :]) % 168
        idx.setflags(write=False)
        out[band] = idx
    return out


@cache
def _band_masks() -> dict[str, np.ndarray]:
    out = {}
    for band, (days, start, end) in HOUR_BANDS.items():
        m = np.zeros(168, dtype=bool)
        for d in days:
            idx = (d * 24 + np.arange(start, end)) % 168
            m[idx] = True
        m.setflags(write=False)
        out[band] = m
    return out


def hour_band_mask(band: str | None = None) -> np.ndarray | dict[str, np.ndarray]:
    """Return the hours of the week in an hour band, as a (168,) bool mask.

    Parameters
    ----------
    band : str, optional
        An ``hour_band`` term. ``None`` returns all four as a dict.

    Returns
    -------
    numpy.ndarray or dict of str to numpy.ndarray

    Examples
    --------
    >>> int(hour_band_mask("overnight").sum())
    70
    >>> sum(int(m.sum()) for m in hour_band_mask().values())
    168
    """
    masks = _band_masks()
    if band is None:
        return dict(masks)
    if band not in masks:
        msg = f"{band!r} is not an hour band. Use one of: {', '.join(masks)}."
        raise KeyError(msg)
    return masks[band]


_TIME = r"(\d{1,2})[:.](\d{2})"
_RANGE = re.compile(rf"^{_TIME}\s*(?:-|–|to)\s*{_TIME}$")
# days first (up to the last letter before the times), then times or "closed"
_RULE = re.compile(r"^([A-Za-z].*?)\s*:?\s+((?:\d|closed|shut|24h|24 hours|all day).*)$",
                   re.IGNORECASE)


def _parse_days(spec: str, rule: str) -> tuple[int, ...]:
    spec = spec.strip().lower()
    if spec in _DAY_GROUPS:
        return _DAY_GROUPS[spec]
    days: list[int] = []
    for part in re.split(r"\s*,\s*", spec):
        ends = re.split(r"\s*(?:-|–|to)\s*", part)
        if len(ends) > 2 or any(e not in _DAY_NAMES for e in ends):
            msg = (f"{rule!r}: {part!r} is not a day or range of days. Write days as "
                   "Mon, Tue, Wed, Thu, Fri, Sat, Sun, ranges such as 'Mon-Fri', or "
                   f"'Daily'; for example {EXAMPLE!r}.")
            raise HoursError(msg)
        first, last = _DAY_NAMES[ends[0]], _DAY_NAMES[ends[-1]]
        span = (last - first) % 7
        days.extend((first + k) % 7 for k in range(span + 1))
    return tuple(dict.fromkeys(days))


def _parse_range(text: str, rule: str) -> tuple[int, int]:
    m = _RANGE.match(text.strip())
    if not m:
        msg = (f"{rule!r}: {text.strip()!r} is not a time range. Write it as "
               f"'09:00-17:00'; for example {EXAMPLE!r}.")
        raise HoursError(msg)
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    for h, mi in ((h1, m1), (h2, m2)):
        if h > 24 or mi > 59 or (h == 24 and mi):
            msg = f"{rule!r}: {h:02d}:{mi:02d} is not a time of day (00:00 to 24:00)."
            raise HoursError(msg)
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == 24 * 60:
        msg = f"{rule!r}: a range cannot start at 24:00. Write 00:00 on the next day."
        raise HoursError(msg)
    if end <= start:  # runs past midnight into the next day
        end += 24 * 60
    return start, end


def parse_hours(text: str | OpeningHours) -> OpeningHours:
    """Parse weekly opening hours from text.

    Parameters
    ----------
    text : str
        Hours as ``"Mon-Fri 09:00-17:00; Sat 10:00-13:00"``, ``"24/7"`` or
        ``"closed"``; see the module documentation for the grammar.

    Returns
    -------
    OpeningHours

    Raises
    ------
    HoursError
        If the text cannot be read. The message quotes the rule at fault and shows how
        to write it.

    Examples
    --------
    >>> parse_hours("24/7").is_always_open
    True
    >>> parse_hours("Daily 08:00-20:00; Wed closed").hours_per_week
    72.0
    >>> parse_hours("Sun 22:00-02:00").minutes[[167, 0, 1, 2]].tolist()
    [60, 60, 60, 0]
    >>> parse_hours("9-5ish")
    Traceback (most recent call last):
    ...
    servicemap.hours.HoursError: '9-5ish' is not a time range...
    """
    if isinstance(text, OpeningHours):
        return text
    if not isinstance(text, str) or not text.strip():
        msg = f"{text!r} is not opening hours. Write them as {EXAMPLE!r} or '24/7'."
        raise HoursError(msg)
    source = text
    low = text.strip().lower()
    if low in {"24/7", "24 / 7", "24x7", "always", "always open"}:
        return OpeningHours(((0, WEEK),), source)
    if low == "closed":
        return OpeningHours((), source)
    openings: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
    closed: set[int] = set()
    for raw in re.split(r"\s*;\s*", text.strip()):
        if not raw:
            continue
        m = _RULE.match(raw)
        if not m:
            if not re.search(r"[A-Za-z]", raw):
                msg = (f"{raw!r} has no days. Put the days first, as "
                       f"'Mon-Fri {raw.strip()}'; for example {EXAMPLE!r}.")
            else:
                msg = f"{raw!r} is not a time range. Write it like {EXAMPLE!r}."
            raise HoursError(msg)
        days_text, times_text = m.group(1), m.group(2).strip()
        days = _parse_days(days_text, raw)
        if times_text.lower() in {"closed", "shut"}:
            closed.update(days)
            continue
        if times_text.lower() in {"24h", "24 hours", "00:00-24:00", "all day"}:
            ranges = [(0, 24 * 60)]
        else:
            ranges = [_parse_range(t, raw) for t in re.split(r"\s*,\s*", times_text)]
        for d in days:
            openings[d].extend(ranges)
    week = np.zeros(WEEK, dtype=bool)
    for d, ranges in openings.items():
        if d in closed:
            continue
        for start, end in ranges:
            s, e = d * 1440 + start, d * 1440 + end
            if e <= WEEK:
                week[s:e] = True
            else:  # Sunday night into Monday morning
                week[s:] = True
                week[: e - WEEK] = True
    return OpeningHours(_intervals(week), source)


def _intervals(week: np.ndarray) -> tuple[tuple[int, int], ...]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], week.astype(np.int8), [0]])))
    return tuple((int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True))


def format_hours(intervals: tuple[tuple[int, int], ...]) -> str:
    """Write intervals of the week back as text that :func:`parse_hours` reads.

    Examples
    --------
    >>> format_hours(parse_hours("Mon-Tue 09:00-17:00; Sat 10:00-13:00").intervals)
    'Mon 09:00-17:00; Tue 09:00-17:00; Sat 10:00-13:00'
    """
    if not intervals:
        return "closed"
    if intervals == ((0, WEEK),):
        return "24/7"
    rules = []
    for start, end in intervals:
        # one rule per day the interval touches, so overnight spans read back exactly
        for day in range(start // 1440, (end - 1) // 1440 + 1):
            s = max(start, day * 1440) - day * 1440
            e = min(end, (day + 1) * 1440) - day * 1440
            rules.append(f"{DAYS[day].title()} {s // 60:02d}:{s % 60:02d}-"
                         f"{e // 60:02d}:{e % 60:02d}")
    return "; ".join(rules)

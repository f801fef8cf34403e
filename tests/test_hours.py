"""Opening hours: parsing text into minutes of the week, and the hour bands."""

import numpy as np
import pytest

from servicemap.hours import (
    WEEK,
    HoursError,
    format_hours,
    hour_band_mask,
    parse_hours,
)

MON, TUE, WED, THU, FRI, SAT, SUN = (d * 1440 for d in range(7))


def hm(h, m=0):
    return h * 60 + m


# (text, expected intervals in minutes from Monday 00:00, hours a week) worked by hand
CASES = [
    ("24/7", [(0, WEEK)], 168.0),
    ("closed", [], 0.0),
    # five days of 8 h
    ("Mon-Fri 09:00-17:00", [(d + hm(9), d + hm(17)) for d in (MON, TUE, WED, THU, FRI)],
     40.0),
    # 40 h + Saturday 3 h
    ("Mon-Fri 09:00-17:00; Sat 10:00-13:00",
     [(d + hm(9), d + hm(17)) for d in (MON, TUE, WED, THU, FRI)]
     + [(SAT + hm(10), SAT + hm(13))], 43.0),
    # Friday 22:00 to Saturday 02:00: one 4 h interval across midnight
    ("Fri 22:00-02:00", [(FRI + hm(22), SAT + hm(2))], 4.0),
    # Sunday night wraps into Monday morning: split at the end of the week
    ("Sun 22:00-02:00", [(0, hm(2)), (SUN + hm(22), WEEK)], 4.0),
    # a closed day removes openings starting that day: 6 days of 12 h
    ("Daily 08:00-20:00; Wed closed",
     [(d + hm(8), d + hm(20)) for d in (MON, TUE, THU, FRI, SAT, SUN)], 72.0),
    # closures apply whatever the order of the rules
    ("Wed closed; Daily 08:00-20:00",
     [(d + hm(8), d + hm(20)) for d in (MON, TUE, THU, FRI, SAT, SUN)], 72.0),
    # split day: 3.5 h + 3.5 h on Monday
    ("Mon 09:00-12:30, 13:30-17:00", [(hm(9), hm(12, 30)), (hm(13, 30), hm(17))], 7.0),
    # lists and ranges that wrap the week end
    ("Mon, Wed, Fri 10:00-12:00",
     [(d + hm(10), d + hm(12)) for d in (MON, WED, FRI)], 6.0),
    ("Sat-Mon 10:00-11:00",
     [(MON + hm(10), MON + hm(11)), (SAT + hm(10), SAT + hm(11)),
      (SUN + hm(10), SUN + hm(11))], 3.0),
    # overlapping rules merge: Monday 09:00-18:00 once
    ("Mon 09:00-17:00; Mon 12:00-18:00", [(hm(9), hm(18))], 9.0),
    ("Weekends 10:00-16:00", [(SAT + hm(10), SAT + hm(16)), (SUN + hm(10), SUN + hm(16))],
     12.0),
    ("Tuesday 00:00-24:00", [(TUE, WED)], 24.0),
    ("Mon-Sun 00:00-24:00", [(0, WEEK)], 168.0),
    ("weekdays 9:00-17:00", [(d + hm(9), d + hm(17)) for d in (MON, TUE, WED, THU, FRI)],
     40.0),
    # adjacent overnight days join up: Fri 22:00 to Sun 02:00 in one run
    ("Fri-Sat 22:00-02:00", [(FRI + hm(22), SAT + hm(2)), (SAT + hm(22), SUN + hm(2))],
     8.0),
]


@pytest.mark.parametrize(("text", "intervals", "hours"), CASES)
def test_parse(text, intervals, hours):
    parsed = parse_hours(text)
    assert list(parsed.intervals) == intervals
    assert parsed.hours_per_week == hours
    assert int(parsed.minutes.sum()) == hours * 60
    # the text we write reads back to the same hours
    assert parse_hours(format_hours(parsed.intervals)) == parsed


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("9-5ish", "is not a time range"),
        ("Mon-Fri 9-5", "'9-5' is not a time range. Write it as '09:00-17:00'"),
        ("Funday 09:00-10:00", "'funday' is not a day"),
        ("09:00-17:00", "has no days. Put the days first, as 'Mon-Fri 09:00-17:00'"),
        ("Mon 25:00-26:00", "25:00 is not a time of day"),
        ("Mon 09:75-10:00", "09:75 is not a time of day"),
        ("Mon 24:00-02:00", "cannot start at 24:00"),
        ("", "is not opening hours"),
        ("Mon-Fri", "is not a time range"),
    ],
)
def test_bad_hours_name_the_rule_and_the_fix(text, match):
    with pytest.raises(HoursError, match=match):
        parse_hours(text)


def test_minutes_and_mask_per_hour():
    h = parse_hours("Mon 09:30-11:00")
    expected = np.zeros(168, dtype=int)
    expected[9], expected[10] = 30, 60
    np.testing.assert_array_equal(h.minutes, expected)
    np.testing.assert_array_equal(h.mask, expected > 0)


def test_hour_bands_partition_the_week():
    masks = hour_band_mask()
    total = np.sum([m.astype(int) for m in masks.values()], axis=0)
    np.testing.assert_array_equal(total, np.ones(168, dtype=int))
    # 5 x 10 h, 5 x 4 h, 7 x 10 h, 2 x 14 h
    assert {b: int(m.sum()) for b, m in masks.items()} == {
        "weekday_daytime": 50, "weekday_evening": 20, "overnight": 70, "weekend": 28}
    # Friday 23:00 is overnight; Saturday 09:00 is weekend; Sunday 23:00 overnight too
    assert masks["overnight"][4 * 24 + 23] and masks["weekend"][5 * 24 + 9]
    assert masks["overnight"][6 * 24 + 23] and masks["overnight"][0]


@pytest.mark.parametrize(
    ("text", "bands"),
    [
        ("Mon-Fri 09:00-17:00", {"weekday_daytime"}),
        ("Mon-Fri 09:00-20:00", {"weekday_daytime", "weekday_evening"}),
        ("Sat 10:00-13:00", {"weekend"}),
        ("Fri 22:00-02:00", {"overnight"}),
        ("24/7", {"weekday_daytime", "weekday_evening", "overnight", "weekend"}),
        ("closed", set()),
        # Saturday 07:00-09:00: an hour of weekend; 07:00-08:00 is outside the
        # night's core (00:00-06:00), so not overnight
        ("Sat 07:00-09:00", {"weekend"}),
        # the edges: a long day is not overnight; a minute past six is not evening
        ("Daily 07:00-22:00", {"weekday_daytime", "weekday_evening", "weekend"}),
        ("Daily 07:30-22:00", {"weekday_daytime", "weekday_evening", "weekend"}),
        ("Mon-Fri 09:00-18:01", {"weekday_daytime"}),
        ("Mon-Fri 09:00-19:00", {"weekday_daytime", "weekday_evening"}),
        # an overnight span: Sunday 23:00 to Monday 01:30 is 90 minutes of core
        ("Sun 23:00-01:30", {"overnight"}),
        ("Sun 22:00-00:00", set()),  # 2 h of Sunday evening: weekend ends at 22:00
        ("Sat 20:00-23:00", {"weekend"}),  # 2 h of weekend, 1 h of the night's edge
        # 59 minutes a day is not an hour, whichever days
        ("Mon-Fri 17:01-18:00; Sat 21:01-22:00", set()),
        ("Mon 09:00-09:30, 12:00-12:30", {"weekday_daytime"}),  # not consecutive
    ],
)
def test_open_in_band(text, bands):
    got = parse_hours(text).open_in_band()
    assert {b for b, is_open in got.items() if is_open} == bands


def test_min_minutes_is_overridable():
    h = parse_hours("Mon-Fri 09:00-18:01")
    assert h.open_in_band(1)["weekday_evening"]
    assert not parse_hours("Mon-Fri 09:00-20:00").open_in_band(180)["weekday_evening"]
    assert parse_hours("Mon-Fri 09:00-21:00").open_in_band(180)["weekday_evening"]
    with pytest.raises(ValueError, match="min_minutes=0"):
        h.open_in_band(0)


def test_unknown_band_lists_the_bands():
    with pytest.raises(KeyError, match="weekday_daytime, weekday_evening"):
        hour_band_mask("night")


DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _rule(day, start, length):
    end = (start + length) % (24 * 60)
    return f"{DAY_NAMES[day]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

rules = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 24 * 60 - 1),
                           st.integers(1, 24 * 60 - 1)), min_size=1, max_size=6)


@given(rules)
def test_any_rules_round_trip_and_count_minutes(spec):
    text = "; ".join(_rule(*r) for r in spec)
    parsed = parse_hours(text)
    assert parse_hours(format_hours(parsed.intervals)) == parsed
    # brute force: mark every minute of each rule on a week-long array
    week = np.zeros(WEEK, dtype=bool)
    for day, start, length in spec:
        s = day * 1440 + start
        week[np.arange(s, s + length) % WEEK] = True
    assert round(parsed.hours_per_week * 60, 6) == week.sum()
    np.testing.assert_array_equal(parsed.minutes, week.reshape(168, 60).sum(axis=1))


@given(rules, st.integers(1, 240))
def test_open_in_band_agrees_with_counting_minutes_day_by_day(spec, least):
    text = "; ".join(_rule(*r) for r in spec)
    week = np.zeros(WEEK, dtype=bool)
    for day, start, length in spec:
        s = day * 1440 + start
        week[np.arange(s, s + length) % WEEK] = True
    windows = {"weekday_daytime": (range(5), 8, 18), "weekday_evening": (range(5), 18, 22),
               "overnight": (range(7), 24, 30), "weekend": ((5, 6), 8, 22)}
    expected = {}
    for band, (days, start, end) in windows.items():
        per_day = [sum(week[(d * 1440 + m) % WEEK] for m in range(start * 60, end * 60))
                   for d in days]
        expected[band] = max(per_day) >= least
    assert parse_hours(text).open_in_band(least) == expected

"""Gaps re-derived by brute force: find_gaps against plain loops over areas and services.

tests/brute.py works every row of the gap table out again from the definitions, with
loops (provision by kind of intervention, in person or remote, age groups by ages,
hour bands minute by minute, people of a group from the age columns, 2SFCA by sums).
First the brute force itself is checked against numbers worked out by hand on two
toy maps; then find_gaps must agree with it row for row, on the toys and on
Bedfordshire.

The toys use the 3 x 3 grid of tests/toy.py (need_drug = 10 + k in square k), every
square given 1,000 people by age: pop_0_15 = 160 (10 a year), pop_16_64 = 490 (10 a
year), pop_65_plus = 350 (ages 65 to 90, 26 years). So a group's share of the people
is: children (0-12) 130 / 1000 = 0.13; young_people (11-17) 50 + 20 = 70 -> 0.07;
adults (18-90) 470 + 350 -> 0.82; older_people (65-90) 0.35; young people, adults and
older people together (11-90) 50 + 490 + 350 -> 0.89. From a site at square k's
centre, the squares beside it are 1000 m away, the diagonal ones 1414 m, two along
2000 m, a knight's move 2236 m, corner to corner 2828 m.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from brute import (
    BANDS,
    REASON_ORDER,
    age_columns,
    age_share,
    brute_force_gaps,
    brute_open_in_bands,
    brute_provision,
    brute_serves,
    group_years,
)
from toy import grid_areas, grid_map, service, site

import servicemap as sm
from servicemap.hours import parse_hours

KEYS = ["code", "need", "client_group", "hour_band", "reason"]
VALUES = ["severity", "counted", "services", "remote", "hours_unknown"]
SYSTEMIC_KEYS = ["need", "client_group", "hour_band"]
SYSTEMIC_VALUES = ["people", "remote"]


def aged_areas(**needs):
    """The grid with 1,000 people a square by age (see the module notes)."""
    areas = grid_areas()
    areas["population"] = 1000.0
    areas["pop_0_15"] = 160.0
    areas["pop_16_64"] = 490.0
    areas["pop_65_plus"] = 350.0
    for name, value in needs.items():
        areas[f"need_{name}"] = value
    return areas


def toy_a():
    """Every per-group reason, hours unknown, systemic gaps, a phone line beside them.

    HUB   adults' treatment at square 1, 1500 m, LAD E06000001 only, weekdays 9-5,
          100 places: takes squares 1, 2, 4, 5.
    YP    young people's treatment (11-17) at square 3, 1000 m, LAD E06000002 only,
          weekdays 16:00-20:00, 20 places: reaches 2, 3, 6; takes 3 and 6.
    EVE   adults' opioid substitution at square 9, 1000 m, weekday evenings and
          Saturday 10-12, no capacity: takes 6, 8, 9.
    DAY   adults' treatment at square 7, 500 m, no hours given: takes 7.
    LINE  a 24/7 crisis phone line for adults and young people (16+): remote support,
          not provision, everywhere.
    NX    a 24/7 needle exchange at square 5: harm reduction, not provision.
    """
    services = [
        service("HUB", interventions="psychosocial", min_age=18,
                hours="Mon-Fri 09:00-17:00", capacity=100, capacity_unit="places",
                footprint="E06000001", max_distance=1500),
        service("YP", client_groups="young_people", min_age=11, max_age=17,
                interventions="psychosocial", hours="Mon-Fri 16:00-20:00", capacity=20,
                capacity_unit="places", footprint="E06000002", max_distance=1000),
        service("EVE", interventions="opioid_substitution", min_age=18,
                hours="Mon-Fri 18:00-21:00; Sat 10:00-12:00", max_distance=1000),
        service("DAY", interventions="psychosocial", min_age=18, max_distance=500),
        service("LINE", client_groups="adults; young_people", min_age=16,
                interventions="crisis_response", hours="24/7", reach="none"),
        service("NX", interventions="needle_exchange; naloxone", min_age=18,
                hours="24/7", max_distance=3000),
    ]
    sites = [site("s-hub", "HUB", k=1), site("s-yp", "YP", k=3), site("s-eve", "EVE", k=9),
             site("s-day", "DAY", k=7), site("s-line", "LINE", mode="phone"),
             site("s-nx", "NX", k=5)]
    return grid_map(services, sites, areas=aged_areas())


def toy_b():
    """Need-wide reasons (none, unreachable, footprint) with remote support beside them.

    HUB2  adults' treatment at square 1, 1500 m, LAD E06000001, weekdays 9-5: takes
          squares 1, 2, 4, 5.
    FAR   adults' treatment at square 3, 1000 m, LAD E06000001 only, daily 07:00-22:00
          (evenings and weekends, not overnight): reaches 2, 3, 6, takes only 2.
    LINE2 a 24/7 drug and alcohol crisis phone line for adults, LAD E06000002 only
          (squares 3, 6, 9). Every square has need_alcohol 5; no in-person alcohol
          service exists.
    """
    services = [
        service("HUB2", interventions="psychosocial", min_age=18,
                hours="Mon-Fri 09:00-17:00", footprint="E06000001", max_distance=1500),
        service("FAR", interventions="psychosocial", min_age=18,
                hours="Daily 07:00-22:00", footprint="E06000001", max_distance=1000),
        service("LINE2", needs="drug; alcohol", interventions="crisis_response",
                min_age=18, hours="24/7", reach="none", footprint="E06000002"),
    ]
    sites = [site("s-hub2", "HUB2", k=1), site("s-far", "FAR", k=3),
             site("s-line2", "LINE2", mode="phone")]
    return grid_map(services, sites, areas=aged_areas(alcohol=5.0))


def rows(brute, need=None):
    """{(square, client_group, hour_band, reason): (severity, counted, services, remote,
    hours_unknown)} of a brute-force table."""
    t = brute.table if need is None else brute.table[brute.table["need"] == need]
    return {(int(r.code[3:]), r.client_group, r.hour_band, r.reason):
            (round(r.severity, 9), round(r.counted, 9), r.services, r.remote,
             r.hours_unknown) for r in t.itertuples()}


def approx_equal(got, expected):
    assert set(got) == set(expected), (sorted(set(got) - set(expected)),
                                       sorted(set(expected) - set(got)))
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-9), key


# -- the brute force's own pieces, by hand ----------------------------------------------
@pytest.mark.parametrize(("hours", "expected"), [
    # daytime, evening, overnight, weekend
    ("Daily 07:00-22:00", (True, True, False, True)),      # long days are not nights
    ("Daily 07:30-22:00", (True, True, False, True)),
    ("Mon-Fri 09:00-18:01", (True, False, False, False)),  # one minute of evening
    ("Mon-Fri 09:00-19:00", (True, True, False, False)),   # an hour of evening
    ("Mon-Fri 17:30-18:30", (False, False, False, False)),  # 30 + 30 minutes
    ("Fri-Sat 22:00-02:00", (False, False, True, False)),  # 00:00-02:00 Sat and Sun
    ("Sun 23:30-05:00", (False, False, True, False)),      # into Monday's 00:00-05:00
    ("Sat 05:30-06:30", (False, False, False, False)),     # 30 minutes of core, 30 of day
    ("24/7", (True, True, True, True)),
    ("closed", (False, False, False, False)),
    (None, (True, False, False, False)),                   # unknown: weekday daytime
])
def test_brute_hour_bands_by_hand(hours, expected):
    assert tuple(brute_open_in_bands(hours).values()) == expected
    assert tuple(brute_open_in_bands(hours).keys()) == BANDS


def test_brute_hour_bands_agree_with_the_library_minute_counts():
    # a second method: the library's own rule on every hours text of Bedfordshire
    texts = set(sm.datasets.bedfordshire().services["hours"].dropna())
    texts |= {"Mon-Fri 09:00-18:01", "Daily 07:30-22:00", "Fri-Sat 22:00-02:00"}
    for text in texts:
        assert brute_open_in_bands(text) == parse_hours(text).open_in_band(), text
    assert brute_open_in_bands(None, unknown_hours="open") == dict.fromkeys(BANDS, True)
    assert brute_open_in_bands(None, unknown_hours="closed") == dict.fromkeys(BANDS, False)
    assert brute_open_in_bands("Mon 09:00-09:01", min_minutes=1)["weekday_daytime"]


@pytest.mark.parametrize(("groups", "lo", "hi", "group", "expected"), [
    (("adults",), 18, None, "older_people", True),         # 18+ takes in 65+
    (("adults",), 18, 64, "older_people", False),
    (("children",), 0, 19, "young_people", True),          # family hubs 0-19
    (("children",), 0, 15, "young_people", False),         # not all of 11-17
    (("young_people",), 10, 24, "adults", False),          # 24 is not all of 18+
    (("young_people",), 16, None, "young_people", True),   # listed, ages overlap
    (("young_people",), 18, None, "young_people", False),  # listed, ages do not
    (("families",), 0, None, "adults", False),             # lists no age group
    (("women",), 16, None, "women", True),
    (("adults",), 18, None, "women", False),               # targeted: only if listed
])
def test_brute_groups_served_by_ages(groups, lo, hi, group, expected):
    row = {"client_groups": groups, "min_age": lo, "max_age": pd.NA if hi is None else hi}
    assert brute_serves(row, group) is expected


def test_brute_people_of_a_group_from_the_age_columns():
    areas = aged_areas()
    columns = age_columns(areas)
    assert columns == [("pop_0_15", 0, 15), ("pop_16_64", 16, 64), ("pop_65_plus", 65, 90)]
    row = areas.iloc[0]
    for groups, share in ((["children"], 0.13), (["young_people"], 0.07),
                          (["adults"], 0.82), (["older_people"], 0.35),
                          (["young_people", "adults", "older_people"], 0.89),
                          (["children", "young_people"], 0.18), (["women"], 1.0)):
        assert age_share(row, columns, group_years(groups)) == pytest.approx(share)
    assert age_share(row, [], group_years(["adults"])) == 1.0  # no age columns


def test_brute_provision_counts_treatment_by_default():
    smap = toy_a()
    assert brute_provision(smap, "drug") == {"HUB", "YP", "EVE", "DAY"}
    assert brute_provision(smap, "drug", intervention="any") == {
        "HUB", "YP", "EVE", "DAY", "LINE", "NX"}
    assert brute_provision(smap, "drug", intervention="harm_reduction") == {"NX"}
    assert brute_provision(smap, "drug", to=["NX", "HUB"]) == {"NX", "HUB"}


def test_brute_force_toy_a_by_hand():
    brute = brute_force_gaps(toy_a())
    # per square: (client_group, hour_band, reason): (severity, counted, services,
    # remote, hours_unknown). LINE (24/7, adults and young people 16+) is the remote
    # support everywhere. Scope: young_people (YP), adults and older_people (18+
    # services); young people assessed weekday daytime and evening (YP), adults and
    # older people weekday daytime (HUB, DAY unknown), evening and weekend (EVE).
    # under_capacity: places of HUB 100 / (11 + 12 + 14 + 15) = 1.92 and YP
    # 20 / (13 + 16) = 0.69; threshold 0.5 x 120 / 135 = 0.444; EVE and DAY give none.
    expected = {}
    for k in (1, 2, 4, 5):  # HUB only: no young people's service, 9-5 for adults
        d = 10 + k
        young = "ineligible" if k == 2 else "client_group"  # YP reaches 2, not for it
        expected |= {
            # each person once, under the most fundamental reason for them
            (k, "young_people", "all", young): (0.07 * d, 0.07 * d, 1, 1, 0),
            (k, "adults", "weekday_evening", "out_of_hours"): (0.82 * d, 0.82 * d, 1, 1, 0),
            # weekends are assessed for adults and older people only: the adults' row
            # stands for the older people inside it
            (k, "adults", "weekend", "out_of_hours"): (0.82 * d, 0, 1, 1, 0),
        }
    # square 3: YP alone; adults (older people inside them) 10.66, counted there
    expected |= {(3, "adults", "all", "client_group"): (10.66, 10.66, 1, 1, 0)}
    # square 6: YP and EVE; EVE is not open in the weekday daytime
    expected |= {(6, "adults", "weekday_daytime", "out_of_hours"): (13.12, 13.12, 2, 1, 0)}
    # square 7: DAY, hours unknown: weekday daytime only, unknown out of hours; no
    # capacity, so under capacity: of the whole need 17, young people count under
    # client_group, adults under the evening, the rest (children) under capacity
    expected |= {(7, "young_people", "all", "client_group"): (1.19, 1.19, 1, 1, 0),
                 (7, "adults", "weekday_evening", "out_of_hours"): (13.94, 13.94, 1, 1, 1),
                 (7, "adults", "weekend", "out_of_hours"): (13.94, 0, 1, 1, 1),
                 (7, "all", "all", "under_capacity"): (17, 17 - 1.19 - 13.94, 1, 1, 0)}
    for k in (8, 9):  # EVE alone: evenings and Saturdays, no capacity
        d = 10 + k
        expected |= {
            (k, "young_people", "all", "client_group"): (0.07 * d, 0.07 * d, 1, 1, 0),
            (k, "adults", "weekday_daytime", "out_of_hours"): (0.82 * d, 0.82 * d, 1, 1, 0),
            (k, "all", "all", "under_capacity"): (d, 0.11 * d, 1, 1, 0),
        }
    for key, (sev, cnt, *rest) in list(expected.items()):
        expected[key] = (round(sev, 9), round(cnt, 9), *rest)
    approx_equal(rows(brute), expected)
    # nobody provides overnight, nor young people's weekends: one systemic row each,
    # people of the group with the need in the whole map (need 135), LINE beside them
    systemic = {(r.client_group, r.hour_band): (r.people, r.remote)
                for r in brute.systemic.itertuples()}
    approx_equal(systemic, {("young_people", "overnight"): (9.45, 1),
                            ("young_people", "weekend"): (9.45, 1),
                            ("adults", "overnight"): (110.7, 1)})


def test_brute_force_toy_b_by_hand():
    brute = brute_force_gaps(toy_b())
    # drug: squares 1, 4, 5 have HUB2 alone (9-5): evenings and weekends out of hours
    # for adults (the older people inside them), a row each (0.82 of the need), counted
    # on weekday_evening (alphabetically first); 2 has FAR too: no gap; 3 and 6 are
    # reached by FAR, which turns them away; 7, 8, 9 are reached by nothing. LINE2
    # takes squares 3, 6, 9 only.
    expected = {}
    for k in (1, 4, 5):
        d = 10 + k
        expected |= {(k, "adults", "weekday_evening", "out_of_hours"): (0.82 * d, 0.82 * d,
                                                                        1, 0, 0),
                     (k, "adults", "weekend", "out_of_hours"): (0.82 * d, 0, 1, 0, 0)}
    expected |= {(k, "all", "all", "ineligible"): (10 + k, 10 + k, 0, 1, 0) for k in (3, 6)}
    expected |= {(k, "all", "all", "unreachable"): (10 + k, 10 + k, 0, int(k == 9), 0)
                 for k in (7, 8, 9)}
    expected = {key: tuple(round(v, 9) for v in value) for key, value in expected.items()}
    approx_equal(rows(brute, "drug"), expected)
    # alcohol: no in-person service anywhere: every square "none", 5 people; the
    # phone line is beside squares 3, 6, 9
    approx_equal(rows(brute, "alcohol"),
                 {(k, "all", "all", "none"): (5, 5, 0, int(k in (3, 6, 9)), 0)
                  for k in range(1, 10)})
    # FAR is open daily 07:00-22:00: not overnight; nobody is
    systemic = {(r.need, r.client_group, r.hour_band): (r.people, r.remote)
                for r in brute.systemic.itertuples()}
    approx_equal(systemic, {("drug", "adults", "overnight"): (110.7, 1)})


def test_brute_force_named_groups_and_bands_have_no_systemic_rows():
    brute = brute_force_gaps(toy_a(), client_group="adults", hour_band="overnight")
    # overnight is named: every square adults serve is out of hours for adults, one
    # group, kept by name; squares 3 (YP) are adults' client_group gaps
    got = rows(brute)
    assert got[(3, "adults", "all", "client_group")][:2] == (10.66, 10.66)
    assert {key[0] for key in got if key[3] == "out_of_hours"} == {1, 2, 4, 5, 6, 7, 8, 9}
    assert {key[1:3] for key in got if key[3] == "out_of_hours"} == {
        ("adults", "overnight")}
    assert brute.systemic.empty


# -- find_gaps against the brute force --------------------------------------------------
def compare(report, brute):
    """Assert the same rows, values to 1e-9, and the same systemic gaps."""
    table = report.table
    got = pd.DataFrame({k: table[k].astype(str).to_numpy() for k in KEYS})
    for column in VALUES:
        got[column] = table[column].to_numpy(dtype=float)
    got = got.set_index(KEYS)
    expected = brute.table.set_index(KEYS)
    assert not got.index.has_duplicates
    assert not expected.index.has_duplicates
    extra = got.index.difference(expected.index)
    missing = expected.index.difference(got.index)
    assert not len(extra) and not len(missing), (
        f"{len(extra)} rows not in the brute force, such as {list(extra[:5])}; "
        f"{len(missing)} missing, such as {list(missing[:5])}")
    got = got.loc[expected.index]
    for column in VALUES:
        np.testing.assert_allclose(got[column].to_numpy(dtype=float),
                                   expected[column].to_numpy(dtype=float),
                                   rtol=0, atol=1e-9, err_msg=column)
    systemic = report.systemic
    got_s = pd.DataFrame({k: systemic[k].astype(str).to_numpy() for k in SYSTEMIC_KEYS})
    for column in SYSTEMIC_VALUES:
        got_s[column] = systemic[column].to_numpy(dtype=float)
    got_s = got_s.set_index(SYSTEMIC_KEYS).sort_index()
    expected_s = brute.systemic.set_index(SYSTEMIC_KEYS).sort_index()
    assert got_s.index.equals(expected_s.index), (list(got_s.index),
                                                  list(expected_s.index))
    for column in SYSTEMIC_VALUES:
        np.testing.assert_allclose(got_s[column].to_numpy(dtype=float),
                                   expected_s[column].to_numpy(dtype=float),
                                   rtol=0, atol=1e-9, err_msg=column)


def find_gaps(smap, **kw):
    with warnings.catch_warnings():
        # capacity left out is the notes' business here, not the comparison's
        warnings.simplefilter("ignore", sm.ServiceMapWarning)
        return sm.find_gaps(smap, **kw)


@pytest.mark.parametrize("build", [toy_a, toy_b])
def test_find_gaps_agrees_with_the_brute_force_on_toys(build):
    smap = build()
    compare(find_gaps(smap), brute_force_gaps(smap))


@pytest.mark.parametrize("kw", [{"client_group": ["adults", "young_people"]},
                                {"hour_band": "overnight"},
                                {"intervention": "any"},
                                {"to": ["EVE", "LINE"]}])
def test_find_gaps_agrees_with_the_brute_force_on_a_toy_with_options(kw):
    smap = toy_a()
    compare(find_gaps(smap, need="drug", **kw), brute_force_gaps(smap, need="drug", **kw))


def test_find_gaps_agrees_with_the_brute_force_on_bedfordshire(bedfordshire):
    brute = brute_force_gaps(bedfordshire)
    # the comparison means something only with many rows of several kinds to compare
    assert len(brute.table) > 200
    assert brute.table["reason"].nunique() >= 3
    assert (brute.table["counted"] > 0).sum() > 100
    assert len(brute.systemic) > 0
    compare(find_gaps(bedfordshire), brute)


def test_brute_force_counts_each_person_once_on_bedfordshire(bedfordshire):
    # each (area, need): no row counts a negative number, the most fundamental row
    # counts all its people, and the rows add up to at least the largest row and at
    # most the area's need, so summing counted never adds a person twice
    t = brute_force_gaps(bedfordshire).table
    need = {(c, n): float(bedfordshire.areas.at[c, f"need_{n}"])
            for c, n in zip(t["code"], t["need"], strict=True)}
    for (c, n), rows_ in t.groupby(["code", "need"]):
        assert (rows_["counted"] >= -1e-9).all()
        first = rows_.assign(rank=rows_["reason"].map(REASON_ORDER.index)).sort_values(
            ["rank", "client_group", "hour_band"]).iloc[0]
        assert abs(first["counted"] - first["severity"]) < 1e-9
        assert rows_["severity"].max() - 1e-9 <= rows_["counted"].sum() <= need[(c, n)] + 1e-9

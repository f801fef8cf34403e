"""Coverage: services and capacity reaching each area, by need, client group and hours.

Hand-worked on the 3 x 3 grid of tests/toy.py (squares 1-9, 1 km; 3, 6, 9 are LAD
E06000002). The services:

A  drug, adults 18+, Mon-Fri 09:00-17:00 (weekday daytime only), 100 places,
   1500 m from square 1's centre -> squares 1, 2, 4, 5 (0, 1000, 1000, 1414 m)
B  drug and alcohol, young people aged 11-17, Mon-Fri 17:00-21:00 (weekday daytime
   17-18 and weekday evening), 50 clients a year, outreach (reach none) in E06000002
   -> 3, 6, 9
C  drug, adults, Sat 10:00-14:00 (weekend), paused, outreach (reach none) everywhere

None lists an intervention, so each counts as drug (and alcohol) treatment, with a
note. All three are in person (outreach is); remote services are added where a test
needs them.
"""

import numpy as np
import pandas as pd
import pytest
from brute import brute_force_pairs
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import by_square, code, grid_map, service, site

import servicemap as sm
from servicemap.analysis.coverage import coverage


@pytest.fixture
def smap():
    return grid_map(
        [service("A", client_groups="adults", min_age=18, hours="Mon-Fri 09:00-17:00",
                 capacity=100, capacity_unit="places", max_distance=1500),
         service("B", needs="drug; alcohol", client_groups="young_people", min_age=11,
                 max_age=17, hours="Mon-Fri 17:00-21:00", capacity=50,
                 capacity_unit="clients_per_year", reach="none", footprint="E06000002"),
         service("C", client_groups="adults", hours="Sat 10:00-14:00", status="paused",
                 reach="none")],
        [site("A1", "A", k=1), site("B1", "B", k=9, mode="outreach"),
         site("C1", "C", k=5, mode="outreach")])


def counts(cov, **where):
    """{square: services} for the rows matching ``where``."""
    t = cov.table
    for k, v in where.items():
        t = t[t[k] == v]
    return {int(c[3:]): int(n) for c, n in t["services"].items()}


def test_by_need_reach_and_footprint(smap):
    cov = coverage(smap, by=("need",))
    # drug: A in 1, 2, 4, 5; B in 3, 6, 9; nobody in 7, 8 (C is paused)
    assert counts(cov, need="drug") == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 0, 8: 0, 9: 1}
    # alcohol: only B
    assert counts(cov, need="alcohol") == {k: int(k in (3, 6, 9)) for k in range(1, 10)}
    drug = cov.table[cov.table["need"] == "drug"]
    assert drug["capacity_places"].to_dict()[code(5)] == 100.0
    assert drug["capacity_clients_per_year"].to_dict()[code(9)] == 50.0
    assert drug["capacity_places"].to_dict()[code(9)] == 0.0


def test_every_area_for_every_combination(smap):
    cov = coverage(smap)
    # needs: drug, alcohol (services) and drug (the areas' column); groups: adults,
    # older people (an 18+ service takes in 65+), young people; bands: 4
    # -> 2 x 3 x 4 = 24 rows per area
    assert len(cov.table) == 9 * 24
    assert cov.table.index.unique().tolist() == smap.areas.index.tolist()


def test_hour_bands(smap):
    cov = coverage(smap, by=("need", "hour_band"), need="drug")
    assert counts(cov, hour_band="weekday_daytime")[1] == 1       # A
    assert counts(cov, hour_band="weekday_evening") == {k: int(k in (3, 6, 9))
                                                       for k in range(1, 10)}  # B only
    assert set(counts(cov, hour_band="overnight").values()) == {0}
    assert set(counts(cov, hour_band="weekend").values()) == {0}  # C is paused
    with_paused = coverage(smap, by=("hour_band",), status=("active", "paused"))
    assert set(counts(with_paused, hour_band="weekend").values()) == {1}  # C everywhere


def test_client_groups_and_their_ages(smap):
    cov = coverage(smap, by=("client_group",))
    assert counts(cov, client_group="adults") == {k: int(k in (1, 2, 4, 5))
                                                  for k in range(1, 10)}
    assert counts(cov, client_group="young_people") == {k: int(k in (3, 6, 9))
                                                        for k in range(1, 10)}
    # A (18+, listing adults) takes in older people's ages; B (11-17) does not
    assert counts(cov, client_group="older_people") == counts(cov, client_group="adults")


def test_a_service_whose_ages_miss_its_group_does_not_count_for_it():
    # D lists adults but takes ages 12-15: adults are 18+, so it counts for no group
    # it lists; its ages take in young people's (11-17)? no: 11 is outside
    smap = grid_map([service("D", client_groups="adults", min_age=12, max_age=15,
                             reach="none")], [site("P", "D", k=5, mode="outreach")])
    assert any(p.field == "client_groups" for p in smap.validate().warnings)
    cov = coverage(smap, by=("client_group",))
    assert set(counts(cov, client_group="adults").values()) == {0}
    assert "young_people" not in set(cov.table["client_group"])
    assert set(counts(coverage(smap, by=("need",))).values()) == {1}


def test_age_filter(smap):
    # aged 16: A (18+) is out, B (11-17) is in
    cov = coverage(smap, by=("need",), age=16)
    assert counts(cov, need="drug") == {k: int(k in (3, 6, 9)) for k in range(1, 10)}
    # aged 17 to 18: nobody takes both ages
    assert set(counts(coverage(smap, by=(), age=(17, 18))).values()) == {0}
    with pytest.raises(ValueError, match="0 <= lowest <= highest"):
        coverage(smap, age=(20, 10))


def test_unknown_hours_count_weekday_daytime_only_by_default():
    # E (outreach, everywhere) gives no hours. By default it counts in weekday daytime
    # only: the evening, overnight and weekend do not assume it open, and say so.
    smap = grid_map([service("E", reach="none")], [site("P", "E", k=5, mode="outreach")])
    cov = coverage(smap, by=("hour_band",))
    assert counts(cov, hour_band="weekday_daytime") == dict.fromkeys(range(1, 10), 1)
    for band in ("weekday_evening", "overnight", "weekend"):
        assert counts(cov, hour_band=band) == dict.fromkeys(range(1, 10), 0), band
    assert cov.attrs["unknown_hours"] == "daytime"
    assert cov.attrs["hours_unknown"] == ["E"]
    assert ("1 counted service has no opening hours: counted as open on weekdays in the "
            "daytime only; out of hours (weekday_evening, overnight, weekend) their hours "
            "are unknown, not assumed open (E).") in cov.notes
    # no hour band, nothing to say about hours
    assert coverage(smap, by=("need",)).attrs["hours_unknown"] == []
    assert set(coverage(smap, by=("hour_band",), unknown_hours="open").table[
        "services"]) == {1}
    assert set(coverage(smap, by=("hour_band",), unknown_hours="closed").table[
        "services"]) == {0}
    with pytest.raises(ValueError, match="unknown_hours='shut': choose 'daytime'"):
        coverage(smap, unknown_hours="shut")


def test_unknown_hours_in_the_evening_beside_a_service_open_then():
    # A (hours known, Mon-Fri 17:00-21:00: 3 hours of the 18:00-22:00 evening band)
    # and U (no hours) both reach every square. Evening: A alone, 1; daytime: A (the
    # hour 17:00-18:00 of the 08:00-18:00 band) and U, 2.
    smap = grid_map([service("A", reach="none", hours="Mon-Fri 17:00-21:00"),
                     service("U", reach="none")],
                    [site("P", "A; U", k=5, mode="outreach")])
    cov = coverage(smap, by=("hour_band",))
    assert set(counts(cov, hour_band="weekday_evening").values()) == {1}
    assert set(counts(cov, hour_band="weekday_daytime").values()) == {2}
    why = cov.explain(code(1))
    assert why.loc["U", "counts_for"] == ("weekday_daytime",)
    assert why.loc["A", "counts_for"] == ("weekday_daytime", "weekday_evening")


def test_threshold_override(smap):
    # 2100 m from square 1 adds squares 3 and 7 for A
    cov = coverage(smap, by=("need",), need="drug", max_distance=2100)
    assert counts(cov)[7] == 1 and counts(cov)[8] == 0


def test_wide_and_summary(smap):
    cov = coverage(smap, by=("need", "client_group"))
    wide = cov.wide()
    assert wide.index.equals(smap.areas.index)
    assert wide.loc[code(1), "drug|adults"] == 1
    assert wide.loc[code(9), "alcohol|young_people"] == 1
    summary = cov.summary()
    # drug for adults: squares 1, 2, 4, 5 with populations 1100, 1200, 1400, 1500
    row = summary.loc[("drug", "adults")]
    assert row["areas_reached"] == 4
    assert row["population_reached"] == 1100 + 1200 + 1400 + 1500
    total = sum(1000 + 100 * k for k in range(1, 10))
    assert row["share_of_population"] == pytest.approx(5200 / total)
    with pytest.raises(ValueError, match="choose one of services"):
        cov.wide("need")


def test_bad_arguments(smap):
    with pytest.raises(ValueError, match="choose distinct dimensions"):
        coverage(smap, by=("need", "postcode"))
    with pytest.raises(ValueError, match="Did you mean 'need'"):
        coverage(smap, by=("needs",))
    with pytest.raises(ValueError, match="need='drugs'.*drug"):
        coverage(smap, need="drugs")
    with pytest.raises(ValueError, match="status='closed'"):
        coverage(smap, status=("closed",))


def test_bedfordshire_agrees_with_a_brute_force_sjoin():
    smap = sm.datasets.bedfordshire()
    cov = coverage(smap, by=("need",))
    pairs = brute_force_pairs(smap).reset_index()
    services = smap.services
    active = services.index[services["status"] == "active"]
    pairs = pairs[pairs["service"].isin(active)]
    # in person: some site of the service is in person or outreach (from the sites)
    sites = smap.sites.explode("services")
    # remote: a phone or online site and none in person; a service with no site is
    # neither, and not counted
    present = set(sites.loc[sites["mode"].isin(["in_person", "outreach"]), "services"])
    calls = set(sites.loc[sites["mode"].isin(["phone", "online"]), "services"]) - present
    pairs = pairs.assign(in_person=pairs["service"].isin(present),
                         remote=pairs["service"].isin(calls))
    pairs = pairs.join(services["needs"], on="service").explode("needs")
    got = cov.table.reset_index().set_index(["code", "need"])
    got.index = got.index.set_names(["area", "needs"])
    assert any("with no site" in n for n in cov.notes)
    for column, which in (("services", pairs["in_person"]),
                          ("remote_services", pairs["remote"])):
        expected = pairs[which].groupby(["area", "needs"]).size()
        ours = got[column][got[column] > 0]
        expected = expected.reindex(ours.index.union(expected.index), fill_value=0)
        ours = ours.reindex(expected.index, fill_value=0)
        assert int(expected.sum()) > 100, column
        np.testing.assert_array_equal(ours.to_numpy(), expected.to_numpy())
    # capacity in places for drug, in person, summed by hand from the pairs
    places = pairs[(pairs["needs"] == "drug") & pairs["in_person"]].join(
        services[["capacity", "capacity_unit"]], on="service")
    places = places[places["capacity_unit"] == "places"].groupby("area")["capacity"].sum()
    drug = cov.table[cov.table["need"] == "drug"]["capacity_places"]
    drug.index = drug.index.astype(str)
    pd.testing.assert_series_equal(drug[drug > 0].sort_index(),
                                   places[places > 0].sort_index(),
                                   check_names=False, check_index_type=False)


@settings(max_examples=20, deadline=None)
@given(st.floats(300, 3500), st.floats(300, 3500))
def test_coverage_never_falls_as_the_cut_off_grows(smap_a, smap_b):
    lo, hi = sorted((smap_a, smap_b))
    smap = grid_map([service("A", max_distance=1500, hours="Mon-Fri 09:00-17:00"),
                     service("B", needs="alcohol", max_distance=1000, footprint="E06000001",
                             hours="24/7")],
                    [site("A1", "A", k=1), site("B1", "B", k=5), site("B2", "B", k=9)])
    small = coverage(smap, max_distance=lo).table["services"].to_numpy()
    big = coverage(smap, max_distance=hi).table["services"].to_numpy()
    assert (small <= big).all()


def test_one_string_is_one_dimension_or_status(smap):
    assert coverage(smap, by="need").by == ("need",)
    assert coverage(smap, by="hour_band", status="paused").attrs["services_counted"] == 1


def test_filters_never_change_the_shape(smap):
    # nothing meets alcohol for adults: still a row per area, all zeros
    cov = coverage(smap, by=("need", "client_group"), need="alcohol", client_group="adults")
    assert len(cov.table) == 9 and set(cov.table["services"]) == {0}
    # only paused services counted: every level of every dimension is still there
    paused = coverage(smap, status="paused")
    assert len(paused.table) == len(coverage(smap).table)


def test_services_without_capacity_are_listed(smap):
    cov = coverage(smap, status=("active", "paused"))
    assert cov.attrs["no_capacity"] == ["C"]


def test_wide_is_the_table_reshaped(smap):
    cov = coverage(smap)
    wide = cov.wide()
    t = cov.table
    row = t[(t["need"] == "alcohol") & (t["client_group"] == "young_people")
            & (t["hour_band"] == "weekday_evening")]["services"]
    assert wide["alcohol|young_people|weekday_evening"].tolist() == row.tolist()
    assert wide.shape == (9, 24)


# -- the report: notes, summary, explain, plot ------------------------------------------
def test_notes_say_what_was_assumed_and_left_out(smap):
    cov = coverage(smap, status=("active", "paused"))
    # C is paused and gives no capacity; every service has hours
    assert cov.notes == ["1 counted service has no capacity: counted in services, adding "
                         "nothing to capacity (C)."]
    hourless = grid_map([service("E", reach="none")], [site("P", "E", mode="phone")])
    assert coverage(hourless, by=("hour_band",)).notes == [
        "1 counted service is remote (phone or online only): support, not reach. It is "
        "counted in remote_services, not in services or capacity (E).",
        "1 counted service has no opening hours: counted as open on weekdays in the "
        "daytime only; out of hours (weekday_evening, overnight, weekend) their hours "
        "are unknown, not assumed open (E)."]
    assert isinstance(cov, sm.analysis._report.Report)


def test_summary_by_need_and_lad_by_hand(smap):
    cov = coverage(smap, by=("need",))
    out = cov.summary(["need", "lad"], suppress=None)
    # LAD E06000001 is squares 1, 2, 4, 5, 7, 8 (people 1000 + 100 k); E06000002 3, 6, 9.
    # drug: A reaches 1, 2, 4, 5 and B 3, 6, 9; alcohol: B only
    row = out.loc[("drug", "E06000001")]
    assert (row["areas"], row["areas_reached"]) == (6, 4)
    assert row["population"] == 1100 + 1200 + 1400 + 1500 + 1700 + 1800
    assert row["population_reached"] == 1100 + 1200 + 1400 + 1500
    assert row["share_of_population"] == pytest.approx(5200 / 8700)
    assert out.loc[("drug", "E06000002"), "population_reached"] == 1300 + 1600 + 1900
    assert out.loc[("alcohol", "E06000001"), "areas_reached"] == 0
    # by LAD alone: reached when reached for some need
    by_lad = cov.summary("lad", suppress=None)
    assert by_lad["areas_reached"].tolist() == [4, 3]
    published = cov.summary(["need", "lad"])
    assert published["population_reached"].dtype == "Int64"
    assert published["population_reached"].tolist() == [5200, 4800, 0, 4800]


def test_summary_hides_small_counts_of_people(smap):
    areas = smap.areas.reset_index()
    areas.loc[0, "population"] = 3  # square 1, reached by A alone among adults' services
    small = grid_map([service("A", client_groups="adults", min_age=18, max_distance=400,
                              hours="Mon-Fri 09:00-17:00")],
                     [site("A1", "A", k=1)], areas=areas)
    cov = coverage(small, by=("need",))
    assert cov.summary(suppress=None).loc["drug", "population_reached"] == 3
    out = cov.summary()
    assert out.loc["drug", "population_reached"] is pd.NA
    assert np.isnan(out.loc["drug", "share_of_population"])
    with pytest.raises(ValueError, match="by='ladd'.*Did you mean 'lad_code'"):
        cov.summary("ladd")


def test_explain_lists_the_services_counted_per_combination(smap):
    cov = coverage(smap)
    why = cov.explain(code(5))
    # A reaches square 5 (1414 m) for drug, adults, weekday daytime only
    assert why.loc["A", "counts_for"] == ("drug|adults|weekday_daytime",
                                          "drug|older_people|weekday_daytime")
    assert why.loc["A", "cost"] == pytest.approx(1000 * np.sqrt(2))
    assert why.loc["B", "why"] == "its footprint (E06000002) does not take in this area"
    assert why.loc["C", "why"] == "status paused"
    assert why.index.tolist()[0] == "A" and why["counts"].tolist() == [True, False, False]
    far = cov.explain(code(9))
    assert far.loc["A", "why"] == "too far: 2.8 km, 1.3 km beyond its 1.5 km"
    assert far.loc["B", "counts_for"] == (
        "drug|young_people|weekday_daytime", "drug|young_people|weekday_evening",
        "alcohol|young_people|weekday_daytime", "alcohol|young_people|weekday_evening")
    assert far.attrs["headline"].startswith(f"{code(9)} (")
    # every area: the services counted per combination are the table's counts
    wide = cov.wide()
    for k in range(1, 10):
        labels = cov.explain(code(k))["counts_for"].explode().dropna().value_counts()
        assert labels.reindex(wide.columns, fill_value=0).tolist() == \
            wide.loc[code(k)].tolist()
    with pytest.raises(KeyError, match="'E99' is not an area of this report"):
        cov.explain("E99")


def test_explain_says_which_filter_left_a_service_out(smap):
    cov = coverage(smap, by=("need",), need="alcohol", age=16)
    why = cov.explain(code(1))
    assert why.loc["A", "why"] == "ages 18-inf do not take in 16-16"
    assert why.loc["B", "why"] == "its footprint (E06000002) does not take in this area"
    drug_only = coverage(smap, by=("need",), need="alcohol").explain(code(1))
    assert drug_only.loc["A", "why"] == "meets none of the needs counted (alcohol)"


def test_plot_maps_one_combination(smap):
    import matplotlib.pyplot as plt

    cov = coverage(smap, by=("need", "hour_band"))
    ax = cov.plot(need="drug", hour_band="weekday_evening")
    try:
        assert ax.get_title() == "Services reaching each area: drug, weekday_evening"
        [polys] = ax.collections
        colours = polys.get_facecolors()
        top, bottom = plt.get_cmap("YlOrRd")(1.0), plt.get_cmap("YlOrRd")(0.0)
        # B alone reaches squares 3, 6, 9 in the evening
        assert [bool(np.allclose(c, top)) for c in colours] == [
            k in (3, 6, 9) for k in range(1, 10)]
        assert np.allclose(colours[0], bottom)
    finally:
        plt.close("all")
    with pytest.raises(ValueError, match="need='drugs'.*Did you mean 'drug'"):
        cov.plot(need="drugs")
    with pytest.raises(ValueError, match="no client_group dimension"):
        cov.plot(client_group="adults")


def test_html_is_escaped(smap):
    cov = coverage(smap, by=("need",))
    html = cov._repr_html_()
    assert "&lt;Coverage: 9 areas" in html and "<Coverage" not in html


# -- provision for the question, remote support apart ----------------------------------
@pytest.fixture
def line():
    """A: drug treatment (psychosocial), Mon-Fri 09:00-17:00, 100 places, 1500 m from
    square 1 (squares 1, 2, 4, 5). R: a 24/7 phone line offering psychosocial support
    (treatment by kind) to every square, 1000 places: remote."""
    return grid_map(
        [service("A", interventions="psychosocial", hours="Mon-Fri 09:00-17:00",
                 capacity=100, capacity_unit="places", max_distance=1500),
         service("R", interventions="psychosocial", hours="24/7", capacity=1000,
                 capacity_unit="places", reach="none")],
        [site("A1", "A", k=1), site("R1", "R", mode="phone")])


def test_a_remote_line_never_covers_an_area_and_is_reported(line):
    cov = coverage(line, by=("need", "hour_band"), need="drug")
    near = {k: int(k in (1, 2, 4, 5)) for k in range(1, 10)}
    assert counts(cov, hour_band="weekday_daytime") == near           # A alone
    for band in ("weekday_evening", "overnight", "weekend"):
        assert counts(cov, hour_band=band) == dict.fromkeys(range(1, 10), 0), band
    t = cov.table
    # R is open in every band and takes every square: counted apart, every row 1
    assert set(t["remote_services"]) == {1}
    # capacity in person only: A's 100 places in squares 1, 2, 4, 5, never R's 1000
    day = t[t["hour_band"] == "weekday_daytime"]["capacity_places"]
    assert by_square(day) == {k: 100.0 * near[k] for k in range(1, 10)}
    assert t["capacity_places"].max() == 100.0
    assert cov.attrs["remote"] == ["R"]
    summary = cov.summary(suppress=None)
    # daytime: 4 squares reached in person, the other 5 by the line alone; overnight 0
    assert summary.loc[("drug", "weekday_daytime"), ["areas_reached",
                                                     "areas_remote_only"]].tolist() == [4, 5]
    assert summary.loc[("drug", "overnight"), ["areas_reached",
                                               "areas_remote_only"]].tolist() == [0, 9]
    why = cov.explain(code(9))
    assert not why.loc["R", "counts"] and why.loc["R", "counts_for"] == ()
    assert why.loc["R", "remote_for"] == ("drug|weekday_daytime", "drug|weekday_evening",
                                          "drug|overnight", "drug|weekend")
    assert why.loc["R", "why"] == ("remote (phone or online only): support, not reach; in "
                                   "remote_services for 4 combinations")
    assert why.attrs["headline"] == (
        f"{code(9)} (Square 9): 0 services counted in person, reaching it for 0 of 4 "
        "combinations of need, hour_band; 1 remote service (phone or online only) takes "
        "it too, counted apart; 1 others do not count here.")
    # the remote column, as a map
    assert cov.wide("remote_services").eq(1).all().all()


@pytest.fixture
def harm():
    """A: drug treatment (psychosocial), 1500 m from square 1 (squares 1, 2, 4, 5).
    N: take-home naloxone, outreach everywhere. U: drug, no intervention listed,
    outreach in LAD E06000002 (squares 3, 6, 9)."""
    return grid_map(
        [service("A", interventions="psychosocial", max_distance=1500),
         service("N", interventions="naloxone", reach="none"),
         service("U", reach="none", footprint="E06000002")],
        [site("A1", "A", k=1), site("N1", "N", k=5, mode="outreach"),
         site("U1", "U", k=9, mode="outreach")])


def test_drug_provision_is_treatment_by_default(harm):
    cov = coverage(harm, by=("need",), need="drug")
    # A in 1, 2, 4, 5 and U (no known intervention: counted, with a note) in 3, 6, 9;
    # N (naloxone only) is harm reduction, not treatment: square 7 and 8 have nothing
    assert counts(cov) == {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 0, 8: 0, 9: 1}
    assert cov.attrs["provision"] == "drug treatment"
    assert cov.notes[0] == ("1 service for drug lists no intervention of a known kind "
                            "(U): counted as drug treatment. List their interventions to "
                            "tell treatment from the rest.")
    why = cov.explain(code(7))
    assert why.loc["N", "why"] == "not counted as drug treatment (offers naloxone)"
    # "any": every service listing drug, so N adds one everywhere
    anything = coverage(harm, by=("need",), need="drug", intervention="any")
    assert counts(anything) == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 1, 8: 1, 9: 2}
    # harm reduction by kind, or naloxone by term: N alone, everywhere
    for asked in ("harm_reduction", "naloxone"):
        narrow = coverage(harm, by=("need",), need="drug", intervention=asked)
        assert counts(narrow) == dict.fromkeys(range(1, 10), 1), asked
    # to= names the services outright
    assert counts(coverage(harm, by=(), need="drug", to="N")) == dict.fromkeys(range(1, 10), 1)


def test_without_need_every_service_counts_and_intervention_narrows(harm):
    # no need=: every service for each need it lists, as before (A + N + U)
    every = coverage(harm, by=("need",))
    assert counts(every) == {1: 2, 2: 2, 3: 2, 4: 2, 5: 2, 6: 2, 7: 1, 8: 1, 9: 2}
    assert every.attrs["provision"] == "every service"
    # a kind narrows it: A alone offers treatment (U lists nothing, so it is out)
    treated = coverage(harm, by=("need",), intervention="treatment")
    assert counts(treated) == {k: int(k in (1, 2, 4, 5)) for k in range(1, 10)}
    assert treated.attrs["provision"] == "services offering treatment"
    assert treated.explain(code(9)).loc["U", "why"] == (
        "not counted as services offering treatment (offers no intervention listed)")
    with pytest.raises(ValueError, match="intervention='cure'"):
        coverage(harm, intervention="cure")
    with pytest.raises(ValueError, match="to='X': no such service"):
        coverage(harm, need="drug", to="X")

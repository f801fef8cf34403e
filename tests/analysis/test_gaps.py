"""Gaps: each reason made by a hand-built 1 km grid, explained, and totals reconciled.

The grid (tests/toy.py): 3 x 3 squares of 1 km, square k (1..9, row by row from the
south-west) with need_drug = 10 + k, so the map's need is 11 + ... + 19 = 135.
Squares 1, 2, 4, 5, 7, 8 are LAD E06000001; 3, 6, 9 are E06000002. From a site at
square 1's centre: squares 2 and 4 are 1000 m, 5 is 1414 m, 3 and 7 are 2000 m, 6 and
8 are 2236 m, 9 is 2828 m.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from toy import NEED, code, grid_areas, grid_map, service, site

import servicemap as sm
from servicemap.analysis.gaps import REASONS


def gaps_of(report):
    """{(square, group, band): reason} of a report's table."""
    t = report.table
    return {(int(c[3:]), g, b): r for c, g, b, r in
            zip(t["code"], t["client_group"], t["hour_band"], t["reason"], strict=True)}


def in_gaps(report):
    return float(report.totals()["need_in_gaps"].sum())


def test_none_no_service_for_the_need_anywhere():
    smap = grid_map([service("S", needs="alcohol", max_distance=1500)], [site("A", "S", k=1)])
    report = sm.find_gaps(smap, need="drug")
    assert gaps_of(report) == {(k, "all", "all"): "none" for k in range(1, 10)}
    assert in_gaps(report) == 135.0
    why = report.explain(0)
    assert len(why) == 0
    assert "no in-person drug treatment anywhere in the map" in why.attrs["headline"]


def test_unreachable_and_the_explanation_gives_the_shortfall():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    report = sm.find_gaps(smap, need="drug")
    assert gaps_of(report) == {(k, "all", "all"): "unreachable" for k in (3, 6, 7, 8, 9)}
    # ranked by severity: square 9 (19 people) first
    assert report.table["code"].tolist() == [code(k) for k in (9, 8, 7, 6, 3)]
    assert report.table["severity"].tolist() == [19.0, 18.0, 17.0, 16.0, 13.0]
    why = report.explain(0)
    # 2828.4 m from square 1 to square 9, 1328.4 m beyond 1500 m
    assert why.loc["S", "why"] == "too far: 2.8 km, 1.3 km beyond its 1.5 km"
    assert why.loc["S", "cost"] == pytest.approx(2000 * np.sqrt(2))
    assert not why.loc["S", "counts"]
    t = report.totals().loc["drug"]
    assert (t["need_in_gaps"], t["need_covered"], t["need_total"]) == (83.0, 52.0, 135.0)


def test_areas_with_no_need_are_never_gaps():
    areas = grid_areas()
    areas.loc[areas["code"] == code(9), "need_drug"] = 0.0
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)], areas=areas)
    report = sm.find_gaps(smap, need="drug")
    assert code(9) not in set(report.table["code"])
    assert in_gaps(report) == 13 + 16 + 17 + 18


def test_ineligible_the_cross_boundary_case():
    # from square 2's centre, 1100 m reaches 1, 2, 3 and 5; the footprint E06000001
    # turns square 3 away; 4, 6, 7, 8, 9 are out of reach
    smap = grid_map([service("S", max_distance=1100, footprint="E06000001")],
                    [site("A", "S", k=2)])
    got = gaps_of(sm.find_gaps(smap, need="drug"))
    assert got == {(3, "all", "all"): "ineligible",
                   **{(k, "all", "all"): "unreachable" for k in (4, 6, 7, 8, 9)}}
    report = sm.find_gaps(smap, need="drug")
    i = report.table.index[report.table["code"] == code(3)][0]
    why = report.explain(i)
    assert why.loc["S", "why"] == "its footprint (E06000001) does not take in this area"
    assert "footprints turn its residents away" in why.attrs["headline"]


def test_client_group_and_ages():
    # A: adults at square 1; B: young people 11-17 at square 9; C lists young people
    # but takes ages 30-40 only, at square 1, so it serves no young person
    smap = grid_map([service("A", max_distance=1500),
                     service("B", client_groups="young_people", min_age=11, max_age=17,
                             max_distance=1500),
                     service("C", client_groups="young_people", min_age=30, max_age=40,
                             max_distance=1500)],
                    [site("SA", "A", k=1), site("SB", "B", k=9), site("SC", "C", k=1)])
    report = sm.find_gaps(smap, need="drug")
    # A reaches 1, 2, 4, 5; B reaches 5, 6, 8, 9; nothing reaches 3 or 7
    assert gaps_of(report) == {
        (1, "young_people", "all"): "client_group",
        (2, "young_people", "all"): "client_group",
        (4, "young_people", "all"): "client_group",
        (6, "adults", "all"): "client_group",
        (8, "adults", "all"): "client_group",
        (9, "adults", "all"): "client_group",
        (3, "all", "all"): "unreachable",
        (7, "all", "all"): "unreachable",
    }
    i = report.table.index[report.table["code"] == code(1)][0]
    why = report.explain(i)
    assert why.loc["C", "why"] == "not for young_people: for young_people, ages 30-40"
    assert why.loc["A", "why"] == "not for young_people: for adults"
    assert why.loc["B", "why"] == "too far: 2.8 km, 1.3 km beyond its 1.5 km"


def test_client_group_footprint_for_the_group_is_ineligible():
    # B for young people reaches square 2 but only takes E06000002's residents
    smap = grid_map([service("A", max_distance=1500),
                     service("B", client_groups="young_people", max_distance=1100,
                             footprint="E06000002")],
                    [site("SA", "A", k=1), site("SB", "B", k=3)])
    got = gaps_of(sm.find_gaps(smap, need="drug"))
    assert got[(2, "young_people", "all")] == "ineligible"
    assert got[(1, "young_people", "all")] == "client_group"
    assert (3, "young_people", "all") not in got and (3, "adults", "all") in got


def test_out_of_hours():
    smap = grid_map([service("A", max_distance=1500, hours="Mon-Fri 09:00-17:00"),
                     service("D", max_distance=1500, hours="Sat 10:00-14:00")],
                    [site("SA", "A", k=1), site("SD", "D", k=9)])
    report = sm.find_gaps(smap, need="drug")
    got = gaps_of(report)
    # only weekday daytime and weekend are assessed: nobody opens evenings or nights
    assert got == {
        (1, "adults", "weekend"): "out_of_hours",
        (2, "adults", "weekend"): "out_of_hours",
        (4, "adults", "weekend"): "out_of_hours",
        (6, "adults", "weekday_daytime"): "out_of_hours",
        (8, "adults", "weekday_daytime"): "out_of_hours",
        (9, "adults", "weekday_daytime"): "out_of_hours",
        (3, "all", "all"): "unreachable",
        (7, "all", "all"): "unreachable",
    }
    assert report.attrs["hour_band"]["drug"] == ["weekday_daytime", "weekend"]
    # evenings and nights are nobody's, anywhere: systemic, once, not per area (older
    # people's are inside the adults' row)
    assert report.systemic[["client_group", "hour_band"]].values.tolist() == [
        ["adults", "weekday_evening"], ["adults", "overnight"]]
    assert report.systemic["people"].tolist() == [135.0, 135.0]  # no ages: all need
    assert any("systemic gaps" in n for n in report.notes)
    i = report.table.index[(report.table["code"] == code(1))][0]
    why = report.explain(i)
    assert why.loc["A", "why"] == "closed weekend: open Mon-Fri 09:00-17:00"
    assert why.index[0] == "A"  # one reason against it, nearer than D's two
    # naming the band assesses it everywhere reached
    evening = sm.find_gaps(smap, need="drug", hour_band="weekday_evening")
    assert set(evening.table["reason"]) == {"out_of_hours", "unreachable"}
    assert len(evening.table) == 9


def test_under_capacity_by_hand():
    # A: 10 places at square 1, reaching 1, 2, 4, 5 (need 52): ratio 10/52 = 0.1923
    # B: 100 places at square 9, reaching 5, 6, 8, 9 (need 68): ratio 100/68 = 1.4706
    # access: 1, 2, 4 -> 0.1923; 5 -> 1.6629; 6, 8, 9 -> 1.4706
    # map-wide ratio 110/135 = 0.8148; half of it 0.4074: 1, 2, 4 fall short
    smap = grid_map([service("A", max_distance=1500, capacity=10, capacity_unit="places"),
                     service("B", max_distance=1500, capacity=100, capacity_unit="places")],
                    [site("SA", "A", k=1), site("SB", "B", k=9)])
    report = sm.find_gaps(smap, need="drug")
    assert gaps_of(report) == {**{(k, "all", "all"): "under_capacity" for k in (1, 2, 4)},
                               **{(k, "all", "all"): "unreachable" for k in (3, 7)}}
    assert report.attrs["min_access"]["drug"] == pytest.approx(0.5 * 110 / 135)
    t = report.totals().loc["drug"]
    assert (t["need_in_gaps"], t["need_covered"]) == (37 + 30, 68.0)
    i = report.table.index[report.table["code"] == code(1)][0]
    why = report.explain(i)
    assert why.loc["A", "why"] == ("counts; its 10 places are shared among 52 people "
                                   "with the need within its reach")
    assert "0.192 places per person in need, below the threshold of 0.407" in (
        why.attrs["headline"])
    # an absolute threshold, and a share above the best area's access
    assert "under_capacity" not in set(
        sm.find_gaps(smap, need="drug", min_access=0.1).table["reason"])
    high = sm.find_gaps(smap, need="drug", capacity_share=2.0)  # 1.6296
    assert {int(c[3:]) for c in high.table["code"][high.table["reason"]
                                                   == "under_capacity"]} == {1, 2, 4, 6, 8, 9}


def test_capacity_in_other_units_is_left_out_and_said():
    smap = grid_map([service("A", max_distance=1500, capacity=10, capacity_unit="places"),
                     service("B", max_distance=1500, capacity=5,
                             capacity_unit="clients_per_year"),
                     service("C", max_distance=1500, capacity=9, capacity_unit="places")],
                    [site("SA", "A", k=1), site("SB", "B", k=9), site("SC", "C", k=9)])
    report = sm.find_gaps(smap, need="drug")
    assert report.attrs["capacity_unit"]["drug"] == "places"  # 2 of 3 services
    assert any("B (capacity in clients_per_year, not places)" in n for n in report.notes)
    other = sm.find_gaps(smap, need="drug", capacity_unit="clients_per_year")
    assert other.attrs["capacity_unit"]["drug"] == "clients_per_year"


def test_sensitivity_moves_with_the_threshold():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    report = sm.find_gaps(smap, need="drug", max_distance=[1100, 1500, 3000])
    s = report.sensitivity
    # 1100 m reaches 1, 2, 4: gaps 3, 5, 6, 7, 8, 9 = 98; 1500 m: 83; 3000 m: none
    assert s["need_in_gaps"].tolist() == [98.0, 83.0, 0.0]
    assert s["areas_in_gaps"].tolist() == [6, 5, 0]
    assert s["unreachable"].tolist() == [98.0, 83.0, 0.0]
    assert s.index.names == ["max_distance", "need"]
    # the table is for the first threshold
    assert len(report.table) == 6 and report.attrs["max_distance"] == 1100
    with pytest.raises(ValueError, match="not both"):
        sm.find_gaps(smap, max_distance=[1, 2], max_minutes=[3, 4])


def test_summary_counts_each_area_once_and_suppresses_small_counts():
    areas = grid_areas()
    areas["need_drug"] = [3.0, 2.0, 4.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
    smap = grid_map([service("A", max_distance=1500, capacity=10, capacity_unit="places",
                             hours="Mon-Fri 09:00-17:00"),
                     service("D", max_distance=1500, hours="Sat 10:00-14:00")],
                    [site("SA", "A", k=1), site("SD", "D", k=9)], areas=areas)
    report = sm.find_gaps(smap, need="drug")
    raw = report.summary(suppress=None)
    # headline rows: unreachable 3 (4) and 7 (70); out_of_hours: 1, 2, 4, 6, 8, 9
    assert raw.loc["unreachable", "need_in_gaps"] == 74.0
    assert raw.loc["total", "need_in_gaps"] == raw["need_in_gaps"].iloc[:-1].sum()
    assert raw.loc["total", "areas"] == 8
    by_lad = report.summary("lad", suppress=None)
    # E06000001: squares 1, 2, 4, 7, 8 = 3 + 2 + 40 + 70 + 80; E06000002: 3, 6, 9
    assert by_lad["need_in_gaps"].tolist() == [195.0, 154.0, 349.0]
    # a small group is hidden with its smallest neighbour
    tiny = report.summary(["lad", "client_group"], suppress=130)
    assert tiny["need_in_gaps"].isna().sum() >= 2
    with pytest.raises(ValueError, match="by='ladd'"):
        report.summary("ladd")


def test_summary_hides_a_small_count_and_protects_it():
    areas = grid_areas()
    areas["need_drug"] = [1.0, 0, 0, 0, 0, 0, 0, 0, 0]  # one person, in square 1
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=9)], areas=areas)
    out = sm.find_gaps(smap, need="drug").summary()
    assert out["need_in_gaps"].isna().all()  # 1 person: hidden, total too


def test_reasons_vocabulary():
    assert REASONS[-1] == "pathway"
    assert REASONS == ("none", "unreachable", "ineligible", "client_group",
                       "out_of_hours", "under_capacity", "pathway")


def test_bad_arguments_are_named():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    with pytest.raises(ValueError, match="need='drugs'"):
        sm.find_gaps(smap, need="drugs")
    with pytest.raises(ValueError, match="no column need_alcohol"):
        sm.find_gaps(smap, need="alcohol")
    with pytest.raises(ValueError, match="hour_band='evening'"):
        sm.find_gaps(smap, hour_band="evening")
    with pytest.raises(ValueError, match="capacity_share=-1"):
        sm.find_gaps(smap, capacity_share=-1)
    with pytest.raises(KeyError, match="99 is not a gap of this report"):
        sm.find_gaps(smap).explain(99)


def test_bedfordshire_reconciles_with_coverage_and_accessibility(bedfordshire):
    """The areas covered, worked out from coverage() and accessibility(), are exactly
    the areas with need and no gap; in gaps + beside them + covered = total."""
    smap = bedfordshire
    report = sm.find_gaps(smap)
    for need in report.attrs["need"]:
        scope = report.attrs["scope"][need]
        cov = sm.coverage(smap, need=need, client_group=list(scope)).table
        cov = cov[cov["need"] == need]
        served = pd.Series(True, index=smap.areas.index)
        for group, bands in scope.items():
            mine = cov[cov["client_group"] == group]
            any_band = mine.groupby(level="code", observed=True)["services"].max() > 0
            served &= any_band.reindex(served.index, fill_value=False)
            for band in bands:
                open_then = mine[mine["hour_band"] == band]["services"] > 0
                served &= open_then.reindex(served.index, fill_value=False)
        unit = report.attrs["capacity_unit"][need]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sm.ServiceMapWarning)  # no capacity given
            acc = sm.accessibility(smap, need=need, capacity_unit=unit)
        enough = acc.table["access"] >= report.attrs["min_access"][need]
        demand = smap.areas[f"need_{need}"]
        covered = served & enough
        in_gaps = report.table.loc[report.table["need"] == need, "code"].unique()
        # every area with need is either covered or has a gap, never both
        with_need = demand[demand > 0].index
        assert set(in_gaps) == set(with_need[~covered.loc[with_need]])
        t = report.totals().loc[need]
        assert t["need_covered"] == pytest.approx(demand[covered].sum())
        assert t["need_in_gaps"] + t["need_beside_gaps"] == pytest.approx(
            demand[~covered].sum())


def test_bedfordshire_report_reads_well(bedfordshire):
    report = sm.find_gaps(bedfordshire)
    t = report.table
    assert t["severity"].is_monotonic_decreasing
    assert (t["severity"] > 0).all()
    # each person once: an area's rows add up to at most its need, at least its
    # largest row
    per = t.groupby(["code", "need"], observed=True).agg(
        counted=("counted", "sum"), largest=("severity", "max"))
    need = [bedfordshire.areas.at[c, f"need_{n}"] for c, n in per.index]
    assert (per["counted"] <= np.array(need) + 1e-9).all()
    assert (per["counted"] >= per["largest"] - 1e-9).all()
    assert list(t.columns) == [
        "code", "name", "lad_code", "lad_name", "msoa_code", "msoa_name",
        "imd_decile", "population", "need", "client_group", "hour_band", "reason",
        "severity", "counted", "services", "remote", "hours_unknown"]
    assert repr(report).startswith("<GapReport: ")
    summary = report.summary("imd_decile", suppress=None)
    assert summary.loc["total", "need_in_gaps"] == pytest.approx(
        report.totals()["need_in_gaps"].sum())
    by_partnership = report.summary("partnership", suppress=None)
    assert by_partnership.loc["total", "need_in_gaps"] == pytest.approx(
        report.totals()["need_in_gaps"].sum())
    assert by_partnership.loc["beds-pcc-area", "need_in_gaps"] == pytest.approx(
        by_partnership.loc["total", "need_in_gaps"])  # the PCC area is all three LADs
    assert isinstance(report.summary(), pd.DataFrame)


def test_plot_draws_severity_and_reasons():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    smap = grid_map([service("A", max_distance=1100, footprint="E06000001")],
                    [site("SA", "A", k=2)])
    report = sm.find_gaps(smap, need="drug")
    # reached: 1, 2, 5 (no gap); 3 ineligible; 4, 6, 7, 8, 9 unreachable
    ax = report.plot()
    try:
        assert ax.get_title() == "People with a drug need in gaps, by reason"
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == ["no gap", "unreachable", "ineligible"]
        # one colour bar labelled with what is shown, spanning 13 (square 3) to 19
        bar = ax.figure.axes[-1]
        assert bar.get_ylabel() == "people in need in gaps"
        assert bar.get_ylim() == pytest.approx((13.0, 19.0))
        hatched = [c for c in ax.collections if c.get_hatch()]
        assert sum(len(c.get_paths()) for c in hatched) == 6  # the six gap squares
    finally:
        plt.close("all")
    with pytest.raises(ValueError, match="need='alcohol'"):
        report.plot(need="alcohol")


def test_pathway_no_chain_of_referrals_from_the_entry():
    # T (drug) reaches squares 1, 2, 4, 5 (1500 m from square 1). The police refer
    # only through A (housing), which reaches squares 5, 6, 8, 9 (1500 m from 9).
    # Squares 3, 6, 7, 8, 9: unreachable. Squares 1, 2, 4: T takes them, but no chain
    # from the police reaches T there: pathway. Square 5 is covered.
    smap = grid_map([service("T", max_distance=1500),
                     service("A", needs="housing", max_distance=1500)],
                    [site("ST", "T", k=1), site("SA", "A", k=9)],
                    pathways=[{"id": "P1", "from_entry": "police_vulnerable_persons",
                               "to_service": "A"},
                              {"id": "P2", "from_service": "A", "to_service": "T"}])
    plain = sm.find_gaps(smap, need="drug")
    assert "entry" not in plain.table.columns
    assert in_gaps(plain) == sum(NEED[k] for k in (3, 6, 7, 8, 9))
    report = sm.find_gaps(smap, need="drug", entry="police_vulnerable_persons")
    pathway = report.table[report.table["reason"] == "pathway"]
    assert sorted(int(c[3:]) for c in pathway["code"]) == [1, 2, 4]
    assert set(pathway["entry"]) == {"police_vulnerable_persons"}
    assert pathway["services"].tolist() == [1, 1, 1]
    totals = report.totals().loc["drug"]
    assert totals["need_in_gaps"] == sum(NEED[k] for k in (1, 2, 3, 4, 6, 7, 8, 9))
    assert totals["need_covered"] == NEED[5]
    assert report.summary(suppress=None).loc["pathway", "need_in_gaps"] == (
        NEED[1] + NEED[2] + NEED[4])
    headline = report.explain(int(pathway.index[0])).attrs["headline"]
    assert "no chain of referrals from police_vulnerable_persons" in headline


def test_a_report_of_the_family(bedfordshire):
    report = sm.find_gaps(bedfordshire, need="drug")
    assert isinstance(report, sm.analysis._report.Report)
    assert isinstance(report.notes, list)
    why = report.explain(0, n=2)
    assert (why["unit"] != "remote").sum() <= 2
    # partnerships overlap: the published total counts each area once, not their sum
    exact = report.summary("partnership", suppress=None)
    published = report.summary("partnership")
    assert published.loc["total", "need_in_gaps"] == round(
        exact.loc["total", "need_in_gaps"])
    assert published.attrs["subtotals"] == {"need_in_gaps": {}}


def test_a_partnerships_share_is_of_its_own_residents_need(bedfordshire):
    # worked from the areas directly: bcb-dap covers Bedford and Central Bedfordshire
    gaps = sm.find_gaps(bedfordshire, need="drug", client_group="adults")
    areas = bedfordshire.areas
    in_gaps = gaps.table.groupby("code", observed=True)["counted"].sum()
    in_gaps = in_gaps[in_gaps > 0]
    footprint = areas.index[areas["lad_code"].isin(["E06000055", "E06000056"])]
    own_need = areas.loc[footprint, "need_drug"].sum()
    expected = in_gaps.reindex(footprint).fillna(0).sum() / own_need
    for suppress in (None, 5):
        out = gaps.summary("partnership", suppress=suppress)
        assert out.loc["bcb-dap", "share_of_need"] == pytest.approx(expected)
        # the total counts each area once, its share of all the need assessed
        assert out.loc["total", "share_of_need"] == pytest.approx(
            in_gaps.sum() / areas["need_drug"].sum())
        assert out.loc["total", "areas"] == in_gaps.size
    # by a parent level too; by reason, shares of the whole add up to the total's
    lad = gaps.summary("lad", suppress=None)
    cb = areas.index[areas["lad_code"] == "E06000056"]
    assert lad.loc["E06000056", "share_of_need"] == pytest.approx(
        in_gaps.reindex(cb).fillna(0).sum() / areas.loc[cb, "need_drug"].sum())
    by_reason = gaps.summary(suppress=None)
    assert by_reason["share_of_need"].iloc[:-1].sum() == pytest.approx(
        by_reason.loc["total", "share_of_need"])


# -- the definitions a board can sign: hand-worked on the grid -------------------------
def test_a_phone_line_beside_an_unreachable_area_is_support_not_reach():
    # S reaches 1, 2, 4, 5 in person; a 24/7 phone line takes everyone everywhere
    smap = grid_map([service("S", max_distance=1500, interventions="psychosocial"),
                     service("L", reach="none", hours="24/7",
                             interventions="crisis_response; information_advice")],
                    [site("A", "S", k=1), site("P", "L", mode="phone")])
    report = sm.find_gaps(smap, need="drug")
    # the line does not make 3, 6, 7, 8, 9 reachable, nor open at night
    assert gaps_of(report) == {(k, "all", "all"): "unreachable" for k in (3, 6, 7, 8, 9)}
    # but the table says support is there: one remote service in every gap row
    assert report.table["remote"].tolist() == [1] * 5
    assert report.table["services"].tolist() == [0] * 5
    why = report.explain(report.table.index[report.table["code"] == code(9)][0])
    assert why.index.tolist() == ["S", "L"]  # the decisive in-person service first
    assert why.loc["L", "why"] == "remote (phone or online): support, not reach"
    assert "Decisive: S (S), 2.8 km to its nearest site: too far" in why.attrs["headline"]
    assert "Remote support there: L" in why.attrs["headline"]


def test_treatment_is_the_default_provision_for_drug():
    # N: naloxone at square 1 reaching everything; T: treatment at square 9, 1500 m
    smap = grid_map([service("N", reach="none", interventions="naloxone"),
                     service("T", max_distance=1500, interventions="psychosocial")],
                    [site("A", "N", k=1), site("B", "T", k=9)])
    default = sm.find_gaps(smap, need="drug")
    # T reaches 5, 6, 8, 9: the rest are unreachable, naloxone is not treatment
    assert gaps_of(default) == {(k, "all", "all"): "unreachable" for k in (1, 2, 3, 4, 7)}
    assert default.attrs["provision"] == {"drug": "drug treatment"}
    assert gaps_of(sm.find_gaps(smap, need="drug", intervention="any")) == {}
    assert gaps_of(sm.find_gaps(smap, need="drug", intervention="harm_reduction")) == {}
    assert set(gaps_of(sm.find_gaps(smap, need="drug", to="T"))) == set(gaps_of(default))
    with pytest.raises(ValueError, match="intervention='treatmnt'.*Did you mean 'treatment'"):
        sm.find_gaps(smap, need="drug", intervention="treatmnt")
    with pytest.raises(ValueError, match="to='X': no such service"):
        sm.find_gaps(smap, need="drug", to="X")


def test_age_groups_are_served_by_ages_both_ways():
    # H: a family hub for ages 0-19 listing children; Y: young people 11-17 listing
    # young_people; A: adults with no ages (so 18+)
    from servicemap.analysis._select import served_groups

    smap = grid_map([service("H", needs="drug", client_groups="children; families",
                             min_age=0, max_age=19, reach="none"),
                     service("Y", client_groups="young_people", min_age=11, max_age=17,
                             reach="none"),
                     service("A", reach="none")],
                    [site("S1", "H", k=1), site("S2", "Y", k=1), site("S3", "A", k=1)])
    groups = ["children", "young_people", "adults", "older_people"]
    got = served_groups(smap.services, groups)
    assert got.tolist() == [
        [True, True, False, False],    # 0-19 takes in 11-17, not 18+ or 65+
        [False, True, False, False],   # 11-17 does not take in 0-12
        [False, False, True, True],    # 18+ takes in 65+, not 11-17
    ]


def test_severity_is_the_groups_people_and_each_person_counts_once():
    # ages in two columns: 0-17 is a quarter of each square's people, 18+ the rest
    areas = grid_areas()
    areas["pop_0_17"] = areas["population"] / 4
    areas["pop_18_plus"] = areas["population"] * 3 / 4
    areas = areas.drop(columns="pop_0_15")
    # A (adults) reaches 1, 2, 4, 5; Y (young people 11-17) reaches 5, 6, 8, 9
    smap = grid_map([service("A", max_distance=1500),
                     service("Y", client_groups="young_people", min_age=11, max_age=17,
                             max_distance=1500)],
                    [site("SA", "A", k=1), site("SY", "Y", k=9)], areas=areas)
    report = sm.find_gaps(smap, need="drug")
    t = report.table.set_index(["code", "client_group"])
    # young people are ages 11-17: 7 of the 18 years of pop_0_17, a quarter of people
    young = 7 / 18 / 4
    adults = 3 / 4  # 18+ (older people inside it)
    assert t.loc[(code(1), "young_people"), "severity"] == pytest.approx(NEED[1] * young)
    assert t.loc[(code(9), "adults"), "severity"] == pytest.approx(NEED[9] * adults)
    # each area's people counted once: square 1 lacks young people only
    assert t.loc[(code(1), "young_people"), "counted"] == pytest.approx(NEED[1] * young)
    total = sum(NEED[k] * young for k in (1, 2, 4)) + sum(
        NEED[k] * adults for k in (6, 8, 9)) + NEED[3] + NEED[7]
    assert report.totals().loc["drug", "need_in_gaps"] == pytest.approx(total)
    assert report.summary(suppress=None).loc["total", "need_in_gaps"] == pytest.approx(total)


def test_a_combination_nobody_provides_is_one_systemic_row_unless_named():
    # adults are served weekdays only, young people weekdays and Saturdays
    smap = grid_map([service("A", reach="none", hours="Mon-Fri 09:00-17:00"),
                     service("Y", client_groups="young_people", min_age=11, max_age=17,
                             reach="none", hours="Mon-Fri 09:00-17:00; Sat 10:00-12:00"),
                     service("L", reach="none", hours="24/7", client_groups="adults")],
                    [site("SA", "A", k=5), site("SY", "Y", k=5), site("P", "L", mode="phone")])
    report = sm.find_gaps(smap, need="drug")
    # adults at the weekend: nobody in person anywhere -> systemic, not 9 rows
    assert gaps_of(report) == {}
    sys = report.systemic.set_index(["client_group", "hour_band"])
    assert sorted(sys.index) == sorted([
        ("adults", "weekday_evening"), ("adults", "overnight"), ("adults", "weekend"),
        ("young_people", "weekday_evening"), ("young_people", "overnight")])
    assert sys.loc[("adults", "weekend"), "remote_services"] == ("L",)
    assert sys.loc[("young_people", "overnight"), "remote"] == 0
    # named, the band is assessed area by area
    named = sm.find_gaps(smap, need="drug", hour_band="weekend")
    assert gaps_of(named) == {(k, "adults", "weekend"): "out_of_hours" for k in range(1, 10)}
    assert named.systemic.empty


def test_unknown_hours_are_reported_not_assumed_open_out_of_hours():
    # E opens evenings; U gives no hours: open weekday daytime, unknown in the evening
    smap = grid_map([service("E", max_distance=1500, hours="Mon-Fri 09:00-20:00"),
                     service("U", reach="none")],
                    [site("SE", "E", k=1), site("SU", "U", k=5)])
    report = sm.find_gaps(smap, need="drug")
    got = gaps_of(report)
    assert got == {(k, "adults", "weekday_evening"): "out_of_hours"
                   for k in (3, 6, 7, 8, 9)}
    assert report.table["hours_unknown"].tolist() == [1] * 5
    why = report.explain(0)
    assert why.loc["U", "why"] == "opening hours not known, so not counted weekday_evening"
    # assumed open, nothing is a gap
    assert gaps_of(sm.find_gaps(smap, need="drug", unknown_hours="open")) == {}


def test_headlines_say_it_by_name_with_published_figures():
    # A reaches 1, 2, 4, 5; 3, 6, 7, 8, 9 are unreachable: 13 + 16 + 17 + 18 + 19 = 83
    smap = grid_map([service("S", max_distance=1500, interventions="psychosocial")],
                    [site("A", "S", k=1)])
    report = sm.find_gaps(smap, need="drug")
    first = report.headlines()[0]
    assert first.startswith("Drug treatment: 83 of 135 people with a drug need (61%) "
                            "are in a gap: 83 beyond reach of any in person.")
    # overnight and evenings are nobody's: said once, with the remote support (none)
    assert report.headlines()[1] == (
        "No in-person drug treatment anywhere in the map on weekday evenings for "
        "adults; overnight for adults; at weekends for adults. No remote support "
        "either.")
    # a small total is not given away
    areas = grid_areas()
    areas["need_drug"] = [1.0, 0, 3.0, 0, 0, 0, 0, 0, 0]
    small = sm.find_gaps(grid_map([service("S", max_distance=1500)],
                                  [site("A", "S", k=1)], areas=areas), need="drug")
    # (no share either: 75% of 4 would give the 3 away)
    assert small.headlines()[0] == (
        "Drug treatment: fewer than 5 of 4 people with a drug need are in a gap "
        "(hidden to protect small numbers).")


def test_by_hour_band_a_person_in_two_bands_counts_in_each_and_once_in_total():
    # A opens weekday daytimes only, E evenings and Saturdays; both reach everyone.
    # Named, evening and weekend are assessed: with E at square 9 reaching 5, 6, 8,
    # 9 (1500 m), squares 1, 2, 3, 4, 7 lack both bands: each band counts them
    smap = grid_map([service("A", reach="none", hours="Mon-Fri 09:00-17:00"),
                     service("E", max_distance=1500,
                             hours="Mon-Fri 18:00-21:00; Sat 10:00-13:00")],
                    [site("SA", "A", k=5), site("SE", "E", k=9)])
    report = sm.find_gaps(smap, need="drug", hour_band=["weekday_evening", "weekend"])
    by_band = report.summary("hour_band", suppress=None)
    lacking = sum(NEED[k] for k in (1, 2, 3, 4, 7))
    assert by_band.loc["weekday_evening", "need_in_gaps"] == pytest.approx(lacking)
    assert by_band.loc["weekend", "need_in_gaps"] == pytest.approx(lacking)
    assert by_band.loc["total", "need_in_gaps"] == pytest.approx(lacking)  # once
    # by reason, each person once under the most fundamental reason for them
    assert report.summary(suppress=None).loc["out_of_hours", "need_in_gaps"] == (
        pytest.approx(lacking))

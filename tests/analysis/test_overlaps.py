"""Overlaps: pairs of services for the same need and people, worked by hand on the grid.

The 3 x 3 grid of tests/toy.py: square k (1..9, row by row from the south-west) has
population 1000 + 100 k and need_drug 10 + k; 3, 6, 9 are LAD E06000002. Squares are
1 km, so square k spans x in [X0 + 1000 i, X0 + 1000 (i + 1)], i = (k - 1) % 3.

Reach from a site at the centre of square 1, 1500 m: squares 1, 2, 4, 5 (0, 1000, 1000,
1414 m). From square 5's centre, 1000 m: squares 2, 4, 5, 6, 8.
"""

import geopandas as gpd
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from toy import POPULATION, SQUARES, X0, Y0, code, grid_areas, grid_map, service, site

import servicemap as sm
from servicemap.analysis.overlaps import find_overlaps

ORGS = [{"id": o, "name": o, "kind": "voluntary"} for o in ("TP", "TQ", "C1", "C2")]
PARTNERSHIPS = [{"id": p, "name": p, "kind": "drug_alcohol_partnership",
                 "members": "C1; C2"} for p in ("P1", "P2")]


def make(services, sites, areas=None):
    return grid_map(services, sites, areas=areas, organisations=ORGS,
                    partnerships=PARTNERSHIPS)


def two(a=None, b=None):
    """S1 at square 1 (1500 m) and S2 at square 5 (1000 m); options per service."""
    return make([service("S1", max_distance=1500, **(a or {})),
                 service("S2", max_distance=1000, **(b or {}))],
                [site("A", "S1", k=1), site("B", "S2", k=5)])


def box(i0, i1, j0=0, j1=3):
    """A rectangle over grid columns i0..i1 and rows j0..j1, in km from the corner."""
    return shapely.box(X0 + 1000 * i0, Y0 + 1000 * j0, X0 + 1000 * i1, Y0 + 1000 * j1)


# -- by the reach matrix, by hand -------------------------------------------------------
def test_shares_by_hand():
    smap = two({"capacity": 100, "capacity_unit": "places", "provider": "TP"},
               {"capacity": 50, "capacity_unit": "places", "provider": "TQ"})
    t = find_overlaps(smap).table
    assert t.index.tolist() == [("S1", "S2")]
    row = t.loc[("S1", "S2")]
    # S1: 1, 2, 4, 5; S2: 2, 4, 5, 6, 8; shared 2, 4, 5
    assert (row["shared_areas"], row["areas_a"], row["areas_b"]) == (3, 4, 5)
    # people: 1200 + 1400 + 1500 = 4100 shared; S1 1100 + 4100 = 5200;
    # S2 4100 + 1600 + 1800 = 7500
    assert row["shared_population"] == 4100.0
    assert row["share_a"] == pytest.approx(4100 / 5200)
    assert row["share_b"] == pytest.approx(4100 / 7500)
    # need: 12 + 14 + 15 = 41; 150 places per 41 people -> 3658.5 per 1,000
    assert row["need_drug"] == 41.0
    assert (row["capacity_a"], row["capacity_b"], row["capacity_unit"]) == (100, 50, "places")
    assert row["combined_capacity"] == 150.0
    assert row["capacity_per_1000_need"] == pytest.approx(150 / 41 * 1000)
    # a service for adults stating no ages serves 18 and over: older people too
    assert row["needs"] == ("drug",)
    assert row["client_groups"] == ("adults", "older_people")
    assert (row["provider_a"], row["provider_b"]) == ("TP", "TQ")


def test_duplication_by_hand_counting_every_pair():
    # S3 reaches the eastern column 3, 6, 9 (reach none there): with S2 it shares 6.
    # min_similarity=0 and set_apart=() count every overlapping pair.
    smap = make([service("S1", max_distance=1500), service("S2", max_distance=1000),
                 service("S3", reach="none", footprint="E06000002")],
                [site("A", "S1", k=1), site("B", "S2", k=5), site("C", "S3", mode="phone")])
    ovl = find_overlaps(smap, min_similarity=0, set_apart=())
    assert sorted(ovl.table.index) == [("S1", "S2"), ("S2", "S3")]
    d = ovl.duplication
    pd.testing.assert_index_equal(d.index, smap.areas.index)
    # 2, 4, 5: S1 and S2 (one pair); 6: S2 and S3; 1 only S1, 8 only S2 (their
    # partners do not reach there), 3 and 9 only S3, 7 nobody
    expected = {2: 1, 4: 1, 5: 1, 6: 1}
    assert d["duplication"].to_dict() == {code(k): expected.get(k, 0) for k in range(1, 10)}
    assert d["services"].to_dict() == {code(k): 2 * (k in expected) for k in range(1, 10)}
    assert d["pairs"].to_dict() == {code(k): int(k in expected) for k in range(1, 10)}
    assert (d["other_pairs"] == 0).all()
    # by default none counts: the services list no intervention (similarity 0), and
    # S3, a phone line, is set apart; the pairs are there, not counted
    d = find_overlaps(smap).duplication
    assert (d["duplication"] == 0).all() and (d["pairs"] == 0).all()
    assert d["other_pairs"].to_dict() == {code(k): int(k in expected)
                                          for k in range(1, 10)}


def test_three_services_in_one_area():
    # all three reach every square (reach none, no footprint): 3 services, 3 pairs,
    # duplication 2 everywhere
    smap = make([service(s, reach="none") for s in ("S1", "S2", "S3")],
                [site(f"{s}-site", s, mode="phone") for s in ("S1", "S2", "S3")])
    ovl = find_overlaps(smap, min_similarity=0, set_apart=())
    assert len(ovl.table) == 3
    assert (ovl.duplication["services"] == 3).all()
    assert (ovl.duplication["pairs"] == 3).all()
    assert (ovl.duplication["duplication"] == 2).all()
    assert (ovl.table["share_a"] == 1).all() and (ovl.table["shared_areas"] == 9).all()


def test_ids_ordered_and_sorted_by_shared_population():
    # "Z" sorts after "A" whatever the order of the services frame; the pair (B, Z)
    # shares 2, 4, 5 (4100 people), the pair (A, Z) shares every square (13500)
    smap = make([service("Z", reach="none"), service("B", max_distance=1500),
                 service("A", reach="none")],
                [site("z", "Z", mode="phone"), site("b", "B", k=1),
                 site("a", "A", mode="phone")])
    t = find_overlaps(smap).table
    assert t.index.tolist() == [("A", "Z"), ("A", "B"), ("B", "Z")]
    assert t["shared_population"].tolist() == [13500.0, 5200.0, 5200.0]


@pytest.mark.parametrize(("a", "b"), [
    ({"needs": "alcohol"}, {"needs": "drug"}),                     # different needs
    ({"client_groups": "children"}, {"client_groups": "adults"}),  # different groups
    # both list young people, but 11-17 and 18-24 do not meet
    ({"client_groups": "young_people", "min_age": 11, "max_age": 17},
     {"client_groups": "young_people", "min_age": 18, "max_age": 24}),
    # both list adults, but a service for under-16s serves no adults
    ({"client_groups": "adults; children", "max_age": 15},
     {"client_groups": "adults", "min_age": 18}),
    ({"status": "planned"}, {}),                                    # not active
])
def test_pairs_that_do_not_overlap(a, b):
    assert find_overlaps(two(a, b)).table.empty


def test_shared_needs_and_groups_and_missing_need_columns():
    areas = grid_areas()
    areas["need_alcohol"] = 1.0
    smap = make([service("S1", needs="drug; alcohol; housing",
                         client_groups="adults; women", max_distance=1500),
                 service("S2", needs="drug; housing", client_groups="women; adults",
                         max_distance=1000),
                 service("S3", needs="alcohol", max_distance=1000)],
                [site("A", "S1", k=1), site("B", "S2", k=5), site("C", "S3", k=5)],
                areas=areas)
    ovl = find_overlaps(smap)
    t = ovl.table
    # needs in vocabulary order: drug, alcohol, housing
    assert t.loc[("S1", "S2"), "needs"] == ("drug", "housing")
    assert t.loc[("S1", "S2"), "client_groups"] == ("adults", "older_people", "women")
    assert np.isnan(t.loc[("S1", "S2"), "need_alcohol"])      # S2 does not meet it
    assert t.loc[("S1", "S3"), "need_alcohol"] == 3.0         # 1 in each of 2, 4, 5
    assert np.isnan(t.loc[("S1", "S3"), "need_drug"])
    assert ("S2", "S3") not in t.index                        # no need in common
    assert "need_housing" not in t.columns
    assert ("The areas have no need column for housing: pairs sharing only that need "
            "are listed, without people with the need.") in ovl.notes
    only = find_overlaps(smap, need="alcohol").table
    assert only.index.tolist() == [("S1", "S3")] and only.loc[("S1", "S3"), "needs"] == (
        "alcohol",)


def test_capacity_against_the_largest_shared_need():
    areas = grid_areas()
    areas["need_alcohol"] = 100.0
    kw = {"needs": "drug; alcohol", "capacity": 30, "capacity_unit": "places"}
    smap = make(
        [service("S1", max_distance=1500, **kw), service("S2", max_distance=1000, **kw)],
        [site("A", "S1", k=1), site("B", "S2", k=5)], areas=areas)
    row = find_overlaps(smap).table.iloc[0]
    # shared: drug 41, alcohol 300; 60 places against 300 -> 200 per 1,000
    assert row["need_alcohol"] == 300.0
    assert row["capacity_per_1000_need"] == pytest.approx(200.0)


def test_capacity_units_are_never_added():
    smap = two({"capacity": 100, "capacity_unit": "places"},
               {"capacity": 50, "capacity_unit": "beds"})
    row = find_overlaps(smap).table.iloc[0]
    assert pd.isna(row["capacity_unit"]) and np.isnan(row["combined_capacity"])
    assert np.isnan(row["capacity_per_1000_need"])
    missing = find_overlaps(two({"capacity": 100, "capacity_unit": "places"})).table
    assert np.isnan(missing["combined_capacity"].iloc[0])


# -- how alike: similarity, scope, ranking, by hand --------------------------------------
def alike_map():
    """Two alike local services, a county-wide twin, a detox unit and a crisis line.

    A: a site in square 1, 1500 m: squares 1, 2, 4, 5 (need 11 + 12 + 14 + 15 = 52;
       5200 people, 39% of the map's 13,500). Drug and alcohol, adults (18+).
    B: a site in square 5, 1000 m, footprint E06000001: squares 2, 4, 5, 8 (need
       12 + 14 + 15 + 18 = 59; 5900 people, 44%). Drug, adults and women (18+).
    W: the same interventions as A, reach none: every square (need 135).
    DX: a detox unit, reach none, in person. CR: a crisis line by phone, 16+.
    A and B share 2, 4, 5: need 41, 4100 people.
    """
    adults = {"client_groups": "adults", "min_age": 18}
    return make([
        service("A", max_distance=1500, needs="drug; alcohol", commissioners="P1",
                interventions="psychosocial; opioid_substitution; naloxone", **adults),
        service("B", max_distance=1000, footprint="E06000001", commissioners="P2",
                provider="TQ", client_groups="adults; women", min_age=18,
                interventions=("psychosocial; opioid_substitution_daily_supervised; "
                               "group_work")),
        service("W", reach="none", interventions="psychosocial; opioid_substitution; "
                "naloxone", **adults),
        service("DX", reach="none", interventions="detox_community; assessment",
                **adults),
        service("CR", reach="none", interventions="crisis_response; information_advice",
                client_groups="adults", min_age=16)],
        [site("a", "A", k=1), site("b", "B", k=5), site("w", "W", k=9),
         site("dx", "DX", k=9), site("cr", "CR", mode="phone")])


def test_similarity_by_hand():
    t = find_overlaps(alike_map(), need="drug").table
    row = t.loc[("A", "B")]
    # treatment both offer (naloxone is harm reduction; daily supervised opioid
    # substitution is opioid substitution): psychosocial, opioid substitution of
    # those and group work: 2/3
    assert row["interventions"] == ("psychosocial", "opioid_substitution")
    assert row["interventions_shared"] == pytest.approx(2 / 3)
    # groups served: A adults, older people; B adults, older people, women: 2/3
    assert row["groups_shared"] == pytest.approx(2 / 3)
    assert row["needs_shared"] == 1.0
    # people with a drug need: 41 of A's 52, 41 of B's 59; the smaller share
    assert (row["need_share_a"], row["need_share_b"]) == pytest.approx((41 / 52, 41 / 59))
    assert row["catchment_shared"] == pytest.approx(41 / 59)
    # (2/3 x 2/3 x 1 x 41/59) ** (1/4) = 0.308851 ** 0.25 = 0.745482
    assert row["similarity"] == pytest.approx(0.745482, abs=1e-6)
    assert (row["scope_a"], row["scope_b"], row["comparable"]) == ("local", "local", True)
    # every need: A also meets alcohol, B does not: needs 1/2; the catchment is still
    # weighed by the need both meet. (0.308851 / 2) ** (1/4) = 0.626873
    every = find_overlaps(alike_map()).table.loc[("A", "B")]
    assert every["needs_shared"] == 0.5 and every["needs"] == ("drug",)
    assert every["similarity"] == pytest.approx(0.626873, abs=1e-6)


def test_alike_local_services_outrank_county_wide_ones():
    ovl = find_overlaps(alike_map(), need="drug")
    t = ovl.table
    # the crisis line is not drug treatment: not compared. W and DX reach every square
    # (area-wide). A-W: every intervention, group and need alike; A shares all of its
    # catchment, W 52 of 135: (52/135) ** (1/4) = 0.787803, more alike than A-B, and
    # still after it. B-W: (2/3 x 2/3 x 59/135) ** (1/4) = 0.663871. DX shares no
    # intervention: 0, the largest shared population first
    assert t.index.tolist() == [("A", "B"), ("A", "W"), ("B", "W"), ("DX", "W"),
                                ("B", "DX"), ("A", "DX")]
    assert t["similarity"].tolist() == pytest.approx(
        [0.745482, 0.787803, 0.663871, 0, 0, 0], abs=1e-6)
    assert t["comparable"].tolist() == [True] + [False] * 5
    assert t.loc[("DX", "W"), ["scope_a", "scope_b"]].tolist() == ["area-wide"] * 2
    # set_apart=(): ranked by similarity alone, and counted
    every = find_overlaps(alike_map(), need="drug", set_apart=()).table
    assert every.index[:3].tolist() == [("A", "W"), ("A", "B"), ("B", "W")]
    assert every["comparable"].tolist() == [True] * 3 + [False] * 3


def test_a_crisis_line_and_a_detox_unit_are_not_duplication():
    # any intervention counts: the crisis line is compared. It shares every square
    # with the detox unit, and not one intervention
    ovl = find_overlaps(alike_map(), need="drug", intervention="any")
    row = ovl.table.loc[("CR", "DX")]
    assert row["shared_population"] == sum(POPULATION.values())
    assert (row["share_a"], row["share_b"], row["catchment_shared"]) == (1.0, 1.0, 1.0)
    assert row["interventions_shared"] == 0 and row["similarity"] == 0
    assert (row["scope_a"], row["scope_b"], row["comparable"]) == ("remote", "area-wide",
                                                                   False)
    assert not find_overlaps(alike_map(), need="drug", intervention="any",
                             set_apart=()).table.loc[("CR", "DX"), "comparable"]
    # A-B still first: every intervention counts, 2 of 4 alike:
    # (1/2 x 2/3 x 41/59) ** (1/4) = 0.693749
    assert ovl.table.index[0] == ("A", "B")
    assert ovl.table["similarity"].iloc[0] == pytest.approx(0.693749, abs=1e-6)
    assert ("Set apart as area-wide (serving their whole footprint whatever the distance, "
            "or with at least 67% of the map's people in their catchment): DX, W; as "
            "remote (no in-person or outreach site: phone or online support, or no "
            "site): CR. They overlap every service near them by design, so their 9 "
            "pairs are listed after the pairs of local services and not counted as "
            "duplication (set_apart=() counts them).") in ovl.notes


def test_duplication_counts_comparable_pairs_only():
    smap = alike_map()
    d = by_square_frame(find_overlaps(smap, need="drug").duplication)
    # only A-B counts, in 2, 4, 5. The other pairs of A, B, W, DX in each square:
    # 1: A, W, DX: 3; 2, 4, 5: all four, 6 pairs less A-B; 8: B, W, DX: 3; else W-DX
    assert d["duplication"] == {k: int(k in (2, 4, 5)) for k in SQUARES}
    assert d["services"] == {k: 2 * (k in (2, 4, 5)) for k in SQUARES}
    assert d["pairs"] == {k: int(k in (2, 4, 5)) for k in SQUARES}
    assert d["other_pairs"] == {1: 3, 2: 5, 3: 1, 4: 5, 5: 5, 6: 1, 7: 1, 8: 3, 9: 1}
    # set_apart=(): A-W, A-B, B-W count. 1: A, W; 2, 4, 5: A, B, W; 8: B, W
    d = by_square_frame(find_overlaps(smap, need="drug", set_apart=()).duplication)
    assert d["duplication"] == {1: 1, 2: 2, 3: 0, 4: 2, 5: 2, 6: 0, 7: 0, 8: 1, 9: 0}
    assert d["pairs"] == {1: 1, 2: 3, 3: 0, 4: 3, 5: 3, 6: 0, 7: 0, 8: 1, 9: 0}
    assert d["other_pairs"] == {1: 2, 2: 3, 3: 1, 4: 3, 5: 3, 6: 1, 7: 1, 8: 2, 9: 1}
    # a higher bar: A-B (0.745) and B-W (0.664) fall below 0.75, A-W (0.788) stays
    d = by_square_frame(find_overlaps(smap, need="drug", set_apart=(),
                                      min_similarity=0.75).duplication)
    assert d["duplication"] == {k: int(k in (1, 2, 4, 5)) for k in SQUARES}


def test_intervention_and_to_narrow_what_is_compared():
    smap = alike_map()

    def compared(ovl):
        t = ovl.table
        return sorted(set(t.index.get_level_values(0)) | set(t.index.get_level_values(1)))

    assert compared(find_overlaps(smap, need="drug")) == ["A", "B", "DX", "W"]
    assert compared(find_overlaps(smap, need="drug", intervention="any")) == [
        "A", "B", "CR", "DX", "W"]
    # harm reduction: A and W hand out naloxone; alike in that alone: 1, 1, 1 and
    # A's catchment, 52 of W's 135
    harm = find_overlaps(smap, need="drug", intervention="harm_reduction").table
    assert harm.index.tolist() == [("A", "W")]
    assert harm["interventions"].iloc[0] == ("naloxone",)
    assert harm["similarity"].iloc[0] == pytest.approx((52 / 135) ** 0.25)
    # both forms of opioid substitution: only it is compared, so A and B are alike in
    # what counts: (1 x 2/3 x 1 x 41/59) ** (1/4) = 0.825012
    ost = find_overlaps(smap, need="drug", intervention=[
        "opioid_substitution", "opioid_substitution_daily_supervised"]).table
    assert sorted(ost.index) == [("A", "B"), ("A", "W"), ("B", "W")]
    assert ost.loc[("A", "B"), "interventions_shared"] == 1.0
    assert ost.loc[("A", "B"), "similarity"] == pytest.approx(0.825012, abs=1e-6)
    # to= names the services; every intervention they list is compared: 2 of 4
    two_only = find_overlaps(smap, need="drug", to=["B", "A"])
    assert two_only.table.index.tolist() == [("A", "B")]
    assert two_only.table["interventions_shared"].iloc[0] == 0.5
    assert compared(find_overlaps(smap, need="drug", to=["A", "B", "CR"])) == [
        "A", "B", "CR"]
    # a service of to= that does not meet the need is said, not compared
    alcohol = find_overlaps(smap, need="alcohol", to=["A", "B"])
    assert alcohol.table.empty
    assert ("Not compared, of the services in to=: B (not counted by status, or "
            "meeting no need and client group in scope).") in alcohol.notes
    assert find_overlaps(smap, to=["A", "B"]).attrs["need"] == ("drug", "alcohol")
    with pytest.raises(ValueError, match="to='Z': no such service"):
        find_overlaps(smap, to=["A", "Z"])
    with pytest.raises(ValueError, match="intervention='treatmnt'"):
        find_overlaps(smap, need="drug", intervention="treatmnt")


def test_ranking_options_are_checked():
    smap = alike_map()
    for bad in (1.5, -0.1, "high", True):
        with pytest.raises(ValueError, match="min_similarity=.*a number from 0 to 1"):
            find_overlaps(smap, min_similarity=bad)
    with pytest.raises(ValueError, match="set_apart='county-wide': choose from "
                                         "'area-wide', 'remote', or \\(\\)"):
        find_overlaps(smap, set_apart=["county-wide"])
    with pytest.raises(ValueError, match="set_apart='local'"):
        find_overlaps(smap, set_apart="local")
    assert find_overlaps(smap, set_apart="remote").attrs["set_apart"] == ("remote",)


def by_square_frame(frame):
    """{column: {square: value}} of a frame indexed by area code."""
    return {c: {int(k[3:]): int(v) for k, v in frame[c].items()} for c in frame}


# -- across ------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "kept"), [
    ({"commissioners": "P1"}, {"commissioners": "P2"}, True),
    ({"commissioners": "P1"}, {"commissioners": "P1; P2"}, False),   # P1 in both
    ({"commissioners": "P1"}, {"commissioners": "C1"}, True),        # no partnership
    ({"commissioners": "C1"}, {"commissioners": "C2"}, False),       # neither has one
    ({}, {}, False),
])
def test_across_partnership(a, b, kept):
    assert len(find_overlaps(two(a, b), across="partnership").table) == int(kept)
    assert len(find_overlaps(two(a, b)).table) == 1


@pytest.mark.parametrize(("a", "b", "across", "kept"), [
    ({"provider": "TP"}, {"provider": "TQ"}, "provider", True),
    ({"provider": "TP"}, {"provider": "TP"}, "provider", False),
    ({"commissioners": "C1"}, {"commissioners": "C2"}, "commissioner", True),
    ({"commissioners": "C1; P1"}, {"commissioners": "P1"}, "commissioner", False),
    ({"commissioners": "C1"}, {}, "commissioner", True),
    ({}, {}, "commissioner", False),
])
def test_across_provider_and_commissioner(a, b, across, kept):
    assert len(find_overlaps(two(a, b), across=across).table) == int(kept)


# -- a second method: plain sets over the reach matrix ------------------------------------
def test_agrees_with_sets_on_bedfordshire():
    # the rules written again with plain sets: provision (treatment by default for
    # drug and alcohol), groups by ages, partnerships, reach; then the similarity
    from servicemap.vocab import INTERVENTION_KINDS

    smap = sm.datasets.bedfordshire()
    ovl = find_overlaps(smap, need=["drug", "alcohol"], set_apart=())
    services, areas = smap.services, smap.areas
    reach = sm.reach_matrix(smap)
    treatment = set(INTERVENTION_KINDS["treatment"])
    known = set().union(*INTERVENTION_KINDS.values())
    ages = {"children": (0, 12), "young_people": (11, 17),
            "adults": (18, np.inf), "older_people": (65, np.inf)}

    def span(s):
        listed = [ages[g] for g in services.at[s, "client_groups"] if g in ages]
        lo, hi = services.at[s, "min_age"], services.at[s, "max_age"]
        lo = (min(a for a, _ in listed) if listed else 0) if pd.isna(lo) else lo
        hi = (max(b for _, b in listed) if listed else np.inf) if pd.isna(hi) else hi
        return float(lo), float(hi)

    def groups(s):
        lo, hi = span(s)
        listed = set(services.at[s, "client_groups"])
        out = {g for g in listed if lo <= ages.get(g, (0, np.inf))[1]
               and hi >= ages.get(g, (0, np.inf))[0]}
        if listed & set(ages):
            out |= {g for g, (a, b) in ages.items() if lo <= a and hi >= b}
        return out

    def needs(s):
        offers = set(services.at[s, "interventions"])
        counts = bool(offers & treatment) or not offers & known
        return {"drug", "alcohol"} & set(services.at[s, "needs"]) if counts else set()

    def offers(s, shared_needs):
        same = {"opioid_substitution_daily_supervised": "opioid_substitution",
                "long_acting_injectable_buprenorphine": "opioid_substitution"}
        return {same.get(t, t) for t in services.at[s, "interventions"]
                if t in treatment} if shared_needs else set()

    def jaccard(x, y):
        return len(x & y) / len(x | y) if x | y else 0.0

    ids = [s for s in services.index if services.at[s, "status"] == "active"
           and needs(s) and groups(s)]
    reached = {s: set(reach.areas_reached(s).index) for s in ids}
    expected = {}
    for a in ids:
        for b in ids:
            shared_needs = needs(a) & needs(b)
            (lo_a, hi_a), (lo_b, hi_b) = span(a), span(b)
            if (a < b and shared_needs and groups(a) & groups(b) and lo_a <= hi_b
                    and lo_b <= hi_a and reached[a] & reached[b]):
                shared = sorted(reached[a] & reached[b])
                people = [f"need_{n}" for n in shared_needs]
                both = areas.loc[shared, people].to_numpy().sum()
                catchment = min(both / areas.loc[sorted(reached[s]), people]
                                .to_numpy().sum() for s in (a, b))
                parts4 = (jaccard(offers(a, shared_needs), offers(b, shared_needs)),
                          jaccard(groups(a), groups(b)),
                          jaccard(needs(a), needs(b)), catchment)
                expected[(a, b)] = (len(shared), areas.loc[shared, "population"].sum(),
                                    areas.loc[shared, "need_drug"].sum()
                                    if "drug" in shared_needs else np.nan,
                                    *parts4, np.prod(parts4) ** 0.25)
    t = ovl.table
    assert set(t.index) == set(expected) and len(expected) > 5
    got = t.loc[list(expected)]
    want = pd.DataFrame(expected.values(), index=got.index,
                        columns=["shared_areas", "shared_population", "need_drug",
                                 "interventions_shared", "groups_shared", "needs_shared",
                                 "catchment_shared", "similarity"])
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)


def test_bedfordshire_top_pairs_are_duplication():
    # what a commissioner would call duplication: local services offering the same
    # treatment to the same adults in the same towns, not county-wide or phone
    # services that overlap everything by design
    smap = sm.datasets.bedfordshire()
    services = smap.services
    for ovl in (find_overlaps(smap, need="drug"), find_overlaps(smap)):
        t = ovl.table
        alike = t[t["comparable"]]
        assert len(alike) >= 2
        # the comparable pairs come first, local and in person, each sharing opioid
        # substitution with adults
        assert t["comparable"].iloc[:len(alike)].all()
        assert (alike[["scope_a", "scope_b"]] == "local").all(axis=None)
        assert alike["interventions"].map(lambda i: "opioid_substitution" in i).all()
        assert alike["client_groups"].map(lambda g: "adults" in g).all()
        assert (alike["similarity"] >= 0.5).all()
        names = set(alike.index.get_level_values(0)) | set(alike.index.get_level_values(1))
        # a community pharmacy's supervised consumption beside a treatment service's
        # prescribing is among them
        assert any("supervised consumption" in services.at[s, "name"] for s in names)
        # nothing county-wide or remote is counted: detox, rehab, the criminal
        # justice team, the crisis line
        for sid in ("beds-detox", "beds-rehab", "beds-cjdat", "beds-crisis-line"):
            assert sid not in names
        # the duplication index is 0 in much of the county (it was 6 to 13 in every
        # area when every overlapping pair counted)
        dup = ovl.duplication["duplication"]
        assert (dup == 0).sum() >= 0.1 * len(dup) and dup.max() < len(names)
    # the crisis line and the detox unit share the whole county and nothing else
    row = find_overlaps(smap, need="drug", intervention="any").table.loc[
        ("beds-crisis-line", "beds-detox")]
    assert (row["share_a"], row["share_b"]) == (1.0, 1.0)
    assert row["similarity"] == 0 and not row["comparable"]


# -- by geometry ----------------------------------------------------------------------
def test_exact_by_hand_with_drawn_catchments():
    # A covers columns 1 and half of 2 (x up to 1.5 km); B columns 2 and 3. The overlap
    # is the eastern half of squares 2, 5, 8: 0.5 x (1200 + 1500 + 1800) = 2250 people,
    # need 0.5 x (12 + 15 + 18) = 22.5. A holds 1100 + 1400 + 1700 + 2250 = 6450;
    # B holds 2 x 2250 + 1300 + 1600 + 1900 = 9300. Square 1 only touches B: not shared.
    smap = make([service("A", reach="none"), service("B", reach="none")],
                [site("a", "A", mode="phone"), site("b", "B", mode="phone")])
    drawn = gpd.GeoSeries([box(0, 1.5), box(1, 3)], index=["A", "B"], crs=27700)
    ovl = find_overlaps(smap, exact=True, catchments=drawn)
    row = ovl.table.loc[("A", "B")]
    assert row["shared_areas"] == 3
    assert row["shared_population"] == pytest.approx(2250.0)
    assert row["need_drug"] == pytest.approx(22.5)
    assert row["share_a"] == pytest.approx(2250 / 6450)
    assert row["share_b"] == pytest.approx(2250 / 9300)
    assert (row["areas_a"], row["areas_b"]) == (6, 6)
    # people with a drug need: A holds 11 + 14 + 17 + 22.5 = 64.5, B 45 + 48 = 93
    assert (row["need_share_a"], row["need_share_b"]) == pytest.approx(
        (22.5 / 64.5, 22.5 / 93))
    assert row["catchment_shared"] == pytest.approx(22.5 / 93)
    shared = ovl.explain(("B", "A"))
    assert sorted(shared.index) == [code(2), code(5), code(8)]
    assert shared["overlap"].tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert shared["population"].sum() == pytest.approx(row["shared_population"])
    every = find_overlaps(smap, exact=True, catchments=drawn, min_similarity=0,
                          set_apart=())
    assert every.duplication["duplication"].to_dict() == {
        code(k): int(k in (2, 5, 8)) for k in range(1, 10)}
    assert ovl.duplication["other_pairs"].to_dict() == {
        code(k): int(k in (2, 5, 8)) for k in range(1, 10)}
    # without exact=True the same map shares every square: reach none, no footprint
    assert find_overlaps(smap).table.loc[("A", "B"), "shared_areas"] == 9


def test_exact_whole_areas_and_footprints():
    # F: reach none on E06000002 (3, 6, 9 wholly). B: drawn over columns 2-3.
    # D: a 1 km circle round square 5's centre, cut to its footprint E06000002, so
    # only the parts of 3, 6, 9 within 1 km of (X0 + 1500, Y0 + 1500).
    smap = make([service("F", reach="none", footprint="E06000002"),
                 service("B", reach="none"),
                 service("D", max_distance=1000, footprint="E06000002")],
                [site("f", "F", mode="phone"), site("b", "B", mode="phone"),
                 site("d", "D", k=5)])
    drawn = gpd.GeoSeries([box(1, 3)], index=["B"], crs=27700)
    ovl = find_overlaps(smap, exact=True, catchments=drawn)
    t = ovl.table
    # F and B share 3, 6, 9 wholly: 1300 + 1600 + 1900 = 4800; B holds 9300
    assert t.loc[("B", "F"), "shared_population"] == pytest.approx(4800.0)
    assert t.loc[("B", "F"), "share_b"] == pytest.approx(1.0)
    assert t.loc[("B", "F"), "share_a"] == pytest.approx(4800 / 9300)
    # D lies inside both B and F: its pieces of 3, 6, 9, worked out with shapely
    circle = shapely.buffer(shapely.Point(X0 + 1500, Y0 + 1500), 1000, quad_segs=16)
    east = {3: box(2, 3, 0, 1), 6: box(2, 3, 1, 2), 9: box(2, 3, 2, 3)}
    inside = {k: shapely.area(shapely.intersection(circle, g)) / 1e6
              for k, g in east.items()}
    expected = sum(POPULATION[k] * f for k, f in inside.items())
    assert t.loc[("D", "F"), "shared_population"] == pytest.approx(expected, rel=1e-9)
    assert t.loc[("B", "D"), "shared_population"] == pytest.approx(expected, rel=1e-9)
    assert t.loc[("D", "F"), "share_a"] == pytest.approx(1.0)
    assert ovl.attrs["catchments_given"] == 1 and ovl.attrs["catchments_drawn"] == 1


def random_polygons(rng, n, extent):
    """Convex hulls of 3-8 random points and circles, somewhere over the extent."""
    shapes = []
    for k in range(n):
        cx, cy = X0 + rng.uniform(-500, extent + 500, 2)
        if k % 3 == 0:
            shapes.append(shapely.Point(cx, cy).buffer(rng.uniform(300, 2500)))
        else:
            pts = rng.normal(0, rng.uniform(500, 2000), (rng.integers(3, 9), 2))
            shapes.append(shapely.MultiPoint(pts + [cx, cy - X0 + Y0]).convex_hull)
    return shapes


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_agrees_with_geopandas_overlay(seed):
    rng = np.random.default_rng(seed)
    n = 6
    areas = grid_areas(n=n)
    areas["population"] = rng.integers(500, 3000, n * n).astype(float)
    areas["need_drug"] = rng.uniform(1, 60, n * n)
    shapes = [s for s in random_polygons(rng, 30, n * 1000) if s.area > 0]
    ids = [f"S{k:02d}" for k in range(len(shapes))]
    smap = make([service(s, reach="none") for s in ids],
                [site(f"{s}-site", s, mode="phone") for s in ids], areas=areas)
    cats = gpd.GeoDataFrame({"service": ids}, geometry=shapes, crs=27700)
    ovl = find_overlaps(smap, exact=True, catchments=cats.set_index("service"))

    # the second method: overlay the catchments pairwise, then with the areas
    a = areas.set_index("code")
    pairs = gpd.overlay(cats, cats, how="intersection", keep_geom_type=True)
    pairs = pairs[pairs["service_1"] < pairs["service_2"]]
    pieces = gpd.overlay(pairs, areas[["code", "geometry"]], how="intersection",
                         keep_geom_type=True)
    share = pieces.geometry.area.to_numpy() / 1e6   # every area is 1 square km
    pieces = pieces.assign(share=share, pop=share * a.loc[pieces["code"], "population"]
                           .to_numpy(), need=share * a.loc[pieces["code"], "need_drug"]
                           .to_numpy())
    pieces = pieces[pieces["share"] > 1e-9]
    want = pieces.groupby(["service_1", "service_2"]).agg(
        shared_areas=("code", "nunique"), shared_population=("pop", "sum"),
        need_drug=("need", "sum"))
    want.index.names = ["service_a", "service_b"]
    got = ovl.table.loc[want.index, want.columns]
    assert set(ovl.table.index) == set(want.index) and len(want) > 30
    pd.testing.assert_frame_equal(got.sort_index(), want.sort_index(), rtol=1e-6,
                                  check_dtype=False)

    # each service's catchment population, from one overlay with the areas
    each = gpd.overlay(cats, areas[["code", "geometry"]], how="intersection",
                       keep_geom_type=True)
    each["pop"] = each.geometry.area / 1e6 * a.loc[each["code"], "population"].to_numpy()
    catchment = each.groupby("service")["pop"].sum()
    t = ovl.table
    assert np.allclose(t["share_a"], t["shared_population"]
                       / catchment[t.index.get_level_values(0)].to_numpy(), rtol=1e-6)
    assert np.allclose(t["share_b"], t["shared_population"]
                       / catchment[t.index.get_level_values(1)].to_numpy(), rtol=1e-6)


def test_exact_on_bedfordshire_agrees_with_reach_on_whole_area_catchments():
    # services reaching their whole footprint are exact either way
    smap = sm.datasets.bedfordshire()
    whole = smap.services.index[smap.services["reach"] == "none"]
    exact = find_overlaps(smap, exact=True, intervention="any").table
    fast = find_overlaps(smap, intervention="any").table
    both = [p for p in fast.index if p[0] in whole and p[1] in whole]
    assert len(both) > 10
    pd.testing.assert_frame_equal(
        exact.loc[both, ["shared_areas", "shared_population", "need_drug"]],
        fast.loc[both, ["shared_areas", "shared_population", "need_drug"]],
        check_dtype=False)


def test_catchments_in_another_crs_are_reprojected():
    smap = make([service("A", reach="none"), service("B", reach="none")],
                [site("a", "A", mode="phone"), site("b", "B", mode="phone")])
    drawn = gpd.GeoSeries([box(0, 1.5), box(1, 3)], index=["A", "B"], crs=27700)
    with pytest.warns(sm.ReprojectionWarning, match="`catchments` was reprojected"):
        ovl = find_overlaps(smap, exact=True, catchments=drawn.to_crs(4326))
    assert ovl.table["shared_population"].iloc[0] == pytest.approx(2250.0, rel=1e-4)


# -- errors -----------------------------------------------------------------------------
def test_bad_arguments():
    smap = two()
    with pytest.raises(ValueError, match="across='partnerships'.*Did you mean 'partnership'"):
        find_overlaps(smap, across="partnerships")
    with pytest.raises(ValueError, match="need='drugs'.*Did you mean 'drug'"):
        find_overlaps(smap, need="drugs")
    with pytest.raises(ValueError, match="client_group='adult'"):
        find_overlaps(smap, client_group="adult")
    with pytest.raises(ValueError, match="exact='yes'"):
        find_overlaps(smap, exact="yes")
    drawn = gpd.GeoSeries([box(0, 1)], index=["S1"], crs=27700)
    with pytest.raises(ValueError, match="catchments= gives drawn catchments for exact=True"):
        find_overlaps(smap, catchments=drawn)
    with pytest.raises(ValueError, match="catchments= takes a GeoSeries.*got DataFrame"):
        find_overlaps(smap, exact=True, catchments=pd.DataFrame({"x": [1]}))
    with pytest.raises(ValueError, match="'S11' is not a service of the map. Did you mean 'S1'"):
        find_overlaps(smap, exact=True, catchments=drawn.set_axis(["S11"]))
    line = gpd.GeoSeries([shapely.LineString([(0, 0), (1, 1)])], index=["S1"], crs=27700)
    with pytest.raises(ValueError, match="catchment of 'S1' is a LineString, not a polygon"):
        find_overlaps(smap, exact=True, catchments=line)
    with pytest.raises(sm.CRSError, match="`catchments` has no CRS"):
        find_overlaps(smap, exact=True, catchments=drawn.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="S1' has more than one row"):
        find_overlaps(smap, exact=True, catchments=pd.concat([drawn, drawn]))


def test_minutes_cannot_be_drawn():
    times = pd.DataFrame({"area": [code(1)], "site": ["A"], "minutes": [5.0]})
    smap = sm.ServiceMap.from_frames(
        areas=grid_areas(), organisations=ORGS, travel_times=times,
        services=[service("S1", reach="minutes", max_minutes=10),
                  service("S2", reach="none")],
        sites=[site("A", "S1", k=1), site("B", "S2", mode="phone")])
    assert find_overlaps(smap).table.loc[("S1", "S2"), "shared_areas"] == 1
    with pytest.raises(ValueError, match="1 service reaches by minutes \\(S1\\).*catchments="):
        find_overlaps(smap, exact=True)
    drawn = gpd.GeoSeries([box(0, 1, 0, 1)], index=["S1"], crs=27700)
    t = find_overlaps(smap, exact=True, catchments=drawn).table
    assert t.loc[("S1", "S2"), "shared_population"] == pytest.approx(POPULATION[1])


def test_explain():
    smap = two({"provider": "TP", "commissioners": "P1", "name": "Hub",
                "interventions": "psychosocial; opioid_substitution"},
               {"provider": "TQ", "name": "Outreach",
                "interventions": "psychosocial; outreach"})
    ovl = find_overlaps(smap)
    shared = ovl.explain(("S2", "S1"))
    assert sorted(shared.index) == [code(2), code(4), code(5)]
    assert shared.columns.tolist() == ["name", "overlap", "population", "need_drug"]
    assert shared["population"].sum() == 4100 and shared["need_drug"].sum() == 41
    assert shared.equals(ovl.explain(ovl.table.index[0]))
    # treatment both offer: psychosocial, of psychosocial and opioid substitution
    # (outreach is not treatment): 1/2. Catchments by need: 41 of 52 and 41 of 75;
    # similarity (1/2 x 1 x 1 x 41/75) ** (1/4) = 0.7231
    headline = shared.attrs["headline"]
    assert headline == (
        "Hub (S1; provider TP; commissioned by P1) and Outreach (S2; provider TQ; "
        "commissioned by no partnership) overlap for drug (adults, older_people) in 3 "
        "areas where about 4,100 people live: 79% of the first's catchment population "
        "and 55% of the second's. Similarity 0.72 (interventions 0.50: psychosocial; "
        "client groups 1.00; needs 1.00; catchment 0.55): alike enough to count as "
        "duplication.")
    strict = find_overlaps(smap, min_similarity=0.8)
    assert strict.explain(("S1", "S2")).attrs["headline"].endswith(
        "not counted as duplication: less alike than 0.8.")
    # the outreach team by phone only, everywhere: it shares all of S1's catchment,
    # 52 of its own 135: (1/2 x 52/135) ** (1/4) = 0.6624, set apart
    smap = make([service("S1", max_distance=1500, name="Hub",
                         interventions="psychosocial; opioid_substitution"),
                 service("S2", reach="none", name="Outreach",
                         interventions="psychosocial; outreach")],
                [site("A", "S1", k=1), site("B", "S2", mode="phone")])
    phone = find_overlaps(smap).explain(("S1", "S2")).attrs["headline"]
    assert phone.endswith("Similarity 0.66 (interventions 0.50: psychosocial; client "
                          "groups 1.00; needs 1.00; catchment 0.39): not counted as "
                          "duplication: Outreach is remote (phone or online only).")
    # a key is a label of the table's index: no row positions
    with pytest.raises(KeyError, match="S9.*is not a pair of services of this report"):
        ovl.explain(("S1", "S9"))
    with pytest.raises(KeyError, match="0 is not a pair of services of this report"):
        ovl.explain(0)


# -- summary ----------------------------------------------------------------------------
def test_summary_counts_each_area_once():
    # S1 (P1) overlaps S2 (P2) in 2, 4, 5 and S3 (P2, reach none everywhere) in
    # 1, 2, 4, 5; S2 and S3 are both P2. Across partnerships: two pairs P1 | P2, areas
    # 1, 2, 4, 5 once each: 1100 + 1200 + 1400 + 1500 = 5200 people, need 11+12+14+15
    smap = make([service("S1", max_distance=1500, commissioners="P1"),
                 service("S2", max_distance=1000, commissioners="P2"),
                 service("S3", reach="none", commissioners="P2")],
                [site("A", "S1", k=1), site("B", "S2", k=5), site("C", "S3", mode="phone")])
    every = {"min_similarity": 0, "set_apart": ()}      # every pair counts
    ovl = find_overlaps(smap, across="partnership", **every)
    s = ovl.summary()
    assert s.index.tolist() == [("P1", "P2", "drug")]
    row = s.iloc[0]
    assert (row["pairs"], row["comparable"], row["services"], row["areas"]) == (2, 2, 3, 4)
    assert (row["population"], row["need"]) == (5200, 52)
    assert str(s["population"].dtype) == "Int64"
    # without across: (P2, P2) adds the pair S2-S3 in 2, 4, 5, 6, 8
    s_all = find_overlaps(smap, **every).summary()
    assert s_all.loc[("P2", "P2", "drug"), "population"] == 1200 + 1400 + 1500 + 1600 + 1800
    # by default neither pair counts: S1 and S2 list no intervention (similarity 0),
    # S3 is a phone line (set apart). The row says the sides overlap, and that no
    # services, areas or people duplicate
    row = find_overlaps(smap, across="partnership").summary().iloc[0]
    assert (row["pairs"], row["comparable"], row["services"], row["areas"]) == (2, 0, 0, 0)
    assert (row["population"], row["need"]) == (0, 0)
    assert row["similarity"] == 0.0       # of S1-S2: S1-S3 is set apart


def test_summary_hides_small_counts():
    areas = grid_areas()
    areas["need_drug"] = 0.5    # 3 areas shared: 1.5 people, rounds to 2, below 5
    smap = make([service("S1", max_distance=1500, commissioners="P1"),
                 service("S2", max_distance=1000, commissioners="P2")],
                [site("A", "S1", k=1), site("B", "S2", k=5)], areas=areas)
    ovl = find_overlaps(smap, min_similarity=0, set_apart=())
    assert pd.isna(ovl.summary().iloc[0]["need"])
    assert ovl.summary().iloc[0]["population"] == 4100
    assert ovl.summary(suppress=None).iloc[0]["need"] == pytest.approx(1.5)
    assert ovl.summary(suppress=1).iloc[0]["need"] == 2


def test_summary_exact_takes_the_union_of_pieces():
    # A: columns up to 1.5 km; B and C both over columns 1.25-3 and 1-2: with A they
    # overlap in x 1.25-1.5 (B) and 1-1.5 (C) of squares 2, 5, 8: the union is half of
    # each square, 2250 people, not 2250 + 1125
    smap = make([service(s, reach="none", commissioners=p)
                 for s, p in (("A", "P1"), ("B", "P2"), ("C", "P2"))],
                [site(f"{s}-site", s, mode="phone") for s in "ABC"])
    drawn = gpd.GeoSeries([box(0, 1.5), box(1.25, 3), box(1, 2)], index=list("ABC"),
                          crs=27700)
    ovl = find_overlaps(smap, exact=True, catchments=drawn, across="partnership",
                        min_similarity=0, set_apart=())
    assert ovl.table["shared_population"].sum() == pytest.approx(2250 + 1125)
    s = ovl.summary(suppress=None)
    assert s.loc[("P1", "P2", "drug"), "population"] == pytest.approx(2250.0)
    assert s.loc[("P1", "P2", "drug"), "areas"] == 3


def test_summary_by_other_sides():
    # S1 (TP, P1) and S2 (TQ, P2) share 2, 4, 5; S3 (TP, P2) shares 1, 2, 4, 5 with S1
    # and 2, 4, 5, 6, 8 with S2
    smap = make([service("S1", max_distance=1500, commissioners="P1", provider="TP"),
                 service("S2", max_distance=1000, commissioners="P2", provider="TQ"),
                 service("S3", reach="none", commissioners="P2", provider="TP")],
                [site("A", "S1", k=1), site("B", "S2", k=5), site("C", "S3", mode="phone")])
    ovl = find_overlaps(smap, across="provider", min_similarity=0, set_apart=())
    assert sorted(ovl.table.index) == [("S1", "S2"), ("S2", "S3")]
    by_provider = ovl.summary(suppress=None)             # the report's across
    assert by_provider.index.tolist() == [("TP", "TQ", "drug")]
    # S1-S2 in 2, 4, 5 and S2-S3 in 2, 4, 5, 6, 8: 1200+1400+1500+1600+1800 people
    assert by_provider.iloc[0]["population"] == 7500.0
    by_partnership = ovl.summary("partnership", suppress=None)
    assert by_partnership.index.tolist() == [("P1", "P2", "drug"), ("P2", "P2", "drug")]
    assert by_partnership["pairs"].tolist() == [1, 1]
    with pytest.raises(ValueError, match="by='providers'.*Did you mean 'provider'"):
        ovl.summary("providers")


def test_the_report_family():
    from dataclasses import FrozenInstanceError

    from servicemap.analysis._report import Report

    smap = two({"name": "<b>Hub</b>"})
    ovl = find_overlaps(smap)
    # S2 holds 7500 of the map's 13,500 people (56%, less than two-thirds): local
    assert isinstance(ovl, Report) and ovl.notes == [
        "1 pair of local services is less alike than min_similarity=0.5: listed, not "
        "counted as duplication.",
        "2 services for drug list no intervention of a known kind (S1, S2): counted as "
        "drug treatment. List their interventions to tell treatment from the rest."]
    with pytest.raises(FrozenInstanceError):
        ovl.table = None
    html = ovl._repr_html_()
    assert ("&lt;OverlapReport: 1 pair, 0 counted as duplication, in 0 areas" in html
            and "<b>Hub" not in html)
    # 1500 m from square 5 reaches every square: most of the map, area-wide
    wide = find_overlaps(make([service("S1", max_distance=1500),
                               service("S2", max_distance=1500)],
                              [site("A", "S1", k=1), site("B", "S2", k=5)]))
    assert wide.table[["scope_a", "scope_b"]].iloc[0].tolist() == ["local", "area-wide"]
    assert wide.notes[0] == (
        "Set apart as area-wide (serving their whole footprint whatever the distance, "
        "or with at least 67% of the map's people in their catchment): S2. They overlap "
        "every service near them by design, so their 1 pair is listed after the pairs "
        "of local services and not counted as duplication (set_apart=() counts them).")
    # notes: areas without population, catchments given for services not compared
    areas = grid_areas()
    areas.loc[0, "population"] = np.nan
    smap = make([service("A", reach="none"), service("B", reach="none"),
                 service("C", reach="none", needs="alcohol")],
                [site(f"{s}-site", s, mode="phone") for s in "ABC"], areas=areas)
    drawn = gpd.GeoSeries([box(0, 1), box(0, 1)], index=["A", "C"], crs=27700)
    ovl = find_overlaps(smap, need="drug", exact=True, catchments=drawn)
    assert ovl.notes[0].startswith("Set apart as remote (no in-person or outreach site: "
                                   "phone or online support, or no site): A, B.")
    assert ovl.notes[-2:] == [
        "1 area has no population: counted as 0 people.",
        "Catchments were given for services not compared (not counted, or outside the "
        "needs and groups): C."]


def test_empty_report():
    ovl = find_overlaps(two({"needs": "alcohol"}))
    assert ovl.table.empty and ovl.table.index.names == ["service_a", "service_b"]
    assert "shared_population" in ovl.table.columns
    assert (ovl.duplication["duplication"] == 0).all()
    assert ovl.summary().empty
    assert repr(ovl).startswith("<OverlapReport: 0 pairs, 0 counted as duplication, in "
                                "0 areas")
    assert ovl.duplication.columns.tolist() == ["services", "pairs", "duplication",
                                                "other_pairs"]


# -- the map ------------------------------------------------------------------------------
def test_plot_draws_the_duplication_index():
    smap = make([service("S1", max_distance=1500), service("S2", max_distance=1000),
                 service("S3", reach="none", footprint="E06000002")],
                [site("A", "S1", k=1), site("B", "S2", k=5), site("C", "S3", mode="phone")])
    ovl = find_overlaps(smap, min_similarity=0, set_apart=())   # every pair counts
    ax = ovl.plot()
    try:
        assert ax.get_title() == "Where alike services overlap: drug treatment"
        # 2, 4, 5 (S1, S2) and 6 (S2, S3): 2 alike services; the other 5 none
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "no alike services overlap (5 areas)", "2 alike services overlap (4 areas)"]
        none, two_services = ax.collections
        assert len(none.get_paths()) == 5 and len(two_services.get_paths()) == 4
        assert np.allclose(none.get_facecolors(), matplotlib.colors.to_rgba("#eeeeee"))
        assert np.allclose(two_services.get_facecolors(), plt.get_cmap("YlOrRd")(0.35))
        # by default nothing counts here (no intervention listed, S3 a phone line)
        ax = find_overlaps(smap).plot(title="Duplication")
        assert ax.get_title() == "Duplication"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "no alike services overlap (9 areas)"]
        # three levels: none, 2 and 3 services, coloured along the colour map
        smap = alike_map()
        ax = find_overlaps(smap, need="drug", set_apart=()).plot(cmap="Blues")
        assert ax.get_title() == "Where alike services overlap: drug treatment"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            "no alike services overlap (4 areas)", "2 alike services overlap (2 areas)",
            "3 alike services overlap (3 areas)"]
        assert np.allclose(ax.collections[2].get_facecolors(), plt.get_cmap("Blues")(1.0))
        ax = find_overlaps(smap, across="partnership").plot()
        assert ax.get_title() == ("Where alike local services of different partnerships "
                                  "overlap: drug treatment; alcohol treatment")
    finally:
        plt.close("all")

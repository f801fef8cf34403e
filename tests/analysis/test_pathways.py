"""Pathways: hand-built referral graphs over the 1 km grid, and a brute-force oracle.

The grid (tests/toy.py): 3 x 3 squares of 1 km, square k (1..9, row by row from the
south-west) with need_drug = 10 + k, so all squares hold 135 people with the need.
Squares 1, 2, 4, 5, 7, 8 are LAD E06000001; 3, 6, 9 are E06000002. From a site at
square 1's centre, squares 2 and 4 are 1000 m away and 5 is 1414 m; from square 9's
centre, 6 and 8 are 1000 m and 5 is 1414 m. A 1500 m reach from square 1 takes in
squares 1, 2, 4, 5; from square 9, squares 5, 6, 8, 9.

Services reaching ``none`` with no footprint take every square. "E" below is the
entry point ``police_vulnerable_persons`` unless a test says otherwise.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import (
    ENTRY,
    NEED,
    code,
    every_barrier_map,
    housing,
    referral_map,
    service,
    site,
    step,
)

import servicemap as sm
from servicemap.analysis.pathways import BARRIERS


def status_of(report):
    return {int(c[3:]): s for c, s in report.table["status"].items()}


def test_a_chain_of_three_hand_offs_with_every_barrier():
    # E -P1 (public task)-> A -P2 (explicit consent)-> B -P3 (no agreement)-> T.
    # A and B are commissioned by DAP1, T by DAP2: B -> T crosses a boundary.
    # T takes 10 clients a year and is offered 12 (P3's volume): a bottleneck.
    smap = referral_map(
        [housing("A", commissioners="DAP1"), housing("B", commissioners="DAP1"),
         service("T", reach="none", commissioners="DAP2", capacity=10,
                 capacity_unit="clients_per_year")],
        [step("P1", "E", "A", wait=1),
         step("P2", "A", "B", wait=2, consent_basis="explicit_consent"),
         step("P3", "B", "T", wait=3, information_sharing_agreement="no",
              volume_per_year=12)])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert set(status_of(routes).values()) == {"barriers"}
    row = routes.table.loc[code(5)]
    assert row["chain"] == ("A", "B", "T")
    assert row["pathways"] == ("P1", "P2", "P3")
    assert (row["hand_offs"], row["wait_days"]) == (3, 6.0)
    assert row["barriers"] == ("consent", "no_isa", "cross_boundary", "bottleneck")
    steps = routes.steps.loc[0]
    flags = steps[list(BARRIERS)].astype(bool)
    assert flags.loc[1].tolist() == [False, False, False, False]      # E -> A
    assert flags.loc[2].tolist() == [True, False, False, False]       # A -> B: consent
    assert flags.loc[3].tolist() == [False, True, True, True]         # B -> T
    assert steps.loc[3, ["referred_in_per_year", "capacity_per_year"]].tolist() == [
        12.0, 10.0]
    assert routes.attrs["non_consensual_entries"] == (ENTRY,)
    headline = routes.explain(code(5)).attrs["headline"]
    assert headline == ("Square 5 (E01000005): 3 hand-offs to T (A -> B -> T), 6 days' "
                        "typical wait; barriers: consent, no_isa, cross_boundary, "
                        "bottleneck.")


def test_consent_is_a_barrier_only_on_a_route_entered_without_it():
    # The same chain entered with consent: explicit consent later is no barrier.
    # T is offered 10 a year for 10 places a year: not a bottleneck (not more).
    smap = referral_map(
        [housing("A", commissioners="DAP1"),
         service("T", reach="none", commissioners="DAP1", capacity=10,
                 capacity_unit="clients_per_year")],
        [step("P1", "E", "A", consent_basis="explicit_consent"),
         step("P2", "A", "T", consent_basis="explicit_consent", volume_per_year=10)])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert set(status_of(routes).values()) == {"clear"}
    assert routes.attrs["non_consensual_entries"] == ()


def test_places_are_judged_only_with_a_turnover():
    smap = referral_map(
        [service("T", reach="none", capacity=10, capacity_unit="places")],
        [step("P1", "E", "T", volume_per_year=15)])
    plain = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert plain.chains["barriers"].tolist() == [()]
    assert any("Bottleneck not judged for T" in n for n in plain.notes)
    # two people a place a year: 20 a year for 15 offered, no bottleneck; one: 10 < 15
    assert sm.trace_pathways(smap, entry=ENTRY, need="drug",
                             turnover={"places": 2}).chains["barriers"].tolist() == [()]
    assert sm.trace_pathways(smap, entry=ENTRY, need="drug", turnover={"places": 1}
                             ).chains["barriers"].tolist() == [("bottleneck",)]


def test_fewest_hand_offs_first_then_least_wait():
    # E -> A (5 days) -> T (1): 2 hand-offs, 6 days.
    # E -> B (1) -> T (10): 2 hand-offs, 11 days.
    # E -> B (1) -> C (1) -> T (1): 3 days but 3 hand-offs.
    # A reaches squares 1, 2, 4, 5 only (a 1500 m reach from square 1).
    smap = referral_map(
        [service("A", needs="housing", max_distance=1500), housing("B"), housing("C"),
         service("T", reach="none")],
        [step("P1", "E", "A", wait=5), step("P2", "A", "T", wait=1),
         step("P3", "E", "B", wait=1), step("P4", "B", "T", wait=10),
         step("P5", "B", "C", wait=1), step("P6", "C", "T", wait=1)],
        sites=[site("SA", "A", k=1)])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    t = routes.table
    for k in (1, 2, 4, 5):
        assert (t.loc[code(k), "chain"], t.loc[code(k), "wait_days"]) == (("A", "T"), 6.0)
    for k in (3, 6, 7, 8, 9):
        assert (t.loc[code(k), "chain"], t.loc[code(k), "wait_days"]) == (("B", "T"), 11.0)
    assert routes.chains["areas"].sort_values().tolist() == [4, 5]
    # Single points of failure. Squares 1, 2, 4, 5 have E-A-T, E-B-T and E-B-C-T: only
    # T is on all. Squares 3, 6, 7, 8, 9 have E-B-T and E-B-C-T: B and T.
    spof = routes.single_points_of_failure()
    assert spof.index.tolist() == ["T", "B"]
    assert spof["areas"].tolist() == [9, 5]
    assert spof["need_drug"].tolist() == [135.0, sum(NEED[k] for k in (3, 6, 7, 8, 9))]
    by_area = spof.attrs["by_area"]
    assert set(by_area[code(1)]) == {"T"}
    assert set(by_area[code(9)]) == {"B", "T"}


def test_a_cycle_is_followed_once():
    # E -> A -> B -> A (a cycle) and B -> T; also E -> X -> Y -> X with no way out.
    smap = referral_map(
        [housing("A"), housing("B"), housing("X"), housing("Y"), service("T", reach="none")],
        [step("P1", "E", "A"), step("P2", "A", "B"), step("P3", "B", "A"),
         step("P4", "B", "T"), step("P5", "E", "X"), step("P6", "X", "Y"),
         step("P7", "Y", "X")])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert set(routes.table["chain"]) == {("A", "B", "T")}
    # every service but the dead-end X and Y is reached; all five are: A, B, T, X, Y
    assert set(routes.table["reached"]) == {5}
    # every route passes through A, B and T
    spof = routes.single_points_of_failure()
    assert sorted(spof.index) == ["A", "B", "T"]
    assert set(spof["areas"]) == {9}


def test_route_status_follows_each_service_reach():
    # E -> A (1500 m from square 1: squares 1, 2, 4, 5) -> T (1500 m from square 9:
    # squares 5, 6, 8, 9). Only square 5 is taken by both.
    smap = referral_map([service("A", needs="housing", max_distance=1500),
                         service("T", max_distance=1500)],
                        [step("P1", "E", "A"), step("P2", "A", "T")],
                        sites=[site("SA", "A", k=1), site("ST", "T", k=9)])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert status_of(routes) == {k: "clear" if k == 5 else "no_route" for k in NEED}
    # services reached from the entry for each square: A where A reaches, plus T in 5
    assert {int(c[3:]): n for c, n in routes.table["reached"].items()} == {
        1: 1, 2: 1, 3: 0, 4: 1, 5: 2, 6: 0, 7: 0, 8: 0, 9: 0}
    why = routes.explain(code(9))
    assert why.attrs["headline"] == (
        "Square 9 (E01000009): no route; no service police_vulnerable_persons refers "
        "to first takes this area's residents (A: too far: 2.8 km, 1.3 km beyond its "
        "1.5 km).")
    why = routes.explain(code(1))
    assert why.attrs["headline"].endswith(
        "refers to A here, but no onward referral from there leads to drug treatment "
        "that takes this area's residents.")
    assert why.loc["T", "why"] == "too far: 2.8 km, 1.3 km beyond its 1.5 km"
    summary = routes.summary("lad", suppress=None)
    # LAD E06000001 holds squares 1, 2, 4, 5, 7, 8; only 5 has a route
    assert summary.loc["E06000001", "clear"] == NEED[5]
    assert summary.loc["E06000001", "no_route"] == sum(NEED[k] for k in (1, 2, 4, 7, 8))
    assert summary.loc["E06000002", "no_route"] == sum(NEED[k] for k in (3, 6, 9))


def test_a_disconnected_service_gives_no_route():
    # D treats drug use everywhere but nothing refers to it; T reaches squares 1, 2, 4, 5.
    smap = referral_map([service("T", max_distance=1500), service("D", reach="none")],
                        [step("P1", "E", "T")], sites=[site("ST", "T", k=1)])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert status_of(routes) == {k: "clear" if k in (1, 2, 4, 5) else "no_route"
                                 for k in NEED}
    assert "D" not in set(itertools.chain(*routes.table["chain"]))


def test_an_entry_point_with_no_onward_edge():
    smap = referral_map([housing("A"), service("T", reach="none")],
                        [step("P1", "E", "A")])
    dead_end = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert set(status_of(dead_end).values()) == {"no_route"}
    assert dead_end.explain(code(1)).attrs["headline"] == (
        "Square 1 (E01000001): no route; police_vulnerable_persons refers to A here, but "
        "no onward referral from there leads to drug treatment that takes this area's "
        "residents.")
    silent = sm.trace_pathways(smap, entry="a_and_e", need="drug")
    assert set(status_of(silent).values()) == {"no_route"}
    assert any("No pathway leaves a_and_e" in n for n in silent.notes)
    assert silent.explain(code(1)).attrs["headline"] == (
        "Square 1 (E01000001): no route; no pathway leaves a_and_e.")
    assert silent.single_points_of_failure().empty


def test_client_group_hours_and_status_stop_a_chain():
    # E -> Y (young people aged 11-17) -> T; E -> A (adults, weekdays) -> T.
    smap = referral_map([service("Y", needs="youth", client_groups="young_people",
                                 min_age=11, max_age=17, reach="none",
                                 hours="Daily 08:00-20:00"),
                         housing("A", hours="Mon-Fri 09:00-17:00"),
                         service("T", reach="none", client_groups="adults; young_people"),
                         service("OLD", reach="none", status="decommissioned",
                                 hours="24/7")],
                        [step("P1", "E", "Y"), step("P2", "Y", "T"), step("P3", "E", "A",
                                                                          wait=9),
                         step("P4", "A", "T"), step("P5", "E", "OLD")])
    adults = sm.trace_pathways(smap, entry=ENTRY, need="drug", client_group="adults")
    assert set(adults.table["chain"]) == {("A", "T")}
    young = sm.trace_pathways(smap, entry=ENTRY, need="drug", client_group="young_people")
    assert set(young.table["chain"]) == {("Y", "T")}
    weekend = sm.trace_pathways(smap, entry=ENTRY, need="drug", client_group="adults",
                                hour_band="weekend")
    assert set(status_of(weekend).values()) == {"no_route"}
    why = weekend.explain(code(1))
    assert why.loc["A", "why"] == "closed weekend: open Mon-Fri 09:00-17:00"
    assert why.loc["Y", "why"] == "not for adults: for young_people"
    assert why.loc["OLD", "why"] == "status decommissioned"
    # by default any group counts, and the best chain is the quicker one through Y
    anyone = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert set(anyone.table["chain"]) == {("Y", "T")}
    assert any("No client_group given" in n for n in anyone.notes)


def test_to_names_the_treatment_services():
    smap = referral_map([housing("A"), service("T", reach="none"), service("U", reach="none")],
                        [step("P1", "E", "T"), step("P2", "E", "A"), step("P3", "A", "U")])
    routes = sm.trace_pathways(smap, entry=ENTRY, to="U")
    assert set(routes.table["chain"]) == {("A", "U")}


def test_bad_arguments_say_what_to_give():
    smap = referral_map([service("T", reach="none")], [step("P1", "E", "T")])
    with pytest.raises(ValueError, match="entry='polce_custody'.*Did you mean 'police_custody'"):
        sm.trace_pathways(smap, entry="polce_custody", need="drug")
    with pytest.raises(ValueError, match="give to= .* or need="):
        sm.trace_pathways(smap, entry=ENTRY)
    with pytest.raises(ValueError, match="to='X': no such service"):
        sm.trace_pathways(smap, entry=ENTRY, to="X")
    with pytest.raises(ValueError, match="give one hour band"):
        sm.trace_pathways(smap, entry=ENTRY, need="drug", hour_band=["weekend",
                                                                       "overnight"])
    with pytest.raises(ValueError, match="turnover"):
        sm.trace_pathways(smap, entry=ENTRY, need="drug", turnover={"beds": -1})
    with pytest.raises(KeyError, match="'E0100009' is not a traced area of this report"
                                       ".*Did you mean 'E01000009'"):
        sm.trace_pathways(smap, entry=ENTRY, need="drug").explain("E0100009")


def test_the_report_family():
    from dataclasses import FrozenInstanceError

    from servicemap.analysis._report import Report

    smap = referral_map([housing("A"), service("T", reach="none", name="<i>T</i>")],
                        [step("P1", "E", "A"), step("P2", "A", "T")])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    assert isinstance(routes, Report) and isinstance(routes.notes, list)
    # T lists no intervention: counted as drug treatment, and the notes say so first
    assert routes.notes[0].startswith("1 service for drug lists no intervention of a "
                                      "known kind (T)")
    assert routes.notes[1].startswith("No client_group given")
    with pytest.raises(FrozenInstanceError):
        routes.table = None
    assert routes.smap is smap
    # every pathway of the map, judged with the report's turnover
    assert routes.handoffs.index.tolist() == ["P1", "P2"]
    assert routes.handoffs["from"].tolist() == [ENTRY, "A"]
    html = routes._repr_html_()
    assert "&lt;PathwayReport from" in html and "<i>" not in html
    assert routes.summary("lad", suppress=None)["areas"].sum() == 9


# -- a second method: every simple chain, area by area ---------------------------------
def oracle(smap, entries, targets, keep):
    """Per area: (hand-offs, wait) of the best chain and the single points of failure.

    Enumerates every simple chain of referrals over the services that take the area,
    and tests each service by taking it out and searching again (networkx).
    """
    import networkx as nx

    reach = sm.reach_matrix(smap).matrix.tocsr()
    pw = smap.pathways
    services = list(smap.services.index)
    out = {}
    for a, area in enumerate(smap.areas.index):
        takes = {services[j] for j in reach.indices[reach.indptr[a]:reach.indptr[a + 1]]
                 if keep[j]}
        graph = nx.MultiDiGraph()
        graph.add_node("entry")
        for pid, p in pw.iterrows():
            if p["to_service"] not in takes:
                continue
            src = ("entry" if p["from_entry"] in entries else
                   p["from_service"] if p["from_service"] in takes else None)
            if src is not None:
                w = 0.0 if pd.isna(p["wait_days"]) else float(p["wait_days"])
                graph.add_edge(src, p["to_service"], key=pid, wait=w)
        ends = [t for t in targets if t in graph]
        best = None
        for t in ends:
            for path in nx.all_simple_edge_paths(graph, "entry", t):
                cost = (len(path), sum(graph.edges[e]["wait"] for e in path))
                best = cost if best is None or cost < best else best
        spof = set()
        if best is not None:
            for v in takes & set(graph.nodes):
                rest = graph.copy()
                rest.remove_node(v)
                if not any(t in rest and nx.has_path(rest, "entry", t) for t in ends):
                    spof.add(v)
        out[area] = (best, spof)
    return out


def check_against_oracle(smap, entries, **kw):
    routes = sm.trace_pathways(smap, entry=entries, **kw)
    keep = (smap.services["status"] == "active").to_numpy()
    targets = list(routes.attrs["to"])
    expect = oracle(smap, set(entries), targets, keep)
    spof = routes.single_points_of_failure().attrs["by_area"]
    for area, (best, cut) in expect.items():
        row = routes.table.loc[area]
        if best is None:
            assert row["status"] == "no_route", area
        else:
            assert (row["hand_offs"], row["wait_days"]) == pytest.approx(best), area
            assert set(spof.get(area, ())) == cut, area
    return routes


def test_bedfordshire_matches_every_simple_chain():
    smap = sm.datasets.bedfordshire()
    for entry in ("police_vulnerable_persons", "a_and_e", "police_custody",
                  "prison_release"):
        check_against_oracle(smap, [entry], to=["bcb-adult-hub", "lut-adult-hub",
                                                "bcb-satellites", "beds-detox"])


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_random_referral_graphs_match_every_simple_chain(data):
    n = data.draw(st.integers(3, 7))
    names = [f"S{k}" for k in range(n)]
    services, sites = [], []
    for k, sid in enumerate(names):
        need = "drug" if k >= n - 2 else "housing"
        if data.draw(st.booleans()):
            services.append(service(sid, needs=need, reach="none"))
        else:
            services.append(service(sid, needs=need, max_distance=data.draw(
                st.sampled_from([1100, 1500, 2100]))))
            sites.append(site(f"site-{sid}", sid, k=data.draw(st.integers(1, 9))))
    edges = data.draw(st.lists(st.tuples(st.sampled_from(["E", *names]),
                                         st.sampled_from(names),
                                         st.integers(0, 5)), min_size=1, max_size=14))
    pathways = [step(f"P{k}", frm, to, wait=w) for k, (frm, to, w) in enumerate(edges)
                if frm != to]
    if not pathways:
        return
    smap = referral_map(services, pathways, sites)
    check_against_oracle(smap, [ENTRY], need="drug")


def test_bedfordshire_routes_from_the_police_and_prison():
    smap = sm.datasets.bedfordshire()
    before = {name: getattr(smap, name).copy() for name in ("pathways", "services")}
    police = sm.trace_pathways(smap, entry="police_vulnerable_persons", need="drug")
    # Luton police refer on a public task with an agreement (pw-01); Bedford police
    # need consent and have no agreement (pw-02); the Bedford hub's 12 km leaves
    # 146 LSOAs of Central Bedfordshire without a route.
    assert police.table["status"].value_counts().to_dict() == {
        "no_route": 146, "clear": 121, "barriers": 114}
    by_chain = police.chains.set_index("chain")["barriers"].to_dict()
    assert by_chain == {("lut-adult-hub",): (), ("bcb-adult-hub",): ("consent", "no_isa")}
    prison = sm.trace_pathways(smap, entry="prison_release", need="drug",
                               client_group=["adults", "people_leaving_prison"])
    # treatment is the hubs and satellites, not the criminal-justice team's assessment:
    # prison release refers straight to the two hubs (pw-13, pw-14), so the same 146
    # areas beyond the Bedford hub's reach, where only satellites treat, have no route
    assert prison.table["status"].value_counts().to_dict() == {
        "clear": 235, "no_route": 146, "barriers": 0}
    assert (prison.table["status"] == "no_route").equals(
        police.table["status"] == "no_route")
    assert set(prison.chains["chain"]) == {("bcb-adult-hub",), ("lut-adult-hub",)}
    police.single_points_of_failure()
    police.explain(police.table.index[0])
    sm.plotting.pathways(police)
    # the map is left as it was, index names included
    for name, frame in before.items():
        assert getattr(smap, name).index.name == "id"
        assert getattr(smap, name).equals(frame)
    assert smap.replace(pathways=smap.pathways).equals(smap)
    summary = prison.summary()
    assert summary.loc["lut-dap", "no_route"] == 0
    assert np.isclose(summary.loc["lut-dap", "clear"],
                      smap.areas.loc[smap.areas["lad_code"] == "E06000032",
                                     "need_drug"].sum(), atol=0.5)


# -- drawings -------------------------------------------------------------------------
def test_route_map_colours_each_status():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    from servicemap.plotting import ROUTE_COLOURS

    routes = sm.trace_pathways(every_barrier_map(), entry=ENTRY, need="drug")
    ax = routes.plot()
    # T reaches squares 1, 2, 4, 5: those have a route with barriers
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "barriers (4 areas)", "no route (5 areas)"]
    drawn = {}
    for coll in ax.collections:
        colour = tuple(np.round(coll.get_facecolor()[0], 3))
        drawn[colour] = drawn.get(colour, 0) + len(coll.get_paths())
    assert drawn == {tuple(np.round(to_rgba(ROUTE_COLOURS["barriers"]), 3)): 4,
                     tuple(np.round(to_rgba(ROUTE_COLOURS["no_route"]), 3)): 5}
    assert ax.get_title() == ("Routes from Police vulnerable-persons referral to drug "
                              "treatment")
    plt.close("all")


def test_pathway_diagram_styles_each_hand_off():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba
    from matplotlib.patches import FancyArrowPatch

    from servicemap.plotting import ISA_COLOURS

    smap = every_barrier_map()
    ax = sm.plotting.pathways(smap)
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    assert len(arrows) == 4
    # in pathway order: P1 without consent, with agreement; P2 needs consent;
    # P3 has no agreement; P4's basis and agreement are not recorded
    styles = [a.get_linestyle() for a in arrows]
    assert styles == ["-", "--", "-", ":"]
    colours = [tuple(np.round(a.get_edgecolor(), 3)) for a in arrows]
    expect = [ISA_COLOURS[True], ISA_COLOURS[True], ISA_COLOURS[False], ISA_COLOURS[None]]
    assert colours == [tuple(np.round(to_rgba(c), 3)) for c in expect]
    # T is offered 12 referrals a year for 10: ringed as a bottleneck; columns by the
    # longest chain: entry 0, A 1, B 2, T 3
    rings = {t.get_text(): tuple(np.round(c.get_edgecolor()[0], 3))
             for t, c in zip(ax.texts, ax.collections, strict=True)}
    assert rings["T"] == tuple(np.round(to_rgba("#d7191c"), 3))
    assert rings["A"] != rings["T"]
    xs = {t.get_text().replace("-\n", "-"): t.get_position()[0] for t in ax.texts}
    assert xs == {"Police vulnerable-persons referral": 0.0, "A": 1.0, "B": 2.0,
                  "T": 3.0}
    plt.close("all")
    # a report draws the arrows towards treatment, widest where most areas' best
    # chains go: the 4 squares T takes use E -> B -> T; E -> A -> B is used by none
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    ax = sm.plotting.pathways(routes)
    widths = {round(a.get_linewidth(), 2) for a in ax.patches}
    assert widths == {0.8, 4.0}
    assert ax.get_title() == ("Referral pathways from Police vulnerable-persons referral "
                              "to drug treatment")
    plt.close("all")
    with pytest.raises(TypeError, match="takes a ServiceMap or a PathwayReport"):
        sm.plotting.pathways("map")


# -- found in review -------------------------------------------------------------------
def test_a_shared_commissioner_or_partnership_member_is_not_a_boundary():
    # A is commissioned by DAP1 and C2, T by C2: they share C2. U is commissioned by
    # C1, a member of DAP1: a council's service and its partnership's share one.
    smap = referral_map([housing("A", commissioners="DAP1; C2"),
                         service("T", reach="none", commissioners="C2"),
                         service("U", reach="none", commissioners="C1")],
                        [step("P1", "E", "A"), step("P2", "A", "T"), step("P3", "A", "U")])
    for target in ("T", "U"):
        routes = sm.trace_pathways(smap, entry=ENTRY, to=target)
        assert routes.chains["barriers"].tolist() == [()], target


def test_equal_waits_prefer_an_agreement_whatever_the_row_order():
    # two pathways A -> T with the same wait; P3 has no agreement
    for order in ([0, 1, 2], [0, 2, 1]):
        rows = [step("P1", "E", "A"), step("P2", "A", "T", wait=2),
                step("P3", "A", "T", wait=2, information_sharing_agreement="no")]
        smap = referral_map([housing("A"), service("T", reach="none")], [rows[k] for k in order])
        routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
        assert routes.chains["pathways"].tolist() == [("P1", "P2")]


def test_pathway_gaps_trace_each_client_group_on_its_own():
    # E -> A (adults only) -> TC (drug, children only); TA (drug, adults) has no
    # pathway. Neither an adult nor a child has a route, though A and TC together
    # serve "adults or children".
    smap = referral_map([housing("A", min_age=18),
                         service("TC", reach="none", client_groups="children", max_age=12),
                         service("TA", reach="none", min_age=18)],
                        [step("P1", "E", "A"), step("P2", "A", "TC")],
                        [site("S1", "TC; TA", k=5, mode="outreach")])
    gaps = sm.find_gaps(smap, need="drug", client_group=["adults", "children"],
                        entry=ENTRY)
    rows = gaps.table[gaps.table["reason"] == "pathway"]
    assert len(rows) == 9
    assert set(rows["client_group"]) == {"all"}


def test_drawings_of_a_map_without_pathways_and_a_service_named_like_an_entry():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    empty = referral_map([service("T", reach="none")], [])
    assert len(sm.plotting.pathways(empty).patches) == 0
    routes = sm.trace_pathways(empty, entry=ENTRY, need="drug")
    assert len(sm.plotting.pathways(routes).patches) == 0
    # a service whose id is also an entry point term stays a service
    named = referral_map([housing("a_and_e"), service("T", reach="none")],
                         [step("P1", "E", "a_and_e"), step("P2", "a_and_e", "T")])
    ax = sm.plotting.pathways(sm.trace_pathways(named, entry=ENTRY, need="drug"))
    assert len(ax.patches) == 2
    assert "a_and_e" in [t.get_text() for t in ax.texts]
    plt.close("all")


def test_explain_uses_the_reports_unknown_hours():
    smap = referral_map([housing("A"), service("T", reach="none", hours="24/7")],
                        [step("P1", "E", "A"), step("P2", "A", "T")])
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug", hour_band="weekend",
                               unknown_hours="closed")
    assert set(routes.table["status"]) == {"no_route"}
    assert routes.explain(code(1)).loc["A", "why"] == (
        "closed weekend: no opening hours given, and unknown hours count as closed")
    # by default (weekday daytime only), the reason says the hours are not known
    daytime = sm.trace_pathways(smap, entry=ENTRY, need="drug", hour_band="weekend")
    assert daytime.explain(code(1)).loc["A", "why"] == (
        "opening hours not known, so not counted weekend")


# -- provision: treatment by default, hours unknown out of hours ------------------------
def treatment_map():
    """E -P1-> C (a criminal-justice team: assessment, drug) -P2-> H (a hub:
    psychosocial treatment); E -P3-> N (take-home naloxone: harm reduction). All take
    every square; none gives opening hours."""
    return referral_map(
        [service("C", needs="drug; criminal_justice", interventions="assessment",
                 reach="none"),
         service("H", interventions="psychosocial; recovery_support", reach="none"),
         service("N", interventions="naloxone", reach="none")],
        [step("P1", "E", "C", wait=1), step("P2", "C", "H", wait=10),
         step("P3", "E", "N", wait=0)])


def test_drug_routes_end_at_treatment_by_default():
    smap = treatment_map()
    routes = sm.trace_pathways(smap, entry=ENTRY, need="drug")
    # the assessment (C) and the naloxone kit (N) are steps, not the end: E -> C -> H
    assert set(routes.table["chain"]) == {("C", "H")}
    assert set(routes.table["hand_offs"]) == {2}
    assert set(routes.table["wait_days"]) == {11.0}
    assert routes.attrs["to"] == ("H",)
    assert routes.attrs["to_label"] == "drug treatment"
    assert repr(routes).startswith(f"<PathwayReport from {ENTRY} to drug treatment:")
    # every service for the need: the quickest end is N (0 days), one hand-off
    anything = sm.trace_pathways(smap, entry=ENTRY, need="drug", intervention="any")
    assert set(anything.table["chain"]) == {("N",)}
    assert anything.attrs["to"] == ("C", "H", "N")
    assert anything.attrs["to_label"] == "drug services"
    # harm reduction by kind: N alone
    reduction = sm.trace_pathways(smap, entry=ENTRY, need="drug",
                                  intervention="harm_reduction")
    assert reduction.attrs["to"] == ("N",)
    # a term: C's assessment, one hand-off
    assessed = sm.trace_pathways(smap, entry=ENTRY, need="drug", intervention="assessment")
    assert set(assessed.table["chain"]) == {("C",)}
    assert assessed.attrs["to_label"] == "drug services offering assessment"
    with pytest.raises(ValueError, match="intervention='cure'"):
        sm.trace_pathways(smap, entry=ENTRY, need="drug", intervention="cure")


def test_unknown_hours_are_open_weekday_daytime_only_by_default():
    # no service gives hours: open on weekdays in the daytime, not assumed open later
    smap = treatment_map()
    day = sm.trace_pathways(smap, entry=ENTRY, need="drug", hour_band="weekday_daytime")
    assert set(day.table["status"]) == {"clear"}
    for band in ("weekday_evening", "overnight", "weekend"):
        late = sm.trace_pathways(smap, entry=ENTRY, need="drug", hour_band=band)
        assert set(late.table["status"]) == {"no_route"}, band
        assert late.attrs["unknown_hours"] == "daytime"
    assumed = sm.trace_pathways(smap, entry=ENTRY, need="drug", hour_band="overnight",
                                unknown_hours="open")
    assert set(assumed.table["status"]) == {"clear"}
    with pytest.raises(ValueError, match="unknown_hours='maybe': choose 'daytime'"):
        sm.trace_pathways(smap, entry=ENTRY, need="drug", unknown_hours="maybe")

"""The map as a graph: counts by hand, exact round trips, edits and errors.

The toy map (tests/toy.py) is a 3 x 3 grid of 1 km squares, numbered 1..9 row by row
from the south-west, with organisations C1, POL and TP, partnership DAP (members C1 and
POL), services HUB (provider TP, commissioner DAP, 1500 m from site HUB-1 at the centre
of square 1, footprint LAD E06000001 = squares 1, 2, 4, 5, 7, 8) and OUT (provider TP,
commissioner C1, reach none, phone site OUT-1), and pathways P1 (entry point
police_vulnerable_persons -> HUB) and P2 (OUT -> HUB).
"""
# graphs are G and H, as in networkx
# ruff: noqa: N803, N806

from collections import Counter

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from toy import X0, Y0, code, grid_areas, toy_map, toy_tables, toy_travel_times

import servicemap as sm
from servicemap.graph import NODE_TYPES, contiguous_pairs, from_networkx, to_networkx
from servicemap.vocab import VOCABULARY, Term, Vocabulary

TABLES = ("areas", "services", "sites", "pathways", "organisations", "partnerships",
          "travel_times")


@pytest.fixture(scope="module")
def bedfordshire_graph(bedfordshire):
    return bedfordshire.to_networkx()


def nodes_of(G, node_type):
    return [k for k, t in G.nodes(data="type") if t == node_type]


def edges_of(G, edge_type):
    return [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)
            if d["type"] == edge_type]


def counts(G):
    return (Counter(t for _, t in G.nodes(data="type")),
            Counter(t for *_, t in G.edges(data="type")))


def assert_same_map(back, smap):
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(back, name), getattr(smap, name))
    assert back.vocabulary == smap.vocabulary
    assert back.provenance == smap.provenance
    assert back.equals(smap)


# -- counts by hand -----------------------------------------------------------------------
def test_toy_counts_by_hand():
    G = toy_map(travel_times=toy_travel_times()).to_networkx()
    nodes, edges = counts(G)
    # 9 squares, 2 sites, 2 services, 3 organisations, 1 partnership, 1 entry point
    assert nodes == {"area": 9, "site": 2, "service": 2, "organisation": 3,
                     "partnership": 1, "entry_point": 1}
    # serves: HUB reaches squares 1, 2, 4, 5 (0, 1000, 1000, 1414 m; 3 and 7 are 2 km
    # away), all in its footprint; OUT reaches everywhere: 4 + 9 = 13
    # adjacency on the 3 x 3 grid: 6 horizontal + 6 vertical pairs, both ways = 24
    assert edges == {"serves": 13, "adjacent_to": 24, "provides": 2, "commissions": 2,
                     "member_of": 2, "located_at": 2, "refers_to": 2, "travel_time": 3}
    assert sorted((u, v) for u, v, *_ in edges_of(G, "provides")) == [
        ("organisation:TP", "service:HUB"), ("organisation:TP", "service:OUT")]
    assert sorted((u, v) for u, v, *_ in edges_of(G, "commissions")) == [
        ("organisation:C1", "service:OUT"), ("partnership:DAP", "service:HUB")]
    assert sorted((u, v) for u, v, *_ in edges_of(G, "member_of")) == [
        ("organisation:C1", "partnership:DAP"), ("organisation:POL", "partnership:DAP")]
    assert sorted((u, v) for u, v, *_ in edges_of(G, "located_at")) == [
        ("service:HUB", "site:HUB-1"), ("service:OUT", "site:OUT-1")]
    serves = {(u, v): (d["cost"], d["unit"]) for u, v, _, d in edges_of(G, "serves")}
    assert serves[(f"area:{code(5)}", "service:HUB")] == pytest.approx(
        (1000 * 2 ** 0.5, "metres"))
    assert serves[(f"area:{code(1)}", "service:HUB")] == (0.0, "metres")
    assert serves[(f"area:{code(9)}", "service:OUT")] == (0.0, "none")
    assert (f"area:{code(3)}", "service:HUB") not in serves
    times = {(u, v): d["minutes"] for u, v, _, d in edges_of(G, "travel_time")}
    assert times == {(f"area:{code(1)}", "site:HUB-1"): 5.0,
                     (f"area:{code(2)}", "site:HUB-1"): 12.5,
                     (f"area:{code(5)}", "site:OUT-1"): 30.0}


def test_grid_adjacency_rook_and_queen_by_hand():
    smap = toy_map()
    rook = {(u, v) for u, v, *_ in edges_of(smap.to_networkx(adjacency="rook"),
                                             "adjacent_to")}
    # square k = 3 j + i + 1: east neighbours k, k + 1 (i < 2); north neighbours k, k + 3
    pairs = {(k, k + 1) for k in (1, 2, 4, 5, 7, 8)} | {(k, k + 3) for k in range(1, 7)}
    assert len(pairs) == 12
    expected = {(f"area:{code(a)}", f"area:{code(b)}") for a, b in pairs}
    assert rook == expected | {(v, u) for u, v in expected}
    queen = {(u, v) for u, v, *_ in edges_of(smap.to_networkx(adjacency="queen"),
                                              "adjacent_to")}
    # and the two diagonals of each of the four 2 x 2 blocks: 8 more pairs, 20 in all
    diagonals = {(k, k + 4) for k in (1, 2, 4, 5)} | {(k, k + 2) for k in (2, 3, 5, 6)}
    assert len(pairs | diagonals) == 20
    expected = {(f"area:{code(a)}", f"area:{code(b)}") for a, b in pairs | diagonals}
    assert queen == expected | {(v, u) for u, v in expected}
    assert len(queen) == 40
    assert not edges_of(smap.to_networkx(adjacency=False), "adjacent_to")


def test_bedfordshire_counts(bedfordshire, bedfordshire_graph):
    smap, G = bedfordshire, bedfordshire_graph
    nodes, edges = counts(G)
    assert nodes == {"area": 381, "site": 73, "service": 40, "organisation": 25,
                     "partnership": 7, "entry_point": 9}
    assert edges["serves"] == sm.reach_matrix(smap).nnz
    assert edges["located_at"] == sum(len(s) for s in smap.sites["services"])
    assert edges["provides"] == len(smap.services)
    assert edges["commissions"] == sum(len(c) for c in smap.services["commissioners"])
    assert edges["member_of"] == sum(len(m) for m in smap.partnerships["members"])
    assert edges["refers_to"] == len(smap.pathways) == 45
    assert "travel_time" not in edges  # Bedfordshire has no travel-time table
    entries = {G.nodes[k]["id"] for k in nodes_of(G, "entry_point")}
    assert entries == set(smap.pathways["from_entry"].dropna())


def test_serves_matches_the_reach_matrix_pair_by_pair(bedfordshire, bedfordshire_graph):
    pairs = sm.reach_matrix(bedfordshire).to_frame()
    expected = {(f"area:{a}", f"service:{s}"): (c, u) for a, s, c, u in
                pairs.itertuples(index=False)}
    found = {(u, v): (d["cost"], d["unit"]) for u, v, _, d in
             edges_of(bedfordshire_graph, "serves")}
    assert found == expected


def test_serves_thresholds_are_passed_to_the_reach_matrix(bedfordshire):
    G = bedfordshire.to_networkx(max_distance=5_000, adjacency=False)
    assert len(edges_of(G, "serves")) == sm.reach_matrix(bedfordshire,
                                                         max_distance=5_000).nnz
    assert G.graph["built_from"]["max_distance"] == 5_000
    assert not edges_of(bedfordshire.to_networkx(serves=False), "serves")


@pytest.mark.parametrize("contiguity", ["rook", "queen"])
def test_bedfordshire_adjacency_agrees_with_libpysal(bedfordshire, contiguity):
    import warnings

    import libpysal

    G = bedfordshire.to_networkx(serves=False, adjacency=contiguity)
    mine = {(u[5:], v[5:]) for u, v, *_ in edges_of(G, "adjacent_to")}
    weights = {"rook": libpysal.weights.Rook, "queen": libpysal.weights.Queen}[contiguity]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # libpysal's notes on islands and its defaults
        w = weights.from_dataframe(bedfordshire.areas, use_index=True)
    theirs = {(a, b) for a, nb in w.neighbors.items() for b in nb}
    assert mine == theirs
    assert len(mine) == {"rook": 2128, "queen": 2182}[contiguity]


def test_adjacency_agrees_with_every_pair_checked_one_by_one(bedfordshire):
    # brute force over every pair of Luton's LSOAs, by shapely's predicates one at a time
    luton = bedfordshire.areas[bedfordshire.areas["lad_code"] == "E06000032"]
    geoms = list(luton.geometry)
    rook, queen = set(), set()
    for i, a in enumerate(geoms):
        for j, b in enumerate(geoms):
            if i == j or not a.intersects(b):
                continue
            queen.add((i, j))
            shared = a.boundary.intersection(b.boundary)
            if shared.length > 0 or a.intersection(b).area > 0:
                rook.add((i, j))
    for contiguity, expected in (("rook", rook), ("queen", queen)):
        left, right = contiguous_pairs(luton.geometry.values, contiguity)
        assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected
    assert len(queen) > len(rook) > 0


def test_overlapping_areas_are_rook_neighbours_and_corners_queen_only():
    squares = np.array([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3),  # overlap
                        shapely.box(3, 3, 4, 4),  # meets square 1 at one corner
                        shapely.box(10, 10, 11, 11)])  # an island
    left, right = contiguous_pairs(squares, "rook")
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 1), (1, 0)]
    left, right = contiguous_pairs(squares, "queen")
    assert sorted(zip(left.tolist(), right.tolist(), strict=True)) == [
        (0, 1), (1, 0), (1, 2), (2, 1)]


# -- attributes ---------------------------------------------------------------------------
def test_node_attributes_are_the_frame_rows(bedfordshire, bedfordshire_graph):
    G = bedfordshire_graph
    area = G.nodes["area:E01017453"]
    row = bedfordshire.areas.loc["E01017453"]
    assert area["type"] == "area" and area["id"] == "E01017453"
    assert area["label"] == row["name"]
    assert area["geometry"].equals(row.geometry)
    for column in bedfordshire.areas.columns.drop("geometry"):
        assert area[column] == row[column], column
    service = G.nodes["service:lut-adult-hub"]
    expected = bedfordshire.services.loc["lut-adult-hub"].to_dict()
    assert {k: v for k, v in service.items() if k not in ("type", "id", "label")} == {
        k: v for k, v in expected.items() if not (isinstance(v, float) and np.isnan(v))} | {
        k: service[k] for k, v in expected.items() if isinstance(v, float) and np.isnan(v)}
    assert service["label"] == expected["name"] and isinstance(service["needs"], tuple)
    phone = next(k for k in nodes_of(G, "site") if G.nodes[k]["mode"] == "phone")
    assert G.nodes[phone]["geometry"] is None
    entry = G.nodes["entry:a_and_e"]
    assert (entry["type"], entry["id"], entry["label"]) == ("entry_point", "a_and_e", "A&E")
    for key, data in G.nodes(data=True):
        assert key == f"{NODE_TYPES[data['type']]}:{data['id']}"


def test_refers_to_edges_carry_the_pathway(bedfordshire, bedfordshire_graph):
    G = bedfordshire_graph
    assert {k for *_, k, _ in edges_of(G, "refers_to")} == set(bedfordshire.pathways.index)
    edge = G.edges["entry:police_vulnerable_persons", "service:lut-adult-hub", "pw-01"]
    assert edge == {"type": "refers_to", "pathway": "pw-01", "kind": "referral",
                    "consent_basis": "public_task", "information_sharing_agreement": True,
                    "wait_days": 2.0, "volume_per_year": 220.0, "illustrative": True,
                    "notes": bedfordshire.pathways.loc["pw-01", "notes"]}
    # two hand-offs from the police: entry -> hub -> detox
    reached = nx.descendants_at_distance(
        G.edge_subgraph((u, v, k) for u, v, k, _ in edges_of(G, "refers_to")),
        "entry:police_vulnerable_persons", 2)
    assert "service:beds-detox" in reached


def test_graph_metadata(bedfordshire_graph, bedfordshire):
    meta = bedfordshire_graph.graph
    assert meta["crs"] == "EPSG:27700"
    assert meta["built_from"] == {
        "name": bedfordshire.provenance["name"], "servicemap_version": sm.__version__,
        "serves": True, "max_distance": None, "max_minutes": None, "adjacency": "rook"}
    assert meta["provenance"] == bedfordshire.provenance
    assert meta["vocabulary"] == {}  # Bedfordshire declares no terms
    assert meta["schema"]["pathways"] == bedfordshire.pathways.index.tolist()
    assert meta["schema"]["areas"]["dtypes"]["imd_decile"] == "int64"


# -- round trips --------------------------------------------------------------------------
def test_bedfordshire_round_trips_exactly(bedfordshire, bedfordshire_graph):
    assert_same_map(sm.from_networkx(bedfordshire_graph), bedfordshire)


@pytest.mark.parametrize("options", [{}, {"serves": False, "adjacency": False},
                                     {"adjacency": "queen", "max_distance": 700}])
def test_toy_with_travel_times_round_trips_exactly(options):
    smap = toy_map(travel_times=toy_travel_times())
    assert_same_map(from_networkx(to_networkx(smap, **options)), smap)


def test_awkward_values_round_trip():
    # area columns that would hide a node's own attributes; an Int64 and a bool column;
    # text with ';' and quotes in a list; a declared need; a phone site; travel times
    areas = grid_areas().assign(
        label=["=x", "é", None, "a", "b", "c", "d", "e", "f"], type="lsoa",
        area_type=range(9), flag=[True, False] * 4 + [True],
        band=pd.array([1, None] * 4 + [2], dtype="Int64"))
    tables = toy_tables()
    services = tables["services"].copy()
    services.loc[0, "notes"] = '=HYPERLINK("x"); "quoted"'
    services["funding_sources"] = [("Grant; part one", "@other"), ()]
    services.loc[1, "needs"] = "drug; gambling_harm"
    smap = sm.ServiceMap.from_frames(
        areas=areas, **{**tables, "services": services}, travel_times=toy_travel_times(),
        vocabulary={"need": {"gambling_harm": "Gambling harm: betting and gaming"}},
        provenance={"name": "toy", "sources": ["a", "b"], "n": 3})
    G = smap.to_networkx()
    node = G.nodes[f"area:{code(1)}"]
    assert node["label"] == "Square 1" and node["area_label"] == "=x"
    # "type" would be area_type, which is taken by a column of that name
    assert node["type"] == "area" and node["area_area_type"] == "lsoa"
    assert node["area_type"] == 0
    assert G.graph["schema"]["areas"]["attributes"] == {"label": "area_label",
                                                        "type": "area_area_type"}
    assert G.graph["vocabulary"] == {"need": {"gambling_harm": {
        "label": "Gambling harm", "description": "Gambling harm: betting and gaming"}}}
    back = from_networkx(G)
    assert_same_map(back, smap)
    assert back.areas["band"].dtype == "Int64" and back.areas["flag"].dtype == bool


def test_a_vocabulary_unlike_the_built_in_one_round_trips():
    terms = {c: dict(VOCABULARY[c]) for c in VOCABULARY}
    terms["need"]["drug"] = Term("drug", "Drugs (local wording)", "As the council says.")
    smap = sm.ServiceMap.from_frames(areas=grid_areas(), **toy_tables(),
                                     vocabulary=Vocabulary(terms))
    back = from_networkx(smap.to_networkx(serves=False))
    assert back.vocabulary.label("need", "drug") == "Drugs (local wording)"
    assert_same_map(back, smap)


def test_empty_tables_round_trip():
    smap = sm.ServiceMap.from_frames(areas=grid_areas())
    G = smap.to_networkx()
    assert counts(G) == (Counter(area=9), Counter(adjacent_to=24))
    assert_same_map(from_networkx(G), smap)


def test_a_graph_made_by_hand():
    # no schema, no mirrored edges, a DiGraph: the map comes from what is there
    G = nx.DiGraph()
    for k in (1, 2):
        G.add_node(f"area:{code(k)}", type="area", name=f"Square {k}", population=1000,
                   geometry=shapely.box(X0 + 1000 * (k - 1), Y0, X0 + 1000 * k, Y0 + 1000))
    G.add_node("organisation:TP", type="organisation", name="Provider", kind="voluntary")
    for s in ("A", "B"):
        G.add_node(f"service:{s}", type="service", name=s, provider="TP", needs="drug",
                   client_groups=["adults"], reach="none")
    G.add_node("site:P", type="site", name="Phone line", services="A; B", mode="phone")
    G.add_edge("service:A", "service:B", type="refers_to", pathway="P1",
               consent_basis="explicit_consent", wait_days=3)
    smap = from_networkx(G)
    assert smap.areas.index.tolist() == [code(1), code(2)]
    assert smap.areas["population"].tolist() == [1000.0, 1000.0]
    assert smap.sites.loc["P", "services"] == ("A", "B")
    assert smap.pathways.loc["P1", ["from_service", "to_service", "wait_days"]].tolist() == [
        "A", "B", 3.0]
    assert sm.reach_matrix(smap).nnz == 4  # reach none: both services everywhere


# -- edits --------------------------------------------------------------------------------
def test_an_added_pathway_comes_back_last_with_its_fields(bedfordshire):
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    G.add_edge("service:beds-idva", "service:bbc-family-support", key="pw-new",
               type="refers_to", kind="referral", consent_basis="safeguarding",
               information_sharing_agreement=True, wait_days=5, volume_per_year=12,
               notes="Added in a workshop.")
    back = from_networkx(G)
    assert back.pathways.index.tolist() == [*bedfordshire.pathways.index, "pw-new"]
    new = back.pathways.loc["pw-new"]
    assert new["from_service"] == "beds-idva" and new["from_entry"] is None
    assert new["to_service"] == "bbc-family-support"
    assert (new["consent_basis"], new["wait_days"], new["notes"]) == (
        "safeguarding", 5.0, "Added in a workshop.")
    assert bool(new["information_sharing_agreement"]) is True


def test_a_removed_pathway_and_a_changed_attribute(bedfordshire):
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    G.remove_edge("entry:police_vulnerable_persons", "service:lut-adult-hub", "pw-01")
    G.nodes["service:lut-adult-hub"]["capacity"] = 999.0
    G.nodes["area:E01017453"]["population"] = 1.0
    back = from_networkx(G)
    assert "pw-01" not in back.pathways.index and len(back.pathways) == 44
    assert back.services.loc["lut-adult-hub", "capacity"] == 999.0
    assert back.areas.loc["E01017453", "population"] == 1.0
    assert not back.equals(bedfordshire)


def test_a_removed_service_is_reported_where_it_is_still_named(bedfordshire):
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    G.remove_node("service:bcb-laib")  # its pathways go with it; its site stays
    with pytest.raises(sm.InputError, match=r"table 'sites', row 'site:[^']+' \(id "
                                            r"'[^']+'\), field 'services': 'bcb-laib' "
                                            r"is not in table 'services'"):
        from_networkx(G)
    # taking it out of the sites that list it too gives a map without it
    for key in nodes_of(G, "site"):
        listed = G.nodes[key]["services"]
        if "bcb-laib" in listed:
            G.nodes[key]["services"] = tuple(s for s in listed if s != "bcb-laib")
    G.remove_nodes_from([k for k in nodes_of(G, "site") if not G.nodes[k]["services"]])
    back = from_networkx(G)
    assert "bcb-laib" not in back.services.index and len(back.services) == 39
    assert len(back.pathways) == 45 - 2  # pw-40 and pw-41 ran to or from it


def test_not_strict_builds_the_map_and_warns(bedfordshire):
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    G.nodes["service:lut-adult-hub"]["provider"] = "nobody"
    G.remove_edges_from([(u, v, k) for u, v, k, _ in edges_of(G, "provides")])
    with pytest.warns(sm.ValidationWarning, match="1 error"):
        back = from_networkx(G, strict=False)
    errors = back.validate().errors
    assert [(p.row, p.field, p.value) for p in errors] == [
        ("service:lut-adult-hub", "provider", "nobody")]


def test_a_new_area_attribute_becomes_a_column(bedfordshire):
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    degree = {k: len([v for v in G.successors(k) if v.startswith("area:")])
              for k in nodes_of(G, "area")}
    nx.set_node_attributes(G, degree, "neighbours")
    back = from_networkx(G)
    assert back.areas.columns[-1] == "neighbours"
    assert back.areas["neighbours"].sum() == 0  # no adjacency edges were built
    assert back.areas.drop(columns="neighbours").equals(bedfordshire.areas)


def test_a_declared_entry_point_added_in_the_graph(bedfordshire):
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    G.graph["vocabulary"]["entry_point"] = {"street_triage": {
        "label": "Street triage", "description": "Mental health nurses with police."}}
    G.add_node("entry:street_triage", type="entry_point", id="street_triage")
    G.add_edge("entry:street_triage", "service:lut-adult-hub", key="pw-st",
               type="refers_to", consent_basis="public_task")
    back = from_networkx(G)
    assert back.pathways.loc["pw-st", "from_entry"] == "street_triage"
    assert back.vocabulary.label("entry_point", "street_triage") == "Street triage"
    assert back.to_networkx().nodes["entry:street_triage"]["label"] == "Street triage"


# -- errors -------------------------------------------------------------------------------
@pytest.fixture
def toy_graph():
    return toy_map().to_networkx(serves=False, adjacency=False)


def test_a_node_without_a_type(toy_graph):
    toy_graph.add_node("mystery", name="What is this?")
    toy_graph.add_node("service:NEW", name="New")
    with pytest.raises(sm.InputError, match=r"2 problems in 'networkx graph'") as err:
        from_networkx(toy_graph)
    text = str(err.value)
    assert ("table 'nodes', row 'mystery', field 'type': is missing: every node of a "
            "servicemap graph has a type") in text
    assert "G.nodes['service:NEW']['type'] = 'service'" in text


def test_an_unknown_node_type(toy_graph):
    toy_graph.nodes["service:HUB"]["type"] = "servise"
    with pytest.raises(sm.InputError, match=r"row 'service:HUB', field 'type': 'servise' "
                                            r"is not a node type. Did you mean 'service'"):
        from_networkx(toy_graph)


def test_no_area_nodes(toy_graph):
    toy_graph.remove_nodes_from(nodes_of(toy_graph, "area"))
    with pytest.raises(sm.InputError, match="no node has type 'area': a map needs its "
                                            "areas"):
        from_networkx(toy_graph)


def test_a_refers_to_edge_to_a_missing_service(toy_graph):
    toy_graph.add_edge("service:OUT", "service:HBU", key="P3", type="refers_to")
    with pytest.raises(sm.InputError) as err:
        from_networkx(toy_graph)
    assert len(err.value.problems) == 1  # the bare node networkx made is not repeated
    assert str(err.value.problems[0]) == (
        "table 'edges', row 'service:OUT -> service:HBU [P3]', field 'type': 'refers_to' "
        "ends at 'service:HBU', which is not a service of the graph (networkx adds a "
        "bare node for an edge's unknown end). Did you mean 'service:HUB'? Add the node "
        "first, with its type, id and fields, or correct the edge.")


def test_a_refers_to_edge_from_an_area(toy_graph):
    toy_graph.add_edge(f"area:{code(1)}", "service:HUB", key="P3", type="refers_to")
    with pytest.raises(sm.InputError, match=r"starts at 'area:E01000001', an area node; "
                                            r"a refers_to edge starts at a service or an "
                                            r"entry point"):
        from_networkx(toy_graph)


def test_a_refers_to_edge_without_an_id():
    G = nx.MultiDiGraph(toy_map().to_networkx(serves=False, adjacency=False))
    G.add_edge("service:OUT", "service:HUB", type="refers_to")  # networkx keys it 1
    with pytest.raises(sm.InputError, match=r"\[1\]', field 'pathway': is missing: a "
                                            r"refers_to edge needs the pathway's id"):
        from_networkx(G)


def test_edges_without_a_type_or_with_an_unknown_one(toy_graph):
    toy_graph.add_edge("service:OUT", "service:HUB", key="x")
    toy_graph.add_edge("service:OUT", "service:HUB", key="y", type="refers")
    with pytest.raises(sm.InputError) as err:
        from_networkx(toy_graph)
    assert [p.message.split(".")[0] for p in err.value.problems] == [
        "is missing: every edge of a servicemap graph has a type",
        "is not an edge type Did you mean 'refers_to'?"]


def test_an_edge_end_attribute_that_disagrees(toy_graph):
    toy_graph.edges["service:OUT", "service:HUB", "P2"]["to_service"] = "OUT"
    with pytest.raises(sm.InputError, match=r"field 'to_service': 'OUT' disagrees with "
                                            r"the edge's end \('HUB'\)"):
        from_networkx(toy_graph)


def test_a_mirrored_edge_added_or_removed_names_the_attribute(toy_graph):
    toy_graph.add_edge("organisation:POL", "service:HUB", key="provides", type="provides")
    with pytest.raises(sm.InputError, match=r"G.nodes\['service:HUB'\]\['provider'\] does "
                                            r"not name 'POL'. The map is rebuilt from "
                                            r"node attributes"):
        from_networkx(toy_graph)
    toy_graph.remove_edge("organisation:POL", "service:HUB", "provides")
    toy_graph.remove_edge("organisation:C1", "partnership:DAP", "member_of")
    with pytest.raises(sm.InputError, match=r"row 'organisation:C1 -> partnership:DAP "
                                            r"\[member_of\]', field 'type': 'member_of' is "
                                            r"missing, but G.nodes\['partnership:DAP'\]"
                                            r"\['members'\] names 'C1'"):
        from_networkx(toy_graph)
    # the edit the message asks for
    toy_graph.nodes["partnership:DAP"]["members"] = ("POL",)
    assert from_networkx(toy_graph).partnerships.loc["DAP", "members"] == ("POL",)


def test_a_record_problem_names_the_node(toy_graph):
    toy_graph.nodes["service:HUB"]["needs"] = ("drugs",)
    with pytest.raises(sm.InputError, match=r"table 'services', row 'service:HUB' \(id "
                                            r"'HUB'\), field 'needs': \['drugs'\] 'drugs' "
                                            r"is not a need. Did you mean 'drug'"):
        from_networkx(toy_graph)


def test_an_undirected_graph_or_not_a_graph(toy_graph):
    with pytest.raises(sm.InputError, match="is undirected, but referral pathways have a "
                                            "direction"):
        from_networkx(toy_graph.to_undirected())
    with pytest.raises(TypeError, match="takes a networkx graph, not a dict"):
        from_networkx({})


def test_to_networkx_options_are_checked():
    smap = toy_map()
    with pytest.raises(ValueError, match="adjacency='bishop' is not an option. Use True "
                                         "or 'rook'"):
        smap.to_networkx(adjacency="bishop")
    with pytest.raises(ValueError, match="serves=False leaves out"):
        smap.to_networkx(serves=False, max_distance=1000)


def test_a_map_with_a_dangling_pathway_cannot_be_a_graph():
    tables = toy_tables()
    tables["pathways"].loc[1, "to_service"] = "GONE"
    with pytest.warns(sm.ValidationWarning):
        smap = sm.ServiceMap.from_frames(areas=grid_areas(), **tables, strict=False)
    with pytest.raises(sm.InputError, match=r"table 'pathways', row 'P2', field "
                                            r"'to_service': 'GONE' is not a node of the "
                                            r"graph"):
        smap.to_networkx()

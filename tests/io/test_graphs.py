"""Kumu and GEXF: the map's graph written for network tools, its text made safe.

The toy map (tests/toy.py) has services HUB (1500 m from site HUB-1 at the centre of
square 1, footprint LAD E06000001) and OUT (reach none, phone site OUT-1), organisations
C1, POL and TP, partnership DAP, and pathways P1 and P2.
"""
# graphs are G and H, as in networkx
# ruff: noqa: N806

import json
import re
import warnings
from collections import Counter

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import X0, Y0, code, grid_areas, toy_map, toy_tables, toy_travel_times

import servicemap as sm
from servicemap.io.exports import safe_text
from servicemap.io.graphs import ExportWarning, gexf_graph, safe_markdown, to_gexf, to_kumu


# -- Kumu ---------------------------------------------------------------------------------
def test_kumu_elements_and_connections(bedfordshire, tmp_path):
    path = tmp_path / "bedfordshire.json"
    blueprint = bedfordshire.to_kumu(path)
    assert json.loads(path.read_text(encoding="utf-8")) == blueprint
    elements, connections = blueprint["elements"], blueprint["connections"]
    assert Counter(e["type"] for e in elements) == {
        "Service": 40, "Organisation": 25, "Partnership": 7, "Entry point": 9}
    assert Counter(c["type"] for c in connections) == {
        "refers to": 45, "provides": 40, "commissions": 53, "member of": 41}
    ids = [e["id"] for e in elements] + [c["id"] for c in connections]
    assert len(ids) == len(set(ids))  # unique across elements and connections
    element_ids = {e["id"] for e in elements}
    assert all(c["from"] in element_ids and c["to"] in element_ids for c in connections)
    assert all(c["direction"] == "directed" for c in connections)
    pathway = next(c for c in connections if c["id"] == "refers_to:pw-03")
    assert pathway == {
        "id": "refers_to:pw-03", "from": "entry:police_custody",
        "to": "service:beds-liaison-diversion", "type": "refers to", "direction": "directed",
        **({"description": notes} if (notes := bedfordshire.pathways.loc[
            "pw-03", "notes"]) else {}), "Pathway kind": "In-reach",
        "Consent basis": "Public task", "Information sharing agreement": "yes",
        "Wait (days)": 0.0, "Volume per year": 2600.0, "Illustrative": True,
        "servicemap id": "pw-03"}
    unknown = bedfordshire.pathways["information_sharing_agreement"].isna()
    blank = next(c for c in connections
                 if c["id"] == f"refers_to:{bedfordshire.pathways.index[unknown][0]}")
    assert "Information sharing agreement" not in blank
    hub = next(e for e in elements if e["id"] == "service:lut-adult-hub")
    assert hub["label"] == bedfordshire.services.loc["lut-adult-hub", "name"]
    assert hub["Needs"] == ["Drug use", "Alcohol use"] and hub["tags"] == hub["Needs"]
    assert hub["Commissioners"] == [bedfordshire.partnerships.loc["lut-dap", "name"]]
    assert "Maximum minutes" not in hub  # missing values are left out


def test_kumu_with_areas(bedfordshire):
    blueprint = to_kumu(bedfordshire, areas=True)
    areas = [e for e in blueprint["elements"] if e["type"] == "Area"]
    assert len(areas) == 381
    first = bedfordshire.areas.iloc[0]
    assert areas[0]["label"] == first["name"] and "name" not in areas[0]
    assert areas[0]["population"] == first["population"]
    assert areas[0]["need_drug"] == first["need_drug"]
    assert "geometry" not in areas[0]
    serves = [c for c in blueprint["connections"] if c["type"] == "serves"]
    assert len(serves) == sm.reach_matrix(bedfordshire).nnz


def hostile_map():
    tables = toy_tables()
    services = tables["services"].copy()
    services.loc[0, "name"] = 'Hub <script>alert("x")</script> & "co"\x07'
    services.loc[1, "name"] = services.loc[0, "name"]  # the same name twice
    services.loc[0, "notes"] = "See ![pixel](http://evil.example/t.png) <img src=x>\x00 *now*"
    organisations = tables["organisations"].copy()
    organisations.loc[2, "name"] = "Provider\x1b[31m"
    return sm.ServiceMap.from_frames(areas=grid_areas(), **{
        **tables, "services": services, "organisations": organisations})


def test_kumu_text_is_safe_and_changes_are_reported(tmp_path):
    smap = hostile_map()
    # the provider's name shows on both services too: six values in all
    with pytest.warns(ExportWarning, match=r"6 text values held control characters .* "
                                           r"removed: service 'HUB' \(name, notes, "
                                           r"provider\); service 'OUT' \(name, "
                                           r"provider\); organisation 'TP' \(name\)\."):
        blueprint = smap.to_kumu(tmp_path / "t.json")
    text = (tmp_path / "t.json").read_text(encoding="utf-8")
    assert "\x07" not in text and "\x00" not in text and "\x1b" not in text
    hub, out = (next(e for e in blueprint["elements"] if e["id"] == f"service:{s}")
                for s in ("HUB", "OUT"))
    assert hub["label"] == out["label"] == 'Hub <script>alert("x")</script> & "co"'
    assert hub["id"] != out["id"]
    assert hub["description"] == (r"See \!\[pixel\](http://evil.example/t.png) "
                                  r"&lt;img src=x&gt; \*now\*")
    assert hub["Provider"] == "Provider[31m"


def test_safe_markdown_leaves_no_markup():
    text = safe_markdown('<a href="x">y</a> [z](= service) `code` _e_ $$x$$ | ~~s~~')
    assert "<" not in text and ">" not in text and '"' not in text
    assert text == (r"&lt;a href=&quot;x&quot;&gt;y&lt;/a&gt; \[z\](= service) \`code\` "
                    r"\_e\_ \$\$x\$\$ \| \~\~s\~\~")


# -- GEXF ---------------------------------------------------------------------------------
def test_gexf_reads_back(bedfordshire, tmp_path):
    path = to_gexf(bedfordshire, tmp_path / "b.gexf")
    H = nx.read_gexf(path)
    G = bedfordshire.to_networkx(serves=False, adjacency=False)
    assert H.number_of_nodes() == G.number_of_nodes() == 535
    # 94 located_at + 40 provides + 53 commissions + 41 member_of + 45 refers_to
    assert H.number_of_edges() == G.number_of_edges() == 273
    area = H.nodes["area:E01017453"]
    assert area["label"] == "Bedford 005A" and area["record_id"] == "E01017453"
    assert area["imd_decile"] == 3 and isinstance(area["imd_decile"], int)
    assert "geometry" not in area and 490_000 < area["x"] < 530_000
    site = H.nodes["site:site-bed-hub"]
    assert (site["x"], site["y"]) == (505120.0, 249799.0)
    assert site["services"] == "bcb-adult-hub; bcb-laib; beds-naloxone"
    phone = next(k for k, d in H.nodes(data=True) if d.get("mode") == "phone")
    assert "x" not in H.nodes[phone]
    service = H.nodes["service:lut-adult-hub"]
    assert service["illustrative"] is True and "max_minutes" not in service  # NaN: out
    edge = H.edges["entry:police_vulnerable_persons", "service:lut-adult-hub", "pw-01"]
    assert edge["label"] == edge["relation"] == "refers_to"
    assert edge["information_sharing_agreement"] is True and edge["wait_days"] == 2.0
    assert Counter(d["relation"] for *_, d in H.edges(data=True)) == {
        "located_at": 94, "provides": 40, "commissions": 53, "member_of": 41,
        "refers_to": 45}


def test_gexf_with_serves_and_adjacency(tmp_path):
    smap = toy_map(travel_times=toy_travel_times())
    H = nx.read_gexf(smap.to_gexf(tmp_path / "t.gexf", serves=True, adjacency=True))
    relations = Counter(d["relation"] for *_, d in H.edges(data=True))
    assert relations == {"serves": 13, "adjacent_to": 24, "provides": 2,
                         "commissions": 2, "member_of": 2, "located_at": 2,
                         "refers_to": 2, "travel_time": 3}
    assert not H.is_multigraph()  # read_gexf gives a DiGraph when no edges are parallel
    edge = H.edges[f"area:{code(5)}", "service:HUB"]
    assert edge["cost"] == pytest.approx(1000 * 2 ** 0.5) and edge["unit"] == "metres"
    # the area's point is the one distances are measured from: square 5's centre
    assert (H.nodes[f"area:{code(5)}"]["x"], H.nodes[f"area:{code(5)}"]["y"]) == (
        X0 + 1500, Y0 + 1500)


def test_gexf_text_is_safe(tmp_path):
    with pytest.warns(ExportWarning, match=r"7 text values .* removed: service 'HUB' "
                                           r"\(label, name, notes\); service 'OUT' "
                                           r"\(label, name\); organisation 'TP' "
                                           r"\(label, name\)\."):
        path = hostile_map().to_gexf(tmp_path / "t.gexf")
    raw = path.read_text(encoding="utf-8")
    assert "<script>" not in raw and "\x07" not in raw and "\x00" not in raw
    assert "&lt;script&gt;" in raw
    H = nx.read_gexf(path)
    assert H.nodes["service:HUB"]["label"] == 'Hub <script>alert("x")</script> & "co"'
    assert H.nodes["service:HUB"]["notes"] == (
        "See ![pixel](http://evil.example/t.png) <img src=x> *now*")


def test_gexf_attributes_get_one_type_each():
    smap = toy_map()
    G = smap.to_networkx(serves=False, adjacency=False)
    G.nodes[f"area:{code(1)}"]["score"] = 1
    G.nodes[f"area:{code(2)}"]["score"] = 2.5
    G.nodes[f"area:{code(3)}"]["tag"] = 7
    G.nodes[f"area:{code(4)}"]["tag"] = "seven"
    G.nodes[f"area:{code(5)}"]["start"] = "not a GEXF time"
    flat = gexf_graph(G, smap)
    assert flat.nodes[f"area:{code(1)}"]["score"] == 1.0
    assert isinstance(flat.nodes[f"area:{code(1)}"]["score"], float)
    assert flat.nodes[f"area:{code(3)}"]["tag"] == "7"
    assert flat.nodes[f"area:{code(5)}"]["attr_start"] == "not a GEXF time"
    assert "start" not in flat.nodes[f"area:{code(5)}"]


@settings(max_examples=25, deadline=None)
@given(st.text(min_size=1, max_size=20).filter(lambda s: s.strip()))
def test_any_name_survives_gexf_without_invalid_characters(tmp_path_factory, name):
    tables = toy_tables()
    tables["organisations"].loc[0, "name"] = name
    try:
        smap = sm.ServiceMap.from_frames(areas=grid_areas(), **tables)
    except sm.InputError:
        return  # not a name the model takes (blank once trimmed, ...)
    path = tmp_path_factory.mktemp("gexf") / "t.gexf"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExportWarning)
        to_gexf(smap, path)
    label = nx.read_gexf(path).nodes["organisation:C1"]["label"]
    expected = safe_text(re.sub(
        "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", "",
        smap.organisations.loc["C1", "name"]))  # and a formula cannot run
    # XML turns a carriage return into a newline when it reads text back
    assert label.replace("\r\n", "\n").replace("\r", "\n") == expected.replace(
        "\r\n", "\n").replace("\r", "\n")


def test_names_survive_both_formats_safely(tmp_path):
    tables = toy_tables()
    tables["services"].loc[0, "name"] = '=HYPERLINK("x") <b> & "q"\r\x01'
    tables["organisations"].loc[0, "name"] = "+1 Council"
    smap = sm.ServiceMap.from_frames(areas=grid_areas(), **tables)
    with pytest.warns(ExportWarning) as caught:
        blueprint = to_kumu(smap, tmp_path / "map.json")
        to_gexf(smap, tmp_path / "map.gexf")
    said = " ".join(str(w.message) for w in caught)
    assert "formula" in said and "control characters" in said
    labels = {e["label"] for e in blueprint["elements"]}
    # the control character is gone, the formula cannot run, the rest is as written
    assert '\'=HYPERLINK("x") <b> & "q"\r' in labels and "'+1 Council" in labels
    graph = nx.read_gexf(tmp_path / "map.gexf")
    names = {d.get("label") for _, d in graph.nodes(data=True)}
    assert '\'=HYPERLINK("x") <b> & "q"\n' in names or (
        '\'=HYPERLINK("x") <b> & "q"\r' in names)
    assert "'+1 Council" in names

"""The map as a graph: :func:`to_networkx`, :func:`from_networkx` and the graph's schema.

A :class:`~servicemap.ServiceMap` is a network as much as a map: entry points and
services refer people to services, organisations provide and commission them,
partnerships gather organisations, services are delivered from sites, and areas are
served by services and border each other. :func:`to_networkx` makes that network one
``networkx.MultiDiGraph``; :func:`from_networkx` turns such a graph, edited or not,
back into a map, so that ``sm.from_networkx(smap.to_networkx()).equals(smap)``.

The tables below are the one place where the graph is described.

**Nodes.** Every node's key is its type's prefix and the record's id, so that ids of
different tables cannot collide, and every node has ``type``, ``id`` and ``label``.

================  ========================  ============================================
``type``          key                       attributes besides ``type``, ``id``,
                                            ``label``
================  ========================  ============================================
``area``          ``"area:<code>"``         every column of ``smap.areas`` as in its
                                            row, and ``geometry`` (the shapely
                                            polygon); ``label`` is the ``name``
``site``          ``"site:<id>"``           every column of ``smap.sites``;
                                            ``geometry`` is the shapely point, or None
                                            (phone and online sites)
``service``       ``"service:<id>"``        every column of ``smap.services``
``organisation``  ``"organisation:<id>"``   every column of ``smap.organisations``
``partnership``   ``"partnership:<id>"``    every column of ``smap.partnerships``
``entry_point``   ``"entry:<term>"``        ``description``; ``label`` is the
                                            vocabulary's label. Only the entry points
                                            some pathway starts from are nodes.
================  ========================  ============================================

Values are those of the frame's row (``df.to_dict("records")``): lists are tuples,
missing numbers NaN, other missing values None; ``label`` is the record's ``name``.
An area column named ``type``, ``id``, ``label`` or ``geometry`` is kept as
``area_<name>`` (``G.graph["schema"]`` records it), so that it cannot hide the node's
own.

**Edges.** Every edge has ``type``. Its key is the type, except for ``refers_to``,
keyed by the pathway's id (two pathways may join the same two services).

===============  ==============================  =======================================
``type``         from -> to                      attributes besides ``type``
===============  ==============================  =======================================
``serves``       area -> service                 ``cost`` and ``unit`` (``metres``,
                                                 ``minutes`` or ``none``): the pair in
                                                 :func:`~servicemap.reach_matrix`, never
                                                 recomputed
``located_at``   service -> site                 one per service the site lists
``provides``     organisation -> service         the service's ``provider``
``commissions``  organisation or partnership     each of the service's ``commissioners``
                 -> service
``member_of``    organisation -> partnership     each of the partnership's ``members``
``refers_to``    service or entry point ->       ``pathway`` (its id), ``kind``,
                 service                         ``consent_basis``,
                                                 ``information_sharing_agreement``,
                                                 ``wait_days``, ``volume_per_year``,
                                                 ``illustrative``, ``notes``
``adjacent_to``  area -> area, both ways         areas sharing a border (rook by
                                                 default; see :func:`to_networkx`)
``travel_time``  area -> site                    ``minutes``: one per row of
                                                 ``smap.travel_times``
===============  ==============================  =======================================

**The graph.** ``G.graph`` holds ``crs`` (``"EPSG:27700"``), ``built_from`` (the map's
name, the servicemap version, and the options used: ``serves``, ``max_distance``,
``max_minutes``, ``adjacency``), ``provenance``, ``vocabulary`` (the terms the map
declares, as ``{category: {term: {"label": ..., "description": ...}}}``) and
``schema`` (the areas' columns and dtypes, and the pathways' order), which
:func:`from_networkx` needs for an exact round trip.

**Back to a map.** :func:`from_networkx` reads the records from the node attributes,
the pathways from the ``refers_to`` edges and the travel times from the
``travel_time`` edges. ``serves`` and ``adjacent_to`` are derived, and ignored; the
``provides``, ``commissions``, ``member_of`` and ``located_at`` edges mirror node
attributes and are checked against them.

Examples
--------
>>> G = sm.datasets.bedfordshire().to_networkx()
>>> G.nodes["service:lut-adult-hub"]["type"], G.graph["crs"]
('service', 'EPSG:27700')
>>> sorted({d["type"] for _, _, d in G.in_edges("service:lut-adult-hub", data=True)})
['commissions', 'provides', 'refers_to', 'serves']
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd

from servicemap._version import __version__
from servicemap.errors import InputError, Problem, did_you_mean
from servicemap.geography import area_adjacency, reach_matrix
from servicemap.schema import area_schema, restore_areas
from servicemap.servicemap import ServiceMap
from servicemap.vocab import VOCABULARY, Term, Vocabulary

__all__ = ["DERIVED_EDGE_TYPES", "EDGE_TYPES", "NODE_TYPES", "contiguous_pairs", "from_networkx",
           "node_key", "to_networkx"]

#: Each node type and the prefix of its nodes' keys.
NODE_TYPES: dict[str, str] = {
    "area": "area", "site": "site", "service": "service", "organisation": "organisation",
    "partnership": "partnership", "entry_point": "entry"}
#: The edge types, in the order :func:`to_networkx` adds them.
EDGE_TYPES: tuple[str, ...] = (
    "provides", "commissions", "member_of", "located_at", "refers_to", "travel_time",
    "serves", "adjacent_to")
#: Edge types that are derived from geometry and catchments; from_networkx ignores them.
DERIVED_EDGE_TYPES: tuple[str, ...] = ("serves", "adjacent_to")
# edge types that mirror a node attribute: the attribute lives on the edge's target
_MIRRORED = {"provides": "provider", "commissions": "commissioners",
             "member_of": "members", "located_at": "services"}
_RESERVED = ("type", "id", "label", "geometry")
_CONTIGUITY = {"rook": "rook", "queen": "queen"}
GRAPH_FORMAT_VERSION = 1
_SOURCE = "networkx graph"
_RECORD_TABLES = {"service": "services", "site": "sites",
                  "organisation": "organisations", "partnership": "partnerships"}


def node_key(node_type: str, id: str) -> str:  # noqa: A002 - a record's id
    """Return the key of a record's node: its type's prefix, a colon and its id.

    Parameters
    ----------
    node_type : {"area", "site", "service", "organisation", "partnership", "entry_point"}
        The node's type.
    id : str
        The record's id (an area's code, an entry point's term).

    Returns
    -------
    str

    Examples
    --------
    >>> node_key("service", "lut-adult-hub"), node_key("entry_point", "police_custody")
    ('service:lut-adult-hub', 'entry:police_custody')
    """
    if node_type not in NODE_TYPES:
        msg = (f"{node_type!r} is not a node type.{did_you_mean(node_type, NODE_TYPES)} "
               f"Use one of: {', '.join(NODE_TYPES)}.")
        raise ValueError(msg)
    return f"{NODE_TYPES[node_type]}:{id}"


# -- to networkx -----------------------------------------------------------------------
def to_networkx(
    smap: ServiceMap,
    *,
    max_distance: float | None = None,
    max_minutes: float | None = None,
    serves: bool = True,
    adjacency: bool | str = True,
) -> nx.MultiDiGraph:
    """Return the map as a networkx MultiDiGraph of typed nodes and edges.

    The nodes and edges are described once, in :mod:`servicemap.graph`.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    max_distance, max_minutes : float, optional
        Thresholds for the ``serves`` edges, passed to :func:`~servicemap.reach_matrix`
        (metres and minutes); by default each service's own.
    serves : bool, default True
        Add ``serves`` edges, one per pair the reach matrix holds.
    adjacency : bool or {"rook", "queen"}, default True
        Add ``adjacent_to`` edges between areas that share a border. ``True`` or
        ``"rook"``: the two share at least a stretch of boundary line (or overlap);
        areas meeting at a single point are not adjacent. ``"queen"``: they share at
        least one point. ``False``: no adjacency edges.

    Returns
    -------
    networkx.MultiDiGraph
        ``G.graph`` holds ``crs``, ``built_from``, ``provenance``, ``vocabulary`` and
        ``schema``.

    Raises
    ------
    ValueError
        If ``adjacency`` is not one of its options, or a threshold is given with
        ``serves=False``.
    InputError
        If a pathway starts or ends at a service the map does not have (a map built
        with ``strict=False``): the graph cannot hold it. ``smap.validate()`` lists
        such problems.

    Notes
    -----
    Adjacency is :func:`servicemap.geography.area_adjacency`: a shapely ``STRtree``
    query of the areas against themselves (``predicate="intersects"``), then, for rook
    contiguity, the DE-9IM relation of each candidate pair: adjacent when the
    boundaries meet in a line or the interiors overlap. It agrees with libpysal's
    ``Rook`` and ``Queen`` weights on the Bedfordshire LSOAs. Edges are built as
    arrays and added with ``add_edges_from``; nothing loops over geometry in Python.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> G = smap.to_networkx()
    >>> G.number_of_nodes()  # 381 areas, 73 sites, 40 services, 25 + 7, 9 entry points
    535
    >>> edge = G.edges["entry:police_custody", "service:beds-liaison-diversion", "pw-03"]
    >>> edge["type"], edge["kind"], edge["consent_basis"]
    ('refers_to', 'in_reach', 'public_task')
    >>> sum(1 for *_, t in G.edges(data="type") if t == "serves") == sm.reach_matrix(smap).nnz
    True
    """
    contiguity = _contiguity(adjacency)
    if not serves and (max_distance is not None or max_minutes is not None):
        msg = ("max_distance and max_minutes set the reach of the 'serves' edges, which "
               "serves=False leaves out. Pass serves=True, or leave the thresholds out.")
        raise ValueError(msg)
    graph = nx.MultiDiGraph()
    vocab = smap.vocabulary
    areas, sites = smap.areas, smap.sites
    services, pathways = smap.services, smap.pathways
    organisations, partnerships = smap.organisations, smap.partnerships

    # nodes, table by table, each in the frame's order
    geometry = areas.geometry.name
    attribute_of = _area_attributes([c for c in areas.columns if c != geometry])
    area_keys = _keys("area", areas.index)
    rows = areas.drop(columns=geometry).rename(columns=attribute_of).to_dict("records")
    graph.add_nodes_from(
        (key, {"type": "area", "id": code, "label": name, **row, "geometry": geom})
        for key, code, name, row, geom in zip(
            area_keys, areas.index, areas["name"].tolist(), rows, list(areas.geometry.values),
            strict=True))
    site_rows = sites.drop(columns=sites.geometry.name).to_dict("records")
    graph.add_nodes_from(
        (key, {"type": "site", "id": sid, "label": row["name"], **row, "geometry": geom})
        for key, sid, row, geom in zip(_keys("site", sites.index), sites.index, site_rows,
                                       list(sites.geometry.values), strict=True))
    for node_type, frame in (("service", services), ("organisation", organisations),
                             ("partnership", partnerships)):
        graph.add_nodes_from(
            (key, {"type": node_type, "id": rid, "label": row["name"], **row})
            for key, rid, row in zip(_keys(node_type, frame.index), frame.index,
                                     frame.to_dict("records"), strict=True))
    entries = list(dict.fromkeys(pathways["from_entry"].dropna()))
    entry_terms = vocab["entry_point"]
    graph.add_nodes_from(
        (node_key("entry_point", term),
         {"type": "entry_point", "id": term, "label": entry_terms[term].label,
          "description": entry_terms[term].description})
        for term in entries if term in entry_terms)

    # edges that mirror node attributes
    mirrored = _mirrored_pairs(
        services=zip(services.index, services["provider"], services["commissioners"],
                     strict=True),
        sites=zip(sites.index, sites["services"], strict=True),
        partnerships=zip(partnerships.index, partnerships["members"], strict=True),
        keys={t: {rid: node_key(t, rid) for rid in frame.index} for t, frame in (
            ("service", services), ("site", sites), ("organisation", organisations),
            ("partnership", partnerships))})
    for edge_type, pairs in mirrored.items():
        graph.add_edges_from((u, v, edge_type, {"type": edge_type}) for u, v in pairs)

    # pathways
    graph.add_edges_from(_pathway_edges(pathways, graph))

    # travel times
    times = smap.travel_times
    if len(times):
        graph.add_edges_from(
            (u, v, "travel_time", {"type": "travel_time", "minutes": m})
            for u, v, m in zip(_keys("area", times["area"]), _keys("site", times["site"]),
                               times["minutes"].tolist(), strict=True))

    # derived: serves, from the reach matrix; adjacency, from the polygons
    reach = None
    if serves:

        reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
        graph.add_edges_from(_serves_edges(reach, area_keys))
    if contiguity is not None:
        left, right = contiguous_pairs(areas.geometry.values, contiguity)
        keys = area_keys.to_numpy()
        graph.add_edges_from(
            (u, v, "adjacent_to", {"type": "adjacent_to"})
            for u, v in zip(keys[left].tolist(), keys[right].tolist(), strict=True))

    graph.graph.update(_graph_metadata(smap, attribute_of, reach, serves, contiguity,
                                   __version__))
    return graph


def _contiguity(adjacency: bool | str) -> str | None:
    if adjacency is True:
        return "rook"
    if adjacency is False or adjacency is None:
        return None
    if isinstance(adjacency, str) and adjacency in _CONTIGUITY:
        return adjacency
    msg = (f"adjacency={adjacency!r} is not an option. Use True or 'rook' (areas sharing "
           "a stretch of border), 'queen' (sharing at least a point) or False (none).")
    raise ValueError(msg)


def _keys(node_type: str, ids: Iterable[Any]) -> pd.Index:

    prefix = NODE_TYPES[node_type] + ":"
    return pd.Index([prefix + str(i) for i in ids], dtype=object)


def _area_attributes(columns: list[Any]) -> dict[Any, Any]:
    """Name the node attribute of each area column that would hide a node's own."""
    taken = set(columns) | set(_RESERVED)
    renamed = {}
    for column in columns:
        if column in _RESERVED:
            name = f"area_{column}"
            while name in taken:
                name = f"area_{name}"
            taken.add(name)
            renamed[column] = name
    return renamed


def _ids(value: Any) -> tuple[str, ...]:
    """Read a list field as the model does: a list, a tuple or text separated by ';'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if isinstance(value, Iterable):
        return tuple(value)
    return (value,)


def _mirrored_pairs(*, services: Iterable[tuple[Any, Any, Any]],
                    sites: Iterable[tuple[Any, Any]],
                    partnerships: Iterable[tuple[Any, Any]],
                    keys: dict[str, dict[Any, Any]]) -> dict[str, list[tuple[Any, Any]]]:
    """Return the provides, commissions, member_of and located_at edges records imply.

    ``keys`` maps each node type to ``{id: node key}``; a reference to an id that has
    no node gives no edge (validation reports it).
    """
    orgs, parts = keys["organisation"], keys["partnership"]
    service_keys, site_keys = keys["service"], keys["site"]
    out: dict[str, list[tuple[Any, Any]]] = {t: [] for t in _MIRRORED}
    for sid, provider, commissioners in services:
        skey = service_keys[sid]
        if isinstance(provider, str) and provider in orgs:
            out["provides"].append((orgs[provider], skey))
        for c in dict.fromkeys(_ids(commissioners)):
            for pool in (orgs, parts):
                if c in pool:
                    out["commissions"].append((pool[c], skey))
    for pid, members in partnerships:
        out["member_of"].extend((orgs[m], parts[pid]) for m in dict.fromkeys(_ids(members))
                                if m in orgs)
    for site_id, listed in sites:
        out["located_at"].extend((service_keys[s], site_keys[site_id])
                                 for s in dict.fromkeys(_ids(listed)) if s in service_keys)
    return out


def _pathway_edges(pathways: pd.DataFrame, graph: nx.MultiDiGraph) -> list[tuple]:
    from_service = pathways["from_service"].tolist()
    from_entry = pathways["from_entry"].tolist()
    to_service = pathways["to_service"].tolist()
    rows = pathways.drop(columns=["from_service", "from_entry", "to_service"]).to_dict(
        "records")
    edges, problems = [], []
    for pid, fs, fe, ts, row in zip(pathways.index, from_service, from_entry, to_service,
                                    rows, strict=True):
        u = node_key("service", fs) if isinstance(fs, str) else node_key("entry_point", fe)
        v = node_key("service", ts)
        for end, field, value in ((u, "from_service" if isinstance(fs, str) else
                                   "from_entry", fs if isinstance(fs, str) else fe),
                                  (v, "to_service", ts)):
            if end not in graph:
                problems.append(Problem(
                    "pathways", pid, field, value,
                    "is not a node of the graph, so the pathway cannot be an edge. Fix "
                    "the map first: smap.validate() lists what is wrong.", id=pid))
        edges.append((u, v, pid, {"type": "refers_to", "pathway": pid, **row}))
    if problems:
        raise InputError(problems)
    return edges


def _serves_edges(reach: Any, area_keys: pd.Index) -> Iterable[tuple]:

    cost = reach.cost
    rows = np.repeat(np.arange(cost.shape[0]), np.diff(cost.indptr))
    u = area_keys.to_numpy()[rows].tolist()
    service_keys = _keys("service", reach.services).to_numpy()
    v = service_keys[cost.indices].tolist()
    unit = reach.unit.to_numpy(dtype=object)[cost.indices].tolist()
    return ((a, s, "serves", {"type": "serves", "cost": c, "unit": n})
            for a, s, c, n in zip(u, v, cost.data.tolist(), unit, strict=True))


def contiguous_pairs(geometries: Any, contiguity: str = "rook") -> tuple[np.ndarray,
                                                                         np.ndarray]:
    """Return the pairs of polygons that share a border, in both directions.

    Parameters
    ----------
    geometries : array of shapely polygons
        Such as ``smap.areas.geometry.values``.
    contiguity : {"rook", "queen"}, default "rook"
        ``"rook"``: the boundaries share at least a line, or the interiors overlap;
        ``"queen"``: the polygons share at least a point.

    Returns
    -------
    left, right : numpy.ndarray
        Positions of the pairs, each pair once in each direction, sorted.

    Examples
    --------
    >>> import shapely
    >>> squares = np.array([shapely.box(i, j, i + 1, j + 1) for j in range(2)
    ...                     for i in range(2)])
    >>> left, right = contiguous_pairs(squares)  # 0 1 / 2 3: no diagonals
    >>> sorted(zip(left.tolist(), right.tolist()))
    [(0, 1), (0, 2), (1, 0), (1, 3), (2, 0), (2, 3), (3, 1), (3, 2)]
    >>> len(contiguous_pairs(squares, "queen")[0])  # and the two diagonals, both ways
    12
    """
    if contiguity not in _CONTIGUITY:
        msg = f"contiguity={contiguity!r} is not an option. Use 'rook' or 'queen'."
        raise ValueError(msg)
    left, right = area_adjacency(np.asarray(geometries, dtype=object),
                                 how=contiguity).nonzero()
    return left.astype(np.int64), right.astype(np.int64)


def _graph_metadata(smap: ServiceMap, attribute_of: dict[Any, Any], reach: Any,
                    serves: bool, contiguity: str | None, version: str) -> dict[str, Any]:
    vocab = smap.vocabulary
    declared = {
        category: {t.term: {"label": t.label, "description": t.description}
                   for t in vocab[category].values() if t.declared}
        for category in vocab}
    declared = {c: terms for c, terms in declared.items() if terms}
    schema: dict[str, Any] = {
        "format": "servicemap", "format_version": GRAPH_FORMAT_VERSION,
        "areas": {**area_schema(smap.areas), "attributes": dict(attribute_of)},
        "pathways": smap.pathways.index.tolist()}
    if _vocabulary(declared, None) != vocab:
        # built-in terms that differ from this version's: keep every term
        schema["vocabulary"] = [
            [t.term, category, t.label, t.description, t.declared]
            for category in vocab for t in vocab[category].values()]
    return {
        "crs": "EPSG:27700",
        "built_from": {
            "name": smap.provenance.get("name"), "servicemap_version": version,
            "serves": serves,
            "max_distance": reach.max_distance if reach is not None else None,
            "max_minutes": reach.max_minutes if reach is not None else None,
            "adjacency": contiguity},
        "provenance": copy.deepcopy(smap.provenance),
        "vocabulary": declared,
        "schema": schema,
    }


def _vocabulary(declared: Any, terms: Any) -> Any:
    """Rebuild a vocabulary: every term if given, else the built-in one, plus declared."""
    if terms:
        by_category: dict[str, dict[str, Term]] = {}
        for term, category, label, description, was_declared in terms:
            by_category.setdefault(category, {})[term] = Term(
                term, label, description, bool(was_declared))
    else:
        by_category = {c: dict(VOCABULARY[c]) for c in VOCABULARY}
    for category, extra in (declared or {}).items():
        for term, about in extra.items():
            if term in by_category.get(category, {}):
                continue
            if isinstance(about, str):
                vocab = Vocabulary(by_category).extend(category, {term: about})
                by_category[category] = dict(vocab[category])
            else:
                by_category.setdefault(category, {})[term] = Term(
                    term, about.get("label", term), about.get("description", ""), True)
    return Vocabulary(by_category)


# -- from networkx ---------------------------------------------------------------------
def from_networkx(G: nx.Graph, *, strict: bool = True) -> ServiceMap:  # noqa: N803
    """Build a map from a graph made by :func:`to_networkx`, edited or not.

    The records come from the node attributes (areas, sites, services, organisations,
    partnerships), the pathways from the ``refers_to`` edges and the travel times from
    the ``travel_time`` edges, each validated as :meth:`ServiceMap.from_frames` does.
    ``serves`` and ``adjacent_to`` edges are derived from catchments and geometry, so
    they are ignored: change a service's catchment attributes instead. Entry-point
    nodes carry nothing to read; their terms come from the vocabulary.

    Parameters
    ----------
    G : networkx.DiGraph or networkx.MultiDiGraph
        The graph (the schema is in :mod:`servicemap.graph`).
    strict : bool, default True
        As for :meth:`ServiceMap.from_frames`: raise when records contradict each
        other; with ``False`` the map is built and ``smap.validate()`` lists them.

    Returns
    -------
    ServiceMap
        Equal to the map the graph was made from (:meth:`ServiceMap.equals`) if
        nothing was changed; otherwise a map with the changes.

    Raises
    ------
    InputError
        Naming the node or edge, what is wrong and how to fix it, if: a node has no
        ``type`` or an unknown one; there are no area nodes; an edge has no ``type``
        or an unknown one, or joins nodes of the wrong types; a ``refers_to`` edge has
        no pathway id (its key or ``pathway``); a ``provides``, ``commissions``,
        ``member_of`` or ``located_at`` edge disagrees with the node attribute it
        mirrors (``provider``, ``commissioners``, ``members``, the site's
        ``services``). Then, with the rows' node keys as their row labels, every
        problem :meth:`ServiceMap.from_frames` finds.
    TypeError
        If ``G`` is not a networkx graph.

    Notes
    -----
    An edge that mirrors a node attribute is checked both ways: an edge the
    attributes do not imply, and a missing edge they do imply, are errors that say
    which attribute to change. A graph with no edge at all of one of those types (one
    made by hand) is not checked for that type. A node's ``label`` is for display;
    change ``name`` to rename a record. Attributes added to area nodes become columns
    of the areas; attributes added to other nodes are not fields, and are reported.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> G = smap.to_networkx()
    >>> sm.from_networkx(G).equals(smap)
    True

    A new referral route, added in networkx:

    >>> G.add_edge("entry:a_and_e", "service:beds-naloxone", key="pw-new",
    ...            type="refers_to", kind="referral", consent_basis="explicit_consent")
    'pw-new'
    >>> back = sm.from_networkx(G)
    >>> len(back.pathways), back.pathways.loc["pw-new", "from_entry"]
    (46, 'a_and_e')

    A node networkx made for a misspelt edge end is named, with the fix:

    >>> G.add_edge("service:beds-naloxone", "service:lut-adult-hubb", key="pw-x",
    ...            type="refers_to")
    'pw-x'
    >>> sm.from_networkx(G)
    Traceback (most recent call last):
    ...
    servicemap.errors.InputError: 1 problem in 'networkx graph'
      - table 'edges', row 'service:beds-naloxone -> service:lut-adult-hubb [pw-x]', ...
    """
    if not isinstance(G, nx.Graph):
        msg = (f"from_networkx takes a networkx graph, not a {type(G).__name__}. Make one "
               "with smap.to_networkx().")
        raise TypeError(msg)
    if not G.is_directed():
        msg = ("is undirected, but referral pathways have a direction. Pass the "
               "MultiDiGraph smap.to_networkx() returns (or nx.MultiDiGraph(G) if the "
               "edges were added in their direction).")
        raise InputError([Problem("graph", None, None, None, msg)], source=_SOURCE)

    nodes, node_problems = _read_nodes(G)
    edges, edge_problems = _read_edges(G, nodes)
    problems = node_problems + edge_problems
    if not nodes.by_type["area"] and not any(
            p.field == "type" and p.row is None for p in problems):
        problems.append(Problem(
            "nodes", None, "type", None,
            "no node has type 'area': a map needs its areas. Build the graph with "
            "smap.to_networkx(), which makes a node 'area:<code>' for every area, with "
            "its columns and geometry."))
    if not node_problems:
        problems += _mirror_problems(nodes, edges)
    if problems:
        raise InputError(problems, source=_SOURCE)
    return _build_map(G, nodes, edges, strict=strict)


class _Nodes:
    """The typed nodes of a graph: per type, (key, id, attributes), in graph order."""

    def __init__(self) -> None:
        self.by_type: dict[str, list[tuple[Any, Any, dict[str, Any]]]] = {
            t: [] for t in NODE_TYPES}
        self.type_of: dict[Any, str] = {}
        self.id_of: dict[Any, Any] = {}


def _node_name(key: Any) -> str:
    return key if isinstance(key, str) else repr(key)


def _read_nodes(graph: nx.Graph) -> tuple[_Nodes, list[Problem]]:
    nodes = _Nodes()
    problems = []
    prefixes = {prefix: t for t, prefix in NODE_TYPES.items()}
    for key, data in graph.nodes(data=True):
        node_type = data.get("type")
        name = _node_name(key)
        if node_type is None:
            if not data and graph.degree(key):
                continue  # made by networkx for an edge's end: reported with the edge
            guess = prefixes.get(str(key).split(":", 1)[0]) if ":" in str(key) else None
            hint = (f"G.nodes[{name!r}]['type'] = {guess!r}" if guess else
                    f"type= one of {', '.join(NODE_TYPES)}")
            problems.append(Problem(
                "nodes", name, "type", None,
                f"is missing: every node of a servicemap graph has a type. Set it "
                f"({hint}) with the record's fields, or remove the node."))
            continue
        if node_type not in NODE_TYPES:
            problems.append(Problem(
                "nodes", name, "type", node_type,
                f"is not a node type.{did_you_mean(node_type, NODE_TYPES)} Use one of: "
                f"{', '.join(NODE_TYPES)}."))
            continue
        rid = data.get("id")
        if rid is None:
            prefix, _, rest = str(key).partition(":")
            if prefixes.get(prefix) == node_type and rest:
                rid = rest
            else:
                problems.append(Problem(
                    "nodes", name, "id", None,
                    f"is missing, and the key does not start with "
                    f"'{NODE_TYPES[node_type]}:'. Give the node its record's id "
                    f"(G.nodes[{name!r}]['id'] = ...)."))
                continue
        nodes.by_type[node_type].append((key, rid, data))
        nodes.type_of[key] = node_type
        nodes.id_of[key] = rid
    return nodes, problems


class _Edges:
    """What the edges hold: pathways, travel times and the mirrored edges present."""

    def __init__(self) -> None:
        self.pathways: list[tuple[str, dict[str, Any]]] = []  # (row label, row)
        self.times: list[tuple[str, dict[str, Any]]] = []
        self.mirrored: dict[str, dict[tuple[Any, Any], str]] = {t: {} for t in _MIRRORED}


def _a(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _edge_name(u: Any, v: Any, key: Any) -> str:
    name = f"{_node_name(u)} -> {_node_name(v)}"
    return name if key is None else f"{name} [{key}]"


_ENDS = {
    "refers_to": (("service", "entry_point"), ("service",)),
    "travel_time": (("area",), ("site",)),
    "provides": (("organisation",), ("service",)),
    "commissions": (("organisation", "partnership"), ("service",)),
    "member_of": (("organisation",), ("partnership",)),
    "located_at": (("service",), ("site",)),
}


def _read_edges(graph: nx.Graph, nodes: _Nodes) -> tuple[_Edges, list[Problem]]:
    edges = _Edges()
    problems: list[Problem] = []
    if graph.is_multigraph():
        triples = graph.edges(keys=True, data=True)
    else:
        triples = ((u, v, None, d) for u, v, d in graph.edges(data=True))
    known_keys = {t: [k for k, _, _ in nodes.by_type[t]] for t in NODE_TYPES}
    type_of = nodes.type_of
    for u, v, key, data in triples:
        edge_type = data.get("type")
        if edge_type in DERIVED_EDGE_TYPES:
            continue
        name = _edge_name(u, v, key)
        if edge_type not in _ENDS:
            why = ("is missing: every edge of a servicemap graph has a type"
                   if edge_type is None else "is not an edge type"
                   + did_you_mean(edge_type, EDGE_TYPES))
            problems.append(Problem(
                "edges", name, "type", edge_type,
                f"{why}. Use one of: {', '.join(EDGE_TYPES)}; or remove the edge."))
            continue
        starts, ends = _ENDS[edge_type]
        bad = False
        for end, allowed, side in ((u, starts, "starts"), (v, ends, "ends")):
            if type_of.get(end) in allowed:
                continue
            bad = True
            want = " or ".join(_a(t.replace("_", " ")) for t in allowed)
            if end in type_of:
                problems.append(Problem(
                    "edges", name, "type", edge_type,
                    f"{side} at {_node_name(end)!r}, {_a(type_of[end])} node; a {edge_type} "
                    f"edge {side} at {want}. Remove the edge or join the right nodes."))
            else:
                pool = [k for t in allowed for k in known_keys[t]]
                problems.append(Problem(
                    "edges", name, "type", edge_type,
                    f"{side} at {_node_name(end)!r}, which is not {want} of the graph "
                    f"(networkx adds a bare node for an edge's unknown end)."
                    f"{did_you_mean(end, pool)} Add the node first, with its type, id "
                    "and fields, or correct the edge."))
        if bad:
            continue
        if edge_type == "refers_to":
            row = _pathway_row(u, v, key, data, nodes, name, problems)
            if row is not None:
                edges.pathways.append((name, row))
        elif edge_type == "travel_time":
            edges.times.append((name, {"area": nodes.id_of[u], "site": nodes.id_of[v],
                                       "minutes": data.get("minutes")}))
        else:
            edges.mirrored[edge_type][(u, v)] = name
    return edges, problems


def _pathway_row(u: Any, v: Any, key: Any, data: dict[str, Any], nodes: _Nodes,
                 name: str, problems: list[Problem]) -> dict[str, Any] | None:
    pid = data.get("pathway", key if isinstance(key, str) else None)
    if pid is None:
        problems.append(Problem(
            "edges", name, "pathway", None,
            "is missing: a refers_to edge needs the pathway's id, as its key or its "
            "'pathway' attribute, such as G.add_edge(u, v, key='pw-new', "
            "type='refers_to', kind='referral')."))
        return None
    from_service = nodes.id_of[u] if nodes.type_of[u] == "service" else None
    from_entry = nodes.id_of[u] if nodes.type_of[u] == "entry_point" else None
    ends = {"from_service": from_service, "from_entry": from_entry,
            "to_service": nodes.id_of[v]}
    row = {"id": pid, **ends}
    for field, value in data.items():
        if field in ("type", "pathway"):
            continue
        if field in ends:
            if value != ends[field] and not (value is None and ends[field] is None):
                problems.append(Problem(
                    "edges", name, field, value,
                    f"disagrees with the edge's end ({ends[field]!r}). The ends of a "
                    "refers_to edge say where it runs: drop the attribute, or move the "
                    "edge."))
            continue
        row[field] = value
    return row


def _mirror_problems(nodes: _Nodes, edges: _Edges) -> list[Problem]:
    keys = {t: {rid: key for key, rid, _ in nodes.by_type[t]} for t in NODE_TYPES}
    implied = _mirrored_pairs(
        services=((rid, d.get("provider"), d.get("commissioners"))
                  for _, rid, d in nodes.by_type["service"]),
        sites=((rid, d.get("services")) for _, rid, d in nodes.by_type["site"]),
        partnerships=((rid, d.get("members")) for _, rid, d in nodes.by_type["partnership"]),
        keys=keys)
    problems = []
    for edge_type, field in _MIRRORED.items():
        present = edges.mirrored[edge_type]
        if not present:
            continue  # a graph made without these edges: nothing to compare
        wanted = set(implied[edge_type])
        for (u, v), name in present.items():
            if (u, v) not in wanted:
                uid = nodes.id_of[u]
                problems.append(Problem(
                    "edges", name, "type", edge_type,
                    f"is not in the node attributes: G.nodes[{_node_name(v)!r}]"
                    f"[{field!r}] does not name {uid!r}. The map is rebuilt from node "
                    f"attributes: put {uid!r} in that attribute, or remove the edge."))
        for u, v in implied[edge_type]:
            if (u, v) not in present:
                uid = nodes.id_of[u]
                problems.append(Problem(
                    "edges", _edge_name(u, v, edge_type), "type", edge_type,
                    f"is missing, but G.nodes[{_node_name(v)!r}][{field!r}] names "
                    f"{uid!r}. The map is rebuilt from node attributes: to drop the link, "
                    f"take {uid!r} out of that attribute; or add the edge back."))
    return problems


def _build_map(graph: nx.Graph, nodes: _Nodes, edges: _Edges, *, strict: bool) -> ServiceMap:


    schema = graph.graph.get("schema") or {}
    labels: dict[str, list[str]] = {}
    tables: dict[str, Any] = {"areas": _area_frame(nodes.by_type["area"],
                                                   schema.get("areas"))}
    labels["areas"] = [_node_name(k) for k, _, _ in nodes.by_type["area"]]
    for node_type, table in _RECORD_TABLES.items():
        found = nodes.by_type[node_type]
        labels[table] = [_node_name(k) for k, _, _ in found]
        rows = [{"id": rid, **{f: v for f, v in d.items()
                               if f not in ("type", "id", "label", "geometry")}}
                for _, rid, d in found]
        if node_type == "site" and rows:
            tables[table] = _site_frame(rows, [d.get("geometry") for _, _, d in found])
        else:
            tables[table] = rows or None

    order = {pid: i for i, pid in enumerate(schema.get("pathways") or ())}
    pathways = sorted(enumerate(edges.pathways),
                      key=lambda item: (order.get(item[1][1]["id"], len(order)), item[0]))
    tables["pathways"] = [row for _, (_, row) in pathways] or None
    labels["pathways"] = [name for _, (name, _) in pathways]
    times = None
    if edges.times:
        times = pd.DataFrame([row for _, row in edges.times],
                             columns=["area", "site", "minutes"])
        labels["travel_times"] = [name for name, _ in edges.times]
    vocabulary = _vocabulary(graph.graph.get("vocabulary"), schema.get("vocabulary"))
    return ServiceMap.from_frames(
        **tables, travel_times=times, vocabulary=vocabulary,
        provenance=copy.deepcopy(graph.graph.get("provenance") or {}), strict=strict,
        row_labels=labels, source=_SOURCE)


def _site_frame(rows: list[dict[str, Any]], geometries: list[Any]) -> Any:

    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometries, crs="EPSG:27700")


def _area_frame(found: list[tuple[Any, Any, dict[str, Any]]],
                schema: dict[str, Any] | None) -> Any:

    attribute_of = dict((schema or {}).get("attributes") or {})
    index = (schema or {}).get("index", "code")
    known = [c for c in (schema or {}).get("columns", []) if c != (schema or {}).get(
        "geometry")]
    used = {attribute_of.get(c, c) for c in known} | set(_RESERVED)
    extra = list(dict.fromkeys(a for _, _, d in found for a in d if a not in used))
    columns = {c: attribute_of.get(c, c) for c in [*known, *extra]}
    present = {a for _, _, d in found for a in d}
    data = {index: [rid for _, rid, _ in found]}
    for column, attribute in columns.items():
        if attribute in present:
            data[column] = [d.get(attribute, np.nan) for _, _, d in found]
    frame = gpd.GeoDataFrame(data, geometry=[d.get("geometry") for _, _, d in found],
                             crs="EPSG:27700")
    if schema is None:
        return frame.set_index(index)
    restored = {**schema, "columns": [*schema["columns"], *extra]}
    return restore_areas(frame, restored, lenient=True)

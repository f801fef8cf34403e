r"""The map's graph for network tools: Kumu JSON blueprints and GEXF (Gephi).

Both start from :func:`servicemap.graph.to_networkx`, whose module describes the
nodes and edges.

**Kumu** (:func:`to_kumu`, ``smap.to_kumu``) takes the JSON "blueprint" of its import:
``{"elements": [...], "connections": [...]}``. Elements are the services,
organisations, partnerships and the entry points pathways start from; areas (and
``serves`` connections) only when asked, since hundreds of areas would swamp a Kumu
map; sites never. Connections are the referral pathways (``refers to``), ``provides``,
``commissions`` and ``member of``, all directed. Element ids are the graph's node
keys (``"service:<id>"``), so they are unique even when names repeat, and stay the
same from one export to the next, so re-importing updates a Kumu map instead of
doubling it.

**GEXF** (:func:`to_gexf`, ``smap.to_gexf``) is written by ``networkx.write_gexf`` after
every attribute is made a GEXF value: lists become text joined by ``"; "``, geometry
is dropped but areas and sites keep ``x`` and ``y`` (British National Grid metres; an
area's point is the one distances are measured from), missing values are left out and
booleans stay booleans. GEXF gives ``id``, ``label`` and an edge's ``type`` meanings of
its own, so a node's ``id`` is written as ``record_id`` and an edge's ``type`` as its
GEXF label and as ``relation``.

Text from the map is made safe for each format. JSON escaping is ``json.dumps``'s.
Kumu renders descriptions as Markdown with some inline HTML, so a description (a
record's ``notes``) is HTML-escaped and its Markdown punctuation backslash-escaped: it
shows as written and never becomes a link, an image or markup. Characters that XML 1.0
cannot hold, or that have no place in text (control characters other than tab,
newline and carriage return, lone surrogates, U+FFFE and U+FFFF), are removed from
both formats, and text that a spreadsheet would run as a formula (starting ``=``,
``+``, ``-`` or ``@``) gets a leading ``'`` as in every CSV the library writes, each
with an :class:`ExportWarning` that says where.

Examples
--------
>>> import json, tempfile, pathlib
>>> smap = sm.datasets.bedfordshire()
>>> with tempfile.TemporaryDirectory() as d:
...     blueprint = to_kumu(smap, pathlib.Path(d) / "bedfordshire.json")
...     print(sorted(json.loads((pathlib.Path(d) / "bedfordshire.json").read_text())))
['connections', 'elements']
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import shapely

from servicemap.crs import user_stacklevel
from servicemap.errors import ExportWarning, plural
from servicemap.geography import area_points
from servicemap.graph import to_networkx
from servicemap.io.exports import safe_text
from servicemap.servicemap import ServiceMap
from servicemap.vocab import Vocabulary

__all__ = ["ExportWarning", "gexf_graph", "safe_markdown", "to_gexf", "to_kumu"]


# control characters other than tab, newline and carriage return; DEL and the C1
# controls; lone surrogates; the two non-characters XML 1.0 excludes
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MARKDOWN = re.compile(r"([\\`*_\[\]!|~$<>])")


class _Cleaner:
    """Remove characters a format cannot hold, remembering where."""

    def __init__(self) -> None:
        self.changed: dict[str, dict[str, None]] = {}  # record -> its fields changed
        self.formulas: dict[str, dict[str, None]] = {}  # record -> fields neutralised

    def text(self, value: str, record: str, field: str) -> str:
        cleaned = _INVALID.sub("", value)
        if cleaned != value:
            self.changed.setdefault(record, {})[field] = None
        safe = safe_text(cleaned)  # the one rule of every file the library writes
        if safe != cleaned:
            self.formulas.setdefault(record, {})[field] = None
        return str(safe)

    def warn(self, what: str) -> None:
        if self.formulas:
            places = [f"{record} ({', '.join(fields)})"
                      for record, fields in self.formulas.items()]
            warnings.warn(
                f"{plural(sum(map(len, self.formulas.values())), 'text value')} began "
                "like a spreadsheet formula (=, +, -, @) and were written with a "
                f"leading ' so that a spreadsheet shows them as text: "
                f"{'; '.join(places[:6])}{'; ...' if len(places) > 6 else ''}.",
                ExportWarning, stacklevel=user_stacklevel())
        if not self.changed:
            return
        n = sum(len(fields) for fields in self.changed.values())
        places = [f"{record} ({', '.join(fields)})"
                  for record, fields in self.changed.items()]
        shown = "; ".join(places[:6]) + (f"; and {len(places) - 6} more records"
                                        if len(places) > 6 else "")
        warnings.warn(
            f"{plural(n, 'text value')} held control characters (or other characters "
            f"{what} cannot hold), which were removed: {shown}. Correct them in the map "
            "to export them unchanged.", ExportWarning, stacklevel=user_stacklevel())


def safe_markdown(text: str) -> str:
    r"""Return text that Markdown with inline HTML shows as written.

    HTML special characters become entities, then Markdown's punctuation is escaped
    with a backslash, so the text can make no tag, link, image or emphasis.

    Parameters
    ----------
    text : str

    Returns
    -------
    str

    Examples
    --------
    >>> print(safe_markdown('<script>alert("x")</script> & ![img](http://x) *bold*'))
    &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \!\[img\](http://x) \*bold\*
    """
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=True))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# -- Kumu ------------------------------------------------------------------------------
_KUMU_TYPES = {"service": "Service", "organisation": "Organisation",
               "partnership": "Partnership", "entry_point": "Entry point", "area": "Area"}
_KUMU_CONNECTIONS = {"refers_to": "refers to", "provides": "provides",
                     "commissions": "commissions", "member_of": "member of",
                     "serves": "serves"}
# service fields: (column, Kumu field, vocabulary category or None)
_SERVICE_FIELDS = [
    ("needs", "Needs", "need"), ("client_groups", "Client groups", "client_group"),
    ("interventions", "Interventions", "intervention"),
    ("status", "Status", "service_status"), ("hours", "Opening hours", None),
    ("min_age", "Minimum age", None), ("max_age", "Maximum age", None),
    ("capacity", "Capacity", None), ("capacity_unit", "Capacity unit", "capacity_unit"),
    ("annual_cost", "Annual cost (GBP)", None),
    ("funding_sources", "Funding sources", None),
    ("visit_frequency", "Visit frequency", "visit_frequency"),
    ("reach", "Reach", "reach"), ("max_distance", "Maximum distance (m)", None),
    ("max_minutes", "Maximum minutes", None), ("footprint", "Footprint", None)]
_PATHWAY_FIELDS = [
    ("kind", "Pathway kind", "pathway_kind"),
    ("consent_basis", "Consent basis", "consent_basis"),
    ("information_sharing_agreement", "Information sharing agreement", None),
    ("wait_days", "Wait (days)", None), ("volume_per_year", "Volume per year", None)]


def to_kumu(smap: ServiceMap, path: str | os.PathLike[str] | None = None, *,
            areas: bool = False) -> dict[str, Any]:
    """Return the map as a Kumu JSON blueprint, and write it if given a path.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    path : str or path-like, optional
        A ``.json`` file to write (UTF-8); an existing file is replaced.
    areas : bool, default False
        Add every area as an element (its columns as fields) and a ``serves``
        connection for each pair of the reach matrix. Off by default: hundreds of
        areas swamp a Kumu map.

    Returns
    -------
    dict
        ``{"elements": [...], "connections": [...]}``. Elements have ``id`` (the node
        key), ``label`` (the name), ``type`` (``Service``, ``Organisation``,
        ``Partnership``, ``Entry point``, ``Area``), ``description`` (the notes, made
        safe for Markdown), ``tags`` (a service's needs, an organisation's or
        partnership's kind) and fields named for people (``Provider``,
        ``Commissioners``, ``Needs``, ``Capacity``, ...; lists as lists, terms as their
        labels, ``servicemap id`` the record's id). Connections have ``id``, ``from``,
        ``to``, ``type`` (``refers to``, ``provides``, ``commissions``,
        ``member of``, ``serves``) and ``direction`` (``directed``); a pathway's also
        ``Pathway kind``, ``Consent basis``, ``Information sharing agreement``
        (``yes`` or ``no``), ``Wait (days)`` and ``Volume per year``.

    Warns
    -----
    ExportWarning
        When control characters were removed from text, saying where.

    Examples
    --------
    >>> blueprint = to_kumu(sm.datasets.bedfordshire())
    >>> hub = next(e for e in blueprint["elements"] if e["id"] == "service:lut-adult-hub")
    >>> hub["type"], hub["Provider"], hub["tags"][:2]
    ('Service', 'Lea Recovery (illustrative)', ['Drug use', 'Alcohol use'])
    >>> police = next(c for c in blueprint["connections"] if c["id"] == "refers_to:pw-01")
    >>> police["from"], police["Consent basis"], police["Information sharing agreement"]
    ('entry:police_vulnerable_persons', 'Public task', 'yes')
    """
    graph = to_networkx(smap, serves=areas, adjacency=False)
    kumu = _Kumu(smap.vocabulary, dict(graph.nodes(data="label")))
    elements = [kumu.element(key, data) for key, data in graph.nodes(data=True)
                if data["type"] in _KUMU_TYPES and (data["type"] != "area" or areas)]
    order = list(_KUMU_CONNECTIONS)
    edges = sorted(
        ((u, v, k, d) for u, v, k, d in graph.edges(keys=True, data=True)
         if d["type"] in _KUMU_CONNECTIONS),
        key=lambda e: order.index(e[3]["type"]))
    connections = [kumu.connection(u, v, key, data) for u, v, key, data in edges]
    _check_unique([e["id"] for e in elements] + [c["id"] for c in connections])
    blueprint = {"elements": elements, "connections": connections}
    kumu.clean.warn("Kumu JSON")
    if path is not None:
        text = json.dumps(blueprint, ensure_ascii=False, allow_nan=False, indent=2)
        Path(path).write_text(text + "\n", encoding="utf-8")
    return blueprint


class _Kumu:
    """Turns the graph's nodes and edges into Kumu elements and connections."""

    def __init__(self, vocab: Vocabulary, names: dict[Any, Any]) -> None:
        self.vocab = vocab
        self.names = names
        self.clean = _Cleaner()

    def term_label(self, category: str | None, value: Any) -> Any:
        if category is None or not isinstance(value, str):
            return value
        terms = self.vocab.get(category, {})
        return terms[value].label if value in terms else value

    def put(self, target: dict[str, Any], field: str, value: Any, where: str,
            column: str) -> None:
        if isinstance(value, tuple):
            value = [self.clean.text(str(v), where, column) for v in value]
            if value:
                target[field] = value
        elif isinstance(value, str):
            target[field] = self.clean.text(value, where, column)
        elif not _missing(value):
            target[field] = value.item() if hasattr(value, "item") else value

    def element(self, key: Any, data: dict[str, Any]) -> dict[str, Any]:
        node_type = data["type"]
        where = f"{node_type} {data['id']!r}"
        element: dict[str, Any] = {}
        self.put(element, "id", key, where, "id")
        self.put(element, "label", data["label"], where, "name")
        element["type"] = _KUMU_TYPES[node_type]
        about = data.get("description") if node_type == "entry_point" else data.get("notes")
        if isinstance(about, str) and about.strip():
            element["description"] = safe_markdown(self.clean.text(about, where, "notes"))
        if node_type == "service":
            self._service(element, data, where)
        elif node_type in ("organisation", "partnership"):
            kind = self.term_label(f"{node_type}_kind", data["kind"])
            element["tags"] = [kind]
            self.put(element, "Kind", kind, where, "kind")
            if node_type == "partnership":
                self.put(element, "Footprint", data["footprint"], where, "footprint")
        elif node_type == "area":
            skip = {"type", "id", "label", "geometry", "name"}
            for column, value in data.items():
                if column not in skip:
                    self.put(element, self.clean.text(str(column), "areas",
                                                      f"column {column!r}"),
                             value, where, str(column))
        if "illustrative" in data:
            element["Illustrative"] = bool(data["illustrative"])
        self.put(element, "servicemap id", data["id"], where, "id")
        return element

    def _service(self, element: dict[str, Any], data: dict[str, Any], where: str) -> None:
        names = self.names
        element["tags"] = [self.term_label("need", n) for n in data["needs"]]
        provider = f"organisation:{data['provider']}"
        self.put(element, "Provider", names.get(provider, data["provider"]),
                 where, "provider")
        self.put(element, "Commissioners",
                 tuple(names.get(f"organisation:{c}", names.get(f"partnership:{c}", c))
                       for c in data["commissioners"]), where, "commissioners")
        for column, field, category in _SERVICE_FIELDS:
            value = data[column]
            value = (tuple(self.term_label(category, v) for v in value)
                     if isinstance(value, tuple) else self.term_label(category, value))
            self.put(element, field, value, where, column)

    def connection(self, u: Any, v: Any, key: Any, data: dict[str, Any]) -> dict[str, Any]:
        edge_type = data["type"]
        where = (f"pathway {key!r}" if edge_type == "refers_to"
                 else f"{edge_type} {u!r} -> {v!r}")
        cid = f"refers_to:{key}" if edge_type == "refers_to" else f"{edge_type}:{u};{v}"
        connection: dict[str, Any] = {}
        self.put(connection, "id", cid, where, "id")
        self.put(connection, "from", u, where, "from")
        self.put(connection, "to", v, where, "to")
        connection["type"] = _KUMU_CONNECTIONS[edge_type]
        connection["direction"] = "directed"
        if edge_type == "refers_to":
            notes = data.get("notes")
            if isinstance(notes, str) and notes.strip():
                connection["description"] = safe_markdown(
                    self.clean.text(notes, where, "notes"))
            for column, field, category in _PATHWAY_FIELDS:
                value = data[column]
                if isinstance(value, bool):
                    value = "yes" if value else "no"
                self.put(connection, field, self.term_label(category, value), where,
                         column)
            connection["Illustrative"] = bool(data["illustrative"])
            self.put(connection, "servicemap id", key, where, "id")
        elif edge_type == "serves":
            self.put(connection, "Cost", data["cost"], where, "cost")
            self.put(connection, "Unit", data["unit"], where, "unit")
        return connection


def _check_unique(ids: list[str]) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            msg = (f"two records have the id {i!r} once characters an export cannot "
                   "hold are removed. Give them ids that differ in letters or digits.")
            raise ValueError(msg)
        seen.add(i)


# -- GEXF ------------------------------------------------------------------------------
_GEXF_NODE_KEYS = {"id", "pid", "start", "end", "viz", "parents", "slices", "spells"}
_GEXF_EDGE_KEYS = {"id", "label", "weight", "type", "start", "end", "viz", "slices",
                   "spells", "key", "networkx_key"}


def to_gexf(smap: ServiceMap, path: str | os.PathLike[str], *, serves: bool = False,
            adjacency: bool = False) -> Path:
    """Write the map's graph as GEXF 1.2, which Gephi opens, with GEXF-legal attributes.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    path : str or path-like
        The ``.gexf`` file to write; an existing file is replaced.
    serves, adjacency : bool, default False
        Include ``serves`` (area -> service) and ``adjacent_to`` (rook) edges, as
        :func:`servicemap.graph.to_networkx` makes them. Off by default: they are
        derived, and many.

    Returns
    -------
    pathlib.Path
        The path written.

    Warns
    -----
    ExportWarning
        When characters XML cannot hold were removed from text, saying where.

    Examples
    --------
    >>> import tempfile, pathlib, networkx as nx
    >>> smap = sm.datasets.bedfordshire()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     H = nx.read_gexf(to_gexf(smap, pathlib.Path(d) / "b.gexf"))
    >>> H.nodes["service:lut-adult-hub"]["needs"]
    'drug; alcohol'
    >>> edge = H.edges["entry:police_custody", "service:beds-liaison-diversion", "pw-03"]
    >>> edge["label"], edge["pathway"], edge["consent_basis"]
    ('refers_to', 'pw-03', 'public_task')
    """
    graph = to_networkx(smap, serves=serves, adjacency=adjacency)
    flat = gexf_graph(graph, smap)
    path = Path(path)
    nx.write_gexf(flat, path)
    return path


def gexf_graph(graph: nx.MultiDiGraph, smap: ServiceMap | None = None) -> nx.MultiDiGraph:
    """Return a copy of a map's graph whose every attribute GEXF can hold.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        As :func:`servicemap.graph.to_networkx` returns it.
    smap : ServiceMap, optional
        The map it was made from, for the areas' points (the points distances are
        measured from); without it, an area's ``x`` and ``y`` are its polygon's
        representative point.

    Returns
    -------
    networkx.MultiDiGraph
        Lists joined by ``"; "``, geometry replaced by ``x`` and ``y``, missing values
        left out, ``id`` as ``record_id``, an edge's ``type`` as its ``label`` and
        ``relation``, numbers as Python numbers, every text free of characters XML
        cannot hold. An attribute with numbers of both kinds is made float; one with
        text and other values, text.

    Warns
    -----
    ExportWarning
        When characters XML cannot hold were removed, saying where.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> flat = gexf_graph(smap.to_networkx(serves=False, adjacency=False), smap)
    >>> site = flat.nodes["site:site-bed-hub"]
    >>> site["record_id"], site["services"], site["x"]
    ('site-bed-hub', 'bcb-adult-hub; bcb-laib; beds-naloxone', 505120.0)
    """
    clean = _Cleaner()
    points = _area_points(graph, smap)
    flat = nx.MultiDiGraph()
    name = (graph.graph.get("built_from") or {}).get("name")
    if isinstance(name, str):
        flat.graph["name"] = clean.text(name, "the map", "name")

    node_keys = {key: clean.text(str(key), f"node {key!r}", "key") for key in graph}
    _check_unique(list(node_keys.values()))
    node_rows = []
    for key, data in graph.nodes(data=True):
        where = f"{data.get('type', 'node')} {data.get('id', key)!r}"
        row: dict[str, Any] = {}
        for field, value in data.items():
            name = clean.text(str(field), where, f"the name of {field!r}")
            if field == "geometry":
                if data.get("type") == "area":
                    x, y = points.get(key) or _representative(value)
                    row["x"], row["y"] = x, y
                elif isinstance(value, shapely.Point) and not value.is_empty:
                    row["x"], row["y"] = float(value.x), float(value.y)
                continue
            if field == "id":
                name = "record_id"
            elif name in _GEXF_NODE_KEYS:
                name = f"attr_{name}"
            flat_value = _gexf_value(value, clean, where, str(field))
            if flat_value is not None:
                row[name] = flat_value
        node_rows.append((node_keys[key], row))
    _unify_types([row for _, row in node_rows])
    flat.add_nodes_from(node_rows)

    edge_rows = []
    for u, v, key, data in graph.edges(keys=True, data=True):
        where = f"edge {u!r} -> {v!r} [{key}]"
        row = {}
        edge_type = data.get("type")
        if isinstance(edge_type, str):
            row["label"] = row["relation"] = clean.text(edge_type, where, "type")
        for field, value in data.items():
            if field == "type":
                continue
            name = clean.text(str(field), where, f"the name of {field!r}")
            if name in _GEXF_EDGE_KEYS or name == "relation":
                name = f"attr_{name}"
            flat_value = _gexf_value(value, clean, where, str(field))
            if flat_value is not None:
                row[name] = flat_value
        key_text = clean.text(str(key), where, "key")
        edge_rows.append((node_keys[u], node_keys[v], key_text, row))
    _unify_types([row for *_, row in edge_rows])
    flat.add_edges_from(edge_rows)
    clean.warn("GEXF (XML)")
    return flat


def _area_points(graph: nx.MultiDiGraph, smap: ServiceMap | None) -> dict[Any, tuple]:
    if smap is None:
        return {}

    x, y, _ = area_points(smap.areas)
    keys = [f"area:{c}" for c in smap.areas.index]
    return {k: (float(a), float(b)) for k, a, b in zip(keys, x, y, strict=True)
            if k in graph}


def _representative(geometry: Any) -> tuple[float, float] | tuple[None, None]:
    if geometry is None or geometry.is_empty:
        return None, None
    point = geometry.representative_point()
    return float(point.x), float(point.y)


def _gexf_value(value: Any, clean: _Cleaner, where: str, field: str) -> Any:
    """Return a value GEXF can hold, or None to leave the attribute out."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean.text(value, where, field)
    if isinstance(value, (tuple, list, set, frozenset)):
        return clean.text("; ".join(str(v) for v in value), where, field)
    if hasattr(value, "item") and not isinstance(value, Iterable):  # numpy scalars
        value = value.item()
        if isinstance(value, bool):
            return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    try:

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return clean.text(str(value), where, field)


def _unify_types(rows: list[dict[str, Any]]) -> None:
    """Give each attribute one GEXF type: numbers of both kinds float, mixed text."""
    kinds: dict[str, set[type]] = {}
    for row in rows:
        for name, value in row.items():
            kinds.setdefault(name, set()).add(type(value))
    for name, found in kinds.items():
        if len(found) < 2:
            continue
        if found == {int, float}:
            def cast(v: Any) -> Any:
                return float(v)
        else:
            def cast(v: Any) -> Any:
                return str(v).lower() if isinstance(v, bool) else str(v)
        for row in rows:
            if name in row:
                row[name] = cast(row[name])

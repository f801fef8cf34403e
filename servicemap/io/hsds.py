"""Open Referral (HSDS 3.0) service directories in and out.

The Human Services Data Specification (HSDS) is the standard of service directories,
Open Referral UK's included. :func:`write_hsds` (``smap.to_hsds``) writes a map as an
HSDS 3.0 directory, both as the tabular data package (CSV files with a
``datapackage.json``) and as ``services.json``, a page of nested "service full" objects
as the HSDS API returns them. :func:`read_hsds` (``sm.read_hsds``) reads either form,
from servicemap or from any publisher, and :func:`validate_hsds` checks JSON against the
published HSDS 3.0 JSON Schemas, which ship with servicemap.

How the model maps (see the docs page "Open Referral (HSDS)" for the whole table):

==================  =================================================================
servicemap          HSDS 3.0
==================  =================================================================
organisation        ``organization`` (``notes`` as ``description``; ``kind`` as an
                    attribute)
service             ``service``: ``name``, ``status``, ``minimum_age``,
                    ``maximum_age``, ``description`` (our ``notes``); needs,
                    interventions, client groups and visit frequency as
                    ``attribute`` rows of ``taxonomy_term`` s of our vocabulary;
                    ``funding_sources`` as ``funding``; hours as weekly
                    ``schedule`` rows (``byday``, ``opens_at``, ``closes_at``, the
                    text in ``description``); footprint as ``service_area`` rows
                    whose ``uri`` is the area's GSS code
site                ``location`` (``physical`` or ``virtual``, latitude and
                    longitude, the postcode in an ``address``) and one
                    ``service_at_location`` per service
==================  =================================================================

What HSDS has no field for (a catchment's reach, commissioners, capacity, annual cost,
exact eastings and northings, the ``illustrative`` flag, our ids) is written in
extension fields named ``servicemap_*``; pathways, partnerships, travel times and
declared vocabulary in extension tables ``servicemap_*.csv`` (and the ``servicemap``
member of ``services.json``). HSDS 3.0 allows extra fields, so the output still
validates, and ``to_hsds`` then ``read_hsds`` gives back an equal map.

Reading a third party's directory, whatever has no field in the model (phones, fees,
languages, a monthly schedule, a service area with no GSS code, ...) is kept in the
``notes`` of the record it belongs to, never dropped, and an :class:`HSDSWarning`
counts it; ``smap.provenance["hsds_unmapped"]`` lists every such value and where it
was. Areas are not part of HSDS: pass ``areas=``.

Examples
--------
>>> import tempfile, pathlib
>>> smap = sm.datasets.bedfordshire()
>>> with tempfile.TemporaryDirectory() as d:
...     folder = smap.to_hsds(d)
...     checked = validate_hsds(folder / "services.json")
...     back = sm.read_hsds(folder, areas="bedfordshire")
>>> checked, back.equals(smap)
(40, True)
"""

from __future__ import annotations

import json
import os
import re
import uuid
import warnings
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servicemap.errors import InputError, Problem, ServiceMapWarning, plural
from servicemap.hours import WEEK, HoursError, format_hours, parse_hours

if TYPE_CHECKING:
    import geopandas as gpd

    from servicemap.servicemap import ServiceMap

__all__ = ["HSDSWarning", "HSDS_VERSION", "read_hsds", "validate_hsds", "write_hsds"]

#: The HSDS version written, and whose schemas ship with servicemap.
HSDS_VERSION = "3.0.0"
#: The version of servicemap's extension fields and tables.
EXTENSION_VERSION = 1
GSS_URI = "http://statistics.data.gov.uk/id/statistical-geography/"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "servicemap.hsds")
_GSS = re.compile(r"([EKNSW]\d{8})/?$")
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STATUS_OUT = {"active": "active", "planned": "inactive", "paused": "temporarily closed",
               "decommissioned": "defunct"}
_STATUS_IN = {"active": "active", "inactive": "paused", "temporarily closed": "paused",
              "defunct": "decommissioned"}
#: Vocabulary categories written as attributes, by the entity they describe.
_ATTRIBUTE_FIELDS = {
    "service": {"needs": "need", "interventions": "intervention",
                "client_groups": "client_group", "visit_frequency": "visit_frequency"},
    "organization": {"kind": "organisation_kind"},
}
_TAXONOMY_PREFIX = "servicemap:"
_EXTENSION_TABLES = {
    "pathways": ["id", "from_service", "from_entry", "to_service", "kind",
                 "consent_basis", "information_sharing_agreement", "wait_days",
                 "volume_per_year", "illustrative", "notes"],
    "partnerships": ["id", "name", "kind", "members", "footprint", "illustrative",
                     "notes"],
    "travel_times": ["area", "site", "minutes"],
    "vocabulary": ["category", "term", "label", "description"],
}
#: HSDS tables whose rows become our records (the rest are kept in notes).
_MAPPED_TABLES = ("organizations", "services", "locations", "service_at_location",
                  "service_areas", "schedules", "attributes", "taxonomy_terms",
                  "taxonomies", "funding", "addresses")
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


class HSDSWarning(ServiceMapWarning):
    """HSDS values with no field in the map were kept in notes, or terms were guessed."""


def _uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{key}"))


# -- the shipped schemas -----------------------------------------------------------------
def _schema_dir() -> Any:
    return resources.files("servicemap.io") / "hsds_schema"


@cache
def _schema(entity: str) -> dict[str, Any]:
    return json.loads((_schema_dir() / f"{entity}.json").read_text(encoding="utf-8"))


def _fields(entity: str) -> list[str]:
    """Return the tabular (CSV) fields of an HSDS entity, in the specification's order."""
    props = _schema(entity)["properties"]
    return [k for k, v in props.items() if v.get("type") != "array" and "$ref" not in v]


def _csv_name(entity: str) -> str:
    return _schema(entity)["path"]


# -- writing -----------------------------------------------------------------------------
def _hhmm(minute: int) -> str:
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _schedule_rows(text: str | None, service_uid: str, key: str) -> list[dict[str, Any]]:
    """Weekly schedule rows for hours text: one row per opening time, days in ``byday``.

    Each interval is cut at midnight; a piece that ends at midnight closes at
    ``00:00`` (a closing time not after the opening time runs into the next day).
    """
    if text is None:
        return []
    intervals = parse_hours(text).intervals
    groups: dict[tuple[int, int], list[int]] = {}
    for start, end in intervals:
        for day in range(start // 1440, (end - 1) // 1440 + 1):
            s = max(start, day * 1440) - day * 1440
            e = min(end, (day + 1) * 1440) - day * 1440
            groups.setdefault((s, e), []).append(day)
    if not groups:
        return [{"id": _uid("schedule", f"{key}/closed"), "service_id": service_uid,
                 "description": text}]
    rows = []
    for (s, e), days in groups.items():
        byday = ",".join(_BYDAY[d] for d in sorted(set(days)))
        rows.append({"id": _uid("schedule", f"{key}/{byday}/{s}/{e}"),
                     "service_id": service_uid, "freq": "WEEKLY", "byday": byday,
                     "opens_at": _hhmm(s), "closes_at": _hhmm(e), "description": text})
    return rows


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    try:
        import pandas as pd

        return not (not isinstance(value, (list, tuple, dict)) and pd.isna(value))
    except (TypeError, ValueError):
        return True


def _clean(row: Mapping[str, Any]) -> dict[str, Any]:
    """Drop missing values; numpy scalars become Python numbers."""
    out = {}
    for k, v in row.items():
        if not _present(v):
            continue
        if hasattr(v, "item") and not isinstance(v, (list, tuple, dict, str)):
            v = v.item()
        out[k] = v
    return out


def _tables(smap: ServiceMap) -> dict[str, list[dict[str, Any]]]:
    """Return the map as flat HSDS rows by HSDS table, with extension fields."""
    import shapely
    from pyproj import Transformer

    vocab = smap.vocabulary
    orgs, services, sites = smap.organisations, smap.services, smap.sites
    t: dict[str, list[dict[str, Any]]] = {name: [] for name in _MAPPED_TABLES}
    used_terms: dict[tuple[str, str], None] = {}

    def attributes(entity: str, key: str, link: str, record: Mapping[str, Any]) -> None:
        for field, category in _ATTRIBUTE_FIELDS[entity].items():
            value = record[field]
            terms = value if isinstance(value, tuple) else (() if value is None else (value,))
            for term in terms:
                used_terms[(category, term)] = None
                t["attributes"].append({
                    "id": _uid("attribute", f"{entity}/{key}/{category}/{term}"),
                    "link_id": link, "taxonomy_term_id": _uid("term", f"{category}/{term}"),
                    "link_type": category, "link_entity": entity})

    for oid, org in orgs.iterrows():
        uid = _uid("organization", oid)
        t["organizations"].append({
            "id": uid, "name": org["name"], "description": org["notes"],
            "servicemap_id": oid, "servicemap_illustrative": bool(org["illustrative"])})
        attributes("organization", oid, uid, org)

    names = _footprint_names(smap)
    for sid, svc in services.iterrows():
        uid = _uid("service", sid)
        groups = ", ".join(vocab.label("client_group", g) for g in svc["client_groups"])
        ages = _ages_text(svc["min_age"], svc["max_age"])
        t["services"].append({
            "id": uid, "organization_id": _uid("organization", svc["provider"]),
            "name": svc["name"], "description": svc["notes"],
            "status": _STATUS_OUT.get(svc["status"], "active"),
            "eligibility_description": f"For: {groups}.{ages}",
            "minimum_age": svc["min_age"], "maximum_age": svc["max_age"],
            "servicemap_id": sid, "servicemap_status": svc["status"],
            "servicemap_commissioners": list(svc["commissioners"]),
            "servicemap_capacity": svc["capacity"],
            "servicemap_capacity_unit": svc["capacity_unit"],
            "servicemap_annual_cost": svc["annual_cost"],
            "servicemap_reach": svc["reach"],
            "servicemap_max_distance": svc["max_distance"],
            "servicemap_max_minutes": svc["max_minutes"],
            "servicemap_illustrative": bool(svc["illustrative"])})
        attributes("service", sid, uid, svc)
        t["schedules"].extend(_schedule_rows(svc["hours"], uid, sid))
        for code in svc["footprint"]:
            t["service_areas"].append({
                "id": _uid("service_area", f"{sid}/{code}"), "service_id": uid,
                "name": names.get(code, code), "uri": GSS_URI + code})
        for source in svc["funding_sources"]:
            t["funding"].append({"id": _uid("funding", f"{sid}/{source}"),
                                 "service_id": uid, "source": source})

    located = ~sites.geometry.isna()
    lon = lat = None
    if located.any():
        x = shapely.get_x(sites.geometry[located].values)
        y = shapely.get_y(sites.geometry[located].values)
        lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    coords = dict(zip(sites.index[located], zip(lon if lon is not None else [],
                                                lat if lat is not None else [],
                                                strict=True), strict=True))
    for site_id, site in sites.iterrows():
        uid = _uid("location", site_id)
        row: dict[str, Any] = {
            "id": uid, "name": site["name"], "description": site["notes"],
            "location_type": "virtual" if site["mode"] in {"phone", "online"} else "physical",
            "servicemap_id": site_id, "servicemap_mode": site["mode"],
            "servicemap_source": site["source"],
            "servicemap_services": list(site["services"]),
            "servicemap_illustrative": bool(site["illustrative"])}
        if site_id in coords:
            point = site.geometry
            row.update({"latitude": round(float(coords[site_id][1]), 7),
                        "longitude": round(float(coords[site_id][0]), 7),
                        "servicemap_easting": float(point.x),
                        "servicemap_northing": float(point.y)})
        t["locations"].append(row)
        if site["postcode"] is not None:
            t["addresses"].append({
                "id": _uid("address", site_id), "location_id": uid, "address_1": "",
                "city": "", "state_province": "", "postal_code": site["postcode"],
                "country": "GB", "address_type": "physical"})
        for sid in site["services"]:
            t["service_at_location"].append({
                "id": _uid("service_at_location", f"{site_id}/{sid}"),
                "service_id": _uid("service", sid), "location_id": uid})

    categories = dict.fromkeys(c for c, _ in used_terms)
    for category in categories:
        t["taxonomies"].append({
            "id": _uid("taxonomy", category), "name": _TAXONOMY_PREFIX + category,
            "description": f"servicemap's controlled vocabulary of "
                           f"{category.replace('_', ' ')}s.",
            "version": str(EXTENSION_VERSION)})
    for category, term in used_terms:
        entry = vocab[category][term]
        t["taxonomy_terms"].append({
            "id": _uid("term", f"{category}/{term}"), "code": term, "name": entry.label,
            "description": entry.description or entry.label,
            "taxonomy": _TAXONOMY_PREFIX + category,
            "taxonomy_id": _uid("taxonomy", category)})
    return t


def _ages_text(lo: Any, hi: Any) -> str:
    if _present(lo) and _present(hi):
        return f" Ages {int(lo)} to {int(hi)}."
    if _present(lo):
        return f" Ages {int(lo)} and over."
    if _present(hi):
        return f" Ages up to {int(hi)}."
    return ""


def _footprint_names(smap: ServiceMap) -> dict[str, str]:
    areas = smap.areas
    names = dict(zip(areas.index, areas["name"], strict=True))
    for level in smap.parent_levels:
        if f"{level}_name" in areas:
            pairs = areas[[f"{level}_code", f"{level}_name"]].dropna().drop_duplicates()
            names.update(zip(pairs[f"{level}_code"], pairs[f"{level}_name"], strict=True))
    return names


def _extension_rows(smap: ServiceMap) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ("pathways", "partnerships"):
        frame = getattr(smap, name).reset_index()
        out[name] = [_clean({k: (list(v) if isinstance(v, tuple) else v)
                             for k, v in row.items()}) for row in frame.to_dict("records")]
    out["travel_times"] = [_clean(r) for r in smap.travel_times.to_dict("records")]
    out["vocabulary"] = [
        {"category": cat, "term": term, "label": entry.label,
         "description": entry.description}
        for cat in smap.vocabulary for term, entry in smap.vocabulary[cat].items()
        if entry.declared]
    return out


def _nest(t: dict[str, list[dict[str, Any]]], ext: dict[str, Any],
          provenance: dict[str, Any]) -> dict[str, Any]:
    """Assemble the flat rows into a page of HSDS 'service full' objects."""
    def by(table: str, key: str) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for row in t[table]:
            out.setdefault(row.get(key), []).append(row)
        return out

    terms = {r["id"]: r for r in t["taxonomy_terms"]}
    taxonomies = {r["id"]: r for r in t["taxonomies"]}

    def with_terms(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for a in rows:
            term = dict(terms[a["taxonomy_term_id"]])
            term["taxonomy_detail"] = _clean(taxonomies[term["taxonomy_id"]])
            out.append({**_clean(a), "taxonomy_term": _clean(term)})
        return out

    attrs = by("attributes", "link_id")
    addresses = by("addresses", "location_id")
    orgs = {}
    for org in t["organizations"]:
        orgs[org["id"]] = {**_clean(org), "attributes": with_terms(attrs.get(org["id"], []))}
    locations = {}
    for loc in t["locations"]:
        locations[loc["id"]] = {**_clean(loc),
                                "addresses": [_clean(a) for a in addresses.get(loc["id"], [])]}
    schedules, areas = by("schedules", "service_id"), by("service_areas", "service_id")
    funding, sal = by("funding", "service_id"), by("service_at_location", "service_id")
    contents = []
    for svc in t["services"]:
        uid = svc["id"]
        contents.append({
            **_clean(svc),
            "organization": orgs[svc["organization_id"]],
            "schedules": [_clean(r) for r in schedules.get(uid, [])],
            "service_areas": [_clean(r) for r in areas.get(uid, [])],
            "service_at_locations": [{**_clean(r), "location": locations[r["location_id"]]}
                                     for r in sal.get(uid, [])],
            "attributes": with_terms(attrs.get(uid, [])),
            "funding": [_clean(r) for r in funding.get(uid, [])],
        })
    n = len(contents)
    return {
        "total_items": n, "total_pages": 1, "page_number": 1, "size": n,
        "first_page": True, "last_page": True, "empty": n == 0, "contents": contents,
        "servicemap": {"extension_version": EXTENSION_VERSION,
                       "hsds_version": HSDS_VERSION, "provenance": provenance,
                       "organizations": list(orgs.values()),
                       "locations": list(locations.values()), **ext},
    }


def _escape(value: Any) -> Any:
    """Quote text a spreadsheet could run as a formula (OWASP), reversibly.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (as :func:`servicemap.io.exports.safe_text` does); text that already
    starts with ``'`` gets one more, so that reading strips exactly one.
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def _unescape(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in _TRIGGERS:
        return value[1:]
    return value


def _csv_frame(rows: list[dict[str, Any]], columns: list[str]) -> Any:
    import pandas as pd

    extra = list(dict.fromkeys(k for r in rows for k in r if k not in columns))
    cols = [*columns, *extra]
    frame = pd.DataFrame([{k: ("; ".join(map(str, v)) if isinstance(v, list) else v)
                           for k, v in r.items()} for r in rows], columns=cols)
    for col in frame.columns:
        values = frame[col]
        text = values.dtype == object or str(values.dtype) in {"str", "string"}
        if text and values.map(lambda v: isinstance(v, bool)).any():
            frame[col] = values.map(lambda v: ("true" if v else "false")
                                    if isinstance(v, bool) else v)
        elif text:
            frame[col] = values.map(_escape).astype(object)
        elif values.dtype == bool:
            frame[col] = values.map(lambda v: "true" if v else "false")
        elif col in {"minimum_age", "maximum_age"}:
            frame[col] = values.astype("Int64")
    return frame


def _datapackage(resources_: list[tuple[str, str, list[str]]],
                 provenance: dict[str, Any]) -> dict[str, Any]:
    out = []
    for name, path, columns in resources_:
        props = _schema(name)["properties"] if (_schema_dir() / f"{name}.json").is_file() \
            else {}
        fields = []
        for col in columns:
            spec = props.get(col, {})
            kind = spec.get("datapackage_type") or spec.get("type") or "string"
            fields.append({"name": col, "type": kind})
        out.append({"name": name, "path": path, "profile": "tabular-data-resource",
                    "schema": {"fields": fields, "primaryKey": "id"}
                    if "id" in columns else {"fields": fields}})
    return {"name": "servicemap_hsds", "profile": "tabular-data-package",
            "title": provenance.get("name", "servicemap"),
            "description": "Human Services Data Specification 3.0 tables written by "
                           "servicemap, with servicemap's extension fields and tables.",
            "version": HSDS_VERSION, "resources": out,
            "servicemap": {"extension_version": EXTENSION_VERSION,
                           "hsds_version": HSDS_VERSION, "provenance": provenance}}


def write_hsds(smap: ServiceMap, directory: str | os.PathLike[str]) -> Path:
    """Write a map as an Open Referral (HSDS 3.0) directory: CSV tables and JSON.

    Writes the tabular data package (``organizations.csv``, ``services.csv``,
    ``locations.csv``, ``service_at_location.csv``, ``service_areas.csv``,
    ``schedules.csv``, ``attributes.csv``, ``taxonomy_terms.csv``, ``taxonomies.csv``,
    ``funding.csv``, ``addresses.csv`` and ``datapackage.json``), the extension tables
    ``servicemap_pathways.csv``, ``servicemap_partnerships.csv``,
    ``servicemap_travel_times.csv`` and ``servicemap_vocabulary.csv``, and
    ``services.json``: a page of HSDS "service full" objects with the same content.
    Identifiers are UUIDs made from the map's ids (the same id gives the same UUID
    every time); the ids themselves are kept in ``servicemap_id``.

    Text that a spreadsheet could run as a formula (starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) gets a leading ``'`` in every CSV file (OWASP
    CSV injection); :func:`read_hsds` strips it again. JSON is written as is.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    directory : str or path-like
        The folder to write; made if missing. Files of the same names are replaced.

    Returns
    -------
    pathlib.Path
        The folder.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     folder = write_hsds(sm.datasets.bedfordshire(), d)
    ...     print(sorted(p.name for p in folder.glob("*.json")))
    ['datapackage.json', 'services.json']
    """
    from servicemap.io.exports import write_csv

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    tables = _tables(smap)
    ext = _extension_rows(smap)
    provenance = smap.provenance
    written = []
    entity_of = {_csv_name(e): e for e in ("organization", "service", "location",
                                            "service_at_location", "service_area",
                                            "schedule", "attribute", "taxonomy_term",
                                            "taxonomy", "funding", "address")}
    for path, entity in entity_of.items():
        table = Path(path).stem
        frame = _csv_frame(tables[table], _fields(entity))
        write_csv(frame, folder / path, index=False)
        written.append((entity, path, list(frame.columns)))
    for name, columns in _EXTENSION_TABLES.items():
        frame = _csv_frame(ext[name], columns)
        path = f"servicemap_{name}.csv"
        write_csv(frame, folder / path, index=False)
        written.append((f"servicemap_{name}", path, list(frame.columns)))
    package = _datapackage(written, provenance)
    (folder / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    page = _nest(tables, ext, provenance)
    (folder / "services.json").write_text(
        json.dumps(page, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return folder


# -- validating --------------------------------------------------------------------------
@cache
def _validator(entity: str) -> Any:
    try:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        msg = ("validating HSDS needs jsonschema: pip install 'servicemap[hsds]' "
               "(or pip install jsonschema).")
        raise ImportError(msg) from None
    pairs = []
    for item in _schema_dir().iterdir():
        if item.name.endswith(".json"):
            contents = json.loads(item.read_text(encoding="utf-8"))
            pairs.append((item.name, Resource.from_contents(
                contents, default_specification=DRAFT202012)))
    registry = Registry().with_resources(pairs)
    return jsonschema.Draft202012Validator(
        _schema(entity), registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def validate_hsds(source: str | os.PathLike[str] | Any, *, entity: str = "service") -> int:
    """Check HSDS JSON against the published HSDS 3.0 JSON Schemas; return how many passed.

    The schemas ship with servicemap (``servicemap/io/hsds_schema``, CC BY-SA 4.0,
    Open Referral), so nothing is downloaded. Identifiers are checked to be UUIDs.

    Parameters
    ----------
    source : str, path-like, dict or list
        A JSON file, or its content: one object, a list of them, or a page of them
        (an object with ``contents``, as the HSDS API returns).
    entity : str, default "service"
        The schema to check each object against, such as ``"organization"``.

    Returns
    -------
    int
        The number of objects checked, all valid.

    Raises
    ------
    InputError
        Listing every object and field that breaks the schema, and why.
    ImportError
        If jsonschema is not installed.

    Examples
    --------
    >>> validate_hsds({"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Hub",
    ...                "status": "active"})
    1
    >>> validate_hsds({"id": "hub", "name": "Hub", "status": "open"})
    Traceback (most recent call last):
    ...
    servicemap.errors.InputError: 2 problems in the input
      - table 'service', row 0, field 'id': 'hub' is not a 'uuid'...
      - table 'service', row 0, field 'status': 'open' is not one of ['active', ...
    """
    name = None
    data = source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = path.name
        data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("contents", [data]) if isinstance(data, dict) else list(data)
    validator = _validator(entity)
    problems = []
    for i, item in enumerate(items):
        for err in sorted(validator.iter_errors(item), key=lambda e: list(e.path)):
            where = "/".join(map(str, err.path)) or None
            problems.append(Problem(name or entity, i, where, None,
                                    f"{err.message} (HSDS 3.0 {entity} schema)."))
    if problems:
        raise InputError(problems, source=name)
    return len(items)


# -- reading -----------------------------------------------------------------------------
class _Unmapped:
    """What had no field in the map: kept in notes, counted for the warning."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, where: str, field: str, value: Any, kept_in: str) -> str:
        self.items.append({"where": where, "field": field, "kept_in": kept_in,
                           "value": _text(value)})
        return f"[HSDS {field}] {_text(value)}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _read_csv_tables(folder: Path) -> tuple[dict[str, list[dict[str, Any]]],
                                            dict[str, str], dict[str, Any]]:
    """Read every CSV of an HSDS data package as rows of text (empty cells dropped)."""
    import pandas as pd

    package: dict[str, Any] = {}
    paths: dict[str, Path] = {}
    if (folder / "datapackage.json").is_file():
        package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        for res in package.get("resources", []):
            if isinstance(res.get("path"), str):
                paths[Path(res["path"]).stem] = folder / res["path"]
    for csv in sorted(folder.glob("*.csv")):
        paths.setdefault(csv.stem, csv)
    tables: dict[str, list[dict[str, Any]]] = {}
    files: dict[str, str] = {}
    for stem, path in paths.items():
        if not path.is_file():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        rows = []
        for i, rec in enumerate(frame.to_dict("records")):
            row = {k: _unescape(v) for k, v in rec.items() if v != ""}
            row["_where"] = f"{path.name}:{i + 2}"
            rows.append(row)
        tables[stem] = rows
        files[stem] = path.name
    return tables, files, package


def _flatten_json(data: Any, name: str) -> tuple[dict[str, list[dict[str, Any]]],
                                                 dict[str, Any]]:
    """Flatten nested HSDS objects into rows by table, linking children to parents."""
    ext: dict[str, Any] = {}
    if isinstance(data, dict) and "contents" in data:
        ext = data.get("servicemap") or {}
        services = data["contents"]
    elif isinstance(data, dict):
        services = [data]
    else:
        services = list(data)
    t: dict[str, list[dict[str, Any]]] = {}
    seen: set[tuple[str, str]] = set()

    def put(table: str, obj: dict[str, Any], where: str, **links: Any) -> dict[str, Any]:
        row = {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}
        row.update({k: v for k, v in obj.items() if k.startswith("servicemap_")})
        for k, v in links.items():
            row.setdefault(k, v)
        row["_where"] = where
        key = (table, str(row.get("id")))
        if row.get("id") is not None and key in seen:
            return row
        seen.add(key)
        t.setdefault(table, []).append(row)
        return row

    def others(obj: dict[str, Any], table: str, where: str, known: set[str],
               **links: Any) -> None:
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and k not in known and not k.startswith(
                    "servicemap_") and v:
                t.setdefault("_nested", []).append(
                    {"table": table, "field": k, "value": v, "_where": where, **links})

    def attributes(obj: dict[str, Any], entity: str, link: Any, where: str) -> None:
        for j, a in enumerate(obj.get("attributes") or []):
            term = a.get("taxonomy_term")
            w = f"{where}.attributes[{j}]"
            if isinstance(term, dict):
                detail = term.get("taxonomy_detail")
                if isinstance(detail, dict):
                    put("taxonomies", detail, w)
                    term = {**term, "taxonomy_id": term.get("taxonomy_id", detail.get("id"))}
                put("taxonomy_terms", term, w)
            put("attributes", {**a, "taxonomy_term_id": a.get("taxonomy_term_id") or (
                term.get("id") if isinstance(term, dict) else None)}, w,
                link_id=link, link_entity=entity)

    def organization(org: dict[str, Any], where: str) -> None:
        put("organizations", org, where)
        attributes(org, "organization", org.get("id"), where)
        others(org, "organizations", where, {"attributes", "locations", "services"},
               organization_id=org.get("id"))

    def location(loc: dict[str, Any], where: str) -> None:
        put("locations", loc, where)
        for j, addr in enumerate(loc.get("addresses") or []):
            put("addresses", addr, f"{where}.addresses[{j}]", location_id=loc.get("id"))
        for j, sch in enumerate(loc.get("schedules") or []):
            put("schedules", sch, f"{where}.schedules[{j}]", location_id=loc.get("id"))
        attributes(loc, "location", loc.get("id"), where)
        others(loc, "locations", where, {"addresses", "schedules", "attributes"},
               location_id=loc.get("id"))

    for j, org in enumerate(ext.get("organizations") or []):
        organization(org, f"{name}:servicemap.organizations[{j}]")
    for j, loc in enumerate(ext.get("locations") or []):
        location(loc, f"{name}:servicemap.locations[{j}]")
    for i, svc in enumerate(services):
        where = f"{name}[{i}]" if not ext else f"{name}:contents[{i}]"
        if not isinstance(svc, dict):
            continue
        sid = svc.get("id")
        org = svc.get("organization")
        if isinstance(org, dict):
            organization(org, f"{where}.organization")
        put("services", {**svc, "organization_id": svc.get("organization_id") or (
            org.get("id") if isinstance(org, dict) else None)}, where)
        for j, sch in enumerate(svc.get("schedules") or []):
            put("schedules", sch, f"{where}.schedules[{j}]", service_id=sid)
        for j, area in enumerate(svc.get("service_areas") or []):
            put("service_areas", area, f"{where}.service_areas[{j}]", service_id=sid)
        for j, fund in enumerate(svc.get("funding") or []):
            put("funding", fund, f"{where}.funding[{j}]", service_id=sid)
        for j, sal in enumerate(svc.get("service_at_locations") or []):
            w = f"{where}.service_at_locations[{j}]"
            loc = sal.get("location")
            if isinstance(loc, dict):
                location(loc, f"{w}.location")
            put("service_at_location", sal, w, service_id=sid,
                location_id=loc.get("id") if isinstance(loc, dict) else None)
            for k, sch in enumerate(sal.get("schedules") or []):
                put("schedules", sch, f"{w}.schedules[{k}]",
                    service_at_location_id=sal.get("id"))
            others(sal, "service_at_location", w, {"location", "schedules"},
                   service_id=sid)
        attributes(svc, "service", sid, where)
        others(svc, "services", where, {
            "organization", "schedules", "service_areas", "funding",
            "service_at_locations", "attributes"}, service_id=sid)
    for table in ("pathways", "partnerships", "travel_times", "vocabulary"):
        rows = ext.get(table) or []
        t[f"servicemap_{table}"] = [{**r, "_where": f"{name}:servicemap.{table}[{j}]"}
                                    for j, r in enumerate(rows)]
    return t, ext


def _number(value: Any) -> float | None:
    if not _present(value) or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return value  # left for the record's validation to report


def _truth(value: Any) -> bool | None:
    if not _present(value) or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"true", "yes", "1"}


def _listed(value: Any) -> list[Any]:
    if not _present(value) or value == "":
        return []
    if isinstance(value, list):
        return value
    return [part.strip() for part in str(value).split(";") if part.strip()]


_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _minute(value: Any) -> int | None:
    m = _TIME.match(str(value).strip()) if value is not None else None
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


def _weekly(row: Mapping[str, Any]) -> list[tuple[int, int]] | None:
    """Return the intervals of a plain weekly schedule row, or None if it is not one."""
    freq = str(row.get("freq") or "WEEKLY").upper()
    interval = row.get("interval")
    extras = [k for k in ("byweekno", "bymonthday", "byyearday", "count", "until")
              if row.get(k) not in (None, "")]
    if freq != "WEEKLY" or (interval not in (None, "") and float(interval) != 1) or extras:
        return None
    days = [d.strip().upper() for d in str(row.get("byday") or "").split(",") if d.strip()]
    opens, closes = _minute(row.get("opens_at")), _minute(row.get("closes_at"))
    if not days or any(d not in _BYDAY for d in days) or opens is None or closes is None:
        return None
    if closes <= opens:
        closes += 1440
    out = []
    for d in days:
        start = _BYDAY.index(d) * 1440 + opens
        end = _BYDAY.index(d) * 1440 + closes
        if end <= WEEK:
            out.append((start, end))
        else:
            out += [(start, WEEK), (0, end - WEEK)]
    return out


def _hours(rows: list[dict[str, Any]], unmapped: _Unmapped, kept_in: str,
           notes: list[str]) -> str | None:
    """Return opening hours text from a service's schedule rows."""
    import numpy as np

    from servicemap.hours import _intervals

    week = np.zeros(WEEK, dtype=bool)
    structured = False
    texts: list[str] = []
    for r in rows:
        spans = _weekly(r)
        if spans is None and any(r.get(k) for k in ("byday", "opens_at", "closes_at",
                                                     "freq")):
            notes.append(unmapped.add(r["_where"], "schedule", _row_value(r), kept_in))
            continue
        if r.get("description") and r["description"] not in texts:
            texts.append(r["description"])
        if spans is None:
            continue
        structured = True
        for s, e in spans:
            week[s:e] = True
    intervals = _intervals(week)
    if len(texts) == 1:
        try:
            parsed = parse_hours(texts[0])
        except HoursError:
            parsed = None
        if parsed is not None and (parsed.intervals == intervals or not structured):
            return texts[0]
    for text in texts:
        notes.append(unmapped.add(kept_in, "schedule.description", text, kept_in))
    if structured:
        return format_hours(intervals)
    return None


def _row_value(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _areas_of(areas: Any) -> gpd.GeoDataFrame:
    import geopandas as gpd

    from servicemap import datasets

    if isinstance(areas, gpd.GeoDataFrame):
        return areas
    if isinstance(areas, str) and areas in datasets.available():
        return datasets.load(areas).areas
    if isinstance(areas, (str, os.PathLike)) and Path(areas).is_file():
        import pyogrio

        layers = [str(n) for n, _ in pyogrio.list_layers(areas)]
        return gpd.read_file(areas, layer="areas" if "areas" in layers else None,
                             engine="pyogrio")
    msg = (f"areas={areas!r} is neither a GeoDataFrame, a shipped dataset "
           f"({', '.join(datasets.available())}) nor a file of area polygons. HSDS holds "
           "no areas: pass the areas the services' footprints name.")
    raise ValueError(msg)


def read_hsds(
    source: str | os.PathLike[str],
    *,
    areas: Any,
    terms: Mapping[str, str] | None = None,
    defaults: Mapping[str, Any] | None = None,
    strict: bool = True,
) -> ServiceMap:
    """Read an Open Referral (HSDS 3.0) directory or JSON file as a map.

    Reads the tabular data package (a folder of CSV files, with or without
    ``datapackage.json``) or nested "service full" JSON (a file holding one service,
    a list of them or a page with ``contents``), from servicemap (exactly, through its
    extension fields and tables) or from any publisher.

    For a third party's data:

    - needs, client groups and interventions come from the services' attributes: a
      taxonomy term whose code or name is a term or label of the vocabulary (such as
      "Alcohol use" or "adults") is read as that term, with a note; map others with
      ``terms``;
    - ``minimum_age`` and ``maximum_age`` are read as they are; weekly schedules
      (``byday``, ``opens_at``, ``closes_at``) become opening hours; a service area
      whose ``uri`` ends in a GSS code (``.../statistical-geography/E06000055``) or
      whose name is an area's or parent area's name becomes the footprint;
    - HSDS has no catchment reach: give it with ``defaults``, such as
      ``{"max_distance": 10_000}`` or ``{"reach": "none"}``;
    - whatever has no field in the model is kept in the record's ``notes`` (``[HSDS
      field] value``), an :class:`HSDSWarning` counts it, and
      ``smap.provenance["hsds_unmapped"]`` lists it. Nothing is dropped silently.

    Parameters
    ----------
    source : str or path-like
        A folder (CSV preferred when both CSV and ``services.json`` are there) or a
        ``.json`` file.
    areas : GeoDataFrame, str or path-like
        The areas: a GeoDataFrame, the name of a shipped dataset (such as
        ``"bedfordshire"``) or a file of polygons (a map's GeoPackage works).
    terms : mapping of str to str, optional
        Taxonomy terms (by code or name) to vocabulary terms, as
        ``{"Substance misuse": "need:drug", "Over 18s": "client_group:adults"}``.
    defaults : mapping of str to object, optional
        Values for service fields HSDS left empty, such as ``{"client_groups":
        "adults", "max_distance": 10_000}``.
    strict : bool, default True
        As for :meth:`ServiceMap.from_frames`.

    Returns
    -------
    ServiceMap

    Raises
    ------
    InputError
        Naming the HSDS file, row, field and value of every problem, and the fix.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> service = {
    ...     "id": "ac148810-d857-441c-9679-408f346de14b", "name": "Alcohol advice",
    ...     "status": "active", "minimum_age": 18,
    ...     "organization": {"id": "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
    ...                      "name": "Luton Council", "description": ""},
    ...     "schedules": [{"id": "48102e86-bb50-41c4-8f1e-e269368c41d1",
    ...                    "freq": "WEEKLY", "byday": "MO,WE", "opens_at": "09:00",
    ...                    "closes_at": "17:00"}],
    ...     "service_areas": [{"id": "381c64f1-a724-4884-9c21-ac96c21cca3e",
    ...                        "uri": "http://statistics.data.gov.uk/id/"
    ...                               "statistical-geography/E06000032"}],
    ...     "attributes": [{"id": "ae58cc39-8b70-4ab1-8aea-786882e5ac8e",
    ...                     "taxonomy_term": {"id": "3f7b145d-84af-42d7-8fae-eaca714b02b2",
    ...                                       "name": "Alcohol use", "description": ""}}]}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = pathlib.Path(d) / "service.json"
    ...     _ = path.write_text(json.dumps(service))
    ...     with warnings.catch_warnings(record=True):
    ...         warnings.simplefilter("always")
    ...         smap = read_hsds(path, areas="bedfordshire",
    ...                          defaults={"client_groups": "adults", "reach": "none"})
    >>> svc = smap.services.iloc[0]
    >>> svc["needs"], int(svc["min_age"]), svc["hours"], svc["footprint"]
    (('alcohol',), 18, 'Mon 09:00-17:00; Wed 09:00-17:00', ('E06000032',))
    """
    import pandas as pd

    from servicemap.servicemap import ServiceMap
    from servicemap.vocab import VOCABULARY, Term, Vocabulary

    path = Path(source)
    if path.is_dir():
        has_csv = (path / "datapackage.json").is_file() or (path / "services.csv").is_file()
        if has_csv:
            tables, files, package = _read_csv_tables(path)
            ext_meta = package.get("servicemap") or {}
        elif (path / "services.json").is_file():
            return read_hsds(path / "services.json", areas=areas, terms=terms,
                             defaults=defaults, strict=strict)
        else:
            msg = (f"{str(path)!r} holds neither services.csv nor services.json. Point "
                   "read_hsds at an HSDS data package folder or a JSON file of services.")
            raise InputError(msg)
        label = path.name
    elif path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        tables, ext_meta = _flatten_json(data, path.name)
        files = {}
        label = path.name
    else:
        msg = f"{str(path)!r} does not exist. Give an HSDS folder or JSON file."
        raise FileNotFoundError(msg)
    ours = bool(ext_meta)
    unmapped = _Unmapped()
    guesses: list[str] = []
    problems: list[Problem] = []

    # vocabulary: built-in plus what the map declared
    declared = tables.get("servicemap_vocabulary", [])
    by_cat = {cat: dict(VOCABULARY[cat]) for cat in VOCABULARY}
    for row in declared:
        by_cat[row["category"]][row["term"]] = Term(
            row["term"], row["label"], row.get("description", ""), declared=True)
    vocab = Vocabulary(by_cat) if declared else VOCABULARY

    def get(table: str) -> list[dict[str, Any]]:
        return tables.get(table, [])

    def sm_id(row: Mapping[str, Any]) -> Any:
        return row.get("servicemap_id") or row.get("id")

    org_ids = {r.get("id"): sm_id(r) for r in get("organizations")}
    svc_ids = {r.get("id"): sm_id(r) for r in get("services")}
    taxonomies = {r.get("id"): r for r in get("taxonomies")}
    term_rows = {r.get("id"): r for r in get("taxonomy_terms")}
    attr_by: dict[Any, list[dict[str, Any]]] = {}
    for a in get("attributes"):
        attr_by.setdefault(a.get("link_id"), []).append(a)
    wanted = {k: tuple(v.split(":", 1)) for k, v in (terms or {}).items()}
    for key, pair in wanted.items():
        if len(pair) != 2 or pair[0] not in vocab:
            msg = (f"terms[{key!r}] = {terms[key]!r} is not 'category:term'. Write it as "
                   "'need:drug' or 'client_group:adults'.")
            raise ValueError(msg)

    def classify(link: Any, kept: str,
                 notes: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for a in attr_by.get(link, []):
            term = term_rows.get(a.get("taxonomy_term_id"), {})
            taxonomy = term.get("taxonomy") or taxonomies.get(
                term.get("taxonomy_id"), {}).get("name") or ""
            code, name = term.get("code"), term.get("name")
            if str(taxonomy).startswith(_TAXONOMY_PREFIX):
                category = taxonomy[len(_TAXONOMY_PREFIX):]
                out.setdefault(category, []).append(code or name)
                continue
            pair = wanted.get(code) or wanted.get(name)
            if pair is None:
                for category in ("need", "client_group", "intervention"):
                    hit = vocab.match(category, code) or vocab.match(category, name)
                    if hit:
                        pair = (category, hit)
                        guesses.append(f"{a['_where']}: term {name or code!r} as "
                                       f"{category} {hit!r}")
                        break
            if pair is None:
                value = {"taxonomy": taxonomy, "code": code, "name": name,
                         "value": a.get("value"), "link_type": a.get("link_type")}
                notes.append(unmapped.add(a["_where"], "attribute",
                                          {k: v for k, v in value.items() if v}, kept))
                continue
            out.setdefault(pair[0], []).append(pair[1])
        return out

    ours_service = {"eligibility_description"}
    mapped_service = {"id", "organization_id", "name", "description", "status",
                      "minimum_age", "maximum_age", "_where"}

    def leftovers(row: Mapping[str, Any], mapped: set[str], derived: set[str],
                  kept: str, notes: list[str]) -> None:
        for k, v in row.items():
            if k in mapped or k.startswith("servicemap_") or (
                    row.get("servicemap_id") and k in derived):
                continue
            notes.append(unmapped.add(row["_where"], k, v, kept))

    def attach(link_field: str, link: Any) -> list[dict[str, Any]]:
        """Rows of unmapped tables (and nested lists) that belong to one record."""
        out = []
        for table, rows in tables.items():
            if table in _MAPPED_TABLES or table.startswith(("servicemap_", "_")):
                continue
            out += [{"table": table, "row": r} for r in rows if r.get(link_field) == link]
        out += [{"table": n["field"], "row": n["value"], "where": n["_where"]}
                for n in get("_nested") if n.get(link_field) == link]
        return out

    def finish(notes: list[str], base: Any) -> str:
        text = "" if base is None else str(base)
        return "\n".join([text, *notes]) if notes and text else "\n".join(notes) or text

    # organisations
    org_rows, org_labels = [], []
    for r in get("organizations"):
        kept = f"organisation {sm_id(r)!r}"
        notes: list[str] = []
        leftovers(r, {"id", "name", "description", "_where"}, set(), kept, notes)
        cats = classify(r.get("id"), kept, notes)
        for extra in attach("organization_id", r.get("id")):
            if extra["table"] == "services":
                continue
            notes.append(unmapped.add(extra.get("where") or extra["row"].get(
                "_where", ""), extra["table"], _strip(extra["row"]), kept))
        org_rows.append({"id": sm_id(r), "name": r.get("name"),
                         "kind": (cats.get("organisation_kind") or ["other"])[0],
                         "illustrative": _truth(r.get("servicemap_illustrative")) or False,
                         "notes": finish(notes, r.get("description"))})
        org_labels.append(r["_where"])

    # services
    schedules_by: dict[Any, list[dict[str, Any]]] = {}
    sal_service = {s.get("id"): s.get("service_id") for s in get("service_at_location")}
    for s in get("schedules"):
        owner = s.get("service_id") or sal_service.get(s.get("service_at_location_id"))
        schedules_by.setdefault(owner, []).append(s)
    areas_by: dict[Any, list[dict[str, Any]]] = {}
    for a in get("service_areas"):
        areas_by.setdefault(a.get("service_id"), []).append(a)
    funding_by: dict[Any, list[dict[str, Any]]] = {}
    for f in get("funding"):
        if f.get("service_id") is not None:
            funding_by.setdefault(f.get("service_id"), []).append(f)
    area_frame = _areas_of(areas)
    by_name = _names_to_codes(area_frame)
    defaults = dict(defaults or {})
    svc_rows, svc_labels = [], []
    for r in get("services"):
        uid = r.get("id")
        sid = sm_id(r)
        kept = f"service {sid!r}"
        notes = []
        leftovers(r, mapped_service, ours_service, kept, notes)
        cats = classify(uid, kept, notes)
        footprint = []
        for a in areas_by.get(uid, []):
            codes, how = _area_codes(a, by_name, area_frame)
            if not codes:
                notes.append(unmapped.add(a["_where"], "service_area", _row_value(a), kept))
            elif how is not None:
                guesses.append(f"{a['_where']}: service area as {how}")
            footprint += [c for c in codes if c not in footprint]
        hours = _hours(schedules_by.get(uid, []), unmapped, kept, notes)
        for extra in attach("service_id", uid):
            notes.append(unmapped.add(extra.get("where") or extra["row"].get(
                "_where", ""), extra["table"], _strip(extra["row"]), kept))
        status = r.get("servicemap_status") or _STATUS_IN.get(
            str(r.get("status", "active")).lower(), r.get("status"))
        row = {
            "id": sid, "name": r.get("name"),
            "provider": org_ids.get(r.get("organization_id"), r.get("organization_id")),
            "commissioners": _listed(r.get("servicemap_commissioners")),
            "needs": cats.get("need", []), "interventions": cats.get("intervention", []),
            "client_groups": cats.get("client_group", []),
            "min_age": _number(r.get("minimum_age")),
            "max_age": _number(r.get("maximum_age")), "hours": hours,
            "capacity": _number(r.get("servicemap_capacity")),
            "capacity_unit": r.get("servicemap_capacity_unit"),
            "annual_cost": _number(r.get("servicemap_annual_cost")),
            "funding_sources": [f.get("source") for f in funding_by.get(uid, [])
                                if f.get("source")],
            "visit_frequency": (cats.get("visit_frequency") or [None])[0],
            "status": status, "footprint": footprint,
            "reach": r.get("servicemap_reach"),
            "max_distance": _number(r.get("servicemap_max_distance")),
            "max_minutes": _number(r.get("servicemap_max_minutes")),
            "illustrative": _truth(r.get("servicemap_illustrative")) or False,
            "notes": finish(notes, r.get("description")),
        }
        if not r.get("servicemap_reach"):
            for key, value in defaults.items():
                if key in row and (row[key] in (None, "") or row[key] == []):
                    row[key] = value
        if not row["needs"] or not row["client_groups"] or not (
                row["reach"] or row["max_distance"] or row["max_minutes"]):
            problems += _missing(row, r["_where"], label)
        svc_rows.append(row)
        svc_labels.append(r["_where"])

    # sites
    sal_by: dict[Any, list[Any]] = {}
    for s in get("service_at_location"):
        sal_by.setdefault(s.get("location_id"), []).append(svc_ids.get(s.get("service_id"),
                                                                       s.get("service_id")))
    addr_by: dict[Any, list[dict[str, Any]]] = {}
    for a in get("addresses"):
        addr_by.setdefault(a.get("location_id"), []).append(a)
    site_rows, site_labels = [], []
    for r in get("locations"):
        uid = r.get("id")
        kept = f"site {sm_id(r)!r}"
        served = sal_by.get(uid, [])
        if not served:
            unmapped.add(r["_where"], "location", _row_value(r), "provenance only: it "
                         "serves no service, and a site needs one")
            continue
        order = _listed(r.get("servicemap_services"))
        if sorted(order) == sorted(served):
            served = order
        notes = []
        mode = r.get("servicemap_mode") or (
            "online" if r.get("location_type") == "virtual" else "in_person")
        leftovers(r, {"id", "name", "description", "_where", "location_type", "latitude",
                      "longitude"}, set(), kept, notes)
        addresses = addr_by.get(uid, [])
        postcode = next((a.get("postal_code") for a in addresses if a.get("postal_code")),
                        None)
        for a in addresses:
            rest = {k: v for k, v in _row_value(a).items()
                    if k not in {"id", "location_id", "postal_code", "address_type",
                                 "country"} and v not in ("", None)}
            if rest or (a.get("country") not in (None, "GB") and not r.get("servicemap_id")):
                notes.append(unmapped.add(a["_where"], "address", _row_value(a), kept))
        for extra in attach("location_id", uid):
            notes.append(unmapped.add(extra.get("where") or extra["row"].get(
                "_where", ""), extra["table"], _strip(extra["row"]), kept))
        for s in get("schedules"):
            if s.get("location_id") == uid and not s.get("service_id"):
                notes.append(unmapped.add(s["_where"], "schedule", _row_value(s), kept))
        row = {"id": sm_id(r), "name": r.get("name"), "services": served, "mode": mode,
               "postcode": postcode, "source": r.get("servicemap_source"),
               "illustrative": _truth(r.get("servicemap_illustrative")) or False,
               "notes": finish(notes, r.get("description"))}
        if r.get("servicemap_easting") is not None:
            row["easting"] = _number(r.get("servicemap_easting"))
            row["northing"] = _number(r.get("servicemap_northing"))
        elif r.get("longitude") is not None and r.get("latitude") is not None:
            row["lon"] = _number(r.get("longitude"))
            row["lat"] = _number(r.get("latitude"))
        site_rows.append(row)
        site_labels.append(r["_where"])
    if site_rows and not any("easting" in r for r in site_rows):
        for r in site_rows:
            r.setdefault("lon", None)
            r.setdefault("lat", None)

    # unattached rows of tables we do not map
    for table, rows in tables.items():
        if table in _MAPPED_TABLES or table.startswith(("servicemap_", "_")):
            continue
        for r in rows:
            if not any(r.get(k) for k in ("service_id", "location_id", "organization_id")):
                unmapped.add(r["_where"], table, _row_value(r), "provenance only: it "
                             "belongs to no service, site or organisation")
    if problems:
        raise InputError(problems, source=label)

    def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
        out = pd.DataFrame(rows, columns=columns) if rows else None
        if out is None:
            return None
        for col in columns:
            if col in {"illustrative"}:
                out[col] = out[col].map(_truth)
        return out

    ext_tables = {}
    for name, columns in _EXTENSION_TABLES.items():
        if name == "vocabulary":
            continue
        rows = [{k: v for k, v in r.items() if k != "_where"}
                for r in get(f"servicemap_{name}")]
        ext_tables[name] = pd.DataFrame(rows, columns=columns) if rows else None
    pathways = ext_tables["pathways"]
    if pathways is not None:
        for col in ("wait_days", "volume_per_year"):
            pathways[col] = pathways[col].map(_number)
        pathways["information_sharing_agreement"] = pathways[
            "information_sharing_agreement"].map(_truth)
        pathways["illustrative"] = pathways["illustrative"].map(_truth)
    partnerships = ext_tables["partnerships"]
    if partnerships is not None:
        for col in ("members", "footprint"):
            partnerships[col] = partnerships[col].map(_listed)
        partnerships["illustrative"] = partnerships["illustrative"].map(_truth)
    times = ext_tables["travel_times"]
    if times is not None:
        times["minutes"] = times["minutes"].map(_number)

    provenance = dict(ext_meta.get("provenance") or {}) if ours else {
        "name": f"HSDS directory {label}", "source": label,
        "format": f"Open Referral HSDS {HSDS_VERSION}"}
    if unmapped.items:
        provenance["hsds_unmapped"] = unmapped.items
        counts: dict[str, int] = {}
        for item in unmapped.items:
            counts[item["field"]] = counts.get(item["field"], 0) + 1
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))
        warnings.warn(
            f"{plural(len(unmapped.items), 'HSDS value')} in {label} "
            f"{'has' if len(unmapped.items) == 1 else 'have'} no field in the map and "
            f"{'was' if len(unmapped.items) == 1 else 'were'} kept in the notes of their "
            f"records: {listed}. "
            "smap.provenance['hsds_unmapped'] lists each.", HSDSWarning, stacklevel=2)
    if guesses:
        shown = "; ".join(guesses[:5]) + ("; ..." if len(guesses) > 5 else "")
        warnings.warn(
            f"{plural(len(guesses), 'value')} in {label} "
            f"{'was' if len(guesses) == 1 else 'were'} matched by name or shape: "
            f"{shown}. Pass terms= to map taxonomy terms yourself; give service areas a "
            "GSS code in their uri.",
            HSDSWarning, stacklevel=2)
    del files
    return ServiceMap.from_frames(
        areas=area_frame, organisations=frame(org_rows, ["id", "name", "kind",
                                                         "illustrative", "notes"]),
        services=frame(svc_rows, list(svc_rows[0]) if svc_rows else ["id"]),
        sites=frame(site_rows, list(dict.fromkeys(k for r in site_rows for k in r))),
        pathways=pathways, partnerships=partnerships, travel_times=times,
        vocabulary=vocab, provenance=provenance, strict=strict, source=label,
        row_labels={"organisations": org_labels, "services": svc_labels,
                    "sites": site_labels,
                    "pathways": [r["_where"] for r in get("servicemap_pathways")],
                    "partnerships": [r["_where"] for r in get("servicemap_partnerships")],
                    "travel_times": [r["_where"] for r in get("servicemap_travel_times")]})


def _strip(row: Any) -> Any:
    return _row_value(row) if isinstance(row, dict) else row


def _names_to_codes(areas: gpd.GeoDataFrame) -> dict[str, str]:
    frame = areas.reset_index() if "code" not in areas.columns else areas
    out = {}
    levels = [c[:-5] for c in frame.columns if str(c).endswith("_code") and c != "code"]
    for level in levels:
        if f"{level}_name" in frame:
            pairs = frame[[f"{level}_code", f"{level}_name"]].dropna().drop_duplicates()
            out.update({str(n).casefold(): c for c, n in zip(
                pairs[f"{level}_code"], pairs[f"{level}_name"], strict=True)})
    if "name" in frame:
        out.update({str(n).casefold(): c for c, n in zip(frame["code"], frame["name"],
                                                          strict=True)})
    return out


def _area_codes(row: Mapping[str, Any], by_name: Mapping[str, str],
                areas: gpd.GeoDataFrame) -> tuple[list[str], str | None]:
    """Return the footprint codes a service area names, and how they were found.

    A GSS code at the end of ``uri`` is used as it is; otherwise a GeoJSON ``extent``
    (longitude and latitude) takes the areas whose representative point lies in it;
    otherwise a ``name`` equal to an area's or parent area's name (any case).
    """
    uri = str(row.get("uri") or "").strip()
    m = _GSS.search(uri)
    if m:
        return [m.group(1)], None
    extent = row.get("extent")
    if extent and str(row.get("extent_type") or "geojson").lower() == "geojson":
        import numpy as np
        import shapely
        from pyproj import Transformer
        from shapely.errors import GEOSException
        from shapely.geometry import shape as to_shape

        try:
            data = json.loads(extent) if isinstance(extent, str) else extent
            shape = to_shape(data.get("geometry", data))
        except (TypeError, ValueError, AttributeError, KeyError, GEOSException):
            shape = None
        if shape is not None and not shape.is_empty:
            project = Transformer.from_crs(4326, 27700, always_xy=True).transform
            shape = shapely.transform(shape, lambda xy: np.column_stack(
                project(xy[:, 0], xy[:, 1])))
            points = areas.geometry.representative_point()
            inside = points[shapely.contains(shape, points.values)]
            codes = (inside.index if "code" not in areas.columns
                     else areas.loc[inside.index, "code"]).tolist()
            if codes:
                return [str(c) for c in codes], (
                    f"{len(codes)} areas whose representative point is in its extent")
    name = str(row.get("name") or "").strip().casefold()
    if name in by_name:
        return [by_name[name]], f"the area named {row.get('name')!r}"
    return [], None


def _missing(row: Mapping[str, Any], where: str, label: str) -> list[Problem]:
    del label
    out = []
    if not row["needs"]:
        out.append(Problem(
            "services", where, "needs", None,
            "has no attribute that maps to a need. Map its taxonomy terms with "
            "terms={'Substance misuse': 'need:drug'}, or give defaults={'needs': 'drug'} "
            "to read_hsds.", id=row["id"]))
    if not row["client_groups"]:
        out.append(Problem(
            "services", where, "client_groups", None,
            "has no attribute that maps to a client group. Map its taxonomy terms with "
            "terms={'Adults': 'client_group:adults'}, or give defaults={'client_groups': "
            "'adults'} to read_hsds.", id=row["id"]))
    if not (row["reach"] or row["max_distance"] or row["max_minutes"]):
        out.append(Problem(
            "services", where, "reach", None,
            "is not in HSDS. Say how far services reach with defaults={'max_distance': "
            "10000} (metres) or defaults={'reach': 'none'} (outreach, phone, online) "
            "to read_hsds.", id=row["id"]))
    return out

"""Writing a map as an Open Referral (HSDS 3.0) directory: CSV tables and JSON.

The map becomes flat HSDS rows by table (:func:`_tables`, :func:`_extension_rows`),
which are written twice: as CSV files with a ``datapackage.json``, and nested into a
page of "service full" objects in ``services.json`` (:func:`_nest`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import shapely
from pyproj import Transformer

from servicemap.io.exports import write_csv
from servicemap.io.hsds._common import (
    ATTRIBUTE_FIELDS,
    EXTENSION_TABLES,
    EXTENSION_VERSION,
    GSS_URI,
    HSDS_VERSION,
    MAPPED_TABLES,
    STATUS_OUT,
    TAXONOMY_PREFIX,
    csv_name,
    escape,
    extension_columns,
    fields,
    present,
    schedule_rows,
    schema,
    schema_dir,
    uid,
)
from servicemap.servicemap import ServiceMap
from servicemap.vocab import Vocabulary

__all__ = ["write_hsds"]

_Rows = dict[str, list[dict[str, Any]]]
#: The HSDS entities written as CSV tables, in this order.
_ENTITIES = ("organization", "service", "location", "service_at_location", "service_area",
             "schedule", "attribute", "taxonomy_term", "taxonomy", "funding", "address")


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
    CSV injection); :func:`~servicemap.io.hsds.read_hsds` strips it again. JSON is
    written as is.

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
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    tables = _tables(smap)
    ext = _extension_rows(smap)
    provenance = smap.provenance
    written = []
    for entity in _ENTITIES:
        path = csv_name(entity)
        frame = _csv_frame(tables[Path(path).stem], fields(entity))
        write_csv(frame, folder / path, index=False)
        written.append((entity, path, list(frame.columns)))
    for name, columns in EXTENSION_TABLES.items():
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


# -- the map as flat HSDS rows -----------------------------------------------------------
def _tables(smap: ServiceMap) -> _Rows:
    """Return the map as flat HSDS rows by HSDS table, with extension fields."""
    t: _Rows = {name: [] for name in MAPPED_TABLES}
    used_terms: dict[tuple[str, str], None] = {}
    _add_organizations(t, smap, used_terms)
    _add_services(t, smap, used_terms)
    _add_locations(t, smap)
    _add_taxonomies(t, smap.vocabulary, used_terms)
    return t


def _extension_fields(table: str, record: pd.Series) -> dict[str, Any]:
    """Return a record's columns that HSDS has no field for, as ``servicemap_*`` fields."""
    out = {}
    for column in extension_columns(table):
        value = record[column.name]
        if column.is_list:
            value = list(value)
        elif column.kind == "yes_no":
            value = bool(value)
        out[f"servicemap_{column.name}"] = value
    return out


def _add_attributes(t: _Rows, used_terms: dict[tuple[str, str], None], entity: str,
                    key: object, link: str, record: pd.Series) -> None:
    """Add one attribute row per vocabulary term of a record, noting the terms used."""
    for field, category in ATTRIBUTE_FIELDS[entity].items():
        value = record[field]
        terms = value if isinstance(value, tuple) else (() if value is None else (value,))
        for term in terms:
            used_terms[(category, term)] = None
            t["attributes"].append({
                "id": uid("attribute", f"{entity}/{key}/{category}/{term}"),
                "link_id": link, "taxonomy_term_id": uid("term", f"{category}/{term}"),
                "link_type": category, "link_entity": entity})


def _add_organizations(t: _Rows, smap: ServiceMap,
                       used_terms: dict[tuple[str, str], None]) -> None:
    for oid, org in smap.organisations.iterrows():
        link = uid("organization", oid)
        t["organizations"].append({
            "id": link, "name": org["name"], "description": org["notes"],
            "servicemap_id": oid, **_extension_fields("organisations", org)})
        _add_attributes(t, used_terms, "organization", oid, link, org)


def _add_services(t: _Rows, smap: ServiceMap,
                  used_terms: dict[tuple[str, str], None]) -> None:
    """Add services with their attributes, schedules, service areas and funding."""
    names = _footprint_names(smap)
    for sid, svc in smap.services.iterrows():
        link = uid("service", sid)
        groups = ", ".join(smap.vocabulary.label("client_group", g)
                           for g in svc["client_groups"])
        ages = _ages_text(svc["min_age"], svc["max_age"])
        t["services"].append({
            "id": link, "organization_id": uid("organization", svc["provider"]),
            "name": svc["name"], "description": svc["notes"],
            "status": STATUS_OUT.get(svc["status"], "active"),
            "eligibility_description": f"For: {groups}.{ages}",
            "minimum_age": svc["min_age"], "maximum_age": svc["max_age"],
            "servicemap_id": sid, **_extension_fields("services", svc)})
        _add_attributes(t, used_terms, "service", sid, link, svc)
        t["schedules"].extend(schedule_rows(svc["hours"], link, sid))
        for code in svc["footprint"]:
            t["service_areas"].append({
                "id": uid("service_area", f"{sid}/{code}"), "service_id": link,
                "name": names.get(code, code), "uri": GSS_URI + code})
        for source in svc["funding_sources"]:
            t["funding"].append({"id": uid("funding", f"{sid}/{source}"),
                                 "service_id": link, "source": source})


def _add_locations(t: _Rows, smap: ServiceMap) -> None:
    """Add sites as locations, with their postcodes and the services at each."""
    coords = _lonlat(smap)
    for site_id, site in smap.sites.iterrows():
        link = uid("location", site_id)
        row: dict[str, Any] = {
            "id": link, "name": site["name"], "description": site["notes"],
            "location_type": "virtual" if site["mode"] in {"phone", "online"} else "physical",
            "servicemap_id": site_id, **_extension_fields("sites", site)}
        if site_id in coords:
            point = site.geometry
            row.update({"latitude": round(float(coords[site_id][1]), 7),
                        "longitude": round(float(coords[site_id][0]), 7),
                        "servicemap_easting": float(point.x),
                        "servicemap_northing": float(point.y)})
        t["locations"].append(row)
        if site["postcode"] is not None:
            t["addresses"].append({
                "id": uid("address", site_id), "location_id": link, "address_1": "",
                "city": "", "state_province": "", "postal_code": site["postcode"],
                "country": "GB", "address_type": "physical"})
        for sid in site["services"]:
            t["service_at_location"].append({
                "id": uid("service_at_location", f"{site_id}/{sid}"),
                "service_id": uid("service", sid), "location_id": link})


def _lonlat(smap: ServiceMap) -> dict[Any, tuple[float, float]]:
    """Return the longitude and latitude of every site with a place, by site id."""
    sites = smap.sites
    located = ~sites.geometry.isna()
    if not located.any():
        return {}
    x = shapely.get_x(sites.geometry[located].values)
    y = shapely.get_y(sites.geometry[located].values)
    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(x, y)
    return dict(zip(sites.index[located], zip(lon, lat, strict=True), strict=True))


def _add_taxonomies(t: _Rows, vocab: Vocabulary,
                    used_terms: dict[tuple[str, str], None]) -> None:
    """Add a taxonomy per vocabulary category used and a term per vocabulary term used."""
    for category in dict.fromkeys(c for c, _ in used_terms):
        t["taxonomies"].append({
            "id": uid("taxonomy", category), "name": TAXONOMY_PREFIX + category,
            "description": f"servicemap's controlled vocabulary of "
                           f"{category.replace('_', ' ')}s.",
            "version": str(EXTENSION_VERSION)})
    for category, term in used_terms:
        entry = vocab[category][term]
        t["taxonomy_terms"].append({
            "id": uid("term", f"{category}/{term}"), "code": term, "name": entry.label,
            "description": entry.description or entry.label,
            "taxonomy": TAXONOMY_PREFIX + category,
            "taxonomy_id": uid("taxonomy", category)})


def _ages_text(lo: Any, hi: Any) -> str:
    if present(lo) and present(hi):
        return f" Ages {int(lo)} to {int(hi)}."
    if present(lo):
        return f" Ages {int(lo)} and over."
    if present(hi):
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


def _clean(row: Mapping[Any, Any]) -> dict[Any, Any]:
    """Drop missing values; numpy scalars become Python numbers."""
    out = {}
    for k, v in row.items():
        if not present(v):
            continue
        if hasattr(v, "item") and not isinstance(v, (list, tuple, dict, str)):
            v = v.item()
        out[k] = v
    return out


def _extension_rows(smap: ServiceMap) -> _Rows:
    """Return the rows of the extension tables (pathways, partnerships, ...)."""
    out: _Rows = {}
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


# -- services.json -----------------------------------------------------------------------
def _nest(t: _Rows, ext: dict[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
    """Assemble the flat rows into a page of HSDS 'service full' objects."""
    def by(table: str, key: str) -> dict[Any, list[dict[str, Any]]]:
        out: dict[Any, list[dict[str, Any]]] = {}
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
        link = svc["id"]
        contents.append({
            **_clean(svc),
            "organization": orgs[svc["organization_id"]],
            "schedules": [_clean(r) for r in schedules.get(link, [])],
            "service_areas": [_clean(r) for r in areas.get(link, [])],
            "service_at_locations": [{**_clean(r), "location": locations[r["location_id"]]}
                                     for r in sal.get(link, [])],
            "attributes": with_terms(attrs.get(link, [])),
            "funding": [_clean(r) for r in funding.get(link, [])],
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


# -- the tabular data package ------------------------------------------------------------
def _csv_frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Return rows as a frame to write as CSV.

    Lists are joined by ``; ``, booleans written ``true`` and ``false``, text escaped
    and ages written as whole numbers.
    """
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
            frame[col] = values.map(escape).astype(object)
        elif values.dtype == bool:
            frame[col] = values.map(lambda v: "true" if v else "false")
        elif col in {"minimum_age", "maximum_age"}:
            frame[col] = values.astype("Int64")
    return frame


def _datapackage(resources_: list[tuple[str, str, list[str]]],
                 provenance: dict[str, Any]) -> dict[str, Any]:
    """Return ``datapackage.json``: every table written, with its fields' types."""
    out = []
    for name, path, columns in resources_:
        props = schema(name)["properties"] if (schema_dir() / f"{name}.json").is_file() \
            else {}
        table_fields = []
        for col in columns:
            spec = props.get(col, {})
            kind = spec.get("datapackage_type") or spec.get("type") or "string"
            table_fields.append({"name": col, "type": kind})
        out.append({"name": name, "path": path, "profile": "tabular-data-resource",
                    "schema": {"fields": table_fields, "primaryKey": "id"}
                    if "id" in columns else {"fields": table_fields}})
    return {"name": "servicemap_hsds", "profile": "tabular-data-package",
            "title": provenance.get("name", "servicemap"),
            "description": "Human Services Data Specification 3.0 tables written by "
                           "servicemap, with servicemap's extension fields and tables.",
            "version": HSDS_VERSION, "resources": out,
            "servicemap": {"extension_version": EXTENSION_VERSION,
                           "hsds_version": HSDS_VERSION, "provenance": provenance}}

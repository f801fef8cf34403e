"""Reading an Open Referral (HSDS 3.0) directory or JSON file as a map.

:func:`read_hsds` reads in stages, each a function that can be read and tested alone:

1. checks: the source (:func:`_check_source`) and ``terms=`` (:func:`_check_terms`);
2. reading: CSV tables (:func:`_read_csv_tables`) or nested JSON flattened to the same
   tables (:func:`_flatten_json`), as rows of text that remember where they were, and
   the areas (:func:`_areas_of`), which HSDS does not hold;
3. translating each HSDS table to ours (:func:`_organisations`, :func:`_services`,
   :func:`_sites`, :func:`_extension_frames`): whatever has no field in the model is
   kept in the notes of its record and listed on the :class:`_Context`;
4. assembling the map (:func:`_assemble`), after raising every problem at once and
   warning of what was kept in notes or matched by a guess (:func:`_warn`).
"""

from __future__ import annotations

import io
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.errors import GEOSException
from shapely.geometry import shape as to_shape

from servicemap.crs import user_stacklevel
from servicemap.errors import HSDSWarning, InputError, Problem, did_you_mean, plural
from servicemap.hours import WEEK, HoursError, _intervals, format_hours, parse_hours
from servicemap.io.areas import resolve_areas
from servicemap.io.hsds._common import (
    EXTENSION_TABLES,
    GSS_CODE,
    HSDS_VERSION,
    MAPPED_TABLES,
    STATUS_IN,
    TAXONOMY_PREFIX,
    extension_columns,
    present,
    unescape,
    weekly_intervals,
)
from servicemap.model import read_yes_no
from servicemap.schema import NUMBER_KINDS, TABLES, Column
from servicemap.servicemap import ServiceMap
from servicemap.vocab import VOCABULARY, Term, Vocabulary

__all__ = ["HSDSWarning", "read_hsds"]

_Rows = list[dict[str, Any]]
#: Fields of an HSDS service that map to ours, and those we derive when writing.
_SERVICE_MAPPED = {"id", "organization_id", "name", "description", "status",
                   "minimum_age", "maximum_age", "_where"}
_SERVICE_DERIVED = {"eligibility_description"}
_LOCATION_MAPPED = {"id", "name", "description", "_where", "location_type", "latitude",
                    "longitude"}
_ADDRESS_MAPPED = {"id", "location_id", "postal_code", "address_type", "country"}


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
    path = _check_source(source)
    wanted = _check_terms(terms)
    hsds = _read_source(path)
    area_frame = _areas_of(areas, hsds.label)
    ctx = _context(hsds, wanted)
    ctx.problems += _dangling(hsds.tables)
    if not ctx.rows("services") and not ctx.problems:
        ctx.problems.append(Problem(
            "services", None, None, None, f"{hsds.label} holds no service. An HSDS "
            "package needs services.csv (or services.json) with at least one row.",
            code="missing_table"))
    if ctx.problems:
        raise InputError(ctx.problems, source=hsds.label)
    organisations = _organisations(ctx)
    services = _services(ctx, area_frame, dict(defaults or {}))
    sites = _sites(ctx)
    _keep_unattached(ctx)
    if ctx.problems:
        raise InputError(ctx.problems, source=hsds.label)
    _warn(ctx, hsds.label)
    return _assemble(hsds, ctx, area_frame, organisations, services, sites, strict=strict)


# -- 1. checks ---------------------------------------------------------------------------
def _check_source(source: str | os.PathLike[str]) -> Path:
    """Return the file or folder to read: a CSV package folder or a JSON file.

    A folder with no CSV tables but a ``services.json`` is read as that file.
    """
    path = Path(source)
    if path.is_dir():
        if (path / "datapackage.json").is_file() or (path / "services.csv").is_file():
            return path
        if (path / "services.json").is_file():
            return path / "services.json"
        msg = (f"{str(path)!r} holds neither services.csv nor services.json. Point "
               "read_hsds at an HSDS data package folder or a JSON file of services.")
        raise InputError(msg)
    if path.is_file():
        return path
    msg = f"{str(path)!r} does not exist. Give an HSDS folder or JSON file."
    raise FileNotFoundError(msg)


def _check_terms(terms: Mapping[str, str] | None) -> dict[Any, tuple[str, ...]]:
    """Return ``terms=`` as taxonomy term -> (category, term), each checked."""
    terms = terms or {}
    wanted: dict[Any, tuple[str, ...]] = {k: tuple(v.split(":", 1)) for k, v in terms.items()}
    for key, pair in wanted.items():
        if len(pair) != 2 or pair[0] not in VOCABULARY:
            msg = (f"terms[{key!r}] = {terms[key]!r} is not 'category:term'. Write it as "
                   "'need:drug' or 'client_group:adults'.")
            raise ValueError(msg)
    return wanted


# -- 2. reading --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Source:
    """An HSDS directory as rows by table, and servicemap's own metadata if it is ours.

    Each row is a dict of the values given (empty CSV cells dropped) plus ``_where``,
    the file and line or the JSON path it came from.
    """

    tables: dict[str, _Rows]
    label: str
    extension: dict[str, Any]


def _read_source(path: Path) -> _Source:
    """Read a CSV package folder or a JSON file (as :func:`_check_source` returns)."""
    if path.is_dir():
        tables, package = _read_csv_tables(path)
        extension = package.get("servicemap") if isinstance(package, dict) else None
        return _Source(tables, path.name, extension if isinstance(extension, dict) else {})
    data = _load_json(path)
    tables, extension = _flatten_json(data, path.name)
    return _Source(tables, path.name, extension)


#: The largest file read, in bytes; a larger one is an error, not a slow read.
MAX_FILE_BYTES = 200 * 1024 * 1024
#: The deepest nesting of a JSON file read (HSDS "service full" JSON needs about 8).
MAX_JSON_DEPTH = 64
#: The most rows of one CSV table read.
MAX_ROWS = 1_000_000


def _unreadable(path: Path, row: Any, message: str) -> InputError:
    """One problem naming a file that cannot be read, and the fix."""
    return InputError([Problem(path.name, row, None, None, message, code="unreadable")],
                      source=path.name)


def _load_text(path: Path) -> str:
    """Return a file's text, read as UTF-8 (with or without a byte order mark)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _unreadable(path, None, f"is {size / 2**20:.0f} MB, above the "
                              f"{MAX_FILE_BYTES // 2**20} MB servicemap reads. Split the "
                              "data, or check it is the file you meant.")
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, None, f"cannot be opened ({exc.strerror or exc}). Check "
                          "the file exists and can be read.") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _unreadable(path, line, "is not UTF-8 text (a byte at this line cannot be "
                          "read). Save the file as UTF-8 (in Excel: CSV UTF-8).") from exc


def _load_json(path: Path) -> Any:
    """Return a JSON file's value; its syntax and depth are checked."""
    text = _load_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(path, exc.lineno, f"is not valid JSON ({exc.msg} at line "
                          f"{exc.lineno}, column {exc.colno}). Fix it there, or write "
                          "the file again.") from exc
    except RecursionError as exc:
        raise _unreadable(path, None, "nests too deeply to read. HSDS JSON needs about "
                          "8 levels: check the file was written as HSDS.") from exc
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise _unreadable(path, None, f"nests more than {MAX_JSON_DEPTH} levels "
                                  "deep, more than servicemap reads. HSDS JSON needs "
                                  "about 8: check the file was written as HSDS.")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)
    return data


def _load_csv(path: Path) -> pd.DataFrame:
    """Return a CSV file's cells as text; its encoding and shape are checked."""
    text = _load_text(path)
    if not text.strip():
        raise _unreadable(path, None, "is empty. Keep its first row of column names, "
                          "or delete the file (and its entry in datapackage.json).")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            nrows=MAX_ROWS + 1)
    except pd.errors.ParserError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise _unreadable(path, int(found.group(1)) if found else None,
                          f"cannot be read as CSV ({str(exc).strip()}). A row has more "
                          "cells than the header, or a quote is not closed: fix that "
                          "row.") from exc
    if len(frame) > MAX_ROWS:
        raise _unreadable(path, None, f"has more than {MAX_ROWS:,} rows, the most "
                          "servicemap reads in one table.")
    unnamed = [c for c in frame.columns if str(c).startswith("Unnamed: ") or not str(c)]
    if unnamed:
        raise InputError([Problem(path.name, 1, str(unnamed[0]), None,
                                  "is a column with no name. Name it, or delete it.",
                                  code="unnamed_column")], source=path.name)
    return frame


def _read_csv_tables(folder: Path) -> tuple[dict[str, _Rows], dict[str, Any]]:
    """Read every CSV of an HSDS data package as rows of text (empty cells dropped)."""
    package: Any = {}
    paths: dict[str, Path] = {}
    listed: set[str] = set()
    if (folder / "datapackage.json").is_file():
        package = _load_json(folder / "datapackage.json")
        resources = package.get("resources", []) if isinstance(package, dict) else None
        if not isinstance(resources, list):
            raise InputError([Problem(
                "datapackage.json", None, "resources", _text(resources),
                "is not a list of resources. Write the data package again, or delete "
                "datapackage.json to read every CSV file of the folder.",
                code="wrong_type")], source=folder.name)
        for k, res in enumerate(resources):
            where = res.get("path") if isinstance(res, dict) else None
            if not isinstance(where, str):
                raise InputError([Problem(
                    "datapackage.json", f"resources[{k}]", "path", _text(where),
                    "is not the name of a file. Give each resource the name of its "
                    "CSV file, such as 'services.csv'.", code="wrong_type")],
                    source=folder.name)
            paths[Path(where).stem] = _inside(folder, where, k)
            listed.add(Path(where).stem)
    for csv in sorted(folder.glob("*.csv")):
        paths.setdefault(csv.stem, csv)
    tables: dict[str, _Rows] = {}
    for stem, path in paths.items():
        if not path.is_file():
            raise InputError([Problem(
                "datapackage.json", None, "resources", path.name,
                f"lists {path.name}, which is not in the folder. Put the file back, or "
                "remove its entry from datapackage.json if the table is meant to be "
                "empty.", code="missing_table")], source=folder.name)
        frame = _load_csv(path)
        rows: _Rows = []
        for i, rec in enumerate(frame.to_dict("records")):
            row = {str(k): unescape(v) for k, v in rec.items() if v != ""}
            row["_where"] = f"{path.name}:{i + 2}"
            rows.append(row)
        tables[stem] = rows
    return tables, package if isinstance(package, dict) else {}


def _inside(folder: Path, name: str, k: int) -> Path:
    """Return a data package resource's file; raise if it lies outside the folder."""
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise InputError([Problem(
            "datapackage.json", f"resources[{k}]", "path", name,
            "names a file outside the data package's folder. A resource's path must "
            "be a file inside the folder (such as 'services.csv'); servicemap never "
            "reads outside the folder it is given.", code="outside_folder")],
            source=folder.name)
    return path


def _flatten_json(data: Any, name: str) -> tuple[dict[str, _Rows], dict[str, Any]]:
    """Flatten nested HSDS objects into rows by table, linking children to parents."""
    ext: Any = {}
    flat = _Flattener(name)
    if isinstance(data, dict) and "contents" in data:
        ext = data.get("servicemap") or {}
        if not isinstance(ext, dict):
            flat.wrong(f"{name}:servicemap", "servicemap", ext, "an object")
            ext = {}
        services = flat.objects(data["contents"], f"{name}:contents", "contents")
    elif isinstance(data, dict):
        services = [(0, data)]
    elif isinstance(data, list):
        services = flat.objects(data, name, "services")
    else:
        flat.wrong(name, "services", data, "a service object, a list of them or a page "
                   "with 'contents'")
        services = []
    if not services and not flat.problems:
        flat.problems.append(Problem(
            name, None, "services", None, "holds no service. Give at least one HSDS "
            "service object, or check you chose the right file.", code="missing_table"))
    for j, org in flat.objects(ext.get("organizations"), f"{name}:servicemap",
                               "organizations"):
        flat.organization(org, f"{name}:servicemap.organizations[{j}]")
    for j, loc in flat.objects(ext.get("locations"), f"{name}:servicemap", "locations"):
        flat.location(loc, f"{name}:servicemap.locations[{j}]")
    for i, svc in services:
        flat.service(svc, f"{name}[{i}]" if not ext else f"{name}:contents[{i}]")
    for table in EXTENSION_TABLES:
        rows = flat.objects(ext.get(table), f"{name}:servicemap", table)
        flat.tables[f"servicemap_{table}"] = [
            {**r, "_where": f"{name}:servicemap.{table}[{j}]"} for j, r in rows]
    if flat.problems:
        raise InputError(flat.problems, source=name)
    return flat.tables, ext


class _Flattener:
    """Rows by table of nested HSDS objects, each child row linked to its parent.

    An object met twice (an organization of many services) gives one row, and the
    objects nested in an organization or location are read the first time only. Nested
    lists and objects that are not HSDS tables we map go to ``_nested``, linked to the
    record they belong to. A value of the wrong type (text where a list of objects
    belongs) is a problem on ``problems``.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self.tables: dict[str, _Rows] = {}
        self.problems: list[Problem] = []
        self._seen: set[tuple[str, str]] = set()

    def wrong(self, where: str, field_name: str, value: Any, should: str) -> None:
        """Note a value of the wrong type, naming where it is and what belongs."""
        self.problems.append(Problem(
            self.name, where, field_name, _text(value)[:80],
            f"is {type(value).__name__ if value is not None else 'null'}, where HSDS "
            f"has {should}. Write it as {should}, or leave the field out.",
            code="wrong_type"))

    def objects(self, value: Any, where: str, field_name: str) -> list[tuple[int, Any]]:
        """Return the (position, object) pairs of a list of objects; note the others."""
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            self.wrong(where, field_name, value, "a list of objects")
            return []
        out = []
        for j, item in enumerate(value):
            if isinstance(item, dict):
                out.append((j, item))
            else:
                self.wrong(f"{where}.{field_name}[{j}]", field_name, item, "an object")
        return out

    def one(self, value: Any, where: str, field_name: str) -> dict[str, Any] | None:
        """Return a nested object, or None; note a value that is not an object."""
        if value is None or isinstance(value, dict):
            return value
        self.wrong(where, field_name, value, "an object")
        return None

    def put(self, table: str, obj: dict[str, Any], where: str, **links: Any) -> bool:
        """Add an object's row to a table; return False if its id was there already."""
        row = {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}
        for k, v in obj.items():
            if not k.startswith("servicemap_"):
                continue
            if isinstance(v, dict) or (k == "servicemap_id" and isinstance(v, list)):
                self.wrong(where, k, v, "text" if k == "servicemap_id" else
                           "text or a list of text")
            else:
                row[k] = v
        for k, v in links.items():
            row.setdefault(k, v)
        row["_where"] = where
        key = (table, str(row.get("id")))
        if row.get("id") is not None and key in self._seen:
            return False
        self._seen.add(key)
        self.tables.setdefault(table, []).append(row)
        return True

    def others(self, obj: dict[str, Any], table: str, where: str, known: set[str],
               **links: Any) -> None:
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and k not in known and not k.startswith(
                    "servicemap_") and v:
                self.tables.setdefault("_nested", []).append(
                    {"table": table, "field": k, "value": v, "_where": where, **links})

    def attributes(self, obj: dict[str, Any], entity: str, link: Any, where: str) -> None:
        for j, a in self.objects(obj.get("attributes"), where, "attributes"):
            w = f"{where}.attributes[{j}]"
            term = self.one(a.get("taxonomy_term"), w, "taxonomy_term")
            if term is not None:
                detail = self.one(term.get("taxonomy_detail"), w, "taxonomy_detail")
                if detail is not None:
                    self.put("taxonomies", detail, w)
                    term = {**term, "taxonomy_id": term.get("taxonomy_id", detail.get("id"))}
                self.put("taxonomy_terms", term, w)
            self.put("attributes", {**a, "taxonomy_term_id": a.get("taxonomy_term_id") or (
                term.get("id") if term is not None else None)}, w,
                link_id=link, link_entity=entity)

    def organization(self, org: dict[str, Any], where: str) -> None:
        if not self.put("organizations", org, where):
            return  # each service repeats its organization: its lists are read once
        self.attributes(org, "organization", org.get("id"), where)
        self.others(org, "organizations", where, {"attributes", "locations", "services"},
                    organization_id=org.get("id"))

    def location(self, loc: dict[str, Any], where: str) -> None:
        if not self.put("locations", loc, where):
            return  # a location of many services is repeated in each: read it once
        for j, addr in self.objects(loc.get("addresses"), where, "addresses"):
            self.put("addresses", addr, f"{where}.addresses[{j}]", location_id=loc.get("id"))
        for j, sch in self.objects(loc.get("schedules"), where, "schedules"):
            self.put("schedules", sch, f"{where}.schedules[{j}]", location_id=loc.get("id"))
        self.attributes(loc, "location", loc.get("id"), where)
        self.others(loc, "locations", where, {"addresses", "schedules", "attributes"},
                    location_id=loc.get("id"))

    def service(self, svc: dict[str, Any], where: str) -> None:
        sid = svc.get("id")
        org = self.one(svc.get("organization"), where, "organization")
        if org is not None:
            self.organization(org, f"{where}.organization")
        self.put("services", {**svc, "organization_id": svc.get("organization_id") or (
            org.get("id") if org is not None else None)}, where)
        for j, sch in self.objects(svc.get("schedules"), where, "schedules"):
            self.put("schedules", sch, f"{where}.schedules[{j}]", service_id=sid)
        for j, area in self.objects(svc.get("service_areas"), where, "service_areas"):
            self.put("service_areas", area, f"{where}.service_areas[{j}]", service_id=sid)
        for j, fund in self.objects(svc.get("funding"), where, "funding"):
            self.put("funding", fund, f"{where}.funding[{j}]", service_id=sid)
        for j, sal in self.objects(svc.get("service_at_locations"), where,
                                   "service_at_locations"):
            w = f"{where}.service_at_locations[{j}]"
            loc = self.one(sal.get("location"), w, "location")
            if loc is not None:
                self.location(loc, f"{w}.location")
            self.put("service_at_location", sal, w, service_id=sid,
                     location_id=loc.get("id") if loc is not None else None)
            for k, sch in self.objects(sal.get("schedules"), w, "schedules"):
                self.put("schedules", sch, f"{w}.schedules[{k}]",
                         service_at_location_id=sal.get("id"))
            self.others(sal, "service_at_location", w, {"location", "schedules"},
                        service_id=sid)
        self.attributes(svc, "service", sid, where)
        self.others(svc, "services", where, {
            "organization", "schedules", "service_areas", "funding",
            "service_at_locations", "attributes"}, service_id=sid)


def _areas_of(areas: Any, label: str) -> gpd.GeoDataFrame:
    """Return the areas ``areas=`` gives, read by the one resolver every reader uses."""
    frame = resolve_areas(areas, source=label)
    if frame is None:
        raise InputError([Problem(
            "areas", None, "areas", None, "is missing. HSDS holds no areas: pass the "
            "areas the services' footprints name, as a GeoDataFrame, a file of area "
            "polygons or a shipped dataset's name.", code="missing_value")], source=label)
    return frame


#: The fields by which a row of an HSDS table is attached to a record of the map: a
#: row whose link matches nothing would be lost, so it is a problem.
_LINKS = {
    "services": {"organization_id": "organizations"},
    "service_at_location": {"service_id": "services", "location_id": "locations"},
    "service_areas": {"service_id": "services"},
    "schedules": {"service_id": "services", "location_id": "locations",
                  "service_at_location_id": "service_at_location"},
    "funding": {"service_id": "services"},
    "addresses": {"location_id": "locations"},
    "attributes": {"taxonomy_term_id": "taxonomy_terms"},
}
#: The fields of which a row of a child table needs one, to belong to a record.
_ATTACHED_BY = {
    "service_at_location": ("service_id",),
    "service_areas": ("service_id",),
    "schedules": ("service_id", "location_id", "service_at_location_id"),
    "funding": ("service_id", "organization_id"),
    "addresses": ("location_id",),
    "attributes": ("link_id",),
}
_ENTITIES = {"service": "services", "organization": "organizations",
             "location": "locations"}


def _dangling(tables: Mapping[str, _Rows]) -> list[Problem]:
    """Return a problem for each link to a row that is not there.

    A link to a table the package does not hold at all (a taxonomy term of a
    publisher's own taxonomy file, say) is not checked; a link into a table that is
    there must find its row, or the row that links would be lost.
    """
    ids = {t: {str(r.get("id")) for r in rows if r.get("id") is not None}
           for t, rows in tables.items()}
    problems = []
    for table, needs in _ATTACHED_BY.items():
        for r in tables.get(table, []):
            if not any(r.get(f) not in (None, "") for f in needs):
                file, _, line = str(r["_where"]).partition(":")
                problems.append(Problem(
                    file, line or r["_where"], needs[0], None,
                    f"is empty, so the row belongs to no record and would be lost. Give "
                    f"{' or '.join(needs)} (check the column's name in the header).",
                    code="missing_value"))
    for table, links in _LINKS.items():
        for r in tables.get(table, []):
            pairs = list(links.items())
            if table == "attributes" and r.get("link_entity") in _ENTITIES:
                pairs.append(("link_id", _ENTITIES[r["link_entity"]]))
            for field_name, target in pairs:
                value = r.get(field_name)
                if value in (None, "") or target not in ids or str(value) in ids[target]:
                    continue
                file, _, line = str(r["_where"]).partition(":")
                problems.append(Problem(
                    file, line or r["_where"], field_name, _text(value),
                    f"names no row of {target} (no id {_text(value)!r} there), so the "
                    f"row would be lost. Correct the id, or delete the row.",
                    code="unknown_reference", ref_table=target, ref_id=_text(value)))
    return problems


# -- 3. translating ----------------------------------------------------------------------
@dataclass
class _Context:
    """A directory's rows and look-ups, and what translating them found.

    ``unmapped`` lists each value with no field in the map (kept in notes), ``guesses``
    each term or area matched by name or shape, ``problems`` each record that cannot be
    read without ``terms=`` or ``defaults=``.
    """

    tables: dict[str, _Rows]
    vocab: Vocabulary
    wanted: dict[Any, tuple[str, ...]]
    attributes: dict[Any, _Rows]
    terms: dict[Any, dict[str, Any]]
    taxonomies: dict[Any, dict[str, Any]]
    unmapped: list[dict[str, Any]] = field(default_factory=list)
    guesses: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def rows(self, table: str) -> _Rows:
        """Return the rows of an HSDS table, none if it is absent."""
        return self.tables.get(table, [])

    def keep(self, where: str, field_name: str, value: Any, kept_in: str) -> str:
        """List a value with no field in the map; return its line for the notes."""
        self.unmapped.append({"where": where, "field": field_name, "kept_in": kept_in,
                              "value": _text(value)})
        return f"[HSDS {field_name}] {_text(value)}"


@contextmanager
def _record_at(ctx: _Context, where: Any) -> Iterator[None]:
    """Turn a value of a type no HSDS field holds into a problem at its row.

    Values are checked where they are read; this is the last guard of one record, so
    that an unforeseen value (a number where a list of codes belongs, say) names its
    file and row instead of stopping the reader with another error.
    """
    try:
        yield
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        file, _, line = str(where).partition(":")
        ctx.problems.append(Problem(
            file, line or where, None, None,
            f"holds a value of a type HSDS does not use there ({type(exc).__name__}: "
            f"{exc}). Check the row against the HSDS schema.", code="wrong_type"))


@dataclass
class _Table:
    """Records of one of our tables, each with where in the HSDS it came from."""

    rows: _Rows = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _context(source: _Source, wanted: dict[Any, tuple[str, ...]]) -> _Context:
    tables = source.tables
    return _Context(
        tables=tables, vocab=_vocabulary(tables.get("servicemap_vocabulary", [])),
        wanted=wanted, attributes=_group(tables.get("attributes", []), "link_id"),
        terms={r.get("id"): r for r in tables.get("taxonomy_terms", [])},
        taxonomies={r.get("id"): r for r in tables.get("taxonomies", [])})


def _vocabulary(declared: _Rows) -> Vocabulary:
    """Return the built-in vocabulary plus the terms a map declared."""
    if not declared:
        return VOCABULARY
    by_cat = {cat: dict(VOCABULARY[cat]) for cat in VOCABULARY}
    problems = []
    for row in declared:
        category, term, label = row.get("category"), row.get("term"), row.get("label")
        file, _, line = str(row["_where"]).partition(":")
        if category not in by_cat:
            problems.append(Problem(
                file, line, "category", _text(category), "is not a vocabulary category"
                f"{did_you_mean(category, by_cat)}. Use one of "
                f"{', '.join(sorted(by_cat))}.", code="unknown_term"))
        elif not isinstance(term, str) or not isinstance(label, str):
            problems.append(Problem(
                file, line, "term" if not isinstance(term, str) else "label",
                _text(term if not isinstance(term, str) else label),
                "is missing. Give each declared term its term and its label.",
                code="missing_value"))
        else:
            by_cat[category][term] = Term(term, label, str(row.get("description") or ""),
                                          declared=True)
    if problems:
        raise InputError(problems)
    return Vocabulary(by_cat)


def _organisations(ctx: _Context) -> _Table:
    out = _Table()
    for r in ctx.rows("organizations"):
        with _record_at(ctx, r["_where"]):
            _organisation(ctx, r, out)
    return out


def _organisation(ctx: _Context, r: Mapping[str, Any], out: _Table) -> None:
    """Translate one HSDS organization and add it to ``out``."""
    kept = f"organisation {_our_id(r)!r}"
    notes: list[str] = []
    _keep_leftovers(ctx, r, {"id", "name", "description", "_where"}, set(), kept, notes)
    cats = _categories(ctx, r.get("id"), kept, notes)
    _keep_attached(ctx, "organization_id", r.get("id"), kept, notes)
    in_hsds = {"name": r.get("name"),
               "kind": (cats.get("organisation_kind") or ["other"])[0],
               "notes": _notes(notes, r.get("description"))}
    out.rows.append(_record("organisations", r, in_hsds))
    out.labels.append(r["_where"])


@dataclass(frozen=True)
class _ServiceLinks:
    """The rows that belong to services, by the HSDS id of the service."""

    providers: dict[Any, Any]
    schedules: dict[Any, _Rows]
    service_areas: dict[Any, _Rows]
    funding: dict[Any, _Rows]
    areas: gpd.GeoDataFrame
    area_names: dict[str, str]


def _services(ctx: _Context, areas: gpd.GeoDataFrame, defaults: dict[str, Any]) -> _Table:
    """Translate services, listing on ``ctx.problems`` each that lacks what a map needs."""
    at_location = {s.get("id"): s.get("service_id") for s in ctx.rows("service_at_location")}
    schedules: dict[Any, _Rows] = {}
    for s in ctx.rows("schedules"):
        owner = s.get("service_id") or at_location.get(s.get("service_at_location_id"))
        schedules.setdefault(owner, []).append(s)
    links = _ServiceLinks(
        providers={r.get("id"): _our_id(r) for r in ctx.rows("organizations")},
        schedules=schedules,
        service_areas=_group(ctx.rows("service_areas"), "service_id"),
        funding=_group([f for f in ctx.rows("funding") if f.get("service_id") is not None],
                       "service_id"),
        areas=areas, area_names=_names_to_codes(areas))
    out = _Table()
    for r in ctx.rows("services"):
        with _record_at(ctx, r["_where"]):
            row = _service(ctx, r, links, defaults)
            if not row["needs"] or not row["client_groups"] or not (
                    row["reach"] or row["max_distance"] or row["max_minutes"]):
                ctx.problems += _missing(row, r["_where"])
            out.rows.append(row)
            out.labels.append(r["_where"])
    return out


def _service(ctx: _Context, r: Mapping[str, Any], links: _ServiceLinks,
             defaults: dict[str, Any]) -> dict[str, Any]:
    """Translate one HSDS service, its attributes, areas, schedules and funding."""
    link = r.get("id")
    kept = f"service {_our_id(r)!r}"
    notes: list[str] = []
    _keep_leftovers(ctx, r, _SERVICE_MAPPED, _SERVICE_DERIVED, kept, notes)
    cats = _categories(ctx, link, kept, notes)
    footprint = _footprint(ctx, links.service_areas.get(link, []), links, kept, notes)
    hours = _hours(ctx, links.schedules.get(link, []), kept, notes)
    _keep_attached(ctx, "service_id", link, kept, notes)
    in_hsds = {
        "name": r.get("name"),
        "provider": links.providers.get(r.get("organization_id"), r.get("organization_id")),
        "needs": cats.get("need", []), "interventions": cats.get("intervention", []),
        "client_groups": cats.get("client_group", []),
        "min_age": _number(r.get("minimum_age")),
        "max_age": _number(r.get("maximum_age")), "hours": hours,
        "funding_sources": [f.get("source") for f in links.funding.get(link, [])
                            if f.get("source")],
        "visit_frequency": next(iter(cats.get("visit_frequency") or []), None),
        "footprint": footprint,
        "notes": _notes(notes, r.get("description")),
    }
    row = _record("services", r, in_hsds)
    row["status"] = row["status"] or STATUS_IN.get(
        str(r.get("status", "active")).lower(), r.get("status"))
    if not r.get("servicemap_reach"):
        for key, value in defaults.items():
            if key in row and (row[key] in (None, "") or row[key] == []):
                row[key] = value
    return row


def _footprint(ctx: _Context, rows: _Rows, links: _ServiceLinks, kept: str,
               notes: list[str]) -> list[str]:
    """Return the area codes a service's service areas name, keeping the others."""
    footprint: list[str] = []
    for a in rows:
        codes, how = _area_codes(a, links.area_names, links.areas)
        if not codes:
            notes.append(ctx.keep(a["_where"], "service_area", _row_value(a), kept))
        elif how is not None:
            ctx.guesses.append(f"{a['_where']}: service area as {how}")
        footprint += [c for c in codes if c not in footprint]
    return footprint


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
    m = GSS_CODE.search(uri)
    if m:
        return [m.group(1)], None
    extent = row.get("extent")
    if extent and str(row.get("extent_type") or "geojson").lower() == "geojson":
        codes = _codes_in_extent(extent, areas)
        if codes:
            return codes, f"{len(codes)} areas whose representative point is in its extent"
    name = str(row.get("name") or "").strip().casefold()
    if name in by_name:
        return [by_name[name]], f"the area named {row.get('name')!r}"
    return [], None


def _codes_in_extent(extent: Any, areas: gpd.GeoDataFrame) -> list[str]:
    """Return the codes of the areas whose representative point is in a GeoJSON extent."""
    try:
        data = json.loads(extent) if isinstance(extent, str) else extent
        shape = to_shape(data.get("geometry", data))
    except (TypeError, ValueError, AttributeError, KeyError, GEOSException):
        return []
    if shape.is_empty:
        return []
    project = Transformer.from_crs(4326, 27700, always_xy=True).transform
    shape = shapely.transform(shape, lambda xy: np.column_stack(
        project(xy[:, 0], xy[:, 1])))
    points = areas.geometry.representative_point()
    inside = points[shapely.contains(shape, points.values)]
    codes = (inside.index if "code" not in areas.columns
             else areas.loc[inside.index, "code"]).tolist()
    return [str(c) for c in codes]


def _hours(ctx: _Context, rows: _Rows, kept: str, notes: list[str]) -> str | None:
    """Return opening hours text from a service's schedule rows.

    The rows' own text is used when it gives the same hours as the rows (or the rows
    give none); otherwise the hours are written from the rows and the text is kept.
    """
    week = np.zeros(WEEK, dtype=bool)
    structured = False
    texts: list[str] = []
    for r in rows:
        spans = weekly_intervals(r)
        if spans is None and any(r.get(k) for k in ("byday", "opens_at", "closes_at",
                                                     "freq")):
            notes.append(ctx.keep(r["_where"], "schedule", _row_value(r), kept))
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
        notes.append(ctx.keep(kept, "schedule.description", text, kept))
    if structured:
        return format_hours(intervals)
    return None


def _sites(ctx: _Context) -> _Table:
    """Translate locations that serve a service as sites; list the others as kept."""
    service_ids = {r.get("id"): _our_id(r) for r in ctx.rows("services")}
    served_at: dict[Any, list[Any]] = {}
    for s in ctx.rows("service_at_location"):
        served_at.setdefault(s.get("location_id"), []).append(
            service_ids.get(s.get("service_id"), s.get("service_id")))
    addresses = _group(ctx.rows("addresses"), "location_id")
    out = _Table()
    for r in ctx.rows("locations"):
        served = served_at.get(r.get("id"), [])
        if not served:
            ctx.keep(r["_where"], "location", _row_value(r), "provenance only: it "
                     "serves no service, and a site needs one")
            continue
        with _record_at(ctx, r["_where"]):
            out.rows.append(_site(ctx, r, _in_site_order(served, r),
                                  addresses.get(r.get("id"), [])))
            out.labels.append(r["_where"])
    if out.rows and not any("easting" in r for r in out.rows):
        for row in out.rows:
            row.setdefault("lon", None)
            row.setdefault("lat", None)
    return out


def _in_site_order(served: list[Any], location: Mapping[str, Any]) -> list[Any]:
    """Return the services at a location in the order the site lists them.

    The services at a location come in the order of its ``service_at_location`` rows.
    In ``services.json`` those rows are nested in their services, so they come in the
    order of the services, not of the site's list; our own locations keep that list in
    ``servicemap_services``, which is used when it names the same services.
    """
    order = _listed(location.get("servicemap_services"))
    return order if sorted(order) == sorted(served) else served


def _site(ctx: _Context, r: Mapping[str, Any], served: list[Any],
          addresses: _Rows) -> dict[str, Any]:
    """Translate one HSDS location, with its addresses, as a site."""
    link = r.get("id")
    kept = f"site {_our_id(r)!r}"
    notes: list[str] = []
    _keep_leftovers(ctx, r, _LOCATION_MAPPED, set(), kept, notes)
    postcode = next((a.get("postal_code") for a in addresses if a.get("postal_code")),
                    None)
    for a in addresses:
        rest = {k: v for k, v in _row_value(a).items()
                if k not in _ADDRESS_MAPPED and v not in ("", None)}
        if rest or (a.get("country") not in (None, "GB") and not r.get("servicemap_id")):
            notes.append(ctx.keep(a["_where"], "address", _row_value(a), kept))
    _keep_attached(ctx, "location_id", link, kept, notes)
    for s in ctx.rows("schedules"):
        if s.get("location_id") == link and not s.get("service_id"):
            notes.append(ctx.keep(s["_where"], "schedule", _row_value(s), kept))
    row = _record("sites", r, {"name": r.get("name"), "postcode": postcode,
                               "notes": _notes(notes, r.get("description"))})
    row["services"] = served
    row["mode"] = row["mode"] or (
        "online" if r.get("location_type") == "virtual" else "in_person")
    if r.get("servicemap_easting") is not None:
        row["easting"] = _number(r.get("servicemap_easting"))
        row["northing"] = _number(r.get("servicemap_northing"))
    elif r.get("longitude") is not None and r.get("latitude") is not None:
        row["lon"] = _number(r.get("longitude"))
        row["lat"] = _number(r.get("latitude"))
    return row


def _record(table: str, row: Mapping[str, Any], in_hsds: dict[str, Any]) -> dict[str, Any]:
    """Return one record of ours, its columns in the schema's order.

    The columns HSDS holds come translated (``in_hsds``); the others come from the
    row's ``servicemap_*`` extension fields. A third party's row has none: those
    columns are left empty, and the record is not illustrative.
    """
    values = {**in_hsds}
    for column in extension_columns(table):
        values[column.name] = _read_as(column, row.get(f"servicemap_{column.name}"))
    values["illustrative"] = values["illustrative"] or False
    return {"id": _our_id(row), **{name: values[name] for name in TABLES[table].names}}


def _read_as(column: Column, value: Any) -> Any:
    """Return a value as read from text or JSON, as a column of its kind holds it."""
    if column.is_list:
        return _listed(value)
    if column.kind in NUMBER_KINDS:
        return _number(value)
    if column.kind == "yes_no":
        return _truth(value)
    return value


def _categories(ctx: _Context, link: Any, kept: str,
                notes: list[str]) -> dict[str, list[Any]]:
    """Return a record's vocabulary terms by category, from its attributes.

    Terms of our own taxonomies are read as they are; others by ``terms=``, or by a
    vocabulary term or label they match (a guess, listed); the rest are kept.
    """
    out: dict[str, list[Any]] = {}
    for a in ctx.attributes.get(link, []):
        term = ctx.terms.get(a.get("taxonomy_term_id"), {})
        taxonomy = term.get("taxonomy") or ctx.taxonomies.get(
            term.get("taxonomy_id"), {}).get("name") or ""
        code, name = term.get("code"), term.get("name")
        if str(taxonomy).startswith(TAXONOMY_PREFIX):
            category = taxonomy[len(TAXONOMY_PREFIX):]
            out.setdefault(category, []).append(code or name)
            continue
        pair = ctx.wanted.get(code) or ctx.wanted.get(name)
        if pair is None:
            for category in ("need", "client_group", "intervention"):
                hit = ctx.vocab.match(category, code) or ctx.vocab.match(category, name)
                if hit:
                    pair = (category, hit)
                    ctx.guesses.append(f"{a['_where']}: term {name or code!r} as "
                                       f"{category} {hit!r}")
                    break
        if pair is None:
            value = {"taxonomy": taxonomy, "code": code, "name": name,
                     "value": a.get("value"), "link_type": a.get("link_type")}
            notes.append(ctx.keep(a["_where"], "attribute",
                                  {k: v for k, v in value.items() if v}, kept))
            continue
        out.setdefault(pair[0], []).append(pair[1])
    return out


def _keep_leftovers(ctx: _Context, row: Mapping[str, Any], mapped: set[str],
                    derived: set[str], kept: str, notes: list[str]) -> None:
    """Keep a row's fields with no field in the map (bar those we derive, if ours)."""
    for k, v in row.items():
        if k in mapped or k.startswith("servicemap_") or (
                row.get("servicemap_id") and k in derived):
            continue
        notes.append(ctx.keep(row["_where"], k, v, kept))


def _keep_attached(ctx: _Context, link_field: str, link: Any, kept: str,
                   notes: list[str]) -> None:
    """Keep the rows of unmapped tables (and nested lists) that belong to one record."""
    for table, rows in ctx.tables.items():
        if table in MAPPED_TABLES or table.startswith(("servicemap_", "_")):
            continue
        for r in rows:
            if r.get(link_field) == link:
                notes.append(ctx.keep(r.get("_where", ""), table, _row_value(r), kept))
    for n in ctx.rows("_nested"):
        if n.get(link_field) == link:
            value = _row_value(n["value"]) if isinstance(n["value"], dict) else n["value"]
            notes.append(ctx.keep(n["_where"], n["field"], value, kept))


def _keep_unattached(ctx: _Context) -> None:
    """List the rows of unmapped tables that belong to no record."""
    for table, rows in ctx.tables.items():
        if table in MAPPED_TABLES or table.startswith(("servicemap_", "_")):
            continue
        for r in rows:
            if not any(r.get(k) for k in ("service_id", "location_id", "organization_id")):
                ctx.keep(r["_where"], table, _row_value(r), "provenance only: it "
                         "belongs to no service, site or organisation")


#: How to give each service field HSDS may leave without a value.
_MISSING = {
    "needs": "has no attribute that maps to a need. Map its taxonomy terms with "
             "terms={'Substance misuse': 'need:drug'}, or give defaults={'needs': "
             "'drug'} to read_hsds.",
    "client_groups": "has no attribute that maps to a client group. Map its taxonomy "
                     "terms with terms={'Adults': 'client_group:adults'}, or give "
                     "defaults={'client_groups': 'adults'} to read_hsds.",
    "reach": "is not in HSDS. Say how far services reach with defaults={'max_distance': "
             "10000} (metres) or defaults={'reach': 'none'} (outreach, phone, online) "
             "to read_hsds.",
}


def _missing(row: Mapping[str, Any], where: str) -> list[Problem]:
    """Return a problem for each of need, client group and reach a service lacks."""
    lacks = {"needs": not row["needs"], "client_groups": not row["client_groups"],
             "reach": not (row["reach"] or row["max_distance"] or row["max_minutes"])}
    return [Problem("services", where, field, None, _MISSING[field], id=row["id"])
            for field, lacking in lacks.items() if lacking]


def _extension_frames(ctx: _Context) -> dict[str, pd.DataFrame | None]:
    """Return pathways, partnerships and travel times from the extension tables."""
    out: dict[str, pd.DataFrame | None] = {}
    for name, columns in EXTENSION_TABLES.items():
        if name == "vocabulary":
            continue
        rows = [_row_value(r) for r in ctx.rows(f"servicemap_{name}")]
        out[name] = pd.DataFrame(rows, columns=columns) if rows else None
    for name in ("pathways", "partnerships"):
        frame = out[name]
        if frame is None:
            continue
        for column in TABLES[name].columns:
            if column.is_list or column.kind in {*NUMBER_KINDS, "yes_no"}:
                frame[column.name] = frame[column.name].map(partial(_read_as, column))
    times = out["travel_times"]
    if times is not None:
        times["minutes"] = times["minutes"].map(_number)
    return out


# -- 4. assembling -----------------------------------------------------------------------
def _warn(ctx: _Context, label: str) -> None:
    """Warn of the values kept in notes and of those matched by a guess, with counts."""
    if ctx.unmapped:
        n = len(ctx.unmapped)
        counts: dict[str, int] = {}
        for item in ctx.unmapped:
            counts[item["field"]] = counts.get(item["field"], 0) + 1
        listed = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))
        warnings.warn(
            f"{plural(n, 'HSDS value')} in {label} {'has' if n == 1 else 'have'} no "
            f"field in the map and {'was' if n == 1 else 'were'} kept in the notes of "
            f"their records: {listed}. smap.provenance['hsds_unmapped'] lists each.",
            HSDSWarning, stacklevel=user_stacklevel())
    if ctx.guesses:
        n = len(ctx.guesses)
        shown = "; ".join(ctx.guesses[:5]) + ("; ..." if n > 5 else "")
        warnings.warn(
            f"{plural(n, 'value')} in {label} {'was' if n == 1 else 'were'} matched by "
            f"name or shape: {shown}. Pass terms= to map taxonomy terms yourself; give "
            "service areas a GSS code in their uri.",
            HSDSWarning, stacklevel=user_stacklevel())


def _provenance(source: _Source, ctx: _Context) -> dict[str, Any]:
    """Return the provenance: ours as written or the directory's, and what was kept."""
    given = source.extension.get("provenance") if source.extension else None
    if given is not None and not isinstance(given, dict):
        raise InputError([Problem(source.label, "servicemap.provenance", "provenance",
                                  _text(given)[:80], "is not an object of text. Write the "
                                  "map's provenance as an object, or leave it out.",
                                  code="wrong_type")], source=source.label)
    provenance = dict(given or {}) if source.extension else {
        "name": f"HSDS directory {source.label}", "source": source.label,
        "format": f"Open Referral HSDS {HSDS_VERSION}"}
    if ctx.unmapped:
        provenance["hsds_unmapped"] = ctx.unmapped
    return provenance


def _assemble(source: _Source, ctx: _Context, areas: gpd.GeoDataFrame,
              organisations: _Table, services: _Table, sites: _Table, *,
              strict: bool) -> ServiceMap:
    """Build the map from the translated records, validating every row."""
    labels = {"organisations": organisations.labels, "services": services.labels,
              "sites": sites.labels}
    for name in ("pathways", "partnerships", "travel_times"):
        labels[name] = [r["_where"] for r in ctx.rows(f"servicemap_{name}")]
    return ServiceMap.from_frames(
        areas=areas,
        organisations=_frame(organisations.rows, ["id", *TABLES["organisations"].names]),
        services=_frame(services.rows, ["id", *TABLES["services"].names]),
        sites=_frame(sites.rows, list(dict.fromkeys(k for r in sites.rows for k in r))),
        **_extension_frames(ctx), vocabulary=ctx.vocab, provenance=_provenance(source, ctx),
        strict=strict, source=source.label, row_labels=labels)


def _frame(rows: _Rows, columns: list[str]) -> pd.DataFrame | None:
    if not rows:
        return None
    out = pd.DataFrame(rows, columns=columns)
    if "illustrative" in columns:
        out["illustrative"] = out["illustrative"].map(_truth)
    return out


# -- values ------------------------------------------------------------------------------
def _our_id(row: Mapping[str, Any]) -> Any:
    """Return a record's id in the map: ours if written by servicemap, else HSDS's."""
    return row.get("servicemap_id") or row.get("id")


def _group(rows: _Rows, key: str) -> dict[Any, _Rows]:
    """Return rows grouped by the value of one field, in order."""
    out: dict[Any, _Rows] = {}
    for r in rows:
        out.setdefault(r.get(key), []).append(r)
    return out


def _notes(notes: list[str], base: Any) -> str:
    """Return a record's notes: its own text, then a line per value kept."""
    text = "" if base is None else str(base)
    return "\n".join([text, *notes]) if notes and text else "\n".join(notes) or text


def _row_value(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _number(value: Any) -> Any:
    """Read a number, or return the value as it is for validation to report.

    Words, ``1_000``, infinity and yes or no are not numbers: they reach the record's
    validation unchanged, which names where they are.
    """
    if not present(value) or value == "":
        return None
    if isinstance(value, bool) or (isinstance(value, str) and "_" in value):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return value
    return number if np.isfinite(number) else value


def _truth(value: Any) -> Any:
    """Read yes or no by the one rule (:func:`~servicemap.model.read_yes_no`).

    Anything else is returned as it is, for the record's validation to report where it
    is, never taken as no.
    """
    if not present(value):
        return None
    try:
        return read_yes_no(value)
    except ValueError:
        return value


def _listed(value: Any) -> list[Any]:
    if not present(value) or value == "":
        return []
    if isinstance(value, list):
        return value
    return [part.strip() for part in str(value).split(";") if part.strip()]

"""Frames and lists of records read into validated records, and back into frames.

The map's builder (:meth:`servicemap.ServiceMap.from_frames`) hands each table here:
the rows are taken from a DataFrame or a list of records or mappings, each is validated
as its record (:mod:`servicemap.model`), and every problem is collected with a code of
:data:`~servicemap.errors.PROBLEM_CODES` rather than raised. Valid records become the
map's frames again, one column per field, lists as tuples. The areas, the sites' points
and the long travel-time table are checked here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pydantic import ValidationError

from servicemap.crs import WORKING_CRS, lonlat_to_working, to_working_crs
from servicemap.errors import InputError, Problem, did_you_mean
from servicemap.model import (
    BNG_EXTENT,
    Area,
    Record,
    Service,
    Site,
    problems_from_validation_error,
)
from servicemap.schema import CATCHMENT_COLUMNS, LIST_KINDS, TABLES, TRAVEL_TIME_COLUMNS
from servicemap.vocab import Vocabulary

SITE_COLUMNS = TABLES["sites"].names
#: The kind of each column of the record tables (a name has one kind in every table).
_KINDS = {c.name: c.kind for table in TABLES.values() for c in table.columns}
_CENTROID_COLUMNS = ("centroid_easting", "centroid_northing")


def ordered_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    rank = {"error": 0, "warning": 1, "note": 2}
    return tuple(sorted(problems, key=lambda p: rank.get(p.severity, 3)))


# -- reading frames into records ------------------------------------------------------
def unknown_columns(table: str, rows: list[dict[str, Any]],
                     fields: list[str]) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Report each column that is not a field, once, and leave it out of the rows."""
    seen = list(dict.fromkeys(k for row in rows for k in row))
    unknown = [c for c in seen if c not in fields]
    problems = [Problem(
        table, None, str(c), None,
        f"is not a field of table '{table}'.{did_you_mean(c, fields)} Rename or drop the "
        f"column, or put what it holds in 'notes'. Fields are: {', '.join(fields)}.",
        code="unknown_column") for c in unknown]
    if unknown:
        rows = [{k: v for k, v in row.items() if k not in unknown} for row in rows]
    return rows, problems


def as_records(
    table: str, data: Any, id_name: str = "id"
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Turn a frame or a list of records into a list of plain row dicts."""
    if data is None:
        return [], []
    if isinstance(data, pd.DataFrame):
        frame = data
        named_index = frame.index.name == id_name or (
            frame.index.name is None and not isinstance(frame.index, pd.RangeIndex))
        if id_name not in frame.columns and named_index:
            frame = frame.rename_axis(id_name).reset_index()
        return frame.to_dict("records"), []
    rows: list[dict[str, Any]] = []
    problems = []
    for i, item in enumerate(data):
        if isinstance(item, Record):
            rows.append(_flat(item))
        elif isinstance(item, Mapping):
            rows.append(dict(item))
        else:
            problems.append(Problem(table, i, None, None,
                                    f"is a {type(item).__name__}, not a record or a "
                                    "mapping of fields. Pass a DataFrame or a list of "
                                    "dicts.", code="wrong_type"))
    return rows, problems


def validate_rows(
    table: str,
    cls: type[Record],
    rows: list[dict[str, Any]],
    vocabulary: Vocabulary,
    notes: list[Problem],
    row_labels: Sequence[Any] | None,
    fields: list[str],
    id_name: str = "id",
    column_of: Any = None,
) -> tuple[list[Record | None], list[Problem]]:

    out: list[Record | None] = []
    problems: list[Problem] = []
    for i, row in enumerate(rows):
        label = row_labels[i] if row_labels is not None else i
        rid = row.get(id_name)
        rid = rid if isinstance(rid, str) else None
        data = dict(row)
        if cls is Service:
            catchment = {k: data.pop(k) for k in CATCHMENT_COLUMNS if k in data}
            data["catchment"] = catchment
        ctx = {"vocabulary": vocabulary, "notes": notes, "table": table, "row": label,
               "id": rid}
        try:
            out.append(cls.model_validate(data, context=ctx))
        except ValidationError as exc:
            problems.extend(problems_from_validation_error(
                exc, table, label, id=rid, fields=fields, column_of=column_of))
            out.append(None)
    return out, problems


def duplicate_ids(table: str, ids: list[Any], row_labels: Sequence[Any] | None,
                   field_name: str = "id") -> list[Problem]:
    seen: dict[Any, list[int]] = {}
    for i, value in enumerate(ids):
        if isinstance(value, str):
            seen.setdefault(value, []).append(i)
    problems = []
    for value, where in seen.items():
        if len(where) > 1:
            labels = [row_labels[i] if row_labels is not None else i for i in where]
            for i in where[1:]:
                label = row_labels[i] if row_labels is not None else i
                problems.append(Problem(
                    table, label, field_name, value,
                    f"is used by rows {', '.join(map(str, labels))}. Give each record "
                    "its own id.", id=value, code="duplicate_id"))
    return problems


def _flat(record: Record) -> dict[str, Any]:
    row = record.model_dump()
    if "catchment" in row:
        row.update({k: row["catchment"][k] for k in CATCHMENT_COLUMNS})
        del row["catchment"]
    return row


def records_frame(records: Sequence[Record], columns: list[str]) -> pd.DataFrame:

    rows = [_flat(r) for r in records]
    df = pd.DataFrame(rows, columns=["id", *columns]) if rows else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in ["id", *columns]})
    df = df.set_index("id")
    for col in columns:
        kind = _KINDS.get(col)
        if kind in LIST_KINDS:
            df[col] = pd.Series([tuple(v) for v in df[col]], index=df.index, dtype=object)
        elif kind == "number":
            df[col] = pd.to_numeric(df[col]).astype("float64")
        elif kind == "whole":
            df[col] = df[col].astype("Int64")
        elif col == "illustrative":
            df[col] = df[col].astype(bool)
        elif kind == "yes_no":  # yes, no or unknown
            df[col] = df[col].astype("boolean")
        else:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    return df


def _area_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Shape the areas frame's columns into Area records' fields."""
    parents = [c for c in frame.columns if c.endswith("_code") and c != "code"]
    pops = [c for c in frame.columns if c.startswith("pop_")]
    needs = [c for c in frame.columns if c.startswith("need_")]
    cols = {c: frame[c].tolist() for c in ["code", "name", "population", "imd_decile",
                                            *_CENTROID_COLUMNS, *parents, *pops, *needs]
            if c in frame}
    n = len(frame)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {"code": cols["code"][i] if "code" in cols else None,
                               "name": cols["name"][i] if "name" in cols else None}
        for key in ("population", "imd_decile", *_CENTROID_COLUMNS):
            if key in cols:
                row[key] = cols[key][i]
        row["parents"] = {p[:-5]: cols[p][i] for p in parents if not pd.isna(cols[p][i])}
        row["population_by_group"] = {p[4:]: cols[p][i] for p in pops
                                      if not pd.isna(cols[p][i])}
        row["needs"] = {c[5:]: cols[c][i] for c in needs if not pd.isna(cols[c][i])}
        rows.append(row)
    return rows


def _area_column(loc: tuple[str, ...]) -> str | None:
    """Name the areas frame's column behind an Area record's field."""
    prefixes = {"needs": "need_{}", "population_by_group": "pop_{}", "parents": "{}_code"}
    if len(loc) == 2 and loc[0] in prefixes:
        return prefixes[loc[0]].format(loc[1])
    return loc[-1] if loc else None


def _outside_great_britain(geom: np.ndarray, usable: np.ndarray, codes: list[Any],
                           row_labels: Sequence[Any] | None, crs: Any) -> list[Problem]:
    """Areas that lie outside British National Grid's extent, as sites are checked.

    Degrees labelled as metres (EPSG:27700) fall within a few hundred metres of the
    grid's origin, at sea off the Scillies; longitude and latitude given in the wrong
    order land far from Great Britain once reprojected. Either way the polygon cannot
    be a small area of Great Britain, so it is an error, not a map drawn elsewhere.
    """
    bounds = np.full((len(geom), 4), np.nan)
    if usable.any():
        bounds[usable] = shapely.bounds(geom[usable])
    x0, y0, x1, y1 = BNG_EXTENT
    tiny = usable & (np.abs(bounds[:, [0, 2]]).max(axis=1) <= 180) & (
        np.abs(bounds[:, [1, 3]]).max(axis=1) <= 90)
    outside = usable & ((bounds[:, 0] < x0) | (bounds[:, 2] > x1) | (bounds[:, 1] < y0)
                        | (bounds[:, 3] > y1))
    problems = []
    for i in map(int, np.flatnonzero(tiny | outside)):
        label = row_labels[i] if row_labels is not None else i
        b = ", ".join(f"{v:,.1f}" for v in bounds[i])
        if tiny[i]:
            msg = (f"spans {b} in EPSG:27700 (metres): these look like degrees of "
                   "longitude and latitude. If they are, the frame's CRS is wrong: use "
                   "areas.set_crs(4326, allow_override=True).")
        else:
            msg = (f"spans {b} in EPSG:27700, outside Great Britain's National Grid "
                   f"(0-700000, 0-1300000). Check the areas' CRS (given as {crs}) and "
                   "that longitude comes before latitude.")
        problems.append(Problem("areas", label, "geometry", None, msg,
                                id=codes[i] if isinstance(codes[i], str) else None,
                                code="bad_location"))
    return problems


def check_area_frame(
    areas: gpd.GeoDataFrame, vocabulary: Vocabulary, notes: list[Problem],
    row_labels: Sequence[Any] | None,
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:

    if not isinstance(areas, gpd.GeoDataFrame):
        return None, [Problem("areas", None, None, None,
                              f"is a {type(areas).__name__}; pass a GeoDataFrame of "
                              "area polygons with a CRS.", code="wrong_type")]
    given_crs = areas.crs
    areas = to_working_crs(areas, "areas")
    frame = areas
    if "code" not in frame.columns:
        if frame.index.name == "code":
            frame = frame.reset_index()
        else:
            return None, [Problem(
                "areas", None, "code", None,
                "is missing: areas need a 'code' column (or index) of area codes such "
                f"as LSOA codes. Columns are: {', '.join(map(str, frame.columns))}.",
                code="missing_column")]
    problems: list[Problem] = []
    if "name" not in frame.columns:
        problems.append(Problem("areas", None, "name", None,
                                "is missing: areas need a 'name' column.",
                                code="missing_column"))
        return None, problems
    problems = []
    for col in [c for c in frame.columns if str(c).startswith("need_")]:
        if vocabulary.match("need", col[5:]) != col[5:]:
            problems.append(Problem(
                "areas", None, col, None,
                f"is not a need column: {vocabulary.unknown_message('need', col[5:])} "
                "Rename the column to need_<term>, or declare the need.",
                code="unknown_term"))
    if problems:
        return None, problems
    rows = _area_rows(pd.DataFrame(frame.drop(columns=frame.geometry.name)))
    fields = ["code", "name", "<level>_code", "population", "pop_<group>",
              "need_<need>", "imd_decile", *_CENTROID_COLUMNS]
    records, problems = validate_rows("areas", Area, rows, vocabulary, notes,
                                       row_labels, fields, id_name="code",
                                       column_of=_area_column)
    problems += duplicate_ids("areas", frame["code"].tolist(), row_labels, "code")
    geom = frame.geometry.values
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    kinds = shapely.get_type_id(geom)
    polygonal = np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    valid = shapely.is_valid(geom)
    codes = frame["code"].tolist()
    for i in map(int, np.flatnonzero(missing | ~polygonal | ~valid)):
        label = row_labels[i] if row_labels is not None else i
        rid = codes[i] if isinstance(codes[i], str) else None
        if missing[i]:
            msg = "is empty. Every area needs its polygon."
            value = None
        elif not polygonal[i]:
            msg = (f"is a {geom[i].geom_type}, not a "
                   "polygon. Areas must be polygons or multipolygons.")
            value = None
        else:
            reason = shapely.is_valid_reason(geom[i])
            msg = (f"is not a valid polygon ({reason}). Repair it, for example with "
                   "shapely.make_valid, and check the result; servicemap does not "
                   "change geometry itself.")
            value = None
        problems.append(Problem("areas", label, "geometry", value, msg, id=rid,
                                code="bad_geometry"))
    problems += _outside_great_britain(geom, ~(missing | ~polygonal | ~valid), codes,
                                       row_labels, given_crs)
    if problems:
        return None, problems
    out = frame.set_index("code")
    areas_read = [r for r in records if isinstance(r, Area)]
    for c in out.columns:  # the numbers as validated: blank text is unknown (NaN)
        if c in ("population", *_CENTROID_COLUMNS):
            values = [getattr(r, c) for r in areas_read]
        elif c.startswith("pop_"):
            values = [r.population_by_group.get(c[4:]) for r in areas_read]
        elif c.startswith("need_"):
            values = [r.needs.get(c[5:]) for r in areas_read]
        else:
            continue
        out[c] = pd.array([np.nan if v is None else v for v in values], dtype="float64")
    del records
    return out, []


def site_frame(
    built: Sequence[Record], notes: list[Problem], row_labels: Sequence[Any] | None,
) -> gpd.GeoDataFrame:
    """Return the sites' frame with their points; lon/lat converted, with a note each."""
    records = [r for r in built if isinstance(r, Site)]
    df = records_frame(records, SITE_COLUMNS)
    n = len(records)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    lonlat = [i for i, r in enumerate(records) if r.lon is not None]
    for i, r in enumerate(records):
        if r.easting is not None:
            x[i], y[i] = r.easting, r.northing
    if lonlat:
        idx = np.array(lonlat)
        e, nn, note = lonlat_to_working([records[i].lon for i in lonlat],
                                        [records[i].lat for i in lonlat])
        x[idx], y[idx] = e, nn
        for i in lonlat:
            label = row_labels[i] if row_labels is not None else i
            notes.append(Problem("sites", label, "lon", records[i].lon,
                                 f"and lat {records[i].lat} were converted to easting "
                                 f"{x[i]:.0f}, northing {y[i]:.0f} (EPSG:27700). "
                                 + note, severity="note", id=records[i].id,
                                 code="normalised"))
    points = shapely.points(x, y)
    points = np.where(np.isnan(x), None, points)
    return gpd.GeoDataFrame(df, geometry=list(points), crs=WORKING_CRS)


def sites_input(sites: Any) -> Any:
    """Take easting/northing from a GeoDataFrame of sites' points."""
    if not isinstance(sites, gpd.GeoDataFrame):
        return sites
    sites = to_working_crs(sites, "sites")
    geom = sites.geometry.values
    empty = shapely.is_empty(geom)  # an empty point is no location, as a missing one
    is_point = (shapely.get_type_id(geom) == 0) & ~empty
    frame = pd.DataFrame(sites.drop(columns=sites.geometry.name))
    located = np.where(is_point, geom, None)
    x = np.where(is_point, shapely.get_x(located), np.nan)
    y = np.where(is_point, shapely.get_y(located), np.nan)
    if ("easting" in frame or "northing" in frame or "lon" in frame
            or "lat" in frame):
        msg = ("sites is a GeoDataFrame and also has easting/northing or lon/lat "
               "columns. Give the location once: drop the columns or the geometry.")
        raise InputError([Problem("sites", None, "geometry", None, msg,
                                  code="conflicting_values")])
    frame["easting"] = pd.Series(x, index=frame.index, dtype=object).where(~np.isnan(x), None)
    frame["northing"] = pd.Series(y, index=frame.index, dtype=object).where(~np.isnan(y), None)
    others = np.where(is_point | shapely.is_missing(geom) | empty, None, geom)
    if any(g is not None for g in others):
        bad = [i for i, g in enumerate(others) if g is not None]
        raise InputError([Problem("sites", i, "geometry", None,
                                  "is not a point. Give each site as a point.",
                                  code="bad_geometry") for i in bad])
    return frame


_MAX_REPORTED = 20  # problems of one kind in a long table, before summarising the rest


def travel_time_frame(
    table: Any, area_codes: Sequence[str] | None, site_ids: Sequence[str],
    row_labels: Sequence[Any] | None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a long travel-time table (area, site, minutes); every problem is returned.

    ``area_codes`` is None when the areas themselves are wrong: codes are then not
    checked, since the areas' own problems come first.
    """
    empty = pd.DataFrame({"area": pd.Series([], dtype=str), "site": pd.Series([], dtype=str),
                          "minutes": pd.Series([], dtype="float64")})
    if table is None:
        return empty, []
    if not isinstance(table, pd.DataFrame):
        return empty, [Problem("travel_times", None, None, None,
                               f"is a {type(table).__name__}; pass a DataFrame with "
                               "columns area, site and minutes.", code="wrong_type")]
    missing = [c for c in TRAVEL_TIME_COLUMNS if c not in table.columns]
    if missing:
        return empty, [Problem(
            "travel_times", None, c, None,
            f"is missing. A travel-time table has one row per area and site with columns "
            f"area, site and minutes; its columns are: "
            f"{', '.join(map(str, table.columns)) or '(none)'}. Rename them, for example "
            "table.rename(columns={'origin': 'area', 'destination': 'site', "
            "'cost': 'minutes'}).", code="missing_column") for c in missing]
    problems: list[Problem] = []
    extra = [str(c) for c in table.columns if c not in TRAVEL_TIME_COLUMNS]
    if extra:
        problems.append(Problem("travel_times", None, extra[0], None,
                                f"is not a column of a travel-time table (unknown: "
                                f"{', '.join(extra)}). Keep area, site and minutes only.",
                                code="unknown_column"))
    labels = list(row_labels) if row_labels is not None else list(range(len(table)))
    area = table["area"].to_numpy(dtype=object)
    site = table["site"].to_numpy(dtype=object)
    raw = table["minutes"].to_numpy(dtype=object)
    minutes = pd.to_numeric(table["minutes"], errors="coerce").to_numpy(dtype=float)

    def report(mask: np.ndarray, field_name: str, values: np.ndarray,
               text: Callable[[int], str], code: str, ref_table: str | None = None,
               ) -> None:
        where = np.flatnonzero(mask)
        for i in where[:_MAX_REPORTED]:
            ref = str(values[i]) if ref_table is not None else None
            problems.append(Problem("travel_times", labels[i], field_name, values[i],
                                    text(i), code=code, ref_table=ref_table, ref_id=ref))
        if len(where) > _MAX_REPORTED:
            problems.append(Problem(
                "travel_times", None, field_name, None,
                f"is wrong in {len(where) - _MAX_REPORTED} more rows like the ones above "
                f"({len(where)} in all).", code=code, ref_table=ref_table))

    known_areas, known_sites = set(area_codes or ()), set(site_ids)
    report(np.array([area_codes is not None and a not in known_areas for a in area],
                    dtype=bool), "area", area,
           lambda i: f"is not an area of the map.{did_you_mean(area[i], known_areas)} Use "
                     "the areas' codes, or drop rows for areas outside the map.",
           "unknown_reference", "areas")
    report(np.array([t not in known_sites for t in site], dtype=bool), "site", site,
           lambda i: f"is not a site of the map.{did_you_mean(site[i], site_ids)} Use "
                     "the sites' ids.", "unknown_reference", "sites")
    report(np.isnan(minutes), "minutes", raw,
           lambda _: "is not a number of minutes. Write a plain number such as 25; leave "
                     "out pairs that cannot be travelled (a missing pair is unreachable).",
           "not_a_number")
    report(minutes < 0, "minutes", raw, lambda _: "is negative. Travel times are 0 or more.",
           "out_of_range")
    keys = pd.Series(list(zip(area, site, strict=True)), dtype=object)
    dup = keys.duplicated(keep="first").to_numpy()
    if dup.any():
        first_row = {k: labels[i] for i, k in reversed(list(enumerate(keys)))}
        report(dup, "site", site,
               lambda i: f"repeats the pair of area {area[i]!r} and this site, given in "
                         f"row {first_row[keys[i]]}. Give each pair once.", "duplicate_row")
    if problems:
        return empty, problems
    out = pd.DataFrame({"area": pd.array(area, dtype=str), "site": pd.array(site, dtype=str),
                        "minutes": minutes})
    # one order whatever the input's, so that maps with the same times are equal
    return out.sort_values(["area", "site"], ignore_index=True), []



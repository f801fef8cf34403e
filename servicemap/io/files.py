"""A whole map in one GeoPackage, and single layers as GeoJSON or GeoParquet.

:func:`write_file` (``smap.to_file``) and :func:`read_file` (``sm.read_file``) store a
whole :class:`~servicemap.ServiceMap` in one GeoPackage and read it back equal
(:meth:`ServiceMap.equals`): every record, the areas with all their columns and dtypes,
the travel times, the vocabulary and the provenance.

===========================  ======================================================
layer                        what it holds
===========================  ======================================================
``areas``                    polygons, one row per area; ``code`` and every column
``sites``                    points (none for phone and online sites)
``services``, ``pathways``,  attribute tables (no geometry), one row per record
``organisations``,
``partnerships``
``travel_times``             ``area``, ``site``, ``minutes``
``vocabulary``               every term: ``category``, ``term``, ``label``,
                             ``description``, ``declared``
``servicemap_metadata``      ``key``, ``value``: the format and its version, the CRS,
                             the provenance and the columns' dtypes, as JSON
===========================  ======================================================

List fields (``needs``, ``services`` of a site, ...) are stored as JSON arrays of text,
so any text in them comes back exactly; opening hours as the text they were read from.

A single layer, ``areas`` or ``sites``, can also be written on its own, in the format
the file's suffix names: ``.gpkg``, ``.geojson`` (or ``.json``, in EPSG:4326 as RFC 7946
requires) or ``.parquet`` (GeoParquet, which needs pyarrow:
``pip install 'servicemap[parquet]'``). Lists are then written as text separated by
``"; "``, as a spreadsheet cell holds them.

Examples
--------
>>> import tempfile, pathlib
>>> smap = sm.datasets.bedfordshire()
>>> with tempfile.TemporaryDirectory() as d:
...     path = smap.to_file(pathlib.Path(d) / "bedfordshire.gpkg")
...     back = sm.read_file(path)
>>> back.equals(smap)
True
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import shapely

from servicemap._version import __version__
from servicemap.errors import InputError, Problem, did_you_mean
from servicemap.schema import TABLES, area_schema, restore_areas
from servicemap.servicemap import ServiceMap
from servicemap.vocab import Term, Vocabulary

__all__ = ["FORMAT_VERSION", "LAYERS", "read_file", "write_file"]

#: The version of the GeoPackage layout written by :func:`write_file`.
FORMAT_VERSION = 1
FORMAT = "servicemap"
METADATA_LAYER = "servicemap_metadata"
#: The layers of a map's GeoPackage, in the order they are written.
LAYERS = ("areas", "sites", "services", "pathways", "organisations", "partnerships",
          "travel_times", "vocabulary", METADATA_LAYER)
_RECORD_TABLES = ("services", "sites", "pathways", "organisations", "partnerships")
_SUFFIXES = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson",
             ".parquet": "parquet", ".geoparquet": "parquet"}
_EXPORT_LAYERS = ("areas", "sites")


# -- writing ---------------------------------------------------------------------------
def write_file(smap: ServiceMap, path: str | os.PathLike[str], *,
               layer: str | None = None) -> Path:
    """Write a whole map to a GeoPackage, or one layer to GeoPackage, GeoJSON or GeoParquet.

    Parameters
    ----------
    smap : ServiceMap
        The map to write.
    path : str or path-like
        The file. Its suffix says the format: ``.gpkg``, ``.geojson`` (or ``.json``)
        or ``.parquet``.
    layer : {"areas", "sites"}, optional
        Write only this layer. Without it, the whole map is written, which only a
        GeoPackage can hold; an existing file of that name is replaced. With it, a
        GeoPackage gains (or has replaced) that one layer, and GeoJSON or GeoParquet
        files are written whole.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ValueError
        If the suffix is not a known format, the layer is unknown, or a whole map is
        asked of GeoJSON or GeoParquet.
    ImportError
        If GeoParquet is asked for and pyarrow is not installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> smap = sm.datasets.bedfordshire()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     whole = write_file(smap, pathlib.Path(d) / "map.gpkg")
    ...     areas = write_file(smap, pathlib.Path(d) / "areas.geojson", layer="areas")
    ...     print(whole.name, areas.name, len(gpd.read_file(areas)))
    map.gpkg areas.geojson 381
    """
    path = Path(path)
    kind = _format_of(path)
    if layer is None:
        if kind != "gpkg":
            msg = (f"{path.name!r}: a whole map can only be written to a GeoPackage "
                   "(.gpkg). Name a .gpkg file, or pass layer='areas' or layer='sites' "
                   f"to write one layer as {kind}.")
            raise ValueError(msg)
        return _write_map(smap, path)
    if layer not in _EXPORT_LAYERS:
        msg = (f"layer {layer!r} cannot be written on its own. Use one of: "
               f"{', '.join(_EXPORT_LAYERS)}; or leave layer out to write the whole map "
               "to a GeoPackage.")
        raise ValueError(msg)
    frame = export_frame(smap, layer)
    if kind == "gpkg":
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    elif kind == "geojson":
        if path.exists():
            path.unlink()
        frame.to_crs(4326).to_file(path, driver="GeoJSON", engine="pyogrio")
    else:
        _require_pyarrow()
        frame.to_parquet(path)
    return path


def _format_of(path: Path) -> str:
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        msg = (f"{path.name!r}: servicemap writes {', '.join(sorted(_SUFFIXES))} files; "
               f"{path.suffix or 'no suffix'!r} is none of them. Name the file with one.")
        raise ValueError(msg)
    return kind


def _require_pyarrow() -> None:
    if find_spec("pyarrow") is None:
        msg = ("writing GeoParquet needs pyarrow, which is not installed: "
               "pip install 'servicemap[parquet]' (or pip install pyarrow). GeoPackage "
               "(.gpkg) and GeoJSON (.geojson) need nothing more.")
        raise ImportError(msg)


def export_frame(smap: ServiceMap, layer: str) -> Any:
    """Return a layer as a GeoDataFrame to export: the id as a column, lists as text.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    layer : {"areas", "sites"}
        Which layer.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:27700, with ``code`` (areas) or ``id`` (sites) as the first column and
        list fields joined by ``"; "``.

    Examples
    --------
    >>> export_frame(sm.datasets.bedfordshire(), "sites")["services"].iloc[0]
    'bcb-adult-hub; bcb-laib; beds-naloxone'
    """
    frame = getattr(smap, layer).reset_index()
    for col in frame.columns:
        if frame[col].dtype == object and frame[col].map(
                lambda v: isinstance(v, tuple)).any():
            frame[col] = frame[col].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, tuple) else v)
    return frame


def _list_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if frame[c].dtype == object
            and frame[c].map(lambda v: isinstance(v, tuple)).any()]


def _encode_lists(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = [json.dumps(list(v), ensure_ascii=False) if isinstance(v, tuple)
                    else None for v in out[col]]
    return out


def _write_map(smap: ServiceMap, path: Path) -> Path:


    try:
        provenance = json.dumps(smap.provenance, ensure_ascii=False, sort_keys=True)
    except TypeError as exc:
        msg = (f"the map's provenance cannot be stored as JSON ({exc}). Keep to text, "
               "numbers, lists and dicts in provenance.")
        raise ValueError(msg) from None
    tables: dict[str, Any] = {"areas": smap.areas.reset_index()}
    schema: dict[str, Any] = {}
    for name in _RECORD_TABLES:
        frame = getattr(smap, name)
        lists = sorted(set(_list_columns(frame)) | _declared_lists(name))
        schema[name] = {"lists": [c for c in lists if c in frame.columns]}
        tables[name] = _encode_lists(frame.reset_index(), schema[name]["lists"])
    tables["travel_times"] = smap.travel_times
    vocab = smap.vocabulary.to_frame()
    tables["vocabulary"] = vocab
    schema["areas"] = area_schema(smap.areas)
    meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION),
            "servicemap_version": __version__, "crs": "EPSG:27700",
            "provenance": provenance, "schema": json.dumps(schema, sort_keys=True)}
    tables[METADATA_LAYER] = pd.DataFrame({"key": list(meta), "value": list(meta.values())})

    path.parent.mkdir(parents=True, exist_ok=True)
    # write next to the target and move into place, so a failure leaves no half file
    fd, tmp_name = tempfile.mkstemp(suffix=".gpkg", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        for name in LAYERS:
            frame = tables[name]
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _declared_lists(table: str) -> set[str]:
    return set(TABLES[table].list_columns)


# -- reading ---------------------------------------------------------------------------
def read_file(path: str | os.PathLike[str], *, strict: bool = True) -> ServiceMap:
    """Read a whole map from a GeoPackage written by :meth:`ServiceMap.to_file`.

    Every row is validated again, as by :meth:`ServiceMap.from_frames`, so a file edited
    by hand (in QGIS, say) cannot hold a record the model does not accept.

    Parameters
    ----------
    path : str or path-like
        The ``.gpkg`` file.
    strict : bool, default True
        As for :meth:`ServiceMap.from_frames`: raise when records contradict each
        other; with ``False`` the map is built and ``smap.validate()`` lists them.

    Returns
    -------
    ServiceMap
        Equal to the map written (:meth:`ServiceMap.equals`).

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    InputError
        If the file is not a servicemap GeoPackage (the message names the missing
        layer), or a row does not validate (naming the layer, row and field).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> smap = sm.datasets.bedfordshire()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     back = read_file(smap.to_file(pathlib.Path(d) / "map.gpkg"))
    >>> back.equals(smap), len(back.services)
    (True, 40)
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{str(path)!r} does not exist. Write a map with smap.to_file('map.gpkg')."
        raise FileNotFoundError(msg)
    try:
        present = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise _not_ours(path, None, f"it cannot be opened as a GeoPackage ({exc})") from None
    for name in LAYERS:
        if name not in present:
            raise _not_ours(path, name, f"it has no layer {name!r}{did_you_mean(name, present)}"
                            f" (its layers: {', '.join(present) or 'none'})")
    meta = _metadata(path)
    schema = meta["schema"]
    areas = restore_areas(_layer(path, "areas", geometry=True), schema["areas"],
                          lenient=True)
    problems = _text_in_numbers(path)
    tables: dict[str, Any] = {}
    for name in _RECORD_TABLES:
        frame = _layer(path, name, geometry=name == "sites")
        for col in schema[name]["lists"]:
            if col not in frame:
                continue  # validation names the missing column
            frame[col] = [_decode_list(v, name, i, col, path)
                          for i, v in enumerate(frame[col])]
        tables[name] = frame
    if problems:
        raise InputError(problems, source=path.name)
    times = _layer(path, "travel_times", geometry=False)
    terms = _layer(path, "vocabulary", geometry=False)
    by_category: dict[str, dict[str, Term]] = {}
    try:
        for row in terms.itertuples(index=False):
            by_category.setdefault(str(row.category), {})[str(row.term)] = Term(
                str(row.term), str(row.label),
                "" if pd.isna(row.description) else str(row.description),
                bool(row.declared))
    except AttributeError as exc:
        raise _not_ours(path, "vocabulary", f"its vocabulary layer lacks a column "
                        f"({exc})") from None
    if len(times):
        times = times.astype({c: str for c in ("area", "site") if c in times})
    return ServiceMap.from_frames(
        areas=areas, **tables, travel_times=times if len(times) else None,
        vocabulary=Vocabulary(by_category), provenance=meta["provenance"],
        strict=strict, source=path.name)


def _metadata(path: Path) -> dict[str, Any]:
    """Return the file's metadata, format and version checked, JSON parts parsed."""
    frame = _layer(path, METADATA_LAYER, geometry=False)
    if not {"key", "value"} <= set(frame.columns):
        raise _not_ours(path, METADATA_LAYER, "its metadata has no key and value columns")
    meta = dict(zip(frame["key"], frame["value"], strict=True))
    if meta.get("format") != FORMAT:
        raise _not_ours(path, METADATA_LAYER, "its metadata does not name the servicemap "
                        "format")
    try:
        version = int(meta.get("format_version", 0))
    except (TypeError, ValueError):
        raise _damaged(path, "format_version", meta.get("format_version"),
                       "is not a whole number") from None
    if version > FORMAT_VERSION:
        msg = (f"{path.name!r} was written in servicemap GeoPackage format {version}, newer "
               f"than this servicemap reads ({FORMAT_VERSION}). Upgrade servicemap.")
        raise InputError([Problem(METADATA_LAYER, None, "format_version", version, msg)],
                         source=path.name)
    out: dict[str, Any] = {}
    for key, shape in (("schema", dict), ("provenance", dict)):
        try:
            out[key] = json.loads(meta[key])
        except KeyError:
            raise _damaged(path, key, None, "is missing") from None
        except (TypeError, ValueError):
            raise _damaged(path, key, meta[key], "is not valid JSON") from None
        if not isinstance(out[key], shape):
            raise _damaged(path, key, meta[key], "is not a JSON object")
    schema = out["schema"]
    for table in ("areas", *_RECORD_TABLES):
        part = schema.get(table)
        if not isinstance(part, dict) or (table != "areas" and not isinstance(
                part.get("lists"), list)) or (table == "areas" and not (
                isinstance(part.get("dtypes"), dict) and isinstance(
                    part.get("columns"), list) and isinstance(part.get("index"), str)
                and isinstance(part.get("geometry"), str))):
            raise _damaged(path, "schema", table, f"does not describe the {table} table")
    return out


def _damaged(path: Path, key: str, value: Any, what: str) -> InputError:
    """Say that the metadata's ``key`` is damaged, and how to recover."""
    msg = (f"{what}, so the file's tables cannot be read back. The metadata layer was "
           "edited or damaged: write the map again with smap.to_file, or restore the "
           "file from a copy.")
    return InputError([Problem(METADATA_LAYER, key, "value", None if value is None
                               else str(value)[:80], msg, code="unreadable")],
                      source=path.name)


def _layer(path: Path, layer: str, *, geometry: bool) -> Any:
    """Read one layer; a layer that cannot be read is one error naming it."""
    try:
        return pyogrio.read_dataframe(path, layer=layer, read_geometry=geometry)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.GeometryError,
            shapely.errors.ShapelyError, UnicodeDecodeError, ValueError) as exc:
        raise _not_ours(path, layer, f"its layer {layer!r} cannot be read "
                        f"({type(exc).__name__}: {str(exc)[:120]})") from None


def _text_in_numbers(path: Path) -> list[Problem]:
    """Return text stored in a column of numbers, which GDAL would read as 0.

    A GeoPackage is SQLite, whose columns hold any type: an edit can leave words in a
    column declared as numbers. Such cells are found by their stored type, never read
    as a number.
    """
    problems: list[Problem] = []
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        con = sqlite3.connect(uri, uri=True)
    except sqlite3.Error:
        return problems
    try:
        for layer in ("areas", *_RECORD_TABLES, "travel_times"):
            info = con.execute(f'PRAGMA table_info("{layer}")').fetchall()
            key = next((c[1] for c in info if c[1] in ("id", "code")), None)
            for column, kind in ((c[1], str(c[2]).upper()) for c in info):
                if kind in {"TEXT", ""} or kind.startswith("TEXT("):
                    found = con.execute(
                        f'SELECT "{key or "fid"}", "{column}" FROM "{layer}" '
                        f'WHERE instr("{column}", char(0)) > 0 LIMIT 20').fetchall()
                    problems += [Problem(
                        layer, str(rid), column, str(value).replace("\x00", "\\0"),
                        "holds a NUL character, where a GeoPackage reader stops reading "
                        "the text. Remove it.", code="unreadable") for rid, value in found]
                if column == "fid" or kind not in {
                        "REAL", "INTEGER", "DOUBLE", "FLOAT", "MEDIUMINT", "SMALLINT",
                        "TINYINT", "BOOLEAN"}:
                    continue
                odd = (f' OR "{column}" NOT IN (0, 1)' if kind == "BOOLEAN" else
                       f' OR "{column}" <> CAST("{column}" AS INTEGER)' if kind in {
                           "INTEGER", "MEDIUMINT", "SMALLINT", "TINYINT"} else "")
                found = con.execute(
                    f'SELECT "{key or "fid"}", "{column}" FROM "{layer}" '
                    f'WHERE typeof("{column}") = \'text\'{odd} LIMIT 20').fetchall()
                problems += [Problem(
                    layer, str(rid), column, value, "is not what the column holds (a "
                    "number, a whole number, or yes and no stored as 1 and 0); read as "
                    "one it would silently become another value (0, a rounded number or "
                    "yes). Write such a value, or leave it empty if unknown.",
                    code="not_a_number") for rid, value in found]
    except sqlite3.Error:
        return problems  # not SQLite as written: the layer readers say what is wrong
    finally:
        con.close()
    return problems


def _decode_list(value: Any, table: str, row: int, column: str, path: Path) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ()
    try:
        items = json.loads(value)
    except (TypeError, ValueError):
        items = None
    if not isinstance(items, list):
        msg = ("is not a JSON list of text such as '[\"drug\", \"alcohol\"]'. Write the "
               "list in that form.")
        raise InputError([Problem(table, row, column, value, msg)], source=path.name)
    return tuple(items)


def _not_ours(path: Path, layer: str | None, why: str) -> InputError:
    msg = (f"is not a servicemap GeoPackage: {why}. Make one with "
           "smap.to_file('map.gpkg'); to build a map from other layers, read them with "
           "geopandas and pass them to sm.ServiceMap.from_frames.")
    return InputError([Problem(layer or "file", None, None, None, msg)], source=path.name)

"""Seeded fuzzing of every reader: a corrupted input must give a map or one InputError.

Run ``python benchmarks/fuzz_readers.py`` (``--per-reader 1000 --seed 0``; ``--reader
NAME`` for one reader; ``--show N`` to list the first N crashes and silent changes).

Each reader starts from a small valid map (the 3 x 3 grid of 1 km squares with a
council, a partnership, two services, their sites and two pathways, every table filled
in) written by the library, applies one seeded corruption and reads the result. The
readers: the workbook as ``.xlsx`` and as a folder of CSV files, ``servicemap
validate`` at the command line, the HSDS data package (CSV) and its JSON, the
GeoPackage read by ``read_file``, and ``ServiceMap.from_frames`` given edited frames.

Corruptions: cell edits (random text, numbers, blanks, formula-like text, ``inf``,
``nan``, ``1_000``, booleans, long or non-ASCII text), deleted, renamed or duplicated
tables, deleted or duplicated rows, renamed headers, dangling references, byte flips and
truncation of the file, re-encoding (cp1252, UTF-16), JSON values of the wrong type or
depth, data package paths outside the folder, and edited geometry (empty points, swapped
longitude and latitude, degrees under British National Grid).

Each input is classified:

read
    A map was read, and every difference from the uncorrupted map is either the edit
    read faithfully (the cell's text, number, list or yes/no value, or a row deleted)
    or reported: the map's notes or a warning raised while reading name the table.
InputError with location
    One :class:`servicemap.InputError` whose every problem names a row or a field.
InputError at file level
    An InputError naming the file or table only (right for a file that cannot be
    opened at all).
crash
    Any other exception (its type and the corruption are listed).
silent
    A map was read that differs from the uncorrupted one where nothing reports it:
    a row lost or added, a value other than the one written, a value changed that
    was not edited.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import random
import shutil
import sqlite3
import tempfile
import traceback
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import shapely

import servicemap as sm
from servicemap.model import NO_WORDS, YES_WORDS

X0, Y0 = 500_000, 240_000
ANY = object()  # any reading is faithful
OUTCOMES = ("read", "located", "file_level", "crash", "silent")
TABLES = ("organisations", "partnerships", "services", "sites", "pathways")


# -- the base map ----------------------------------------------------------------------
def grid_areas() -> gpd.GeoDataFrame:
    """Nine 1 km squares in British National Grid, two councils."""
    rows = []
    for j in range(3):
        for i in range(3):
            k = j * 3 + i + 1
            rows.append({"code": f"E01{k:06d}", "name": f"Square {k}",
                         "lad_code": "E06000001" if i < 2 else "E06000002",
                         "population": 1000.0 + 100 * k, "need_drug": 10.0 + k,
                         "imd_decile": 1 + k % 10,
                         "geometry": shapely.box(X0 + i * 1000, Y0 + j * 1000,
                                                 X0 + (i + 1) * 1000, Y0 + (j + 1) * 1000)})
    return gpd.GeoDataFrame(rows, crs=27700)


def base_tables() -> dict[str, pd.DataFrame]:
    """The records of the base map, every table filled in."""
    return {
        "organisations": pd.DataFrame([
            {"id": "C1", "name": "Council One", "kind": "local_authority"},
            {"id": "POL", "name": "Police", "kind": "police"},
            {"id": "TP", "name": "Treatment Provider", "kind": "voluntary"}]),
        "partnerships": pd.DataFrame([
            {"id": "DAP", "name": "Drug and Alcohol Partnership",
             "kind": "drug_alcohol_partnership", "members": "C1; POL",
             "footprint": "E06000001; E06000002"}]),
        "services": pd.DataFrame([
            {"id": "HUB", "name": "Treatment hub", "provider": "TP",
             "commissioners": "DAP", "needs": "drug; alcohol", "client_groups": "adults",
             "min_age": 18, "hours": "Mon-Fri 09:00-17:00", "capacity": 100,
             "capacity_unit": "places", "footprint": "E06000001", "max_distance": 1500},
            {"id": "OUT", "name": "Outreach", "provider": "TP", "commissioners": "C1",
             "needs": "drug", "client_groups": "adults; rough_sleepers",
             "hours": "24/7", "reach": "none"}]),
        "sites": pd.DataFrame([
            {"id": "HUB-1", "name": "Hub building", "services": "HUB",
             "easting": X0 + 500, "northing": Y0 + 500},
            {"id": "OUT-1", "name": "Outreach phone", "services": "OUT", "mode": "phone"}]),
        "pathways": pd.DataFrame([
            {"id": "P1", "from_entry": "police_vulnerable_persons", "to_service": "HUB",
             "consent_basis": "public_task", "information_sharing_agreement": "yes",
             "wait_days": 3, "volume_per_year": 120},
            {"id": "P2", "from_service": "OUT", "to_service": "HUB",
             "consent_basis": "explicit_consent"}]),
    }


def base_map() -> sm.ServiceMap:
    return sm.ServiceMap.from_frames(areas=grid_areas(), **base_tables())


# -- corrupted values ------------------------------------------------------------------
def random_value(rng: random.Random) -> Any:
    """A value a careless or hostile edit might leave in a cell."""
    choices: list[Callable[[], Any]] = [
        lambda: "", lambda: " ", lambda: None, lambda: "x", lambda: "NaN",
        lambda: "inf", lambda: "-inf", lambda: "1_000", lambda: "1e400", lambda: "-5",
        lambda: "0", lambda: "3.5", lambda: "TRUE", lambda: "maybe", lambda: "yes",
        lambda: "=1+1", lambda: "=HYPERLINK(\"x\")", lambda: "@SUM(A1)",
        lambda: "a\rb", lambda: "a\nb", lambda: "é" * 5, lambda: "x" * 5000,
        lambda: "drug, alcohol", lambda: "HUB; HUB", lambda: "E06000001",
        lambda: "E01000001", lambda: "Mon-Fri 25:00-26:00", lambda: "\x00\x01",
        lambda: rng.choice([0, -1, 1, 10**12, 3.25, float("nan"), float("inf")]),
        lambda: rng.choice([True, False]),
    ]
    return rng.choice(choices)()


def flip_bytes(path: Path, rng: random.Random) -> str:
    data = bytearray(path.read_bytes())
    if not data:
        return "empty file"
    n = rng.choice([1, 4, 64])
    for _ in range(n):
        data[rng.randrange(len(data))] = rng.randrange(256)
    path.write_bytes(bytes(data))
    return f"{n} bytes flipped in {path.name}"


def truncate(path: Path, rng: random.Random) -> str:
    data = path.read_bytes()
    cut = rng.randrange(len(data) + 1)
    path.write_bytes(data[:cut])
    return f"{path.name} truncated to {cut} of {len(data)} bytes"


# -- comparing a read map with the base --------------------------------------------------
def canon(value: Any) -> Any:
    """A value in a form where equal readings compare equal."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return tuple(canon(v) for v in value) or None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return None if isinstance(value, float) and math.isnan(value) else float(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    text = str(value).strip().replace("\r\n", "\n").replace("\r", "\n")
    return text or None


def written_as(value: Any) -> set[Any]:
    """The readings that are faithful to a written value."""
    out = {canon(value)}
    if isinstance(value, (bool, np.bool_)):
        out.add(str(int(value)))  # stored as 0 or 1 where text belongs
    elif isinstance(value, (int, float)):
        out.add(str(value))  # a number where text belongs is read as its text
    if canon(value) is None:
        return {ANY}  # an emptied cell means unknown, or the default
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES_WORDS:
            out.add(True)
        if word in NO_WORDS:
            out.add(False)
        parts = tuple(p.strip() for p in value.split(";") if p.strip())
        out.add(parts or None)
        out.add(parts[0] if len(parts) == 1 else None)
        with contextlib.suppress(ValueError):
            number = float(value.replace("_", "x"))
            out.add(None if math.isnan(number) else number)
    return out


def table_values(smap: sm.ServiceMap) -> dict[tuple[str, str, str], Any]:
    """(table, id, field) -> canonical value, for the record tables and the areas."""
    out: dict[tuple[str, str, str], Any] = {}
    for table in TABLES:
        frame = getattr(smap, table)
        for rid, row in frame.drop(columns="geometry", errors="ignore").iterrows():
            for column, value in row.items():
                out[(table, str(rid), str(column))] = canon(value)
        if table == "sites":
            for rid, geom in frame.geometry.items():
                out[(table, str(rid), "geometry")] = (
                    None if geom is None or geom.is_empty else
                    (round(geom.x, 3), round(geom.y, 3)))
    areas = smap.areas
    for rid, row in areas.drop(columns="geometry").iterrows():
        for column, value in row.items():
            out[("areas", str(rid), str(column))] = canon(value)
    for rid, geom in areas.geometry.items():
        out[("areas", str(rid), "geometry")] = tuple(round(b) for b in geom.bounds)
    return out


def same_hours(a: Any, b: Any) -> bool:
    """Whether two texts of opening hours give the same week."""
    try:
        return (a is not None and b is not None
                and sm.parse_hours(a).intervals == sm.parse_hours(b).intervals)
    except ValueError:
        return False


@dataclass
class Edit:
    """What a corruption did: its words, and the (table, id, field) it wrote to."""

    words: str
    cells: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    rows_deleted: set[tuple[str, str]] = field(default_factory=set)
    tables_touched: set[str] = field(default_factory=set)
    foreign: bool = False  # cells name the file's own tables, not the map's


def classify(read: Callable[[], sm.ServiceMap], base: dict[tuple[str, str, str], Any],
             edit: Edit) -> tuple[str, str]:
    """Read, and return (outcome, detail)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            smap = read()
        except sm.InputError as exc:
            problems = list(exc.problems)
            located = problems and all(p.row is not None or p.field is not None
                                       for p in problems)
            return ("located" if located else "file_level"), str(exc)[:200]
        except (Exception, SystemExit) as exc:  # classifying every failure
            tb = traceback.extract_tb(exc.__traceback__)[-1]
            return "crash", f"{type(exc).__name__} at {Path(tb.filename).name}:{tb.lineno}"
    now = table_values(smap)
    reported = {str(p.table).lower() for p in smap.notes}
    said = " ".join(str(w.message).lower() for w in caught)
    if edit.foreign and any(issubclass(w.category, sm.ServiceMapWarning) for w in caught):
        return "read", ""  # a value of another format kept in the notes, and counted
    unexplained = []
    rows_now = {(t, r) for t, r, _ in now}
    rows_base = {(t, r) for t, r, _ in base}
    faithful = set().union(*(written_as(v) for v in edit.cells.values()))
    for key in set(base) | set(now):
        table, rid, column = key
        before, after = base.get(key), now.get(key)
        deleted = (table, rid) in edit.rows_deleted or (
            (table, "*") in edit.rows_deleted and not (
                (table, rid) in rows_now and (table, rid) in rows_base))
        if column == "hours" and same_hours(before, after):
            continue
        if before == after or deleted or ANY in faithful:
            continue
        if after in faithful and (key in edit.cells or edit.foreign):
            continue
        if key not in now and key not in base:
            continue
        if table in reported or table.rstrip("s") in said or column in said:
            continue
        unexplained.append(f"{table}[{rid}].{column}: {before!r} -> {after!r}")
    if unexplained:
        return "silent", f"{edit.words}: {unexplained[0]} (+{len(unexplained) - 1})"
    return "read", ""


# -- the readers -----------------------------------------------------------------------
@dataclass
class Reader:
    name: str
    write: Callable[[sm.ServiceMap, Path], Path]
    corrupt: Callable[[Path, random.Random], Edit]
    read: Callable[[Path], sm.ServiceMap]


SHEETS = {"Organisations": "organisations", "Partnerships": "partnerships",
          "Services": "services", "Sites": "sites", "Pathways": "pathways",
          "Areas": "areas", "Catchments": "services"}


def corrupt_xlsx(path: Path, rng: random.Random) -> Edit:
    kind = rng.choice(["cell", "cell", "cell", "cell", "sheet", "row", "header", "bytes",
                       "truncate", "xml"])
    if kind == "bytes":
        return Edit(flip_bytes(path, rng))
    if kind == "truncate":
        return Edit(truncate(path, rng))
    if kind == "xml":
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        name = rng.choice(sorted(n for n in parts if n.endswith(".xml")))
        data = parts[name]
        parts[name] = data[: rng.randrange(len(data))] + b"<broken"
        with zipfile.ZipFile(path, "w") as z:
            for n, d in parts.items():
                z.writestr(n, d)
        return Edit(f"broken XML in {name}")
    wb = openpyxl.load_workbook(path)
    sheets = [ws for ws in wb.worksheets if ws.title in SHEETS or ws.title == "Vocabulary"]
    ws = rng.choice(sheets)
    table = SHEETS.get(ws.title, "vocabulary")
    edit = Edit("", tables_touched={table})
    if kind == "sheet":
        action = rng.choice(["delete", "rename", "copy"])
        if action == "delete":
            wb.remove(ws)
            edit.rows_deleted |= {(table, r) for r in ids_of(ws)}
        elif action == "rename":
            ws.title = ws.title[:-1] + " (2)"
            edit.rows_deleted |= {(table, r) for r in ids_of(ws)}
        else:
            wb.copy_worksheet(ws)
        edit.words = f"sheet {ws.title!r} {action}d"
    elif kind == "row" and ws.max_row > 1:
        r = rng.randrange(2, ws.max_row + 1)
        rid = str(ws.cell(r, 1).value)
        ws.delete_rows(r)
        edit.rows_deleted.add((table, rid))
        edit.words = f"row {r} of {ws.title!r} deleted"
    elif kind == "header":
        c = rng.randrange(1, ws.max_column + 1)
        old = ws.cell(1, c).value
        ws.cell(1, c).value = rng.choice(["", f"{old}x", str(old).upper(), "id"])
        edit.words = f"header {old!r} of {ws.title!r} renamed"
        edit.rows_deleted |= {(table, r) for r in ids_of(ws)}  # anything may move
    else:
        r = rng.randrange(2, max(ws.max_row, 2) + 1)
        c = rng.randrange(1, ws.max_column + 1)
        value = random_value(rng)
        if value == "\x00\x01":  # a worksheet cannot hold control characters
            value = "\t"
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # a worksheet cannot hold them either: the cell is left empty
        column = str(ws.cell(1, c).value)
        rid = str(ws.cell(r, 1).value)
        ws.cell(r, c).value = value
        edit.cells[(table, rid, column)] = value
        if c == 1:
            edit.rows_deleted.add((table, rid))
            edit.rows_deleted.add((table, str(value)))
        edit.words = f"{ws.title}!{ws.cell(r, c).coordinate} = {value!r}"
    wb.save(path)
    return edit


def ids_of(ws: Any) -> list[str]:
    return [str(ws.cell(r, 1).value) for r in range(2, ws.max_row + 1)]


def corrupt_csv_folder(folder: Path, rng: random.Random, *, id_column: str = "id",
                       tables: dict[str, str] | None = None) -> Edit:
    files = sorted(p for p in folder.glob("*.csv"))
    path = rng.choice(files)
    table = (tables or {}).get(path.stem, path.stem)
    kind = rng.choice(["cell", "cell", "cell", "cell", "delete", "row", "header", "bytes",
                       "truncate", "encoding", "ragged"])
    edit = Edit("", tables_touched={table})
    if kind == "delete":
        frame = read_text_csv(path)
        path.unlink()
        edit.rows_deleted |= {(table, str(r)) for r in frame.get(id_column, [])}
        edit.words = f"{path.name} deleted"
        return edit
    if kind in {"bytes", "truncate"}:  # a text file so edited is text, read as it is
        words = flip_bytes(path, rng) if kind == "bytes" else truncate(path, rng)
        return Edit(words, cells={(table, "", "text"): None})
    if kind == "encoding":
        text = path.read_text(encoding="utf-8") + "é"
        codec = rng.choice(["cp1252", "utf-16", "utf-8-sig"])
        path.write_bytes(text.encode(codec))
        return Edit(f"{path.name} saved as {codec}")
    if kind == "ragged":
        with path.open("a", encoding="utf-8") as f:
            f.write(rng.choice(["a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v\n",
                                "\"unclosed,\n", "\n\n\n"]))
        return Edit(f"ragged row appended to {path.name}")
    frame = read_text_csv(path)
    if frame is None or not len(frame.columns):
        return Edit(f"{path.name} left as it is")
    if kind == "row" and len(frame):
        r = rng.randrange(len(frame))
        rid = str(frame.iloc[r][frame.columns[0]])
        edit.rows_deleted.add((table, rid))
        if tables:  # another format's row: what it said of the map's records is gone
            edit.cells[(table, rid, "row")] = None
        frame = frame.drop(frame.index[r])
        edit.words = f"row {r + 2} of {path.name} deleted"
    elif kind == "header":
        c = rng.randrange(len(frame.columns))
        old = frame.columns[c]
        frame = frame.rename(columns={old: rng.choice(["", f"{old}x", str(old).upper()])})
        edit.words = f"header {old!r} of {path.name} renamed"
        edit.rows_deleted |= {(table, str(r)) for r in frame.iloc[:, 0]}
    else:
        if not len(frame):
            return Edit(f"{path.name} left as it is")
        r = rng.randrange(len(frame))
        column = rng.choice(list(frame.columns))
        value = random_value(rng)
        rid = str(frame.iloc[r][frame.columns[0]])
        frame.iloc[r, list(frame.columns).index(column)] = (
            "" if value is None else str(value))
        edit.cells[(table, rid, column)] = "" if value is None else str(value)
        if column == frame.columns[0]:
            edit.rows_deleted |= {(table, rid), (table, str(value))}
        edit.words = f"{path.name} row {r + 2} {column} = {value!r}"
    frame.to_csv(path, index=False)
    return edit


def read_text_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError):
        return None


def corrupt_hsds_csv(folder: Path, rng: random.Random) -> Edit:
    if rng.random() < 0.1:
        package = folder / "datapackage.json"
        data = json.loads(package.read_text(encoding="utf-8"))
        res = rng.choice(data.get("resources", [{}]))
        res["path"] = rng.choice(["../../secret.csv", "/etc/passwd", 5, None, "nothing.csv"])
        package.write_text(json.dumps(data), encoding="utf-8")
        return Edit(f"datapackage resource path = {res['path']!r}")
    edit = corrupt_csv_folder(folder, rng, tables=HSDS_TABLES)
    edit.rows_deleted |= {(t, "*") for t in TABLES}  # HSDS ids are uuids
    edit.foreign = True
    return edit


HSDS_TABLES = {"organizations": "organisations", "services": "services",
               "locations": "sites", "servicemap_pathways": "pathways",
               "servicemap_partnerships": "partnerships"}


def corrupt_json(path: Path, rng: random.Random) -> Edit:
    kind = rng.choice(["value", "value", "value", "shape", "deep", "bytes", "truncate",
                       "encoding"])
    if kind in {"bytes", "truncate"}:  # a text file so edited is text, read as it is
        words = flip_bytes(path, rng) if kind == "bytes" else truncate(path, rng)
        return Edit(words, cells={("json", "", "text"): None})
    if kind == "encoding":
        path.write_bytes(path.read_text(encoding="utf-8").encode(rng.choice(
            ["utf-16", "cp1252"]), errors="replace"))
        return Edit("JSON re-encoded")
    data = json.loads(path.read_text(encoding="utf-8"))
    if kind == "shape":
        data = rng.choice([[], "x", 5, None, {"contents": "x"}, {"contents": [5]},
                           [data] if isinstance(data, dict) else data])
        path.write_text(json.dumps(data), encoding="utf-8")
        return Edit(f"JSON of shape {type(data).__name__}")
    if kind == "deep":
        depth = rng.choice([100, 5000])
        target = pick_container(data, rng)
        if isinstance(target, dict) and target:
            target[rng.choice(sorted(target))] = "@@DEEP@@"
        text = json.dumps(data).replace('"@@DEEP@@"', "[" * depth + "]" * depth)
        path.write_text(text, encoding="utf-8")
        return Edit(f"nesting {depth} deep")
    target = pick_container(data, rng)
    if isinstance(target, dict) and target:
        key = rng.choice(sorted(target))
        target[key] = rng.choice([random_value(rng), {}, [], [1, 2], {"a": 1}, None])
        words = f"JSON {key} = {target[key]!r}"[:120]
        cells = {("json", "", key): target[key]}
    elif isinstance(target, list) and target:
        del target[rng.randrange(len(target))]
        words, cells = "JSON list item deleted", {("json", "", "item"): None}
    else:
        words, cells = "JSON left as it is", {}
    path.write_text(json.dumps(data, default=str), encoding="utf-8")
    edit = Edit(words, cells=cells, foreign=True)
    edit.rows_deleted |= {(t, "*") for t in TABLES}
    return edit


def pick_container(data: Any, rng: random.Random) -> Any:
    node = data
    for _ in range(rng.randrange(1, 6)):
        children = (list(node.values()) if isinstance(node, dict) else
                    list(node) if isinstance(node, list) else [])
        children = [c for c in children if isinstance(c, (dict, list)) and c]
        if not children:
            break
        node = rng.choice(children)
    return node


def gpkg_connect(path: Path) -> sqlite3.Connection:
    """Open a GeoPackage as SQLite, with stand-ins for its spatial index triggers."""
    con = sqlite3.connect(path)
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        con.create_function(name, 1, lambda _g: 0)
    return con


def corrupt_gpkg(path: Path, rng: random.Random) -> Edit:
    kind = rng.choice(["cell", "cell", "cell", "geometry", "metadata", "bytes",
                       "truncate", "drop"])
    if kind == "bytes":
        return Edit(flip_bytes(path, rng))
    if kind == "truncate":
        return Edit(truncate(path, rng))
    if kind == "drop":
        layer = rng.choice(["services", "sites", "pathways", "servicemap_metadata", "areas"])
        with contextlib.closing(gpkg_connect(path)) as con:
            con.execute(f'DELETE FROM "{layer}"')
            con.commit()
        edit = Edit(f"layer {layer} emptied")
        edit.rows_deleted |= {(layer, "*")}
        return edit
    if kind == "metadata":
        with contextlib.closing(gpkg_connect(path)) as con:
            cols = [r[1] for r in con.execute('PRAGMA table_info("servicemap_metadata")')]
            column = rng.choice([c for c in cols if c != "fid"])
            value = rng.choice(["{", "[]", "null", "{\"version\": 99}", "5", "",
                                json.dumps({"x": 1})])
            con.execute(f'UPDATE "servicemap_metadata" SET "{column}" = ?', (value,))
            con.commit()
        return Edit(f"metadata {column} = {value!r}")
    if kind == "geometry":
        layer = rng.choice(["sites", "areas"])
        frame = gpd.read_file(path, layer=layer)
        r = rng.randrange(len(frame))
        geom = frame.geometry.iloc[r]
        how = rng.choice(["empty", "swap", "degrees", "polygon", "none"])
        if how == "empty":
            new = shapely.Point() if layer == "sites" else shapely.Polygon()
        elif how == "none":
            new = None
        elif how == "polygon":
            new = shapely.box(X0, Y0, X0 + 10, Y0 + 10) if layer == "sites" else (
                shapely.Point(X0, Y0))
        else:
            lonlat = gpd.GeoSeries([geom], crs=27700).to_crs(4326).iloc[0]
            new = (shapely.transform(lonlat, lambda xy: xy[:, ::-1]) if how == "swap"
                   else lonlat)
        frame.loc[frame.index[r], "geometry"] = new
        frame.to_file(path, layer=layer, driver="GPKG")
        rid = str(frame.iloc[r].get("id", frame.iloc[r].get("code")))
        edit = Edit(f"{layer} {rid} geometry {how}")
        edit.cells[(layer, rid, "geometry")] = "changed"
        return edit
    layer = rng.choice(["services", "sites", "pathways", "organisations", "areas"])
    with contextlib.closing(gpkg_connect(path)) as con:
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{layer}")')]
        column = rng.choice([c for c in cols if c not in {"fid", "geom", "geometry"}])
        key = "id" if "id" in cols else "code"
        rows = [r[0] for r in con.execute(f'SELECT "{key}" FROM "{layer}"')]
        if not rows:
            return Edit("nothing to edit")
        rid = rng.choice(rows)
        value = random_value(rng)
        if isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        con.execute(f'UPDATE "{layer}" SET "{column}" = ? WHERE "{key}" = ?',
                    (value, rid))
        con.commit()
    edit = Edit(f"{layer}[{rid}].{column} = {value!r}")
    edit.cells[(layer, str(rid), column)] = value
    if column in {"id", "code"}:
        stored = int(value) if isinstance(value, bool) else value  # SQLite's 0 and 1
        edit.rows_deleted |= {(layer, str(rid)), (layer, str(value)), (layer, str(stored))}
    return edit


def frames_reader() -> Reader:
    """from_frames: the frames are kept as a pickle-free JSON of records."""

    def write(_smap: sm.ServiceMap, folder: Path) -> Path:
        folder.mkdir()
        for table, frame in base_tables().items():
            frame.to_json(folder / f"{table}.json", orient="records")
        return folder

    def corrupt(folder: Path, rng: random.Random) -> Edit:
        table = rng.choice(list(TABLES))
        frame = pd.read_json(folder / f"{table}.json", orient="records", dtype=False)
        kind = rng.choice(["cell", "cell", "cell", "drop_column", "duplicate", "nested"])
        edit = Edit("", tables_touched={table})
        if kind == "drop_column":
            column = rng.choice(list(frame.columns))
            frame = frame.drop(columns=column)
            edit.words = f"{table}: column {column} dropped"
            edit.rows_deleted |= {(table, str(r)) for r in frame.get("id", [])}
        elif kind == "duplicate":
            frame = pd.concat([frame, frame.iloc[:1]])
            edit.words = f"{table}: first row repeated"
        else:
            r = rng.randrange(len(frame))
            column = rng.choice(list(frame.columns))
            value = [1, [2]] if kind == "nested" else random_value(rng)
            if isinstance(value, float) and not math.isfinite(value):
                value = None  # JSON holds no infinity: to_json writes null
            rid = str(frame.iloc[r]["id"])
            frame[column] = frame[column].astype(object)
            frame.at[frame.index[r], column] = value
            edit.cells[(table, rid, column)] = value
            if column == "id":
                edit.rows_deleted |= {(table, rid), (table, str(value))}
            edit.words = f"{table}[{rid}].{column} = {value!r}"[:120]
        frame.to_json(folder / f"{table}.json", orient="records", default_handler=str)
        return edit

    def read(folder: Path) -> sm.ServiceMap:
        frames = {t: pd.read_json(folder / f"{t}.json", orient="records", dtype=False)
                  for t in TABLES}
        return sm.ServiceMap.from_frames(areas=grid_areas(), **frames)

    return Reader("from_frames", write, corrupt, read)


def cli_validate(path: Path) -> sm.ServiceMap:
    """``servicemap validate``: a traceback or a failure other than exit 1 is a crash."""
    from typer.testing import CliRunner

    from servicemap.cli import app

    areas = path.parent / "areas.gpkg"
    result = CliRunner().invoke(app, ["validate", str(path), "--areas", str(areas)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    if "Traceback" in result.output:
        msg = "traceback printed"
        raise RuntimeError(msg)
    if result.exit_code not in (0, 1):
        msg = f"exit code {result.exit_code}"
        raise RuntimeError(msg)
    raise sm.InputError([sm.Problem("cli", 0, "file", None, "checked")]) if (
        result.exit_code == 1) else _PassedError()


class _PassedError(Exception):
    """validate passed: nothing to compare."""


def readers() -> list[Reader]:
    areas = grid_areas()

    def xlsx_write(smap: sm.ServiceMap, folder: Path) -> Path:
        folder.mkdir()
        areas.to_file(folder / "areas.gpkg", layer="areas")
        return smap.to_workbook(folder / "map.xlsx")

    def csv_write(smap: sm.ServiceMap, folder: Path) -> Path:
        return smap.to_workbook(folder)

    return [
        Reader("workbook (xlsx)", xlsx_write, corrupt_xlsx,
               lambda p: sm.read_workbook(p, areas=areas)),
        Reader("workbook (CSV)", csv_write,
               lambda p, rng: corrupt_csv_folder(p, rng, id_column="id"),
               lambda p: sm.read_workbook(p, areas=areas)),
        Reader("servicemap validate", xlsx_write, corrupt_xlsx, cli_validate),
        Reader("HSDS (CSV)", lambda s, p: s.to_hsds(p) and p, corrupt_hsds_csv,
               lambda p: sm.read_hsds(p, areas=areas)),
        Reader("HSDS (JSON)", lambda s, p: (s.to_hsds(p), p / "services.json")[1],
               corrupt_json, lambda p: sm.read_hsds(p, areas=areas)),
        Reader("read_file", lambda s, p: (p.mkdir(), s.to_file(p / "map.gpkg"))[1],
               corrupt_gpkg, sm.read_file),
        frames_reader(),
    ]


# -- running ---------------------------------------------------------------------------
def run(reader: Reader, n: int, seed: int) -> tuple[Counter[str], list[tuple[str, str]]]:
    """Fuzz one reader ``n`` times; return outcome counts and the failures."""
    base_smap = base_map()
    base = table_values(base_smap)
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        clean = Path(tmp) / "clean"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            written = reader.write(base_smap, clean)
        for i in range(n):
            rng = random.Random(f"{seed}:{reader.name}:{i}")
            work = Path(tmp) / f"case{i}"
            shutil.copytree(clean, work)
            target = work / Path(written).relative_to(clean) if Path(written) != clean else work
            with contextlib.redirect_stderr(io.StringIO()):
                edit = reader.corrupt(target, rng)
                if reader.name == "servicemap validate":
                    try:
                        cli_validate(target)
                        outcome, detail = "read", ""
                    except _PassedError:
                        outcome, detail = "read", ""
                    except sm.InputError:
                        outcome, detail = "located", ""
                    except Exception as exc:  # classifying every failure
                        outcome, detail = "crash", f"{type(exc).__name__}: {exc}"[:200]
                else:
                    outcome, detail = classify(lambda t=target: reader.read(t), base, edit)
            counts[outcome] += 1
            if outcome in {"crash", "silent"}:
                failures.append((outcome, f"{detail} <- {edit.words}"[:300]))
            shutil.rmtree(work, ignore_errors=True)
    return counts, failures


def main(argv: list[str] | None = None) -> dict[str, Counter[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-reader", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reader", default=None)
    parser.add_argument("--show", type=int, default=0)
    args = parser.parse_args(argv)
    chosen = [r for r in readers() if args.reader is None or args.reader in r.name]
    table = {}
    print(f"{'reader':<22} {'inputs':>6} {'read':>6} {'located':>8} {'(+file)':>8} "
          f"{'crashes':>8} {'silent':>7}")
    for reader in chosen:
        counts, failures = run(reader, args.per_reader, args.seed)
        table[reader.name] = counts
        print(f"{reader.name:<22} {sum(counts.values()):>6} {counts['read']:>6} "
              f"{counts['located']:>8} {counts['file_level']:>8} {counts['crash']:>8} "
              f"{counts['silent']:>7}", flush=True)
        if args.show:
            groups = Counter(f"{o}: {d.split(' <- ')[0][:90]}" for o, d in failures)
            for text, k in groups.most_common(args.show):
                example = next(d for o, d in failures if f"{o}: {d.split(' <- ')[0][:90]}"
                               == text)
                print(f"    {k:>4} x {text}\n           e.g. {example[:200]}")
    return table


if __name__ == "__main__":
    main()

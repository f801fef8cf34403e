"""Reading a workbook or CSV folder into the map's tables, and building the map.

The reader works in stages. It reads every sheet into raw rows, checking each cell by
its column's kind (:func:`_read_sheets`); it assembles the rows into the map's tables,
joining the Catchments sheet to the services and the Areas sheet to the boundaries
(:func:`_assemble`); it builds the map, and where rows have errors builds it again
without them to check the rest across records (:func:`_build_checked`); and it places
every problem on its sheet, row and column (:mod:`.place`).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import html
import json
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import shapely
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException

from servicemap.crs import user_stacklevel
from servicemap.errors import (
    InputError,
    Problem,
    ReprojectionWarning,
    ValidationWarning,
    did_you_mean,
    plural,
)
from servicemap.io.areas import resolve_areas
from servicemap.io.sheets import NUMERIC_KINDS, SHEETS, TEXT_KINDS, Sheet
from servicemap.io.workbook._raw import (
    Input,
    Log,
    Raw,
    fold,
    key,
    letter,
    sheet_word,
    shown,
)
from servicemap.io.workbook.place import (
    failed_rows,
    follow_ups,
    ordered,
    place,
    placed_problems,
)
from servicemap.servicemap import ServiceMap, ValidationReport
from servicemap.vocab import _TERM, CATEGORIES, VOCABULARY, Term, Vocabulary
from servicemap.vocab import _fold as fold_term

__all__ = ["read_workbook", "validate_workbook"]

_ERROR_VALUES = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!",
                           "#NUM!", "#SPILL!", "#CALC!", "#GETTING_DATA"})
_SIMPLE = {"Organisations": "organisations", "Partnerships": "partnerships",
           "Sites": "sites", "Pathways": "pathways"}


# -- one sheet as read ----------------------------------------------------------------
def _header(spec: Sheet, label: str, header: Sequence[Any], rows: list[list[Any]],
            log: Log) -> tuple[list[str], dict[str, int]]:
    """Read the header row: match names to columns, report unknown and missing ones."""
    known = spec.names
    folded = {fold(c): c for c in known}
    columns: list[str] = []
    positions: dict[str, int] = {}
    for i, raw in enumerate(header):
        col = letter(i)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if any(i < len(r) and r[i] is not None for r in rows):
                log.add(label, 1, None, None,
                        f"column {col} has values but no name in row 1. Write its "
                        "name in row 1, or clear the column.", cell=f"{col}1",
                        code="unnamed_column")
            continue
        text = shown(raw) if not isinstance(raw, str) else raw
        text = str(text)
        name = text.strip() if spec.open_columns else text
        if name not in known:
            folded_text = fold(text)
            if folded_text in folded:
                name = folded[folded_text]
            elif spec.open_columns and (folded_text.startswith(("pop_", "need_"))
                                        or folded_text.endswith("_code")):
                name = folded_text
            elif not spec.open_columns:
                where = _other_sheet(folded_text, spec)
                hint = (f" It belongs on sheet '{where}': move the column there."
                        if where else did_you_mean(text, known))
                keep = (", or put what it holds in 'notes'" if "notes" in known else "")
                log.add(label, 1, text, None,
                        f"is not a column of {sheet_word(label)} '{label}'.{hint} "
                        f"Rename or delete the column{keep}. Columns are: "
                        f"{', '.join(known)}.", cell=f"{col}1", code="unknown_column")
                continue
            if name != text:
                log.add(label, 1, name, text, f"was read as column '{name}'.", "note",
                        cell=f"{col}1", code="normalised")
        if name in positions:
            log.add(label, 1, name, None,
                    f"appears twice, in columns {letter(positions[name])} and {col}. "
                    "Keep one.", cell=f"{col}1", code="duplicate_column")
            continue
        columns.append(name)
        positions[name] = i
    for spec_column in spec.columns:
        if spec_column.required and spec_column.name not in positions:
            log.broken.add(spec.table)
            present = ", ".join(columns) or "(none)"
            log.add(label, None, spec_column.name, None,
                    f"is missing: {sheet_word(label)} '{label}' needs a column "
                    f"'{spec_column.name}' ({spec_column.doc.rstrip('.')}). Its columns "
                    f"are: {present}.",
                    code="missing_column")
    return columns, positions


def _other_sheet(fold: str, spec: Sheet) -> str | None:
    for other in SHEETS:
        if other is not spec and not other.open_columns and fold in other.names and (
                fold not in {"id", "name", "notes", "illustrative", "kind"}):
            return other.name
    return None


def _unprotect(text: str) -> str | None:
    """Return text without the apostrophe a writer put before a trigger, or None."""
    if len(text) > 1 and text[0] == "'" and (text[1] in "=+-@\t\r'"):
        return text[1:]
    return None


def _check_cells(raw: Raw, log: Log) -> None:
    """Check and convert each cell by its column's kind, in place; report problems."""
    label, spec = raw.label, raw.spec
    ids = [key(v) if isinstance(v, str) else None for v in raw.values(spec.key or "")]
    for column in raw.columns:
        kind = spec.kind_of(column)
        i = raw.positions[column]
        col = letter(i)
        for k, row in enumerate(raw.rows):
            value = row[i]
            if value is None:
                continue
            n = raw.numbers[k]
            rid = ids[k]
            if isinstance(value, str):
                if value.startswith("=") and len(value) > 1:
                    log.add(label, n, column, value,
                            "is a formula. servicemap reads values and never runs "
                            "formulas: write the value itself. If the text really starts "
                            "with '=', put an apostrophe before it.", cell=f"{col}{n}",
                            sheet_name=spec.name, id=rid, code="formula")
                elif value.strip() in _ERROR_VALUES:
                    log.add(label, n, column, value,
                            "is a spreadsheet error, not a value. Correct what caused it "
                            "and write the value.", cell=f"{col}{n}",
                            sheet_name=spec.name, id=rid, code="spreadsheet_error")
                else:
                    bare = _unprotect(value)
                    if bare is not None:
                        row[i] = bare
                        log.add(label, n, column, value,
                                "starts with an apostrophe that keeps a spreadsheet from "
                                f"running it as a formula; it was read as {bare!r}.",
                                "note", cell=f"{col}{n}", id=rid, code="normalised")
                continue
            if isinstance(value, (dt.datetime, dt.date, dt.time, dt.timedelta)):
                what = ("a time" if isinstance(value, (dt.time, dt.timedelta))
                        else "a date")
                if kind in NUMERIC_KINDS:
                    fix = (f"is {what}, not a number: the cell is formatted as a date. "
                           "Format it as Number and write the number again.")
                elif kind == "any":
                    continue
                else:
                    fix = (f"is {what}, not text: the spreadsheet turned what was typed "
                           "into a date or time. Format the column as Text, then type "
                           "the value again" + (" (such as 'Mon-Fri 09:00-17:00' or "
                                                "'24/7')." if kind == "hours" else "."))
                log.add(label, n, column, value, fix, cell=f"{col}{n}",
                        sheet_name=spec.name, id=rid, code="wrong_cell_type")
            elif isinstance(value, bool):
                if kind in NUMERIC_KINDS or kind in TEXT_KINDS:
                    wanted = "a number" if kind in NUMERIC_KINDS else "text"
                    log.add(label, n, column, value,
                            f"is a TRUE/FALSE value, not {wanted}. Write the value itself.",
                            cell=f"{col}{n}",
                            sheet_name=spec.name, id=rid, code="wrong_cell_type")
            elif isinstance(value, (int, float)) and kind in TEXT_KINDS:
                if isinstance(value, float) and not math.isfinite(value):
                    text = str(value)
                elif isinstance(value, float) and value.is_integer():
                    text = str(int(value))
                else:
                    text = str(value)
                row[i] = text
                log.add(label, n, column, value,
                        f"is a number in the spreadsheet; it was read as the text {text!r}.",
                        "note", cell=f"{col}{n}", id=rid, code="normalised")


def _merged(raw: Raw, refs: list[str], log: Log) -> None:

    by_position = {p: c for c, p in raw.positions.items()}
    key_at = raw.positions.get(raw.spec.key or "")
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        column = by_position.get(min_col - 1)
        rid = None
        if key_at is not None and min_row in raw.numbers:
            rid = key(raw.rows[raw.numbers.index(min_row)][key_at])
        log.add(raw.label, min_row, column, None,
                f"is the first of the merged cells {ref}. servicemap reads one value per "
                "cell: unmerge them (Home > Merge & Center) and write the value in each "
                "cell, or leave it empty.", cell=ref.split(":")[0],
                sheet_name=raw.spec.name, id=rid if isinstance(rid, str) else None,
                code="merged_cells")
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col):
                    log.cells.add((raw.label, r, by_position.get(c - 1)))
            log.bad_rows.setdefault(raw.spec.name, set()).add(r)


def _table(spec: Sheet, label: str, grid: list[list[Any]], log: Log,
           merged: list[str] | None = None) -> Raw | None:
    """Turn a sheet's grid of values (row 1 first) into a checked :class:`Raw`."""
    def blank(v: Any) -> bool:
        return v is None or (isinstance(v, str) and not v.strip())

    content = [k for k, r in enumerate(grid) if not all(blank(v) for v in r)]
    if not content:
        names = ", ".join(c.name for c in spec.columns)
        log.broken.add(spec.table)
        if spec.required:
            log.add(label, None, None, None,
                    f"is empty: it needs the column names in row 1 ({names}) and a row "
                    "for each record. `servicemap template` writes a workbook with them.",
                    code="missing_table")
        else:
            log.add(label, None, None, None,
                    "is empty, so it was read as having no rows.", "note", code="missing_table")
        return None
    header = list(grid[0]) if grid else []
    if all(blank(v) for v in header):
        log.broken.add(spec.table)
        log.add(label, 1, None, None,
                f"has no column names in row 1. Write them there: "
                f"{', '.join(c.name for c in spec.columns)}.", code="missing_column")
        return None
    while header and blank(header[-1]):
        header.pop()
    data = [(k + 1, list(r)) for k, r in enumerate(grid[1:], start=1)
            if not all(blank(v) for v in r)]
    width = len(header)
    for n, r in data:
        extra = [j for j in range(width, len(r)) if not blank(r[j])]
        if extra:
            j = extra[0]
            log.add(label, n, None, r[j],
                    f"is in column {letter(j)}, which has no name in row 1. Name the "
                    "column or clear the cell.", cell=f"{letter(j)}{n}",
                    sheet_name=spec.name, code="unnamed_column")
        if len(r) < width:
            r.extend([None] * (width - len(r)))
    columns, positions = _header(spec, label, header, [r for _, r in data], log)
    raw = Raw(spec, label, columns, positions, [r for _, r in data], [n for n, _ in data])
    if merged:
        _merged(raw, merged, log)
    _check_cells(raw, log)
    return raw


# -- reading files --------------------------------------------------------------------
def _match_sheet(name: str) -> Sheet | None:
    for s in SHEETS:
        if name == s.name or fold(name) in {fold(s.name), s.table}:
            return s
    return None


def _merged_refs(path: Path) -> dict[str, list[str]]:
    """Map each sheet's name to its merged ranges, read from the file's XML."""
    out: dict[str, list[str]] = {}
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace") if (
            "xl/_rels/workbook.xml.rels" in names) else ""
        targets = {}
        for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)>", rels):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', m[1]))
            targets[attrs.get("Id")] = attrs.get("Target", "")
        for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*)/?>", book):
            attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', m[1]))
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            target = targets.get(rid, "")
            part = target.lstrip("/") if target.startswith("/") else "xl/" + target
            if part not in names:
                continue
            data = z.read(part)
            refs = re.findall(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([^"]+)"', data)
            if refs:

                out[html.unescape(attrs.get("name", ""))] = [r.decode() for r in refs]
    return out


def _first(spec: Sheet, label: str, seen: dict[str, str], log: Log, *,
           what: str) -> bool:
    """Take ``label`` as the sheet (or file) of ``spec`` unless one came before it.

    ``seen`` maps each sheet taken to its label; a second one is logged as an error
    naming the first (``what`` says what it is a second of) and not read.
    """
    if spec.name in seen:
        log.add(label, None, None, None,
                f"is a second {what} (the first is '{seen[spec.name]}'). Keep one.",
                code="duplicate_table")
        return False
    seen[spec.name] = label
    log.seen.add(spec.name)
    return True


#: What a damaged .xlsx file raises as it is opened or its sheets are read: a zip
#: that is not one, a part that does not inflate, XML that does not parse, values
#: the file format does not allow.
_DAMAGED = (zipfile.BadZipFile, zlib.error, ElementTree.ParseError, InvalidFileException,
            NotImplementedError, EOFError, KeyError, OSError, ValueError, TypeError,
            AttributeError, IndexError)
#: The largest workbook read, in bytes.
MAX_WORKBOOK_BYTES = 100 * 1024 * 1024


def _sheet_grids(path: Path, log: Log) -> tuple[list[tuple[str, list[list[Any]]]],
                                                dict[str, list[str]]] | None:
    """Return each sheet's title and cells, and the merged ranges; None if damaged.

    Only the library reading the file runs here, so every error it raises is the
    file's: one problem names the file and says how to recover it.
    """
    label = path.name
    size = path.stat().st_size
    if size > MAX_WORKBOOK_BYTES:
        log.add(label, None, None, None,
                f"is {size / 2**20:.0f} MB, above the {MAX_WORKBOOK_BYTES // 2**20} MB "
                "servicemap reads. Check it is the workbook you meant.", code="unreadable")
        return None
    try:
        merged = _merged_refs(path)
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            grids = [(ws.title, [list(r) for r in ws.iter_rows(
                min_row=1, min_col=1, values_only=True)]) for ws in book.worksheets]
        finally:
            book.close()
    except _DAMAGED as exc:
        log.add(label, None, None, None,
                f"cannot be opened as an Excel workbook: the file is damaged or is not a "
                f"workbook ({type(exc).__name__}: {str(exc)[:120]}). Open it in Excel and "
                "save it again as 'Excel Workbook (.xlsx)', or go back to a saved copy.",
                code="unreadable")
        return None
    return grids, merged


def _read_xlsx(path: Path, log: Log) -> dict[str, Raw]:
    """Read a workbook's sheets as raw tables; log what cannot be read."""
    read = _sheet_grids(path, log)
    if read is None:
        return {}
    grids, merged = read
    raws: dict[str, Raw] = {}
    seen: dict[str, str] = {}
    for title, grid in grids:
        spec = _match_sheet(title)
        if fold(title) == "readme":
            continue
        if spec is None:
            if any(v is not None for r in grid for v in r):
                log.add(title, None, None, None,
                        "is not a sheet servicemap reads, so its contents were not "
                        f"read.{did_you_mean(title, [s.name for s in SHEETS])} Sheets "
                        f"read are: {', '.join(s.name for s in SHEETS)}.", "warning",
                        code="unknown_table")
            continue
        if not _first(spec, title, seen, log, what=f"sheet for '{spec.name}'"):
            continue
        if title != spec.name:
            log.add(title, None, None, None,
                    f"was read as sheet '{spec.name}'.", "note", code="normalised")
        raw = _table(spec, title, grid, log, merged.get(title))
        if raw is not None:
            raws[spec.name] = raw
    return raws


def _read_csv_folder(folder: Path, log: Log) -> dict[str, Raw]:
    raws: dict[str, Raw] = {}
    seen: dict[str, str] = {}
    if not any(p.suffix.lower() == ".csv" for p in folder.iterdir()):
        log.add(folder.name, None, None, None,
                "holds no CSV file, so there is no map to read. Give the folder that "
                "`servicemap template` wrote (services.csv, sites.csv, ...), or an .xlsx "
                "workbook.", code="missing_table")
        return raws
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        spec = _match_sheet(path.stem)
        label = path.name
        if spec is None:
            log.add(label, None, None, None,
                    "is not a file servicemap reads, so it was not read."
                    f"{did_you_mean(path.stem, [s.table for s in SHEETS])} Files read "
                    f"are: {', '.join(s.file for s in SHEETS)}.", "warning", code="unknown_table")
            continue
        if not _first(spec, label, seen, log, what=f"file for '{spec.file}'"):
            continue
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                grid: list[list[Any]] = [[v if v != "" else None for v in r]
                                         for r in csv.reader(f)]
        except UnicodeDecodeError as exc:
            log.add(label, None, None, None,
                    f"is not UTF-8 text ({exc.reason} at byte {exc.start}). Save it as "
                    "'CSV UTF-8' in Excel, or as UTF-8 from another program.", code="unreadable")
            continue
        except csv.Error as exc:
            log.add(label, None, None, None, f"is not a readable CSV file: {exc}.",
                    code="unreadable")
            continue
        raw = _table(spec, label, grid, log)
        if raw is not None:
            if spec.open_columns:
                _type_columns(raw)
            raws[spec.name] = raw
    return raws


_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _type_columns(raw: Raw) -> None:
    """Read a CSV column of any kind as numbers when every value in it is one.

    A workbook's cells carry their type; a CSV's are all text. ``"007"`` stays text.
    """
    for column in raw.columns:
        if raw.spec.kind_of(column) not in {"any", "number", "whole"}:
            continue
        i = raw.positions[column]
        texts = [r[i] for r in raw.rows]
        out: list[Any] = []
        for t in texts:
            if t is None:
                out.append(None)
                continue
            t = t.strip()
            if _INT.fullmatch(t):
                out.append(int(t))
                continue
            try:
                number = float(t)
            except ValueError:
                break
            if not math.isfinite(number) or not re.fullmatch(r"-?[0-9.eE+-]+", t):
                break
            out.append(number)
        else:
            for r, v in zip(raw.rows, out, strict=True):
                r[i] = v


# -- areas ----------------------------------------------------------------------------
def _boundaries(areas: Any, log: Log) -> tuple[gpd.GeoDataFrame | None, str]:
    """Return the boundaries given as ``areas=`` and their name; log what is wrong."""
    name = "areas"
    if isinstance(areas, (str, PathLike)):
        name = Path(areas).name if Path(areas).exists() else str(areas)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReprojectionWarning)
        try:
            gdf = resolve_areas(areas, source=name)
        except InputError as exc:
            for p in exc.problems:
                log.add("areas", None, p.field, p.value, p.message, code=p.code)
            gdf = None
    for w in caught:
        if issubclass(w.category, ReprojectionWarning):
            log.add("areas", None, None, None, str(w.message), "note", code="normalised")
        else:  # pragma: no cover - passed on as raised
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return gdf, name


def _stand_in_areas(codes: Sequence[str]) -> gpd.GeoDataFrame:
    """Stand-in areas (1 m squares in a row), to check rows when no boundaries are given.

    Whether sites fall in them means nothing: those problems are left out.
    """
    codes = list(codes) or ["(all)"]
    x = np.arange(len(codes)) * 2.0
    return gpd.GeoDataFrame({"code": codes}, geometry=shapely.box(x, 0, x + 1, 1),
                            crs=27700)


def _join_areas(boundaries: gpd.GeoDataFrame, raw: Raw | None, log: Log,
                name: str) -> tuple[gpd.GeoDataFrame, list[Any], dict[str, int]]:
    """Join the Areas sheet's columns to the boundaries by code."""
    frame = boundaries.copy()
    if "code" not in frame.columns:
        return frame, list(range(len(frame))), {}
    codes = frame["code"].tolist()
    labels: list[Any] = list(range(len(frame)))
    if raw is None:
        return frame, labels, {}
    if not raw.numbers:  # an Areas sheet left empty adds nothing
        return frame, labels, {}
    sheet_codes = raw.values("code")
    rows_of: dict[str, int] = {}
    known = set(codes)
    for code, n in zip(sheet_codes, raw.numbers, strict=True):
        code_key = code.strip() if isinstance(code, str) else code
        if code_key is None or code_key == "":
            row = raw.rows[raw.numbers.index(n)]
            if any(v is not None for v in row):
                log.add(raw.label, n, "code", None,
                        "is empty, but the row has values. Give the area's code, or "
                        "delete the row.", cell=raw.cell("code", n), sheet_name="Areas",
                        code="missing_value")
            continue
        if code_key in rows_of:
            log.add(raw.label, n, "code", code,
                    f"is also in row {rows_of[code_key]}. Give each area one row.",
                    cell=raw.cell("code", n), sheet_name="Areas", code="duplicate_id")
        elif code_key not in known:
            log.add(raw.label, n, "code", code,
                    f"is not an area of the boundaries ({name}).{did_you_mean(code_key, known)} "
                    "Correct the code or delete the row.", cell=raw.cell("code", n),
                    sheet_name="Areas",
                    code="unknown_reference", ref_table="areas", ref_id=code_key)
        else:
            rows_of[code_key] = n
    position = {n: k for k, n in enumerate(raw.numbers)}
    order = [position.get(rows_of.get(c, -1)) for c in codes]
    labels = [rows_of.get(c, i) for i, c in enumerate(codes)]
    geometry = frame.geometry.name
    missing = [c for c, k in zip(codes, order, strict=True) if k is None]
    columns = [c for c in raw.columns if c != "code"]
    # an area with no row keeps the boundaries' values; only new columns go empty
    new = [c for c in columns if c not in frame.columns]
    if missing and new:
        listed = ", ".join(map(str, missing[:5])) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        log.add(raw.label, None, "code", None,
                f"has no row for {plural(len(missing), 'area')} of the boundaries "
                f"({listed}); their {', '.join(new)} are empty.", "warning",
                code="missing_row")
    for c in columns:
        i = raw.positions[c]
        kept = frame[c].tolist() if c in frame.columns else [None] * len(frame)
        # the sheet's values win where given; a blank cell keeps the boundaries', said
        values = [raw.rows[k][i] if k is not None and raw.rows[k][i] is not None
                  else kept[j] for j, k in enumerate(order)]
        # a column the sheet gives somewhere, left empty in a row: the value is kept
        # from the boundaries and said (a column left empty throughout is not given)
        given = any(r[i] is not None for r in raw.rows)
        filled = [codes[j] for j, k in enumerate(order) if given and k is not None
                  and raw.rows[k][i] is None and not pd.isna(kept[j])]
        if filled:
            listed = ", ".join(map(str, filled[:5])) + (
                f" and {len(filled) - 5} more" if len(filled) > 5 else "")
            log.add(raw.label, None, c, None,
                    f"is empty in {plural(len(filled), 'row')} ({listed}), so the "
                    f"boundaries' values ({name}) were kept there. Write the values, or "
                    "delete the column to use the boundaries' throughout.", "warning",
                    code="missing_value")
        series = None
        if c in frame.columns:  # keep the boundaries' type where the values fit it
            try:
                series = pd.Series(values, index=frame.index, dtype=frame[c].dtype)
            except (TypeError, ValueError, OverflowError):
                series = None
            if series is not None and not _same(values, series):
                series = None
        if series is None:
            series = pd.Series(values, index=frame.index)
        frame[c] = series
    frame = frame[[c for c in frame.columns if c != geometry] + [geometry]]
    return frame, labels, rows_of


def _same(values: list[Any], series: Any) -> bool:
    """Whether a typed Series holds the values as read (nothing rounded or renamed)."""
    for v, w in zip(values, series.tolist(), strict=True):
        if v is None:
            if not pd.isna(w):
                return False
        elif pd.isna(w) or type(v) is not type(w) and not (
                isinstance(v, (int, float)) and isinstance(w, (int, float))) or v != w:
            return False
    return True


# -- assembling the tables ------------------------------------------------------------
def _services(raws: dict[str, Raw], log: Log) -> tuple[list[dict[str, Any]], list[int],
                                                          dict[int, int]]:
    services = raws.get("Services")
    catchments = raws.get("Catchments")
    records = services.records() if services else []
    numbers = list(services.numbers) if services else []
    ids = [key(r.get("id")) for r in records]
    joined: dict[int, int] = {}
    if catchments is None:
        return records, numbers, joined
    row_of_id: dict[Any, int] = {}
    for i, sid in enumerate(ids):
        if isinstance(sid, str) and sid:
            row_of_id.setdefault(sid, i)
    first: dict[Any, int] = {}
    for crec, n in zip(catchments.records(), catchments.numbers, strict=True):
        sid = key(crec.get("service"))
        cell = catchments.cell("service", n)
        if not isinstance(sid, str) or not sid:
            log.add(catchments.label, n, "service", None,
                    "is required but empty. Write the id of the service whose catchment "
                    "this is.", cell=cell, sheet_name="Catchments", code="missing_value")
            continue
        if sid in first:
            log.add(catchments.label, n, "service", crec.get("service"),
                    f"already has a catchment in row {first[sid]}. Give each service one "
                    "row.", cell=cell, sheet_name="Catchments", code="duplicate_id")
            continue
        first[sid] = n
        if sid not in row_of_id:
            if "services" in log.broken:
                continue  # the services could not be read: nothing to check against
            where = services.label if services else "Services"
            log.add(catchments.label, n, "service", crec.get("service"),
                    f"is not in sheet '{where}'.{did_you_mean(sid, row_of_id)} Correct the "
                    "id, or add the service.", cell=cell, sheet_name="Catchments",
                    code="unknown_reference", ref_table="services", ref_id=sid)
            continue
        i = row_of_id[sid]
        records[i].update({k: v for k, v in crec.items() if k != "service"})
        joined[numbers[i]] = n
    return records, numbers, joined


def _vocabulary(raw: Raw | None, log: Log) -> Vocabulary:

    if raw is None:
        return VOCABULARY
    terms = {cat: dict(VOCABULARY[cat]) for cat in CATEGORIES}
    seen: dict[tuple[str, str], int] = {}
    for rec, n in zip(raw.records(), raw.numbers, strict=True):
        cat, term = key(rec.get("category")), key(rec.get("term"))
        label, description = key(rec.get("label")), key(rec.get("description"))
        if not isinstance(cat, str) or not cat:
            log.add(raw.label, n, "category", None, "is required but empty. Write the "
                    "vocabulary, such as need.", cell=raw.cell("category", n),
                    sheet_name="Vocabulary", code="missing_value")
            continue
        if cat not in terms:
            log.add(raw.label, n, "category", cat,
                    f"is not a vocabulary.{did_you_mean(cat, CATEGORIES)} Use one of: "
                    f"{', '.join(CATEGORIES)}.", cell=raw.cell("category", n),
                    sheet_name="Vocabulary", code="unknown_term")
            continue
        if not isinstance(term, str) or not term:
            log.add(raw.label, n, "term", None, "is required but empty.",
                    cell=raw.cell("term", n), sheet_name="Vocabulary", code="missing_value")
            continue
        if (cat, term) in seen:
            log.add(raw.label, n, "term", term,
                    f"is declared again (first in row {seen[(cat, term)]}). Keep one row.",
                    cell=raw.cell("term", n), sheet_name="Vocabulary", code="duplicate_id")
            continue
        seen[(cat, term)] = n
        builtin = VOCABULARY[cat].get(term)
        if builtin is not None:
            if (label not in (None, builtin.label)
                    or description not in (None, builtin.description)):
                log.add(raw.label, n, "term", term,
                        "is a built-in term; its label and description are fixed, so the "
                        "ones written here were not used. Declare a new term to describe "
                        "something else.", "warning", cell=raw.cell("term", n), code="builtin_term")
            continue
        if not _TERM.match(term):

            log.add(raw.label, n, "term", term,
                    f"cannot be a term: write it in lower-case snake_case, such as "
                    f"{fold_term(term)!r}.", cell=raw.cell("term", n),
                    sheet_name="Vocabulary", code="bad_id")
            continue
        text = str(description) if description is not None else ""
        title = label if isinstance(label, str) and label else (
            text.split(":")[0].strip() or term)
        terms[cat][term] = Term(term, title, text, declared=True)
    return Vocabulary(terms)


def _provenance(raw: Raw | None, log: Log) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw is None:
        return out
    first: dict[str, int] = {}
    for rec, n in zip(raw.records(), raw.numbers, strict=True):
        name, value = key(rec.get("key")), rec.get("value")
        if not isinstance(name, str) or not name:
            log.add(raw.label, n, "key", None, "is required but empty. Say what the "
                    "value is, such as name or licence.", cell=raw.cell("key", n),
                    sheet_name="About", code="missing_value")
            continue
        if name in first:
            log.add(raw.label, n, "key", name, f"is also in row {first[name]}. Keep one.",
                    cell=raw.cell("key", n), sheet_name="About", code="duplicate_id")
            continue
        first[name] = n
        if value is None:
            continue
        if isinstance(value, str) and value[:1] in "{[":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[name] = value
    return out


def _travel_times(raw: Raw | None) -> Any:

    if raw is None or not raw.rows:
        return None
    data = {c: pd.Series([v if not isinstance(v, (dt.date, dt.time, dt.timedelta, bool))
                          else str(v) for v in raw.values(c)], dtype=object)
            for c in ("area", "site", "minutes")}
    return pd.DataFrame(data)


def _assemble(raws: dict[str, Raw], areas: Any, log: Log, *,
              stand_in: bool) -> Input:
    tables: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, list[Any]] = {}
    for name, table in _SIMPLE.items():
        raw = raws.get(name)
        tables[table] = raw.records() if raw else []
        labels[table] = list(raw.numbers) if raw else []
    records, numbers, joined = _services(raws, log)
    tables["services"], labels["services"] = records, numbers
    for rec in tables["sites"]:  # an empty location cell is no location
        for field in ("easting", "northing", "lon", "lat"):
            if field in rec and rec[field] is None:
                del rec[field]
    inp = Input(tables, labels, raws, joined, stand_in=stand_in)
    inp.vocabulary = _vocabulary(raws.get("Vocabulary"), log)
    inp.provenance = _provenance(raws.get("About"), log)
    inp.travel_times = _travel_times(raws.get("Travel times"))
    if "Travel times" in raws:
        labels["travel_times"] = list(raws["Travel times"].numbers)
    area_raw = raws.get("Areas")
    if stand_in:
        codes = [key(c) for c in area_raw.values("code")] if area_raw else []
        codes = list(dict.fromkeys(c for c in codes if isinstance(c, str) and c))
        if not codes:
            area_raw = None
        boundaries, name = _stand_in_areas(codes), "the Areas sheet"
        if area_raw is None or "name" not in area_raw.positions:
            boundaries["name"] = boundaries["code"]
    else:
        boundaries, name = _boundaries(areas, log)
    if boundaries is not None:
        frame, area_labels, rows_of = _join_areas(boundaries, area_raw, log, name)
        inp.areas, inp.area_rows = frame, rows_of
        labels["areas"] = area_labels
    return inp


def _build(inp: Input, drop: Mapping[str, set[int]] | None = None,
           ) -> tuple[ServiceMap | None, list[Problem]]:
    """Build the map from the assembled tables (less the rows in ``drop``)."""
    drop = drop or {}
    tables, labels = {}, {}
    for table, records in inp.tables.items():
        gone = drop.get(table, set())
        keep = [k for k, n in enumerate(inp.labels[table]) if n not in gone]
        tables[table] = [records[k] for k in keep]
        labels[table] = [inp.labels[table][k] for k in keep]
    times = inp.travel_times
    if times is not None:
        labels["travel_times"] = inp.labels["travel_times"]
        gone = drop.get("travel_times", set())
        if gone:
            keep = [k for k, n in enumerate(labels["travel_times"]) if n not in gone]
            times = times.iloc[keep].reset_index(drop=True)
            labels["travel_times"] = [labels["travel_times"][k] for k in keep]
            if not len(times):
                times = None
    labels["areas"] = inp.labels.get("areas", [])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ValidationWarning)
            smap = ServiceMap.from_frames(
                areas=inp.areas, travel_times=times, vocabulary=inp.vocabulary,
                provenance=inp.provenance, strict=False, row_labels=labels,
                organisations=tables["organisations"], partnerships=tables["partnerships"],
                services=tables["services"], sites=tables["sites"],
                pathways=tables["pathways"])
    except InputError as exc:
        return None, list(exc.problems)
    report = smap.validate()
    return smap, [p for p in report.problems if p.severity != "note"]


def _check(path: str | PathLike[str], areas: Any, *, need_areas: bool,
           ) -> tuple[ServiceMap | None, list[Problem], list[Problem], str]:
    """Read and check; return the map (if it could be built), problems, notes, name."""
    path = _existing(path)
    log = Log()
    raws = _read_sheets(path, log)
    stand_in = areas is None
    if stand_in:
        _no_areas(log, need_areas=need_areas)
    if not raws and any(p.severity == "error" for p in log.problems):
        return None, ordered(log.problems), [], path.name
    if raws or not log.problems:
        _missing_sheets(path, log)
    for raw in raws.values():
        _duplicate_keys(raw, log)
    inp = _assemble(raws, areas, log, stand_in=stand_in)
    source = "areas" if stand_in or not isinstance(areas, (str, PathLike)) else Path(
        areas).name
    if inp.areas is None:  # the boundaries could not be read: check rows on stand-ins
        inp.areas = _stand_in_areas([])
        inp.areas["name"] = inp.areas["code"]
        inp.labels["areas"] = [0]
        stand_in = True
    smap, found, smap_notes = _build_checked(inp, log)
    problems = log.problems + placed_problems(found, inp, log, stand_in=stand_in,
                                              area_source=source)
    notes = [p for p in log.problems if p.severity == "warning"] + [
        p for p in problems if p.severity == "note"] + [
        place(p, inp, source) for p in smap_notes]
    problems = [p for p in problems if p.severity != "note"]
    if any(p.severity == "error" for p in problems):
        smap = None
    return smap, ordered(problems + notes), notes, path.name


def _existing(path: str | PathLike[str]) -> Path:
    path = Path(path)
    if not path.exists():
        msg = f"{str(path)!r} does not exist. Give the workbook (.xlsx) or the CSV folder."
        raise FileNotFoundError(msg)
    return path


def _read_sheets(path: Path, log: Log) -> dict[str, Raw]:
    """Read a workbook or a CSV folder into raw sheets by name."""
    if path.is_dir():
        return _read_csv_folder(path, log)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_xlsx(path, log)
    hint = ("Save it from Excel as 'Excel Workbook (.xlsx)'." if path.suffix.lower()
            in {".xls", ".ods"} else "Give an .xlsx workbook or a folder of CSV files "
            "(services.csv, sites.csv, ...).")
    log.add(path.name, None, None, None, f"is not a workbook servicemap reads. {hint}",
            code="unreadable")
    return {}


def _no_areas(log: Log, *, need_areas: bool) -> None:
    if need_areas:
        log.add("areas", None, None, None,
                "none were given. Pass areas= a GeoPackage, GeoJSON or shapefile of "
                "the area polygons, or a shipped dataset's name such as "
                "'bedfordshire'.", code="missing_table")
    else:
        log.add("areas", None, None, None,
                "none were given, so sites, footprints and travel times were not "
                "checked against areas. Give the areas (--areas) to check them too.",
                "note", code="not_checked")


def _missing_sheets(path: Path, log: Log) -> None:
    form = "folder" if path.is_dir() else "workbook"
    found = ", ".join(sorted(log.seen)) or "none"
    for spec in SHEETS:
        if spec.required and spec.name not in log.seen:
            log.broken.add(spec.table)
            what = spec.file if path.is_dir() else spec.name
            log.add(what, None, None, None,
                    f"is missing: the {form} needs it ({spec.doc.split(':')[0]}). "
                    f"Found: {found}. `servicemap template` writes every sheet.",
                    code="missing_table")


def _build_checked(inp: Input, log: Log,
                   ) -> tuple[ServiceMap | None, list[Problem], Sequence[Problem]]:
    """Build the map; if rows have errors, build it again without them to check the rest.

    Returns the map (None if it could not be built), the builder's problems and the
    notes of the map built.
    """
    smap, found = _build(inp)
    if smap is not None:
        return smap, found, smap.notes
    if any(p.table == "areas" for p in found):
        return None, found, ()
    failed = failed_rows(found, inp, log)
    retry, cross = _build(inp, failed)
    return None, found + follow_ups(cross, inp, failed), (
        retry.notes if retry is not None else ())


def _duplicate_keys(raw: Raw, log: Log) -> None:
    """Report ids used by two rows, compared as the model reads them (trimmed)."""
    if raw.spec.key != "id" or "id" not in raw.positions:
        return
    rows: dict[str, list[int]] = {}
    for value, n in zip(raw.values("id"), raw.numbers, strict=True):
        if isinstance(value, str) and value.strip():
            rows.setdefault(value.strip(), []).append(n)
    for rid, where in rows.items():
        for n in where[1:]:
            log.add(raw.label, n, "id", rid,
                    f"is used by rows {', '.join(map(str, where))}. Give each record its "
                    "own id.", cell=raw.cell("id", n), id=rid, sheet_name=raw.spec.name,
                    code="duplicate_id")


def _with_notes(smap: ServiceMap, notes: list[Problem]) -> ServiceMap:
    """Return the map with the reader's notes, named by sheet and row."""
    labels = {t: [smap.row_label(t, i) for i in getattr(smap, t).index]
              for t in ("areas", "services", "sites", "pathways", "organisations",
                        "partnerships")}
    times = smap.travel_times
    return ServiceMap(
        areas=smap.areas, services=smap.services, sites=smap.sites,
        pathways=smap.pathways, organisations=smap.organisations,
        partnerships=smap.partnerships, travel_times=times if len(times) else None,
        vocabulary=smap.vocabulary, provenance=smap.provenance, notes=notes,
        row_labels=labels)


# -- the public readers ---------------------------------------------------------------
def read_workbook(path: str | PathLike[str], *, areas: Any) -> ServiceMap:
    """Read a workshop workbook (or its CSV folder) into a map, or say what to fix.

    Parameters
    ----------
    path : str or path-like
        An ``.xlsx`` workbook, or a folder of CSV files (``services.csv``, ...), with
        the sheets :func:`write_template` writes.
    areas : GeoDataFrame, str or path-like
        The area polygons: a GeoDataFrame, a GeoPackage (the layer ``areas``, or its
        only layer), GeoJSON or shapefile, or a shipped dataset's name such as
        ``"bedfordshire"``. Any CRS; it is transformed to EPSG:27700 and that is noted.
        The workbook's optional Areas sheet adds columns to them by ``code``, its
        values replacing the boundaries' own in a column both have.

    Returns
    -------
    ServiceMap
        With :attr:`~servicemap.ServiceMap.notes` listing what was normalised, each a
        :class:`SheetProblem` of severity ``"note"``.

    Raises
    ------
    InputError
        With every error (and warning) in every sheet, each naming the sheet, the row
        as the spreadsheet shows it, the column, the value and the fix.
    FileNotFoundError
        If ``path`` does not exist.

    See Also
    --------
    validate_workbook : every problem and note as a report, without raising.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = sm.datasets.bedfordshire().to_workbook(pathlib.Path(d) / "mapping.xlsx")
    ...     book = openpyxl.load_workbook(path)
    ...     book["Services"]["K2"] = "about 40"  # column K is capacity
    ...     book.save(path)
    ...     sm.read_workbook(path, areas="bedfordshire")
    Traceback (most recent call last):
    ...
    servicemap.errors.InputError: 1 problem in 'mapping.xlsx'
      - sheet 'Services', row 2 (id 'crs-pwb-beds'), column 'capacity': 'about 40' is not a
        number. Write a plain number such as 40, with no units or words.
    """
    smap, problems, notes, name = _check(path, areas, need_areas=True)
    errors = [p for p in problems if p.severity == "error"]
    if errors or smap is None:
        raise InputError(errors + [p for p in problems if p.severity == "warning"],
                         source=name)
    cautions = [p for p in notes if p.severity == "warning"]
    if cautions:  # read, but something in the file was not: on the map's notes, and said
        shown = "; ".join(f"{p.location()}: {p.message}" for p in cautions[:3])
        warnings.warn(
            f"{plural(len(cautions), 'warning')} reading {name}: {shown}"
            f"{' ...' if len(cautions) > 3 else ''} smap.notes lists "
            f"{'it' if len(cautions) == 1 else 'them'}.", ValidationWarning,
            stacklevel=user_stacklevel())
    return _with_notes(smap, notes)


def validate_workbook(path: str | PathLike[str], *, areas: Any = None) -> ValidationReport:
    """Check a workshop workbook and report every problem and note, without raising.

    Parameters
    ----------
    path : str or path-like
        The ``.xlsx`` workbook or CSV folder.
    areas : GeoDataFrame, str or path-like, optional
        The area polygons, as for :func:`read_workbook`. Without them the rows are
        checked, but sites, footprints and travel times are not checked against areas
        (a note says so).

    Returns
    -------
    ValidationReport
        Errors, then warnings, then notes; ``.ok`` when there is no error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     report = validate_workbook(sm.write_template(pathlib.Path(d) / "t.xlsx"))
    >>> report.ok, len(report.problems)
    (True, 1)
    >>> print(report.notes[0])  # doctest: +NORMALIZE_WHITESPACE
    areas: none were given, so sites, footprints and travel times were not checked
    against areas. Give the areas (--areas) to check them too.
    """
    _, problems, _, name = _check(path, areas, need_areas=False)
    return ValidationReport(tuple(problems), source=name)



"""The workshop workbook: a template to fill in, a reader that reports every problem.

A consultant captures services, sites, catchments and referral routes in a spreadsheet
with partners in the room, then reads it in one call:

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     path = sm.datasets.bedfordshire().to_workbook(pathlib.Path(d) / "beds.xlsx")
...     smap = sm.read_workbook(path, areas="bedfordshire")
>>> smap.equals(sm.datasets.bedfordshire())
True

The workbook (or a folder of CSV files, one per sheet) has the sheets of
:mod:`servicemap.io.sheets`. Reading collects every problem in every row and raises
them once, as an :class:`~servicemap.errors.InputError` whose problems are
:class:`SheetProblem` records naming the sheet, the row as Excel shows it (the header
is row 1), the column, the value, what is wrong and the fix. Nothing is dropped,
trimmed or converted silently: what the reader normalises (spaces around text, the
case of a vocabulary term, a header's spelling, lon/lat to eastings and northings) is
listed in the map's :attr:`~servicemap.ServiceMap.notes`.

Text is never evaluated. A cell that starts with ``=`` is a formula and is reported;
every text the writers put in a sheet or CSV that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets an apostrophe in front (OWASP CSV injection),
which the reader takes off again.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from servicemap.errors import (
    CRSError,
    InputError,
    Problem,
    ReprojectionWarning,
    ValidationWarning,
    did_you_mean,
    plural,
)
from servicemap.io.exports import safe_text
from servicemap.io.sheets import NUMERIC_KINDS, SHEETS, TEXT_KINDS, Sheet, readme_frame, sheet
from servicemap.servicemap import (
    CATCHMENT_COLUMNS,
    ORGANISATION_COLUMNS,
    PARTNERSHIP_COLUMNS,
    PATHWAY_COLUMNS,
    SERVICE_COLUMNS,
    SITE_COLUMNS,
    ServiceMap,
    ValidationReport,
)
from servicemap.vocab import VOCABULARY, Term, Vocabulary

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "SheetProblem",
    "read_workbook",
    "validate_workbook",
    "write_template",
    "write_workbook",
]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ERROR_VALUES = frozenset({"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!",
                           "#NUM!", "#SPILL!", "#CALC!", "#GETTING_DATA"})
_MAX_CELL = 32_767  # characters a spreadsheet cell holds
_LAST_ROW = 1_048_576
_RANK = {"error": 0, "warning": 1, "note": 2}
_TABLE_SHEET = {s.table: s.name for s in SHEETS}
_ABOUT_KEYS = ("name", "description", "licence", "attribution")


# -- problems named by sheet, row and column ------------------------------------------
@dataclass(frozen=True)
class SheetProblem(Problem):
    """A problem in a workbook or CSV folder, named as the user sees it.

    ``table`` is the sheet's name (or the CSV file's), ``row`` the row number as a
    spreadsheet shows it (the header is row 1, the first record row 2) and ``field``
    the column's header.

    Parameters
    ----------
    cell : str, optional
        The cell's address, such as ``"K14"``, where the problem has one.

    Examples
    --------
    >>> p = SheetProblem("Services", 14, "capacity", "about 40",
    ...                  "is not a number. Write 40.", cell="K14")
    >>> print(p)
    sheet 'Services', row 14, column 'capacity': 'about 40' is not a number. Write 40.
    >>> SheetProblem("services.csv", 3, "id", None, "is empty.").location()
    "file 'services.csv', row 3, column 'id'"
    >>> print(SheetProblem("areas", None, "areas", "lsoa.gpk", "is not a file."))
    areas: 'lsoa.gpk' is not a file.
    """

    cell: str | None = None

    def location(self) -> str:
        """Say where the problem is: sheet (or file), row and column.

        Examples
        --------
        >>> SheetProblem("Sites", 5, "easting", 1, "x", id="S1").location()
        "sheet 'Sites', row 5 (id 'S1'), column 'easting'"
        """
        if self.table == "areas" or self.table.startswith("areas ("):
            parts = [self.table]  # the boundaries given, not a sheet
            if self.field not in (None, "areas"):
                parts.append(f"column '{self.field}'")
            return ", ".join(parts)
        else:
            kind = "file" if "." in self.table else "sheet"
            parts = [f"{kind} '{self.table}'"]
        if self.row is not None:
            row = str(self.row)
            if self.id is not None and self.id != self.row:
                row += f" (id '{self.id}')"
            parts.append(f"row {row}")
        if self.field is not None:
            parts.append(f"column '{self.field}'")
        return ", ".join(parts)


def _letter(index: int) -> str:
    """Return the spreadsheet letter of a column from its position (0-based)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _shown(value: Any) -> Any:
    """Show a spreadsheet value in a message as the user typed or sees it."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes").removesuffix(" 00:00")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return value


class _Log:
    """Problems found while reading, and the cells already reported as errors."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.cells: set[tuple[str, Any, str | None]] = set()
        self.bad_rows: dict[str, set[int]] = {}
        self.seen: set[str] = set()  # the sheets found, empty or not
        self.broken: set[str] = set()  # tables whose sheet could not be read at all

    def add(self, table: str, row: int | None, column: str | None, value: Any,
            message: str, severity: str = "error", *, cell: str | None = None,
            id: str | None = None, sheet_name: str | None = None) -> None:  # noqa: A002
        self.problems.append(SheetProblem(table, row, column, _shown(value), message,
                                          severity, id, cell))  # type: ignore[arg-type]
        if severity == "error" and row is not None:
            self.cells.add((table, row, column))
            if sheet_name is not None:
                self.bad_rows.setdefault(sheet_name, set()).add(row)


# -- one sheet as read ----------------------------------------------------------------
@dataclass
class _Raw:
    """A sheet as read: canonical column names, data rows and their row numbers."""

    spec: Sheet
    label: str                       # how messages name it: sheet name or CSV file
    columns: list[str]               # canonical names, in the order read
    positions: dict[str, int]        # canonical name -> position in the row
    rows: list[list[Any]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)

    def cell(self, column: str | None, row: int | None) -> str | None:
        if column is None or column not in self.positions or row is None:
            return None
        return f"{_letter(self.positions[column])}{row}"

    def records(self) -> list[dict[str, Any]]:
        cols = [(c, self.positions[c]) for c in self.columns]
        return [{c: r[i] for c, i in cols} for r in self.rows]

    def values(self, column: str) -> list[Any]:
        i = self.positions.get(column)
        return [None] * len(self.rows) if i is None else [r[i] for r in self.rows]


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _header(spec: Sheet, label: str, header: Sequence[Any], rows: list[list[Any]],
            log: _Log) -> tuple[list[str], dict[str, int]]:
    """Read the header row: match names to columns, report unknown and missing ones."""
    known = spec.names
    folded = {_fold(c): c for c in known}
    columns: list[str] = []
    positions: dict[str, int] = {}
    for i, raw in enumerate(header):
        letter = _letter(i)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if any(i < len(r) and r[i] is not None for r in rows):
                log.add(label, 1, None, None,
                        f"column {letter} has values but no name in row 1. Write its "
                        "name in row 1, or clear the column.", cell=f"{letter}1")
            continue
        text = _shown(raw) if not isinstance(raw, str) else raw
        text = str(text)
        name = text.strip() if spec.open_columns else text
        if name not in known:
            fold = _fold(text)
            if fold in folded:
                name = folded[fold]
            elif spec.open_columns and (fold.startswith(("pop_", "need_"))
                                        or fold.endswith("_code")):
                name = fold
            elif not spec.open_columns:
                where = _other_sheet(fold, spec)
                hint = (f" It belongs on sheet '{where}': move the column there."
                        if where else did_you_mean(text, known))
                keep = (", or put what it holds in 'notes'" if "notes" in known else "")
                log.add(label, 1, text, None,
                        f"is not a column of {_sheet_word(label)} '{label}'.{hint} "
                        f"Rename or delete the column{keep}. Columns are: "
                        f"{', '.join(known)}.", cell=f"{letter}1")
                continue
            if name != text:
                log.add(label, 1, name, text, f"was read as column '{name}'.", "note",
                        cell=f"{letter}1")
        if name in positions:
            log.add(label, 1, name, None,
                    f"appears twice, in columns {_letter(positions[name])} and {letter}. "
                    "Keep one.", cell=f"{letter}1")
            continue
        columns.append(name)
        positions[name] = i
    for col in spec.columns:
        if col.required and col.name not in positions:
            log.broken.add(spec.table)
            present = ", ".join(columns) or "(none)"
            log.add(label, None, col.name, None,
                    f"is missing: {_sheet_word(label)} '{label}' needs a column "
                    f"'{col.name}' ({col.doc.rstrip('.')}). Its columns are: {present}.")
    return columns, positions


def _sheet_word(label: str) -> str:
    return "file" if label.endswith(".csv") else "sheet"


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


def _check_cells(raw: _Raw, log: _Log) -> None:
    """Check and convert each cell by its column's kind, in place; report problems."""
    label, spec = raw.label, raw.spec
    ids = [_key(v) if isinstance(v, str) else None for v in raw.values(spec.key or "")]
    for column in raw.columns:
        kind = spec.kind_of(column)
        i = raw.positions[column]
        letter = _letter(i)
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
                            "with '=', put an apostrophe before it.", cell=f"{letter}{n}",
                            sheet_name=spec.name, id=rid)
                elif value.strip() in _ERROR_VALUES:
                    log.add(label, n, column, value,
                            "is a spreadsheet error, not a value. Correct what caused it "
                            "and write the value.", cell=f"{letter}{n}",
                            sheet_name=spec.name, id=rid)
                else:
                    bare = _unprotect(value)
                    if bare is not None:
                        row[i] = bare
                        log.add(label, n, column, value,
                                "starts with an apostrophe that keeps a spreadsheet from "
                                f"running it as a formula; it was read as {bare!r}.",
                                "note", cell=f"{letter}{n}", id=rid)
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
                log.add(label, n, column, value, fix, cell=f"{letter}{n}",
                        sheet_name=spec.name, id=rid)
            elif isinstance(value, bool):
                if kind in NUMERIC_KINDS or kind in TEXT_KINDS:
                    wanted = "a number" if kind in NUMERIC_KINDS else "text"
                    log.add(label, n, column, value,
                            f"is a TRUE/FALSE value, not {wanted}. Write the value itself.",
                            cell=f"{letter}{n}",
                            sheet_name=spec.name, id=rid)
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
                        "note", cell=f"{letter}{n}", id=rid)


def _merged(raw: _Raw, refs: list[str], log: _Log) -> None:
    from openpyxl.utils.cell import range_boundaries

    by_position = {p: c for c, p in raw.positions.items()}
    key = raw.positions.get(raw.spec.key or "")
    for ref in refs:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        column = by_position.get(min_col - 1)
        rid = None
        if key is not None and min_row in raw.numbers:
            rid = _key(raw.rows[raw.numbers.index(min_row)][key])
        log.add(raw.label, min_row, column, None,
                f"is the first of the merged cells {ref}. servicemap reads one value per "
                "cell: unmerge them (Home > Merge & Center) and write the value in each "
                "cell, or leave it empty.", cell=ref.split(":")[0],
                sheet_name=raw.spec.name, id=rid if isinstance(rid, str) else None)
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                if (r, c) != (min_row, min_col):
                    log.cells.add((raw.label, r, by_position.get(c - 1)))
            log.bad_rows.setdefault(raw.spec.name, set()).add(r)


def _table(spec: Sheet, label: str, grid: list[list[Any]], log: _Log,
           merged: list[str] | None = None) -> _Raw | None:
    """Turn a sheet's grid of values (row 1 first) into a checked :class:`_Raw`."""
    def blank(v: Any) -> bool:
        return v is None or (isinstance(v, str) and not v.strip())

    content = [k for k, r in enumerate(grid) if not all(blank(v) for v in r)]
    if not content:
        names = ", ".join(c.name for c in spec.columns)
        log.broken.add(spec.table)
        if spec.required:
            log.add(label, None, None, None,
                    f"is empty: it needs the column names in row 1 ({names}) and a row "
                    "for each record. `servicemap template` writes a workbook with them.")
        else:
            log.add(label, None, None, None,
                    "is empty, so it was read as having no rows.", "note")
        return None
    header = list(grid[0]) if grid else []
    if all(blank(v) for v in header):
        log.broken.add(spec.table)
        log.add(label, 1, None, None,
                f"has no column names in row 1. Write them there: "
                f"{', '.join(c.name for c in spec.columns)}.")
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
                    f"is in column {_letter(j)}, which has no name in row 1. Name the "
                    "column or clear the cell.", cell=f"{_letter(j)}{n}",
                    sheet_name=spec.name)
        if len(r) < width:
            r.extend([None] * (width - len(r)))
    columns, positions = _header(spec, label, header, [r for _, r in data], log)
    raw = _Raw(spec, label, columns, positions, [r for _, r in data], [n for n, _ in data])
    if merged:
        _merged(raw, merged, log)
    _check_cells(raw, log)
    return raw


# -- reading files --------------------------------------------------------------------
def _match_sheet(name: str) -> Sheet | None:
    for s in SHEETS:
        if name == s.name or _fold(name) in {_fold(s.name), s.table}:
            return s
    return None


def _merged_refs(path: Path) -> dict[str, list[str]]:
    """Map each sheet's name to its merged ranges, read from the file's XML."""
    import zipfile

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
                import html

                out[html.unescape(attrs.get("name", ""))] = [r.decode() for r in refs]
    return out


def _read_xlsx(path: Path, log: _Log) -> dict[str, _Raw]:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    label = path.name
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=False)
        merged = _merged_refs(path)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        log.add(label, None, None, None,
                f"cannot be opened as an Excel workbook ({exc}). Save it from Excel as "
                "'Excel Workbook (.xlsx)'.")
        return {}
    raws: dict[str, _Raw] = {}
    seen: dict[str, str] = {}
    try:
        for ws in book.worksheets:
            title = ws.title
            spec = _match_sheet(title)
            if _fold(title) == "readme":
                continue
            grid = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
            if spec is None:
                if any(v is not None for r in grid for v in r):
                    log.add(title, None, None, None,
                            "is not a sheet servicemap reads, so its contents were not "
                            f"read.{did_you_mean(title, [s.name for s in SHEETS])} Sheets "
                            f"read are: {', '.join(s.name for s in SHEETS)}.", "warning")
                continue
            if spec.name in seen:
                log.add(title, None, None, None,
                        f"is a second sheet for '{spec.name}' (the first is "
                        f"'{seen[spec.name]}'). Keep one.")
                continue
            seen[spec.name] = title
            log.seen.add(spec.name)
            if title != spec.name:
                log.add(title, None, None, None,
                        f"was read as sheet '{spec.name}'.", "note")
            raw = _table(spec, title, grid, log, merged.get(title))
            if raw is not None:
                raws[spec.name] = raw
    finally:
        book.close()
    return raws


def _read_csv_folder(folder: Path, log: _Log) -> dict[str, _Raw]:
    raws: dict[str, _Raw] = {}
    seen: dict[str, str] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".csv" or not path.is_file():
            continue
        spec = _match_sheet(path.stem)
        label = path.name
        if spec is None:
            log.add(label, None, None, None,
                    "is not a file servicemap reads, so it was not read."
                    f"{did_you_mean(path.stem, [s.table for s in SHEETS])} Files read "
                    f"are: {', '.join(s.file for s in SHEETS)}.", "warning")
            continue
        if spec.name in seen:
            log.add(label, None, None, None,
                    f"is a second file for '{spec.file}' (the first is "
                    f"'{seen[spec.name]}'). Keep one.")
            continue
        seen[spec.name] = label
        log.seen.add(spec.name)
        try:
            with path.open(encoding="utf-8-sig", newline="") as f:
                grid: list[list[Any]] = [[v if v != "" else None for v in r]
                                         for r in csv.reader(f)]
        except UnicodeDecodeError as exc:
            log.add(label, None, None, None,
                    f"is not UTF-8 text ({exc.reason} at byte {exc.start}). Save it as "
                    "'CSV UTF-8' in Excel, or as UTF-8 from another program.")
            continue
        except csv.Error as exc:
            log.add(label, None, None, None, f"is not a readable CSV file: {exc}.")
            continue
        raw = _table(spec, label, grid, log)
        if raw is not None:
            if spec.open_columns:
                _type_columns(raw)
            raws[spec.name] = raw
    return raws


_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")


def _type_columns(raw: _Raw) -> None:
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
def _resolve_areas(areas: Any, log: _Log) -> tuple[gpd.GeoDataFrame | None, str]:
    """Return the area boundaries as a GeoDataFrame in EPSG:27700, with its name."""
    import geopandas as gpd

    from servicemap import datasets
    from servicemap.crs import to_working_crs

    if isinstance(areas, gpd.GeoDataFrame):
        gdf, name = areas, "areas"
    elif isinstance(areas, (str, PathLike)):
        path = Path(areas)
        name = str(areas)
        if path.exists():
            gdf = _read_boundaries(path, log)
            if gdf is None:
                return None, name
            name = path.name
        elif isinstance(areas, str) and areas in datasets.available():
            gdf = datasets.load(areas).areas.reset_index()
        else:
            hint = did_you_mean(areas, datasets.available())
            log.add("areas", None, "areas", areas,
                    f"is neither a file nor a shipped dataset.{hint} Give a GeoPackage, "
                    "GeoJSON or shapefile of the area polygons, or one of: "
                    f"{', '.join(datasets.available())}.")
            return None, name
    else:
        log.add("areas", None, None, None,
                f"is a {type(areas).__name__}. Give a GeoDataFrame, a file of area "
                "polygons or a shipped dataset's name.")
        return None, "areas"
    if "code" not in gdf.columns and gdf.index.name == "code":
        gdf = gdf.reset_index()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ReprojectionWarning)
        try:
            gdf = to_working_crs(gdf, "areas")
        except CRSError as exc:
            log.add("areas", None, None, None, str(exc))
            return None, name
    for w in caught:
        if issubclass(w.category, ReprojectionWarning):
            log.add("areas", None, None, None, str(w.message), "note")
        else:  # pragma: no cover - passed on as raised
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return gdf, name


def _read_boundaries(path: Path, log: _Log) -> gpd.GeoDataFrame | None:
    import geopandas as gpd
    import pyogrio

    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
        layer = None
        if len(layers) > 1:
            if "areas" not in layers:
                log.add("areas", None, "areas", str(path),
                        f"has {len(layers)} layers ({', '.join(layers)}) and none is "
                        "called 'areas'. Keep the area polygons in a layer named 'areas'.")
                return None
            layer = "areas"
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        log.add("areas", None, "areas", str(path),
                f"cannot be read as area polygons ({exc}). Give a GeoPackage, GeoJSON or "
                "shapefile.")
        return None


def _stand_in_areas(codes: Sequence[str]) -> gpd.GeoDataFrame:
    """Stand-in areas (1 m squares in a row), to check rows when no boundaries are given.

    Whether sites fall in them means nothing: those problems are left out.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    codes = list(codes) or ["(all)"]
    x = np.arange(len(codes)) * 2.0
    return gpd.GeoDataFrame({"code": codes}, geometry=shapely.box(x, 0, x + 1, 1),
                            crs=27700)


def _join_areas(boundaries: gpd.GeoDataFrame, raw: _Raw | None, log: _Log,
                name: str) -> tuple[gpd.GeoDataFrame, list[Any], dict[str, int]]:
    """Join the Areas sheet's columns to the boundaries by code."""
    import pandas as pd

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
        key = code.strip() if isinstance(code, str) else code
        if key is None:
            continue
        if key in rows_of:
            log.add(raw.label, n, "code", code,
                    f"is also in row {rows_of[key]}. Give each area one row.",
                    cell=raw.cell("code", n), sheet_name="Areas")
        elif key not in known:
            log.add(raw.label, n, "code", code,
                    f"is not an area of the boundaries ({name}).{did_you_mean(key, known)} "
                    "Correct the code or delete the row.", cell=raw.cell("code", n),
                    sheet_name="Areas")
        else:
            rows_of[key] = n
    position = {n: k for k, n in enumerate(raw.numbers)}
    order = [position.get(rows_of.get(c, -1)) for c in codes]
    labels = [rows_of.get(c, i) for i, c in enumerate(codes)]
    geometry = frame.geometry.name
    missing = [c for c, k in zip(codes, order, strict=True) if k is None]
    columns = [c for c in raw.columns if c != "code"]
    # an area with no row keeps the boundaries' values; only new columns go empty
    new = [c for c in columns if c not in frame.columns]
    if missing and new:
        shown = ", ".join(map(str, missing[:5])) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        log.add(raw.label, None, "code", None,
                f"has no row for {plural(len(missing), 'area')} of the boundaries "
                f"({shown}); their {', '.join(new)} are empty.", "warning")
    for c in columns:
        i = raw.positions[c]
        kept = frame[c].tolist() if c in frame.columns else [None] * len(frame)
        # the sheet's values win where given; a blank cell keeps the boundaries'
        values = [raw.rows[k][i] if k is not None and raw.rows[k][i] is not None
                  else kept[j] for j, k in enumerate(order)]
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
    import pandas as pd

    for v, w in zip(values, series.tolist(), strict=True):
        if v is None:
            if not pd.isna(w):
                return False
        elif pd.isna(w) or type(v) is not type(w) and not (
                isinstance(v, (int, float)) and isinstance(w, (int, float))) or v != w:
            return False
    return True


# -- assembling the tables ------------------------------------------------------------
_SIMPLE = {"Organisations": "organisations", "Partnerships": "partnerships",
           "Sites": "sites", "Pathways": "pathways"}


@dataclass
class _Input:
    tables: dict[str, list[dict[str, Any]]]
    labels: dict[str, list[Any]]
    raws: dict[str, _Raw]
    catchment_row: dict[int, int]          # Services row -> Catchments row
    areas: Any = None
    area_rows: dict[str, int] = field(default_factory=dict)
    travel_times: Any = None
    vocabulary: Vocabulary = VOCABULARY
    provenance: dict[str, Any] = field(default_factory=dict)
    stand_in: bool = False


def _key(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _services(raws: dict[str, _Raw], log: _Log) -> tuple[list[dict[str, Any]], list[int],
                                                          dict[int, int]]:
    services = raws.get("Services")
    catchments = raws.get("Catchments")
    records = services.records() if services else []
    numbers = list(services.numbers) if services else []
    ids = [_key(r.get("id")) for r in records]
    joined: dict[int, int] = {}
    if catchments is None:
        return records, numbers, joined
    row_of_id: dict[Any, int] = {}
    for i, sid in enumerate(ids):
        if isinstance(sid, str) and sid:
            row_of_id.setdefault(sid, i)
    first: dict[Any, int] = {}
    for crec, n in zip(catchments.records(), catchments.numbers, strict=True):
        sid = _key(crec.get("service"))
        cell = catchments.cell("service", n)
        if not isinstance(sid, str) or not sid:
            log.add(catchments.label, n, "service", None,
                    "is required but empty. Write the id of the service whose catchment "
                    "this is.", cell=cell, sheet_name="Catchments")
            continue
        if sid in first:
            log.add(catchments.label, n, "service", crec.get("service"),
                    f"already has a catchment in row {first[sid]}. Give each service one "
                    "row.", cell=cell, sheet_name="Catchments")
            continue
        first[sid] = n
        if sid not in row_of_id:
            if "services" in log.broken:
                continue  # the services could not be read: nothing to check against
            where = services.label if services else "Services"
            log.add(catchments.label, n, "service", crec.get("service"),
                    f"is not in sheet '{where}'.{did_you_mean(sid, row_of_id)} Correct the "
                    "id, or add the service.", cell=cell, sheet_name="Catchments")
            continue
        i = row_of_id[sid]
        records[i].update({k: v for k, v in crec.items() if k != "service"})
        joined[numbers[i]] = n
    return records, numbers, joined


def _vocabulary(raw: _Raw | None, log: _Log) -> Vocabulary:
    from servicemap.vocab import _TERM, CATEGORIES

    if raw is None:
        return VOCABULARY
    terms = {cat: dict(VOCABULARY[cat]) for cat in CATEGORIES}
    seen: dict[tuple[str, str], int] = {}
    for rec, n in zip(raw.records(), raw.numbers, strict=True):
        cat, term = _key(rec.get("category")), _key(rec.get("term"))
        label, description = _key(rec.get("label")), _key(rec.get("description"))
        if not isinstance(cat, str) or not cat:
            log.add(raw.label, n, "category", None, "is required but empty. Write the "
                    "vocabulary, such as need.", cell=raw.cell("category", n),
                    sheet_name="Vocabulary")
            continue
        if cat not in terms:
            log.add(raw.label, n, "category", cat,
                    f"is not a vocabulary.{did_you_mean(cat, CATEGORIES)} Use one of: "
                    f"{', '.join(CATEGORIES)}.", cell=raw.cell("category", n),
                    sheet_name="Vocabulary")
            continue
        if not isinstance(term, str) or not term:
            log.add(raw.label, n, "term", None, "is required but empty.",
                    cell=raw.cell("term", n), sheet_name="Vocabulary")
            continue
        if (cat, term) in seen:
            log.add(raw.label, n, "term", term,
                    f"is declared again (first in row {seen[(cat, term)]}). Keep one row.",
                    cell=raw.cell("term", n), sheet_name="Vocabulary")
            continue
        seen[(cat, term)] = n
        builtin = VOCABULARY[cat].get(term)
        if builtin is not None:
            if (label not in (None, builtin.label)
                    or description not in (None, builtin.description)):
                log.add(raw.label, n, "term", term,
                        "is a built-in term; its label and description are fixed, so the "
                        "ones written here were not used. Declare a new term to describe "
                        "something else.", "warning", cell=raw.cell("term", n))
            continue
        if not _TERM.match(term):
            from servicemap.vocab import _fold as fold_term

            log.add(raw.label, n, "term", term,
                    f"cannot be a term: write it in lower-case snake_case, such as "
                    f"{fold_term(term)!r}.", cell=raw.cell("term", n),
                    sheet_name="Vocabulary")
            continue
        text = str(description) if description is not None else ""
        shown = label if isinstance(label, str) and label else (
            text.split(":")[0].strip() or term)
        terms[cat][term] = Term(term, shown, text, declared=True)
    return Vocabulary(terms)


def _provenance(raw: _Raw | None, log: _Log) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw is None:
        return out
    first: dict[str, int] = {}
    for rec, n in zip(raw.records(), raw.numbers, strict=True):
        key, value = _key(rec.get("key")), rec.get("value")
        if not isinstance(key, str) or not key:
            log.add(raw.label, n, "key", None, "is required but empty. Say what the "
                    "value is, such as name or licence.", cell=raw.cell("key", n),
                    sheet_name="About")
            continue
        if key in first:
            log.add(raw.label, n, "key", key, f"is also in row {first[key]}. Keep one.",
                    cell=raw.cell("key", n), sheet_name="About")
            continue
        first[key] = n
        if value is None:
            continue
        if isinstance(value, str) and value[:1] in "{[":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[key] = value
    return out


def _travel_times(raw: _Raw | None) -> Any:
    import pandas as pd

    if raw is None or not raw.rows:
        return None
    data = {c: pd.Series([v if not isinstance(v, (dt.date, dt.time, dt.timedelta, bool))
                          else str(v) for v in raw.values(c)], dtype=object)
            for c in ("area", "site", "minutes")}
    return pd.DataFrame(data)


def _assemble(raws: dict[str, _Raw], areas: Any, log: _Log, *,
              stand_in: bool) -> _Input:
    tables: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, list[Any]] = {}
    for name, table in _SIMPLE.items():
        raw = raws.get(name)
        tables[table] = raw.records() if raw else []
        labels[table] = list(raw.numbers) if raw else []
    records, numbers, joined = _services(raws, log)
    tables["services"], labels["services"] = records, numbers
    for rec in tables["sites"]:  # an empty location cell is no location
        for key in ("easting", "northing", "lon", "lat"):
            if key in rec and rec[key] is None:
                del rec[key]
    inp = _Input(tables, labels, raws, joined, stand_in=stand_in)
    inp.vocabulary = _vocabulary(raws.get("Vocabulary"), log)
    inp.provenance = _provenance(raws.get("About"), log)
    inp.travel_times = _travel_times(raws.get("Travel times"))
    if "Travel times" in raws:
        labels["travel_times"] = list(raws["Travel times"].numbers)
    area_raw = raws.get("Areas")
    if stand_in:
        codes = [_key(c) for c in area_raw.values("code")] if area_raw else []
        codes = list(dict.fromkeys(c for c in codes if isinstance(c, str) and c))
        if not codes:
            area_raw = None
        boundaries, name = _stand_in_areas(codes), "the Areas sheet"
        if area_raw is None or "name" not in area_raw.positions:
            boundaries["name"] = boundaries["code"]
    else:
        boundaries, name = _resolve_areas(areas, log)
    if boundaries is not None:
        frame, area_labels, rows_of = _join_areas(boundaries, area_raw, log, name)
        inp.areas, inp.area_rows = frame, rows_of
        labels["areas"] = area_labels
    return inp


# -- building the map and naming problems as the user sees them -----------------------
_TABLE_WORD = re.compile(r"\btable '(organisations|partnerships|services|sites|pathways|"
                         r"areas|travel_times)'")
_TO_WORD = re.compile(r"\b(to|in|nor in) '(organisations|partnerships|services|sites|"
                      r"pathways)'")


class _Namer:
    """Turn the map builder's problems (table, row label, field) into sheet problems."""

    def __init__(self, inp: _Input, area_source: str) -> None:
        self.inp = inp
        self.area_source = area_source

    def label(self, sheet_name: str) -> str:
        raw = self.inp.raws.get(sheet_name)
        return raw.label if raw is not None else sheet_name

    def text(self, message: str) -> str:
        csv_form = any(r.label.endswith(".csv") for r in self.inp.raws.values())

        def name(table: str) -> str:
            sheet_name = _TABLE_SHEET[table]
            if table == "areas" and "Areas" not in self.inp.raws:
                return "areas"
            return sheet(sheet_name).file if csv_form else sheet_name

        word = "file" if csv_form else "sheet"
        message = _TABLE_WORD.sub(lambda m: f"{word} '{name(m[1])}'", message)
        message = _TO_WORD.sub(lambda m: f"{m[1]} {word} '{name(m[2])}'", message)
        return message.replace(
            "Pass travel_times= (columns area, site, minutes) to ServiceMap.from_frames",
            f"Fill in {word} '{name('travel_times')}' (area, site, minutes)")

    def __call__(self, p: Problem) -> Problem:
        inp = self.inp
        table, column, row = p.table, p.field, p.row
        message = self.text(p.message)
        if table == "areas":
            raw = inp.raws.get("Areas")
            n = inp.area_rows.get(p.id) if p.id is not None else None
            if raw is None or (column is not None and column not in raw.positions) or (
                    n is None and p.row is not None):
                return replace(p, table=f"areas ({self.area_source})", message=message)
            return SheetProblem(raw.label, n, column, p.value, message, p.severity, p.id,
                                raw.cell(column, n))
        if table == "services" and column in (*CATCHMENT_COLUMNS, "reach"):
            cn = inp.catchment_row.get(row) if isinstance(row, int) else None
            raw = inp.raws.get("Catchments")
            if cn is None:
                services = inp.raws.get("Services")
                where = raw.label if raw is not None else "Catchments"
                if services is None or row is None:
                    return replace(p, message=message)
                if column == "reach" and p.value is None and "is missing" in message:
                    message = (f"has no row in {_sheet_word(where)} '{where}'. Add one "
                               "with this service's id in column 'service' and its "
                               "max_distance (metres), max_minutes, or reach 'none' for "
                               "outreach, phone or online services.")
                    return SheetProblem(services.label, row, "id", p.id, message,
                                        p.severity, None, services.cell("id", row))
                return SheetProblem(services.label, row, column, p.value, message,
                                    p.severity, p.id, None)
            assert raw is not None
            return SheetProblem(raw.label, cn, column, p.value, message, p.severity,
                                p.id, raw.cell(column, cn))
        sheet_name = _TABLE_SHEET.get(table)
        raw = inp.raws.get(sheet_name) if sheet_name else None
        if raw is None:
            return replace(p, message=message)
        if table == "sites" and column == "location":
            column = "lon" if self._has(raw, row, "lon") else "easting"
        return SheetProblem(raw.label, row, column, p.value, message, p.severity, p.id,
                            raw.cell(column, row if isinstance(row, int) else None))

    @staticmethod
    def _has(raw: _Raw, row: Any, column: str) -> bool:
        if not isinstance(row, int) or column not in raw.positions:
            return False
        try:
            k = raw.numbers.index(row)
        except ValueError:
            return False
        return raw.rows[k][raw.positions[column]] is not None


def _build(inp: _Input, drop: Mapping[str, set[int]] | None = None,
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
                provenance=inp.provenance, strict=False, row_labels=labels, **tables)
    except InputError as exc:
        return None, list(exc.problems)
    report = smap.validate()
    return smap, [p for p in report.problems if p.severity != "note"]


def _check(path: str | PathLike[str], areas: Any, *, need_areas: bool,
           ) -> tuple[ServiceMap | None, list[Problem], list[Problem], str]:
    """Read and check; return the map (if it could be built), problems, notes, name."""
    path = Path(path)
    log = _Log()
    name = path.name
    if not path.exists():
        msg = f"{str(path)!r} does not exist. Give the workbook (.xlsx) or the CSV folder."
        raise FileNotFoundError(msg)
    if path.is_dir():
        raws = _read_csv_folder(path, log)
    elif path.suffix.lower() in {".xlsx", ".xlsm"}:
        raws = _read_xlsx(path, log)
    else:
        hint = ("Save it from Excel as 'Excel Workbook (.xlsx)'." if path.suffix.lower()
                in {".xls", ".ods"} else "Give an .xlsx workbook or a folder of CSV files "
                "(services.csv, sites.csv, ...).")
        log.add(name, None, None, None, f"is not a workbook servicemap reads. {hint}")
        raws = {}
    stand_in = areas is None
    if stand_in:
        if need_areas:
            log.add("areas", None, None, None,
                    "none were given. Pass areas= a GeoPackage, GeoJSON or shapefile of "
                    "the area polygons, or a shipped dataset's name such as "
                    "'bedfordshire'.")
        else:
            log.add("areas", None, None, None,
                    "none were given, so sites, footprints and travel times were not "
                    "checked against areas. Give the areas (--areas) to check them too.",
                    "note")
    if not raws and any(p.severity == "error" for p in log.problems):
        return None, _ordered(log.problems), [], name
    if raws or not log.problems:
        form = "folder" if path.is_dir() else "workbook"
        found = ", ".join(sorted(log.seen)) or "none"
        for spec in SHEETS:
            if spec.required and spec.name not in log.seen:
                log.broken.add(spec.table)
                what = spec.file if path.is_dir() else spec.name
                log.add(what, None, None, None,
                        f"is missing: the {form} needs it ({spec.doc.split(':')[0]}). "
                        f"Found: {found}. `servicemap template` writes every sheet.")
    for raw in raws.values():
        _duplicate_keys(raw, log)
    inp = _assemble(raws, areas, log, stand_in=stand_in)
    source = "areas"
    if not stand_in:
        source = Path(areas).name if isinstance(areas, (str, PathLike)) else "areas"
    namer = _Namer(inp, source)
    if inp.areas is None:  # the boundaries could not be read: check rows on stand-ins
        inp.areas = _stand_in_areas([])
        inp.areas["name"] = inp.areas["code"]
        inp.labels["areas"] = [0]
        stand_in = True
    smap, found = _build(inp)
    if smap is None:
        failed = _failed_rows(found, inp, log)
        if not any(p.table == "areas" for p in found):
            retry, cross = _build(inp, failed)
            broken = _broken_ids(inp, failed)
            found += [_suggest(p, inp) for p in cross if not _follows_from(p, broken)]
            smap_notes = retry.notes if retry is not None else ()
        else:
            smap_notes = ()
        smap = None
    else:
        smap_notes = smap.notes
        if any(p.severity == "error" for p in log.problems):
            smap = None
    problems = list(log.problems)
    seen = set()
    for p in found:
        if p.severity != "note" and any(f"'{t}'" in p.message for t in log.broken
                                        if t != p.table):
            continue  # a reference into a sheet that could not be read
        if stand_in and _needs_areas(p, inp):
            continue
        q = namer(p)
        key = (q.table, q.row, q.field, q.message)
        if key in seen:
            continue
        seen.add(key)
        if q.severity == "error" and (q.table, q.row, q.field) in log.cells:
            continue
        problems.append(q)
    notes = [p for p in problems if p.severity == "note"] + [namer(p) for p in smap_notes]
    problems = [p for p in problems if p.severity != "note"]
    if any(p.severity == "error" for p in problems):
        smap = None
    return smap, _ordered(problems + notes), notes, name


def _duplicate_keys(raw: _Raw, log: _Log) -> None:
    """Report ids used by two rows, compared as the model reads them (trimmed)."""
    if raw.spec.key != "id" or "id" not in raw.positions:
        return
    rows: dict[str, list[int]] = {}
    for value, n in zip(raw.values("id"), raw.numbers, strict=True):
        if isinstance(value, str) and value.strip():
            rows.setdefault(value.strip(), []).append(n)
    for key, where in rows.items():
        for n in where[1:]:
            log.add(raw.label, n, "id", key,
                    f"is used by rows {', '.join(map(str, where))}. Give each record its "
                    "own id.", cell=raw.cell("id", n), id=key, sheet_name=raw.spec.name)


def _needs_areas(p: Problem, inp: _Input) -> bool:
    """Whether a problem of the map builder only arises because no boundaries were given.

    Without boundaries the rows are checked on stand-in areas: the Areas sheet's codes
    if it has rows (so its own problems are kept), else one area for everywhere.
    """
    if p.table == "sites" and p.field == "location" and "from the nearest" in p.message:
        return True
    raw = inp.raws.get("Areas")
    if raw is None or not raw.rows:
        return p.table == "areas" or p.field in {"footprint", "area"}
    return p.table == "areas" and p.field not in raw.positions


def _failed_rows(found: list[Problem], inp: _Input, log: _Log) -> dict[str, set[int]]:
    failed: dict[str, set[int]] = {t: set() for t in inp.labels}
    back = {n: s for s, n in inp.catchment_row.items()}
    for p in found:
        if p.severity == "error" and isinstance(p.row, int) and p.table in failed:
            failed[p.table].add(p.row)
    for sheet_name, rows in log.bad_rows.items():
        table = sheet(sheet_name).table
        if table == "catchments":
            failed["services"] |= {back[n] for n in rows if n in back}
        elif table in failed:
            failed[table] |= rows
    return failed


def _broken_ids(inp: _Input, failed: dict[str, set[int]]) -> set[str]:
    """Ids of rows left out for their errors, and services named by left-out sites."""
    out: set[str] = set()
    for table, rows in failed.items():
        if table not in inp.tables:
            continue
        for rec, n in zip(inp.tables[table], inp.labels[table], strict=True):
            if n in rows:
                key = _key(rec.get("id"))
                if isinstance(key, str):
                    out.add(key)
                if table == "sites" and isinstance(rec.get("services"), str):
                    out |= {f"site-of:{s.strip()}" for s in rec["services"].split(";")}
    return out


def _follows_from(p: Problem, broken: set[str]) -> bool:
    """Whether a problem across records only arises from a row left out for its errors."""
    if isinstance(p.value, str) and p.value in broken:
        return True
    return p.table == "services" and p.field == "reach" and f"site-of:{p.id}" in broken


_MISSING_REF = re.compile(r"^is not in table '(\w+)'\.(?! Did you mean)")


def _suggest(p: Problem, inp: _Input) -> Problem:
    """Add a did-you-mean from every row, the ones left out for their errors too."""
    m = _MISSING_REF.match(p.message)
    if m is None or not isinstance(p.value, str) or m[1] not in inp.tables:
        return p
    known = [_key(r.get("id")) for r in inp.tables[m[1]]]
    hint = did_you_mean(p.value, [k for k in known if isinstance(k, str) and k])
    return replace(p, message=p.message[:m.end()] + hint + p.message[m.end():])


def _ordered(problems: list[Problem]) -> list[Problem]:
    order = {s.name: i for i, s in enumerate(SHEETS)} | {
        s.file: i for i, s in enumerate(SHEETS)}

    def key(p: Problem) -> tuple:
        return (_RANK.get(p.severity, 3), order.get(p.table, len(SHEETS)),
                p.row if isinstance(p.row, int) else 0)
    return sorted(problems, key=key)


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
    ...     report = validate_workbook(write_template(pathlib.Path(d) / "t.xlsx"))
    >>> report.ok, len(report.problems)
    (True, 1)
    >>> print(report.notes[0])  # doctest: +NORMALIZE_WHITESPACE
    areas: none were given, so sites, footprints and travel times were not checked
    against areas. Give the areas (--areas) to check them too.
    """
    _, problems, _, name = _check(path, areas, need_areas=False)
    return ValidationReport(tuple(problems), source=name)


# -- writing --------------------------------------------------------------------------
def _protect(value: Any) -> Any:
    """Return a value as a cell holds it: text that cannot run, yes/no, plain numbers."""
    import numpy as np
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    if isinstance(value, str):
        safe = safe_text(value)
        if safe == value and value.startswith("'"):
            safe = "'" + value
        return safe
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _map_tables(smap: ServiceMap) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Return the map's tables as sheets: column names and rows of cell values."""
    import numpy as np

    def rows(frame: Any, columns: list[str], key: str = "id") -> tuple[list[str],
                                                                         list[list[Any]]]:
        data = [frame.index.tolist()] + [frame[c].tolist() for c in columns]
        return [key, *columns], [list(r) for r in zip(*data, strict=True)] if len(
            frame) else []

    services = smap.services
    own = [c for c in SERVICE_COLUMNS if c not in CATCHMENT_COLUMNS]
    sites = smap.sites
    geom = sites.geometry
    located = (geom.notna() & ~geom.is_empty).to_numpy()
    x = np.where(located, geom.x.where(located).to_numpy(), np.nan)
    y = np.where(located, geom.y.where(located).to_numpy(), np.nan)
    site_frame = sites.drop(columns=sites.geometry.name).assign(
        easting=x, northing=y, lon=None, lat=None)
    site_columns = sheet("Sites").names[1:]
    areas = smap.areas
    area_columns = [c for c in areas.columns if c != areas.geometry.name]
    times = smap.travel_times
    return {
        "Organisations": rows(smap.organisations, ORGANISATION_COLUMNS),
        "Partnerships": rows(smap.partnerships, PARTNERSHIP_COLUMNS),
        "Services": rows(services, own),
        "Catchments": rows(services, CATCHMENT_COLUMNS, "service"),
        "Sites": rows(site_frame, [c for c in site_columns if c in SITE_COLUMNS
                                   or c in {"easting", "northing", "lon", "lat"}]),
        "Pathways": rows(smap.pathways, PATHWAY_COLUMNS),
        "Areas": rows(areas, area_columns, "code"),
        "Travel times": (["area", "site", "minutes"],
                         [list(r) for r in zip(times["area"], times["site"],
                                               times["minutes"], strict=True)]),
    }


def _vocabulary_rows(vocab: Vocabulary) -> list[list[Any]]:
    return [[cat, t.term, t.label, t.description] for cat in vocab
            for t in vocab[cat].values()]


def _about_rows(provenance: Mapping[str, Any]) -> list[list[Any]]:
    out = []
    for key in dict.fromkeys([*_ABOUT_KEYS, *provenance]):
        value = provenance.get(key)
        if value is not None and not isinstance(value, str):
            value = json.dumps(value, ensure_ascii=False)
        out.append([key, value])
    return out


def _template_tables() -> dict[str, tuple[list[str], list[list[Any]]]]:
    return {s.name: (s.names, []) for s in SHEETS if s.name not in {"Vocabulary", "About"}}


def _prepare(tables: dict[str, tuple[list[str], list[list[Any]]]], vocab: Vocabulary,
             provenance: Mapping[str, Any]) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """Add the Vocabulary and About sheets, make every value safe; check cell limits."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    out = dict(tables)
    out["Vocabulary"] = (sheet("Vocabulary").names, _vocabulary_rows(vocab))
    out["About"] = (sheet("About").names, _about_rows(provenance))
    problems = []
    for name, (columns, rows) in out.items():
        for k, r in enumerate(rows):
            for j, v in enumerate(r):
                v = _protect(v)
                r[j] = v
                if isinstance(v, str) and (len(v) > _MAX_CELL
                                           or ILLEGAL_CHARACTERS_RE.search(v)):
                    why = (f"is {len(v):,} characters long; a spreadsheet cell holds "
                           f"{_MAX_CELL:,}. Shorten it." if len(v) > _MAX_CELL else
                           "holds a control character that a spreadsheet cannot store. "
                           "Remove it.")
                    problems.append(Problem(sheet(name).table, r[0] if isinstance(
                        r[0], str) else k, columns[j], None, why))
    if problems:
        raise InputError(problems, source="the map")
    return out


def _check_target(path: Path, overwrite: bool) -> str:
    """Return ``"xlsx"`` or ``"csv"`` for a path to write, refusing to overwrite."""
    if path.suffix.lower() == ".xlsx":
        kind = "xlsx"
        exists = path.exists()
    elif path.suffix == "" or path.is_dir():
        kind = "csv"
        exists = path.is_dir() and any(path.iterdir())
    else:
        msg = (f"cannot write {path.name!r}: give a name ending in .xlsx for a workbook, "
               "or a folder (no extension) for CSV files.")
        raise ValueError(msg)
    if exists and not overwrite:
        msg = (f"{str(path)!r} already exists; pass overwrite=True (--force on the command "
               "line) to replace it.")
        raise FileExistsError(msg)
    return kind


def _vocab_ranges(vocab: Vocabulary) -> dict[str, str]:
    """Each category's range of terms on the Vocabulary sheet (column B)."""
    out, row = {}, 2
    for cat in vocab:
        n = len(vocab[cat])
        out[cat] = f"Vocabulary!$B${row}:$B${row + n - 1}"
        row += n
    return out


def _validations(ws: Any, spec: Sheet, columns: list[str], ranges: dict[str, str]) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    for j, name in enumerate(columns):
        if name not in spec.names:
            continue
        col = spec.column(name)
        letter = _letter(j)
        dv = None
        if col.kind in {"term", "terms"} and col.category in ranges:
            dv = DataValidation(type="list", formula1=f"={ranges[col.category]}",
                                allow_blank=True)
            if col.kind == "term":
                dv.errorStyle = "warning"
                dv.errorTitle = "Not a known term"
                dv.error = (f"Pick a {col.category.replace('_', ' ')} from the list, or "
                            "declare a new term on the Vocabulary sheet.")
            else:
                dv.showErrorMessage = False
            dv.promptTitle = name[:32]
            dv.prompt = (("Pick one, or type several separated by ';'. " if col.kind ==
                          "terms" else "") + col.doc)[:250]
            dv.showInputMessage = True
        elif col.kind == "yes_no":
            dv = DataValidation(type="list", formula1='"yes,no"', allow_blank=True)
            dv.errorStyle = "stop"
            dv.error = "Write yes or no, or leave it empty."
        elif col.kind in NUMERIC_KINDS and name not in {"easting", "northing", "lon",
                                                        "lat"}:
            kind = "whole" if col.kind == "whole" else "decimal"
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1="0",
                                allow_blank=True)
            dv.errorStyle = "stop"
            dv.errorTitle = "Not a number"
            dv.error = ("Write a whole number of 0 or more." if kind == "whole" else
                        "Write a plain number of 0 or more, with no units or words.")
        elif col.kind == "id" and col.refers_to and name != "id":
            target = sheet(col.refers_to)
            dv = DataValidation(type="list", allow_blank=True,
                                formula1=f"={target.name}!$A$2:$A${_LAST_ROW}")
            dv.errorStyle = "information"
            dv.errorTitle = "Not yet listed"
            dv.error = f"This id is not on sheet {target.name} yet. Add it there."
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{_LAST_ROW}")


def _width(header: str, values: list[Any]) -> float:
    longest = max([len(header) + 2, *(len(str(v)) for v in values[:200] if v is not None)])
    return float(min(max(longest + 2, 10), 50))


def _write_xlsx(path: Path, tables: dict[str, tuple[list[str], list[list[Any]]]],
                vocab: Vocabulary) -> None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    book = openpyxl.Workbook()
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    ranges = _vocab_ranges(vocab)
    readme = book.active
    readme.title = "README"
    _write_readme(readme, bold, fill, Alignment)
    for spec in SHEETS:
        if spec.name not in tables:
            continue
        columns, rows = tables[spec.name]
        ws = book.create_sheet(spec.name)
        ws.append(columns)
        for r in rows:
            ws.append(r)
        for j, name in enumerate(columns):
            cell = ws.cell(row=1, column=j + 1)
            cell.font, cell.fill = bold, fill
            if name in spec.names:
                col = spec.column(name)
                cell.comment = Comment(f"{col.describe_kind()}. {col.doc}", "servicemap",
                                       width=300, height=120)
                if col.kind in TEXT_KINDS:
                    ws.column_dimensions[_letter(j)].number_format = "@"
            ws.column_dimensions[_letter(j)].width = _width(name, [r[j] for r in rows])
        ws.freeze_panes = "B2" if spec.key else "A2"
        if spec.name not in {"Vocabulary", "About"}:
            _validations(ws, spec, columns, ranges)
    book.save(path)


def _write_readme(ws: Any, bold: Any, fill: Any, alignment: Any) -> None:
    from openpyxl.styles import Font

    title_font = Font(bold=True, size=14)
    intro = [
        "servicemap workshop workbook",
        "One sheet per table. Row 1 holds the column names: keep them. Write one record "
        "a row from row 2. Empty cells mean unknown (or the default).",
        "Lists go in one cell separated by ';' (drug; alcohol). Categorical columns take "
        "a term of sheet Vocabulary: pick it from the drop-down, or add a row there to "
        "declare a new term.",
        "Check the workbook with: servicemap validate mapping.xlsx --areas areas.gpkg",
        "Every column of every sheet, with an example row:",
    ]
    for line in intro:
        ws.append([line])
    ws["A1"].font = title_font
    ws.append([])
    frame = readme_frame()
    start = ws.max_row + 1
    ws.append(list(frame.columns))
    for r in frame.itertuples(index=False):
        ws.append([_protect(v) or None for v in r])
    for j in range(len(frame.columns)):
        cell = ws.cell(row=start, column=j + 1)
        cell.font, cell.fill = bold, fill
    widths = [14, 30, 9, 36, 80, 36]
    for j, w in enumerate(widths):
        ws.column_dimensions[_letter(j)].width = w
    for row in ws.iter_rows(min_row=start + 1, min_col=5, max_col=5):
        for cell in row:
            cell.alignment = alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = f"A{start + 1}"


def _readme_markdown() -> str:
    frame = readme_frame()
    lines = ["# servicemap workshop folder", "",
             "One CSV file per table. The first line holds the column names: keep them. "
             "One record a line after it. Empty values mean unknown (or the default). "
             "Lists go in one value separated by ';' (drug; alcohol). Categorical columns "
             "take a term of vocabulary.csv; add a line there to declare a new term.", "",
             "Check the folder with: `servicemap validate mapping --areas areas.gpkg`", ""]
    for spec in SHEETS:
        lines += [f"## {spec.file}", "", spec.doc, "",
                  "| column | required | holds | description | example |",
                  "|---|---|---|---|---|"]
        part = frame[frame["sheet"] == spec.name]
        for r in part.itertuples(index=False):
            cells = [r.column, r.required, r.holds, r.description, r.example]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells)
                         + " |")
        lines.append("")
    return "\n".join(lines)


def _write_csv_folder(folder: Path, tables: dict[str, tuple[list[str], list[list[Any]]]],
                      ) -> None:
    import pandas as pd

    from servicemap.io.exports import write_csv

    folder.mkdir(parents=True, exist_ok=True)
    for spec in SHEETS:
        if spec.name not in tables:
            continue
        columns, rows = tables[spec.name]
        frame = pd.DataFrame(rows, columns=columns, dtype=object)
        write_csv(frame, folder / spec.file, index=False)
    (folder / "README.md").write_text(_readme_markdown(), encoding="utf-8")


def write_workbook(smap: ServiceMap, path: str | PathLike[str], *,
                   overwrite: bool = False) -> Path:
    """Write a map as a workshop workbook (``.xlsx``) or a folder of CSV files.

    What is written reads back with :func:`read_workbook` (given the same areas) to an
    equal map. Sites are written with easting and northing; the areas' figures go on
    the Areas sheet (their polygons do not: give them again when reading).

    Parameters
    ----------
    smap : ServiceMap
        The map.
    path : str or path-like
        A name ending in ``.xlsx`` for a workbook, or a folder (no extension) for CSV
        files.
    overwrite : bool, default False
        Replace an existing workbook, or write into a folder that is not empty.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    FileExistsError
        If the path exists and ``overwrite`` is false.
    InputError
        If a text is longer than a spreadsheet cell holds or has a control character.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> smap = sm.datasets.bedfordshire()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     folder = write_workbook(smap, pathlib.Path(d) / "beds")
    ...     print(sorted(p.name for p in folder.iterdir())[:4])
    ...     again = read_workbook(folder, areas="bedfordshire")
    ['README.md', 'about.csv', 'areas.csv', 'catchments.csv']
    >>> again.equals(smap)
    True
    """
    path = Path(path)
    kind = _check_target(path, overwrite)
    tables = _prepare(_map_tables(smap), smap.vocabulary, smap.provenance)
    if kind == "xlsx":
        _write_xlsx(path, tables, smap.vocabulary)
    else:
        _write_csv_folder(path, tables)
    return path


def write_template(path: str | PathLike[str], *, overwrite: bool = False) -> Path:
    """Write an empty workshop workbook (``.xlsx``) or CSV folder to fill in.

    The workbook has a README sheet explaining every column with an example row, one
    sheet per table with its column names in row 1 (frozen, with a note on each),
    drop-downs for every vocabulary column (lists on the Vocabulary sheet), yes/no
    and number checks, and the Vocabulary sheet of built-in terms, where new terms
    are declared. A folder gets one CSV file per sheet and a README.md.

    Parameters
    ----------
    path : str or path-like
        A name ending in ``.xlsx``, or a folder (no extension) for CSV files.
    overwrite : bool, default False
        Replace an existing file, or write into a folder that is not empty.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    FileExistsError
        If the path exists and ``overwrite`` is false: a filled-in workbook is never
        replaced by accident.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> with tempfile.TemporaryDirectory() as d:
    ...     book = openpyxl.load_workbook(write_template(pathlib.Path(d) / "m.xlsx"))
    >>> book.sheetnames  # doctest: +NORMALIZE_WHITESPACE
    ['README', 'Organisations', 'Partnerships', 'Services', 'Catchments', 'Sites',
     'Pathways', 'Areas', 'Travel times', 'Vocabulary', 'About']
    >>> [c.value for c in book["Catchments"][1]]
    ['service', 'footprint', 'reach', 'max_distance', 'max_minutes']
    """
    path = Path(path)
    kind = _check_target(path, overwrite)
    tables = _prepare(_template_tables(), VOCABULARY, {})
    if kind == "xlsx":
        _write_xlsx(path, tables, VOCABULARY)
    else:
        _write_csv_folder(path, tables)
    return path

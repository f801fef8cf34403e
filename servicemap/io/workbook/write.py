"""Writing a map as a workshop workbook, an empty template, or a folder of CSV files.

Every text the writers put in a cell or CSV value that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets an apostrophe in front (OWASP CSV injection),
which the reader takes off again.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from servicemap.errors import InputError, Problem
from servicemap.io.exports import safe_text, write_csv
from servicemap.io.sheets import NUMERIC_KINDS, SHEETS, TEXT_KINDS, Sheet, readme_frame, sheet
from servicemap.io.workbook._raw import letter
from servicemap.servicemap import (
    CATCHMENT_COLUMNS,
    ORGANISATION_COLUMNS,
    PARTNERSHIP_COLUMNS,
    PATHWAY_COLUMNS,
    SERVICE_COLUMNS,
    SITE_COLUMNS,
    ServiceMap,
)
from servicemap.vocab import VOCABULARY, Vocabulary

__all__ = ["write_template", "write_workbook"]

_MAX_CELL = 32_767  # characters a spreadsheet cell holds
_LAST_ROW = 1_048_576
_ABOUT_KEYS = ("name", "description", "licence", "attribution")


def _protect(value: Any) -> Any:
    """Return a value as a cell holds it: text that cannot run, yes/no, plain numbers."""
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
                        r[0], str) else k, columns[j], None, why, code="unwritable_text"))
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

    for j, name in enumerate(columns):
        if name not in spec.names:
            continue
        col = spec.column(name)
        col_letter = letter(j)
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
            dv.add(f"{col_letter}2:{col_letter}{_LAST_ROW}")


def _width(header: str, values: list[Any]) -> float:
    longest = max([len(header) + 2, *(len(str(v)) for v in values[:200] if v is not None)])
    return float(min(max(longest + 2, 10), 50))


def _write_xlsx(path: Path, tables: dict[str, tuple[list[str], list[list[Any]]]],
                vocab: Vocabulary) -> None:

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
                    ws.column_dimensions[letter(j)].number_format = "@"
            ws.column_dimensions[letter(j)].width = _width(name, [r[j] for r in rows])
        ws.freeze_panes = "B2" if spec.key else "A2"
        if spec.name not in {"Vocabulary", "About"}:
            _validations(ws, spec, columns, ranges)
    book.save(path)


def _write_readme(ws: Any, bold: Any, fill: Any, alignment: Any) -> None:

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
        ws.column_dimensions[letter(j)].width = w
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
    ...     again = sm.read_workbook(folder, areas="bedfordshire")
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

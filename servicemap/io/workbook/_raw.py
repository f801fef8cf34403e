"""A workbook as read: its sheets' raw rows, the problems found, named by cell.

The reader (:mod:`.read`), the placing of the map's problems on sheets (:mod:`.place`)
and the writer (:mod:`.write`) share these.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from servicemap.errors import Problem, Severity
from servicemap.io.sheets import SHEETS, Sheet
from servicemap.vocab import VOCABULARY, Vocabulary

#: The sheet of each table of the map.
TABLE_SHEET = {s.table: s.name for s in SHEETS}


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
        kind = "file" if "." in self.table else "sheet"
        return self._located(f"{kind} '{self.table}'", self.row, "column")


def letter(index: int) -> str:
    """Return the spreadsheet letter of a column from its position (0-based)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def shown(value: Any) -> Any:
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



class Log:
    """Problems found while reading, and the cells already reported as errors."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.cells: set[tuple[str, Any, str | None]] = set()
        self.bad_rows: dict[str, set[int]] = {}
        self.seen: set[str] = set()  # the sheets found, empty or not
        self.broken: set[str] = set()  # tables whose sheet could not be read at all

    def add(self, table: str, row: int | None, column: str | None, value: Any,
            message: str, severity: Severity = "error", *, code: str,
            cell: str | None = None, id: str | None = None,  # noqa: A002
            sheet_name: str | None = None, ref_table: str | None = None,
            ref_id: str | None = None) -> None:
        """Add a problem; an error's cell is remembered, and its row if on a sheet."""
        self.problems.append(SheetProblem(table, row, column, shown(value), message,
                                          severity, id, code, ref_table, ref_id,
                                          cell=cell))
        if severity == "error" and row is not None:
            self.cells.add((table, row, column))
            if sheet_name is not None:
                self.bad_rows.setdefault(sheet_name, set()).add(row)


# -- one sheet as read ----------------------------------------------------------------
@dataclass
class Raw:
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
        return f"{letter(self.positions[column])}{row}"

    def records(self) -> list[dict[str, Any]]:
        cols = [(c, self.positions[c]) for c in self.columns]
        return [{c: r[i] for c, i in cols} for r in self.rows]

    def values(self, column: str) -> list[Any]:
        i = self.positions.get(column)
        return [None] * len(self.rows) if i is None else [r[i] for r in self.rows]


def fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")



def sheet_word(label: str) -> str:
    """Return "file" for a CSV file's label, "sheet" for a sheet's."""
    return "file" if label.endswith(".csv") else "sheet"


def key(value: Any) -> Any:
    """Return a cell's value as the model reads an id: text without surrounding spaces."""
    return value.strip() if isinstance(value, str) else value


@dataclass
class Input:
    """The sheets assembled into the map's tables, with each row's number."""

    tables: dict[str, list[dict[str, Any]]]
    labels: dict[str, list[Any]]
    raws: dict[str, Raw]
    catchment_row: dict[int, int]          # Services row -> Catchments row
    areas: Any = None
    area_rows: dict[str, int] = field(default_factory=dict)
    travel_times: Any = None
    vocabulary: Vocabulary = VOCABULARY
    provenance: dict[str, Any] = field(default_factory=dict)
    stand_in: bool = False

"""The map's problems placed on the workbook: sheet, row as Excel shows it, column, cell.

The map builder names a problem by table, row label and field; this module turns it into
a :class:`~servicemap.io.workbook.SheetProblem` on the sheet the user filled in. Every
decision is taken on the problem's ``code``, ``table``, ``field``, ``ref_table`` and
``ref_id``, never on its message's words: a reworded message lands in the same cell.
Only the wording of table names is translated into sheet (or CSV file) names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from servicemap._checks import missing_reference_message
from servicemap.errors import Problem, did_you_mean
from servicemap.io.sheets import SHEETS, sheet
from servicemap.io.workbook._raw import (
    TABLE_SHEET,
    Input,
    Log,
    Raw,
    SheetProblem,
    key,
    sheet_word,
)
from servicemap.schema import CATCHMENT_COLUMNS

__all__ = ["failed_rows", "ordered", "place", "placed_problems"]

_RANK = {"error": 0, "warning": 1, "note": 2}
#: Fields whose ids may be in either of two tables.
_EITHER: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("services", "commissioners"): ("organisations", "partnerships")}
_TABLE_WORD = re.compile(r"\btable '(organisations|partnerships|services|sites|pathways|"
                         r"areas|travel_times)'")
_TO_WORD = re.compile(r"\b(to|in|nor in) '(organisations|partnerships|services|sites|"
                      r"pathways)'")
_FROM_FRAMES = "Pass travel_times= (columns area, site, minutes) to ServiceMap.from_frames"


def placed_problems(found: Iterable[Problem], inp: Input, log: Log, *, stand_in: bool,
                    area_source: str) -> list[Problem]:
    """Place the map builder's problems, less those that follow from the reader's own.

    Left out: references into a sheet that could not be read, what only arises
    because no boundaries were given (``stand_in``), a problem given twice, and errors
    in a cell the reader already reported.
    """
    out: list[Problem] = []
    seen = set()
    for p in found:
        if p.severity != "note" and _into_unread_sheet(p, inp, log):
            continue
        if stand_in and _needs_areas(p, inp):
            continue
        q = place(p, inp, area_source)
        once = (q.table, q.row, q.field, q.code, repr(q.value), q.message)
        if once in seen:
            continue
        seen.add(once)
        if q.severity == "error" and (q.table, q.row, q.field) in log.cells:
            continue
        out.append(q)
    return out


def place(p: Problem, inp: Input, area_source: str) -> Problem:
    """Return the problem named by sheet, row and column (and cell where it has one)."""
    message = _reword(p, inp)
    if p.table == "areas":
        return _place_area(p, inp, area_source, message)
    if p.table == "services" and p.field in (*CATCHMENT_COLUMNS, "reach"):
        return _place_catchment(p, inp, message)
    sheet_name = TABLE_SHEET.get(p.table)
    raw = inp.raws.get(sheet_name) if sheet_name else None
    if raw is None:
        return replace(p, message=message)
    column, row = p.field, p.row
    if p.table == "sites" and column == "location":
        column = "lon" if _has(raw, row, "lon") else "easting"
    return _on_sheet(p, raw, row, column, message)


def _on_sheet(p: Problem, raw: Raw, row: Any, column: str | None, message: str,
              ) -> SheetProblem:
    return SheetProblem(raw.label, row, column, p.value, message, p.severity, p.id,
                        p.code, p.ref_table, p.ref_id,
                        cell=raw.cell(column, row if isinstance(row, int) else None))


def _place_area(p: Problem, inp: Input, area_source: str, message: str) -> Problem:
    raw = inp.raws.get("Areas")
    n = inp.area_rows.get(p.id) if p.id is not None else None
    if raw is None or (p.field is not None and p.field not in raw.positions) or (
            n is None and p.row is not None):
        return replace(p, table=f"areas ({area_source})", message=message)
    return _on_sheet(p, raw, n, p.field, message)


def _place_catchment(p: Problem, inp: Input, message: str) -> Problem:
    """Place a catchment's problem on its Catchments row, or its service's row."""
    row = p.row
    cn = inp.catchment_row.get(row) if isinstance(row, int) else None
    raw = inp.raws.get("Catchments")
    if cn is not None and raw is not None:
        return _on_sheet(p, raw, cn, p.field, message)
    services = inp.raws.get("Services")
    if services is None or row is None:
        return replace(p, message=message)
    if p.code == "bad_reach" and p.value is None:
        # a service with no catchment row has no reach, maximum or footprint at all
        where = raw.label if raw is not None else "Catchments"
        message = (f"has no row in {sheet_word(where)} '{where}'. Add one with this "
                   "service's id in column 'service' and its max_distance (metres), "
                   "max_minutes, or reach 'none' for outreach, phone or online services.")
        return SheetProblem(services.label, row, "id", p.id, message, p.severity, None,
                            "missing_row", "catchments", None,
                            cell=services.cell("id", row if isinstance(row, int) else None))
    return SheetProblem(services.label, row, p.field, p.value, message, p.severity, p.id,
                        p.code, p.ref_table, p.ref_id)


def _reword(p: Problem, inp: Input) -> str:
    """Name tables as the user's sheets (or CSV files) in a problem's message."""
    csv_form = any(r.label.endswith(".csv") for r in inp.raws.values())

    def name(table: str) -> str:
        if table == "areas" and "Areas" not in inp.raws:
            return "areas"
        sheet_name = TABLE_SHEET[table]
        return sheet(sheet_name).file if csv_form else sheet_name

    word = "file" if csv_form else "sheet"
    message = _TABLE_WORD.sub(lambda m: f"{word} '{name(m[1])}'", p.message)
    message = _TO_WORD.sub(lambda m: f"{m[1]} {word} '{name(m[2])}'", message)
    if p.code == "no_travel_times":
        message = message.replace(
            _FROM_FRAMES, f"Fill in {word} '{name('travel_times')}' (area, site, minutes)")
    return message


def _has(raw: Raw, row: Any, column: str) -> bool:
    if not isinstance(row, int) or column not in raw.positions:
        return False
    try:
        k = raw.numbers.index(row)
    except ValueError:
        return False
    return raw.rows[k][raw.positions[column]] is not None


# -- what follows from other problems -------------------------------------------------
def _targets(p: Problem) -> tuple[str, ...]:
    """Return the tables a problem points at."""
    either = _EITHER.get((p.table, p.field))
    if either is not None and p.code == "unknown_reference":
        return either
    return (p.ref_table,) if p.ref_table is not None else ()


def _into_unread_sheet(p: Problem, inp: Input, log: Log) -> bool:
    """Whether a problem points into a record table whose sheet could not be read."""
    return any(t in log.broken and t in inp.tables and t != p.table for t in _targets(p))


def _needs_areas(p: Problem, inp: Input) -> bool:
    """Whether a problem of the map builder only arises because no boundaries were given.

    Without boundaries the rows are checked on stand-in areas: the Areas sheet's codes
    if it has rows (so its own problems are kept), else one area for everywhere.
    """
    if p.code == "outside_areas":
        return True
    raw = inp.raws.get("Areas")
    if raw is None or not raw.rows:
        return p.table == "areas" or p.field in {"footprint", "area"}
    return p.table == "areas" and p.field not in raw.positions


def failed_rows(found: Iterable[Problem], inp: Input, log: Log) -> dict[str, set[int]]:
    """Return the rows of each table with an error, to leave out when building again."""
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


def follow_ups(cross: Iterable[Problem], inp: Input, failed: dict[str, set[int]],
               ) -> list[Problem]:
    """Return the problems across the rows kept, less those that follow from rows left out.

    A problem only arises from a row left out for its errors when it names that row's
    id, or is a service's lack of a site whose row was left out. A missing id gets a
    did-you-mean from every row.
    """
    ids, services_of_sites = _left_out(inp, failed)
    kept = []
    for p in cross:
        if p.code == "unknown_reference" and p.ref_id in ids:
            continue  # the id is there, on a row left out for its own errors
        if p.code in {"no_site", "no_travel_times"} and p.id in services_of_sites:
            continue  # the service's site was left out for its own errors
        kept.append(_suggest(p, inp, failed))
    return kept


def _left_out(inp: Input, failed: dict[str, set[int]]) -> tuple[set[str], set[str]]:
    """Return the ids of rows left out for their errors, and the services their sites name."""
    ids: set[str] = set()
    services: set[str] = set()
    for table, rows in failed.items():
        if table not in inp.tables:
            continue
        for rec, n in zip(inp.tables[table], inp.labels[table], strict=True):
            if n not in rows:
                continue
            rid = key(rec.get("id"))
            if isinstance(rid, str):
                ids.add(rid)
            if table == "sites" and isinstance(rec.get("services"), str):
                services |= {s.strip() for s in rec["services"].split(";")}
    return ids, services


def _suggest(p: Problem, inp: Input, failed: dict[str, set[int]]) -> Problem:
    """Add a did-you-mean from every row, the ones left out for their errors too."""
    if (p.code != "unknown_reference" or p.table not in inp.tables
            or p.ref_table not in inp.tables or len(_targets(p)) != 1
            or not isinstance(p.ref_id, str)):
        return p
    gone = failed.get(p.ref_table, set())
    every = [(key(r.get("id")), n) for r, n in zip(inp.tables[p.ref_table],
                                                   inp.labels[p.ref_table], strict=True)]
    known = [k for k, _ in every if isinstance(k, str) and k]
    kept = [k for k, n in every if isinstance(k, str) and k and n not in gone]
    if did_you_mean(p.ref_id, kept) or not did_you_mean(p.ref_id, known):
        return p  # the message has its hint already, or no row comes close
    return replace(p, message=missing_reference_message(p.ref_id, p.ref_table, known))


def ordered(problems: Sequence[Problem]) -> list[Problem]:
    """Errors, then warnings, then notes; each in the order of the sheets, then rows."""
    order = {s.name: i for i, s in enumerate(SHEETS)} | {
        s.file: i for i, s in enumerate(SHEETS)}

    def rank(p: Problem) -> tuple:
        return (_RANK.get(p.severity, 3), order.get(p.table, len(SHEETS)),
                p.row if isinstance(p.row, int) else 0)
    return sorted(problems, key=rank)

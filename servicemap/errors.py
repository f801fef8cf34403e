"""Errors and warnings raised by servicemap.

Every problem with input is a :class:`Problem` record naming the table (or sheet), the
row, the field, the value, what is wrong and how to fix it. Validation collects every
problem first and then raises once, as an :class:`InputError` carrying them all.

Each problem also carries a machine-readable ``code``, one of :data:`PROBLEM_CODES`,
and, where it points at a record of another table, that table and id (``ref_table``,
``ref_id``). Code that acts on problems (the workbook reader placing them on a sheet,
the command line, a report) decides by these fields, never by a message's words, so a
reworded message moves nothing. The codes:

========================  ==============================================================
code                      meaning
========================  ==============================================================
``unknown_column``        a column the table or sheet does not have
``missing_column``        a column the table needs is not there
``duplicate_column``      a column is given twice
``unnamed_column``        values sit under a column with no name
``missing_table``         a sheet, file or table that is needed is missing or empty
``unknown_table``         a sheet or file that is not read
``duplicate_table``       a sheet or file is given twice
``unreadable``            a file, sheet or argument cannot be read as what it should be
``wrong_type``            a value or argument of the wrong type, such as not a DataFrame
``missing_value``         a required value is empty
``missing_row``           a record has no row where it needs one (a service's catchment)
``duplicate_id``          an id (or key) is used by more than one row
``duplicate_value``       a list names the same thing twice
``duplicate_row``         a row repeats another (a pathway, a travel-time pair)
``bad_id``                an identifier, term or level name that cannot be used as one
``not_a_number``          not a number where a number is needed
``not_a_whole_number``    not a whole number where one is needed
``not_yes_no``            not yes or no
``not_text``              not text where text is needed
``out_of_range``          a number outside the range allowed
``unknown_term``          not a term of the vocabulary
``bad_separator``         several terms separated by ',' instead of ';'
``bad_hours``             opening hours that cannot be read
``bad_reach``             a catchment whose reach and maxima do not agree
``bad_location``          a site's coordinates that cannot be right
``bad_geometry``          an area that is not a valid polygon, a site that is not a point
``bad_crs``               a frame with no coordinate reference system
``conflicting_values``    fields of one record that contradict each other
``unknown_reference``     an id or code that is not in the table it points at
``no_site``               a service that needs a (located) site has none
``no_travel_times``       a reach by minutes with no travel time to measure it
``outside_areas``         a site outside every area of the map
``self_reference``        a pathway that refers a service to itself
``inactive_target``       a pathway to a paused or decommissioned service
``age_mismatch``          a client group outside the service's ages
``not_gss``               area codes not in the ONS/NRS GSS form
``missing_parent``        areas with no parent of a level
``centroid_outside``      a centroid outside its own area
``exceeds_population``    people counted above the area's population
``formula``               a spreadsheet cell holding a formula
``spreadsheet_error``     a spreadsheet error value such as ``#N/A``
``wrong_cell_type``       a date, time or TRUE/FALSE cell where a number or text belongs
``merged_cells``          merged spreadsheet cells
``builtin_term``          a built-in term described again; the description is not used
``unwritable_text``       text a spreadsheet cell cannot hold
``normalised``            a note: something was read in a normal form (case, spaces, ...)
``not_checked``           a note: something could not be checked and was not
``invalid``               any other problem (its message says what)
========================  ==============================================================
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

__all__ = [
    "PROBLEM_CODES",
    "CRSError",
    "ExportWarning",
    "HSDSWarning",
    "InputError",
    "InterpolationWarning",
    "Problem",
    "ReprojectionWarning",
    "ServiceMapError",
    "ServiceMapWarning",
    "UnreachedWarning",
    "ValidationWarning",
    "plural",
]

Severity = Literal["error", "warning", "note"]

#: Every problem's ``code``, with its meaning in one line.
PROBLEM_CODES: dict[str, str] = {
    "unknown_column": "a column the table or sheet does not have",
    "missing_column": "a column the table needs is not there",
    "duplicate_column": "a column is given twice",
    "unnamed_column": "values sit under a column with no name",
    "missing_table": "a sheet, file or table that is needed is missing or empty",
    "unknown_table": "a sheet or file that is not read",
    "duplicate_table": "a sheet or file is given twice",
    "unreadable": "a file, sheet or argument cannot be read as what it should be",
    "outside_folder": "a file named outside the folder the reader was given",
    "wrong_type": "a value or argument of the wrong type, such as not a DataFrame",
    "missing_value": "a required value is empty",
    "missing_row": "a record has no row where it needs one (a service's catchment)",
    "duplicate_id": "an id (or key) is used by more than one row",
    "duplicate_value": "a list names the same thing twice",
    "duplicate_row": "a row repeats another (a pathway, a travel-time pair)",
    "bad_id": "an identifier, term or level name that cannot be used as one",
    "not_a_number": "not a number where a number is needed",
    "not_a_whole_number": "not a whole number where one is needed",
    "not_yes_no": "not yes or no",
    "not_text": "not text where text is needed",
    "out_of_range": "a number outside the range allowed",
    "unknown_term": "not a term of the vocabulary",
    "bad_separator": "several terms separated by ',' instead of ';'",
    "bad_hours": "opening hours that cannot be read",
    "bad_reach": "a catchment whose reach and maxima do not agree",
    "bad_location": "a site's coordinates that cannot be right",
    "bad_geometry": "an area that is not a valid polygon, a site that is not a point",
    "bad_crs": "a frame with no coordinate reference system",
    "conflicting_values": "fields of one record that contradict each other",
    "unknown_reference": "an id or code that is not in the table it points at",
    "no_site": "a service that needs a (located) site has none",
    "no_travel_times": "a reach by minutes with no travel time to measure it",
    "outside_areas": "a site outside every area of the map",
    "self_reference": "a pathway that refers a service to itself",
    "inactive_target": "a pathway to a paused or decommissioned service",
    "age_mismatch": "a client group outside the service's ages",
    "not_gss": "area codes not in the ONS/NRS GSS form",
    "missing_parent": "areas with no parent of a level",
    "centroid_outside": "a centroid outside its own area",
    "exceeds_population": "people counted above the area's population",
    "formula": "a spreadsheet cell holding a formula",
    "spreadsheet_error": "a spreadsheet error value such as #N/A",
    "wrong_cell_type": "a date, time or TRUE/FALSE cell where a number or text belongs",
    "merged_cells": "merged spreadsheet cells",
    "builtin_term": "a built-in term described again; the description is not used",
    "unwritable_text": "text a spreadsheet cell cannot hold",
    "normalised": "a note: something was read in a normal form (case, spaces, ...)",
    "not_checked": "a note: something could not be checked and was not",
    "invalid": "any other problem (its message says what)",
}


class ServiceMapError(Exception):
    """Base class of every error raised by servicemap."""


class CRSError(ServiceMapError, ValueError):
    """A frame has no coordinate reference system, or one that cannot be used."""


class ServiceMapWarning(UserWarning):
    """Base class of the warnings servicemap gives when it changes something."""


class InterpolationWarning(ServiceMapWarning):
    """Something was not carried over as asked, and the result says what.

    Part of a total went to no target, a target received nothing, a source fell back
    from population to area weights, or a NaN source was left out of an average.
    """


class ReprojectionWarning(ServiceMapWarning):
    """Input was reprojected to British National Grid (EPSG:27700)."""


class UnreachedWarning(ServiceMapWarning):
    """Some services reach no area (or areas reach nothing); they are kept, not dropped."""


class ValidationWarning(ServiceMapWarning):
    """A map was built with errors across its records; ``smap.validate()`` lists them."""


class ExportWarning(ServiceMapWarning):
    """Text was changed so that an export is valid: characters it cannot hold removed."""


class HSDSWarning(ServiceMapWarning):
    """HSDS values with no field in the map were kept in notes, or terms were guessed."""


@dataclass(frozen=True)
class Problem:
    """One problem found in the input.

    Parameters
    ----------
    table : str
        The table or spreadsheet sheet, such as ``"services"``.
    row : int or str or None
        Where the row is, as the user sees it: a frame's index label or an Excel row
        number. ``None`` for a problem with the table as a whole.
    field : str or None
        The column or field, or ``None`` for a problem with the whole row.
    value : object
        The offending value, quoted in the message.
    message : str
        What is wrong and how to fix it, as one or two sentences.
    severity : {"error", "warning", "note"}
        Errors stop a map from being used; warnings are reported and left alone;
        notes say what was normalised on reading (a term's case, spaces, lon/lat).
    id : str or None
        The record's identifier where it has one, to help find the row.
    code : str
        What kind of problem it is, one of :data:`PROBLEM_CODES`, for code to act on;
        ``"invalid"`` when nothing more specific was given.
    ref_table : str or None
        The table the problem points at, where it points at another one (the table an
        unknown id should be in, the sites a service lacks).
    ref_id : str or None
        The id (or area code) pointed at in ``ref_table``.

    Examples
    --------
    >>> p = Problem("services", 3, "capacity", "about 40", "is not a number. Write 40.",
    ...             code="not_a_number")
    >>> print(p)
    table 'services', row 3, field 'capacity': 'about 40' is not a number. Write 40.
    >>> p.code, PROBLEM_CODES[p.code]
    ('not_a_number', 'not a number where a number is needed')
    """

    table: str
    row: int | str | None
    field: str | None
    value: Any
    message: str
    severity: Severity = "error"
    id: str | None = None
    code: str = "invalid"
    ref_table: str | None = None
    ref_id: str | None = None

    def location(self) -> str:
        """Say where the problem is, as ``table 't', row r, field 'f'``.

        Examples
        --------
        >>> Problem("sites", "S1", "easting", -5, "is negative.").location()
        "table 'sites', row 'S1', field 'easting'"
        """
        row = repr(self.row) if isinstance(self.row, str) else self.row
        return self._located(f"table '{self.table}'", row, "field")

    def _located(self, place: str, row: Any, noun: str) -> str:
        """Join ``place``, the ``row`` as shown (with the id) and the field, a ``noun``.

        The id is shown where it differs from the row; what the problem lacks is left
        out.
        """
        parts = [place]
        if row is not None:
            shown = str(row)
            if self.id is not None and self.id != self.row:
                shown += f" (id '{self.id}')"
            parts.append(f"row {shown}")
        if self.field is not None:
            parts.append(f"{noun} '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        if self.value is None or self.field is None:
            return f"{self.location()}: {self.message}"
        joint = "" if self.message.startswith(":") else " "
        return f"{self.location()}: {_quote(self.value)}{joint}{self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Return the problem as a plain dictionary.

        Examples
        --------
        >>> sorted(Problem("areas", 0, "code", "X", "is not a GSS code.").to_dict())
        ['code', 'field', 'id', 'message', 'ref_id', 'ref_table', 'row', 'severity', \
'table', 'value']
        """
        return asdict(self)


def plural(n: int, word: str, words: str | None = None) -> str:
    """Return ``"1 area"`` or ``"2 areas"``.

    Examples
    --------
    >>> plural(1, "area"), plural(3, "area"), plural(2, "entry point")
    ('1 area', '3 areas', '2 entry points')
    """
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def did_you_mean(value: Any, known: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest of ``known``, or ``""``.

    Examples
    --------
    >>> did_you_mean("Luton hub", ["luton-hub", "bedford-hub"])
    " Did you mean 'luton-hub'?"
    >>> did_you_mean("zzz", ["luton-hub"])
    ''
    """
    pool = {str(k).lower(): k for k in known}
    hits = difflib.get_close_matches(str(value).lower(), list(pool), n=1, cutoff=0.6)
    return f" Did you mean {pool[hits[0]]!r}?" if hits else ""


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return repr(list(value))
    return repr(value) if not isinstance(value, (int, float)) else str(value)


class InputError(ServiceMapError, ValueError):
    """Input that servicemap cannot use, with every problem found in it.

    Parameters
    ----------
    problems : sequence of Problem
        Every problem found; at least one.
    source : str, optional
        What was read, such as a file name, to head the message.

    Attributes
    ----------
    problems : tuple of Problem
        The problems, in the order they were found.

    Examples
    --------
    >>> err = InputError([Problem("services", 2, "needs", "drugs", "is not a need.")])
    >>> print(err)
    1 problem in the input
      - table 'services', row 2, field 'needs': 'drugs' is not a need.
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, problems: Iterable[Problem] | str, source: str | None = None):
        if isinstance(problems, str):
            problems = [Problem("input", None, None, None, problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = f"'{self.source}'" if self.source else "the input"
        head = f"{plural(len(self.problems), 'problem')} in {where}"
        lines = [head] + [
            f"  - {p}" if p.severity == "error" else f"  - ({p.severity}) {p}"
            for p in self.problems[:200]]
        if len(self.problems) > 200:
            lines.append(f"  ... and {len(self.problems) - 200} more (see .problems)")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a DataFrame, one row each.

        Examples
        --------
        >>> err = InputError([Problem("sites", 1, "mode", "bus", "is not a mode.")])
        >>> err.to_frame()[["table", "row", "field"]].to_dict("records")
        [{'table': 'sites', 'row': 1, 'field': 'mode'}]
        """
        return problems_frame(self.problems)


#: The columns of :func:`problems_frame`, in order.
PROBLEM_COLUMNS = ["table", "row", "field", "value", "message", "severity", "id", "code",
                   "ref_table", "ref_id"]


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Return problems as a DataFrame with one row each (internal helper)."""
    columns = PROBLEM_COLUMNS
    return pd.DataFrame([p.to_dict() for p in problems], columns=columns)

"""Errors and warnings raised by servicemap.

Every problem with input is a :class:`Problem` record naming the table (or sheet), the
row, the field, the value, what is wrong and how to fix it. Validation collects every
problem first and then raises once, as an :class:`InputError` carrying them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = [
    "CRSError",
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

    Examples
    --------
    >>> p = Problem("services", 3, "capacity", "about 40", "is not a number. Write 40.")
    >>> print(p)
    table 'services', row 3, field 'capacity': 'about 40' is not a number. Write 40.
    """

    table: str
    row: int | str | None
    field: str | None
    value: Any
    message: str
    severity: Severity = "error"
    id: str | None = None

    def location(self) -> str:
        """Say where the problem is, as ``table 't', row r, field 'f'``.

        Examples
        --------
        >>> Problem("sites", "S1", "easting", -5, "is negative.").location()
        "table 'sites', row 'S1', field 'easting'"
        """
        parts = [f"table '{self.table}'"]
        if self.row is not None:
            row = repr(self.row) if isinstance(self.row, str) else str(self.row)
            if self.id is not None and self.id != self.row:
                row += f" (id '{self.id}')"
            parts.append(f"row {row}")
        if self.field is not None:
            parts.append(f"field '{self.field}'")
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
        ['field', 'id', 'message', 'row', 'severity', 'table', 'value']
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
    import difflib

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

    def to_frame(self):  # noqa: ANN201 - pandas is imported lazily
        """Return the problems as a DataFrame, one row each.

        Examples
        --------
        >>> err = InputError([Problem("sites", 1, "mode", "bus", "is not a mode.")])
        >>> err.to_frame()[["table", "row", "field"]].to_dict("records")
        [{'table': 'sites', 'row': 1, 'field': 'mode'}]
        """
        return problems_frame(self.problems)


def problems_frame(problems: Sequence[Problem]):  # noqa: ANN201
    """Return problems as a DataFrame with one row each (internal helper)."""
    import pandas as pd

    columns = ["table", "row", "field", "value", "message", "severity", "id"]
    return pd.DataFrame([p.to_dict() for p in problems], columns=columns)

"""Disclosure control: small counts of people are never published.

Every count of people that a report publishes passes through :func:`suppress`. It
rounds counts to whole people and hides any count below a threshold (default 5, as in
NHS and ONS small-number practice) -- the **primary** suppression. Hiding one cell is
not enough when the table's total is published, because the hidden value is the total
less the others; so :func:`suppress` also hides further cells -- the **secondary**
suppression, the smallest that protect the rest, as OpenSAFELY outputs do -- until
no hidden cell can be worked out from the cells shown and the totals.

What "worked out" means is exact: the published sums (the column total, and the
subtotals of any ``margins``) are linear equations in the hidden cells, and a hidden
cell is exposed when those equations fix its value. :func:`suppress` checks this on
the row space of the equations and adds hidden cells until no hidden cell is fixed.
Zero counts are shown: a zero is not a small count of people. Missing values stay
missing and are not counted as suppressed.

Examples
--------
>>> import pandas as pd
>>> t = pd.DataFrame({"people": [120.4, 3.2, 48.0, 61.0]}, index=list("ABCD"))
>>> out = suppress(t, ["people"])
>>> out["people"].tolist()  # 3 is hidden; so is 48, or 3 = total - 120 - 48 - 61
[120, <NA>, <NA>, 61]
>>> out.attrs["suppressed"]
{'people': ['B', 'C']}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_THRESHOLD", "MARKER", "suppress"]

#: Counts of people below this are not published unless a report is told otherwise.
DEFAULT_THRESHOLD = 5
#: What a hidden cell shows in files written for people to read.
MARKER = "[suppressed]"
_TOL = 1e-9


def _groups(frame: pd.DataFrame, margins: Sequence[str]) -> list[np.ndarray]:
    """Row positions of each published sum: the whole column, then each margin group."""
    import pandas as pd

    groups = [np.arange(len(frame))]
    for column in margins:
        codes = pd.factorize(frame[column], use_na_sentinel=False)[0]
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
        for block in np.split(order, starts[1:]):
            if len(block) > 1:  # a group of one is the cell itself: publish it hidden
                groups.append(block)
    return groups


def _exposed(hidden: np.ndarray, groups: list[np.ndarray], n: int) -> np.ndarray:
    """Positions of hidden cells whose value the published sums fix exactly."""
    cells = np.flatnonzero(hidden)
    if not len(cells):
        return cells
    column_of = np.full(n, -1)
    column_of[cells] = np.arange(len(cells))
    rows = []
    for g in groups:
        members = column_of[g]
        members = members[members >= 0]
        if len(members):
            row = np.zeros(len(cells))
            row[members] = 1.0
            rows.append(row)
    if not rows:
        return cells[:0]
    a = np.vstack(rows)
    # a hidden cell is fixed when its unit vector lies in the row space of the sums
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    basis = vt[s > _TOL * max(s.max(initial=0.0), 1.0)]
    return cells[(basis ** 2).sum(axis=0) > 1 - 1e-6]


def _protect(values: np.ndarray, hidden: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Hide more cells, smallest first, until no hidden cell can be worked out."""
    n = len(values)
    member_of: list[list[int]] = [[] for _ in range(n)]
    for k, g in enumerate(groups):
        for i in g:
            member_of[i].append(k)
    shown = ~np.isnan(values)
    while True:
        exposed = _exposed(hidden, groups, n)
        if not len(exposed):
            return hidden
        added = False
        for i in exposed:
            pool = np.unique(np.concatenate([groups[k] for k in member_of[i]]))
            pool = pool[~hidden[pool] & shown[pool]]
            if not len(pool):
                continue
            # prefer the smallest non-zero cell: hiding a zero protects little
            key = np.where(values[pool] > 0, values[pool], np.inf)
            if np.isinf(key).all():
                key = values[pool]
            hidden[pool[np.argmin(key)]] = True
            added = True
        if not added:
            return hidden


def suppress(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    threshold: int = DEFAULT_THRESHOLD,
    margins: Sequence[str] | None = None,
    marker: str | None = None,
) -> pd.DataFrame:
    """Round counts of people to whole numbers and hide small ones, safely.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per published cell.
    columns : sequence of str
        The columns holding counts of people. Each column is protected on its own,
        as if its total were published.
    threshold : int, default 5
        Counts from 1 to ``threshold - 1`` are hidden (primary suppression); 0 and
        counts of ``threshold`` or more are shown unless hidden to protect others.
        ``threshold=0`` or ``1`` hides nothing.
    margins : sequence of str, optional
        Columns of ``frame`` whose subtotals are published too (as in a two-way table
        with row and column totals): every group of rows with one value of such a
        column is also a published sum. A group of one row is its own cell, so its
        subtotal must be published hidden as well.
    marker : str, optional
        Show hidden cells as this text (such as :data:`MARKER`) instead of missing
        values, for files people read.

    Returns
    -------
    pandas.DataFrame
        A copy with the count columns as whole numbers (nullable ``Int64``, or text
        with ``marker``). ``attrs["suppressed"]`` maps each column to the labels of
        its hidden rows; ``attrs["threshold"]`` records the threshold.

    Raises
    ------
    ValueError
        For an unknown column, negative counts or a negative threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"lad": ["Bedford", "Bedford", "Luton", "Luton"],
    ...                   "reason": ["unreachable", "out_of_hours"] * 2,
    ...                   "people": [2, 40, 30, 50]})
    >>> suppress(t, ["people"])["people"].tolist()  # 30 hides the 2 from the total
    [<NA>, 40, <NA>, 50]
    >>> # with subtotals by LAD and by reason published too, every cell must go:
    >>> # Bedford's 42 less 40 would give the 2 away, Luton's 80 less 50 the 30
    >>> suppress(t, ["people"], margins=["lad", "reason"])["people"].tolist()
    [<NA>, <NA>, <NA>, <NA>]
    >>> suppress(t, ["people"], marker=MARKER)["people"].tolist()
    ['[suppressed]', '40', '[suppressed]', '50']
    """
    import pandas as pd

    if threshold < 0:
        msg = f"threshold={threshold!r}: give a count of 0 or more (the default is 5)."
        raise ValueError(msg)
    margins = list(margins or [])
    unknown = [c for c in [*columns, *margins] if c not in frame.columns]
    if unknown:
        msg = (f"suppress: no column {unknown[0]!r} in the table (columns: "
               f"{', '.join(map(str, frame.columns))}).")
        raise ValueError(msg)
    out = frame.copy()
    groups = _groups(frame, margins)
    hidden_rows: dict[str, list[Any]] = {}
    for column in columns:
        values = pd.to_numeric(frame[column], errors="raise").to_numpy(
            dtype=float, na_value=np.nan)
        if (values < 0).any():
            msg = (f"suppress: column {column!r} has negative counts; counts of people "
                   "are 0 or more.")
            raise ValueError(msg)
        whole = np.round(values)
        hidden = (whole >= 1) & (whole < threshold)
        hidden = _protect(whole, hidden, groups)
        counts = pd.array(np.where(np.isnan(whole), 0, whole).astype(np.int64),
                          dtype="Int64")
        counts[np.isnan(whole) | hidden] = pd.NA
        if marker is not None:
            text = pd.Series(counts, index=frame.index).astype("string")
            text[hidden] = marker
            out[column] = text.astype(object).where(text.notna(), None)
        else:
            out[column] = counts
        hidden_rows[column] = list(frame.index[hidden])
    out.attrs["suppressed"] = hidden_rows
    out.attrs["threshold"] = threshold
    return out

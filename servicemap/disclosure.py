"""Disclosure control: small counts of people are never published.

Every count of people that a report publishes passes through :func:`suppress`. It
rounds counts to whole people (totals are sums of the rounded counts, so a published
table adds up) and hides any count below a threshold (default 5, as in
NHS and ONS small-number practice) -- the **primary** suppression. Hiding one cell is
not enough when the table's total is published, because the hidden value is the total
less the others; so :func:`suppress` also hides further cells -- the **secondary**
suppression, the smallest that protect the rest, as OpenSAFELY outputs do -- until
no hidden cell can be worked out from the cells shown and the totals.

What "worked out" means is exact: the sums (the column total, and the subtotals of any
``margins``) are linear equations in the cells, and a hidden value is exposed when the
values shown fix it. The total and subtotals are values too: small ones are hidden,
and :func:`suppress` says which may be published (``attrs["subtotals"]``). It checks
the equations' row space and hides more, the smallest non-zero cells first, until no
hidden value is fixed. Zero counts are shown and never hidden: a zero is not a small
count of people, and a zero sum would pin any zero hidden under it. Missing values
stay missing and are not counted as suppressed.

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
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

__all__ = ["DEFAULT_THRESHOLD", "MARKER", "RULES", "in_words", "suppress"]

#: Counts of people below this are not published unless a report is told otherwise.
DEFAULT_THRESHOLD = 5
#: The suppression rules :func:`suppress` offers, each with its default threshold.
RULES = {"secondary": DEFAULT_THRESHOLD, "hes": 8}
#: What a hidden cell shows in files written for people to read.
MARKER = "[suppressed]"
_TOL = 1e-9


def _groups(frame: pd.DataFrame, margins: Sequence[str]) -> list[tuple[Any, np.ndarray]]:
    """Each published sum: the whole column, then each margin group (column, value)."""
    groups: list[tuple[Any, np.ndarray]] = [("total", np.arange(len(frame)))]
    for column in margins:
        codes, uniques = pd.factorize(frame[column], use_na_sentinel=False)
        for k, value in enumerate(uniques):
            groups.append(((column, value), np.flatnonzero(codes == k)))
    return groups


def _system(groups: list[tuple[Any, np.ndarray]], n: int) -> np.ndarray:
    """Equations ``sum(cells) - subtotal = 0``: cells first, then one subtotal each."""
    a = np.zeros((len(groups), n + len(groups)))
    for k, (_, members) in enumerate(groups):
        a[k, members] = 1.0
        a[k, n + k] = -1.0
    return a


def _exposed(a: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Hidden variables whose value the shown ones fix exactly through the equations."""
    cells = np.flatnonzero(hidden)
    sub = a[:, cells]
    sub = sub[np.abs(sub).sum(axis=1) > 0]
    if not len(cells) or not len(sub):
        return cells[:0]
    # fixed when its unit vector lies in the row space of the equations on the hidden
    _, s, vt = np.linalg.svd(sub, full_matrices=False)
    basis = vt[s > _TOL * max(s.max(initial=0.0), 1.0)]
    return cells[(basis ** 2).sum(axis=0) > 1 - 1e-6]


def _pinned(a: np.ndarray, values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Hidden variables that the equations and the bound of 1 leave one value.

    Zeros are shown, so a reader knows each hidden cell holds at least 1; with
    ``[1, 1, 300]`` and the total 302 hidden as ``[?, ?, 300]``, both must be 1.
    For each hidden variable, linear programs (HiGHS) find its least and greatest
    value given everything shown; it is pinned when no two whole numbers fit. The
    equations here are sums over groups (totals and margins), whose programs have
    whole-number corners, so the bounds found are those of whole numbers.
    """
    cells = np.flatnonzero(hidden)
    if not len(cells):
        return cells
    rows = np.flatnonzero(np.abs(a[:, cells]).sum(axis=1) > 0)
    if not len(rows):
        return cells[:0]
    shown = ~hidden
    a_eq = a[np.ix_(rows, cells)]
    b_eq = -a[np.ix_(rows, np.flatnonzero(shown))] @ values[shown]
    if len(rows) == 1 and not hidden[-1]:
        # one sum, shown, over the hidden cells (a table with no margins): they are
        # pinned, at 1 each, exactly when they add up to their number
        return cells if np.isclose(b_eq[0], len(cells)) else cells[:0]
    pinned = []
    for k, i in enumerate(cells):
        c = np.zeros(len(cells))
        c[k] = 1.0
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(sign * c, A_eq=a_eq, b_eq=b_eq, bounds=(1, None),
                             method="highs")
            ends.append(sign * result.fun if result.status == 0 else -sign * np.inf)
        low, high = ends
        if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < 1:
            pinned.append(i)
    return np.asarray(pinned, dtype=np.int64)


def _protect(values: np.ndarray, hidden: np.ndarray, a: np.ndarray, n_cells: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """Hide more, smallest non-zero cells first, until nothing hidden can be worked out.

    Zeros are never hidden: a zero sum would pin them, and through them the rest.
    Subtotals are hidden only when no cell will do. Returns the hidden mask and the
    variables that could not be protected.
    """
    is_subtotal = np.arange(len(values)) >= n_cells
    while True:
        exposed = _exposed(a, hidden)
        if not len(exposed):
            exposed = _pinned(a, values, hidden)
        if not len(exposed):
            return hidden, exposed
        added = False
        for i in exposed:
            rows = np.flatnonzero(a[:, i])
            pool = np.flatnonzero(np.abs(a[rows]).sum(axis=0) > 0)
            pool = pool[~hidden[pool] & (values[pool] > 0)]
            if not len(pool):
                # fixed through other equations: widen to anything shown. Hiding
                # every non-zero value always protects: the true values then solve
                # the equations with none of them zero, so none is fixed.
                pool = np.flatnonzero(~hidden & (values > 0))
            if not len(pool):
                continue
            order = np.lexsort((values[pool], is_subtotal[pool]))
            hidden[pool[order[0]]] = True
            added = True
            break  # one at a time: each may protect several
        if not added:
            return hidden, exposed


def suppress(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    threshold: int | None = None,
    margins: Sequence[str] | None = None,
    marker: str | None = None,
    rule: str = "secondary",
) -> pd.DataFrame:
    """Round counts of people to whole numbers and hide small ones, safely.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per published cell.
    columns : sequence of str
        The columns holding counts of people. Each column is protected on its own,
        as if its total were published.
    threshold : int, optional
        Counts from 1 to ``threshold - 1`` are hidden (primary suppression); 0 and
        counts of ``threshold`` or more are shown unless hidden to protect others.
        ``threshold=0`` or ``1`` hides nothing. By default 5, or 8 with ``rule="hes"``.
    margins : sequence of str, optional
        Columns of ``frame`` whose subtotals are published too (as in a two-way table
        with row and column totals): every group of rows with one value of such a
        column is also a sum. Publish them only as ``attrs["subtotals"]`` gives them.
    marker : str, optional
        Show hidden cells as this text (such as :data:`MARKER`) instead of missing
        values, for files people read.
    rule : {"secondary", "hes"}, default "secondary"
        ``"secondary"``: counts are whole numbers; small ones are hidden, and then
        further cells until no hidden count can be worked out from the cells and sums
        shown, by a reader who knows that zeros are shown (so each hidden count is at
        least 1). ``"hes"``: the rule NHS England applies to Hospital Episode
        Statistics: counts from 1 to 7 are hidden, and every other count, the sums
        included, is rounded to the nearest 5 (0 stays 0), so that no hidden count can
        be worked out from the rounded ones; no secondary suppression is needed.

    Returns
    -------
    pandas.DataFrame
        A copy with the count columns as whole numbers (nullable ``Int64``, or text
        with ``marker``). ``attrs["suppressed"]`` maps each column to the labels of
        its hidden rows; ``attrs["subtotals"]`` maps each column to its sums, keyed
        ``"total"`` and ``(margin, value)``, each a whole number or None where it
        must be hidden; ``attrs["threshold"]`` records the threshold.

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
    >>> out = suppress(t, ["people"], margins=["lad"])
    >>> out.attrs["subtotals"]["people"]
    {'total': 122, ('lad', 'Bedford'): 42, ('lad', 'Luton'): 80}
    >>> suppress(t, ["people"], marker=MARKER)["people"].tolist()
    ['[suppressed]', '40', '[suppressed]', '50']
    >>> hes = suppress(t, ["people"], rule="hes")  # 1-7 hidden, the rest to the 5
    >>> hes["people"].tolist(), hes.attrs["subtotals"]["people"]["total"]
    ([<NA>, 40, 30, 50], 120)
    """
    if rule not in RULES:
        msg = f"rule={rule!r}: give one of {', '.join(map(repr, RULES))}."
        raise ValueError(msg)
    if threshold is None:
        threshold = RULES[rule]
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
    a = _system(groups, len(frame))
    hidden_rows: dict[str, list[Any]] = {}
    subtotals: dict[str, dict[Any, int | None]] = {}
    for column in columns:
        raw = pd.to_numeric(frame[column], errors="raise").to_numpy(
            dtype=float, na_value=np.nan)
        if (raw < 0).any():
            msg = (f"suppress: column {column!r} has negative counts; counts of people "
                   "are 0 or more.")
            raise ValueError(msg)
        whole = np.round(raw)
        cells = np.nan_to_num(whole)
        values = np.concatenate([cells, [cells[g].sum() for _, g in groups]])
        hidden = (values >= 1) & (values < threshold)
        if rule == "hes":  # rounding to 5 protects: no secondary suppression
            exposed = np.zeros(0, dtype=np.int64)
            values = np.floor(values / 5 + 0.5) * 5
            cells = np.where(np.isnan(whole), cells, values[:len(frame)])
        else:
            hidden, exposed = _protect(values, hidden, a, len(frame))
        if len(exposed):  # pragma: no cover - every equation has a subtotal to hide
            msg = f"suppress: could not protect column {column!r}; please report this."
            raise RuntimeError(msg)
        cell_hidden = hidden[:len(frame)]
        counts = pd.array(cells.astype(np.int64), dtype="Int64")
        counts[np.isnan(whole) | cell_hidden] = pd.NA
        if marker is not None:
            text = pd.Series(counts, index=frame.index).astype("string")
            text[cell_hidden] = marker
            out[column] = text.astype(object).where(text.notna(), None)
        else:
            out[column] = counts
        hidden_rows[column] = list(frame.index[cell_hidden])
        subtotals[column] = {
            label: None if gone else int(v) for (label, _), v, gone in zip(
                groups, values[len(frame):], hidden[len(frame):], strict=True)}
    out.attrs["suppressed"] = hidden_rows
    out.attrs["threshold"] = threshold
    out.attrs["rule"] = rule
    out.attrs["subtotals"] = subtotals
    return out


def in_words(value: float, threshold: int | None = DEFAULT_THRESHOLD) -> str:
    """Write a count of people for a sentence: rounded, or hidden when small.

    Counts from 1 to ``threshold - 1`` (after rounding) read "fewer than
    <threshold>", as :func:`suppress` hides them in a table; ``None`` hides nothing.

    Examples
    --------
    >>> in_words(1234.4), in_words(3.2), in_words(0.2), in_words(3.2, None)
    ('1,234', 'fewer than 5', '0', '3')
    """
    rounded = round(float(value))
    if threshold is not None and 0 < rounded < threshold:
        return f"fewer than {threshold}"
    return f"{rounded:,}"

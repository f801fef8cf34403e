"""The one family every analysis answers with.

A report is a frozen dataclass with these public fields and methods, the same for
:class:`~servicemap.Coverage`, :class:`~servicemap.AccessReport`,
:class:`~servicemap.GapReport`, :class:`~servicemap.OverlapReport` and
:class:`~servicemap.PathwayReport`:

=========================================  ==============================================
``table``                                  the result, indexed by what it is about (area
                                           code, service pair, ...)
``notes``                                  list of str: what was assumed or left out
``attrs``                                  dict: what was assessed (needs, thresholds...)
``summary(by=..., *, suppress=5)``         a grouped table; counts of people below
                                           ``suppress`` are hidden (None publishes them)
``explain(key)``                           why one row is as it is; ``key`` is always a
                                           label of ``table.index``
``plot(ax=None, **kwargs)``                draws it and returns the Axes
``_repr_html_()``                          a notebook summary, every text escaped
``areas``                                  the areas of the map it was made from, which
                                           ``plot`` draws on (a copy)
=========================================  ==============================================

Three helpers keep the summaries alike: :func:`grouping` resolves the keys of ``by`` (a
column, a parent level such as ``lad``, or ``partnership``), :func:`tabulate` groups the
rows by them, names next to codes and a total row last, and :func:`publish` rounds and
suppresses the counts of people in the grouped table, its total row included. Every
summary that counts people publishes it through :func:`publish`.
"""

from __future__ import annotations

import html
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd

from servicemap.analysis._select import area_partnerships, as_tuple
from servicemap.disclosure import DEFAULT_THRESHOLD
from servicemap.disclosure import suppress as suppress_small
from servicemap.errors import did_you_mean

if TYPE_CHECKING:  # for annotations only: matplotlib loads when drawing
    from matplotlib.axes import Axes

__all__ = ["DEFAULT_THRESHOLD", "Report", "grouping", "publish", "tabulate"]

#: Rows of :attr:`Report.table` shown by ``_repr_html_``.
_HTML_ROWS = 10


class Report(ABC):
    """The shared protocol of analysis reports.

    Subclasses are frozen dataclasses declaring ``table``, ``attrs``, ``notes`` and
    ``smap`` (the map the report describes, for :attr:`areas` and ``explain``); they
    must implement :meth:`summary`, :meth:`explain` and :meth:`plot` (a report
    without one cannot be made) and ``__repr__``.

    Examples
    --------
    >>> gaps = sm.find_gaps(sm.datasets.bedfordshire(), need="drug")
    >>> isinstance(gaps, Report)
    True
    >>> "&lt;script&gt;" in Report._escaped("<script>")
    True
    """

    table: pd.DataFrame
    attrs: dict[str, Any]
    notes: list[str]
    smap: Any
    #: What one row of ``table`` is, in words ("gap", "pair of services", ...).
    row_noun: ClassVar[str] = "row"

    @abstractmethod
    def summary(self, by: Any = None, *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """Return the report grouped ``by``, small counts of people suppressed."""

    @abstractmethod
    def explain(self, key: Any) -> pd.DataFrame:
        """Return why the row labelled ``key`` of ``table`` is as it is."""

    @abstractmethod
    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the report and return the Axes."""

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """The areas of the map the report was made from, indexed by code (a copy).

        Examples
        --------
        >>> gaps = sm.find_gaps(sm.datasets.bedfordshire(), need="drug")
        >>> len(gaps.areas)
        381
        """
        return self.smap.areas

    def _check_key(self, key: Any) -> Any:
        """Return ``key`` if it labels a row of ``table``; else a KeyError with a hint."""
        index = self.table.index
        try:
            found = key in index
        except TypeError:
            found = False
        if found:
            return key
        if not len(index):
            msg = f"{key!r}: this report has no {self.row_noun}s."
            raise KeyError(msg)
        labels = index.unique()
        shown = ", ".join(repr(k) for k in labels[:5]) + (", ..." if len(labels) > 5
                                                          else "")
        same_text = [k for k in labels if str(k) == str(key)]
        if same_text:  # the label written as another type, such as "0" for 0
            hint = f" Give it as {same_text[0]!r} ({type(same_text[0]).__name__})."
        elif isinstance(key, str):
            hint = did_you_mean(key, [str(k) for k in labels])
        else:
            hint = ""
        article = "an" if self.row_noun[:1] in "aeiou" else "a"
        msg = (f"{key!r} is not {article} {self.row_noun} of this report: give a label "
               f"of .table's index (such as {shown}).{hint}")
        raise KeyError(msg)

    @staticmethod
    def _escaped(text: Any) -> str:
        return html.escape(str(text))

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{self._escaped(n)}</li>" for n in self.notes)
        table = self.table.head(_HTML_ROWS).to_html(escape=True, max_cols=12)
        more = (f"<p>{len(self.table) - _HTML_ROWS:,} more rows in <code>.table</code>"
                f"</p>" if len(self.table) > _HTML_ROWS else "")
        return (f"<div><p><b>{self._escaped(repr(self))}</b></p>"
                f"{'<ul>' + notes + '</ul>' if notes else ''}{table}{more}</div>")


def grouping(rows: pd.DataFrame, by: Any, *, smap: Any, choices: str,
             hidden: Sequence[str] = ()) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Resolve the keys of a summary's ``by`` against ``rows`` (one row per area or cell).

    A key is a column of ``rows``; a parent level such as ``lad`` (grouped by
    ``lad_code``, with ``lad_name`` shown when there is one); or ``partnership``, the
    partnerships whose footprint takes in the row's ``code`` (an area in two counts
    in both, one in none under ``(none)``).

    Parameters
    ----------
    rows : pandas.DataFrame
        With a ``code`` column of area codes.
    by : str or sequence of str
        The keys.
    smap : ServiceMap
        The map, for the partnerships.
    choices : str
        What ``by`` may be, in words, for the error message.
    hidden : sequence of str
        Columns of ``rows`` not offered in the error message.

    Returns
    -------
    rows : pandas.DataFrame
        With a ``partnership`` column when asked for.
    keys : list of str
        The columns to group by.
    labels : list of str
        The name columns to show next to parent codes.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> rows = smap.areas.reset_index()
    >>> _, keys, labels = grouping(rows, "lad", smap=smap, choices="a parent level")
    >>> keys, labels
    (['lad_code'], ['lad_name'])
    """
    keys, labels = [], []
    wanted = list(as_tuple(by))
    if "partnership" in wanted and "partnership" not in rows.columns:
        rows = rows.merge(area_partnerships(smap), left_on="code", right_index=True,
                          how="left")
        rows["partnership"] = rows["partnership"].fillna("(none)")
    for k in wanted:
        if k in rows.columns:
            keys.append(k)
        elif f"{k}_code" in rows.columns:
            keys.append(f"{k}_code")
            if f"{k}_name" in rows.columns:
                labels.append(f"{k}_name")
        else:
            options = [c for c in rows.columns if c not in hidden]
            msg = (f"by={k!r}: choose {choices} ({', '.join(map(str, options))})."
                   f"{did_you_mean(k, [*map(str, options), 'partnership'])}")
            raise ValueError(msg)
    return rows, keys, labels


def tabulate(rows: pd.DataFrame, keys: Sequence[str], labels: Sequence[str],
             sums: Mapping[str, tuple[str, str]], *,
             total: pd.DataFrame | None = None) -> pd.DataFrame:
    """Group ``rows`` by ``keys`` (as :func:`grouping` resolves them) into a summary.

    Parameters
    ----------
    rows : pandas.DataFrame
        One row per area or cell, with the ``keys`` and ``labels`` columns.
    keys : sequence of str
        The columns to group by (one or more); the summary's index.
    labels : sequence of str
        Name columns shown, as text, before the figures (the first of each group);
        empty in the total row.
    sums : dict of {str: (str, str)}
        The summary's columns as pandas named aggregations, ``{column: (column of
        rows, function)}``.
    total : pandas.DataFrame, optional
        A one-row frame of the same columns, appended last and labelled ``total``
        (``("total", "", ...)`` with several keys).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``keys``, in sorted order; only the groups that occur.

    Examples
    --------
    >>> rows = pd.DataFrame({"lad_code": ["B", "A", "A"], "lad_name": ["Bee", "Ay", "Ay"],
    ...                      "people": [3.0, 1.0, 2.0]})
    >>> total = pd.DataFrame({"people": [6.0]})
    >>> tabulate(rows, ["lad_code"], ["lad_name"], {"people": ("people", "sum")},
    ...          total=total)  # doctest: +NORMALIZE_WHITESPACE
             lad_name  people
    lad_code
    A              Ay     3.0
    B             Bee     3.0
    total                 6.0
    """
    grouped = rows.groupby(list(keys), observed=True, sort=True)
    out = grouped.agg(**sums)
    for label in labels:
        out.insert(0, label, grouped[label].first())
    if total is not None:
        last = total.copy()
        last.index = (pd.MultiIndex.from_tuples([("total",) + ("",) * (len(keys) - 1)])
                      if len(keys) > 1 else pd.Index(["total"]))
        out = pd.concat([out, last])
        out.index.names = list(keys)
    for label in labels:
        out[label] = out[label].astype("str").where(out[label].notna(), "")
    return out


def publish(out: pd.DataFrame, people: Sequence[str], keys: Sequence[str], *,
            suppress: int | None, total: bool = True,
            shares: Mapping[str, str] | None = None, margins: bool = True) -> pd.DataFrame:
    """Round and suppress the counts of people of a grouped summary.

    Every summary that counts people publishes it through here, so that they all
    protect small counts the same way (:func:`servicemap.disclosure.suppress`).

    Parameters
    ----------
    out : pandas.DataFrame
        The summary, indexed by ``keys``; with ``total``, its last row is the total:
        the sum of the rows above, or of fewer when the groups overlap (such as
        partnerships).
    people : sequence of str
        The columns counting people.
    keys : sequence of str
        The index levels; with two or more (and ``margins``), the subtotals by each
        are protected too.
    suppress : int or None
        Counts below this are hidden; None (or 0) publishes exact figures.
    total : bool, default True
        Whether the last row is the total. It then shows the sum of the published
        cells (rounded), or nothing where that sum must be hidden; a total that is
        not the sum (the groups overlap) is rounded and hidden only if small.
    shares : dict of {str: str}, optional
        ``{share column: count column}``: a share is hidden with its count.
    margins : bool, default True
        False protects each count column against its own total only, not the
        subtotals by each key: for groups that are not parts of one whole (such as
        pairs of sides by need).

    Returns
    -------
    pandas.DataFrame
        ``out`` with the counts as whole numbers (``Int64``) and small ones missing;
        ``attrs["subtotals"]`` maps each count column to the sums by each key that
        may be published (``(key, value)``: whole number or None where hidden).

    Examples
    --------
    >>> out = pd.DataFrame({"people": [120.4, 3.2, 60.0, 183.6]},
    ...                    index=pd.Index(["A", "B", "C", "total"], name="lad"))
    >>> published = publish(out, ["people"], ["lad"], suppress=5)
    >>> published["people"].tolist()  # 3 hidden; 60 too, or 3 = 183 - 120 - 60
    [120, <NA>, <NA>, 183]
    """
    if not suppress:
        return out
    body = out.iloc[:-1] if total else out
    several = margins and len(keys) > 1
    flat = body.reset_index() if several else body
    protected = suppress_small(flat, list(people), threshold=suppress,
                               margins=list(keys) if several else None)
    sums = {c: dict(protected.attrs["subtotals"][c]) for c in people}
    protected.attrs.clear()
    result = protected.set_index(list(keys)) if several else protected
    result.index.names = out.index.names
    if total:
        tail = out.iloc[-1:].copy()
        for c in people:
            own = float(np.round(tail[c].iloc[0]))
            additive = bool(np.isclose(tail[c].iloc[0], body[c].sum()))
            # a total over overlapping groups is not their sum: shown unless small
            tail[c] = pd.array([sums[c]["total"] if additive else
                                None if 1 <= own < suppress else int(own)],
                               dtype="Int64")
        result = pd.concat([result, tail])
    for c in people:
        sums[c].pop("total")
    for share, count in (shares or {}).items():
        result[share] = result[share].where(result[count].notna(), np.nan)
    result.attrs["subtotals"] = sums
    return result

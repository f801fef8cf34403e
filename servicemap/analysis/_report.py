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
=========================================  ==============================================
"""

from __future__ import annotations

import html
from typing import Any, ClassVar

import pandas as pd
from matplotlib.axes import Axes

from servicemap.disclosure import DEFAULT_THRESHOLD
from servicemap.errors import did_you_mean

__all__ = ["DEFAULT_THRESHOLD", "Report"]

#: Rows of :attr:`Report.table` shown by ``_repr_html_``.
_HTML_ROWS = 10


class Report:
    """The shared protocol of analysis reports.

    Subclasses are frozen dataclasses declaring ``table``, ``attrs`` and ``notes``;
    they implement :meth:`summary`, :meth:`explain`, :meth:`plot` and ``__repr__``.

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
    #: What one row of ``table`` is, in words ("gap", "pair of services", ...).
    row_noun: ClassVar[str] = "row"

    def summary(self, by: Any = None, *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """Return the report grouped ``by``, small counts of people suppressed."""
        raise NotImplementedError

    def explain(self, key: Any) -> pd.DataFrame:
        """Return why the row labelled ``key`` of ``table`` is as it is."""
        raise NotImplementedError

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the report and return the Axes."""
        raise NotImplementedError

    def _check_key(self, key: Any) -> Any:
        """Return ``key`` if it labels a row of ``table``; else a KeyError with a hint."""
        index = self.table.index
        try:
            found = key in index
        except TypeError:
            found = False
        if found:
            return key
        labels = [str(k) for k in index[:5]]
        hint = did_you_mean(str(key), [str(k) for k in index]) if len(index) else ""
        more = ", ..." if len(index) > 5 else ""
        msg = (f"{key!r} is not a {self.row_noun} of this report: give a label of "
               f".table's index (such as {', '.join(labels)}{more}).{hint}"
               if len(index) else f"{key!r}: this report has no {self.row_noun}s.")
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

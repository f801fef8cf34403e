r"""Writing tables for spreadsheets safely.

Text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run
as a formula when a CSV or workbook is opened in a spreadsheet (OWASP "CSV injection").
Every table servicemap writes passes through :func:`neutralise`, which puts a single
quote in front of such text so it shows as written and never runs: in every text cell,
categorical values, the index and the column headers. :func:`write_csv` is the one CSV
writer: it ends rows with ``\r\n`` (RFC 4180), so a field holding a line break of
either kind, such as ``"Council\r=1+1"``, is quoted and stays one field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["neutralise", "safe_text", "write_csv"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    r"""Return text that cannot run as a spreadsheet formula; other values unchanged.

    Lists and tuples become text joined by ``"; "`` first, as a spreadsheet cell holds
    them.

    Examples
    --------
    >>> safe_text('=HYPERLINK("http://x")')
    '\'=HYPERLINK("http://x")'
    >>> safe_text(("drug", "alcohol")), safe_text(-5), safe_text("Luton")
    ('drug; alcohol', -5, 'Luton')
    """
    if isinstance(value, (list, tuple)):
        value = "; ".join(map(str, value))
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of a frame whose text cells cannot run as formulas.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["@SUM(A1)", "Hub"], "=n": [1, 2]})
    >>> df["kind"] = pd.Categorical(["-x", "y"])
    >>> out = neutralise(df)
    >>> out["name"].tolist(), out["kind"].tolist(), out.columns.tolist()
    (["'@SUM(A1)", 'Hub'], ["'-x", 'y'], ['name', "'=n", 'kind'])
    """
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.CategoricalDtype):
            out[col] = out[col].astype(object)
        if out[col].dtype == object or str(out[col].dtype) in {"str", "string"}:
            out[col] = out[col].map(safe_text).astype(object)
    out.index = _safe_labels(out.index)
    out.columns = _safe_labels(out.columns)
    return out


def _safe_labels(index: pd.Index) -> pd.Index:
    """Return an index (or columns) whose text labels cannot run as formulas."""
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_safe_labels(level) for level in index.levels])
    if isinstance(index.dtype, pd.CategoricalDtype):
        index = index.astype(object)
    if index.dtype == object or str(index.dtype) in {"str", "string"}:
        return index.map(safe_text)
    return index


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    r"""Write a frame to CSV with its text neutralised; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_csv(pd.DataFrame({"a": ["=1+1"]}), pathlib.Path(d) / "t.csv",
    ...                   index=False)
    ...     print(p.read_text().splitlines())
    ['a', "'=1+1"]
    >>> with tempfile.TemporaryDirectory() as d:  # a line break stays in its field
    ...     p = write_csv(pd.DataFrame({"a": ["Council\r=1+1", "b"]}),
    ...                   pathlib.Path(d) / "t.csv", index=False)
    ...     print(pd.read_csv(p)["a"].tolist())
    ['Council\r=1+1', 'b']
    """
    path = Path(path)
    kwargs.setdefault("lineterminator", "\r\n")  # quotes a field holding \r or \n
    neutralise(frame).to_csv(path, encoding="utf-8", **kwargs)
    return path

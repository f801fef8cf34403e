"""Writing tables for spreadsheets safely.

Text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run
as a formula when a CSV or workbook is opened in a spreadsheet (OWASP "CSV injection").
Every table servicemap writes passes through :func:`neutralise`, which puts a single
quote in front of such text so it shows as written and never runs.
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
    >>> df = pd.DataFrame({"name": ["@SUM(A1)", "Hub"], "n": [1, 2]})
    >>> neutralise(df)["name"].tolist()
    ["'@SUM(A1)", 'Hub']
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in {"str", "string"}:
            out[col] = out[col].map(safe_text).astype(object)
    if out.index.dtype == object or str(out.index.dtype) in {"str", "string"}:
        out.index = out.index.map(safe_text)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **kwargs: Any) -> Path:
    """Write a frame to CSV with its text neutralised; return the path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = write_csv(pd.DataFrame({"a": ["=1+1"]}), pathlib.Path(d) / "t.csv",
    ...                   index=False)
    ...     print(p.read_text().splitlines())
    ['a', "'=1+1"]
    """
    path = Path(path)
    neutralise(frame).to_csv(path, encoding="utf-8", **kwargs)
    return path

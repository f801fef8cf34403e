"""The workshop workbook: a template to fill in, a reader that reports every problem.

A consultant captures services, sites, catchments and referral routes in a spreadsheet
with partners in the room, then reads it in one call:

>>> import tempfile, pathlib
>>> with tempfile.TemporaryDirectory() as d:
...     path = sm.datasets.bedfordshire().to_workbook(pathlib.Path(d) / "beds.xlsx")
...     smap = sm.read_workbook(path, areas="bedfordshire")
>>> smap.equals(sm.datasets.bedfordshire())
True

The workbook (or a folder of CSV files, one per sheet) has the sheets of
:mod:`servicemap.io.sheets`. Reading collects every problem in every row and raises
them once, as an :class:`~servicemap.errors.InputError` whose problems are
:class:`SheetProblem` records naming the sheet, the row as Excel shows it (the header
is row 1), the column, the value, what is wrong and the fix. Nothing is dropped,
trimmed or converted silently: what the reader normalises (spaces around text, the
case of a vocabulary term, a header's spelling, lon/lat to eastings and northings) is
listed in the map's :attr:`~servicemap.ServiceMap.notes`.

The package has one module per job: :mod:`~servicemap.io.workbook.read` reads the
sheets into raw tables and builds the map, :mod:`~servicemap.io.workbook.place` puts
each of the map's problems on its sheet, row and column (deciding by the problem's
``code``, never its words), and :mod:`~servicemap.io.workbook.write` writes workbooks,
templates and CSV folders.

Text is never evaluated. A cell that starts with ``=`` is a formula and is reported;
every text the writers put in a sheet or CSV that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets an apostrophe in front (OWASP CSV injection),
which the reader takes off again.
"""

from servicemap.io.workbook._raw import SheetProblem
from servicemap.io.workbook.read import read_workbook, validate_workbook
from servicemap.io.workbook.write import write_template, write_workbook

__all__ = [
    "SheetProblem",
    "read_workbook",
    "validate_workbook",
    "write_template",
    "write_workbook",
]

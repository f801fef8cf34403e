"""Property: a corrupted workbook reads to a whole map or to InputError, nothing else."""

import datetime
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import grid_areas, toy_tables

import servicemap as sm
from servicemap.io.workbook import read_workbook, write_workbook

AREAS = grid_areas()
SMAP = sm.ServiceMap.from_frames(areas=AREAS, **toy_tables())
SHEETS = ["Organisations", "Partnerships", "Services", "Catchments", "Sites", "Pathways",
          "Areas", "Vocabulary"]
TABLES = {"Organisations": "organisations", "Partnerships": "partnerships",
          "Services": "services", "Sites": "sites", "Pathways": "pathways"}


def _base() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = write_workbook(SMAP, Path(d) / "base.xlsx")
        return path.read_bytes()


BASE = _base()

values = st.one_of(
    st.none(),
    st.text(alphabet="abcHUBOUTC1P -;=+@'#/:.0123456789", max_size=12),
    st.sampled_from(["HUB", "OUT", "C1", "TP", "drug", "adults", "24/7", "phone",
                     "E01000001", "E06000001", "=A1", "#N/A", " HUB ", "Drug", "yes"]),
    st.integers(-10, 1_000_000),
    st.floats(-1e7, 1e7, allow_nan=False),
    st.booleans(),
    st.datetimes(min_value=datetime.datetime(2000, 1, 1),
                 max_value=datetime.datetime(2030, 1, 1)),
)
cell_edits = st.tuples(st.sampled_from(SHEETS), st.integers(1, 4), st.integers(1, 13),
                       values)
structural = st.sampled_from(["none", "merge", "delete_row", "delete_col", "blank_sheet",
                              "drop_sheet"])


def corrupt(edits, change, sheet_choice):
    book = openpyxl.load_workbook(io.BytesIO(BASE))
    for sheet, row, column, value in edits:
        book[sheet].cell(row, column).value = value
    ws = book[sheet_choice]
    if change == "merge":
        ws.merge_cells(start_row=2, start_column=2, end_row=3, end_column=2)
    elif change == "delete_row":
        ws.delete_rows(2)
    elif change == "delete_col":
        ws.delete_cols(2)
    elif change == "blank_sheet":
        ws.delete_rows(1, ws.max_row)
    elif change == "drop_sheet":
        del book[sheet_choice]
    return book


def data_rows(book, sheet):
    if sheet not in book.sheetnames:
        return 0
    rows = list(book[sheet].iter_rows(min_row=2, values_only=True))
    return sum(any(v is not None and str(v).strip() for v in r) for r in rows)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(cell_edits, min_size=0, max_size=3), change=structural,
       sheet_choice=st.sampled_from(SHEETS))
def test_corruptions_give_a_whole_map_or_input_error(edits, change, sheet_choice):
    book = corrupt(edits, change, sheet_choice)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "mapping.xlsx"
        book.save(path)
        try:
            smap = read_workbook(path, areas=AREAS)
        except sm.InputError as exc:
            assert exc.problems
            assert any(p.severity == "error" for p in exc.problems)
            return
        # nothing dropped: every record row is in the map
        for sheet, table in TABLES.items():
            assert len(getattr(smap, table)) == data_rows(book, sheet), sheet
        if not edits and change == "none":
            assert smap.equals(SMAP)
        # and what was read writes and reads back to the same map
        again = read_workbook(write_workbook(smap, Path(d) / "again.xlsx"), areas=AREAS)
        assert again.equals(smap)


def test_an_untouched_workbook_reads_to_the_same_map():
    book = corrupt([], "none", "Services")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.xlsx"
        book.save(path)
        assert read_workbook(path, areas=AREAS).equals(SMAP)

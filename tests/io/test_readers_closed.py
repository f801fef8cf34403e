"""Every reader closed: each corrupted input the fuzzing found, now one located error.

One test per reproducer: a crash that became an InputError naming the file, table,
row and field; a silent change that became an error, or a note and a warning.
"""

import json
import shutil
import sqlite3
import warnings
import zipfile
from contextlib import closing

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from toy import grid_areas, toy_map, toy_tables

import servicemap as sm


def _problem(exc_info):
    problems = exc_info.value.problems
    assert problems
    return problems[0]


# -- the workbook ---------------------------------------------------------------------
@pytest.fixture
def workbook(tmp_path):
    return toy_map().to_workbook(tmp_path / "mapping.xlsx")


def _edit(path, change):
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def test_a_corrupted_workbook_zip_is_one_error_naming_the_file(workbook):
    data = bytearray(workbook.read_bytes())
    with zipfile.ZipFile(workbook) as z:  # damage the deflated bytes of one part
        info = z.getinfo("xl/worksheets/sheet3.xml")
    start = info.header_offset + 30 + len(info.filename) + 10
    data[start:start + 8] = b"\xff" * 8
    workbook.write_bytes(bytes(data))
    with pytest.raises(sm.InputError) as err:
        sm.read_workbook(workbook, areas=grid_areas())
    p = _problem(err)
    assert p.table == "mapping.xlsx" and p.code == "unreadable"
    assert "damaged" in p.message and "save it again" in p.message


def test_malformed_xml_in_a_workbook_is_one_error(workbook):
    with zipfile.ZipFile(workbook) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/worksheets/sheet2.xml"] = parts["xl/worksheets/sheet2.xml"][:200] + b"<oops"
    with zipfile.ZipFile(workbook, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    with pytest.raises(sm.InputError) as err:
        sm.read_workbook(workbook, areas=grid_areas())
    assert _problem(err).code == "unreadable"
    assert "ParseError" in _problem(err).message


@pytest.mark.parametrize("value", ["1_000", True, "inf", "1e400", "nan"])
def test_a_population_must_be_a_plain_finite_number(workbook, value):
    def change(book):
        book["Areas"]["D2"] = value

    with pytest.raises(sm.InputError) as err:
        sm.read_workbook(_edit(workbook, change), areas=grid_areas())
    p = _problem(err)
    assert (p.table, p.row, p.field) == ("Areas", 2, "population")
    assert p.code == ("wrong_cell_type" if value is True else "not_a_number")


def test_a_cleared_areas_cell_keeps_the_boundaries_value_and_says_so(workbook):
    def change(book):
        book["Areas"]["D2"] = None  # population of E01000001

    with pytest.warns(sm.ValidationWarning, match=r"population.*empty in 1 row"):
        smap = sm.read_workbook(_edit(workbook, change), areas=grid_areas())
    assert smap.areas.loc["E01000001", "population"] == 1100  # the boundaries'
    said = [p for p in smap.notes if p.field == "population"]
    assert len(said) == 1 and said[0].severity == "warning" and "E01000001" in said[0].message


def test_an_areas_row_with_no_code_is_an_error_not_dropped(workbook):
    def change(book):
        book["Areas"]["A3"] = None

    with pytest.raises(sm.InputError) as err:
        sm.read_workbook(_edit(workbook, change), areas=grid_areas())
    p = _problem(err)
    assert (p.table, p.row, p.field, p.code) == ("Areas", 3, "code", "missing_value")


def test_a_renamed_optional_sheet_is_said_not_ignored(workbook):
    def change(book):
        book["Travel times"]["A2"], book["Travel times"]["B2"] = "E01000001", "HUB-1"
        book["Travel times"]["C2"] = 5
        book["Travel times"].title = "Travel time (2)"

    with pytest.warns(sm.ValidationWarning, match="Travel time"):
        smap = sm.read_workbook(_edit(workbook, change), areas=grid_areas())
    assert any(p.code == "unknown_table" for p in smap.notes)


def test_a_built_in_terms_edited_label_is_said(workbook):
    def change(book):
        sheet = book["Vocabulary"]
        row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 2).value == "drug")
        sheet.cell(row, 3).value = "Drugs (our label)"

    with pytest.warns(sm.ValidationWarning, match="built-in term"):
        smap = sm.read_workbook(_edit(workbook, change), areas=grid_areas())
    assert any(p.code == "builtin_term" for p in smap.notes)


@pytest.mark.parametrize("word", ["maybe", "sort of", "2"])
def test_yes_or_no_takes_only_the_documented_words(workbook, word):
    def change(book):
        sheet = book["Pathways"]
        column = [c.value for c in sheet[1]].index("information_sharing_agreement") + 1
        sheet.cell(2, column).value = word

    with pytest.raises(sm.InputError) as err:
        sm.read_workbook(_edit(workbook, change), areas=grid_areas())
    p = _problem(err)
    assert (p.field, p.code) == ("information_sharing_agreement", "not_yes_no")


# -- HSDS -----------------------------------------------------------------------------
@pytest.fixture
def package(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        toy_map().to_hsds(tmp_path / "hsds")
    return tmp_path / "hsds"


def _set_cell(package, file, column, value):
    """Write ``value`` into the first row of one of the package's CSV files."""
    path = package / file
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[0, column] = value
    frame.to_csv(path, index=False)


def _read_hsds(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.HSDSWarning)
        return sm.read_hsds(source, areas=grid_areas())


@pytest.mark.parametrize(("codec", "line"), [("cp1252", 2), ("utf-16", 1)])
def test_a_csv_not_in_utf8_names_the_file_and_line(package, codec, line):
    path = package / "organizations.csv"
    text = path.read_text(encoding="utf-8").replace("Council One", "Council Oné")
    path.write_bytes(text.encode(codec))
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    p = _problem(err)
    assert (p.table, p.code) == ("organizations.csv", "unreadable")
    assert p.row == line and "UTF-8" in p.message


def test_an_empty_or_ragged_csv_is_one_error(package):
    (package / "funding.csv").write_text("", encoding="utf-8")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    assert (_problem(err).table, _problem(err).code) == ("funding.csv", "unreadable")
    (package / "funding.csv").write_text('id,service_id\n"a,b\n', encoding="utf-8")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    assert _problem(err).table == "funding.csv"


def test_a_deleted_table_the_package_lists_is_an_error(package):
    (package / "service_areas.csv").unlink()
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    p = _problem(err)
    assert (p.code, p.value) == ("missing_table", "service_areas.csv")


def test_rows_whose_links_match_nothing_are_problems_not_dropped(package):
    _set_cell(package, "service_areas.csv", "service_id", "no-such-service")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    p = _problem(err)
    assert (p.table, p.row, p.field, p.code) == (
        "service_areas.csv", "2", "service_id", "unknown_reference")


def test_hsds_yes_or_no_rejects_other_words(package):
    _set_cell(package, "servicemap_pathways.csv", "information_sharing_agreement",
              "perhaps")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    assert _problem(err).code == "not_yes_no"


@pytest.mark.parametrize("value", [[], "x", 5, {"contents": "x"}])
def test_a_services_json_of_the_wrong_shape_is_an_error(tmp_path, value):
    path = tmp_path / "services.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(path)
    assert _problem(err).table == "services.json"
    assert _problem(err).code in {"wrong_type", "missing_table"}


def test_broken_or_deep_json_is_one_error(package, tmp_path):
    path = tmp_path / "services.json"
    path.write_text('{"id": "a", "name": ', encoding="utf-8")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(path)
    assert (_problem(err).row, _problem(err).code) == (1, "unreadable")
    path.write_text('{"id": "a", "x": ' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    with pytest.raises(sm.InputError, match="nests"):
        _read_hsds(path)


def test_json_values_of_the_wrong_type_name_their_place(package, tmp_path):
    data = json.loads((package / "services.json").read_text(encoding="utf-8"))
    service = data["contents"][0]
    service["schedules"] = "Mon-Fri"
    service["service_areas"] = [5]
    path = tmp_path / "services.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(path)
    fields = {(p.field, p.code) for p in err.value.problems}
    assert {("schedules", "wrong_type"), ("service_areas", "wrong_type")} <= fields
    assert all("contents[0]" in str(p.row) for p in err.value.problems)


def test_an_unknown_vocabulary_category_is_a_problem(package):
    path = package / "servicemap_vocabulary.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if frame.empty:
        frame = pd.DataFrame([{"category": "need", "term": "gambling", "label": "Gambling"}])
    frame.loc[0, "category"] = "needz"
    frame.to_csv(path, index=False)
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    p = _problem(err)
    assert (p.field, p.code) == ("category", "unknown_term") and "need" in p.message


def test_a_bad_schedule_interval_is_kept_not_a_crash(package):
    path = package / "schedules.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["interval"] = "every other"
    frame.to_csv(path, index=False)
    with pytest.warns(sm.HSDSWarning, match="schedule"):
        smap = sm.read_hsds(package, areas=grid_areas())
    assert "[HSDS schedule]" in smap.services.loc["HUB", "notes"]


# -- read_file ------------------------------------------------------------------------
@pytest.fixture
def gpkg(tmp_path):
    return toy_map().to_file(tmp_path / "map.gpkg")


def _sql(path, statement, *args):
    with closing(sqlite3.connect(path)) as con:
        for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            con.create_function(name, 1, lambda _g: 0)
        con.execute(statement, args)
        con.commit()


@pytest.mark.parametrize(("key", "value"), [
    ("schema", "{"), ("schema", "[]"), ("provenance", "5"), ("format_version", "two"),
    ("schema", json.dumps({"areas": 5}))])
def test_edited_metadata_is_one_error_naming_it(gpkg, key, value):
    _sql(gpkg, 'UPDATE "servicemap_metadata" SET "value" = ? WHERE "key" = ?', value, key)
    with pytest.raises(sm.InputError) as err:
        sm.read_file(gpkg)
    p = _problem(err)
    assert p.table == "servicemap_metadata" and p.row == key


def test_text_in_a_column_of_numbers_is_an_error_not_zero(gpkg):
    _sql(gpkg, 'UPDATE "areas" SET "population" = ? WHERE "code" = ?', "lots", "E01000002")
    with pytest.raises(sm.InputError) as err:
        sm.read_file(gpkg)
    p = _problem(err)
    assert (p.table, p.row, p.field, p.value, p.code) == (
        "areas", "E01000002", "population", "lots", "not_a_number")


def test_an_empty_site_point_is_no_location(tmp_path):
    tables = toy_tables()
    sites = gpd.GeoDataFrame(tables["sites"].drop(columns=["easting", "northing"]),
                             geometry=[shapely.Point(), None], crs=27700)
    with pytest.raises(sm.InputError) as err:
        sm.ServiceMap.from_frames(areas=grid_areas(), **{**tables, "sites": sites})
    p = _problem(err)
    assert (p.table, p.code) == ("sites", "bad_location") and "no location" in p.message


def test_areas_in_degrees_or_with_swapped_axes_are_rejected_as_sites_are():
    degrees = grid_areas().to_crs(4326).set_crs(27700, allow_override=True)
    with pytest.raises(sm.InputError) as err:
        toy_map(areas=degrees)
    assert {(p.field, p.code) for p in err.value.problems} == {("geometry", "bad_location")}
    assert "set_crs(4326" in _problem(err).message
    swapped = grid_areas().to_crs(4326)
    swapped["geometry"] = shapely.transform(swapped.geometry.values, lambda xy: xy[:, ::-1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.ReprojectionWarning)
        with pytest.raises(sm.InputError, match="outside Great Britain"):
            toy_map(areas=swapped)


@pytest.mark.parametrize("value", [float("inf"), True, "1_000"])
def test_from_frames_refuses_a_population_that_is_not_a_plain_number(value):
    areas = grid_areas()
    areas["population"] = areas["population"].astype(object)
    areas.loc[3, "population"] = value
    with pytest.raises(sm.InputError) as err:
        toy_map(areas=areas)
    p = _problem(err)
    assert (p.table, p.field, p.code) == ("areas", "population", "not_a_number")


def test_the_command_line_prints_problems_never_a_traceback(tmp_path, workbook):
    from typer.testing import CliRunner

    from servicemap.cli import app

    runner = CliRunner()
    shutil.copy(workbook, tmp_path / "damaged.xlsx")
    (tmp_path / "damaged.xlsx").write_bytes(workbook.read_bytes()[:3000])
    (tmp_path / "empty.xlsx").write_bytes(b"")
    for target in ("damaged.xlsx", "empty.xlsx", "missing.xlsx"):
        result = runner.invoke(app, ["validate", str(tmp_path / target)])
        assert result.exit_code == 1, (target, result.output)
        assert "Traceback" not in result.output and result.exception is None or (
            isinstance(result.exception, SystemExit)), target


def test_the_stated_limits_are_errors(package, tmp_path, monkeypatch, workbook):
    from servicemap.io.hsds import read as hsds_read
    from servicemap.io.workbook import read as workbook_read

    path = tmp_path / "services.json"
    path.write_text('{"id": "a", "x": ' + "[" * 100 + "]" * 100 + "}", encoding="utf-8")
    with pytest.raises(sm.InputError, match=f"more than {hsds_read.MAX_JSON_DEPTH} levels"):
        _read_hsds(path)
    monkeypatch.setattr(hsds_read, "MAX_FILE_BYTES", 100)
    with pytest.raises(sm.InputError, match="above the"):
        _read_hsds(package)
    monkeypatch.setattr(hsds_read, "MAX_FILE_BYTES", 10**9)
    monkeypatch.setattr(hsds_read, "MAX_ROWS", 1)
    with pytest.raises(sm.InputError, match="more than 1 rows"):
        _read_hsds(package)
    monkeypatch.setattr(workbook_read, "MAX_WORKBOOK_BYTES", 100)
    with pytest.raises(sm.InputError, match="above the"):
        sm.read_workbook(workbook, areas=grid_areas())


def test_a_folder_with_no_csv_is_an_error_not_an_empty_map(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(sm.InputError) as err:
        sm.read_workbook(tmp_path / "empty", areas=grid_areas())
    assert (_problem(err).table, _problem(err).code) == ("empty", "missing_table")


def test_a_child_row_that_belongs_to_nothing_is_an_error_not_lost(package):
    path = package / "schedules.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("service_id", "service_idx", 1), encoding="utf-8")
    with pytest.raises(sm.InputError) as err:
        _read_hsds(package)
    p = _problem(err)
    assert (p.table, p.field, p.code) == ("schedules.csv", "service_id", "missing_value")
    assert "belongs to no record" in p.message


def test_a_fraction_in_a_whole_number_column_or_a_nul_is_found(gpkg):
    _sql(gpkg, 'UPDATE "areas" SET "imd_decile" = ? WHERE "code" = ?', 3.25, "E01000003")
    with pytest.raises(sm.InputError) as err:
        sm.read_file(gpkg)
    p = _problem(err)
    assert (p.table, p.row, p.field, p.value) == ("areas", "E01000003", "imd_decile", 3.25)
    _sql(gpkg, 'UPDATE "areas" SET "imd_decile" = 4 WHERE "code" = ?', "E01000003")
    _sql(gpkg, 'UPDATE "organisations" SET "kind" = ? WHERE "id" = ?', "pol\x00ice", "POL")
    with pytest.raises(sm.InputError, match="NUL") as err:
        sm.read_file(gpkg)
    assert (_problem(err).table, _problem(err).field) == ("organisations", "kind")

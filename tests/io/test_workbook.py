"""The workshop workbook: template, reader, writer, and every problem named by cell.

A property closes the file: a corrupted workbook reads to a whole map or to InputError,
nothing else.
"""

import dataclasses
import datetime
import io
import json
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy import X0, Y0, grid_areas, toy_map, toy_tables
from typer.testing import CliRunner

import servicemap as sm
from servicemap.cli import app
from servicemap.io.sheets import SHEETS, readme_frame
from servicemap.io.workbook import (
    SheetProblem,
    read_workbook,
    validate_workbook,
    write_template,
    write_workbook,
)

runner = CliRunner()


def col(ws, name):
    """Return the 1-based position of a header in row 1."""
    return [c.value for c in ws[1]].index(name) + 1


def edit(path, change):
    book = openpyxl.load_workbook(path)
    change(book)
    book.save(path)
    return path


def problems(path, areas):
    with pytest.raises(sm.InputError) as info:
        read_workbook(path, areas=areas)
    return info.value.problems


# -- the template ---------------------------------------------------------------------
def test_template_sheets_headers_and_layout(tmp_path):
    path = write_template(tmp_path / "mapping.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["README", *(s.name for s in SHEETS)]
    for spec in SHEETS:
        ws = book[spec.name]
        assert [c.value for c in ws[1]] == spec.names
        assert ws.freeze_panes == ("B2" if spec.key else "A2")
        assert all(c.font.b for c in ws[1])
        assert ws.column_dimensions["A"].width >= 10
    assert book["Catchments"]["A1"].value == "service"
    # the README explains every column of every sheet, with an example
    readme = book["README"]
    rows = [[c.value for c in r] for r in readme.iter_rows()]
    start = rows.index(["sheet", "column", "required", "holds", "description", "example"])
    table = rows[start + 1:]
    assert len(table) == sum(len(s.columns) for s in SHEETS) == len(readme_frame())
    needs = table[[r[:2] for r in table].index(["Services", "needs"])]
    assert needs[:4] == ["Services", "needs", "yes",
                         "terms of the vocabulary 'need', separated by ';'"]


def test_template_drop_downs_reference_the_vocabulary_sheet(tmp_path):
    book = openpyxl.load_workbook(write_template(tmp_path / "m.xlsx"))
    vocab = book["Vocabulary"]
    terms = [(r[0].value, r[1].value) for r in vocab.iter_rows(min_row=2)]
    assert len(terms) == len(sm.VOCABULARY.to_frame())
    services = book["Services"]
    by_column = {}
    for dv in services.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            by_column[rng.coord.split(":")[0].rstrip("0123456789")] = dv
    needs = by_column[openpyxl.utils.get_column_letter(col(services, "needs"))]
    # interventions: 28 terms, over 255 characters inline: a range on the Vocabulary sheet
    assert len(",".join(sm.VOCABULARY.terms("intervention"))) > 255
    interventions = by_column[openpyxl.utils.get_column_letter(
        col(services, "interventions"))]
    ref = interventions.formula1.removeprefix("=")
    first, last = (int(x.split("$")[-1]) for x in ref.split(":"))
    assert [vocab.cell(r, 2).value for r in range(first, last + 1)] == list(
        sm.VOCABULARY.terms("intervention"))
    ref = needs.formula1.removeprefix("=")
    assert ref.startswith("Vocabulary!$B$")
    first, last = (int(x.split("$")[-1]) for x in ref.split(":"))
    assert [vocab.cell(r, 2).value for r in range(first, last + 1)] == list(
        sm.VOCABULARY.terms("need"))
    assert needs.showErrorMessage is False  # several terms separated by ';' are allowed
    unit = by_column[openpyxl.utils.get_column_letter(col(services, "capacity_unit"))]
    assert unit.errorStyle == "warning"  # a new term may be declared
    first, last = (int(x.split("$")[-1]) for x in unit.formula1.split(":"))
    assert [vocab.cell(r, 2).value for r in range(first, last + 1)] == list(
        sm.VOCABULARY.terms("capacity_unit"))
    capacity = by_column[openpyxl.utils.get_column_letter(col(services, "capacity"))]
    assert (capacity.type, capacity.operator, capacity.formula1) == (
        "decimal", "greaterThanOrEqual", "0")
    illustrative = by_column[openpyxl.utils.get_column_letter(col(services, "illustrative"))]
    assert illustrative.formula1 == '"yes,no"'
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            assert len(dv.formula1) <= 255
            assert dv.prompt is None or len(dv.prompt) <= 255


def test_template_as_csv_folder(tmp_path):
    folder = write_template(tmp_path / "mapping")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["README.md", *(s.file for s in SHEETS)])
    assert (folder / "services.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(
        SHEETS[2].names)
    assert "| needs | yes |" in (folder / "README.md").read_text(encoding="utf-8")
    report = validate_workbook(folder)
    assert report.ok and len(report.errors) == 0


def test_template_is_never_written_over(tmp_path):
    path = write_template(tmp_path / "m.xlsx")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        write_template(path)
    write_template(path, overwrite=True)
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "x.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_template(tmp_path / "f")
    with pytest.raises(ValueError, match="ending in .xlsx"):
        write_template(tmp_path / "m.xls")


# -- round trips ----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["beds.xlsx", "beds"])
def test_bedfordshire_round_trips(tmp_path, name):
    smap = sm.datasets.bedfordshire()
    path = smap.to_workbook(tmp_path / name)
    again = read_workbook(path, areas="bedfordshire")
    assert again.equals(smap)
    assert again.provenance == smap.provenance
    assert again.notes == ()


@pytest.mark.parametrize("name", ["toy.xlsx", "toy"])
def test_round_trip_with_travel_times_declared_terms_and_formula_like_text(
        tmp_path, areas, name):
    tables = toy_tables()
    tables["services"].loc[0, "notes"] = "=HYPERLINK(\"http://x\")"
    tables["services"].loc[1, "notes"] = "- first; + second"
    tables["organisations"].loc[0, "notes"] = "@mention\tand tab"
    tables["organisations"].loc[1, "notes"] = "'=already quoted"
    tables["services"].loc[1, "needs"] = "drug; chemsex"
    tables["services"].loc[0, "reach"] = "minutes"
    tables["services"].loc[0, "max_distance"] = None
    tables["services"].loc[0, "max_minutes"] = 20
    times = pd.DataFrame({"area": ["E01000001", "E01000002"], "site": ["HUB-1", "HUB-1"],
                          "minutes": [5.5, 12.0]})
    smap = sm.ServiceMap.from_frames(
        areas=areas, travel_times=times, vocabulary={"need": {"chemsex": "Chemsex: support"}},
        provenance={"name": "Toy", "vintage": {"areas": "2011"}}, **tables)
    path = write_workbook(smap, tmp_path / name)
    again = read_workbook(path, areas=areas)
    assert again.equals(smap)
    assert again.vocabulary.declared() == {"need": {"chemsex": "Chemsex: support"}}
    assert again.provenance == {"name": "Toy", "vintage": {"areas": "2011"}}
    # formula-like text was written with an apostrophe, and read without it
    if name.endswith(".xlsx"):
        ws = openpyxl.load_workbook(path)["Services"]
        notes = [ws.cell(r, col(ws, "notes")).value for r in (2, 3)]
    else:
        notes = pd.read_csv(path / "services.csv", dtype=str)["notes"].tolist()
    assert notes == ["'=HYPERLINK(\"http://x\")", "'- first; + second"]
    kinds = {p.message.split(";")[0] for p in again.notes}
    assert kinds == {"starts with an apostrophe that keeps a spreadsheet from running it "
                     "as a formula"}
    assert {(p.table, p.field) for p in again.notes} == {
        (("Services" if name.endswith(".xlsx") else "services.csv"), "notes"),
        (("Organisations" if name.endswith(".xlsx") else "organisations.csv"), "notes")}


def test_every_trigger_is_neutralised_when_written(tmp_path, areas):
    tables = toy_tables()
    texts = ["=1+1", "+1", "-1", "@SUM(A1)"]  # a map's text never starts with a space
    tables["organisations"] = pd.DataFrame(
        [{"id": f"O{i}", "name": "Org", "kind": "other", "notes": t}
         for i, t in enumerate(texts)] + tables["organisations"].to_dict("records"))
    smap = sm.ServiceMap.from_frames(areas=areas, **tables)
    written = write_workbook(smap, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(written)["Organisations"]
    cells = [ws.cell(r, col(ws, "notes")) for r in range(2, 6)]
    assert [c.value for c in cells] == ["'" + t for t in texts]
    assert all(c.data_type == "s" for c in cells)  # text, never a formula
    folder = write_workbook(smap, tmp_path / "t")
    frame = pd.read_csv(folder / "organisations.csv", dtype=str, keep_default_na=False)
    assert frame["notes"].tolist()[:4] == ["'" + t for t in texts]
    assert read_workbook(written, areas=areas).equals(smap)
    assert read_workbook(folder, areas=areas).equals(smap)


def test_tab_and_carriage_return_are_neutralised_too():
    from servicemap.io.workbook.write import _protect

    assert [_protect(t) for t in ["\tx", "\rx", "'x", "x", ("=a", "b")]] == [
        "'\tx", "'\rx", "''x", "x", "'=a; b"]


def test_text_a_sheet_cannot_hold_is_an_error_on_writing(tmp_path, areas):
    tables = toy_tables()
    tables["organisations"].loc[0, "notes"] = "bell\x07"
    smap = sm.ServiceMap.from_frames(areas=areas, **tables)
    with pytest.raises(sm.InputError, match="row 'C1', field 'notes': holds a control"):
        write_workbook(smap, tmp_path / "x.xlsx")


# -- one message for each seeded error ------------------------------------------------
def test_each_seeded_error_gets_one_message_naming_sheet_row_and_column(
        tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "seeded.xlsx")

    def seed(book):
        ws = book["Organisations"]
        ws.cell(3, col(ws, "name")).value = None                       # missing required
        ws.merge_cells(start_row=2, start_column=col(ws, "notes"), end_row=3,
                       end_column=col(ws, "notes"))                    # merged cells
        ws = book["Services"]
        ws.cell(2, col(ws, "capacity")).value = "about 40"             # bad number
        ws.cell(3, col(ws, "hours")).value = "9-5ish"                  # bad hours
        ws.cell(3, col(ws, "needs")).value = "drugs"                   # unknown term
        ws.cell(1, ws.max_column + 1).value = "comments"               # unknown column
        ws = book["Pathways"]
        ws.cell(3, col(ws, "to_service")).value = "HUBB"               # unknown service
        ws.cell(2, col(ws, "wait_days")).value = datetime.datetime(2024, 3, 1)  # a date
        ws = book["Sites"]
        ws.append(["OUT-1", "Again", "OUT", "phone"])                 # duplicate id
        ws.append(["FAR", "Far away", "HUB", "in_person", X0 - 60_000, Y0])  # outside
        ws.append(["SWAP", "Swapped", "HUB", "in_person", None, None, 52.1, -0.47])
        ws = book["Partnerships"]
        ws.delete_rows(1, ws.max_row)                                  # empty sheet

    found = problems(edit(path, seed), areas)
    got = sorted((p.table, p.row, p.field, p.cell) for p in found)
    expected = sorted([
        ("Organisations", 3, "name", "B3"),
        ("Organisations", 2, "notes", "E2"),
        ("Partnerships", None, None, None),
        ("Services", 2, "capacity", "K2"),
        ("Services", 3, "hours", "J3"),
        ("Services", 3, "needs", "E3"),
        ("Services", 1, "comments", "S1"),
        ("Pathways", 3, "to_service", "D3"),
        ("Pathways", 2, "wait_days", "H2"),
        ("Sites", 4, "id", "A4"),
        ("Sites", 5, "easting", "E5"),
        ("Sites", 6, "lon", "G6"),
    ])
    assert got == expected
    assert all(isinstance(p, SheetProblem) and p.severity == "error" for p in found)
    text = {(p.table, p.field): str(p) for p in found}
    assert text[("Services", "capacity")] == (
        "sheet 'Services', row 2 (id 'HUB'), column 'capacity': 'about 40' is not a number."
        " Write a plain number such as 40, with no units or words.")
    assert "'drugs' is not a need. Did you mean 'drug'?" in text[("Services", "needs")]
    assert "'9-5ish' is not a time range" in text[("Services", "hours")]
    assert ("'HUBB' is not in sheet 'Services'. Did you mean 'HUB'?"
            in text[("Pathways", "to_service")])
    assert ("row 2 (id 'P1'), column 'wait_days': '2024-03-01' is a date, not a number"
            in text[("Pathways", "wait_days")])
    assert "'OUT-1' is used by rows 3, 4" in text[("Sites", "id")]
    assert "60 km from the nearest area" in text[("Sites", "easting")]
    assert "lon and lat look swapped" in text[("Sites", "lon")]
    assert "merged cells E2:E3" in text[("Organisations", "notes")]
    assert "is required but empty" in text[("Organisations", "name")]
    assert text[("Services", "comments")].startswith(
        "sheet 'Services', row 1, column 'comments': is not a column of sheet 'Services'.")
    assert "sheet 'Partnerships': is empty" in text[("Partnerships", None)]


def test_seeded_errors_in_a_csv_folder_name_the_file(tmp_path, toy_map, areas):
    folder = write_workbook(toy_map, tmp_path / "toy")
    services = (folder / "services.csv").read_text(encoding="utf-8")
    (folder / "services.csv").write_text(services.replace("100.0", "about 40"),
                                         encoding="utf-8")
    (found,) = problems(folder, areas)
    assert str(found).startswith("file 'services.csv', row 2 (id 'HUB'), column 'capacity': "
                                 "'about 40' is not a number.")
    assert found.cell == "K2"


# -- what the reader reports instead of fixing silently ------------------------------
def test_reader_notes_what_it_normalised(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")

    def change(book):
        ws = book["Services"]
        ws.cell(3, col(ws, "name")).value = "  Outreach "
        ws.cell(3, col(ws, "client_groups")).value = "Adults; rough_sleepers"
        ws.cell(1, col(ws, "min_age")).value = "Min age"
        ws = book["Sites"]
        ws.cell(2, col(ws, "easting")).value = None
        ws.cell(2, col(ws, "northing")).value = None
        ws.cell(2, col(ws, "lon")).value = -0.4
        ws.cell(2, col(ws, "lat")).value = 52.1
        book["Organisations"].cell(2, 1).value = "C1"

    smap = read_workbook(edit(path, change), areas=areas)
    notes = {(p.table, p.row, p.field): p for p in smap.notes}
    assert set(notes) == {("Services", 3, "name"), ("Services", 3, "client_groups"),
                          ("Services", 1, "min_age"), ("Sites", 2, "lon")}
    assert all(p.severity == "note" for p in smap.notes)
    assert smap.services.loc["OUT", "name"] == "Outreach"
    assert smap.services.loc["OUT", "client_groups"] == ("adults", "rough_sleepers")
    assert "was read as the client group 'adults'" in notes[("Services", 3, "client_groups")
                                                            ].message
    assert notes[("Services", 1, "min_age")].message == "was read as column 'min_age'."
    assert "converted to easting" in notes[("Sites", 2, "lon")].message
    # the notes are also in the report, after any problems
    assert smap.validate().notes == smap.notes


def test_numbers_in_text_columns_are_read_as_text_with_a_note(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    edit(path, lambda b: setattr(b["Sites"].cell(3, 10), "value", 2024.0))  # source
    smap = read_workbook(path, areas=areas)
    assert smap.sites.loc["OUT-1", "source"] == "2024"
    (note,) = smap.notes
    assert (note.table, note.row, note.field, note.cell) == ("Sites", 3, "source", "J3")
    assert note.message == "is a number in the spreadsheet; it was read as the text '2024'."


@pytest.mark.parametrize(("value", "kind", "expected"), [
    ("=A1*2", "capacity", "is a formula. servicemap reads values and never runs"),
    ("#N/A", "name", "is a spreadsheet error, not a value"),
    (datetime.datetime(2024, 7, 24), "hours", "is a date, not text: the spreadsheet turned"),
    (True, "capacity", "is a TRUE/FALSE value, not a number"),
])
def test_cells_that_are_not_values_are_errors(tmp_path, toy_map, areas, value, kind,
                                              expected):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    edit(path, lambda b: setattr(b["Services"].cell(2, col(b["Services"], kind)), "value",
                                 value))
    found = problems(path, areas)
    assert [(p.table, p.row, p.field) for p in found] == [("Services", 2, kind)]
    assert expected in found[0].message


def test_catchments_are_joined_by_service(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")

    def change(book):
        ws = book["Catchments"]
        ws.cell(3, 1).value = "OUTT"              # OUT loses its catchment
        ws.append(["HUB", None, "none"])          # a second catchment for HUB

    found = problems(edit(path, change), areas)
    text = sorted(str(p) for p in found)
    assert text == sorted([
        "sheet 'Catchments', row 3, column 'service': 'OUTT' is not in sheet 'Services'. "
        "Did you mean 'OUT'? Correct the id, or add the service.",
        "sheet 'Catchments', row 4, column 'service': 'HUB' already has a catchment in "
        "row 2. Give each service one row.",
        "sheet 'Services', row 3, column 'id': 'OUT' has no row in sheet 'Catchments'. Add "
        "one with this service's id in column 'service' and its max_distance (metres), "
        "max_minutes, or reach 'none' for outreach, phone or online services."])


def test_catchment_problems_name_the_catchments_sheet(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    edit(path, lambda b: setattr(b["Catchments"]["D2"], "value", -5))
    (p,) = problems(path, areas)
    assert (p.table, p.row, p.field, p.cell) == ("Catchments", 2, "max_distance", "D2")


def test_sheet_level_problems(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")

    def change(book):
        del book["Sites"]
        book.create_sheet("Notes")["A1"] = "things to follow up"
        book["Pathways"].delete_cols(col(book["Pathways"], "to_service"))
        book["Services"].title = "renamed"
        book["renamed"].title = "services"

    found = problems(edit(path, change), areas)
    text = [str(p) for p in found]
    assert any(t.startswith("sheet 'Sites': is missing: the workbook needs it") for t in text)
    assert any(t.startswith("sheet 'Pathways', column 'to_service': is missing") for t in text)
    # the unknown sheet is a warning, the renamed one a note: neither is in the error
    assert all(p.severity in {"error", "warning"} for p in found)
    report = validate_workbook(path, areas=areas)
    assert ("Notes", "warning") in {(p.table, p.severity) for p in report.problems}
    assert any(p.table == "services" and p.message == "was read as sheet 'Services'."
               for p in report.notes)


def test_vocabulary_sheet_declares_terms(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")

    def change(book):
        ws = book["Vocabulary"]
        ws.append(["need", "chemsex", None, "Chemsex support: for men"])
        ws.append(["needs", "x", None, None])
        ws.append(["need", "Bad Term", None, None])
        ws = book["Services"]
        ws.cell(3, col(ws, "needs")).value = "chemsex"

    found = problems(edit(path, change), areas)
    assert sorted((p.field, p.value) for p in found) == [("category", "needs"),
                                                         ("term", "Bad Term")]
    assert "such as 'bad_term'" in next(p.message for p in found if p.field == "term")
    edit(path, lambda b: b["Vocabulary"].delete_rows(b["Vocabulary"].max_row - 1, 2))
    smap = read_workbook(path, areas=areas)
    assert smap.services.loc["OUT", "needs"] == ("chemsex",)
    assert smap.vocabulary.label("need", "chemsex") == "Chemsex support"


# -- areas ----------------------------------------------------------------------------
def test_areas_from_files_dataset_names_and_frames(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    gpkg = tmp_path / "areas.gpkg"
    areas[["code", "geometry"]].to_file(gpkg, layer="areas", engine="pyogrio")
    # the Areas sheet brings the figures; the file only the polygons
    assert read_workbook(path, areas=gpkg).equals(toy_map)
    geojson = tmp_path / "areas.geojson"
    areas.to_crs(4326).to_file(geojson, engine="pyogrio")
    smap = read_workbook(path, areas=geojson)
    assert any(p.table == "areas" and "EPSG:4326" in p.message for p in smap.notes)
    assert len(smap.areas) == 9
    with pytest.raises(sm.InputError, match="areas: 'bedfordshre' is neither a file nor a "
                                            "shipped dataset. Did you mean 'bedfordshire'"):
        read_workbook(path, areas="bedfordshre")
    with pytest.raises(sm.InputError, match="areas: none were given"):
        read_workbook(path, areas=None)


def test_areas_sheet_codes_must_be_in_the_boundaries(tmp_path, toy_map, areas):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    edit(path, lambda b: setattr(b["Areas"]["A2"], "value", "E01000091"))
    found = problems(path, areas)
    assert [(p.table, p.row, p.field) for p in found][0] == ("Areas", 2, "code")
    assert "Did you mean 'E01000009'?" in found[0].message


def test_validate_without_areas_checks_rows_only(tmp_path, toy_map):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    report = validate_workbook(path)
    assert report.ok
    assert [p.table for p in report.problems] == ["areas"]
    edit(path, lambda b: setattr(b["Services"]["K2"], "value", "lots"))
    report = validate_workbook(path)
    assert [(p.table, p.row, p.field) for p in report.errors] == [("Services", 2, "capacity")]


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_workbook(tmp_path / "nope.xlsx", areas="bedfordshire")


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "m.xlsx"
    bad.write_text("not a zip")
    report = validate_workbook(bad)
    assert "cannot be opened as an Excel workbook" in report.errors[0].message


# -- the command line -----------------------------------------------------------------
def test_cli_template_and_validate(tmp_path, toy_map, areas):
    target = tmp_path / "m.xlsx"
    result = runner.invoke(app, ["template", str(target)])
    assert result.exit_code == 0 and target.exists()
    assert runner.invoke(app, ["template", str(target)]).exit_code == 2
    assert runner.invoke(app, ["template", str(target), "--force"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(target)])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == "m.xlsx: 0 errors, 0 warnings, 1 note"

    gpkg = tmp_path / "areas.gpkg"
    areas.to_file(gpkg, layer="areas", engine="pyogrio")
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")
    edit(path, lambda b: setattr(b["Services"]["K2"], "value", "about 40"))
    result = runner.invoke(app, ["validate", str(path), "--areas", str(gpkg)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "toy.xlsx: 1 error, 0 warnings, 0 notes"
    assert lines[1].split() == ["severity", "sheet", "row", "column", "value", "message"]
    assert lines[2].split()[:5] == ["error", "Services", "2", "capacity", "'about"]
    result = runner.invoke(app, ["validate", str(path), "--areas", str(gpkg),
                                 "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert (data["ok"], data["errors"]) == (False, 1)
    assert {k: data["problems"][0][k] for k in ("sheet", "row", "column", "cell", "value",
                                                "code")
            } == {"sheet": "Services", "row": 2, "column": "capacity", "cell": "K2",
                  "value": "about 40", "code": "not_a_number"}
    assert runner.invoke(app, ["validate", str(path), "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["validate", str(tmp_path / "none.xlsx")]).exit_code == 1


def test_cli_help_lists_the_commands():
    text = runner.invoke(app, ["--help"]).output
    assert "template" in text and "validate" in text


def test_read_workbook_is_public():
    assert sm.read_workbook is read_workbook and sm.write_template is write_template
    assert isinstance(gpd.GeoDataFrame, type)


def test_a_blank_template_with_real_areas_is_an_empty_valid_map(tmp_path):
    # the Areas sheet is optional: left empty it must not blank the areas' names
    path = tmp_path / "mapping.xlsx"
    sm.write_template(path)
    smap = sm.read_workbook(path, areas="bedfordshire")
    beds = sm.datasets.bedfordshire()
    assert len(smap.services) == 0 and len(smap.areas) == 381
    assert smap.areas["name"].equals(beds.areas["name"])
    result = CliRunner().invoke(app, ["validate", str(path), "--areas", "bedfordshire"])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output


def test_an_areas_sheet_with_some_rows_keeps_the_boundaries_values_for_the_rest(
        tmp_path):
    path = tmp_path / "mapping.xlsx"
    sm.write_template(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Areas"]
    header = [c.value for c in sheet[1]]
    row = [None] * len(header)
    row[header.index("code")] = "E01017524"
    row[header.index("population")] = 1234
    for j, v in enumerate(row, start=1):
        sheet.cell(row=2, column=j, value=v)
    book.save(path)
    beds = sm.datasets.bedfordshire()
    smap = sm.read_workbook(path, areas="bedfordshire")
    assert smap.areas.loc["E01017524", "population"] == 1234
    others = beds.areas.index != "E01017524"
    assert smap.areas.loc[others, "population"].equals(beds.areas.loc[others, "population"])
    assert smap.areas["name"].equals(beds.areas["name"])


# -- problem codes, and placing problems by code --------------------------------------
def _corrupt(book):
    """Seed one error of each kind the reader and the map builder report."""
    ws = book["Organisations"]
    ws.cell(3, col(ws, "name")).value = None
    ws = book["Services"]
    ws.cell(2, col(ws, "capacity")).value = "about 40"
    ws.cell(3, col(ws, "hours")).value = "9-5ish"
    ws.cell(3, col(ws, "needs")).value = "drugs"
    ws.cell(2, col(ws, "notes")).value = "=1+1"
    ws.cell(1, ws.max_column + 1).value = "comments"
    ws = book["Pathways"]
    ws.cell(3, col(ws, "to_service")).value = "HUBB"
    ws.cell(2, col(ws, "wait_days")).value = datetime.datetime(2024, 3, 1)
    ws = book["Sites"]
    ws.append(["OUT-1", "Again", "OUT", "phone"])
    ws.append(["FAR", "Far away", "HUB", "in_person", X0 - 60_000, Y0])
    ws.append(["SWAP", "Swapped", "HUB", "in_person", None, None, 52.1, -0.47])
    ws = book["Catchments"]
    ws.cell(3, 1).value = "OUTT"
    book["Vocabulary"].append(["needs", "x", None, None])


def test_every_problem_has_a_code_from_the_catalogue(tmp_path, toy_map, areas):
    path = edit(write_workbook(toy_map, tmp_path / "toy.xlsx"), _corrupt)
    report = validate_workbook(path, areas=areas)
    assert len(report.errors) >= 12
    assert all(p.code in sm.errors.PROBLEM_CODES for p in report.problems)
    assert "invalid" not in {p.code for p in report.problems}
    codes = {(p.table, p.field): p.code for p in report.problems}
    assert codes[("Services", "capacity")] == "not_a_number"
    assert codes[("Services", "needs")] == "unknown_term"
    assert codes[("Services", "hours")] == "bad_hours"
    assert codes[("Services", "notes")] == "formula"
    assert codes[("Services", "comments")] == "unknown_column"
    assert codes[("Organisations", "name")] == "missing_value"
    assert codes[("Pathways", "wait_days")] == "wrong_cell_type"
    assert codes[("Sites", "id")] == "duplicate_id"
    assert codes[("Sites", "easting")] == "outside_areas"
    assert codes[("Sites", "lon")] == "bad_location"
    assert codes[("Vocabulary", "category")] == "unknown_term"
    assert codes[("Services", "id")] == "missing_row"
    ref = next(p for p in report.problems if (p.table, p.field) == ("Pathways", "to_service"))
    assert (ref.code, ref.ref_table, ref.ref_id) == ("unknown_reference", "services", "HUBB")
    ref = next(p for p in report.problems if (p.table, p.field) == ("Catchments", "service"))
    assert (ref.code, ref.ref_table, ref.ref_id) == ("unknown_reference", "services", "OUTT")
    frame = report.to_frame()
    assert frame.columns.tolist()[-3:] == ["code", "ref_table", "ref_id"]
    assert frame.loc[frame["field"] == "to_service", "ref_id"].tolist() == ["HUBB"]


def test_problems_are_placed_by_code_not_by_their_words(tmp_path, toy_map, areas,
                                                      monkeypatch):
    import servicemap._checks as checks
    import servicemap._frames as frames
    import servicemap.model as model
    import servicemap.servicemap as servicemap_module

    path = edit(write_workbook(toy_map, tmp_path / "toy.xlsx"), _corrupt)

    def places(report):
        return sorted((p.table, p.row, p.field, p.code, getattr(p, "cell", None))
                      for p in report.problems if p.severity != "note")

    before = places(validate_workbook(path, areas=areas))

    def reworded(problems):
        return [dataclasses.replace(p, message=f"reworded {i}: table 'services' is "
                                    "missing, from the nearest, is not in table 'sites'.")
                for i, p in enumerate(problems)]

    real_cross = checks.cross_record_problems
    real_pydantic = model.problems_from_validation_error
    monkeypatch.setattr(servicemap_module, "cross_record_problems",
                        lambda smap: reworded(real_cross(smap)))
    monkeypatch.setattr(frames, "problems_from_validation_error",
                        lambda *a, **k: reworded(real_pydantic(*a, **k)))
    after = validate_workbook(path, areas=areas)
    assert any(p.message.startswith("reworded") for p in after.problems)
    assert places(after) == before
    # placed problems keep their new words: nothing was read from the old ones
    moved = {(p.table, p.field): p.message for p in after.problems}
    assert moved[("Services", "capacity")].startswith("reworded")
    assert moved[("Sites", "easting")].startswith("reworded")


@pytest.mark.parametrize(("sheet_name", "table"), [
    ("Organisations", "organisations"), ("Partnerships", "partnerships"),
    ("Services", "services"), ("Catchments", "services"), ("Sites", "sites"),
    ("Pathways", "pathways")])
def test_sheets_and_schema_agree(sheet_name, table):
    from servicemap.io.sheets import sheet
    from servicemap.schema import CATCHMENT_COLUMNS, TABLES

    spec, schema = sheet(sheet_name), TABLES[table]
    own = {"Catchments": ["service"], "Sites": ["id", "easting", "northing", "lon", "lat"]
           }.get(sheet_name, ["id"])
    wanted = schema.names
    if table == "services":  # a service's catchment has a sheet of its own
        wanted = [c for c in wanted if (c in CATCHMENT_COLUMNS) == (
            sheet_name == "Catchments")]
    # every field of the record is a column of its sheet, in the record's order
    assert [c for c in spec.names if c not in own] == wanted
    for name in wanted:
        column, field = spec.column(name), schema.column(name)
        assert (column.kind, column.category, column.required) == (
            field.kind, field.category, field.required), name
        assert (column.kind in {"ids", "terms"}) == field.is_list
        refers = [t for t in field.references if t in TABLES]
        assert column.refers_to == (refers[0].capitalize() if len(field.references) == 1
                                    and refers else None)


# -- property: a corrupted workbook reads to a whole map or to InputError, nothing else --
TOY_AREAS = grid_areas()
TOY_MAP = toy_map(TOY_AREAS)
CORRUPTIBLE_SHEETS = ["Organisations", "Partnerships", "Services", "Catchments", "Sites",
                      "Pathways", "Areas", "Vocabulary"]
RECORD_SHEETS = {"Organisations": "organisations", "Partnerships": "partnerships",
                 "Services": "services", "Sites": "sites", "Pathways": "pathways"}


def _toy_workbook() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = write_workbook(TOY_MAP, Path(d) / "base.xlsx")
        return path.read_bytes()


TOY_WORKBOOK = _toy_workbook()

cell_values = st.one_of(
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
cell_edits = st.tuples(st.sampled_from(CORRUPTIBLE_SHEETS), st.integers(1, 4),
                       st.integers(1, 13), cell_values)
structural = st.sampled_from(["none", "merge", "delete_row", "delete_col", "blank_sheet",
                              "drop_sheet"])


def corrupted(edits, change, sheet_choice):
    book = openpyxl.load_workbook(io.BytesIO(TOY_WORKBOOK))
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
       sheet_choice=st.sampled_from(CORRUPTIBLE_SHEETS))
def test_corruptions_give_a_whole_map_or_input_error(edits, change, sheet_choice):
    book = corrupted(edits, change, sheet_choice)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "mapping.xlsx"
        book.save(path)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", sm.ServiceMapWarning)
                smap = read_workbook(path, areas=TOY_AREAS)
        except sm.InputError as exc:
            assert exc.problems
            assert any(p.severity == "error" for p in exc.problems)
            return
        # what the reader warns of is on the map's notes too, and only then
        said = [w for w in caught if issubclass(w.category, sm.ValidationWarning)]
        kept = [p for p in smap.notes if p.severity == "warning"]
        assert bool(said) == bool(kept)
        # nothing dropped: every record row is in the map
        for sheet, table in RECORD_SHEETS.items():
            assert len(getattr(smap, table)) == data_rows(book, sheet), sheet
        if not edits and change == "none":
            assert smap.equals(TOY_MAP)
        # and what was read writes and reads back to the same map
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sm.ValidationWarning)
            again = read_workbook(write_workbook(smap, Path(d) / "again.xlsx"),
                                  areas=TOY_AREAS)
        assert again.equals(smap)


def test_an_untouched_workbook_reads_to_the_same_map():
    book = corrupted([], "none", "Services")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "m.xlsx"
        book.save(path)
        assert read_workbook(path, areas=TOY_AREAS).equals(TOY_MAP)


@pytest.mark.parametrize(("written", "fix"), [
    ("10km", "Write the distance in metres: 10000."),
    ("3 miles", "Write the distance in metres: 4828.03."),
    ("far", "Write the distance in metres as a plain number, such as 10000 for 10 km."),
])
def test_a_distance_with_a_unit_is_told_its_metres(tmp_path, toy_map, areas, written, fix):
    path = write_workbook(toy_map, tmp_path / "toy.xlsx")

    def change(book):
        ws = book["Catchments"]
        column = [c.value for c in ws[1]].index("max_distance") + 1
        ws.cell(2, column).value = written

    found = problems(edit(path, change), areas)
    assert [(p.table, p.field, p.code) for p in found] == [
        ("Catchments", "max_distance", "not_a_number")]
    assert found[0].message == f"is not a number. {fix}"

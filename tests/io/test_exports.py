"""Text written to CSV cannot run as a spreadsheet formula."""

import pandas as pd
import pytest

from servicemap.io.exports import neutralise, safe_text, write_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [("=1+1", "'=1+1"), ("+44 1234", "'+44 1234"), ("-2", "'-2"),
     ("@SUM(A1:A2)", "'@SUM(A1:A2)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("Luton Hub", "Luton Hub"), ("", ""), (3, 3), (-3.5, -3.5),
     (("=cmd", "b"), "'=cmd; b")],
)
def test_safe_text(value, written):
    assert safe_text(value) == written


def test_neutralise_every_text_column_and_the_index():
    df = pd.DataFrame({"name": ["=HYPERLINK(\"x\")", "ok"], "n": [-1, 2]},
                      index=pd.Index(["@id", "b"], name="id"))
    out = neutralise(df)
    assert out["name"].tolist() == ["'=HYPERLINK(\"x\")", "ok"]
    assert out["n"].tolist() == [-1, 2]
    assert out.index.tolist() == ["'@id", "b"]
    assert df["name"].iloc[0].startswith("=")  # the input is untouched


def test_written_csv_reads_back_as_text(tmp_path):
    path = write_csv(pd.DataFrame({"a": ["=1+1", "+x"]}), tmp_path / "t.csv", index=False)
    back = pd.read_csv(path)
    assert back["a"].tolist() == ["'=1+1", "'+x"]


@pytest.mark.parametrize("text", ["Council\r=1+1", "Council\n=1+1", "a\r\nb", "x,\"y\"\r"])
def test_a_line_break_stays_in_its_field_through_the_csv_module(tmp_path, text):
    import csv

    frame = pd.DataFrame({"name": [text, "next"], "n": [1, 2]})
    path = write_csv(frame, tmp_path / "t.csv", index=False)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    # header + two rows, the text whole in its field; no row starts with a formula
    assert rows == [["name", "n"], [text, "1"], ["next", "2"]]
    assert not any(r[0].startswith(("=", "+", "-", "@")) for r in rows)
    assert pd.read_csv(path)["name"].tolist() == [text, "next"]


def test_categorical_values_and_headers_are_neutralised(tmp_path):
    import csv

    frame = pd.DataFrame({"name": pd.Categorical(["=HYPERLINK(\"x\")", "Luton"])})
    frame["=cmd"] = [1, 2]
    frame.index = pd.MultiIndex.from_tuples([("@a", 1), ("b", 2)], names=["id", "k"])
    path = write_csv(frame, tmp_path / "t.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["id", "k", "name", "'=cmd"]
    assert rows[1] == ["'@a", "1", "'=HYPERLINK(\"x\")", "1"]
    assert frame["name"].iloc[0].startswith("=")  # the input is untouched

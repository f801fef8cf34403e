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

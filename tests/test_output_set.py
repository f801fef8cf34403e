"""The files a workshop publishes together: no hidden count of people can be recovered.

The demo's published set is written twice: as published, and with every count left
exact (the same files, the same rows). Each hidden cell's true value is then known, and
the checks play a reader holding every published file:

- joining any two files on the area code (and the need), no file shows a count of
  people that another hides;
- adding up: the published sums by need and reason, less the rounded counts shown for
  their areas, never leave a hidden count only one possible value.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import servicemap as sm
from servicemap import workshop
from servicemap.workshop import WRITTEN, run_workshop

#: Counts of people in each published file, by column; "need" says how to find the need
#: of a count: a column of the file, or the count column's prefix (``drug_demand``).
PEOPLE = {
    "gaps.csv": ["population", "severity", "counted"],
    "accessibility.csv": ["drug_demand", "alcohol_demand", "early_help_demand"],
    "coverage_summary.csv": ["population", "population_reached"],
    "gaps_summary.csv": ["need_in_gaps"],
    "gaps_by_lad.csv": ["need_in_gaps"],
    "overlaps.csv": ["shared_population"],
    "routes_single_points.csv": ["need_drug"],
}


def _write(folder: Path, *, exact: bool, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = run_workshop(sm.datasets.bedfordshire())
    with monkeypatch.context() as m:
        if exact:  # the same files with nothing hidden or rounded: the truth
            m.setattr(workshop, "_published", lambda frame, people, shares=None: frame)
        ws.write(folder)
    return folder


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("published")
    published = _write(root / "published", exact=False, monkeypatch=monkeypatch)
    truth = _write(root / "truth", exact=True, monkeypatch=monkeypatch)
    return published, truth


def _long(published: Path, truth: Path) -> pd.DataFrame:
    """Every per-area count of people: file, code, need, column, truth, shown."""
    rows = []
    for name, columns in PEOPLE.items():
        shown = pd.read_csv(published / name, dtype=str, keep_default_na=False)
        exact = pd.read_csv(truth / name, keep_default_na=False)
        assert len(shown) == len(exact)
        if "code" not in shown:
            continue
        for column in columns:
            if column not in shown:
                continue
            need = (shown["need"] if "need" in shown else
                    pd.Series(column.rsplit("_", 1)[0], index=shown.index))
            rows.append(pd.DataFrame({
                "file": name, "code": shown["code"], "need": need, "column": column,
                "truth": pd.to_numeric(exact[column], errors="coerce").round(),
                "hidden": shown[column].eq(WRITTEN)}))
    return pd.concat(rows, ignore_index=True)


def test_every_published_count_of_people_passes_the_rule(written):
    published, truth = written
    for name, columns in PEOPLE.items():
        shown = pd.read_csv(published / name, dtype=str, keep_default_na=False)
        exact = pd.read_csv(truth / name, keep_default_na=False)
        for column in columns:
            if column not in shown:
                continue
            value = pd.to_numeric(exact[column], errors="coerce").round()
            small = (value >= 1) & (value <= 7)
            assert (shown.loc[small, column] == WRITTEN).all(), (name, column)
            rest = ~small & value.notna()
            assert (shown.loc[rest, column].astype(float)
                    == np.floor(value[rest] / 5 + 0.5) * 5).all(), (name, column)


def test_no_file_shows_a_count_another_hides(written):
    """Join every pair of files on the area code and need: nothing hidden is shown."""
    cells = _long(*written)
    hidden = cells[cells["hidden"]]
    shown = cells[~cells["hidden"]]
    assert len(hidden) > 50  # the demo has small counts to protect
    joined = hidden.merge(shown, on=["code", "need", "truth"], suffixes=("", "_other"))
    assert joined.empty, joined.head().to_string()
    # nor a hidden count as the difference of two shown in one row of another file
    wide = shown.pivot_table(index=["file", "code", "need"], columns="column",
                             values="truth", aggfunc="first")
    for (file, code, need), row in wide.iterrows():
        values = row.dropna().to_numpy()
        differences = {abs(a - b) for a in values for b in values if a != b}
        secret = hidden[(hidden["code"] == code) & (hidden["need"] == need)
                        & (hidden["file"] != file)]["truth"]
        assert not set(secret) & differences, (file, code, need)


def test_sums_less_the_counts_shown_never_pin_a_hidden_one(written):
    """A reader adds up gaps.csv by need and reason against gaps_summary.csv."""
    published, truth = written
    cells = pd.read_csv(published / "gaps.csv", dtype=str, keep_default_na=False)
    exact = pd.read_csv(truth / "gaps.csv", keep_default_na=False)
    sums = pd.read_csv(published / "gaps_summary.csv", dtype=str, keep_default_na=False)
    checked = 0
    for (need, reason), group in exact.groupby(["need", "reason"]):
        row = sums[(sums["need"] == need) & (sums["reason"] == reason)]
        if row.empty or row["need_in_gaps"].iloc[0] == WRITTEN:
            continue
        if len(group) < 2:
            continue
        total = float(row["need_in_gaps"].iloc[0])
        shown = cells.loc[group.index, "counted"]
        gone = shown.eq(WRITTEN).to_numpy()
        if not gone.any():
            continue
        # what the reader knows: the true sum within 2.5 of the one shown; each shown
        # count within 2.5 of its rounding (or exact when 0); each hidden one 1 to 7
        values = shown[~gone].astype(float)
        slack = np.where(values > 0, 2.5, 0.0)
        low_rest, high_rest = (values - slack).sum(), (values + slack).sum()
        n_hidden = int(gone.sum())
        for _ in range(n_hidden):
            least = max(1.0, total - 2.5 - high_rest - 7 * (n_hidden - 1))
            most = min(7.0, total + 2.5 - low_rest - 1 * (n_hidden - 1))
            assert np.floor(most) - np.ceil(least) >= 1, (need, reason, least, most)
        checked += 1
    assert checked >= 1

"""Small-number suppression: hand cases, and a property checked by linear programming."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from servicemap.disclosure import MARKER, suppress


def test_primary_and_secondary_by_hand():
    # 3 is small; the total 232 less the rest would give it away, so the next
    # smallest non-zero count (48) goes too; the zero stays shown
    t = pd.DataFrame({"people": [120, 3, 48, 61, 0]}, index=list("ABCDE"))
    out = suppress(t, ["people"])
    assert out["people"].isna().tolist() == [False, True, True, False, False]
    assert out["people"].dtype == "Int64"
    assert out.attrs["suppressed"] == {"people": ["B", "C"]}
    assert out.attrs["threshold"] == 5


def test_rounding_decides_what_is_small():
    # 4.6 rounds to 5, not small; 4.4 rounds to 4 and is hidden, and with it the
    # next smallest, which is that 5
    t = pd.DataFrame({"people": [4.6, 4.4, 10.2, 7.0]})
    out = suppress(t, ["people"])["people"]
    assert out.isna().tolist() == [True, True, False, False]
    assert out.dropna().tolist() == [10, 7]
    assert suppress(t.iloc[[0, 2]], ["people"])["people"].tolist() == [5, 10]


def test_a_reader_who_knows_zeros_are_shown_cannot_pin_hidden_cells():
    # [1, 1, 300] with total 302: hiding only the ones leaves ? + ? = 2 with each at
    # least 1, so both would be 1. A third cell must go with them.
    out = suppress(pd.DataFrame({"people": [1, 1, 300]}), ["people"])
    assert out["people"].isna().all()
    # [1, 3, 300]: ? + ? = 4 allows 1 + 3, 2 + 2, 3 + 1: nothing more need hide
    out = suppress(pd.DataFrame({"people": [1, 3, 300]}), ["people"])
    assert out["people"].isna().tolist() == [True, True, False]


def test_nothing_small_nothing_hidden_and_missing_stays_missing():
    t = pd.DataFrame({"people": [5.0, np.nan, 12.0], "areas": [1, 2, 3]})
    out = suppress(t, ["people"])
    assert out["people"].isna().tolist() == [False, True, False]
    assert out["people"].dropna().tolist() == [5, 12]
    assert out.attrs["suppressed"] == {"people": []}
    assert out["areas"].tolist() == [1, 2, 3]  # not a count of people: untouched


def test_threshold_is_configurable():
    t = pd.DataFrame({"people": [8, 9, 30]})
    assert suppress(t, ["people"])["people"].tolist() == [8, 9, 30]
    assert suppress(t, ["people"], threshold=10)["people"].isna().tolist() == [
        True, True, False]


def test_two_way_table_with_margins_by_hand():
    # rows Bedford/Luton, columns unreachable/out_of_hours; every subtotal published.
    #            unreach  ooh
    # Bedford       2      40
    # Luton        30      50
    # hiding 2 and 30 leaves Bedford 42 - 40 = 2: all four must go
    t = pd.DataFrame({"lad": ["B", "B", "L", "L"], "reason": ["u", "o", "u", "o"],
                      "people": [2, 40, 30, 50]})
    assert suppress(t, ["people"], margins=["lad", "reason"])["people"].isna().all()
    # a bigger table lets a cycle of four hide the small cell instead
    t = pd.DataFrame({"lad": list("BBBLLL"), "reason": list("uoxuox"),
                      "people": [2, 40, 90, 30, 50, 70]})
    out = suppress(t, ["people"], margins=["lad", "reason"])
    assert out["people"].isna().tolist() == [True, True, False, True, True, False]


def test_marker_for_files():
    t = pd.DataFrame({"people": [3, 8, 9]})
    assert suppress(t, ["people"], marker=MARKER)["people"].tolist() == [
        MARKER, MARKER, "9"]


def test_bad_input_is_named():
    t = pd.DataFrame({"people": [3, -1]})
    with pytest.raises(ValueError, match="'people' has negative counts"):
        suppress(t, ["people"])
    with pytest.raises(ValueError, match="no column 'peple'"):
        suppress(t, ["peple"])
    with pytest.raises(ValueError, match="threshold=-1"):
        suppress(t, ["people"], threshold=-1)


def _published_sums(frame, out, margins):
    """Equations a reader has: the total and subtotals the result says may be shown."""
    shown = {k: v for k, v in out.attrs["subtotals"]["people"].items() if v is not None}
    groups = []
    if "total" in shown:
        groups.append((np.arange(len(frame)), shown["total"]))
    for m in margins:
        for value, idx in frame.groupby(m, sort=False).indices.items():
            if (m, value) in shown:
                groups.append((np.asarray(idx), shown[(m, value)]))
    return groups


def _assert_no_small_cell_derivable(frame, out, margins, threshold=5):
    values = frame["people"].to_numpy(dtype=float)
    hidden = out["people"].isna().to_numpy()
    if not hidden.any():
        assert not ((values >= 1) & (values < threshold)).any()
        return
    cells = np.flatnonzero(hidden)
    rows, rhs = [], []
    for g, published in _published_sums(frame, out, margins):
        assert published == values[g].sum()  # subtotals shown are true
        assert not 1 <= published < threshold  # and never small
        a = np.isin(cells, g).astype(float)
        if a.any():
            rows.append(a)
            rhs.append(published - values[np.setdiff1d(g, cells)].sum())
    a_eq = np.array(rows) if rows else np.zeros((0, len(cells)))
    for k, i in enumerate(cells):
        if not 1 <= values[i] < threshold:
            continue
        # exact, in whole numbers (MILP), for a reader who knows only the sums (each
        # hidden cell at least 0) and for one who knows zeros are shown (at least 1)
        for least in (0, 1):
            ends = []
            for sign in (1.0, -1.0):
                c = np.zeros(len(cells))
                c[k] = sign
                found = milp(c, constraints=[LinearConstraint(a_eq, rhs, rhs)] if rows
                             else [], integrality=np.ones(len(cells)),
                             bounds=Bounds(least, np.inf))
                # unbounded above: the cell cannot be pinned down at all
                ends.append(sign * found.fun if found.status == 0 else np.inf)
            assert ends[1] > ends[0], (values, hidden, i, least)


counts = st.one_of(st.integers(0, 6), st.integers(0, 200))


@settings(max_examples=150, deadline=None)
@given(st.lists(counts, min_size=1, max_size=9))
def test_property_one_way_table(values):
    frame = pd.DataFrame({"people": values})
    out = suppress(frame, ["people"])
    # every small count is hidden, and none can be recovered from the total
    v = np.asarray(values)
    assert out["people"].isna().to_numpy()[(v >= 1) & (v < 5)].all()
    _assert_no_small_cell_derivable(frame, out, [])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_property_two_way_table_with_margins(n_rows, n_cols, data):
    values = data.draw(st.lists(counts, min_size=n_rows * n_cols,
                                max_size=n_rows * n_cols))
    frame = pd.DataFrame({"row": np.repeat(np.arange(n_rows), n_cols),
                          "col": np.tile(np.arange(n_cols), n_rows),
                          "people": values})
    out = suppress(frame, ["people"], margins=["row", "col"])
    _assert_no_small_cell_derivable(frame, out, ["row", "col"])

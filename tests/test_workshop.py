"""The workshop sequence: its tables agree with the analyses called one by one."""

import warnings

import numpy as np
import pandas as pd
import pytest

import servicemap as sm
from servicemap.workshop import ACCESS, ROUTES, SENSITIVITY, run_workshop


@pytest.fixture(scope="module")
def ws():
    return run_workshop(sm.datasets.bedfordshire())


def test_every_question_is_asked(ws):
    assert ws.validation.ok
    assert set(ws.routes) == set(ROUTES)
    assert ws.sensitivity.index.get_level_values("max_distance").tolist() == list(
        SENSITIVITY)
    # the warnings the analyses gave are kept as notes, once each
    assert len(ws.notes) == len(set(ws.notes))
    # the answers, in words and by name, with the published figures
    answers = ws.answers()
    assert answers["Where are the gaps?"] == ws.gaps.headlines()
    routes = answers["Who has a route of referrals to treatment?"]
    lost = ws.routes["prison_release"].table
    lost = lost.loc[lost["status"] == "no_route", "need_drug"].sum()
    assert routes[1].startswith("From prison release (adults, people leaving prison) to "
                                "drug treatment: of 3,219 people with a drug need")
    assert f" and {round(lost):,} none." in routes[1]
    top = ws.overlaps.table[ws.overlaps.table["comparable"]]["similarity"].idxmax()
    names = ws.smap.services["name"]
    assert answers["Where do services overlap?"][0].startswith(
        f"Most alike: {names[top[0]]} and {names[top[1]]}")


def test_coverage_table_counts_services_taking_any_resident(ws, bedfordshire):
    # median and fewest over the areas, of services for the need open in the band
    direct = sm.coverage(bedfordshire, by=("need", "hour_band"),
                         need=list(bedfordshire.need_columns)).table
    shown = ws.tables()["coverage"]
    grouped = direct.groupby(["need", "hour_band"], observed=True)["services"]
    for (need, band), services in grouped:
        assert shown.loc[need, band] == (f"{int(services.median())} "
                                         f"({int(services.min())})")
    # alcohol in the daytime reaches every area: not the 0 of unserved client groups
    assert shown.loc["alcohol", "weekday_daytime"] != "0 (0)"


def test_access_per_local_authority_is_weighted_by_need(ws, bedfordshire):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.ServiceMapWarning)
        direct = sm.accessibility(bedfordshire, need="drug", capacity_unit="places").table
    lad = bedfordshire.areas["lad_name"]
    per, demand = direct["access_per_1000"], direct["demand"]
    weighted = (per * demand).groupby(lad).sum() / demand.groupby(lad).sum()
    shown = ws.tables()["access"]["drug (places)"]
    # "1,571 (0)": the need-weighted mean, and the lowest area, whole and grouped
    for name, text in shown.items():
        mean, lowest = text.replace(",", "").rstrip(")").split(" (")
        assert int(mean) == round(weighted[name])
        assert int(lowest) == round(per[lad == name].min())
    assert {f"{need}_demand" for need in ACCESS} <= set(ws.access.columns)


def test_gap_table_totals_are_the_published_subtotals(ws, bedfordshire):
    gaps = sm.find_gaps(bedfordshire)
    published = gaps.summary(["need", "reason"])
    subtotals = published.attrs["subtotals"]["need_in_gaps"]
    table = ws.tables()["gaps"]
    for need, total in table["all reasons"].items():
        expected = subtotals[("need", need)]
        assert total == (expected if pd.notna(expected) else "<5*")
    # a reason with no gap for a need is 0, never a hidden count
    raw = gaps.summary(["need", "reason"], suppress=None)["need_in_gaps"].iloc[:-1]
    for (need, reason), value in table.drop(columns="all reasons").stack().items():
        if (need, reason) not in raw.index:
            assert value == 0


def test_route_tables_hide_small_counts_of_people(ws):
    for entry, report in ws.routes.items():
        chains = ws.tables()[f"routes_{entry}"]
        exact = report.chains["need_drug"].round()
        small = exact < 5
        assert (chains.loc[small, "need_drug"] == "<5*").all()
        assert np.allclose(chains.loc[~small, "need_drug"].astype(float),
                           exact[~small], atol=0.5)


def test_written_files_publish_people_only_in_aggregate(ws, tmp_path):
    written = ws.write(tmp_path, stem="beds")
    assert len(written) == len(set(written)) == 34
    assert {"map/beds.gpkg", "map/beds_kumu.json", "map/beds.gexf"} <= set(written)
    routes = pd.read_csv(tmp_path / "routes.csv")
    assert not {"population", "need_drug"} & set(routes.columns)
    gaps = pd.read_csv(tmp_path / "gaps.csv", dtype={"severity": str, "counted": str})
    for column in ("severity", "counted"):
        rounded = ws.gaps.table[column].round()
        small = ((rounded >= 1) & (rounded < 8)).to_numpy()
        assert small.any() and (gaps.loc[small, column] == "[suppressed]").all()


def test_writing_leaves_the_users_figures_and_backend_alone(ws, tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    backend = matplotlib.get_backend()
    mine = plt.figure()
    before = set(plt.get_fignums())
    ws.write(tmp_path)
    assert plt.fignum_exists(mine.number) and set(plt.get_fignums()) == before
    assert matplotlib.get_backend() == backend
    plt.close(mine)

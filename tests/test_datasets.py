"""The shipped Bedfordshire dataset, from the source tree and from a built wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_index_equal

import servicemap as sm
from servicemap.analysis import _select
from servicemap.geography import journey_reach

ROOT = Path(__file__).resolve().parent.parent

# ONS mid-2015 population estimates by local authority (all ages), a source independent
# of the LSOA file. The LSOA figures exclude prisoners, so Bedford, home of HMP Bedford,
# is short by 155; the other two agree exactly.
ONS_MYE_2015 = {"E06000055": 166_376, "E06000056": 272_421, "E06000032": 213_581}
PRISONERS_EXCLUDED = {"E06000055": 155, "E06000056": 0, "E06000032": 0}


def test_bedfordshire_areas(bedfordshire):
    areas = bedfordshire.areas
    assert len(areas) == 381
    assert areas.crs.to_epsg() == 27700
    assert areas.index.name == "code" and areas.index.is_unique
    assert areas.groupby("lad_code").size().to_dict() == {
        "E06000032": 121, "E06000055": 103, "E06000056": 157}
    assert areas.geometry.is_valid.all()
    # the MSOAs nest inside the LADs
    assert (areas.groupby("msoa_code")["lad_code"].nunique() == 1).all()
    assert areas["imd_decile"].between(1, 10).all()


def test_lad_population_totals(bedfordshire):
    by_lad = bedfordshire.summary()["areas"]["population"]
    for lad, ons in ONS_MYE_2015.items():
        assert by_lad[lad] == ons - PRISONERS_EXCLUDED[lad]
    # and the summary adds up the shipped LSOA figures, read straight from the file
    raw = gpd.read_file(sm.datasets.data_dir() / "bedfordshire" / "areas.gpkg")
    assert raw.groupby("lad_code")["population"].sum().to_dict() == {
        lad: by_lad[lad] for lad in ONS_MYE_2015}
    assert (raw[["pop_0_15", "pop_16_59", "pop_60_plus"]].sum(axis=1)
            == raw["population"]).all()


def test_need_indicators_follow_the_documented_formula(bedfordshire):
    a = bedfordshire.areas
    d = a["imd_decile"]
    m_drug = (2.0 - (d - 1) * 1.5 / 9) / 1.25
    m_alc = (1.5 - (d - 1) * 0.75 / 9) / 1.125
    pd.testing.assert_series_equal(a["need_drug"], (a["pop_16_59"] * 0.0089 * m_drug)
                                   .round(2), check_names=False, atol=0.006)
    pd.testing.assert_series_equal(
        a["need_alcohol"], ((a["pop_16_59"] + a["pop_60_plus"]) * 0.0137 * m_alc).round(2),
        check_names=False, atol=0.006)
    pd.testing.assert_series_equal(a["need_early_help"],
                                   (a["pop_0_15"] * 0.05 * m_drug).round(2),
                                   check_names=False, atol=0.006)
    # the multipliers average 1 over the ten deciles, keeping the national rate
    assert sum((2.0 - (k - 1) * 1.5 / 9) / 1.25 for k in range(1, 11)) == pytest.approx(10)


def test_bedfordshire_records(bedfordshire):
    report = bedfordshire.validate()
    assert report.ok and not report.warnings, report
    services = bedfordshire.services
    # real MoJ probation contracts are not illustrative; everything made up is
    real = services.index[~services["illustrative"]]
    assert len(real) >= 4
    assert services.loc[real, "notes"].str.contains("MoJ CRS contract").all()
    assert services.loc[services["illustrative"], "name"].str.contains("illustrative").all()
    assert bedfordshire.pathways["illustrative"].all()
    # the partnerships of the real exercise: one for Bedford with Central Beds, one Luton
    partnerships = bedfordshire.partnerships
    daps = partnerships[partnerships["kind"] == "drug_alcohol_partnership"]
    assert sorted(map(sorted, daps["footprint"])) == [["E06000032"],
                                                      ["E06000055", "E06000056"]]
    entries = set(bedfordshire.pathways["from_entry"].dropna())
    assert {"police_vulnerable_persons", "a_and_e", "prison_release"} <= entries
    assert_index_equal(bedfordshire.catchments.index, services.index)


def test_loads_are_cached_and_immutable(bedfordshire):
    again = sm.datasets.bedfordshire()
    assert again is bedfordshire
    services = again.services
    services["name"] = "x"
    assert (sm.datasets.bedfordshire().services["name"] != "x").all()


def test_available_and_unknown():
    assert sm.datasets.available() == ["bedfordshire"]
    with pytest.raises(ValueError, match="Did you mean 'bedfordshire'"):
        sm.datasets.load("bedford")


def test_wheel_carries_the_data_and_loads_it(tmp_path):
    """Build the wheel, unpack it alone on sys.path, and load Bedfordshire from it."""
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d",
                    str(out)], cwd=ROOT, check=True, capture_output=True)
    wheel = next(out.glob("servicemap-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for f in ["areas.gpkg", "services.csv", "sites.csv", "pathways.csv",
              "organisations.csv", "partnerships.csv", "metadata.json"]:
        assert f"servicemap/_datasets/bedfordshire/{f}" in names
    assert "servicemap/_datasets/README.md" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import servicemap, pathlib; s = servicemap.datasets.bedfordshire(); "
            "print(len(s.areas), pathlib.Path(servicemap.__file__).parent.parent)")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": ""})
    count, location = run.stdout.split()
    assert count == "381" and Path(location) == site


def test_bedfordshire_wards(bedfordshire):
    wards = sm.datasets.bedfordshire_wards()
    assert len(wards) == 77 and wards.index.name == "code" and wards.index.is_unique
    assert wards.crs.to_epsg() == 27700 and wards.geometry.is_valid.all()
    assert wards.columns.tolist() == ["name", "lad_code", "lad_name", "geometry"]
    assert wards.index.str.startswith("E05").all()
    assert set(wards["lad_code"]) == set(bedfordshire.areas["lad_code"])
    # a new copy each time: changing one does not change the next
    wards["name"] = "x"
    assert (sm.datasets.bedfordshire_wards()["name"] != "x").all()


# -- the calibration of the illustrative services (datasets/README.md) -----------------
# Ratios as documented, written out here rather than imported from the build script.
OPIATE, ALCOHOL, YOUNG = 0.47, 0.18, 0.0015          # in treatment a year per person
PLACES = {"opiate": 0.8, "alcohol": 0.5, "young": 0.5}
PENETRATION = {"bcb": 0.85, "lut": 1.15}
BCB, LUT = ("E06000055", "E06000056"), ("E06000032",)
REMOTE = {"beds-crisis-line", "bbc-early-help-front-door", "cbc-early-help-front-door",
          "lbc-early-help-front-door", "beds-detox", "beds-rehab", "crs-pwb-beds",
          "crs-wos-beds", "crs-acc-eoe-2026", "crs-acc-eoe-seetec", "crs-ete-eoe-seetec"}


def _need(areas, column, lads):
    return float(areas.loc[areas["lad_code"].isin(lads), column].sum())


def _expected_capacities(areas):
    out, opiate, places = {}, {}, {}
    for key, lads in (("bcb", BCB), ("lut", LUT)):
        pen = PENETRATION[key]
        opiate[key] = _need(areas, "need_drug", lads) * OPIATE * pen * PLACES["opiate"]
        places[key] = opiate[key] + (_need(areas, "need_alcohol", lads) * ALCOHOL * pen
                                     * PLACES["alcohol"])
        out[f"{key}-yp"] = (_need(areas, "pop_0_15", lads) * YOUNG * pen
                            * PLACES["young"], 5)
        out[f"{key}-pharm-sc"] = (opiate[key] * 0.9 * 0.3, 10)
        out[f"{key}-pharm-nsp"] = (_need(areas, "need_drug", lads) * 0.3, 10)
    out["bcb-adult-hub"] = (places["bcb"] * 0.75, 10)
    out["bcb-satellites"] = (places["bcb"] * 0.25, 10)
    out["lut-adult-hub"] = (places["lut"], 10)
    out["bcb-laib"] = (opiate["bcb"] * 0.9 * 0.05, 5)
    out["beds-cjdat"] = ((places["bcb"] + places["lut"]) * 0.15, 10)
    for council, prefix, hubs, support in (("E06000055", "bbc", 0.9, 0.25),
                                           ("E06000056", "cbc", 0.6, 0.12),
                                           ("E06000032", "lbc", 0.9, 0.25)):
        need = _need(areas, "need_early_help", (council,))
        out[f"{prefix}-family-hubs"] = (need * hubs, 50)
        out[f"{prefix}-family-support"] = (need * support, 10)
    return out


def test_capacities_follow_the_documented_calibration(bedfordshire):
    areas, services = bedfordshire.areas, bedfordshire.services
    for sid, (value, step) in _expected_capacities(areas).items():
        # the shipped figure is the formula rounded to its step
        assert abs(services.at[sid, "capacity"] - value) <= step / 2 + 1e-9, sid
    # by hand, from the README: bcb-dap 1,857 x 0.47 x 0.85 x 0.8 = 594 opiate places
    # + 4,321 x 0.18 x 0.85 x 0.5 = 331 alcohol places; three quarters at the hub
    assert services.at["bcb-adult-hub", "capacity"] == 690
    assert services.at["lut-adult-hub", "capacity"] == 840
    # Tier 4: 2,646 adults in treatment a year x 3% x 2/52 and x 1.5% x 12/52
    assert services.at["beds-detox", "capacity"] == 3
    assert services.at["beds-rehab", "capacity"] == 9
    # believable: per 1,000 people with a drug or alcohol need, 100 to 300 community
    # places (England's ratios give about 180), fewer in bcb-dap than in Luton
    community = services["capacity"]
    per_1000 = {
        "bcb": 1000 * (community["bcb-adult-hub"] + community["bcb-satellites"])
        / (_need(areas, "need_drug", BCB) + _need(areas, "need_alcohol", BCB)),
        "lut": 1000 * community["lut-adult-hub"]
        / (_need(areas, "need_drug", LUT) + _need(areas, "need_alcohol", LUT))}
    assert 100 < per_1000["bcb"] < per_1000["lut"] < 300
    assert round(per_1000["bcb"]) == 149 and round(per_1000["lut"]) == 220
    assert (services.loc[["bcb-adult-hub", "bcb-satellites", "lut-adult-hub", "bcb-yp",
                          "lut-yp", "bcb-pharm-sc", "lut-pharm-sc", "bcb-laib",
                          "beds-cjdat"], "capacity_unit"] == "places").all()


def test_remote_services_are_phone_lines_or_have_no_site(bedfordshire):
    services, sites = bedfordshire.services, bedfordshire.sites
    remote = set(services.index[~_select.in_person(bedfordshire)])
    assert remote == REMOTE
    on_sites = sites["services"].explode()
    for sid in remote:
        modes = set(sites.loc[on_sites.index[on_sites == sid], "mode"])
        assert modes <= {"phone", "online"}, sid
    phone = sites[sites["mode"].isin(["phone", "online"])]
    assert phone.geometry.isna().all() or phone.geometry.is_empty.all()
    assert set(phone["services"].explode()) == {
        "beds-crisis-line", "bbc-early-help-front-door", "cbc-early-help-front-door",
        "lbc-early-help-front-door"}


def test_overnight_in_person_only_where_documented(bedfordshire):
    services = bedfordshire.services
    bands = ["weekday_daytime", "weekday_evening", "overnight", "weekend"]
    open_ = pd.DataFrame(_select.open_in_bands(services, bands), index=services.index,
                         columns=bands)
    person = _select.in_person(bedfordshire)
    assert set(services.index[person & open_["overnight"]]) == {
        "lbc-rough-sleeper-outreach"}   # from 05:00 on weekdays
    assert set(services.index[open_["overnight"]]) == {"lbc-rough-sleeper-outreach",
                                                       "beds-crisis-line"}
    # custody liaison 07:00-22:00 is long days, not overnight
    assert services.at["beds-liaison-diversion", "hours"] == "Daily 07:00-22:00"
    # family hubs open at weekends in Luton only
    hubs = [f"{c}-family-hubs" for c in ("bbc", "cbc", "lbc")]
    assert open_.loc[hubs, "weekend"].tolist() == [False, False, True]
    assert open_.loc[hubs, "weekday_evening"].tolist() == [True, False, True]


def test_client_groups_and_interventions_as_services_state_them(bedfordshire):
    services = bedfordshire.services
    groups = list(sm.vocab.CLIENT_GROUP_AGES)
    served = pd.DataFrame(_select.served_groups(services, groups), index=services.index,
                          columns=groups)
    assert served.loc["bbc-family-hubs", ["children", "young_people"]].all()
    assert not served.loc["bbc-family-hubs", "adults"]
    assert served.loc["bcb-adult-hub", ["adults", "older_people"]].all()
    assert not served.loc["bcb-yp", "adults"] and served.loc["bcb-yp", "young_people"]
    assert not served.loc[["beds-cjdat", "beds-liaison-diversion"]].any().any()
    # by default, drug treatment is structured treatment in the community: not harm
    # reduction, advice, assessment and referral, a crisis line or the probation
    # contracts, nor residential placements (detox and rehab), which are their own kind
    drug = set(services.index[_select.provision(bedfordshire, "drug").mask])
    assert drug == {"bcb-adult-hub", "bcb-satellites", "lut-adult-hub", "bcb-yp",
                    "lut-yp", "bcb-pharm-sc", "lut-pharm-sc", "bcb-laib"}
    both = _select.provision(bedfordshire, "drug", intervention=["treatment", "residential"])
    assert set(services.index[both.mask]) == drug | {"beds-detox", "beds-rehab"}
    assert not _select.provision(bedfordshire, "drug").notes
    crs = services.index[services.index.str.startswith("crs-")]
    assert services.loc[crs, "interventions"].map(len).gt(0).all()


def _treatment_reach(smap, need):
    """Areas x in-person treatment services: taken (reach) and within reach (journey)."""
    services = smap.services
    cols = np.flatnonzero(_select.provision(smap, need).mask
                          & _select.in_person(smap)
                          & (services["status"] == "active").to_numpy())
    taken = sm.reach_matrix(smap).matrix.toarray()[:, cols] > 0
    near = journey_reach(smap).matrix.toarray()[:, cols] > 0
    near |= (services["reach"].to_numpy() == "none")[cols][None, :]
    return services.index[cols], taken, near


@pytest.mark.parametrize("need", ["drug", "alcohol"])
def test_each_reason_is_true_somewhere(bedfordshire, need):
    areas = bedfordshire.areas
    lad = areas["lad_name"].to_numpy()
    ids, taken, near = _treatment_reach(bedfordshire, need)
    # no in-person treatment within reach: rural Bedford Borough and Central
    # Bedfordshire (Stotfold, Arlesey, Shefford, Potton, Cranfield; Harrold, Riseley)
    unreachable = ~near.any(axis=1)
    assert 15 <= unreachable.sum() <= 50
    assert set(lad[unreachable]) == {"Central Bedfordshire", "Bedford"}
    assert (lad[unreachable] == "Central Bedfordshire").sum() > 20
    # within reach of the Luton hub only, whose footprint is Luton: Barton-le-Clay
    turned_away = near.any(axis=1) & ~taken.any(axis=1)
    assert 1 <= turned_away.sum() <= 10
    assert set(lad[turned_away]) == {"Central Bedfordshire"}
    assert "lut-adult-hub" in set(ids[near[turned_away].any(axis=0)])
    # young people: the service reaches 10 km from Bedford and Dunstable only
    yp = np.isin(ids, ["bcb-yp", "lut-yp"])
    no_yp = taken.any(axis=1) & ~taken[:, yp].any(axis=1)
    assert 0 < no_yp.sum() < (lad == "Central Bedfordshire").sum()
    # capacity per person in need (2SFCA over the services counted in places) is
    # lower in Central Bedfordshire: some of its areas fall below half the map ratio
    services = bedfordshire.services.loc[ids]
    places = (services["capacity_unit"] == "places").to_numpy()
    demand = areas[f"need_{need}"].to_numpy()
    t = taken[:, places].astype(float)
    ratio = services["capacity"].to_numpy(dtype=float)[places] / (demand @ t)
    access = t @ ratio
    limit = 0.5 * services["capacity"].to_numpy(dtype=float)[places].sum() / demand.sum()
    thin = taken.any(axis=1) & (access < limit)
    central = lad == "Central Bedfordshire"
    assert 0 < thin[central].sum() < central.sum()
    weighted = pd.Series(access * demand).groupby(lad).sum() / pd.Series(
        demand).groupby(lad).sum()
    assert weighted["Central Bedfordshire"] < 0.6 * weighted["Bedford"]
    assert weighted["Central Bedfordshire"] < 0.6 * weighted["Luton"]

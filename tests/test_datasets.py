"""The shipped Bedfordshire dataset, from the source tree and from a built wheel."""

import subprocess
import sys
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from pandas.testing import assert_index_equal

import servicemap as sm

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

"""The one areas= resolver: a frame, a boundary file or a dataset's name, or None."""

import pytest

import servicemap as sm
from servicemap.io.areas import resolve_areas


def test_a_frame_is_used_as_given_in_its_order(areas):
    shuffled = areas.iloc[::-1]
    got = resolve_areas(shuffled, source="t")
    assert got["code"].tolist() == shuffled["code"].tolist()
    assert got.crs.to_epsg() == 27700


def test_a_code_index_becomes_a_column_and_other_crs_are_reprojected(areas):
    lonlat = areas.set_index("code").to_crs(4326)
    with pytest.warns(sm.errors.ReprojectionWarning, match="EPSG:4326"):
        got = resolve_areas(lonlat, source="t")
    assert got.columns[0] == "code" and got.crs.to_epsg() == 27700
    # 9 toy squares of 1 km: the areas survive the round trip to lon/lat and back
    assert got.geometry.area.round(-3).tolist() == [1_000_000.0] * 9


def test_a_dataset_name_and_none():
    beds = resolve_areas("bedfordshire", source="t")
    assert beds["code"].tolist() == sm.datasets.bedfordshire().areas.index.tolist()
    assert resolve_areas(None, source="t") is None


def test_files_one_layer_or_the_layer_called_areas(tmp_path, areas):
    one = tmp_path / "one.gpkg"
    areas.to_file(one, layer="lsoa", engine="pyogrio")
    assert resolve_areas(one, source="t")["code"].tolist() == areas["code"].tolist()
    several = tmp_path / "several.gpkg"
    areas.to_file(several, layer="areas", engine="pyogrio")
    areas.iloc[:2].to_file(several, layer="other", engine="pyogrio")
    assert len(resolve_areas(str(several), source="t")) == 9
    bad = tmp_path / "bad.gpkg"
    areas.to_file(bad, layer="a", engine="pyogrio")
    areas.to_file(bad, layer="b", engine="pyogrio")
    with pytest.raises(sm.InputError, match="has 2 layers \\(a, b\\) and none is called "
                                            "'areas'") as info:
        resolve_areas(bad, source="mapping.xlsx")
    (p,) = info.value.problems
    assert (p.table, p.field, p.code) == ("areas", "areas", "unreadable")
    assert str(info.value).startswith("1 problem in 'mapping.xlsx'")


@pytest.mark.parametrize(("given", "code", "words"), [
    ("bedfordshre", "unreadable", "is neither a file nor a shipped dataset. Did you mean "
                                  "'bedfordshire'?"),
    (42, "wrong_type", "is a int. Give a GeoDataFrame, a file of area polygons"),
])
def test_what_cannot_be_areas_is_one_input_error(given, code, words):
    with pytest.raises(sm.InputError, match=words) as info:
        resolve_areas(given, source="t")
    assert [p.code for p in info.value.problems] == [code]


def test_areas_without_a_crs(areas):
    with pytest.raises(sm.InputError, match="`areas` has no CRS") as info:
        resolve_areas(areas.set_crs(None, allow_override=True), source="t")
    assert info.value.problems[0].code == "bad_crs"


def test_an_unreadable_file(tmp_path):
    bad = tmp_path / "x.geojson"
    bad.write_text("not json")
    with pytest.raises(sm.InputError, match="cannot be read as area polygons"):
        resolve_areas(bad, source="t")

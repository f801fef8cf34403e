"""A whole map in one GeoPackage and back equal; single layers as GeoJSON or GeoParquet."""

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from toy import X0, Y0

import servicemap as sm
from servicemap.io import files
from servicemap.io.files import LAYERS, read_file, write_file


def test_bedfordshire_round_trips_exactly(tmp_path):
    smap = sm.datasets.bedfordshire()
    back = sm.read_file(smap.to_file(tmp_path / "b.gpkg"))
    assert back.equals(smap)
    for name in ("areas", "services", "sites", "pathways", "organisations",
                 "partnerships", "travel_times"):
        pd.testing.assert_frame_equal(getattr(back, name), getattr(smap, name))
    assert back.vocabulary == smap.vocabulary
    assert back.provenance == smap.provenance


def test_layers_are_what_the_docs_say(tmp_path, toy_map):
    path = toy_map.to_file(tmp_path / "t.gpkg")
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == set(LAYERS)
    assert layers["sites"] == "Point" and layers["areas"] in {"Polygon", "MultiPolygon"}
    assert layers["services"] is None  # an attribute table, no geometry
    services = pyogrio.read_dataframe(path, layer="services", read_geometry=False)
    # lists are JSON arrays of text; hours the text they were read from
    hub = services.set_index("id").loc["HUB"]
    assert hub["needs"] == '["drug", "alcohol"]'
    assert hub["hours"] == "Mon-Fri 09:00-17:00"
    meta = pyogrio.read_dataframe(path, layer="servicemap_metadata", read_geometry=False)
    meta = dict(zip(meta["key"], meta["value"], strict=True))
    assert meta["format"] == "servicemap" and meta["crs"] == "EPSG:27700"


def test_awkward_values_round_trip(tmp_path, areas, tables):
    # text with ';', quotes, formulas and accents in a list; declared terms; travel
    # times; a site with no location; an area column of each dtype; nullable columns
    areas = areas.assign(flag=[True, False] * 4 + [True],
                         band=pd.array([1, None] * 4 + [2], dtype="Int64"),
                         label=["=x", "é", None, "a", "b", "c", "d", "e", "f"])
    services = tables["services"].copy()
    services.loc[0, "notes"] = '=HYPERLINK("x"); "quoted"'
    services["funding_sources"] = [("Grant; part one", "@other"), ()]
    services.loc[1, "needs"] = "drug; gambling_harm"
    sites = tables["sites"]
    smap = sm.ServiceMap.from_frames(
        areas=areas, **{**tables, "services": services, "sites": sites},
        vocabulary={"need": {"gambling_harm": "Gambling harm: betting and gaming"}},
        travel_times=pd.DataFrame({"area": ["E01000001"], "site": ["HUB-1"],
                                   "minutes": [12.5]}),
        provenance={"name": "toy", "sources": ["a", "b"], "n": 3})
    back = read_file(smap.to_file(tmp_path / "a.gpkg"))
    assert back.equals(smap)
    assert back.services.loc["HUB", "funding_sources"] == ("Grant; part one", "@other")
    assert back.areas["band"].dtype == "Int64" and back.areas["flag"].dtype == bool
    assert back.sites.loc["OUT-1"].geometry is None
    assert back.vocabulary.label("need", "gambling_harm") == "Gambling harm"
    assert back.provenance == {"name": "toy", "sources": ["a", "b"], "n": 3}


def test_a_changed_value_is_a_different_map(tmp_path, toy_map):
    path = toy_map.to_file(tmp_path / "t.gpkg")
    services = pyogrio.read_dataframe(path, layer="services", read_geometry=False)
    services.loc[services["id"] == "HUB", "capacity"] = 99.0
    pyogrio.write_dataframe(services, path, layer="services")
    back = read_file(path)
    assert not back.equals(toy_map)
    assert back.services.loc["HUB", "capacity"] == 99.0


def test_rows_are_validated_again(tmp_path, toy_map):
    path = toy_map.to_file(tmp_path / "t.gpkg")
    services = pyogrio.read_dataframe(path, layer="services", read_geometry=False)
    services.loc[services["id"] == "HUB", "needs"] = '["drugs"]'
    pyogrio.write_dataframe(services, path, layer="services")
    with pytest.raises(sm.InputError, match=r"'t.gpkg'[\s\S]*field 'needs': \['drugs'\] "
                                            r"'drugs' is not a need. Did you mean 'drug'"):
        read_file(path)


def test_a_bad_list_names_the_layer_row_and_column(tmp_path, toy_map):
    path = toy_map.to_file(tmp_path / "t.gpkg")
    sites = pyogrio.read_dataframe(path, layer="sites")
    sites["services"] = sites["services"].astype(object)
    sites.loc[0, "services"] = "HUB; OUT"
    pyogrio.write_dataframe(sites, path, layer="sites")
    with pytest.raises(sm.InputError, match=r"table 'sites', row 0, field 'services': "
                                            r"'HUB; OUT' is not a JSON list"):
        read_file(path)


def test_a_plain_geopackage_is_not_a_map(tmp_path, areas):
    path = tmp_path / "plain.gpkg"
    areas.to_file(path, layer="lsoa", engine="pyogrio")
    with pytest.raises(sm.InputError, match=r"is not a servicemap GeoPackage: it has no "
                                            r"layer 'areas' \(its layers: lsoa\)\. Make one "
                                            r"with smap.to_file"):
        read_file(path)


def test_a_missing_layer_is_named(tmp_path, toy_map):
    path = toy_map.to_file(tmp_path / "t.gpkg")
    with sqlite3.connect(path) as db:  # a GeoPackage is an SQLite database
        db.execute("DROP TABLE vocabulary")
        db.execute("DELETE FROM gpkg_contents WHERE table_name = 'vocabulary'")
    db.close()
    with pytest.raises(sm.InputError, match=r"'t.gpkg'[\s\S]*it has no layer 'vocabulary'"):
        read_file(path)


def test_a_missing_file_and_a_text_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist. Write a map"):
        read_file(tmp_path / "none.gpkg")
    (tmp_path / "x.gpkg").write_text("not a database")
    with pytest.raises(sm.InputError, match="cannot be opened as a GeoPackage"):
        read_file(tmp_path / "x.gpkg")


def test_writing_replaces_an_existing_file(tmp_path, toy_map):
    path = tmp_path / "t.gpkg"
    sm.datasets.bedfordshire().to_file(path)
    toy_map.to_file(path)
    assert read_file(path).equals(toy_map)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.gpkg"]  # no temporary left


def test_areas_as_geojson_are_lon_lat(tmp_path, toy_map):
    path = write_file(toy_map, tmp_path / "areas.geojson", layer="areas")
    back = gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert back["code"].tolist() == toy_map.areas.index.tolist()
    # the south-west corner of square 1, back in British National Grid
    corner = back.to_crs(27700).geometry.iloc[0].bounds[:2]
    np.testing.assert_allclose(corner, (X0, Y0), atol=0.01)


def test_sites_layer_joins_lists(tmp_path, toy_map):
    path = toy_map.to_file(tmp_path / "sites.gpkg", layer="sites")
    back = gpd.read_file(path, layer="sites")
    assert back["id"].tolist() == ["HUB-1", "OUT-1"]
    assert back["services"].tolist() == ["HUB", "OUT"]
    assert back.geometry.iloc[0].equals(shapely.Point(X0 + 500, Y0 + 500))


@pytest.mark.parametrize(("name", "layer", "match"), [
    ("map.geojson", None, "a whole map can only be written to a GeoPackage"),
    ("map.shp", None, "'.shp' is none of them"),
    ("map.gpkg", "services", "layer 'services' cannot be written on its own. Use one of: "
                             "areas, sites"),
])
def test_bad_requests(tmp_path, toy_map, name, layer, match):
    with pytest.raises(ValueError, match=match):
        toy_map.to_file(tmp_path / name, layer=layer)


def test_geoparquet_without_pyarrow_says_how_to_install(tmp_path, toy_map, monkeypatch):
    real = files.find_spec
    monkeypatch.setattr(files, "find_spec",  # as if pyarrow were not installed
                        lambda name: None if name == "pyarrow" else real(name))
    with pytest.raises(ImportError, match=r"pip install 'servicemap\[parquet\]'"):
        toy_map.to_file(tmp_path / "areas.parquet", layer="areas")
    assert not (tmp_path / "areas.parquet").exists()


def test_provenance_must_be_json(tmp_path, toy_map):
    odd = toy_map.replace(provenance={"when": object()})
    with pytest.raises(ValueError, match="provenance cannot be stored as JSON"):
        odd.to_file(tmp_path / "t.gpkg")

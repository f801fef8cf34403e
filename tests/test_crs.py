"""The working CRS: British National Grid, and the rules for frames in other CRSs."""

import warnings

import geopandas as gpd
import pytest
import shapely
from toy import grid_areas, toy_tables

import servicemap as sm
from servicemap.crs import lonlat_to_working, to_working_crs


def points(crs):
    return gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Point(505_000, 250_000)],
                            crs=crs)


def test_bng_is_used_as_is():
    gdf = points(27700)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert to_working_crs(gdf, "sites") is gdf


def test_missing_crs_is_an_error_with_the_fix():
    gdf = points(None)
    with pytest.raises(sm.CRSError) as info:
        to_working_crs(gdf, "sites")
    assert str(info.value) == (
        "`sites` has no CRS. If its coordinates are longitude/latitude, call "
        "`sites.set_crs(4326)`; if they are eastings/northings, `sites.set_crs(27700)`.")
    assert isinstance(info.value, ValueError)


def test_other_crs_is_reprojected_with_a_warning_at_the_callers_line():
    gdf = points(27700).to_crs(4326)
    with pytest.warns(sm.ReprojectionWarning) as record:
        out = to_working_crs(gdf, "sites")
    assert len(record) == 1
    assert str(record[0].message).startswith(
        "`sites` was reprojected from EPSG:4326 to EPSG:27700 (1 rows).")
    assert record[0].filename == __file__
    assert out.crs.to_epsg() == 27700
    # there and back agrees to a millimetre (the same transformation both ways)
    assert out.geometry.iloc[0].distance(shapely.Point(505_000, 250_000)) < 1e-3
    assert gdf.crs.to_epsg() == 4326  # the input is not changed


def test_warning_from_inside_the_library_points_at_the_user():
    with pytest.warns(sm.ReprojectionWarning) as record:
        sm.ServiceMap.from_frames(areas=grid_areas().to_crs(4326), **toy_tables())
    assert record[0].filename == __file__


def test_lonlat_conversion_agrees_with_geopandas():
    lon, lat = [-0.4653, -0.4200, -0.2636], [52.1540, 51.8787, 52.0866]
    e, n, note = lonlat_to_working(lon, lat)
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    with pytest.warns(sm.ReprojectionWarning):
        ref = to_working_crs(gdf, "x")
    assert max(abs(e - ref.geometry.x.values)) < 1e-6
    assert max(abs(n - ref.geometry.y.values)) < 1e-6
    assert note in {"", "PROJ has no OSTN15 grid here, so a Helmert transformation "
                        "(about 2 m) was used; that is immaterial for catchments "
                        "measured in kilometres."}

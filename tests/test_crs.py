"""The working CRS: British National Grid, and the rules for frames in other CRSs."""

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import servicemap as sm
from servicemap.crs import lonlat_to_working, to_working_crs
from servicemap.geography import (
    area_adjacency,
    area_points,
    catchment_fractions,
    nearest_sites,
)


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
    from toy import grid_areas, toy_tables

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


# -- shared helpers: the cache, drawn catchments, nearest sites, contiguity -------------
# The 3 x 3 grid of tests/toy.py: square k (1..9, row by row from the south-west) is
# 1 km across, its centre at (X0 + 500 + 1000 i, Y0 + 500 + 1000 j); 3, 6, 9 are
# LAD E06000002.
def _grid_map(services, sites, **kw):
    from toy import grid_map

    return grid_map(services, sites, **kw)


def test_cached_builds_once_per_key():
    from toy import service, site

    smap = _grid_map([service("S", reach="none")], [site("s", "S", mode="phone")])
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert smap.cached(("x", 1), build) == 1
    assert smap.cached(("x", 1), build) == 1
    assert smap.cached(("x", 2), build) == 2
    # the reach matrix goes through the same cache, once per threshold
    reach = sm.reach_matrix(smap)
    assert smap.cached(("reach_matrix", None, None), build) is reach
    assert calls == [1, 1]
    # a new map from replace() starts with nothing kept
    assert smap.replace().cached(("x", 1), build) == 3


def test_catchment_fractions_by_hand():
    from toy import X0, Y0, code, service, site

    # G: a given box over x in [0, 1.5] km: 1, 4, 7 wholly, 2, 5, 8 half.
    # F: reach none on E06000002: 3, 6, 9 wholly, no piece cut.
    # D: a 500 m circle round square 5's centre: inside square 5 only, a 64-gon of
    #    area 32 x 0.25 x sin(2 pi / 64) = 0.784137 km2; its neighbours only touch it.
    # M: reach by minutes, not drawn.
    times = pd.DataFrame({"area": [code(1)], "site": ["m"], "minutes": [3.0]})
    smap = _grid_map(
        [service("G", max_distance=100), service("F", reach="none", footprint="E06000002"),
         service("D", max_distance=500), service("M", reach="minutes", max_minutes=5)],
        [site("g", "G", k=9), site("f", "F", mode="phone"), site("d", "D", k=5),
         site("m", "M", k=1)], travel_times=times)
    given = gpd.GeoSeries([shapely.box(X0, Y0, X0 + 1500, Y0 + 3000)], index=["G"],
                          crs=27700)
    fr = catchment_fractions(smap, catchments=given)
    dense = pd.DataFrame(fr.fraction.toarray(), index=fr.areas, columns=fr.services)
    assert dense["G"].round(9).to_dict() == {code(k): [1.0, 0.5, 0.0][(k - 1) % 3]
                                            for k in range(1, 10)}
    assert dense["F"].to_dict() == {code(k): float(k % 3 == 0) for k in range(1, 10)}
    assert dense["D"].round(6).to_dict() == {code(k): 0.784137 * (k == 5)
                                            for k in range(1, 10)}
    assert dense["M"].sum() == 0
    assert fr.source.to_dict() == {"G": "given", "F": "whole_areas", "D": "sites",
                                   "M": "travel_times"}
    assert fr.undrawn.tolist() == ["M"]
    # pieces: None for whole areas of reach none, the cut shape elsewhere
    f = fr.fraction
    cols = fr.services[f.indices]
    assert len(fr.pieces) == f.nnz
    for c, p, v in zip(cols, fr.pieces, f.data, strict=True):
        if c == "F":
            assert p is None
        else:
            assert p.area / 1e6 == pytest.approx(v)
    # a wider radius for every distance service: D's 1 km circle takes in parts of
    # 2, 4, 6, 8 too; cached per radius
    wide = catchment_fractions(smap, max_distance=1000)
    assert wide is catchment_fractions(smap, max_distance=1000)
    assert wide.max_distance == 1000.0
    col = wide.fraction[:, [wide.services.get_loc("D")]].toarray().ravel()
    assert sorted(np.flatnonzero(col) + 1) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    assert col[4] == 1.0  # square 5 lies wholly inside


def test_catchment_fractions_cut_to_the_footprint():
    from toy import X0, Y0, code, service, site

    smap = _grid_map([service("B", reach="none", footprint="E06000002")],
                     [site("b", "B", mode="phone")])
    everywhere = gpd.GeoSeries([shapely.box(X0 - 10, Y0 - 10, X0 + 3010, Y0 + 3010)],
                               index=["B"], crs=27700)
    fr = catchment_fractions(smap, catchments=everywhere)
    reached = fr.areas[fr.fraction.nonzero()[0]].tolist()
    assert reached == [code(3), code(6), code(9)]
    assert fr.fraction.data.tolist() == [1.0, 1.0, 1.0]


def test_nearest_sites_by_hand():
    from toy import centre, code, service, site

    # A at square 1's centre (S1), B at square 6's (S2), a phone line (S3) never counts
    smap = _grid_map([service("S1", max_distance=100), service("S2", max_distance=100),
                      service("S3", reach="none")],
                     [site("A", "S1", k=1), site("B", "S2", k=6),
                      site("C", "S3", mode="phone")])
    near = nearest_sites(smap)
    pd.testing.assert_index_equal(near.index, smap.areas.index)
    # square 3: A 2000 m, B 1000 m; square 4: A 1000 m, B 2000 m
    assert near.loc[code(3)].tolist() == ["B", 1000.0]
    assert near.loc[code(4)].tolist() == ["A", 1000.0]
    assert near.loc[code(1)].tolist() == ["A", 0.0]
    only = nearest_sites(smap, services=["S1"])
    assert set(only["site"]) == {"A"}
    x, y = centre(9)
    assert only.loc[code(9), "distance"] == pytest.approx(math.hypot(x - centre(1)[0],
                                                                     y - centre(1)[1]))
    none = nearest_sites(smap, services="S3")
    assert none["site"].isna().all() and none["distance"].isna().all()
    with pytest.raises(KeyError, match="'S4' is not a service of the map"):
        nearest_sites(smap, services=["S4"])


def test_nearest_sites_agree_with_brute_force_on_bedfordshire():
    smap = sm.datasets.bedfordshire()
    ids = smap.services.index[smap.services["needs"].map(lambda n: "drug" in n)]
    near = nearest_sites(smap, services=ids)
    sites = smap.sites[smap.sites["mode"].isin(["in_person", "outreach"])
                       & smap.sites["services"].map(lambda s: bool(set(s) & set(ids)))
                       & ~smap.sites.geometry.is_empty & smap.sites.geometry.notna()]
    x, y, _ = area_points(smap.areas)
    d = np.hypot(x[:, None] - sites.geometry.x.to_numpy()[None, :],
                 y[:, None] - sites.geometry.y.to_numpy()[None, :])
    assert np.allclose(near["distance"].to_numpy(), d.min(axis=1))


def test_area_adjacency_on_the_grid_and_against_libpysal():
    from libpysal.weights import Queen, Rook
    from toy import grid_areas

    areas = grid_areas()
    rook = area_adjacency(areas)
    queen = area_adjacency(areas, how="queen")
    # 12 shared edges, each both ways; and 8 corners (2 per inner corner point) more
    assert rook.nnz == 24 and queen.nnz == 24 + 16
    assert rook.dtype == bool and (rook != rook.T).nnz == 0 and rook.diagonal().sum() == 0
    assert sorted(np.flatnonzero(rook[[4]].toarray().ravel()) + 1) == [2, 4, 6, 8]
    for ours, theirs in ((rook, Rook), (queen, Queen)):
        w = theirs.from_dataframe(areas, use_index=False)
        expected = {(i, j) for i, ns in w.neighbors.items() for j in ns}
        left, right = ours.nonzero()
        assert set(zip(left.tolist(), right.tolist(), strict=True)) == expected
    with pytest.raises(ValueError, match="how='bishop' is not an option. Use 'rook'"):
        area_adjacency(areas, how="bishop")


def test_nearest_sites_agree_with_every_distance_measured():
    # a second method: every area point to every located site of a drug service,
    # measured with shapely, least kept; accessibility's "distance" is the same figure
    smap = sm.datasets.bedfordshire()
    services = smap.services
    ids = services.index[services["needs"].map(lambda n: "drug" in n)
                         & (services["status"] == "active")]
    near = nearest_sites(smap, services=ids)
    sites = smap.sites
    located = sites[sites.geometry.notna() & ~sites.geometry.is_empty
                    & sites["mode"].isin(["in_person", "outreach"])
                    & sites["services"].map(lambda s: bool(set(s) & set(ids)))]
    x, y, _ = sm.geography.area_points(smap.areas)
    points = shapely.points(x, y)
    every = shapely.distance(points[:, None], np.asarray(located.geometry.values)[None, :])
    np.testing.assert_allclose(near["distance"].to_numpy(), every.min(axis=1))
    assert (near["site"].to_numpy() == located.index.to_numpy()[every.argmin(axis=1)]).all()
    acc = sm.accessibility(smap, need="drug", method="nearest")
    np.testing.assert_allclose(acc.table["distance"].to_numpy(), every.min(axis=1))

"""Geography: the reach matrix, drawn catchments, nearest sites and contiguity.

The reach matrix is footprint AND reach; each helper is checked by hand on a 1 km grid,
and on Bedfordshire against a brute-force sjoin, every distance measured, or libpysal.

The toy grid (tests/toy.py) is 3 x 3 squares of 1 km; square k (1..9, row by row from
the south-west) has its centroid at (X0 + 500 + 1000 i, Y0 + 500 + 1000 j), with
k = 3 j + i + 1. Squares 1, 2, 4, 5, 7, 8 are in LAD E06000001; 3, 6, 9 in E06000002.
"""

import math
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from brute import brute_force_pairs
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import X0, Y0, centre, code, grid_areas, grid_map, service, site

import servicemap as sm
from servicemap.geography import (
    area_adjacency,
    area_points,
    catchment_fractions,
    nearest_sites,
    reach_matrix,
)


# -- the reach matrix ----------------------------------------------------------------
def reached(reach, sid):
    """{square number: cost} of the areas a service reaches."""
    s = reach.areas_reached(sid)
    return {int(c[3:]): round(v, 2) for c, v in s.items()}


def test_reach_only():
    # site at the centre of square 1, 1500 m: squares 1 (0 m), 2 and 4 (1000 m),
    # 5 (sqrt(2) km = 1414.21 m); 3 and 7 are 2000 m away, 5 is the last inside.
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    assert reached(reach_matrix(smap), "S") == {1: 0.0, 2: 1000.0, 4: 1000.0, 5: 1414.21}


def test_a_site_on_the_point_is_a_pair_with_cost_zero():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    reach = reach_matrix(smap)
    assert reach.nnz == 4
    assert reach.matrix[0, 0] == 1.0 and reach.cost[0, 0] == 0.0


def test_footprint_only():
    # reach none: the whole footprint, E06000002 = the eastern column 3, 6, 9
    smap = grid_map([service("S", reach="none", footprint="E06000002")],
                    [site("P", "S", mode="phone")])
    assert reached(reach_matrix(smap), "S") == {3: 0.0, 6: 0.0, 9: 0.0}


def test_no_footprint_and_no_reach_limit_reaches_every_area():
    smap = grid_map([service("S", reach="none")], [site("P", "S", mode="online")])
    assert reached(reach_matrix(smap), "S") == dict.fromkeys(range(1, 10), 0.0)


def test_footprint_and_reach_combine():
    # site at square 2's centre, 1100 m reaches 1, 2, 3, 5 (1000 m each, 2 at 0 m);
    # footprint E06000002 keeps only square 3
    smap = grid_map([service("S", max_distance=1100, footprint="E06000002")],
                    [site("A", "S", k=2)])
    assert reached(reach_matrix(smap), "S") == {3: 1000.0}


def test_footprint_by_area_code_and_parent_code_together():
    # footprint names square 5 itself and LAD E06000002 (3, 6, 9); 1500 m from square 6
    # reaches 3, 5, 6, 9 (1000 m) and 2, 8 (1414.21 m, both outside the footprint)
    smap = grid_map([service("S", max_distance=1500, footprint=f"{code(5)}; E06000002")],
                    [site("A", "S", k=6)])
    assert reached(reach_matrix(smap), "S") == {3: 1000.0, 5: 1000.0, 6: 0.0, 9: 1000.0}


def test_nearest_of_several_sites():
    # sites at squares 1 and 9, 1000 m each: {1, 2, 4} and {6, 8, 9}; square 5 is
    # 1414 m from both and is not reached
    smap = grid_map([service("S", max_distance=1000)],
                    [site("A", "S", k=1), site("B", "S", k=9)])
    assert reached(reach_matrix(smap), "S") == {1: 0.0, 2: 1000.0, 4: 1000.0,
                                                 6: 1000.0, 8: 1000.0, 9: 0.0}


def test_nearest_site_cost_is_the_minimum():
    # square 2 is 1000 m from square 1's site and 0 m from square 2's site: cost 0
    smap = grid_map([service("S", max_distance=1200)],
                    [site("A", "S", k=1), site("B", "S", k=2)])
    assert reached(reach_matrix(smap), "S")[2] == 0.0


def test_population_weighted_centroid_is_used_where_given():
    # square 2's centroid moved 400 m east: 1400 m from square 1's site, beyond 1200 m
    areas = grid_areas()
    areas["centroid_easting"] = np.nan
    areas["centroid_northing"] = np.nan
    areas.loc[1, ["centroid_easting", "centroid_northing"]] = (X0 + 1900, Y0 + 500)
    smap = grid_map([service("S", max_distance=1200)], [site("A", "S", k=1)], areas=areas)
    reach = reach_matrix(smap)
    assert reached(reach, "S") == {1: 0.0, 4: 1000.0}
    assert reach.origin[code(2)] == "population-weighted centroid"
    assert reach.origin[code(1)] == "geometric centroid"
    plain = grid_map([service("S", max_distance=1200)], [site("A", "S", k=1)])
    assert reached(reach_matrix(plain), "S") == {1: 0.0, 2: 1000.0, 4: 1000.0}


def test_centroid_needs_both_coordinates():
    areas = grid_areas()
    areas["centroid_easting"] = X0 + 100.0
    with pytest.raises(sm.InputError, match="field 'centroid_easting'.*Give both"):
        grid_map([service("S", reach="none")], [site("P", "S", mode="phone")], areas=areas)


def test_centroid_outside_its_area_is_a_warning():
    areas = grid_areas()
    areas["centroid_easting"] = X0 + 100.0   # inside square 1, outside the others
    areas["centroid_northing"] = Y0 + 100.0
    smap = grid_map([service("S", reach="none")], [site("P", "S", mode="phone")], areas=areas)
    [w] = [p for p in smap.validate().warnings if p.field == "centroid_easting"]
    assert "8 areas" in w.message


def test_minutes_from_a_travel_time_table():
    # 10 and 25 minutes are within 30; 40 is not; missing pairs are unreachable
    times = pd.DataFrame({"area": [code(1), code(2), code(3)], "site": ["A"] * 3,
                          "minutes": [10, 25, 40]})
    smap = grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)],
                    travel_times=times)
    reach = reach_matrix(smap)
    assert reached(reach, "S") == {1: 10.0, 2: 25.0}
    assert reach.unit["S"] == "minutes"
    assert reached(reach_matrix(smap, max_minutes=45), "S") == {1: 10, 2: 25, 3: 40}


def test_travel_time_row_order_does_not_matter():
    times = pd.DataFrame({"area": [code(1), code(2)], "site": ["A", "A"], "minutes": [5, 9]})
    a = grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)], travel_times=times)
    b = grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)],
                 travel_times=times.iloc[::-1])
    assert a.equals(b)
    assert not a.equals(a.replace(travel_times=times.assign(minutes=[5, 10])))


def test_minutes_take_the_quickest_site():
    times = pd.DataFrame({"area": [code(1), code(1)], "site": ["A", "B"],
                          "minutes": [20, 5]})
    smap = grid_map([service("S", max_minutes=30)],
                    [site("A", "S", k=1), site("B", "S", k=9)], travel_times=times)
    assert reached(reach_matrix(smap), "S") == {1: 5.0}


def test_travel_times_naming_unknown_areas_and_sites_are_errors():
    times = pd.DataFrame({"area": [code(1), "E01000099"], "site": ["Z", "A"],
                          "minutes": [10, 12]})
    with pytest.raises(sm.InputError) as err:
        grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)], travel_times=times)
    text = str(err.value)
    assert "table 'travel_times', row 1, field 'area': 'E01000099' is not an area" in text
    assert "row 0, field 'site': 'Z' is not a site of the map" in text


def test_travel_times_bad_minutes_duplicates_and_columns():
    times = pd.DataFrame({"area": [code(1), code(1), code(2)], "site": ["A", "A", "A"],
                          "minutes": [10, 12, "about 5"]})
    with pytest.raises(sm.InputError) as err:
        grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)], travel_times=times)
    text = str(err.value)
    assert "row 1, field 'site': 'A' repeats the pair of area 'E01000001'" in text
    assert "given in row 0" in text
    assert "row 2, field 'minutes': 'about 5' is not a number of minutes" in text
    with pytest.raises(sm.InputError, match="field 'area': is missing.*origin, destination"):
        grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)],
                 travel_times=pd.DataFrame({"origin": [], "destination": [], "minutes": []}))


def test_minutes_without_a_table_is_an_error():
    with pytest.raises(sm.InputError, match="is by minutes, but the map has no travel-time"):
        grid_map([service("S", max_minutes=30)], [site("A", "S", k=1)])


def test_override_replaces_every_max_distance():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    # 2100 m adds squares 3 and 7 (2000 m); 8 and 6 are 2236 m away
    assert set(reached(reach_matrix(smap, max_distance=2100), "S")) == {1, 2, 3, 4, 5, 7}
    with pytest.raises(ValueError, match=r"max_distance is a positive number of metres; "
                                         r"got '5km' \(for 5 km write 5000\)"):
        reach_matrix(smap, max_distance="5km")
    for bad in (-1, 0, float("inf"), True):
        with pytest.raises(ValueError, match="max_distance is a positive number"):
            reach_matrix(smap, max_distance=bad)
    # numpy numbers are numbers: a sweep over np.arange works
    assert reach_matrix(smap, max_distance=np.int64(2100)).nnz == 6
    # 1500 and 1500.0 are one cache entry
    assert reach_matrix(smap, max_distance=1500) is reach_matrix(smap, max_distance=1500.0)


def test_a_located_phone_site_is_not_a_point_to_measure_from():
    # the phone line's office is in square 9, but nobody travels to a phone line
    smap = grid_map([service("S", max_distance=1000)],
                    [site("A", "S", k=1), site("P", "S", k=9, mode="phone")])
    assert set(reached(reach_matrix(smap), "S")) == {1, 2, 4}


def test_the_cached_matrix_cannot_be_changed():
    smap = grid_map([service("S", max_distance=1000)], [site("A", "S", k=1)])
    with pytest.raises(ValueError, match="read-only"):
        reach_matrix(smap).cost.data[:] = 99


def test_cached_on_the_map_per_threshold():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    assert reach_matrix(smap) is reach_matrix(smap)
    assert reach_matrix(smap, max_distance=900) is not reach_matrix(smap)


def test_a_service_that_reaches_nothing_is_kept_and_warned_about():
    # 400 m from square 1's centre reaches only square 1, which is outside E06000002
    smap = grid_map([service("S", max_distance=400, footprint="E06000002"),
                     service("T", reach="none")],
                    [site("A", "S", k=1), site("P", "T", mode="phone")])
    with pytest.warns(sm.UnreachedWarning, match="1 service reaches no area: S"):
        reach = reach_matrix(smap)
    assert reach.shape == (9, 2)
    assert list(reach.unreached_services) == ["S"]
    assert reach.areas_reached("S").empty


def test_unreached_areas_and_lookups():
    smap = grid_map([service("S", max_distance=1000)], [site("A", "S", k=1)])
    reach = reach_matrix(smap)
    assert sorted(reach.unreached_areas) == [code(k) for k in (3, 5, 6, 7, 8, 9)]
    assert reach.services_reaching(code(2)).to_dict() == {"S": 1000.0}
    with pytest.raises(KeyError, match="'E01000010' is not an area of the map"):
        reach.services_reaching("E01000010")
    with pytest.raises(KeyError, match="'T' is not a service"):
        reach.areas_reached("T")


def test_to_frame_lists_every_pair():
    smap = grid_map([service("S", max_distance=1000), service("T", reach="none",
                                                              footprint="E06000002")],
                    [site("A", "S", k=1), site("P", "T", mode="phone")])
    pairs = reach_matrix(smap).to_frame()
    assert len(pairs) == 3 + 3
    assert set(pairs.loc[pairs.service == "T", "unit"]) == {"none"}


def test_phone_sites_of_a_distance_service_are_not_points():
    # the phone site has no location, so only the in-person site measures distance
    smap = grid_map([service("S", max_distance=1000)],
                    [site("A", "S", k=1), site("P", "S", mode="phone")])
    assert set(reached(reach_matrix(smap), "S")) == {1, 2, 4}


def test_area_points_default_to_geometric_centroids():
    x, y, origin = area_points(grid_areas())
    assert (x[4], y[4]) == centre(5)
    assert set(origin) == {"geometric centroid"}


@settings(max_examples=25, deadline=None)
@given(st.floats(200, 3000), st.floats(200, 3000))
def test_reach_grows_with_the_distance(a, b):
    lo, hi = sorted((a, b))
    smap = grid_map([service("S", max_distance=1500, footprint="E06000001")],
                    [site("A", "S", k=2), site("B", "S", k=7)])
    small = reach_matrix(smap, max_distance=lo).to_frame()
    big = reach_matrix(smap, max_distance=hi).to_frame()
    assert set(small.area) <= set(big.area)
    # hand count: each area is in or out by its distance to the nearer site
    nearest = {k: min(math.dist(centre(k), centre(2)), math.dist(centre(k), centre(7)))
               for k in (1, 2, 4, 5, 7, 8)}
    assert set(big.area) == {code(k) for k, d in nearest.items() if d <= hi}


def test_agrees_with_a_brute_force_sjoin_on_bedfordshire():
    smap = sm.datasets.bedfordshire()
    ours = reach_matrix(smap).to_frame()
    expected = brute_force_pairs(smap)
    got = ours.set_index(["area", "service"])["cost"].sort_index()
    assert len(got) == len(expected) > 5_000
    pd.testing.assert_index_equal(got.index, expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-6)


# -- the cache, drawn catchments, nearest sites, contiguity -----------------------------
def test_cached_builds_once_per_key():
    smap = grid_map([service("S", reach="none")], [site("s", "S", mode="phone")])
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
    # G: a given box over x in [0, 1.5] km: 1, 4, 7 wholly, 2, 5, 8 half.
    # F: reach none on E06000002: 3, 6, 9 wholly, no piece cut.
    # D: a 500 m circle round square 5's centre: inside square 5 only, a 64-gon of
    #    area 32 x 0.25 x sin(2 pi / 64) = 0.784137 km2; its neighbours only touch it.
    # M: reach by minutes, not drawn.
    times = pd.DataFrame({"area": [code(1)], "site": ["m"], "minutes": [3.0]})
    smap = grid_map(
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
    smap = grid_map([service("B", reach="none", footprint="E06000002")],
                     [site("b", "B", mode="phone")])
    everywhere = gpd.GeoSeries([shapely.box(X0 - 10, Y0 - 10, X0 + 3010, Y0 + 3010)],
                               index=["B"], crs=27700)
    fr = catchment_fractions(smap, catchments=everywhere)
    reached = fr.areas[fr.fraction.nonzero()[0]].tolist()
    assert reached == [code(3), code(6), code(9)]
    assert fr.fraction.data.tolist() == [1.0, 1.0, 1.0]


def test_nearest_sites_by_hand():
    # A at square 1's centre (S1), B at square 6's (S2), a phone line (S3) never counts
    smap = grid_map([service("S1", max_distance=100), service("S2", max_distance=100),
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
    acc = sm.accessibility(smap, need="drug", intervention="any", method="nearest")
    np.testing.assert_allclose(acc.table["distance"].to_numpy(), every.min(axis=1))


def test_a_threshold_no_service_uses_says_so():
    smap = grid_map([service("S", max_distance=1500)], [site("A", "S", k=1)])
    with pytest.warns(sm.ServiceMapWarning,
                      match=r"max_minutes=30 changes nothing: no service in the map "
                            r"reaches by minutes \(they reach by distance\)"):
        sm.reach_matrix(smap, max_minutes=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sm.reach_matrix(smap, max_distance=900)  # used: no warning

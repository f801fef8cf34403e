"""Moving values between geographies: servicemap.interpolation.

Expected values are worked out by hand on 1 km squares (the arithmetic is in the
comments); bigger cases are checked against tobler and against pandas groupby.
"""


import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal, assert_index_equal, assert_series_equal
from tobler.area_weighted import area_interpolate
from toy import X0, Y0

import servicemap as sm
from servicemap.errors import CRSError, InputError, InterpolationWarning, ReprojectionWarning
from servicemap.interpolation import interpolate

KM = 1000


def box(x0, y0, x1, y1):
    """A box given in km from the toy corner."""
    return shapely.box(X0 + x0 * KM, Y0 + y0 * KM, X0 + x1 * KM, Y0 + y1 * KM)


def frame(geoms, index, name="code", **columns):
    return gpd.GeoDataFrame(columns, geometry=list(geoms),
                            index=pd.Index(index, name=name), crs=27700)


@pytest.fixture
def two():
    """Two 1 km squares side by side: A (0-1 km) and B (1-2 km)."""
    return frame([box(0, 0, 1, 1), box(1, 0, 2, 1)], ["A", "B"],
                 need=[6.0, 8.0], score=[10.0, 40.0], population=[100.0, 300.0])


@pytest.fixture
def halves():
    """W covers A and the west half of B; E the east half of B."""
    return frame([box(0, 0, 1.5, 1), box(1.5, 0, 2, 1)], ["W", "E"], name="ward")


def pieces(points):
    """Finer units: (x km, y km, population) as points."""
    return gpd.GeoDataFrame({"population": [p for _, _, p in points]},
                            geometry=[shapely.Point(X0 + x * KM, Y0 + y * KM)
                                      for x, y, _ in points], crs=27700)


# -- by hand: area weighting -------------------------------------------------------------
def test_area_weighting_by_hand(two, halves):
    out = interpolate(two, halves, extensive=["need", "need"], intensive="score")
    # need (named twice, moved once): W = A + B/2 = 6 + 8/2 = 10; E = 8/2 = 4
    # score (intensive, weights = areas of the pieces in km2):
    #   W = (10 * 1 + 40 * 0.5) / (1 + 0.5) = 30 / 1.5 = 20;  E = 40 * 0.5 / 0.5 = 40
    assert out["need"].tolist() == pytest.approx([10.0, 4.0])
    assert out["score"].tolist() == pytest.approx([20.0, 40.0])
    assert isinstance(out, gpd.GeoDataFrame) and out.crs.to_epsg() == 27700
    assert_index_equal(out.index, halves.index)
    assert out.geometry.geom_equals(halves.geometry).all()
    assert out.columns.tolist() == ["need", "score", "geometry"]
    assert out.attrs["method"] == "overlay" and out.attrs["weight"] == "area"
    assert (out.attrs["sources"], out.attrs["targets"]) == (2, 2)
    assert out.attrs["unallocated"] == {"need": 0.0}


def test_grid_to_two_rectangles_by_hand(areas):
    """The toy 3 x 3 grid (codes 1-9 from the south-west, need_drug = 10 + k) split
    at x = 1.5 km."""
    areas = areas.set_index("code")
    targets = frame([box(0, 0, 1.5, 3), box(1.5, 0, 3, 3)], ["West", "East"])
    out = interpolate(areas, targets, extensive="need_drug",
                      intensive="imd_decile")
    # need_drug: column 0 (k = 1, 4, 7) 11 + 14 + 17 = 42; column 1 (2, 5, 8) 12 + 15 +
    # 18 = 45, halved 22.5; column 2 (3, 6, 9) 13 + 16 + 19 = 48.
    #   West = 42 + 22.5 = 64.5;  East = 22.5 + 48 = 70.5;  total 135 = 11 + ... + 19
    assert out["need_drug"].tolist() == pytest.approx([64.5, 70.5])
    # imd_decile = 1 + k % 10: column 0 2 + 5 + 8 = 15, column 1 3 + 6 + 9 = 18,
    # column 2 4 + 7 + 10 = 21; each target has 4.5 km2 of squares:
    #   West = (15 * 1 + 18 * 0.5) / 4.5 = 24 / 4.5;  East = (18 * 0.5 + 21) / 4.5 = 30 / 4.5
    assert out["imd_decile"].tolist() == pytest.approx([24 / 4.5, 30 / 4.5])


def test_inputs_are_not_changed(two, halves):
    before_two, before_halves = two.copy(), halves.copy()
    values = two[["need"]].copy()
    interpolate(two, halves, values=values, extensive="need")
    assert_frame_equal(two, before_two)
    assert_frame_equal(halves, before_halves)
    assert_frame_equal(values, before_two[["need"]])


def test_values_frame_is_aligned_by_code(two, halves):
    values = pd.DataFrame({"need": [8.0, 6.0]}, index=["B", "A"])  # other order
    out = interpolate(two, halves, values=values, extensive="need")
    assert out["need"].tolist() == pytest.approx([10.0, 4.0])


# -- by hand: population weighting -------------------------------------------------------
def test_population_column_by_hand(two, halves):
    out = interpolate(two, halves, extensive="need", intensive="score",
                      weight="population")
    # Pieces hold population x area share: A in W 100; B in W 300 / 2 = 150; B in E 150.
    #   score W = (10 * 100 + 40 * 150) / (100 + 150) = 7000 / 250 = 28;  E = 40
    assert out["score"].tolist() == pytest.approx([28.0, 40.0])
    # extensive shares stay area shares: need W = 6 + 8 / 2 = 10, E = 4
    assert out["need"].tolist() == pytest.approx([10.0, 4.0])
    assert out.attrs["weight"] == "population" and out.attrs["population"] == "population"


def test_population_column_may_live_in_values(two, halves):
    values = pd.DataFrame({"score": [10.0, 40.0], "residents": [100, 300]},
                          index=two.index)
    out = interpolate(two, halves, values=values, intensive="score", weight="population",
                      population="residents")
    assert out["score"].tolist() == pytest.approx([28.0, 40.0])  # as above


@pytest.mark.parametrize("as_polygons", [False, True])
def test_finer_units_by_hand(two, halves, as_polygons):
    # A: 100 people at its centre. B: 60 at x = 1.2 km (in W), 240 at x = 1.8 km (in E).
    finer = pieces([(0.5, 0.5, 100), (1.2, 0.5, 60), (1.8, 0.5, 240)])
    if as_polygons:  # output areas, reduced to representative points inside them
        finer = finer.set_geometry(finer.buffer(50, cap_style="square"))
    out = interpolate(two, halves, extensive="need", intensive="score",
                      weight="population", population=finer)
    # B's share in W is 60 / 300 = 0.2:  need W = 6 + 8 * 0.2 = 7.6;  E = 8 * 0.8 = 6.4
    assert out["need"].tolist() == pytest.approx([7.6, 6.4])
    # score W = (10 * 100 + 40 * 60) / (100 + 60) = 3400 / 160 = 21.25;  E = 40
    assert out["score"].tolist() == pytest.approx([21.25, 40.0])
    assert out.attrs["population"] == "3 finer units"
    assert out.attrs["area_fallback"] == []


def test_a_point_on_a_boundary_is_counted_once(two, halves):
    # 50 people on the A|B edge (x = 1 km) go to A, the first source, and lie in W;
    # 30 on the W|E edge (x = 1.5 km, inside B) go to W, the first target; 70 in E.
    finer = pieces([(0.5, 0.5, 100), (1.0, 0.5, 50), (1.5, 0.5, 30), (1.8, 0.5, 70)])
    out = interpolate(two, halves, extensive="need", weight="population",
                      population=finer)
    # A has 150 people, all in W; B has 100, 30 of them in W:
    #   need W = 6 + 8 * 0.3 = 8.4;  E = 8 * 0.7 = 5.6
    assert out["need"].tolist() == pytest.approx([8.4, 5.6])


def test_source_without_finer_population_falls_back_to_area(two, halves):
    finer = pieces([(0.5, 0.5, 100), (1.5, 0.5, 0)])  # nobody in B
    with pytest.warns(InterpolationWarning,
                      match=r"1 source unit \('B'\) has no population in the finer units"):
        out = interpolate(two, halves, extensive="need", intensive="score",
                          weight="population", population=finer)
    # B is split by area: need W = 6 + 8 / 2 = 10, E = 4. In averages B weighs nothing:
    # score W = A's 10; E has only B, so no population and no average: NaN.
    assert out["need"].tolist() == pytest.approx([10.0, 4.0])
    assert out.loc["W", "score"] == pytest.approx(10.0) and np.isnan(out.loc["E", "score"])
    assert out.attrs["area_fallback"] == ["B"]


# -- conservation and what is not allocated -------------------------------------------
def test_uncovered_part_is_reported_not_lost(two):
    west = frame([box(0, 0, 1.5, 1)], ["W"])
    with pytest.warns(InterpolationWarning,
                      match=r"target does not wholly cover 1 source unit \('B'\), so 4 of "
                            r"'need' \(28\.6%\) went to no target"):
        out = interpolate(two, west, extensive="need", intensive="score")
    # W = 6 + 8 / 2 = 10; the east half of B, 8 / 2 = 4 of the 14, is in no target.
    assert out["need"].tolist() == pytest.approx([10.0])
    assert out.attrs["unallocated"] == pytest.approx({"need": 4.0})
    assert out.attrs["unallocated_sources"] == ["B"]
    assert out["need"].sum() + out.attrs["unallocated"]["need"] == two["need"].sum()
    # the average is over the covered part: (10 * 1 + 40 * 0.5) / 1.5 = 20
    assert out["score"].tolist() == pytest.approx([20.0])


def test_target_no_source_reaches_is_nan_and_reported(two, halves):
    far = pd.concat([halves, frame([box(10, 10, 11, 11)], ["Z"], name="ward")])
    with pytest.warns(InterpolationWarning, match=r"1 target \('Z'\) overlaps no source"):
        out = interpolate(two, far, extensive="need", intensive="score")
    assert out.loc[["W", "E"], "need"].tolist() == pytest.approx([10.0, 4.0])
    assert out.loc["Z", ["need", "score"]].isna().all()
    assert out.attrs["empty_targets"] == ["Z"]
    assert_index_equal(out.index, far.index)


def test_overlapping_targets_each_get_what_lies_in_them(two, halves):
    both = frame([box(0, 0, 2, 1), box(0, 0, 1.5, 1)], ["all", "west"])
    out = interpolate(two, both, extensive="need")
    # all = 6 + 8 = 14; west = 6 + 8 / 2 = 10 (so targets sum to more than 14)
    assert out["need"].tolist() == pytest.approx([14.0, 10.0])
    assert out.attrs["unallocated"] == {"need": 0.0}


def test_shared_edges_and_nesting_need_no_intersection(two):
    # targets equal to the sources, and one target holding both: shares exactly 1
    same = frame([box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 0, 2, 1),
                  box(0.25, 0.25, 0.75, 0.75)], ["a", "b", "ab", "inside a"])
    out = interpolate(two, same, extensive="need")
    # a, b and ab hold whole squares; 'inside a' holds a quarter of A: 6 / 4 = 1.5
    assert out["need"].tolist() == [6.0, 8.0, 14.0, 1.5]


# -- missing values ----------------------------------------------------------------------
def test_nan_in_an_extensive_column_makes_its_targets_unknown(areas):
    areas = areas.set_index("code")
    areas.loc["E01000009", "need_drug"] = np.nan  # the north-east square, in East only
    targets = frame([box(0, 0, 1.5, 3), box(1.5, 0, 3, 3)], ["West", "East"])
    out = interpolate(areas, targets, extensive="need_drug")
    assert out.loc["West", "need_drug"] == pytest.approx(64.5)  # as in the grid test
    assert np.isnan(out.loc["East", "need_drug"])
    assert out.attrs["nan_sources"] == {"need_drug": 1}


def test_nan_in_an_intensive_column_is_left_out_of_the_average(areas):
    areas = areas.set_index("code")
    areas.loc["E01000005", "imd_decile"] = np.nan  # the centre square, split in two
    targets = frame([box(0, 0, 1.5, 3), box(1.5, 0, 3, 3)], ["West", "East"])
    with pytest.warns(InterpolationWarning,
                      match=r"1 source unit with no value \(NaN\) in 'imd_decile' was "
                            r"left out of the averages of 2 targets"):
        out = interpolate(areas, targets, intensive="imd_decile")
    # without square 5 (decile 6): column 1 is 3 + 9 = 12, over 2 km2 of halves
    #   West = (15 + 12 * 0.5) / 4 = 21 / 4;  East = (12 * 0.5 + 21) / 4 = 27 / 4
    assert out["imd_decile"].tolist() == pytest.approx([21 / 4, 27 / 4])


def test_an_average_of_unknowns_is_unknown(two, halves):
    two.loc["B", "score"] = np.nan
    with pytest.warns(InterpolationWarning, match="left out of the averages of 1 target"):
        out = interpolate(two, halves, intensive="score")
    assert out.loc["W", "score"] == 10.0 and np.isnan(out.loc["E", "score"])


# -- pooled rates ------------------------------------------------------------------------
def test_rates_are_pooled_not_averaged():
    src = frame([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 0, 6, 1)], ["A", "B", "C"],
                cases=[1.0, 9.0, 0.0], people=[100.0, 10.0, 0.0],
                lad_code=["north", "north", "south"])
    src["rate"] = src["cases"] / src["people"]
    out = interpolate(src, "lad", extensive=["cases", "people"],
                      rates={"pooled": ("cases", "people")}, intensive="rate")
    # north: (1 + 9) / (100 + 10) = 10 / 110, not the average of 1/100 and 9/10
    assert out.loc["north", "pooled"] == pytest.approx(10 / 110)
    assert out.loc["north", "rate"] == pytest.approx((0.01 + 0.9) / 2)  # what not to do
    # south: 0 / 0 is unknown, both pooled and averaged
    assert out.loc["south", ["pooled", "rate"]].isna().all()
    assert out.columns.tolist() == ["cases", "people", "rate", "pooled"]
    assert out.attrs["unallocated"] == {"cases": 0.0, "people": 0.0}


def test_pooled_rate_with_overlay(two, halves):
    # cases = need (6, 8), denominator population (100, 300), split by area:
    #   W = (6 + 4) / (100 + 150) = 0.04;  E = 4 / 150
    out = interpolate(two, halves, rates={"per_person": ("need", "population")})
    assert out["per_person"].tolist() == pytest.approx([10 / 250, 4 / 150])
    assert out.columns.tolist() == ["per_person", "geometry"]
    assert out.attrs["unallocated"] == {"need": 0.0, "population": 0.0}


# -- exact aggregation: parent levels and lookups ----------------------------------------
@pytest.mark.parametrize("level", ["lad", "msoa", "msoa_code"])
def test_parent_level_matches_groupby(bedfordshire, level):
    areas = bedfordshire.areas
    needs = ["need_drug", "need_alcohol", "population"]
    out = interpolate(bedfordshire, level, extensive=needs, intensive="imd_rank",
                      weight="population")
    key = areas[level if level.endswith("_code") else f"{level}_code"]
    expected = areas.groupby(key)[needs].sum()
    assert_frame_equal(out[needs], expected, check_exact=False, rtol=1e-12)
    pop = areas["population"]
    mean = (areas["imd_rank"] * pop).groupby(key).sum() / pop.groupby(key).sum()
    assert_series_equal(out["imd_rank"], mean, check_names=False, rtol=1e-12)
    assert out.attrs["method"] == "parent" and isinstance(out, pd.DataFrame)
    assert not isinstance(out, gpd.GeoDataFrame)


def test_parent_level_area_weighted_average_matches_groupby(bedfordshire):
    areas = bedfordshire.areas
    out = interpolate(bedfordshire, "lad", intensive="imd_rank")
    area = areas.area
    mean = (areas["imd_rank"] * area).groupby(areas["lad_code"]).sum() / area.groupby(
        areas["lad_code"]).sum()
    assert_series_equal(out["imd_rank"], mean, check_names=False, rtol=1e-12)


def test_lookup_matches_groupby(bedfordshire):
    areas = bedfordshire.areas
    rng = np.random.default_rng(7)
    boards = pd.Series(rng.choice(["board-1", "board-2", "board-3", "board-4"],
                                  len(areas)), index=areas.index, name="board")
    values = areas[["need_early_help", "pop_0_15"]]
    out = interpolate(bedfordshire, boards, values=values,
                      extensive=["need_early_help", "pop_0_15"],
                      rates={"eh_rate": ("need_early_help", "pop_0_15")})
    sums = values.groupby(boards).sum()
    assert_frame_equal(out[sums.columns], sums, check_exact=False, rtol=1e-12)
    assert_series_equal(out["eh_rate"], sums["need_early_help"] / sums["pop_0_15"],
                        check_names=False, rtol=1e-12)
    assert out.index.name == "board" and out.attrs["method"] == "lookup"


def test_sources_without_a_target_code_are_reported(areas):
    areas = areas.set_index("code")
    lookup = pd.Series(dict.fromkeys(areas.index[:8], "board"))  # square 9 is left out
    with pytest.warns(InterpolationWarning,
                      match=r"1 source unit \('E01000009'\) has no target code, so 19 of "
                            r"'need_drug'"):
        out = interpolate(areas, lookup, extensive="need_drug")
    # 11 + 12 + ... + 18 = 116 allocated, square 9's 19 not
    assert out["need_drug"].tolist() == [116.0]
    assert out.attrs["unallocated"] == {"need_drug": 19.0}
    # and a parent code that is missing is reported the same way
    areas.loc["E01000009", "lad_code"] = None
    with pytest.warns(InterpolationWarning, match=r"has no target code, so 19 of"):
        out = interpolate(areas, "lad", extensive="need_drug")
    assert out["need_drug"].sum() == 116.0


def test_lookup_may_cover_more_than_the_source(two):
    lookup = pd.Series({"A": "x", "B": "x", "Q": "y"})  # Q is not a source
    out = interpolate(two, lookup, extensive="need")
    assert out["need"].to_dict() == {"x": 14.0}


# -- maps as source and target -----------------------------------------------------------
def test_servicemap_source_and_target(areas):
    smap = sm.ServiceMap.from_frames(areas=areas)
    targets = frame([box(0, 0, 1.5, 3), box(1.5, 0, 3, 3)], ["West", "East"])
    out = interpolate(smap, targets, extensive="need_drug")
    assert out["need_drug"].tolist() == pytest.approx([64.5, 70.5])  # as by hand above
    # to the map's own areas: every square gets itself back
    back = interpolate(smap, smap, extensive="need_drug")
    assert_series_equal(back["need_drug"], smap.areas["need_drug"])


# -- against tobler ----------------------------------------------------------------------
def voronoi(n, seed, extent):
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = extent.bounds
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts),
                                                       extend_to=extent))
    return shapely.intersection(cells, extent)


def grid(extent, size, offset):
    x0, y0, x1, y1 = extent.bounds
    xs = np.arange(x0 - offset, x1, size)
    ys = np.arange(y0 - offset, y1, size)
    gx, gy = np.meshgrid(xs, ys)
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size, gy.ravel() + size)
    cells = shapely.intersection(cells, extent)
    return cells[shapely.area(cells) > 0]


@pytest.fixture(scope="module")
def random_layers():
    extent = box(0, 0, 10, 8)
    rng = np.random.default_rng(3)
    cells = voronoi(300, 1, extent)
    src = frame(cells, [f"s{i}" for i in range(len(cells))],
                count=rng.uniform(0, 1000, len(cells)), rate=rng.uniform(0, 1, len(cells)))
    tiles = grid(extent, 1300, 400)
    tgt = frame(tiles, [f"t{i}" for i in range(len(tiles))])
    return src, tgt


def test_agrees_with_tobler_when_targets_cover_the_sources(random_layers):
    src, tgt = random_layers
    ours = interpolate(src, tgt, extensive="count", intensive="rate")
    theirs = area_interpolate(src, tgt, extensive_variables=["count"],
                              intensive_variables=["rate"])
    # tobler keeps its area table in float32
    assert_frame_equal(pd.DataFrame(ours[["count", "rate"]]),
                       pd.DataFrame(theirs[["count", "rate"]]), rtol=1e-6)
    assert ours["count"].sum() == pytest.approx(src["count"].sum(), rel=1e-12)


def test_agrees_with_tobler_where_targets_cover_part(random_layers):
    src, tgt = random_layers
    part = tgt[tgt.centroid.x < X0 + 6 * KM]  # the western tiles only
    with pytest.warns(InterpolationWarning, match="target does not wholly cover"):
        ours = interpolate(src, part, extensive="count", intensive="rate")
    # extensive: tobler's allocate_total=False (a_it / a_i) where sources stick out
    theirs = area_interpolate(src, part, extensive_variables=["count"],
                              intensive_variables=["rate"], allocate_total=False)
    assert_frame_equal(pd.DataFrame(ours[["count", "rate"]]),
                       pd.DataFrame(theirs[["count", "rate"]]), rtol=1e-6)
    # and what tobler's allocate_total=True would spread is reported instead
    total = ours["count"].sum() + ours.attrs["unallocated"]["count"]
    assert total == pytest.approx(src["count"].sum(), rel=1e-12)


# -- property: extensive totals are conserved ------------------------------------------
@settings(max_examples=40, deadline=None)
@given(data=st.data(),
       # cuts on a 1/20 grid, so that no source is a sliver too thin to be valid
       xcuts=st.lists(st.integers(1, 19).map(lambda k: k / 20), max_size=5, unique=True),
       ycuts=st.lists(st.integers(1, 19).map(lambda k: k / 20), max_size=5, unique=True),
       n_targets=st.integers(1, 25), seed=st.integers(0, 2**32 - 1))
def test_extensive_totals_are_conserved(data, xcuts, ycuts, n_targets, seed):
    extent = box(0, 0, 5, 4)
    x0, y0, x1, y1 = extent.bounds
    xs = x0 + np.array([0, *sorted(xcuts), 1]) * (x1 - x0)
    ys = y0 + np.array([0, *sorted(ycuts), 1]) * (y1 - y0)
    rects = [shapely.box(a, b, c, d) for a, c in zip(xs[:-1], xs[1:], strict=True)
             for b, d in zip(ys[:-1], ys[1:], strict=True)]
    values = data.draw(st.lists(st.floats(0, 1e6), min_size=len(rects),
                                max_size=len(rects)))
    src = frame(rects, [f"s{i}" for i in range(len(rects))], v=values)
    cells = voronoi(n_targets, seed, extent)
    tgt = frame(cells, [f"t{i}" for i in range(len(cells))])
    out = interpolate(src, tgt, extensive="v")  # a warning would fail the test
    assert out["v"].sum() == pytest.approx(sum(values), rel=1e-9, abs=1e-6)
    assert out.attrs["unallocated"]["v"] == 0.0


# -- coordinate reference systems ------------------------------------------------------
def test_target_in_another_crs_is_reprojected(two, halves):
    # A round trip through longitude/latitude moves the edges by about a millimetre,
    # leaving slivers of the squares outside both halves: reported, not hidden.
    with (pytest.warns(ReprojectionWarning, match=r"`target` was reprojected from "
                                                  r"EPSG:4326"),
          pytest.warns(InterpolationWarning, match=r"\(\d\.?\d*e-\d+%\) went to no")):
        out = interpolate(two, halves.to_crs(4326), extensive="need")
    assert out["need"].tolist() == pytest.approx([10.0, 4.0], rel=1e-5)
    assert out.attrs["unallocated"]["need"] < 1e-4
    assert out.crs.to_epsg() == 27700


def test_target_without_crs_is_an_error(two, halves):
    with pytest.raises(CRSError, match=r"`target` has no CRS.*set_crs\(27700\)"):
        interpolate(two, halves.set_crs(None, allow_override=True),
                    extensive="need")


def test_lookup_needs_no_geometry_nor_crs(two):
    bare = two.set_crs(None, allow_override=True)
    out = interpolate(bare, pd.Series({"A": "x", "B": "x"}), extensive="need")
    assert out["need"].tolist() == [14.0]


# -- every error path --------------------------------------------------------------------
def bad_geometry(which):
    bowtie = shapely.Polygon([(X0, Y0), (X0 + KM, Y0 + KM), (X0 + KM, Y0), (X0, Y0 + KM)])
    return {"invalid": bowtie, "missing": None, "point": shapely.Point(X0, Y0)}[which]


@pytest.mark.parametrize(("case", "match"), [
    ("code", r"row 'Bx': is not a code of source. Did you mean 'B'\?"),
    ("code", r"table 'source', row 'B': has no row in values. Did you mean 'Bx'\?"),
    ("range", r"indexed by 0, 1\.\.\., none of which is a code of source. The column "
              r"'code' holds source codes: use values.set_index\('code'\)"),
    ("dup", r"table 'values', row 'A': is used by 2 rows"),
    ("column", r"field 'ned': is not a column of values. Did you mean 'need'\? "
               r"Columns are: need, score"),
    ("elsewhere", r"field 'population': is not a column of values.* It is a column of "
                  r"source: add it to values, or leave values= out"),
    ("text", r"row 'B', field 'need': 'about 40' is not a number"),
    ("negative", r"row 'A', field 'need': -1.0 is negative, and a count"),
    ("infinite", r"row 'B', field 'score': inf is infinite"),
])
def test_values_errors(two, halves, case, match):
    values = pd.DataFrame({"need": [6.0, 8.0], "score": [1.0, 2.0]}, index=["A", "B"])
    intensive = ["score"]
    extensive = ["need"]
    if case == "code":
        values.index = ["A", "Bx"]
    elif case == "range":
        values = values.reset_index(names="code")
    elif case == "dup":
        values.index = ["A", "A"]
    elif case == "column":
        extensive = ["ned"]
    elif case == "elsewhere":
        extensive = ["population"]
    elif case == "text":
        values["need"] = ["6", "about 40"]
    elif case == "negative":
        values.loc["A", "need"] = -1.0
    elif case == "infinite":
        values.loc["B", "score"] = np.inf
    with pytest.raises(InputError, match=match) as caught:
        interpolate(two, halves, values=values, extensive=extensive, intensive=intensive)
    assert all(p.table in {"values", "source"} for p in caught.value.problems)


def test_every_problem_is_reported_at_once(two, halves):
    values = pd.DataFrame({"need": [-1.0, 8.0], "score": ["x", 2.0]}, index=["A", "B"])
    with pytest.raises(InputError, match="3 problems") as caught:
        interpolate(two, halves, values=values, extensive=["need", "missing"], intensive="score")
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == ["missing", "need", "score"]


@pytest.mark.parametrize(("table", "which", "match"), [
    ("target", "invalid", r"table 'target', row 'W', field 'geometry': is not valid "
                          r"\(Self-intersection"),
    ("target", "point", r"row 'W', field 'geometry': is a Point, not a polygon"),
    ("source", "missing", r"table 'source', row 'A', field 'geometry': is missing or "
                          r"empty"),
])
def test_geometry_errors(two, halves, table, which, match):
    frames = {"source": two.copy(), "target": halves.copy()}
    frames[table].loc[frames[table].index[0], "geometry"] = bad_geometry(which)
    with pytest.raises(InputError, match=match):
        interpolate(frames["source"], frames["target"], extensive="need")


@pytest.mark.parametrize(("options", "match"), [
    ({"extensive": "need", "weight": "populaton"},
     r"field 'weight': 'populaton' is not a weighting. Did you mean 'population'\? Use "
     r"one of 'area', 'population'"),
    ({"extensive": "need", "intensive": "need"}, r"'need' is also extensive"),
    ({"rates": {"r": "need/population"}}, r"field 'rates'.* is not a rate"),
    ({"rates": {"r": ("need", "need")}}, r"divides a column by itself"),
    ({"rates": {"need": ("need", "population")}, "extensive": "need"},
     r"'need' is also the name of an extensive or intensive column"),
    ({}, r"no column to move. Name columns with extensive="),
    ({"extensive": "need", "population": "residents"},
     r"'residents' is only used with weight='population'"),
    ({"extensive": "need", "weight": "population", "population": "residents"},
     r"field 'residents': is not a column of values or source.* Columns are: need, "
     r"population, score"),
    ({"extensive": "need", "weight": "population", "population": 5},
     r"'int' is neither a column name nor a GeoDataFrame"),
])
def test_option_errors(two, halves, options, match):
    with pytest.raises(InputError, match=match):
        interpolate(two, halves, **options)


def test_population_errors(two, halves):
    two.loc["B", "population"] = -5.0
    with pytest.raises(InputError, match=r"table 'source', row 'B', field 'population': "
                                         r"-5.0 is negative"):
        interpolate(two, halves, intensive="score", weight="population")
    two.loc["B", "population"] = np.nan
    with pytest.raises(InputError, match=r"row 'B', field 'population': is missing"):
        interpolate(two, halves, intensive="score", weight="population")
    finer = pieces([(0.5, 0.5, 10)]).rename(columns={"population": "people"})
    with pytest.raises(InputError, match=r"table 'population', field 'population': has "
                                         r"no 'population' column.* Columns are: people"):
        interpolate(two, halves, intensive="score", weight="population",
                    population=finer)


@pytest.mark.parametrize(("target", "match"), [
    ("ward", r"table 'target': 'ward' is not a parent level of source. Levels are: "
             r"'lad'"),
    ("lads", r"'lads' is not a parent level of source. Did you mean 'lad'\?"),
    ([1, 2], r"table 'target': is a list. Pass target polygons"),
    (pd.Series({"x": "A", "y": "B"}), r"none of which is a code of source. Its values "
                                      r"are source codes: it maps the other way"),
    (pd.Series(["x", "y"], index=["A", "A"]), r"row 'A': is mapped 2 times \(to 'x', "
                                              r"'y'\)"),
])
def test_target_errors(two, target, match):
    two["lad_code"] = ["L1", "L1"]
    with pytest.raises(InputError, match=match):
        interpolate(two, target, extensive="need")


def test_source_errors(two, halves):
    with pytest.raises(InputError, match=r"table 'source': is a DataFrame. Pass a "
                                         r"GeoDataFrame"):
        interpolate(pd.DataFrame(two), halves, extensive="need")
    doubled = pd.concat([two, two.iloc[:1]])
    with pytest.raises(InputError, match=r"table 'source', row 'A': is used by 2 rows"):
        interpolate(doubled, halves, extensive="need")
    doubled_target = pd.concat([halves, halves.iloc[:1]])
    with pytest.raises(InputError, match=r"table 'target', row 'W': is used by 2 rows"):
        interpolate(two, doubled_target, extensive="need")


def test_threaded_intersections_give_the_same_result(random_layers, monkeypatch):
    src, tgt = random_layers
    serial = interpolate(src, tgt, extensive="count", intensive="rate")
    monkeypatch.setattr("servicemap.interpolation._PARALLEL_PAIRS", 1)
    threaded = interpolate(src, tgt, extensive="count", intensive="rate")
    assert_frame_equal(threaded, serial, check_exact=True)

"""Accessibility (2SFCA, E2SFCA, gravity, nearest) by hand and against PySAL access.

Hand case on the 3 x 3 grid of tests/toy.py: demand need_drug = 10 + k in square k.
A: 100 places at square 1's centre, 1500 m -> squares 1, 2, 4, 5 (0, 1000, 1000, 1414 m)
B: 60 places at square 9's centre, 1500 m -> squares 9, 6, 8, 5 (0, 1000, 1000, 1414 m)
Squares 3 and 7 (2000 m from both) reach nothing. Neither lists an intervention, so
both count as drug treatment (with a note).
"""

import access
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from toy import X0, Y0, by_square, code, grid_map, service, site

import servicemap as sm
from servicemap.analysis.accessibility import accessibility
from servicemap.geography import area_points


@pytest.fixture
def smap():
    return grid_map(
        [service("A", capacity=100, capacity_unit="places", max_distance=1500),
         service("B", capacity=60, capacity_unit="places", max_distance=1500)],
        [site("A1", "A", k=1), site("B1", "B", k=9)])


def test_2sfca_by_hand(smap):
    acc = accessibility(smap, need="drug")
    r_a = 100 / (11 + 12 + 14 + 15)  # demand within A's catchment: squares 1, 2, 4, 5
    r_b = 60 / (15 + 16 + 18 + 19)   # B's: squares 5, 6, 8, 9
    expected = {1: r_a, 2: r_a, 4: r_a, 5: r_a + r_b, 6: r_b, 8: r_b, 9: r_b,
                3: 0.0, 7: 0.0}
    got = by_square(acc.table["access"])
    assert got == pytest.approx(expected, abs=1e-12)
    assert by_square(acc.table["services"]) == {1: 1, 2: 1, 3: 0, 4: 1, 5: 2, 6: 1, 7: 0,
                                          8: 1, 9: 1}
    assert acc.table.loc[code(5), "supply_in_reach"] == 160
    # all supply is shared out: sum of demand x access = 160 places
    assert (acc.table["demand"] * acc.table["access"]).sum() == pytest.approx(160)
    assert acc.attrs["map_ratio"] == pytest.approx(160 / sum(10 + k for k in range(1, 10)))


def test_e2sfca_by_hand(smap):
    steps = {500: 1.0, 1100: 0.68, 1500: 0.22}
    acc = accessibility(smap, need="drug", method="e2sfca", weights=steps)
    r_a = 100 / (11 * 1 + 12 * 0.68 + 14 * 0.68 + 15 * 0.22)  # 100 / 31.98
    r_b = 60 / (19 * 1 + 16 * 0.68 + 18 * 0.68 + 15 * 0.22)   # 60 / 45.42
    expected = {1: r_a, 2: 0.68 * r_a, 4: 0.68 * r_a, 5: 0.22 * (r_a + r_b),
                6: 0.68 * r_b, 8: 0.68 * r_b, 9: r_b, 3: 0.0, 7: 0.0}
    assert by_square(acc.table["access"]) == pytest.approx(expected, abs=1e-12)


def test_e2sfca_default_thirds_of_each_threshold():
    # C: 90 places, 3000 m from square 5's centre (reaches all 9 squares): thirds at
    # 1000, 2000, 3000 m. Square 5 (0 m) weight 1; squares 2, 4, 6, 8 (1000 m) weight 1
    # (up to the first third); corners (1414 m) weight 0.68.
    smap = grid_map([service("C", capacity=90, capacity_unit="places", max_distance=3000)],
                    [site("C1", "C", k=5)])
    acc = accessibility(smap, need="drug", method="e2sfca")
    demand = {k: 10 + k for k in range(1, 10)}
    w = {k: (0.68 if k in (1, 3, 7, 9) else 1.0) for k in range(1, 10)}
    ratio = 90 / sum(demand[k] * w[k] for k in w)
    assert by_square(acc.table["access"]) == pytest.approx({k: w[k] * ratio for k in w})
    assert "thirds" in acc.attrs["decay"]


def test_gravity_default_is_gaussian_of_half_the_threshold():
    smap = grid_map([service("C", capacity=90, capacity_unit="places", max_distance=3000)],
                    [site("C1", "C", k=5)])
    acc = accessibility(smap, need="drug", method="gravity")
    d = {k: np.hypot(((k - 1) % 3 - 1) * 1000, ((k - 1) // 3 - 1) * 1000)
         for k in range(1, 10)}
    w = {k: np.exp(-d[k] ** 2 / (2 * 1500.0 ** 2)) for k in d}
    ratio = 90 / sum((10 + k) * w[k] for k in w)
    assert by_square(acc.table["access"]) == pytest.approx({k: w[k] * ratio for k in w})


def test_nearest(smap):
    phone = grid_map([service("A", capacity=100, capacity_unit="places", max_distance=1500),
                      service("P", reach="none", footprint="E06000002")],
                     [site("A1", "A", k=1), site("P1", "P", mode="phone")])
    acc = accessibility(phone, need="drug", method="nearest")
    assert by_square(acc.table["service"].fillna("-")) == {1: "A", 2: "A", 3: "-", 4: "A",
                                                      5: "A", 6: "-", 7: "-", 8: "-",
                                                      9: "-"}
    assert acc.table.loc[code(5), "cost"] == pytest.approx(1000 * np.sqrt(2))
    assert np.isnan(acc.table.loc[code(9), "cost"])
    assert by_square(acc.table["remote_services"]) == {k: int(k in (3, 6, 9)) for k in range(1, 10)}
    # straight line to A's site, catchments aside: square 9 is 2828 m away
    assert acc.table.loc[code(9), "distance"] == pytest.approx(2000 * np.sqrt(2))


def test_zero_demand_catchment_and_services_without_capacity():
    areas = grid_map([service("A", reach="none")], [site("P", "A", mode="phone")]).areas
    areas["need_drug"] = [0.0] * 8 + [5.0]
    smap = grid_map([service("A", capacity=10, capacity_unit="places", max_distance=600),
                     service("B", capacity=10, capacity_unit="places", max_distance=600),
                     service("N", max_distance=600)],
                    [site("A1", "A", k=1), site("B1", "B", k=9), site("N1", "N", k=9)],
                    areas=areas.reset_index())
    with pytest.warns(sm.ServiceMapWarning, match="1 service meeting drug has no capacity"):
        acc = accessibility(smap, need="drug")
    assert acc.attrs["no_demand"] == ["A"]      # square 1 has no demand
    assert acc.attrs["excluded"] == {"N": "no capacity given"}
    assert acc.table.loc[code(1), "access"] == 0.0    # A's ratio is undefined: it serves no one
    assert acc.table.loc[code(9), "access"] == pytest.approx(10 / 5)


def test_capacity_units_are_never_added(smap):
    mixed = grid_map([service("A", capacity=100, capacity_unit="places", max_distance=1500),
                      service("B", capacity=900, capacity_unit="clients_per_year",
                              max_distance=1500)],
                     [site("A1", "A", k=1), site("B1", "B", k=9)])
    with pytest.raises(ValueError, match=r"2 units: clients_per_year \(1\), places \(1\)"):
        accessibility(mixed, need="drug")
    three = grid_map([service("A", capacity=100, capacity_unit="places", max_distance=1500),
                      service("B", capacity=900, capacity_unit="clients_per_year",
                              max_distance=1500),
                      service("C", capacity=50, capacity_unit="places", max_distance=1500)],
                     [site("A1", "A", k=1), site("B1", "B", k=9), site("C1", "C", k=5)])
    with pytest.raises(ValueError, match="such as capacity_unit='places'"):  # the commoner
        accessibility(three, need="drug")
    acc = accessibility(mixed, need="drug", capacity_unit="places")
    assert acc.attrs["excluded"] == {"B": "capacity in clients_per_year, not places"}
    assert acc.table.loc[code(9), "access"] == 0.0


def test_bad_arguments(smap):
    with pytest.raises(ValueError, match="method='3sfca': choose one of 2sfca"):
        accessibility(smap, need="drug", method="3sfca")
    with pytest.raises(ValueError, match="no column need_alcohol.*need columns: need_drug"):
        accessibility(smap, need="alcohol")
    with pytest.raises(ValueError, match="weights= is for method='e2sfca'"):
        accessibility(smap, need="drug", weights={1000: 1})
    with pytest.raises(ValueError, match="one finite weight of 0 or more per cost"):
        accessibility(smap, need="drug", method="gravity", weights=lambda c: -c)
    with pytest.raises(ValueError, match="a cost may be 0"):  # 0 ** -1 is infinite
        accessibility(smap, need="drug", method="gravity",
                      weights=lambda c: np.divide(1.0, c, out=np.full_like(c, np.inf),
                                                  where=c > 0))
    for bad in ({}, {1000: float("nan")}, {float("inf"): 1}, {1000: -1}):
        with pytest.raises(ValueError, match="give at least one step"):
            accessibility(smap, need="drug", method="e2sfca", weights=bad)


def test_a_weight_of_zero_is_not_reached(smap):
    # steps stop at 500 m: only squares 1 and 9 (0 m from a site) have weight above 0
    acc = accessibility(smap, need="drug", method="e2sfca", weights={500: 1.0})
    assert by_square(acc.table["services"]) == {k: int(k in (1, 9)) for k in range(1, 10)}
    assert acc.table.loc[code(2), "supply_in_reach"] == 0


def test_nearest_never_compares_minutes_with_metres():
    times = pd.DataFrame({"area": [code(9)], "site": ["M"], "minutes": [25]})
    mixed = grid_map([service("S", max_minutes=30), service("D", max_distance=1500)],
                     [site("M", "S", k=9), site("D1", "D", k=8)], travel_times=times)
    with pytest.raises(ValueError, match="reach by metres and by minutes"):
        accessibility(mixed, need="drug", method="nearest")


def test_nearest_with_no_service_for_the_need():
    smap = grid_map([service("S", needs="alcohol", max_distance=1500)], [site("A", "S", k=1)])
    acc = accessibility(smap, need="drug", method="nearest")
    assert acc.table["service"].isna().all() and acc.table["distance"].isna().all()


# -- agreement with PySAL access -------------------------------------------------------
def random_case(seed, n_side=18, n_services=30, radius=2500.0):
    """n_side^2 1 km squares with random demand; services with one site each."""
    rng = np.random.default_rng(seed)
    areas = []
    for j in range(n_side):
        for i in range(n_side):
            k = j * n_side + i
            areas.append({"code": f"E01{k:06d}", "name": f"A{k}",
                          "population": 1000.0, "need_drug": float(rng.integers(0, 40)),
                          "geometry": shapely.box(X0 + i * 1000, Y0 + j * 1000,
                                                  X0 + (i + 1) * 1000,
                                                  Y0 + (j + 1) * 1000)})
    areas = gpd.GeoDataFrame(areas, crs=27700)
    # sites in the middle 60% of the grid, so that some corner areas reach nothing
    lo, hi = 0.2 * n_side * 1000, 0.8 * n_side * 1000
    services = [service(f"S{j}", capacity=int(rng.integers(10, 200)),
                        capacity_unit="places", max_distance=radius)
                for j in range(n_services)]
    sites = [{"id": f"T{j}", "name": f"T{j}", "services": f"S{j}",
              "easting": X0 + rng.uniform(lo, hi), "northing": Y0 + rng.uniform(lo, hi)}
             for j in range(n_services)]
    return grid_map(services, sites, areas=areas)


def peer(smap, radius):
    """An access.Access object fed a cost table from gpd.sjoin(predicate='dwithin')."""
    areas, services, sites = smap.areas, smap.services, smap.sites
    x, y, _ = area_points(areas)
    points = gpd.GeoDataFrame({"origin": areas.index}, geometry=shapely.points(x, y),
                              crs=27700)
    located = gpd.GeoDataFrame({"dest": sites["services"].str[0].to_numpy()},
                               geometry=sites.geometry.values, crs=27700)
    pairs = gpd.sjoin(points, located, predicate="dwithin", distance=radius)
    pairs["cost"] = shapely.distance(points.geometry.values[pairs.index],
                                     located.geometry.values[pairs["index_right"]])
    cost = pd.DataFrame(pairs[["origin", "dest", "cost"]]).reset_index(drop=True)
    demand = pd.DataFrame({"origin": areas.index,
                           "need": areas["need_drug"].to_numpy()})
    supply = pd.DataFrame({"dest": services.index,
                           "capacity": services["capacity"].to_numpy(dtype=float)})
    return access.Access(demand_df=demand, demand_index="origin", demand_value="need",
                         supply_df=supply, supply_index="dest", supply_value="capacity",
                         cost_df=cost, cost_origin="origin", cost_dest="dest",
                         cost_name="cost")


def compare(report, theirs):
    ours = report.table
    theirs = theirs.reindex(ours.index)
    unreached = ours["services"] == 0
    assert unreached.any() and (~unreached).any()
    # access leaves areas that reach nothing as NaN; we give 0 and say so
    assert theirs[unreached].isna().all()
    assert (ours.loc[unreached, "access"] == 0).all()
    np.testing.assert_allclose(ours.loc[~unreached, "access"].to_numpy(),
                               theirs[~unreached].to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_2sfca_agrees_with_access(seed):
    radius = 2500.0
    smap = random_case(seed, radius=radius)
    ours = accessibility(smap, need="drug")
    theirs = peer(smap, radius).two_stage_fca(name="fca", max_cost=radius)["fca_capacity"]
    compare(ours, theirs)


@pytest.mark.parametrize("seed", [0, 3])
def test_e2sfca_agrees_with_access(seed):
    radius = 2500.0
    steps = {800.0: 1.0, 1600.0: 0.68, 2500.0: 0.22}
    smap = random_case(seed, radius=radius)
    ours = accessibility(smap, need="drug", method="e2sfca", weights=steps)
    theirs = peer(smap, radius).enhanced_two_stage_fca(
        name="e2", max_cost=radius, weight_fn=access.weights.step_fn(steps))["e2_capacity"]
    compare(ours, theirs)


def test_gravity_agrees_with_access_gaussian():
    radius = 2500.0
    smap = random_case(4, radius=radius)
    decay = access.weights.gaussian(900.0)
    ours = accessibility(smap, need="drug", method="gravity", weights=decay)
    theirs = peer(smap, radius).two_stage_fca(name="g", max_cost=radius,
                                              weight_fn=decay)["g_capacity"]
    compare(ours, theirs)


def test_hand_case_agrees_with_access(smap):
    ours = accessibility(smap, need="drug")
    theirs = peer(smap, 1500.0).two_stage_fca(name="fca", max_cost=1500.0)["fca_capacity"]
    compare(ours, theirs)


# -- the report ----------------------------------------------------------------------
def test_every_method_has_the_same_columns(smap):
    from servicemap.analysis.accessibility import COLUMNS

    reports = {m: accessibility(smap, need="drug", method=m)
               for m in ("2sfca", "e2sfca", "gravity", "nearest")}
    for report in reports.values():
        assert report.table.columns.tolist() == list(COLUMNS)
        assert report.table.index.equals(smap.areas.index)
        assert isinstance(report, sm.AccessReport)
    # each method leaves the other's columns empty, and says so
    assert reports["2sfca"].table["distance"].isna().all()
    assert reports["nearest"].table["access"].isna().all()
    assert "method='nearest' fills them" in reports["2sfca"].notes[-1]
    # services reaching: the same count, whichever the method (0/1 weights here)
    assert by_square(reports["nearest"].table["services"]) == by_square(
        reports["2sfca"].table["services"])
    # squares 3 and 7 reach nothing
    assert reports["2sfca"].notes[0] == ("2 areas with people in need are reached by no "
                                         "in-person service for drug treatment; their "
                                         "access is 0.")


def test_explain_adds_up_to_the_access(smap):
    acc = accessibility(smap, need="drug")
    why = acc.explain(code(5))
    r_a, r_b = 100 / 52, 60 / 68  # as in test_2sfca_by_hand
    assert why.index.tolist() == ["A", "B"]
    assert why["cost"].tolist() == pytest.approx([1000 * np.sqrt(2)] * 2)
    assert why["weight"].tolist() == [1.0, 1.0]
    assert why["capacity"].tolist() == [100.0, 60.0]
    assert why["demand_in_reach"].tolist() == [52.0, 68.0]
    assert why["access"].tolist() == pytest.approx([r_a, r_b])
    assert why["access"].sum() == pytest.approx(acc.table.loc[code(5), "access"])
    # square 5's 15 people take 15/52 of A's places and 15/68 of B's
    assert why["supply_share"].tolist() == pytest.approx([15 / 52, 15 / 68])
    assert why.attrs["headline"] == (  # (100 / 52 + 60 / 68) = 2.8054
        f"{code(5)} (Square 5): 2.81 places per person in need (2,805.4 per 1,000) from "
        "2 in-person services for drug treatment; 15.0 people with the need.")
    nobody = acc.explain(code(3))
    assert len(nobody) == 0
    assert nobody.attrs["headline"] == (f"{code(3)} (Square 3): no in-person service for "
                                        "drug treatment reaches it; 13.0 people with the "
                                        "need.")
    with pytest.raises(KeyError, match="'E99' is not an area of this report"):
        acc.explain("E99")


def test_summary_pools_access_by_lad(smap):
    acc = accessibility(smap, need="drug")
    out = acc.summary("lad", suppress=None)
    r_a, r_b = 100 / 52, 60 / 68
    # E06000001: squares 1, 2, 4, 5, 7, 8 (need 11, 12, 14, 15, 17, 18); 7 reaches nothing
    first = out.loc["E06000001"]
    assert (first["areas"], first["demand"], first["demand_unreached"]) == (6, 87, 17)
    assert first["access"] == pytest.approx(
        (r_a * (11 + 12 + 14) + 15 * (r_a + r_b) + 18 * r_b) / 87)
    # E06000002: squares 3, 6, 9 (need 13, 16, 19); 3 reaches nothing
    assert out.loc["E06000002", "access"] == pytest.approx((16 + 19) * r_b / 48)
    # the whole map: every place shared out over all the need
    assert out.loc["total", "access"] == pytest.approx(160 / 135)
    assert out.loc["total", "access_per_1000"] == pytest.approx(160_000 / 135)
    assert np.isnan(out.loc["total", "distance"])
    published = acc.summary("lad")
    assert published["demand"].tolist() == [87, 48, 135]
    assert published["demand_unreached"].tolist() == [17, 13, 30]
    hidden = acc.summary("lad", suppress=15)  # 13 is hidden, and 17 with it
    assert hidden["demand_unreached"].isna().tolist() == [True, True, False]
    with pytest.raises(ValueError, match="by='ladd'"):
        acc.summary("ladd")


def test_nearest_summary_weights_distance_by_need(smap):
    near = accessibility(smap, need="drug", method="nearest")
    out = near.summary("lad", suppress=None)
    d = near.table["distance"]
    need = smap.areas["need_drug"]
    lad = smap.areas["lad_code"] == "E06000002"
    assert out.loc["E06000002", "distance"] == pytest.approx(
        (d[lad] * need[lad]).sum() / need[lad].sum())
    assert np.isnan(out.loc["total", "access"])


def test_plot_maps_access(smap):
    import matplotlib.pyplot as plt

    acc = accessibility(smap, need="drug")
    ax = acc.plot()
    try:
        assert ax.get_title() == "Access to drug treatment (2SFCA)"
        assert ax.figure.axes[-1].get_ylabel() == "places per 1,000 people in need"
        [polys] = ax.collections
        # square 5 reaches both services: the most access, the top of the colours
        assert np.allclose(polys.get_facecolors()[4], plt.get_cmap("YlOrRd")(1.0))
    finally:
        plt.close("all")
    with pytest.raises(ValueError, match="column='unit'"):
        acc.plot(column="unit")


# -- remote support, provision for the question ----------------------------------------
def test_a_remote_line_gives_no_supply_and_is_reported():
    # A: 100 places, 1500 m from square 1 (squares 1, 2, 4, 5: demand 11 + 12 + 14 +
    # 15 = 52). R: a 24/7 phone line with 1000 places taking every square: remote.
    smap = grid_map(
        [service("A", capacity=100, capacity_unit="places", max_distance=1500),
         service("R", capacity=1000, capacity_unit="places", reach="none",
                 hours="24/7")],
        [site("A1", "A", k=1), site("R1", "R", mode="phone")])
    acc = accessibility(smap, need="drug")
    near = (1, 2, 4, 5)
    assert by_square(acc.table["access"]) == pytest.approx(
        {k: 100 / 52 if k in near else 0.0 for k in range(1, 10)})
    assert by_square(acc.table["services"]) == {k: int(k in near) for k in range(1, 10)}
    assert by_square(acc.table["remote_services"]) == dict.fromkeys(range(1, 10), 1)
    assert acc.attrs["excluded"] == {"R": "remote (phone or online only): support, not "
                                          "reach"}
    assert acc.attrs["map_ratio"] == pytest.approx(100 / 135)   # R's 1000 not counted
    # squares 3, 6, 7, 8, 9 are unreached in person, with remote support only
    assert acc.notes[0] == ("5 areas with people in need are reached by no in-person "
                            "service for drug treatment (5 of them with remote support "
                            "only: remote_services); their access is 0.")
    assert acc.explain(code(9)).attrs["headline"] == (
        f"{code(9)} (Square 9): no in-person service for drug treatment reaches it; 1 "
        "remote service (phone or online only) takes it: support, not reach; 19.0 people "
        "with the need.")
    total = acc.summary("lad", suppress=None).loc["total"]
    assert (total["demand_unreached"], total["demand_remote_only"]) == (135 - 52, 83)
    # nearest: R is never the nearest, and never makes a square reached
    nearest = accessibility(smap, need="drug", method="nearest")
    assert by_square(nearest.table["services"]) == by_square(acc.table["services"])
    assert nearest.table["service"].isna().sum() == 5
    assert by_square(nearest.table["remote_services"]) == dict.fromkeys(range(1, 10), 1)
    assert nearest.attrs["excluded"] == acc.attrs["excluded"]


@pytest.fixture
def harm():
    """A: treatment (psychosocial), 100 places at square 1; N: a pharmacy's naloxone
    (harm reduction), 60 places at square 9; both 1500 m, as in the hand case."""
    return grid_map(
        [service("A", interventions="psychosocial", capacity=100, capacity_unit="places",
                 max_distance=1500),
         service("N", interventions="naloxone", capacity=60, capacity_unit="places",
                 max_distance=1500)],
        [site("A1", "A", k=1), site("N1", "N", k=9)])


def test_drug_supply_is_treatment_unless_asked(harm):
    r_a, r_b = 100 / 52, 60 / 68   # A's demand: 1, 2, 4, 5; N's: 5, 6, 8, 9
    default = accessibility(harm, need="drug")
    assert default.attrs["provision"] == "drug treatment"
    assert default.attrs["counted"] == ["A"] and default.attrs["excluded"] == {}
    assert by_square(default.table["access"]) == pytest.approx(
        {k: r_a if k in (1, 2, 4, 5) else 0.0 for k in range(1, 10)})
    anything = accessibility(harm, need="drug", intervention="any")
    assert by_square(anything.table["access"]) == pytest.approx(
        {1: r_a, 2: r_a, 4: r_a, 5: r_a + r_b, 6: r_b, 8: r_b, 9: r_b, 3: 0.0, 7: 0.0})
    for asked in ("harm_reduction", "naloxone", ["naloxone"]):
        reduction = accessibility(harm, need="drug", intervention=asked)
        assert by_square(reduction.table["access"]) == pytest.approx(
            {k: r_b if k in (5, 6, 8, 9) else 0.0 for k in range(1, 10)}), asked
    named = accessibility(harm, need="drug", to="N")
    assert named.attrs["counted"] == ["N"]
    with pytest.raises(ValueError, match="intervention='cure'"):
        accessibility(harm, need="drug", intervention="cure")
    with pytest.raises(ValueError, match="'any' counts every service"):
        accessibility(harm, need="drug", intervention=["any", "naloxone"])

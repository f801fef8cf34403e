"""Time the reach matrix, coverage and accessibility on the synthetic national case.

Run as ``python benchmarks/bench_reach.py``; prints figures, asserts nothing. The peer,
PySAL access, is fed a cost table from ``gpd.sjoin(predicate="dwithin")`` at the
largest reach (20 km) and timed in the same run, as is our own pipeline at that
single 20 km reach, so the ratio compares like with like. Peak memory is measured
with tracemalloc around each step (numpy, scipy and pandas allocations are traced).
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
import warnings

import numpy as np

REPEATS = 3
RADIUS = 20_000.0


def timed(fn, repeats=REPEATS):
    """Median seconds over repeats, the result, and the peak traced memory (MB).

    Memory is traced in one extra run, so that tracing does not slow the timed ones.
    """
    times = []
    for _ in range(repeats):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    gc.collect()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return statistics.median(times), out, peak


def peer_access(smap):
    """PySAL access 2SFCA + E2SFCA for drug places, fed an sjoin cost table."""
    import access
    import geopandas as gpd
    import pandas as pd
    import shapely

    from servicemap.geography import area_points

    areas, services, sites = smap.areas, smap.services, smap.sites
    drug = services.index[services["needs"].map(lambda n: "drug" in n)
                          & (services["reach"] == "distance")]
    x, y, _ = area_points(areas)
    points = gpd.GeoDataFrame({"origin": areas.index}, geometry=shapely.points(x, y),
                              crs=27700)
    located = sites[sites.geometry.notna()].explode("services")
    located = located[located["services"].isin(drug)]
    dest = gpd.GeoDataFrame({"dest": located["services"].to_numpy()},
                            geometry=located.geometry.values, crs=27700)
    pairs = gpd.sjoin(points, dest, predicate="dwithin", distance=RADIUS)
    pairs["cost"] = shapely.distance(points.geometry.values[pairs.index],
                                     dest.geometry.values[pairs["index_right"]])
    cost = (pd.DataFrame(pairs[["origin", "dest", "cost"]])
            .groupby(["origin", "dest"], as_index=False)["cost"].min())
    demand = pd.DataFrame({"origin": areas.index, "need": areas["need_drug"].to_numpy()})
    supply = pd.DataFrame({"dest": drug, "capacity": services.loc[drug, "capacity"]
                           .to_numpy(dtype=float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = access.Access(demand_df=demand, demand_index="origin", demand_value="need",
                          supply_df=supply, supply_index="dest", supply_value="capacity",
                          cost_df=cost, cost_origin="origin", cost_dest="dest",
                          cost_name="cost")
        two = a.two_stage_fca(name="fca", max_cost=RADIUS)
        steps = {RADIUS / 3: 1.0, 2 * RADIUS / 3: 0.68, RADIUS: 0.22}
        e2 = a.enhanced_two_stage_fca(name="e2", max_cost=RADIUS,
                                      weight_fn=access.weights.step_fn(steps))
    return two, e2


def main() -> None:
    from synthetic import national_map

    import servicemap as sm

    smap = national_map()
    print(f"synthetic national case: {len(smap.areas):,} areas, "
          f"{len(smap.services):,} services, {len(smap.sites):,} sites")

    def ours(m, max_distance=None):
        def run():
            m._cache.clear()
            reach = sm.reach_matrix(m, max_distance=max_distance)
            two = sm.accessibility(m, need="drug", max_distance=max_distance)
            e2 = sm.accessibility(m, need="drug", method="e2sfca",
                                  max_distance=max_distance)
            return reach, two.table, e2.table
        return run

    def reach_only():
        smap._cache.clear()
        return sm.reach_matrix(smap)

    t_reach, reach, m_reach = timed(reach_only)
    print(f"reach matrix (5-20 km)            {t_reach:6.3f} s  peak {m_reach:6.0f} MB  "
          f"({reach.nnz:,} pairs)")
    t_cov, cov, m_cov = timed(lambda: sm.coverage(smap))
    print(f"coverage need x group x band      {t_cov:6.3f} s  peak {m_cov:6.0f} MB  "
          f"({len(cov.table):,} rows; reach matrix cached)")
    t_all, _, m_all = timed(ours(smap))
    print(f"reach + 2SFCA + E2SFCA (5-20 km)  {t_all:6.3f} s  peak {m_all:6.0f} MB")
    plain = national_map(plain=True)
    print("like with like: all 5,000 services located, meeting drug, no footprints, "
          "one 20 km reach")
    t_20, (_, two, e2), m_20 = timed(ours(plain, RADIUS))
    print(f"reach + 2SFCA + E2SFCA (20 km)    {t_20:6.3f} s  peak {m_20:6.0f} MB")
    t_peer, (p_two, p_e2), m_peer = timed(lambda: peer_access(plain), repeats=1)
    print(f"PySAL access fed by sjoin (20 km) {t_peer:6.3f} s  peak {m_peer:6.0f} MB")
    print(f"ratio access / ours at 20 km      {t_peer / t_20:6.1f} x")
    got = p_two["fca_capacity"].reindex(two.index)
    reached = two["services"] > 0
    diff = np.nanmax(np.abs(two.loc[reached, "access"] - got[reached]))
    print(f"largest difference from access (2SFCA, areas reaching a service): {diff:.2e}")
    diff_e2 = np.nanmax(np.abs(e2.loc[reached, "access"]
                               - p_e2["e2_capacity"].reindex(e2.index)[reached]))
    print(f"largest difference from access (E2SFCA, thirds of 20 km):          {diff_e2:.2e}")
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"peak resident memory of this whole run: {rss:,.0f} MB")


if __name__ == "__main__":
    main()

"""Benchmark: servicemap.interpolate against tobler's area_interpolate.

A deterministic synthetic case the size of a region: 35,000 source squares of 200 m
(a 175 x 200 grid) moved to 7,000 Voronoi cells (seed 0) covering the same ground, with
one extensive and one intensive column. Both libraries run in the same process on the
same frames; the script prints wall times (best of a few runs), peak Python memory
(tracemalloc, in a separate run so that tracing does not slow the timed ones), the
largest difference between the two results and the conservation of the total.

Run with ``python benchmarks/bench_interpolation.py``. It prints figures; it asserts
nothing.
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

import servicemap as sm
from servicemap import interpolation

NX, NY, SIZE = 175, 200, 200.0  # 35,000 squares of 200 m
N_TARGETS = 7_000
X0, Y0 = 480_000.0, 200_000.0  # somewhere in the East of England
REPEATS = 3


def make_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rng = np.random.default_rng(0)
    gx, gy = np.meshgrid(X0 + np.arange(NX) * SIZE, Y0 + np.arange(NY) * SIZE)
    x, y = gx.ravel(), gy.ravel()
    squares = shapely.box(x, y, x + SIZE, y + SIZE)
    source = gpd.GeoDataFrame(
        {"people": rng.poisson(40, len(squares)).astype(float),
         "score": rng.uniform(0, 100, len(squares))},
        geometry=squares, index=pd.Index([f"s{i:05d}" for i in range(len(squares))],
                                         name="code"), crs=27700)
    extent = shapely.box(X0, Y0, X0 + NX * SIZE, Y0 + NY * SIZE)
    seeds = shapely.points(rng.uniform(X0, X0 + NX * SIZE, N_TARGETS),
                           rng.uniform(Y0, Y0 + NY * SIZE, N_TARGETS))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                       extend_to=extent))
    cells = shapely.intersection(cells, extent)
    target = gpd.GeoDataFrame(geometry=cells, index=pd.Index(
        [f"t{i:04d}" for i in range(len(cells))], name="cell"), crs=27700)
    return source, target


def run_servicemap(source, target):
    return sm.interpolate(source, target, extensive="people", intensive="score")


def run_servicemap_one_thread(source, target):
    limit = interpolation._PARALLEL_PAIRS
    interpolation._PARALLEL_PAIRS = np.inf  # intersections in one thread
    try:
        return run_servicemap(source, target)
    finally:
        interpolation._PARALLEL_PAIRS = limit


def run_tobler(source, target):
    from tobler.area_weighted import area_interpolate

    return area_interpolate(source, target, extensive_variables=["people"],
                            intensive_variables=["score"])


def best_time(fn, *args) -> tuple[float, object]:
    times, out = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), out


def peak_memory(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    warnings.simplefilter("error")  # any warning (a lost total) would show here
    start = time.perf_counter()
    source, target = make_layers()
    print(f"synthetic case: {len(source):,} source squares of {SIZE:.0f} m -> "
          f"{len(target):,} Voronoi targets, built in {time.perf_counter() - start:.2f} s")
    run_tobler(source.iloc[:10], target.iloc[:10])  # import tobler outside the timings

    t_sm, ours = best_time(run_servicemap, source, target)
    t_one, _ = best_time(run_servicemap_one_thread, source, target)
    t_tb, theirs = best_time(run_tobler, source, target)
    m_sm = peak_memory(run_servicemap, source, target)
    m_tb = peak_memory(run_tobler, source, target)

    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    print(f"{'':>34} {'time (best of ' + str(REPEATS) + ')':>18} {'peak traced memory':>20}")
    rows = [(f"servicemap.interpolate ({threads} CPUs)", t_sm, m_sm),
            ("servicemap.interpolate (1 thread)", t_one, None),
            ("tobler.area_interpolate", t_tb, m_tb)]
    for name, t, m in rows:
        mem = f"{m:>17.0f} MB" if m is not None else f"{'':>20}"
        print(f"{name:>34} {t:>16.2f} s {mem}")
    print(f"tobler time / servicemap time: {t_tb / t_sm:.2f} ({t_tb / t_one:.2f} in one "
          "thread). Traced memory counts Python and numpy allocations, not GEOS "
          "geometries.")
    for col in ["people", "score"]:
        diff = np.abs(ours[col].to_numpy() - theirs[col].to_numpy())
        rel = diff / np.maximum(np.abs(theirs[col].to_numpy()), 1e-12)
        print(f"{col}: largest difference from tobler {diff.max():.3g} "
              f"(relative {rel.max():.2g}; tobler keeps areas in float32)")
    total_in, total_out = source["people"].sum(), ours["people"].sum()
    print(f"people: {total_in:,.0f} in, {total_out:,.6f} out "
          f"(relative difference {abs(total_out - total_in) / total_in:.1g}); "
          f"unallocated {ours.attrs['unallocated']['people']:.3g}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"process peak resident memory: {rss:.0f} MB")


if __name__ == "__main__":
    main()

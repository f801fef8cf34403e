"""Time find_gaps on the synthetic national case (35,000 areas x 5,000 services).

Run as ``python benchmarks/bench_gaps.py``; prints figures, asserts nothing. The reach
matrices (with and without footprints) are built once before timing and shared
through the map's cache, as they are in a session; the first, cold run is timed too.
"""

from __future__ import annotations

import time
import warnings

from bench_reach import timed
from synthetic import national_map

import servicemap as sm


def main() -> None:
    smap = national_map()
    print(f"map: {len(smap.areas):,} areas, {len(smap.services):,} services")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        report = sm.find_gaps(smap)
        cold = time.perf_counter() - t
        seconds, report, peak = timed(lambda: sm.find_gaps(smap))
        sweep, swept, _ = timed(lambda: sm.find_gaps(
            smap, need="drug", max_distance=[5_000, 10_000, 15_000]), repeats=1)
    print(f"find_gaps, all {len(report.attrs['need'])} needs, cold (reach matrices "
          f"built): {cold:.2f} s")
    print(f"find_gaps, all needs, warm: {seconds:.2f} s, {len(report.table):,} gap rows, "
          f"traced peak {peak:.0f} MB")
    print(f"sensitivity, drug at 5/10/15 km (three reach matrices): {sweep:.2f} s")
    print(swept.sensitivity[["need_in_gaps", "areas_in_gaps"]].round(0).to_string())
    print(report.totals().round(3).to_string())


if __name__ == "__main__":
    main()

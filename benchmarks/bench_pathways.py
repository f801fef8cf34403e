"""Time trace_pathways and single points of failure on the synthetic national case.

35,000 areas, 5,000 services and a random referral graph of about 20,000 pathways
(``synthetic.national_pathways``). Run as ``python benchmarks/bench_pathways.py``;
prints figures, asserts nothing. The first run builds the reach matrix (cold); the
others share it through the map's cache, as in a session.
"""

from __future__ import annotations

import time
import warnings

from bench_reach import timed
from synthetic import national_pathways, national_tables

import servicemap as sm


def main() -> None:
    tables = national_tables()
    pathways = national_pathways(tables)
    t = time.perf_counter()
    smap = sm.ServiceMap.from_frames(**tables, pathways=pathways)
    print(f"map: {len(smap.areas):,} areas, {len(smap.services):,} services, "
          f"{len(smap.pathways):,} pathways (built in {time.perf_counter() - t:.1f} s)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        routes = sm.trace_pathways(smap, entry="police_vulnerable_persons", need="drug")
        cold = time.perf_counter() - t
        warm, routes, peak = timed(lambda: sm.trace_pathways(
            smap, entry="police_vulnerable_persons", need="drug"))
        def single_points():
            routes._cache.clear()  # computed once per report otherwise
            return routes.single_points_of_failure()

        spof_s, spof, spof_peak = timed(single_points)
        adults = sm.trace_pathways(smap, entry="prison_release", need="drug",
                                   client_group="adults")
        t = time.perf_counter()
        adults.single_points_of_failure()
        adult_spof = time.perf_counter() - t
    counts = routes.table["status"].value_counts().to_dict()
    print(f"trace_pathways, police to drug services, cold (reach matrix built): "
          f"{cold:.2f} s")
    print(f"trace_pathways, warm: {warm:.2f} s, traced peak {peak:.0f} MB; {counts}; "
          f"{len(routes.chains):,} distinct chains, longest "
          f"{int(routes.chains['hand_offs'].max())} hand-offs")
    print(f"single points of failure: {spof_s:.2f} s, traced peak {spof_peak:.0f} MB; "
          f"{len(spof):,} services cut off {spof['areas'].sum():,} area routes")
    print(f"prison release, adults: trace and {adult_spof:.2f} s for single points; "
          f"{adults.table['status'].value_counts().to_dict()}")
    print(f"trace + single points, warm: {warm + spof_s:.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()

"""Time `import servicemap`, loading Bedfordshire and building a national-size map.

Run as ``python benchmarks/bench_foundation.py``; prints figures, asserts nothing.
Each import and load is timed in a fresh interpreter, so nothing is cached.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REPEATS = 5


def fresh(code: str) -> float:
    """Run code in a fresh interpreter and return the seconds it reports."""
    wrapped = (f"import time; t = time.perf_counter(); {code}; "
               "print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", wrapped], capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def national(n_areas: int = 35_000, n_services: int = 5_000) -> float:
    """Seconds to build (and validate) a synthetic national map from frames."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    import servicemap as sm

    rng = np.random.default_rng(0)
    side = int(np.ceil(np.sqrt(n_areas)))
    size = 3_000.0
    i = np.arange(n_areas)
    x0, y0 = 100_000 + (i % side) * size, 100_000 + (i // side) * size
    areas = gpd.GeoDataFrame(
        {"code": [f"E01{k:06d}" for k in i], "name": [f"Area {k}" for k in i],
         "lad_code": [f"E06{k // 100:06d}" for k in i],
         "population": rng.integers(1_000, 3_000, n_areas).astype(float),
         "need_drug": rng.uniform(0, 30, n_areas)},
        geometry=shapely.box(x0, y0, x0 + size, y0 + size), crs=27700)
    needs = np.array(["drug", "alcohol", "mental_health", "housing", "early_help"])
    services = pd.DataFrame({
        "id": [f"S{k}" for k in range(n_services)],
        "name": [f"Service {k}" for k in range(n_services)],
        "provider": "ORG",
        "needs": ["; ".join(rng.choice(needs, rng.integers(1, 4), replace=False))
                  for _ in range(n_services)],
        "client_groups": "adults", "hours": "Mon-Fri 09:00-17:00",
        "capacity": rng.integers(20, 400, n_services), "capacity_unit": "places",
        "max_distance": rng.uniform(5_000, 20_000, n_services)})
    extent = side * size
    sites = pd.DataFrame({
        "id": [f"T{k}" for k in range(n_services)],
        "name": [f"Site {k}" for k in range(n_services)],
        "services": services["id"],
        "easting": 100_000 + rng.uniform(0, extent, n_services),
        "northing": 100_000 + rng.uniform(0, extent * n_areas / side ** 2, n_services)})
    orgs = pd.DataFrame([{"id": "ORG", "name": "Provider", "kind": "voluntary"}])
    t = time.perf_counter()
    smap = sm.ServiceMap.from_frames(areas=areas, services=services, sites=sites,
                                     organisations=orgs)
    elapsed = time.perf_counter() - t
    assert smap.validate().ok
    return elapsed


def main() -> None:
    imports = [fresh("import servicemap") for _ in range(REPEATS)]
    loads = [fresh("import servicemap; servicemap.datasets.bedfordshire()")
             for _ in range(REPEATS)]
    only_load = [fresh("import servicemap, geopandas, pandas, pydantic; "
                       "t0 = time.perf_counter(); servicemap.datasets.bedfordshire(); "
                       "t = t0") for _ in range(REPEATS)]
    print(f"import servicemap                 median {statistics.median(imports):.3f} s"
          f"  (min {min(imports):.3f}, {REPEATS} fresh interpreters)")
    print(f"import + bedfordshire()           median {statistics.median(loads):.3f} s")
    print(f"bedfordshire() after the imports  median {statistics.median(only_load):.3f} s")
    seconds = national()
    print(f"from_frames, 35,000 areas x 5,000 services (validated): {seconds:.2f} s")


if __name__ == "__main__":
    main()

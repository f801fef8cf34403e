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
    """Seconds to build (and validate) the synthetic national map from frames."""
    from synthetic import national_tables

    import servicemap as sm

    tables = national_tables(n_areas, n_services)
    t = time.perf_counter()
    smap = sm.ServiceMap.from_frames(**tables)
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

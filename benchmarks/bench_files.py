"""Time writing and reading the Bedfordshire map as a GeoPackage and as HSDS.

Run as ``python benchmarks/bench_files.py``; prints figures, asserts nothing.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import servicemap as sm

REPEATS = 5


def timed(fn) -> tuple[float, object]:
    times, out = [], None
    for _ in range(REPEATS):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    smap = sm.datasets.bedfordshire()
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        gpkg = folder / "bedfordshire.gpkg"
        write, _ = timed(lambda: smap.to_file(gpkg))
        read, back = timed(lambda: sm.read_file(gpkg))
        size = gpkg.stat().st_size / 1e6
        print(f"GeoPackage  write {write * 1000:6.0f} ms   read {read * 1000:6.0f} ms   "
              f"{size:.1f} MB   equal: {back.equals(smap)}")
        hsds = folder / "hsds"
        write, _ = timed(lambda: smap.to_hsds(hsds))
        read, back = timed(lambda: sm.read_hsds(hsds, areas="bedfordshire"))
        read_json, back_json = timed(
            lambda: sm.read_hsds(hsds / "services.json", areas="bedfordshire"))
        size = sum(p.stat().st_size for p in hsds.iterdir()) / 1e6
        print(f"HSDS        write {write * 1000:6.0f} ms   read CSV {read * 1000:6.0f} ms   "
              f"read JSON {read_json * 1000:6.0f} ms   {size:.1f} MB   equal: "
              f"{back.equals(smap) and back_json.equals(smap)}")
        try:
            from servicemap.io.hsds import validate_hsds

            check, n = timed(lambda: validate_hsds(hsds / "services.json"))
            print(f"HSDS 3.0 schema check of {n} services: {check * 1000:.0f} ms")
        except ImportError as exc:
            print(f"(schema check skipped: {exc})")


if __name__ == "__main__":
    main()

"""Time writing and reading a national-size workshop workbook: 5,000 services.

Run as ``python benchmarks/bench_workbook.py``; prints figures, asserts nothing.
The synthetic national map (35,000 areas, 5,000 services, about 6,250 sites) is
written as an .xlsx workbook and as a CSV folder; its area polygons go to a
GeoPackage, as a workshop would give them with ``--areas``. Reading includes
checking every row and the records against each other, and reading the polygons.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from synthetic import national_tables

import servicemap as sm
from servicemap.io.workbook import validate_workbook, write_workbook

REPEATS = 3


def timed(fn, repeats: int = REPEATS) -> tuple[float, object]:
    """Return the median seconds of ``repeats`` calls and the last result."""
    seconds, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - t)
    return statistics.median(seconds), result


def national():
    """The synthetic national map, with figures to the precision a survey gives them.

    An .xlsx cell keeps 15 to 16 significant digits (Excel keeps 15), so eastings to
    the centimetre and distances to the metre make the round trip exact.
    """
    tables = national_tables()
    services, sites = tables["services"], tables["sites"]
    services["max_distance"] = services["max_distance"].round(0)
    sites[["easting", "northing"]] = sites[["easting", "northing"]].round(2)
    return sm.ServiceMap.from_frames(**tables)


def main() -> None:
    smap = national()
    print(f"map: {len(smap.areas):,} areas, {len(smap.services):,} services, "
          f"{len(smap.sites):,} sites")
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        gpkg = folder / "areas.gpkg"
        smap.areas.reset_index()[["code", "geometry"]].to_file(gpkg, layer="areas",
                                                               engine="pyogrio")
        # the Areas sheet then holds 35,000 rows of name and lad_code (the need
        # columns are left out, as a workshop gives its figures with the polygons)
        small = smap.replace(areas=smap.areas[["name", "lad_code", "geometry"]])
        seconds, xlsx = timed(lambda: write_workbook(small, folder / "national.xlsx",
                                                     overwrite=True), 1)
        print(f"write .xlsx                          {seconds:6.2f} s  "
              f"({xlsx.stat().st_size / 1e6:.1f} MB)")
        seconds, csv = timed(lambda: write_workbook(small, folder / "national",
                                                    overwrite=True), 1)
        print(f"write CSV folder                     {seconds:6.2f} s")
        seconds, read = timed(lambda: sm.read_workbook(xlsx, areas=gpkg))
        print(f"read_workbook .xlsx, areas from gpkg {seconds:6.2f} s  "
              f"(median of {REPEATS}; equal map: {read.equals(small)})")
        seconds, read = timed(lambda: sm.read_workbook(csv, areas=gpkg))
        print(f"read_workbook CSV folder             {seconds:6.2f} s  "
              f"(equal map: {read.equals(small)})")
        seconds, report = timed(lambda: validate_workbook(xlsx), 1)
        print(f"validate_workbook .xlsx, no areas    {seconds:6.2f} s  ({len(report)} "
              "problems and notes)")
        # the same workbook with one error in each of 100 service rows
        import openpyxl

        book = openpyxl.load_workbook(xlsx)
        ws = book["Services"]
        column = [c.value for c in ws[1]].index("capacity") + 1
        for row in range(2, 5002, 50):
            ws.cell(row, column).value = "about 40"
        book.save(folder / "errors.xlsx")

        def read_errors():
            try:
                sm.read_workbook(folder / "errors.xlsx", areas=gpkg)
            except sm.InputError as exc:
                return exc
            return None

        seconds, exc = timed(read_errors)
        print(f"read_workbook with 100 bad rows      {seconds:6.2f} s  "
              f"({len(exc.problems)} problems)")


if __name__ == "__main__":
    main()

"""Time ``import servicemap`` and ``servicemap --help`` beside their floors.

Run as ``python benchmarks/bench_import.py``; prints figures, asserts nothing. Each
command runs in a fresh interpreter, best of seven. The floors are a bare interpreter
and one that imports only the dependencies servicemap imports at its top (numpy,
pandas, geopandas, shapely, pyproj, scipy.sparse and scipy.spatial, networkx,
pydantic, matplotlib's colours, lines and patches without pyplot, openpyxl, typer), so
the difference is servicemap's own cost.
"""

from __future__ import annotations

import subprocess
import sys
import time

DEPENDENCIES = ("import numpy, pandas, geopandas, shapely, pyproj, scipy.sparse, "
                "scipy.spatial, networkx, pydantic, matplotlib.colors, matplotlib.lines, "
                "matplotlib.patches, openpyxl, typer")
COMMANDS = {
    "python (bare interpreter)": [sys.executable, "-c", "pass"],
    "the dependencies alone": [sys.executable, "-c", DEPENDENCIES],
    "import servicemap": [sys.executable, "-c", "import servicemap"],
    "servicemap --help": [sys.executable, "-m", "servicemap", "--help"],
}


def best_of(command: list[str], repeats: int = 7) -> float:
    """Return the fastest wall-clock time of ``repeats`` runs, in seconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    figures = {name: best_of(cmd) for name, cmd in COMMANDS.items()}
    for name, seconds in figures.items():
        print(f"{name:<28} {seconds:6.3f} s")
    own = figures["import servicemap"] - figures["the dependencies alone"]
    print(f"servicemap's own import cost beyond its dependencies: {own:.3f} s")


if __name__ == "__main__":
    main()

"""Time to_networkx and from_networkx on Bedfordshire and the synthetic national case.

Run as ``python benchmarks/bench_graph.py``; prints figures, asserts nothing.

``to_networkx`` is timed with the reach matrix already cached on the map (as after
any analysis) and, once, from a cold map (the reach matrix built in the run); with
``serves`` and rook adjacency, as by default. ``from_networkx`` rebuilds and
validates the whole map from the graph. The Kumu and GEXF exports are timed on
Bedfordshire.
"""

from __future__ import annotations

import tempfile
import warnings
from collections import Counter
from pathlib import Path

from bench_reach import timed

import servicemap as sm


def edge_counts(graph) -> str:
    counts = Counter(t for *_, t in graph.edges(data="type"))
    return ", ".join(f"{t} {n:,}" for t, n in counts.most_common())


def run(name: str, make, repeats: int) -> None:
    cold_map = make()
    cold, _, _ = timed(lambda: sm.graph.to_networkx(cold_map), repeats=1)
    smap = make()
    sm.reach_matrix(smap)
    build, graph, peak = timed(lambda: smap.to_networkx(), repeats=repeats)
    back_time, back, _ = timed(lambda: sm.from_networkx(graph), repeats=repeats)
    print(f"{name}: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} edges")
    print(f"  edges: {edge_counts(graph)}")
    print(f"  to_networkx   {build * 1000:8.0f} ms (reach cached; {cold * 1000:.0f} ms "
          f"cold), peak {peak:.0f} MB")
    print(f"  from_networkx {back_time * 1000:8.0f} ms   equal: {back.equals(smap)}")


def main() -> None:
    from synthetic import national_map

    run("Bedfordshire", sm.datasets.bedfordshire, repeats=5)
    smap = sm.datasets.bedfordshire()
    with tempfile.TemporaryDirectory() as d:
        kumu, _, _ = timed(lambda: smap.to_kumu(Path(d) / "b.json"), repeats=5)
        gexf, _, _ = timed(lambda: smap.to_gexf(Path(d) / "b.gexf"), repeats=5)
    print(f"  to_kumu {kumu * 1000:.0f} ms, to_gexf {gexf * 1000:.0f} ms")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sm.UnreachedWarning)
        run("national (35,000 areas, 5,000 services)", national_map, repeats=1)


if __name__ == "__main__":
    main()

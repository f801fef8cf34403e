"""Time find_overlaps on the synthetic national case and, by geometry, on Bedfordshire.

Run as ``python benchmarks/bench_overlaps.py``; prints figures, asserts nothing.

* national, by the reach matrix: 35,000 areas x 5,000 services (``synthetic.py``),
  timed with the reach matrix cached (as every analysis after the first finds it) and
  from a cold map (reach matrix built in the run);
* Bedfordshire, ``exact=True``: catchments drawn as polygons and areas cut by them;
* for reference, the way it is often done by hand: geopandas ``overlay`` of the drawn
  catchments with themselves and then with the areas, population by area weight, on a
  smaller synthetic case, with both results compared.

Peak memory is measured with tracemalloc in one extra run of each step.
"""

from __future__ import annotations

import warnings

import numpy as np
from bench_reach import timed


def overlay_pairs(smap, catchments):
    """Pairwise overlap by geopandas overlay: shared population per pair, area-weighted."""
    import geopandas as gpd

    areas = smap.areas.reset_index()[["code", "population", "geometry"]]
    areas["area_m2"] = areas.geometry.area
    cats = gpd.GeoDataFrame({"service": catchments.index}, geometry=catchments.values,
                            crs=27700)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = gpd.overlay(cats, cats, how="intersection", keep_geom_type=True)
        pairs = pairs[pairs["service_1"] < pairs["service_2"]]
        pieces = gpd.overlay(pairs, areas, how="intersection", keep_geom_type=True)
    pieces["pop"] = pieces["population"] * pieces.geometry.area / pieces["area_m2"]
    return pieces.groupby(["service_1", "service_2"])["pop"].sum()


def main() -> None:
    from synthetic import national_map

    import servicemap as sm

    smap = national_map()
    print(f"synthetic national case: {len(smap.areas):,} areas, "
          f"{len(smap.services):,} services")
    sm.reach_matrix(smap)
    t_warm, ovl, m_warm = timed(lambda: sm.find_overlaps(smap))
    print(f"find_overlaps, reach matrix cached     {t_warm:6.3f} s  peak {m_warm:5.0f} MB  "
          f"({len(ovl.table):,} pairs, {ovl.attrs['services_compared']:,} services)")

    def cold():
        smap._cache.clear()
        return sm.find_overlaps(smap)

    t_cold, _, m_cold = timed(cold)
    print(f"find_overlaps, reach matrix built too  {t_cold:6.3f} s  peak {m_cold:5.0f} MB")
    t_part, part, _ = timed(lambda: sm.find_overlaps(smap, need="drug"))
    print(f"find_overlaps, need='drug'             {t_part:6.3f} s  "
          f"({len(part.table):,} pairs)")
    t_sum, _, _ = timed(lambda: ovl.summary())
    print(f"summary() of all pairs                 {t_sum:6.3f} s")

    beds = sm.datasets.bedfordshire()

    def exact_cold():
        beds._cache.clear()  # catchments drawn and areas cut in the run
        return sm.find_overlaps(beds, exact=True)

    t_exact, exact, m_exact = timed(exact_cold)
    print(f"Bedfordshire, exact=True               {t_exact:6.3f} s  peak {m_exact:5.0f} MB  "
          f"({len(beds.areas)} areas, {len(exact.table)} pairs)")
    t_drawn, _, _ = timed(lambda: sm.find_overlaps(beds, exact=True))
    print(f"Bedfordshire, exact=True, fractions cached {t_drawn:6.3f} s  "
          "(geography.catchment_fractions drawn once per map)")
    t_fast, _, _ = timed(lambda: sm.find_overlaps(beds))
    print(f"Bedfordshire, by the reach matrix      {t_fast:6.3f} s")

    # the reference: drawn circles, ours against geopandas overlay, same polygons
    import geopandas as gpd
    import shapely

    small = national_map(n_areas=4_000, n_services=400, seed=1, plain=True)
    services, sites = small.services, small.sites
    site_of = sites.explode("services").groupby("services").geometry.first()
    circles = shapely.buffer(np.asarray(site_of.loc[services.index].values),
                             services["max_distance"].to_numpy(dtype=float), quad_segs=16)
    drawn = gpd.GeoSeries(circles, index=services.index, crs=27700)
    t_ours, ours, _ = timed(lambda: sm.find_overlaps(small, exact=True, catchments=drawn,
                                                     need="drug", client_group=None),
                            repeats=1)
    t_peer, peer, _ = timed(lambda: overlay_pairs(small, drawn), repeats=1)
    print(f"{len(small.areas):,} areas x {len(small.services)} services, drawn circles:")
    print(f"  find_overlaps(exact=True)            {t_ours:6.3f} s  ({len(ours.table):,} pairs)")
    print(f"  geopandas overlay, pairwise          {t_peer:6.3f} s  ({len(peer):,} pairs "
          f"with any overlap)")
    print(f"  ratio overlay / ours                 {t_peer / t_ours:6.1f} x")
    # the overlay pairs ignore needs and groups: compare on the pairs both report
    common = ours.table.index.intersection(peer.index)
    diff = np.max(np.abs(ours.table.loc[common, "shared_population"].to_numpy()
                         / peer.loc[common].to_numpy() - 1))
    print(f"  largest relative difference on {len(common):,} common pairs: {diff:.1e}")
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(f"peak resident memory of this whole run: {rss:,.0f} MB")


if __name__ == "__main__":
    main()

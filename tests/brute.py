"""A brute-force second method for the reach matrix: geopandas sjoin and plain loops."""

import geopandas as gpd
import pandas as pd
import shapely

from servicemap.geography import area_points


def brute_force_pairs(smap):
    """(area, service) -> cost of every reached pair, by sjoin and footprint loops.

    Distance services: sjoin(dwithin) of area points and located sites, the nearest
    site within the service's max_distance; reach none: every area of the footprint.
    The footprint is checked area by area against the area code and its parents.
    """
    areas, services = smap.areas, smap.services
    x, y, _ = area_points(areas)
    points = gpd.GeoDataFrame({"area": areas.index}, geometry=shapely.points(x, y),
                              crs=27700)
    sites = smap.sites.explode("services").rename(columns={"services": "service"})
    sites = sites[sites.geometry.notna()].join(services[["reach", "max_distance"]],
                                                 on="service")
    sites = sites[sites["reach"] == "distance"].reset_index(drop=True)
    pairs = gpd.sjoin(points, sites[["service", "max_distance", "geometry"]],
                      predicate="dwithin", distance=float(sites["max_distance"].max()))
    pairs["cost"] = shapely.distance(points.geometry.values[pairs.index],
                                     sites.geometry.values[pairs["index_right"]])
    pairs = pairs[pairs["cost"] <= pairs["max_distance"]]
    expected = pairs.groupby(["area", "service"])["cost"].min().reset_index()
    levels = [c for c in areas.columns if c.endswith("_code")]
    parents = areas[levels]
    foot = services["footprint"]

    def eligible(area, sid):
        fp = set(foot[sid])
        return not fp or bool({area, *parents.loc[area].dropna()} & fp)

    expected = expected[[eligible(a, s) for a, s in zip(expected.area, expected.service,
                                                         strict=True)]]
    rows = [(a, sid, 0.0) for sid in services.index[services["reach"] == "none"]
            for a in areas.index if eligible(a, sid)]
    expected = pd.concat([expected,
                          pd.DataFrame(rows, columns=["area", "service", "cost"])])
    return expected.set_index(["area", "service"])["cost"].sort_index()

"""A deterministic synthetic national case: about 35,000 areas like LSOAs, 5,000 services.

Areas are 2 km squares on a grid about the size of England (140,000 square km), with
populations of 1,000-3,000 and need indicators. Services meet 1-3 needs, serve 1-2
client groups, have capacities in places, a reach of 5-20 km from one or two sites,
and a mix of opening hours; one in ten is an outreach or phone service reaching its
LAD, and one in five is limited to its LAD. ``national_tables`` returns the frames, so
a benchmark can time building the map separately.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE = 2_000.0
X0 = Y0 = 100_000.0
NEEDS = np.array(["drug", "alcohol", "mental_health", "housing", "early_help",
                  "domestic_abuse"])
GROUPS = np.array(["adults", "young_people", "families", "women", "rough_sleepers"])
HOURS = np.array(["Mon-Fri 09:00-17:00", "Mon-Fri 09:00-20:00",
                  "Mon-Fri 09:00-17:00; Sat 10:00-14:00", "24/7", "Tue-Thu 12:00-21:00"])


def national_tables(n_areas: int = 35_000, n_services: int = 5_000,
                    seed: int = 0, plain: bool = False) -> dict[str, object]:
    """Return the frames of the synthetic national map, for ``ServiceMap.from_frames``.

    ``plain=True`` gives every service a located site, no footprint and the need
    ``drug`` among its needs: the case a peer without footprints (PySAL access) can
    compute too, with all 5,000 services as supply.
    """
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_areas)))
    i = np.arange(n_areas)
    x0, y0 = X0 + (i % side) * SIZE, Y0 + (i // side) * SIZE
    lad = (i % side) // 10 + 100 * ((i // side) // 10)  # 10 x 10 blocks of squares
    population = rng.integers(1_000, 3_000, n_areas).astype(float)
    areas = gpd.GeoDataFrame(
        {"code": [f"E01{k:06d}" for k in i], "name": [f"Area {k}" for k in i],
         "lad_code": [f"E06{k:06d}" for k in lad],
         "population": population,
         **{f"need_{n}": np.round(population * rng.uniform(0.002, 0.02, n_areas), 1)
            for n in NEEDS}},
        geometry=shapely.box(x0, y0, x0 + SIZE, y0 + SIZE), crs=27700)
    extent_x, extent_y = side * SIZE, (n_areas // side) * SIZE  # full rows only

    remote = rng.random(n_services) < 0.10
    limited = ~remote & (rng.random(n_services) < 0.20)
    if plain:
        remote[:] = limited[:] = False
    needs = ["; ".join(rng.choice(NEEDS, rng.integers(1, 4), replace=False))
             for _ in range(n_services)]
    if plain:
        needs = ["; ".join(dict.fromkeys(["drug", *n.split("; ")])) for n in needs]
    sx = X0 + rng.uniform(0, extent_x, n_services)
    sy = Y0 + rng.uniform(0, extent_y, n_services)
    home = (np.minimum(((sx - X0) // SIZE), side - 1) // 10
            + 100 * (((sy - Y0) // SIZE) // 10)).astype(int)
    services = pd.DataFrame({
        "id": [f"S{k}" for k in range(n_services)],
        "name": [f"Service {k}" for k in range(n_services)],
        "provider": "ORG",
        "needs": needs,
        "client_groups": ["; ".join(rng.choice(GROUPS, rng.integers(1, 3), replace=False))
                          for _ in range(n_services)],
        "hours": rng.choice(HOURS, n_services),
        "capacity": rng.integers(20, 400, n_services),
        "capacity_unit": "places",
        "reach": np.where(remote, "none", "distance"),
        "max_distance": np.where(remote, np.nan, rng.uniform(5_000, 20_000, n_services)),
        "footprint": np.where(remote | limited, [f"E06{k:06d}" for k in home], None),
    })
    second = ~remote & (rng.random(n_services) < 0.25)
    sites = pd.DataFrame({
        "id": [f"T{k}" for k in range(n_services)],
        "name": [f"Site {k}" for k in range(n_services)],
        "services": services["id"],
        "mode": np.where(remote, "outreach", "in_person"),
        "easting": sx, "northing": sy})
    extra = pd.DataFrame({
        "id": [f"U{k}" for k in np.flatnonzero(second)],
        "name": [f"Second site {k}" for k in np.flatnonzero(second)],
        "services": services["id"].to_numpy()[second],
        "mode": "in_person",
        "easting": X0 + rng.uniform(0, extent_x, second.sum()),
        "northing": Y0 + rng.uniform(0, extent_y, second.sum())})
    organisations = pd.DataFrame([{"id": "ORG", "name": "Provider", "kind": "voluntary"}])
    return {"areas": areas, "services": services, "sites": pd.concat([sites, extra]),
            "organisations": organisations}


def national_map(n_areas: int = 35_000, n_services: int = 5_000, seed: int = 0,
                 plain: bool = False):
    """Return the synthetic national ServiceMap."""
    import servicemap as sm

    return sm.ServiceMap.from_frames(**national_tables(n_areas, n_services, seed, plain))


ENTRIES = ("police_vulnerable_persons", "prison_release", "a_and_e", "gp")
BASES = np.array(["explicit_consent", "public_task", "safeguarding", "not_recorded"])


def national_pathways(tables: dict[str, object], n_edges: int = 20_000,
                      seed: int = 0) -> pd.DataFrame:
    """Return a random referral graph over the national services, about ``n_edges``.

    Services refer to services near them (each to a few of its 20 nearest, by their
    first sites), as local referral networks do; each of four entry points refers to
    625 services spread over the country. Bases, agreements, waits and volumes are
    random.
    """
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    services = tables["services"]
    sites = tables["sites"].drop_duplicates("services")
    xy = np.column_stack([sites["easting"], sites["northing"]])
    ids = services["id"].to_numpy()
    n = len(ids)
    per_entry = 625
    onward = n_edges - per_entry * len(ENTRIES)
    _, near = cKDTree(xy).query(xy, k=21)
    frm = rng.integers(0, n, 2 * onward)
    to = near[frm, rng.integers(1, 21, 2 * onward)]
    rows = pd.DataFrame({"from_service": ids[frm], "to_service": ids[to]})
    rows = rows.drop_duplicates().iloc[:onward]  # one pathway per pair
    entries = pd.DataFrame({
        "from_entry": np.repeat(ENTRIES, per_entry),
        "to_service": np.concatenate([rng.choice(ids, per_entry, replace=False)
                                      for _ in ENTRIES])})
    out = pd.concat([entries, rows], ignore_index=True)
    m = len(out)
    out.insert(0, "id", [f"P{k}" for k in range(m)])
    out["consent_basis"] = rng.choice(BASES, m)
    out["information_sharing_agreement"] = rng.choice(["yes", "no", ""], m)
    out["wait_days"] = rng.integers(0, 29, m).astype(float)
    out["volume_per_year"] = rng.integers(5, 300, m).astype(float)
    return out

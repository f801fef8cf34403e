"""Toy geography for tests: a 3 x 3 grid of 1 km squares in British National Grid."""

import geopandas as gpd
import pandas as pd
import shapely

X0, Y0 = 500_000, 240_000  # a corner in Bedfordshire


def grid_areas(n=3, size=1000):
    """n x n squares; codes E01000001.. row by row from the south-west corner.

    The western two columns are LAD E06000001, the eastern column LAD E06000002.
    """
    rows = []
    for j in range(n):
        for i in range(n):
            k = j * n + i + 1
            rows.append({
                "code": f"E01{k:06d}", "name": f"Square {k}",
                "lad_code": "E06000001" if i < n - 1 else "E06000002",
                "population": 1000.0 + 100 * k, "pop_0_15": 200.0,
                "need_drug": 10.0 + k, "imd_decile": 1 + (k % 10),
                "geometry": shapely.box(X0 + i * size, Y0 + j * size,
                                        X0 + (i + 1) * size, Y0 + (j + 1) * size),
            })
    return gpd.GeoDataFrame(rows, crs=27700)


def toy_tables():
    """A small valid map: a council, a partnership, two services, sites, pathways."""
    return {
        "organisations": pd.DataFrame([
            {"id": "C1", "name": "Council One", "kind": "local_authority"},
            {"id": "POL", "name": "Police", "kind": "police"},
            {"id": "TP", "name": "Treatment Provider", "kind": "voluntary"},
        ]),
        "partnerships": pd.DataFrame([
            {"id": "DAP", "name": "Drug and Alcohol Partnership",
             "kind": "drug_alcohol_partnership", "members": "C1; POL",
             "footprint": "E06000001; E06000002"},
        ]),
        "services": pd.DataFrame([
            {"id": "HUB", "name": "Treatment hub", "provider": "TP",
             "commissioners": "DAP", "needs": "drug; alcohol",
             "client_groups": "adults", "min_age": 18, "hours": "Mon-Fri 09:00-17:00",
             "capacity": 100, "capacity_unit": "places", "footprint": "E06000001",
             "max_distance": 1500},
            {"id": "OUT", "name": "Outreach", "provider": "TP", "commissioners": "C1",
             "needs": "drug", "client_groups": "adults; rough_sleepers",
             "hours": "24/7", "reach": "none"},
        ]),
        "sites": pd.DataFrame([
            {"id": "HUB-1", "name": "Hub building", "services": "HUB",
             "easting": X0 + 500, "northing": Y0 + 500},
            {"id": "OUT-1", "name": "Outreach phone", "services": "OUT", "mode": "phone"},
        ]),
        "pathways": pd.DataFrame([
            {"id": "P1", "from_entry": "police_vulnerable_persons", "to_service": "HUB",
             "consent_basis": "public_task", "information_sharing_agreement": "yes",
             "wait_days": 3, "volume_per_year": 120},
            {"id": "P2", "from_service": "OUT", "to_service": "HUB",
             "consent_basis": "explicit_consent"},
        ]),
    }

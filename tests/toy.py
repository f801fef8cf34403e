"""Toy maps for tests: a 3 x 3 grid of 1 km squares in British National Grid.

Square k (1..9) is numbered row by row from the south-west corner (X0, Y0): with
i = (k - 1) % 3 and j = (k - 1) // 3 it spans x in [X0 + 1000 i, X0 + 1000 (i + 1)]
and y in [Y0 + 1000 j, Y0 + 1000 (j + 1)], its centre at (X0 + 500 + 1000 i,
Y0 + 500 + 1000 j). Squares 1, 2, 4, 5, 7, 8 are LAD E06000001; 3, 6, 9 are LAD
E06000002. Square k holds population 1000 + 100 k and need_drug 10 + k.

Two kinds of map are built on it:

- the toy map (:func:`toy_tables`, :func:`toy_map`): a council, a partnership, two
  services (HUB, OUT), their sites and two pathways, every table filled in;
- grid maps (:func:`grid_map`, :func:`referral_map`): the services, sites and pathways a
  test writes row by row with :func:`service`, :func:`site` and :func:`step`.
"""

import geopandas as gpd
import pandas as pd
import shapely

import servicemap as sm

X0, Y0 = 500_000, 240_000  # a corner in Bedfordshire
SQUARES = range(1, 10)
POPULATION = {k: 1000.0 + 100 * k for k in SQUARES}
NEED = {k: 10.0 + k for k in SQUARES}  # need_drug


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


def code(k):
    """The area code of square k."""
    return f"E01{k:06d}"


def centre(k):
    """Centroid of square k."""
    i, j = (k - 1) % 3, (k - 1) // 3
    return X0 + 500 + 1000 * i, Y0 + 500 + 1000 * j


def by_square(series):
    """{square number: value} of a series indexed by area code."""
    return {int(c[3:]): v for c, v in series.items()}


# -- the toy map -----------------------------------------------------------------------
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


def toy_services(**columns):
    """The services of :func:`toy_tables` (HUB, OUT) with columns set, a value each."""
    services = toy_tables()["services"]
    for name, values in columns.items():
        services[name] = values
    return services


def toy_travel_times():
    """Minutes from squares 1, 2 and 5 to the toy map's sites."""
    return pd.DataFrame({"area": [code(1), code(2), code(5)],
                         "site": ["HUB-1", "HUB-1", "OUT-1"], "minutes": [5.0, 12.5, 30.0]})


def toy_map(areas=None, *, strict=True, **tables):
    """The map of :func:`toy_tables` on the grid; tables given by name replace its own.

    ``tables`` may also add what :func:`toy_tables` leaves out (``travel_times``,
    ``vocabulary``, ``provenance``).
    """
    return sm.ServiceMap.from_frames(areas=grid_areas() if areas is None else areas,
                                     strict=strict, **{**toy_tables(), **tables})


# -- grid maps written row by row ------------------------------------------------------
PROVIDER = ({"id": "TP", "name": "Provider", "kind": "voluntary"},)
ENTRY = "police_vulnerable_persons"
COUNCILS = ({"id": "TP", "name": "Provider", "kind": "voluntary"},
            {"id": "C1", "name": "Council one", "kind": "local_authority"},
            {"id": "C2", "name": "Council two", "kind": "local_authority"})
PARTNERSHIPS = ({"id": "DAP1", "name": "Partnership one",
                 "kind": "drug_alcohol_partnership", "members": "C1",
                 "footprint": "E06000001"},
                {"id": "DAP2", "name": "Partnership two",
                 "kind": "drug_alcohol_partnership", "members": "C2",
                 "footprint": "E06000002"})


def service(sid, **kw):
    """A service row: drug, adults, provided by TP; ``kw`` adds or replaces fields."""
    row = {"id": sid, "name": sid, "provider": "TP", "needs": "drug",
           "client_groups": "adults"}
    row.update(kw)
    return row


def site(sid, services, k=None, **kw):
    """A site row for ``services``, at the centre of square k if k is given."""
    row = {"id": sid, "name": sid, "services": services}
    if k is not None:
        row["easting"], row["northing"] = centre(k)
    row.update(kw)
    return row


def housing(sid, **kw):
    """A service that is not treatment (housing), reaching every square."""
    return service(sid, needs="housing", reach="none", **kw)


def step(pid, frm, to, wait=1, **kw):
    """A pathway row from a service (or from ENTRY, written "E") to a service."""
    row = {"id": pid, "to_service": to, "wait_days": wait,
           "consent_basis": "public_task", "information_sharing_agreement": "yes"}
    row["from_entry" if frm == "E" else "from_service"] = ENTRY if frm == "E" else frm
    row.update(kw)
    return row


def grid_map(services, sites, *, areas=None, organisations=PROVIDER, **tables):
    """A map of the given service and site rows on the grid, provider TP alone."""
    return sm.ServiceMap.from_frames(areas=grid_areas() if areas is None else areas,
                                     organisations=list(organisations), services=services,
                                     sites=list(sites), **tables)


def referral_map(services, pathways, sites=()):
    """A grid map with pathways; councils C1 and C2 lead partnerships DAP1 and DAP2.

    DAP1's footprint is LAD E06000001, DAP2's LAD E06000002.
    """
    return grid_map(services, sites, organisations=COUNCILS,
                    partnerships=list(PARTNERSHIPS), pathways=pathways)


def every_barrier_map():
    """E -P1-> A -P2-> B -P3-> T meeting every barrier, and E -P4-> B.

    A and B are housing services of DAP1; T, of DAP2, treats drug use 1500 m round
    square 1 (squares 1, 2, 4, 5) and takes 10 clients a year. P2 needs explicit
    consent; P3 has no information-sharing agreement, crosses from DAP1 to DAP2 and
    offers T 12 a year, a bottleneck; P4's consent and agreement are not recorded.
    """
    return referral_map(
        [housing("A", commissioners="DAP1"), housing("B", commissioners="DAP1"),
         service("T", max_distance=1500, commissioners="DAP2", capacity=10,
                 capacity_unit="clients_per_year")],
        [step("P1", "E", "A", wait=1),
         step("P2", "A", "B", wait=2, consent_basis="explicit_consent"),
         step("P3", "B", "T", wait=3, information_sharing_agreement="no",
              volume_per_year=12),
         step("P4", "E", "B", consent_basis="not_recorded",
              information_sharing_agreement=None)],
        sites=[site("ST", "T", k=1)])

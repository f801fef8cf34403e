"""Accessibility: supply shared among the demand that can reach it (floating catchments).

Supply is the ``capacity`` of the services meeting a need; demand is the areas'
``need_<need>`` column (people with the need). On the reach matrix ``W`` (areas x
services, weighted by distance decay for the enhanced methods):

* **2SFCA** (Luo and Wang 2003): each service's ratio ``R_j = S_j / sum_i D_i W_ij``
  (its capacity over the demand within its catchment), then each area's access
  ``A_i = sum_j W_ij R_j`` (the ratios of the services reaching it); ``W`` is 0/1.
* **E2SFCA** (Luo and Qi 2009): the same with stepped weights. The default steps are
  1, 0.68 and 0.22 for the first, second and last third of each service's own
  threshold; pass ``weights={5_000: 1, 10_000: 0.68, 15_000: 0.22}`` (cost up to
  each key -> weight; beyond the last, 0) or a function of the cost.
* **gravity**: the same with continuous decay, as in the gravity model with competition
  (Joseph and Bantock 1982); by default Gaussian, ``exp(-c^2 / (2 sigma^2))`` with
  ``sigma`` half of each service's threshold, truncated at the threshold (Dai's
  Gaussian 2SFCA). Pass ``weights=lambda c: np.maximum(c, 500) ** -1.5`` for a power
  decay (the floor keeps a site on the area's point finite).
* **nearest**: the nearest service reaching the area that needs a journey (reach by
  distance or minutes) and its cost; how many outreach, phone or online services
  reach the area (``remote_services``, no journey); and the straight-line distance to
  the nearest site of any service meeting the need, catchments aside.

The ``access`` of an area that reaches no service is **0** (PySAL access gives NaN
there); ``services`` says how many reach it, so such areas are easy to find. A
service whose catchment holds no demand has no ratio and serves no one; it is listed
in ``attrs["no_demand"]``. Services without a capacity are left out of the supply, with
a warning giving the count, and listed in ``attrs["excluded"]``. Costs are the reach
matrix's: metres, minutes, or 0 for outreach, phone and online services.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from servicemap.analysis._select import (
    ACTIVE,
    as_terms,
    counted,
    lists_any,
    need_column,
    need_values,
    served_groups,
)
from servicemap.crs import user_stacklevel
from servicemap.errors import ServiceMapWarning, plural
from servicemap.geography import reach_matrix

if TYPE_CHECKING:
    import pandas as pd

    from servicemap.servicemap import ServiceMap

__all__ = ["METHODS", "accessibility"]

METHODS = ("2sfca", "e2sfca", "gravity", "nearest")
#: Luo and Qi's weights for the three thirds of a catchment.
_THIRDS = (1.0, 0.68, 0.22)
Weights = Mapping[float, float] | Callable[[np.ndarray], np.ndarray] | None


def _stepped(steps: Mapping[float, float]) -> Callable[[np.ndarray], np.ndarray]:
    edges = np.array(sorted(steps), dtype=float)
    values = np.array([steps[k] for k in sorted(steps)], dtype=float)
    if (not len(edges) or not np.isfinite(edges).all() or not np.isfinite(values).all()
            or (values < 0).any()):
        msg = (f"weights={dict(steps)!r}: give at least one step, as {{cost: weight}} "
               "with finite costs and weights of 0 or more, such as "
               "{5000: 1, 10000: 0.68, 15000: 0.22}.")
        raise ValueError(msg)

    def weight(cost: np.ndarray) -> np.ndarray:
        band = np.searchsorted(edges, cost, side="left")
        return np.where(band < len(edges), values[np.minimum(band, len(edges) - 1)], 0.0)

    return weight


def _decay(method: str, weights: Weights, cost: np.ndarray, limit: np.ndarray,
           units: np.ndarray) -> tuple[np.ndarray, str]:
    """Weight of each reached pair, and a sentence saying which decay was used."""
    if method == "2sfca":
        if weights is not None:
            msg = ("weights= is for method='e2sfca' or 'gravity'; 2SFCA counts every "
                   "reached pair fully.")
            raise ValueError(msg)
        return np.ones(len(cost)), "none (every pair within reach counts fully)"
    if weights is not None:
        measured = set(units) - {"none"}
        if len(measured) > 1:
            msg = ("weights= takes one unit of cost, but the services reach by "
                   f"{' and '.join(sorted(measured))}. Analyse them separately, or "
                   "leave weights= out to use each service's own threshold.")
            raise ValueError(msg)
        if callable(weights):
            w = np.asarray(weights(cost), dtype=float)
            if w.shape != cost.shape or (w < 0).any() or not np.isfinite(w).all():
                msg = ("weights(cost) must return one finite weight of 0 or more per "
                       "cost, from a numpy array of costs (a cost may be 0).")
                raise ValueError(msg)
            return w, "the given function of cost"
        return _stepped(weights)(cost), f"stepped {dict(weights)!r}"
    relative = np.divide(cost, limit, out=np.zeros_like(cost), where=limit > 0)
    if method == "e2sfca":
        w = _stepped(dict(zip((1 / 3, 2 / 3, 1.0), _THIRDS, strict=True)))(relative)
        return w, "stepped 1, 0.68, 0.22 over thirds of each service's threshold"
    w = np.exp(-(relative ** 2) / (2 * 0.5 ** 2))
    return w, "Gaussian, sigma half of each service's threshold"


def accessibility(
    smap: ServiceMap,
    *,
    need: str,
    method: str = "2sfca",
    weights: Weights = None,
    client_group: str | Iterable[str] | None = None,
    capacity_unit: str | None = None,
    status: Iterable[str] = ACTIVE,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> pd.DataFrame:
    """Measure each area's access to the capacity for a need, shared among demand.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    need : str
        The need: services meeting it give supply (their ``capacity``), and the
        areas' ``need_<need>`` column gives demand.
    method : {"2sfca", "e2sfca", "gravity", "nearest"}, default "2sfca"
        See :mod:`servicemap.analysis.accessibility`.
    weights : dict or callable, optional
        Distance decay for ``e2sfca`` and ``gravity``: ``{cost: weight}`` steps (a cost
        up to each key takes its weight; beyond the last key, 0) or a function taking
        a numpy array of costs and returning weights. Costs are in the reach
        matrix's units (metres or minutes). By default relative to each service's
        own threshold (see the module notes).
    client_group : str or list of str, optional
        Count only services for these client groups (ages applied).
    capacity_unit : str, optional
        Count only services whose capacity is in this unit. Required when the
        services for the need give capacity in more than one unit.
    status : iterable of str, default ("active",)
        Statuses of the services counted.
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``smap.areas``. For the FCA methods: ``access`` (supply per
        person of demand), ``access_per_1000``, ``demand``, ``supply_in_reach``
        (capacity reaching the area, unshared) and ``services`` (how many reach it
        with a weight above 0).
        For ``nearest``: ``service``, ``cost`` and ``unit`` of the nearest service
        reaching the area that needs a journey (empty where none does),
        ``remote_services`` (outreach, phone and online services reaching it) and
        ``distance`` in metres to the nearest site of any service for the need.
        ``attrs`` state the need, method, supply, demand, decay, map-wide ratio
        and the services left out.

    Raises
    ------
    ValueError
        For an unknown need, method or capacity unit, a need with no column in the
        areas, or capacities in several units without ``capacity_unit``.

    Warns
    -----
    ServiceMapWarning
        When services for the need have no capacity and are left out of supply.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> acc = sm.accessibility(smap, need="early_help", capacity_unit="clients_per_year")
    >>> acc.index.equals(smap.areas.index)
    True
    >>> acc.attrs["supply"]
    'capacity in clients_per_year of 7 active services meeting early_help'
    >>> # every place is shared out: demand x access adds up to the supply
    >>> round(float((acc["demand"] * acc["access"]).sum()))
    10150
    >>> sm.accessibility(smap, need="early_help", method="nearest").columns.tolist()
    ['service', 'cost', 'unit', 'remote_services', 'distance']
    """
    import pandas as pd

    if method not in METHODS:
        msg = f"method={method!r}: choose one of {', '.join(METHODS)}."
        raise ValueError(msg)
    (need,) = as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    column = need_column(smap, need)
    services = smap._services
    areas = smap._areas
    keep = counted(smap, status=status) & lists_any(services["needs"], [need])
    if groups:
        keep &= served_groups(services, groups).any(axis=1)
    reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
    demand = need_values(smap, need)
    attrs: dict[str, Any] = {"need": need, "method": method,
                             "demand": f"areas column {column!r} "
                                       f"(total {demand.sum():,.1f})",
                             "client_group": groups or None,
                             "max_distance": max_distance, "max_minutes": max_minutes}
    if method == "nearest":
        return _nearest(smap, reach, keep, attrs)

    supply, keep, excluded, unit = _supply(smap, keep, need, capacity_unit)
    cols = np.flatnonzero(keep)
    sub = reach.cost[:, cols].tocsc()
    limit = np.where(reach.unit.to_numpy()[cols] == "minutes",
                     reach.max_minutes or services["max_minutes"].to_numpy(
                         dtype=float, na_value=np.nan)[cols],
                     reach.max_distance or services["max_distance"].to_numpy(
                         dtype=float, na_value=np.nan)[cols])
    limit = np.nan_to_num(np.broadcast_to(limit, cols.shape).astype(float), nan=0.0)
    owner = np.repeat(np.arange(len(cols)), np.diff(sub.indptr))
    w, decay = _decay(method, weights, sub.data, limit[owner],
                      reach.unit.to_numpy()[cols])
    from scipy import sparse

    weighted = sparse.csc_array((w, sub.indices, sub.indptr), shape=sub.shape)
    served = weighted.T @ demand                        # sum_i D_i W_ij per service
    s = supply[cols]
    ratio = np.divide(s, served, out=np.zeros_like(s), where=served > 0)
    access = weighted @ ratio
    in_reach = weighted @ s
    reached = np.asarray((weighted > 0).sum(axis=1)).ravel()  # weight 0 is not reached
    no_demand = services.index[cols[served <= 0]]
    out = pd.DataFrame({"access": access, "access_per_1000": access * 1000,
                        "demand": demand, "supply_in_reach": in_reach,
                        "services": reached.astype(np.int64)}, index=areas.index)
    attrs.update({
        "supply": f"capacity in {unit} of {plural(len(cols), 'active service')} meeting "
                  f"{need}" if tuple(status) == ACTIVE else
                  f"capacity in {unit} of {plural(len(cols), 'service')} meeting {need}",
        "decay": decay, "excluded": excluded, "no_demand": list(no_demand),
        "map_ratio": float(s.sum() / demand.sum()) if demand.sum() > 0 else np.nan,
        "unit": unit,
    })
    out.attrs.update(attrs)
    return out


def _supply(smap: ServiceMap, keep: np.ndarray, need: str, capacity_unit: str | None
            ) -> tuple[np.ndarray, np.ndarray, dict[str, str], str]:
    """Capacity per service; which services supply; why the others do not."""
    services = smap._services
    capacity = services["capacity"].to_numpy(dtype=float, na_value=np.nan)
    units = services["capacity_unit"].to_numpy(dtype=object)
    excluded: dict[str, str] = {}
    if capacity_unit is not None:
        (capacity_unit,) = as_terms(smap, "capacity_unit", capacity_unit, "capacity_unit")
    no_capacity = keep & np.isnan(capacity)
    for sid in services.index[no_capacity]:
        excluded[sid] = "no capacity given"
    keep = keep & ~no_capacity
    present = sorted({u for u in units[keep] if u is not None})
    if capacity_unit is None and len(present) > 1:
        counts = {u: int((units[keep] == u).sum()) for u in present}
        listed = ", ".join(f"{u} ({n})" for u, n in counts.items())
        common = max(present, key=lambda u: counts[u])
        msg = (f"the services meeting {need} give capacity in {len(present)} units: "
               f"{listed}. Capacities in different units cannot be added; choose one "
               f"with capacity_unit=, such as capacity_unit={common!r}.")
        raise ValueError(msg)
    unit = capacity_unit or (present[0] if present else "places")
    other = keep & (units != unit)
    for sid, u in zip(services.index[other], units[other], strict=True):
        excluded[sid] = f"capacity in {u}, not {unit}"
    keep = keep & ~other
    if no_capacity.any():
        ids = list(services.index[no_capacity])
        shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
        warnings.warn(
            f"{plural(len(ids), 'service')} meeting {need} "
            f"{'has' if len(ids) == 1 else 'have'} no capacity and "
            f"{'is' if len(ids) == 1 else 'are'} left out of supply: {shown}. Give "
            "their capacity to count them; attrs['excluded'] lists them.",
            ServiceMapWarning, stacklevel=user_stacklevel())
    return np.nan_to_num(capacity), keep, excluded, unit


def _nearest(smap: ServiceMap, reach: Any, keep: np.ndarray,
             attrs: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd
    import shapely
    from scipy.spatial import cKDTree

    from servicemap.geography import area_points

    areas, services, sites = smap._areas, smap._services, smap._sites
    journey = reach.unit.to_numpy() != "none"
    measured = set(reach.unit.to_numpy()[keep & journey])
    if len(measured) > 1:
        msg = (f"the services meeting {attrs['need']} reach by "
               f"{' and by '.join(sorted(measured))}, which cannot be compared to find "
               "the nearest. Give them all max_distance, or all max_minutes with a "
               "travel-time table.")
        raise ValueError(msg)
    remote = reach.matrix[:, np.flatnonzero(keep & ~journey)].tocsr()
    cols = np.flatnonzero(keep & journey)
    sub = reach.cost[:, cols].tocsr()
    n = len(areas)
    best_cost = np.full(n, np.nan)
    best = np.full(n, -1)
    if sub.nnz:
        rows = np.repeat(np.arange(n), np.diff(sub.indptr))
        order = np.lexsort((sub.data, rows))
        first = np.ones(len(order), dtype=bool)
        first[1:] = rows[order][1:] != rows[order][:-1]
        pick = order[first]
        best_cost[rows[pick]] = sub.data[pick]
        best[rows[pick]] = cols[sub.indices[pick]]
    ids = services.index.to_numpy(dtype=object)
    units = reach.unit.to_numpy(dtype=object)
    found = best >= 0
    service = pd.array([None] * n, dtype="str")
    unit = pd.array([None] * n, dtype="str")
    service[found] = ids[best[found]]
    unit[found] = units[best[found]]
    # straight line to the nearest located site of any service for the need

    geom = np.asarray(sites.geometry.values)
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom)) & sites["mode"].isin(
        ("in_person", "outreach")).to_numpy()
    of_need = lists_any(sites["services"], ids[keep])
    points = geom[located & of_need]
    distance = np.full(n, np.nan)
    if len(points):
        x, y, _ = area_points(areas)
        tree = cKDTree(np.column_stack([shapely.get_x(points), shapely.get_y(points)]))
        distance, _ = tree.query(np.column_stack([x, y]))
    out = pd.DataFrame({"service": service, "cost": best_cost, "unit": unit,
                        "remote_services": np.diff(remote.indptr).astype(np.int64),
                        "distance": distance}, index=areas.index)
    attrs.update({"supply": f"{plural(int(keep.sum()), 'service')} meeting "
                            f"{attrs['need']}", "decay": "none"})
    out.attrs.update(attrs)
    return out

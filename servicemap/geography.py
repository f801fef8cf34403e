"""Geography: catchments resolved over areas, and the points of sites and areas.

Every measurement is made in British National Grid (EPSG:27700), in metres; frames
arrive there through :func:`servicemap.crs.to_working_crs`.

The reach matrix
----------------
:func:`reach_matrix` resolves every service's catchment once into a sparse areas x
services matrix, cached on the map; every analysis reads it. An area is reached by a
service when both hold:

* **footprint** (eligibility by residence): the area, or one of its parents (a
  ``lad_code``, ``msoa_code``, ...), is in the service's ``footprint``; an empty
  footprint means anyone may use it;
* **reach**: with ``reach="distance"``, the straight line from the area's point to the
  nearest located site of the service is at most ``max_distance`` metres; with
  ``reach="minutes"``, the shortest travel time from the area to one of the service's
  sites in the map's ``travel_times`` table is at most ``max_minutes`` (a pair missing
  from the table is unreachable); with ``reach="none"`` (outreach, phone and online
  services) the service reaches its whole footprint.

An area's point is its population-weighted centroid where the areas give one
(``centroid_easting`` and ``centroid_northing``, as ONS publishes for LSOAs), else the
geometric centroid of its polygon. :attr:`ReachMatrix.origin` says which, per area.

The stored value of a pair is its cost: metres, minutes, or 0 for ``reach="none"``.
Pairs are the matrix's explicit entries, so a cost of 0 (a site at the area's point) is
still a pair; read membership from :attr:`ReachMatrix.matrix`, not from ``cost != 0``.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from servicemap.crs import user_stacklevel
from servicemap.errors import UnreachedWarning, did_you_mean, plural
from servicemap.servicemap import ServiceMap

__all__ = ["ReachMatrix", "area_points", "reach_matrix"]

# -- the reach matrix ---------------------------------------------------------------
#: Radii are grouped into at most this many bands for the neighbour search, so that a
#: 5 km service is not searched at the 20 km of the widest one.
_RADIUS_BANDS = 16
_UNIT = {"distance": "metres", "minutes": "minutes", "none": "none"}


@dataclass(frozen=True, eq=False, repr=False)
class ReachMatrix:
    """Which services reach which areas, at what cost: one sparse areas x services matrix.

    Build it with :func:`reach_matrix`. Rows follow ``smap.areas.index`` and columns
    ``smap.services.index``; every service is a column, whatever its status, and a
    service or area that reaches nothing is an empty column or row, never dropped.

    Attributes
    ----------
    areas : pandas.Index
        Area codes, the rows.
    services : pandas.Index
        Service ids, the columns.
    cost : scipy.sparse.csr_array
        The cost of each reached pair (metres, minutes, or 0 for reach ``none``). Its
        explicit entries are exactly the reached pairs, zeros included.
    unit : pandas.Series
        Per service, the unit of its costs: ``metres``, ``minutes`` or ``none``.
    origin : pandas.Series
        Per area, the point distances are measured from: ``population-weighted
        centroid`` or ``geometric centroid``.
    max_distance, max_minutes : float or None
        Thresholds that replaced every service's own, or None.

    Examples
    --------
    >>> reach = sm.reach_matrix(sm.datasets.bedfordshire())
    >>> reach.shape
    (381, 40)
    >>> len(reach.areas_reached("bcb-adult-hub"))  # LSOAs within its 12 km
    114
    """

    areas: pd.Index
    services: pd.Index
    cost: sparse.csr_array
    unit: pd.Series
    origin: pd.Series
    max_distance: float | None = None
    max_minutes: float | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """``(areas, services)``."""
        return (len(self.areas), len(self.services))

    @property
    def nnz(self) -> int:
        """The number of reached (area, service) pairs."""
        return int(self.cost.nnz)

    @property
    def matrix(self) -> sparse.csr_array:
        """The reach as a 0/1 float matrix with the same pairs as :attr:`cost`.

        Examples
        --------
        >>> reach = sm.reach_matrix(sm.datasets.bedfordshire())
        >>> int(reach.matrix.sum()) == reach.nnz
        True
        """
        c = self.cost
        return sparse.csr_array((np.ones(c.nnz), c.indices, c.indptr), shape=c.shape)

    def to_frame(self) -> pd.DataFrame:
        """Return the pairs as a long frame: ``area``, ``service``, ``cost``, ``unit``.

        Examples
        --------
        >>> pairs = sm.reach_matrix(sm.datasets.bedfordshire()).to_frame()
        >>> pairs.columns.tolist()
        ['area', 'service', 'cost', 'unit']
        """
        c = self.cost
        rows = np.repeat(np.arange(c.shape[0]), np.diff(c.indptr))
        return pd.DataFrame({
            "area": self.areas.to_numpy()[rows],
            "service": self.services.to_numpy()[c.indices],
            "cost": c.data,
            "unit": self.unit.to_numpy()[c.indices]})

    def areas_reached(self, service: str) -> pd.Series:
        """Return the cost of each area a service reaches, indexed by area code.

        Examples
        --------
        >>> reach = sm.reach_matrix(sm.datasets.bedfordshire())
        >>> len(reach.areas_reached("beds-naloxone")) > 0
        True
        """
        j = self._position(self.services, service, "service")
        col = self.cost[:, [j]].tocsc()
        return pd.Series(col.data, index=self.areas[col.indices], name=service,
                         dtype="float64").rename_axis("area")

    def services_reaching(self, area: str) -> pd.Series:
        """Return the cost of each service that reaches an area, indexed by service id.

        Examples
        --------
        >>> reach = sm.reach_matrix(sm.datasets.bedfordshire())
        >>> s = reach.services_reaching("E01017453")
        >>> s.index.name, s.name
        ('service', 'E01017453')
        """
        i = self._position(self.areas, area, "area")
        lo, hi = self.cost.indptr[i], self.cost.indptr[i + 1]
        return pd.Series(self.cost.data[lo:hi],
                         index=self.services[self.cost.indices[lo:hi]], name=area,
                         dtype="float64").rename_axis("service")

    @property
    def unreached_services(self) -> pd.Index:
        """Services that reach no area."""
        counts = np.bincount(self.cost.indices, minlength=self.cost.shape[1])
        return self.services[counts == 0]

    @property
    def unreached_areas(self) -> pd.Index:
        """Areas that no service reaches."""
        return self.areas[np.diff(self.cost.indptr) == 0]

    @staticmethod
    def _position(index: pd.Index, key: str, what: str) -> int:

        if key not in index:
            msg = f"{key!r} is not a{'n' if what == 'area' else ''} {what} of the map."
            msg += did_you_mean(key, list(index))
            raise KeyError(msg)
        return int(index.get_loc(key))

    def __repr__(self) -> str:
        n_areas, n_services = self.shape
        return (f"<ReachMatrix: {plural(n_areas, 'area')} x "
                f"{plural(n_services, 'service')}, {plural(self.nnz, 'pair')}; "
                f"{len(self.unreached_services)} reaching no area>")


def area_points(areas: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the point each area is measured from, and which kind of point it is.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Areas in EPSG:27700, optionally with ``centroid_easting`` and
        ``centroid_northing`` (population-weighted centroids).

    Returns
    -------
    x, y : numpy.ndarray
        Eastings and northings in metres.
    origin : numpy.ndarray of str
        ``"population-weighted centroid"`` where given, else ``"geometric centroid"``.

    Examples
    --------
    >>> import shapely
    >>> areas = gpd.GeoDataFrame({"centroid_easting": [100.0, None],
    ...                           "centroid_northing": [900.0, None]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
    ...     crs=27700)
    >>> x, y, origin = area_points(areas)
    >>> x.tolist(), y.tolist()
    ([100.0, 1500.0], [900.0, 500.0])
    >>> origin.tolist()
    ['population-weighted centroid', 'geometric centroid']
    """
    centroids = shapely.centroid(np.asarray(areas.geometry.values))
    x, y = shapely.get_x(centroids), shapely.get_y(centroids)
    given = np.zeros(len(areas), dtype=bool)
    if "centroid_easting" in areas and "centroid_northing" in areas:
        cx = areas["centroid_easting"].to_numpy(dtype=float, na_value=np.nan)
        cy = areas["centroid_northing"].to_numpy(dtype=float, na_value=np.nan)
        given = ~np.isnan(cx) & ~np.isnan(cy)
        x, y = np.where(given, cx, x), np.where(given, cy, y)
    origin = np.where(given, "population-weighted centroid", "geometric centroid")
    return x, y, origin


def _footprint_keys(smap: ServiceMap) -> tuple[np.ndarray, np.ndarray]:
    """Return sorted ``area * n_services + service`` keys of footprint membership.

    Also return, per service, whether it has a footprint at all (empty = anyone).
    """
    areas, services = smap._areas, smap._services
    n_areas, n_services = len(areas), len(services)
    codes = [areas.index.to_numpy(dtype=object)]
    codes += [areas[f"{level}_code"].to_numpy(dtype=object) for level in smap.parent_levels]
    lookup = pd.DataFrame({"code": np.concatenate(codes),
                           "area": np.tile(np.arange(n_areas), len(codes))}).dropna()
    fp = services["footprint"].reset_index(drop=True).explode().dropna()
    restricted = np.zeros(n_services, dtype=bool)
    restricted[fp.index.to_numpy(dtype=np.int64)] = True
    pairs = pd.DataFrame({"code": fp.to_numpy(dtype=object),
                          "service": fp.index.to_numpy(dtype=np.int64)}).merge(
        lookup, on="code")
    keys = np.sort(pairs["area"].to_numpy(dtype=np.int64) * n_services
                   + pairs["service"].to_numpy(dtype=np.int64))
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return keys[first], restricted


def _in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Vectorised membership of ``keys`` in a sorted unique array."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] == keys


def _least_per_key(keys: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by key and keep each key's least cost (a service reached through several sites)."""
    order = np.argsort(keys)
    keys, cost = keys[order], cost[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    if first.all():
        return keys, cost
    starts = np.flatnonzero(first)
    return keys[starts], np.minimum.reduceat(cost, starts)


def _expand(block_of: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> tuple[
        np.ndarray, np.ndarray]:
    """For each item k, the positions ``starts[block_of[k]] + 0..counts-1`` of its block.

    Returns the positions and, for each, the item it came from.
    """
    lengths = counts[block_of]
    owner = np.repeat(np.arange(len(block_of)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return starts[block_of][owner] + offsets, owner


#: Site modes that people travel to (or that travel from a base): the points reach is
#: measured from. Phone and online sites are never a point, even with a location.
TRAVEL_MODES = ("in_person", "outreach")


def _site_service_pairs(smap: ServiceMap, reach: str) -> tuple[np.ndarray, np.ndarray]:
    """(site, service) positions for the in-person and outreach sites of ``reach`` services."""
    sites, services = smap._sites, smap._services
    listed = sites["services"].reset_index(drop=True).explode().dropna()
    service_pos = services.index.get_indexer(listed.to_numpy(dtype=object))
    site_pos = listed.index.to_numpy(dtype=np.int64)
    ok = service_pos >= 0
    site_pos, service_pos = site_pos[ok], service_pos[ok]
    keep = services["reach"].to_numpy(dtype=object)[service_pos] == reach
    keep &= sites["mode"].isin(TRAVEL_MODES).to_numpy()[site_pos]
    return site_pos[keep], service_pos[keep]


def _distance_pairs(smap: ServiceMap, x: np.ndarray, y: np.ndarray,
                    radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys and metres of (area, service) pairs within each service's radius."""
    n_services = len(smap._services)
    site_pos, service_pos = _site_service_pairs(smap, "distance")
    geom = smap._sites.geometry.values
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    keep = located[site_pos]
    site_pos, service_pos = site_pos[keep], service_pos[keep]
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
    if not len(site_pos):
        return empty
    r = radius[service_pos]
    sites_used, site_of_pair = np.unique(site_pos, return_inverse=True)
    site_r = np.zeros(len(sites_used))
    np.maximum.at(site_r, site_of_pair, r)
    sx, sy = shapely.get_x(geom[sites_used]), shapely.get_y(geom[sites_used])
    area_tree = cKDTree(np.column_stack([x, y]))

    # neighbour search per band of radii: (site, area, metres), sorted by site
    edges = np.unique(np.quantile(site_r, np.linspace(0, 1, _RADIUS_BANDS + 1)))
    band = np.searchsorted(edges, site_r, side="left")
    found_site, found_area, found_d = [], [], []
    for b in np.unique(band):
        members = np.flatnonzero(band == b)
        tree = cKDTree(np.column_stack([sx[members], sy[members]]))
        hits = tree.sparse_distance_matrix(area_tree, site_r[members].max(),
                                           output_type="ndarray")
        found_site.append(members[hits["i"]])
        found_area.append(hits["j"].astype(np.int64))
        found_d.append(hits["v"])
    f_site = np.concatenate(found_site)
    order = np.argsort(f_site, kind="stable")
    f_site, f_area, f_d = (f_site[order], np.concatenate(found_area)[order],
                           np.concatenate(found_d)[order])
    counts = np.bincount(f_site, minlength=len(sites_used))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])

    # every (site, service) pair takes its site's hits within its own radius
    pos, owner = _expand(site_of_pair, starts, counts)
    within = f_d[pos] <= r[owner]
    keys = f_area[pos][within] * n_services + service_pos[owner][within]
    return keys, f_d[pos][within]


def _minutes_pairs(smap: ServiceMap, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys and minutes of (area, service) pairs within each service's limit."""
    times = smap._travel_times
    n_services = len(smap._services)
    site_pos, service_pos = _site_service_pairs(smap, "minutes")
    if not len(site_pos) or not len(times):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    t_site = smap._sites.index.get_indexer(times["site"].to_numpy(dtype=object))
    t_area = smap._areas.index.get_indexer(times["area"].to_numpy(dtype=object))
    t_min = times["minutes"].to_numpy(dtype=float)
    order = np.argsort(t_site, kind="stable")
    t_site, t_area, t_min = t_site[order], t_area[order], t_min[order]
    n_sites = len(smap._sites)
    counts = np.bincount(t_site, minlength=n_sites)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos, owner = _expand(site_pos, starts, counts)
    within = t_min[pos] <= limit[service_pos][owner]
    keys = t_area[pos][within].astype(np.int64) * n_services + service_pos[owner][within]
    return keys, t_min[pos][within]


def _positive(value: float | None, name: str) -> float | None:

    if value is None:
        return None
    unit = "metres" if name == "max_distance" else "minutes"
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not np.isfinite(value) or not value > 0):
        example = "for 5 km write 5000" if unit == "metres" else "for half an hour write 30"
        msg = f"{name} is a positive number of {unit}; got {value!r} ({example})."
        raise ValueError(msg)
    return float(value)


def reach_matrix(
    smap: ServiceMap,
    *,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> ReachMatrix:
    """Resolve every service's catchment into one sparse areas x services matrix.

    A pair (area, service) is reached when the area is in the service's footprint
    and within its reach (see :mod:`servicemap.geography`). The result is cached on
    the map, per threshold, so every analysis shares one matrix.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    max_distance : float, optional
        Metres; replaces the ``max_distance`` of every service that reaches by
        distance (to test how results move with the cut-off).
    max_minutes : float, optional
        Minutes; replaces the ``max_minutes`` of every service that reaches by time.

    Returns
    -------
    ReachMatrix

    Warns
    -----
    UnreachedWarning
        When services reach no area, giving the count and ids (they stay in the
        matrix as empty columns).

    Notes
    -----
    Straight-line reach uses k-d trees (scipy ``cKDTree``) of the area points and the
    sites, searched in bands of similar radius; travel-time reach joins the long
    table. Nothing is dense: memory grows with the pairs reached and the sizes of the
    footprints. Each threshold passed is cached separately on the map.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> reach = sm.reach_matrix(smap)
    >>> reach
    <ReachMatrix: 381 areas x 40 services, ... pairs; 0 reaching no area>
    >>> sm.reach_matrix(smap) is reach  # cached on the map
    True
    >>> sm.reach_matrix(smap, max_distance=5_000).nnz < reach.nnz
    True
    """
    max_distance = _positive(max_distance, "max_distance")
    max_minutes = _positive(max_minutes, "max_minutes")
    key = ("reach_matrix", max_distance, max_minutes)
    cache = smap._cache
    if key not in cache:
        cache[key] = _build_reach(smap, max_distance, max_minutes)
        unreached = cache[key].unreached_services
        if len(unreached):
            shown = ", ".join(map(str, unreached[:10]))
            more = f" and {len(unreached) - 10} more" if len(unreached) > 10 else ""
            warnings.warn(
                f"{plural(len(unreached), 'service reaches', 'services reach')} no area: "
                f"{shown}{more}. They are kept as empty columns; check their sites, "
                "footprint and maximum distance or minutes.", UnreachedWarning,
                stacklevel=user_stacklevel())
    return cache[key]


def journey_reach(smap: ServiceMap, *, max_distance: float | None = None,
                  max_minutes: float | None = None) -> ReachMatrix:
    """Reach by distance or minutes alone, footprints aside; cached like the reach.

    Compared with :func:`reach_matrix`, it shows whom footprints turn away. Services
    that reach by ``none`` are empty columns here: without a footprint they would
    reach every area, so callers treat them as reaching everywhere.
    """
    max_distance = _positive(max_distance, "max_distance")
    max_minutes = _positive(max_minutes, "max_minutes")
    key = ("journey_reach", max_distance, max_minutes)
    if key not in smap._cache:
        smap._cache[key] = _build_reach(smap, max_distance, max_minutes,
                                        footprints=False)
    return smap._cache[key]


def _build_reach(smap: ServiceMap, max_distance: float | None,
                 max_minutes: float | None, footprints: bool = True) -> ReachMatrix:

    areas, services = smap._areas, smap._services
    n_areas, n_services = len(areas), len(services)
    x, y, origin = area_points(areas)
    footprint, restricted = _footprint_keys(smap)
    if not footprints:
        footprint, restricted = footprint[:0], np.zeros_like(restricted)
    reach = services["reach"].to_numpy(dtype=object)

    radius = services["max_distance"].to_numpy(dtype=float, na_value=np.nan)
    if max_distance is not None:
        radius = np.full(n_services, max_distance)
    limit = services["max_minutes"].to_numpy(dtype=float, na_value=np.nan)
    if max_minutes is not None:
        limit = np.full(n_services, max_minutes)

    d_keys, d_cost = _distance_pairs(smap, x, y, radius)
    m_keys, m_cost = _minutes_pairs(smap, limit)
    keys = np.concatenate([d_keys, m_keys])
    cost = np.concatenate([d_cost, m_cost])
    eligible = ~restricted[keys % n_services] | _in_sorted(keys, footprint)
    keys, cost = keys[eligible], cost[eligible]

    # reach "none": the whole footprint, or every area for a service without one
    anywhere = (reach == "none") & footprints
    f_keys = footprint[anywhere[footprint % n_services]]
    open_services = np.flatnonzero(anywhere & ~restricted)
    o_keys = (np.arange(n_areas, dtype=np.int64)[:, None] * n_services
              + open_services[None, :]).ravel()
    keys = np.concatenate([keys, f_keys, o_keys])
    cost = np.concatenate([cost, np.zeros(len(f_keys) + len(o_keys))])

    keys, cost = _least_per_key(keys, cost)
    rows, cols = keys // n_services, keys % n_services
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_areas))])
    matrix = sparse.csr_array((cost, cols.astype(np.int32), indptr.astype(np.int64)),
                              shape=(n_areas, n_services))
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.setflags(write=False)  # shared by every analysis through the cache
    unit = pd.Series([_UNIT.get(r, str(r)) for r in reach], index=services.index,
                     name="unit", dtype=object)
    return ReachMatrix(
        areas=areas.index, services=services.index, cost=matrix, unit=unit,
        origin=pd.Series(origin, index=areas.index, name="origin", dtype=object),
        max_distance=max_distance, max_minutes=max_minutes)

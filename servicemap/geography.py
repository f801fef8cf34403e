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

Drawn catchments, nearest sites, neighbours
-------------------------------------------
Beside the reach matrix, the geometry the analyses share is done here, once:

* :func:`catchment_fractions`: every catchment drawn as a polygon and the share of
  each area inside it (area weighting), a sparse areas x services matrix cached on the
  map like the reach matrix; overlaps by geometry read it;
* :func:`nearest_sites`: each area's nearest site of some services, in a straight
  line (a k-d tree);
* :func:`area_adjacency`: which areas share a border (rook or queen contiguity, an
  STRtree), a sparse areas x areas matrix; the graph's ``adjacent_to`` edges;
* :func:`referral_steps`: every pathway's figures and the barriers a hand-off along it
  meets, read by pathways and by the pathway diagram.

What is derived from a map is cached on it through :func:`cached`, the one place that
touches the map's cache. The array helpers the analyses share (:func:`in_sorted`,
:func:`expand_blocks`, :func:`least_per_key`, :func:`footprint_keys`,
:func:`site_service_pairs`) are public here so that no analysis reaches into another
module's private names.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from servicemap.crs import to_working_crs, user_stacklevel
from servicemap.errors import ServiceMapWarning, UnreachedWarning, did_you_mean, plural
from servicemap.servicemap import ServiceMap

__all__ = [
    "CATCHMENT_SOURCES",
    "CONTIGUITY",
    "SLIVER",
    "TRAVEL_MODES",
    "CatchmentFractions",
    "ReachMatrix",
    "area_adjacency",
    "area_points",
    "catchment_fractions",
    "expand_blocks",
    "footprint_keys",
    "in_sorted",
    "least_per_key",
    "nearest_sites",
    "reach_matrix",
    "site_service_pairs",
]


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


def footprint_keys(smap: ServiceMap) -> tuple[np.ndarray, np.ndarray]:
    """Return which areas each service's footprint takes in, as sorted pair keys.

    Parameters
    ----------
    smap : ServiceMap
        The map.

    Returns
    -------
    keys : numpy.ndarray of int64
        Sorted, unique ``area * n_services + service`` (positions in ``smap.areas``
        and ``smap.services``) for every area in a service's footprint, directly or
        through a parent code such as ``lad_code``.
    restricted : numpy.ndarray of bool
        Per service, whether it has a footprint at all (an empty one takes anyone).

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> keys, restricted = footprint_keys(smap)
    >>> bool((np.diff(keys) > 0).all())
    True
    >>> j = smap.services.index.get_loc("bcb-adult-hub")
    >>> bool(restricted[j]), int((keys % len(smap.services) == j).sum())  # 381 - Luton's 121
    (True, 260)
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


def in_sorted(keys: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Return whether each of ``keys`` is in ``sorted_keys``, a sorted unique array.

    A binary search per key (``np.isin`` without its sort, for keys already sorted).

    Parameters
    ----------
    keys : numpy.ndarray
        The values looked up, in any order.
    sorted_keys : numpy.ndarray
        Sorted, unique values.

    Returns
    -------
    numpy.ndarray of bool

    Examples
    --------
    >>> in_sorted(np.array([5, 1, 7]), np.array([1, 3, 5])).tolist()
    [True, True, False]
    """
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return sorted_keys[pos] == keys


def least_per_key(keys: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort by key and keep each key's least cost (a service reached through several sites).

    Parameters
    ----------
    keys, cost : numpy.ndarray
        One cost per key; a key may repeat.

    Returns
    -------
    keys, cost : numpy.ndarray
        The distinct keys, sorted, and the least cost of each.

    Examples
    --------
    >>> k, c = least_per_key(np.array([7, 3, 7]), np.array([2.0, 5.0, 1.0]))
    >>> k.tolist(), c.tolist()
    ([3, 7], [5.0, 1.0])
    """
    order = np.argsort(keys)
    keys, cost = keys[order], cost[order]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    if first.all():
        return keys, cost
    starts = np.flatnonzero(first)
    return keys[starts], np.minimum.reduceat(cost, starts)


def expand_blocks(block_of: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> tuple[
        np.ndarray, np.ndarray]:
    """Return, for each item, every position of its block (``b = block_of[k]``).

    Block ``b`` holds positions ``starts[b]`` to ``starts[b] + counts[b] - 1``.

    The vectorised form of ``for k, b in enumerate(block_of): for p in
    range(starts[b], starts[b] + counts[b])``, as used to follow CSR rows.

    Parameters
    ----------
    block_of : numpy.ndarray of int
        The block of each item.
    starts, counts : numpy.ndarray of int
        Where each block starts, and its length.

    Returns
    -------
    positions, owner : numpy.ndarray of int
        Every position of every item's block, and the item it came from.

    Examples
    --------
    >>> pos, owner = expand_blocks(np.array([1, 0, 1]), np.array([0, 2]),
    ...                            np.array([2, 3]))
    >>> pos.tolist(), owner.tolist()
    ([2, 3, 4, 0, 1, 2, 3, 4], [0, 0, 0, 1, 1, 2, 2, 2])
    """
    lengths = counts[block_of]
    owner = np.repeat(np.arange(len(block_of)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return starts[block_of][owner] + offsets, owner


#: Site modes that people travel to (or that travel from a base): the points reach is
#: measured from. Phone and online sites are never a point, even with a location.
TRAVEL_MODES = ("in_person", "outreach")


def site_service_pairs(smap: ServiceMap, reach: str) -> tuple[np.ndarray, np.ndarray]:
    """Return (site, service) positions of the points ``reach`` services are measured from.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    reach : {"distance", "minutes", "none"}
        The services' reach.

    Returns
    -------
    site, service : numpy.ndarray of int64
        Positions in ``smap.sites`` and ``smap.services`` of every in-person or
        outreach site (:data:`TRAVEL_MODES`) listing a service of that reach, located
        or not.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> site, service = site_service_pairs(smap, "distance")
    >>> len(site) == len(service) > 0
    True
    >>> set(smap.services["reach"].iloc[service])
    {'distance'}
    """
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
    site_pos, service_pos = site_service_pairs(smap, "distance")
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
    pos, owner = expand_blocks(site_of_pair, starts, counts)
    within = f_d[pos] <= r[owner]
    keys = f_area[pos][within] * n_services + service_pos[owner][within]
    return keys, f_d[pos][within]


def _minutes_pairs(smap: ServiceMap, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keys and minutes of (area, service) pairs within each service's limit."""
    times = smap._travel_times
    n_services = len(smap._services)
    site_pos, service_pos = site_service_pairs(smap, "minutes")
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
    pos, owner = expand_blocks(site_pos, starts, counts)
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
    return smap.cached(("reach_matrix", max_distance, max_minutes),
                  lambda: _warn_unreached(_build_reach(smap, max_distance, max_minutes),
                                          smap, max_distance, max_minutes))


def _warn_unreached(reach: ReachMatrix, smap: ServiceMap,
                    max_distance: float | None = None,
                    max_minutes: float | None = None) -> ReachMatrix:
    """Warn, once as the matrix is built, of services reaching no area, idle thresholds."""
    kinds = set(smap._services["reach"])
    for argument, value, kind, other in (("max_distance", max_distance, "distance",
                                          "max_minutes"),
                                         ("max_minutes", max_minutes, "minutes",
                                          "max_distance")):
        if value is not None and kind not in kinds:
            warnings.warn(
                f"{argument}={value:g} changes nothing: no service in the map reaches "
                f"by {kind} (they reach by {', '.join(sorted(kinds)) or 'nothing'}). "
                f"Use {other}= instead, or give services reach '{kind}'.",
                ServiceMapWarning, stacklevel=user_stacklevel())
    unreached = reach.unreached_services
    if len(unreached):
        shown = ", ".join(map(str, unreached[:10]))
        more = f" and {len(unreached) - 10} more" if len(unreached) > 10 else ""
        warnings.warn(
            f"{plural(len(unreached), 'service reaches', 'services reach')} no area: "
            f"{shown}{more}. They are kept as empty columns; check their sites, "
            "footprint and maximum distance or minutes.", UnreachedWarning,
            stacklevel=user_stacklevel())
    return reach


def journey_reach(smap: ServiceMap, *, max_distance: float | None = None,
                  max_minutes: float | None = None) -> ReachMatrix:
    """Reach by distance or minutes alone, footprints aside; cached like the reach.

    Compared with :func:`reach_matrix`, it shows whom footprints turn away. Services
    that reach by ``none`` are empty columns here: without a footprint they would
    reach every area, so callers treat them as reaching everywhere.
    """
    max_distance = _positive(max_distance, "max_distance")
    max_minutes = _positive(max_minutes, "max_minutes")
    return smap.cached(("journey_reach", max_distance, max_minutes),
                  lambda: _build_reach(smap, max_distance, max_minutes, footprints=False))


def _build_reach(smap: ServiceMap, max_distance: float | None,
                 max_minutes: float | None, footprints: bool = True) -> ReachMatrix:

    areas, services = smap._areas, smap._services
    n_areas, n_services = len(areas), len(services)
    x, y, origin = area_points(areas)
    footprint, restricted = footprint_keys(smap)
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
    eligible = ~restricted[keys % n_services] | in_sorted(keys, footprint)
    keys, cost = keys[eligible], cost[eligible]

    # reach "none": the whole footprint, or every area for a service without one
    anywhere = (reach == "none") & footprints
    f_keys = footprint[anywhere[footprint % n_services]]
    open_services = np.flatnonzero(anywhere & ~restricted)
    o_keys = (np.arange(n_areas, dtype=np.int64)[:, None] * n_services
              + open_services[None, :]).ravel()
    keys = np.concatenate([keys, f_keys, o_keys])
    cost = np.concatenate([cost, np.zeros(len(f_keys) + len(o_keys))])

    keys, cost = least_per_key(keys, cost)
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


# -- shared by the analyses: drawn catchments, nearest sites, contiguity ----------------
#: An area shares a drawn catchment when more than this fraction of it lies inside.
SLIVER = 1e-9
#: Segments per quarter circle when a reach is drawn as a polygon.
_QUAD_SEGS = 16
#: How each service's catchment was drawn, in :attr:`CatchmentFractions.source`.
CATCHMENT_SOURCES = ("given", "sites", "whole_areas", "no_site", "travel_times")


@dataclass(frozen=True, eq=False, repr=False)
class CatchmentFractions:
    """The share of each area inside each service's drawn catchment.

    Build it with :func:`catchment_fractions`. Rows follow ``smap.areas.index`` and
    columns ``smap.services.index``, as in :class:`ReachMatrix`.

    Attributes
    ----------
    areas : pandas.Index
        Area codes, the rows.
    services : pandas.Index
        Service ids, the columns.
    fraction : scipy.sparse.csr_array
        Per (area, service), the share of the area's polygon inside the catchment,
        in (0, 1]; areas with at most a billionth inside (:data:`SLIVER`) are not
        stored. Rows sorted by column.
    pieces : numpy.ndarray of object
        Per stored entry of :attr:`fraction`, in CSR order: the part of the area
        inside the catchment (a shapely geometry), or None where the whole area is.
    source : pandas.Series
        Per service, how its catchment was drawn (:data:`CATCHMENT_SOURCES`):
        ``given`` (a polygon passed in), ``sites`` (circles of its maximum distance
        around its in-person and outreach sites), ``whole_areas`` (reach ``none``:
        its footprint, or every area), ``no_site`` (reach by distance, with no
        located site: an empty column) or ``travel_times`` (reach by minutes, which
        cannot be drawn: an empty column).
    max_distance : float or None
        The radius that replaced every service's own, or None.

    Examples
    --------
    >>> fr = catchment_fractions(sm.datasets.bedfordshire())
    >>> fr.fraction.shape
    (381, 40)
    >>> sorted(fr.source.value_counts().items())
    [('sites', 20), ('whole_areas', 20)]
    """

    areas: pd.Index
    services: pd.Index
    fraction: sparse.csr_array
    pieces: np.ndarray
    source: pd.Series
    max_distance: float | None = None

    @property
    def undrawn(self) -> pd.Index:
        """Services reaching by minutes that were given no polygon (empty columns)."""
        return self.services[(self.source == "travel_times").to_numpy()]

    def __repr__(self) -> str:
        n_areas, n_services = self.fraction.shape
        return (f"<CatchmentFractions: {plural(n_areas, 'area')} x "
                f"{plural(n_services, 'service')}, {plural(self.fraction.nnz, 'pair')}>")


def catchment_fractions(
    smap: ServiceMap,
    *,
    max_distance: float | None = None,
    catchments: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
) -> CatchmentFractions:
    """Draw every service's catchment as a polygon and measure each area's share inside.

    Where :func:`reach_matrix` takes an area in or out by its point, this cuts the
    areas by the catchments (area weighting): an area half inside counts half. A
    catchment is

    * the union of circles of ``max_distance`` around a distance service's located
      in-person and outreach sites, cut to its footprint;
    * its footprint areas, wholly, for reach ``none`` (every area without a
      footprint);
    * a polygon given in ``catchments=``, cut to the footprint.

    Services that reach by minutes cannot be drawn from a travel-time table: without
    a given polygon they are empty columns (:attr:`CatchmentFractions.undrawn`).

    Parameters
    ----------
    smap : ServiceMap
        The map.
    max_distance : float, optional
        Metres; replaces the ``max_distance`` of every service that reaches by
        distance.
    catchments : geopandas.GeoSeries or GeoDataFrame, optional
        Drawn catchments (polygons or multipolygons) indexed by service id, in any
        CRS (reprojected with a warning), for some or all services; they replace the
        reach from the sites.

    Returns
    -------
    CatchmentFractions
        Cached on the map per ``max_distance`` when no ``catchments`` are given.

    Raises
    ------
    ValueError
        For ``catchments`` that are not one polygon per service id.

    Notes
    -----
    Circles are buffered with shapely and united per service; the areas each
    catchment may touch come from an STRtree query. An area wholly inside (a prepared
    ``contains_properly`` test) is not cut; the others are intersected with it.

    Examples
    --------
    >>> import shapely
    >>> smap = sm.datasets.bedfordshire()
    >>> fr = catchment_fractions(smap)
    >>> fr is catchment_fractions(smap)  # cached on the map
    True
    >>> hub = fr.services.get_loc("bcb-adult-hub")
    >>> col = fr.fraction[:, [hub]].tocsc()
    >>> bool(((col.data > 0) & (col.data <= 1)).all())
    True
    >>> square = gpd.GeoSeries([shapely.box(500_000, 240_000, 510_000, 250_000)],
    ...                        index=["beds-naloxone"], crs=27700)
    >>> catchment_fractions(smap, catchments=square).source["beds-naloxone"]
    'given'
    """
    max_distance = _positive(max_distance, "max_distance")
    if catchments is not None:
        return _build_fractions(smap, _given_catchments(smap, catchments), max_distance)
    return smap.cached(("catchment_fractions", max_distance),
                  lambda: _build_fractions(smap, {}, max_distance))


def _given_catchments(smap: ServiceMap, catchments: Any) -> dict[str, Any]:
    """Check drawn catchments: polygons indexed by service id, any CRS."""
    if isinstance(catchments, gpd.GeoDataFrame):
        catchments = catchments.geometry
    if not isinstance(catchments, gpd.GeoSeries):
        msg = (f"catchments= takes a GeoSeries or GeoDataFrame of polygons indexed by "
               f"service id; got {type(catchments).__name__}.")
        raise ValueError(msg)
    catchments = to_working_crs(catchments, "catchments")
    known = smap._services.index
    for sid in catchments.index:
        if sid not in known:
            msg = (f"catchments=: {sid!r} is not a service of the map."
                   f"{did_you_mean(sid, list(known))} Index the catchments by service id.")
            raise ValueError(msg)
    if catchments.index.has_duplicates:
        dup = catchments.index[catchments.index.duplicated()][0]
        msg = (f"catchments=: service {dup!r} has more than one row; give one polygon "
               "or multipolygon per service (union them first).")
        raise ValueError(msg)
    kinds = catchments.geom_type.to_numpy(dtype=object)
    bad = ~np.isin(kinds, ["Polygon", "MultiPolygon"])
    if bad.any():
        sid, kind = catchments.index[bad][0], kinds[bad][0]
        what = "missing" if kind is None else f"a {kind}"
        msg = (f"catchments=: the catchment of {sid!r} is {what}, not a polygon; give "
               "a polygon or multipolygon per service.")
        raise ValueError(msg)
    return dict(zip(catchments.index, np.asarray(catchments.values), strict=True))


def _draw(smap: ServiceMap, given: dict[str, Any],
          max_distance: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Per service: its polygon (None for whole areas or nothing), and its source."""
    services, sites = smap._services, smap._sites
    n = len(services)
    reach = services["reach"].to_numpy(dtype=object)
    is_given = services.index.isin(list(given))
    geoms = np.full(n, None, dtype=object)
    geoms[is_given] = [given[sid] for sid in services.index[is_given]]

    site_pos, service_pos = site_service_pairs(smap, "distance")
    keep = ~is_given[service_pos]
    site_pos, service_pos = site_pos[keep], service_pos[keep]
    points = np.asarray(sites.geometry.values)[site_pos]
    located = ~(shapely.is_missing(points) | shapely.is_empty(points))
    service_pos, points = service_pos[located], points[located]
    radius = services["max_distance"].to_numpy(dtype=float, na_value=np.nan)[service_pos]
    if max_distance is not None:
        radius = np.full(len(service_pos), max_distance)
    circles = shapely.buffer(points, radius, quad_segs=_QUAD_SEGS)
    has_circle = np.zeros(n, dtype=bool)
    if len(service_pos):
        order = np.argsort(service_pos, kind="stable")
        service_pos, circles = service_pos[order], circles[order]
        slot = np.arange(len(service_pos)) - np.searchsorted(service_pos, service_pos)
        padded = np.full((n, int(slot.max()) + 1), None, dtype=object)
        padded[service_pos, slot] = circles
        has_circle[service_pos] = True
        geoms[has_circle] = shapely.union_all(padded[has_circle], axis=1)

    source = np.full(n, "no_site", dtype=object)
    source[reach == "minutes"] = "travel_times"
    source[reach == "none"] = "whole_areas"
    source[has_circle] = "sites"
    source[is_given] = "given"
    return geoms, source


def _build_fractions(smap: ServiceMap, given: dict[str, Any],
                     max_distance: float | None) -> CatchmentFractions:
    areas, services = smap._areas, smap._services
    n_areas, n_services = len(areas), len(services)
    geoms, source = _draw(smap, given, max_distance)
    footprint, restricted = footprint_keys(smap)
    shapes = np.asarray(areas.geometry.values)
    size = shapely.area(shapes)

    # whole areas: reach "none" services on their footprint, or everywhere
    whole = source == "whole_areas"
    f_keys = footprint[whole[footprint % n_services]]
    open_ = np.flatnonzero(whole & ~restricted)
    o_keys = (np.arange(n_areas, dtype=np.int64)[:, None] * n_services
              + open_[None, :]).ravel()

    # drawn catchments: STRtree of the areas, areas wholly inside kept whole, the rest cut
    drawn = np.flatnonzero(~whole & ~shapely.is_missing(geoms))
    shapely.prepare(geoms[drawn])
    hit_s, hit_a = shapely.STRtree(shapes).query(geoms[drawn], predicate="intersects")
    svc = drawn[hit_s]
    keys = hit_a.astype(np.int64) * n_services + svc
    eligible = ~restricted[svc] | in_sorted(keys, footprint)
    svc, hit_a, keys = svc[eligible], hit_a[eligible], keys[eligible]
    inside = shapely.contains_properly(geoms[svc], shapes[hit_a])
    pieces = np.full(len(svc), None, dtype=object)
    frac = np.ones(len(svc))
    cut = ~inside
    pieces[cut] = shapely.intersection(shapes[hit_a[cut]], geoms[svc[cut]])
    frac[cut] = np.minimum(shapely.area(pieces[cut]) / size[hit_a[cut]], 1.0)
    keep = frac > SLIVER

    keys = np.concatenate([f_keys, o_keys, keys[keep]])
    data = np.concatenate([np.ones(len(f_keys) + len(o_keys)), frac[keep]])
    piece = np.concatenate([np.full(len(f_keys) + len(o_keys), None, dtype=object),
                            pieces[keep]])
    order = np.argsort(keys, kind="stable")
    keys, data, piece = keys[order], data[order], piece[order]
    rows, cols = keys // n_services, keys % n_services
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_areas))])
    matrix = sparse.csr_array((data, cols.astype(np.int32), indptr.astype(np.int64)),
                              shape=(n_areas, n_services))
    for array in (matrix.data, matrix.indices, matrix.indptr, piece):
        array.setflags(write=False)  # shared through the cache
    return CatchmentFractions(
        areas=areas.index, services=services.index, fraction=matrix, pieces=piece,
        source=pd.Series(source, index=services.index, name="source", dtype=object),
        max_distance=max_distance)


def nearest_sites(smap: ServiceMap, *, services: Iterable[str] | None = None,
                  ) -> pd.DataFrame:
    """Return each area's nearest site, in a straight line from the area's point.

    Only the sites people travel to or that travel from a base count
    (:data:`TRAVEL_MODES`, with a location), whatever a service's reach or footprint.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    services : iterable of str, optional
        Service ids: only sites listing one of them count. By default, every site.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``smap.areas``: ``site`` (its id; missing where no site counts)
        and ``distance`` (metres from the area's point, :func:`area_points`; NaN
        where no site counts).

    Raises
    ------
    KeyError
        For a service id that is not in the map.

    Notes
    -----
    One scipy ``cKDTree`` of the sites, queried once for every area.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> near = nearest_sites(smap, services=["bcb-adult-hub"])
    >>> near.index.equals(smap.areas.index)
    True
    >>> near["site"].unique().tolist()  # its one site
    ['site-bed-hub']
    >>> bool((nearest_sites(smap)["distance"] <= near["distance"]).all())
    True
    """
    sites = smap._sites
    listed = sites["services"].reset_index(drop=True).explode().dropna()
    if services is None:
        of = np.zeros(len(sites), dtype=bool)
        of[listed.index.to_numpy(dtype=np.int64)] = True
    else:
        wanted = pd.Index(_as_ids(services))
        unknown = wanted.difference(smap._services.index)
        if len(unknown):
            msg = (f"services=: {unknown[0]!r} is not a service of the map."
                   f"{did_you_mean(str(unknown[0]), list(smap._services.index))}")
            raise KeyError(msg)
        hit = listed.isin(wanted).to_numpy()
        of = np.zeros(len(sites), dtype=bool)
        of[listed.index.to_numpy(dtype=np.int64)[hit]] = True
    geom = np.asarray(sites.geometry.values)
    located = ~(shapely.is_missing(geom) | shapely.is_empty(geom))
    usable = np.flatnonzero(of & located & sites["mode"].isin(TRAVEL_MODES).to_numpy())
    n = len(smap._areas)
    distance = np.full(n, np.nan)
    site = pd.array([None] * n, dtype="string")
    if len(usable):
        x, y, _ = area_points(smap._areas)
        tree = cKDTree(np.column_stack([shapely.get_x(geom[usable]),
                                        shapely.get_y(geom[usable])]))
        distance, which = tree.query(np.column_stack([x, y]))
        site = pd.array(sites.index.to_numpy(dtype=object)[usable[which]], dtype="string")
    return pd.DataFrame({"site": site, "distance": distance}, index=smap._areas.index)


def _as_ids(values: str | Iterable[str]) -> list[str]:
    """Return one id or an iterable of ids as a list of str."""
    return [values] if isinstance(values, str) else [str(v) for v in values]


#: Area contiguity: ``rook`` (a stretch of shared border, or overlap), ``queen`` (a point).
CONTIGUITY = ("rook", "queen")


def area_adjacency(areas: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray, *,
                   how: str = "rook") -> sparse.csr_array:
    """Return which areas border which, as a symmetric sparse areas x areas matrix.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame, GeoSeries or array of polygons
        Such as ``smap.areas``.
    how : {"rook", "queen"}, default "rook"
        ``"rook"``: the boundaries share at least a line, or the interiors overlap
        (areas meeting at a single point are not adjacent); ``"queen"``: the polygons
        share at least one point.

    Returns
    -------
    scipy.sparse.csr_array of bool
        Entry (i, j) is True when areas i and j (positions) are adjacent; the
        diagonal is empty. ``.nonzero()`` gives the pairs, each in both directions,
        sorted.

    Raises
    ------
    ValueError
        For ``how`` not in :data:`CONTIGUITY`.

    Notes
    -----
    One shapely ``STRtree`` query of the areas against themselves
    (``predicate="intersects"``); for rook, the DE-9IM relation of each candidate
    pair: adjacent when the interiors meet in an area or the boundaries in a line.
    libpysal's ``Rook`` and ``Queen`` give the same neighbours on polygons that
    share vertices.

    Examples
    --------
    >>> import shapely
    >>> squares = gpd.GeoSeries([shapely.box(i, j, i + 1, j + 1) for j in range(2)
    ...                          for i in range(2)])          # 0 1 below, 2 3 above
    >>> rook = area_adjacency(squares)
    >>> rook.toarray().astype(int).tolist()
    [[0, 1, 1, 0], [1, 0, 0, 1], [1, 0, 0, 1], [0, 1, 1, 0]]
    >>> int(area_adjacency(squares, how="queen").sum())       # and both diagonals
    12
    """
    if how not in CONTIGUITY:
        msg = f"how={how!r} is not an option. Use 'rook' or 'queen'.{did_you_mean(how, CONTIGUITY)}"
        raise ValueError(msg)
    if isinstance(areas, (gpd.GeoDataFrame, gpd.GeoSeries)):
        geoms = np.asarray(areas.geometry.values if isinstance(areas, gpd.GeoDataFrame)
                           else areas.values, dtype=object)
    else:
        geoms = np.asarray(areas, dtype=object)
    n = len(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    other = left != right
    left, right = left[other], right[other]
    if how == "rook" and len(left):
        # DE-9IM: interior/interior of dimension 2 (overlap), or boundary/boundary of
        # dimension 1 (a shared line)
        relation = np.asarray(shapely.relate(geoms[left], geoms[right]), dtype="U9")
        codes = relation.view(np.uint32).reshape(-1, 9)
        keep = (codes[:, 0] == ord("2")) | (codes[:, 4] == ord("1"))
        left, right = left[keep], right[keep]
    out = sparse.csr_array((np.ones(len(left), dtype=bool), (left, right)), shape=(n, n))
    out.sort_indices()
    return out

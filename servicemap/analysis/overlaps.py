"""Overlaps: pairs of services that serve the same people for the same need.

Two services **overlap** when all of these hold:

* both list a need in scope (``need=``, or every need a counted service lists);
* both serve a client group in scope whose implied ages
  (:data:`~servicemap.vocab.CLIENT_GROUP_AGES`) overlap their own ``min_age``-``max_age``
  (the coverage rule), and their own age ranges overlap each other;
* their **effective catchments** (footprint and reach) share at least one area.

Effective catchments are measured in one of two ways:

* **by the reach matrix** (the default): an area is in a catchment when the reach
  matrix says the service reaches it (its point is within reach, and it is in the
  footprint), so two services share an area wholly or not at all. Exact for
  catchments made of areas (footprints, reach ``none``), fast at national scale:
  every pair comes from one sparse product ``R^T diag(w) R`` per weight.
* **by geometry** (``exact=True``): each catchment is drawn as a polygon -- the union
  of circles of ``max_distance`` around the service's in-person and outreach sites,
  cut to its footprint areas; a footprint for reach ``none``; or a polygon you give in
  ``catchments=`` -- and each area counts by the part of it inside both catchments
  (area weighting: an area half inside the overlap adds half its population and half
  its need). The shares come from :func:`servicemap.geography.catchment_fractions`.

:func:`find_overlaps` reads as three stages: the checks (``_check``), the query
(``_catchments``, ``_candidates``, then ``_shared_by_reach`` or
``_shared_by_geometry``), and assembling the table (``_table``).

Counts of people in :meth:`OverlapReport.summary` are rounded and small ones hidden
(:func:`servicemap.disclosure.suppress`) unless ``suppress=None``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from servicemap.analysis._report import DEFAULT_THRESHOLD, Report, publish
from servicemap.analysis._select import (
    ACTIVE,
    as_terms,
    as_tuple,
    counted,
    listing,
    served_groups,
)
from servicemap.errors import did_you_mean, plural
from servicemap.geography import (
    SLIVER,
    catchment_fractions,
    in_sorted,
    reach_matrix,
)
from servicemap.plotting import area_map
from servicemap.servicemap import ServiceMap

if TYPE_CHECKING:  # for annotations only: matplotlib.axes loads when drawing
    from matplotlib.axes import Axes

__all__ = ["ACROSS", "OverlapReport", "find_overlaps"]

#: The ways pairs can be restricted to different commissioning or providing bodies.
ACROSS = ("partnership", "provider", "commissioner")
#: What a service with no partnership (or no commissioner) is called in summaries.
_NONE_LABEL = {"partnership": "(no partnership)", "commissioner": "(no commissioner)",
               "provider": "(no provider)"}


@dataclass(frozen=True, eq=False)
class _Detail:
    """What the methods need to go back from pairs to areas (not part of the API)."""

    smap: ServiceMap
    cols: np.ndarray                  # positions in smap.services of the compared
    ids: pd.Index                     # the services compared (columns of ``weights``)
    weights: sparse.csr_array         # areas x services: 1 (reach) or the share inside
    need_columns: dict[str, str]
    exact: bool
    # exact mode: one row per (area, pair) with an overlap; fraction and its shape
    triples: pd.DataFrame | None = None

    @property
    def areas(self) -> gpd.GeoDataFrame:
        return self.smap._areas


@dataclass(frozen=True, repr=False, eq=False)
class OverlapReport(Report):
    """Pairs of services meeting the same need for the same people in the same places.

    Build it with :func:`find_overlaps`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per overlapping pair, indexed by ``(service_a, service_b)`` with
        ``service_a < service_b``, sorted by ``shared_population`` (largest first). See
        :func:`find_overlaps` for the columns.
    attrs : dict
        What was compared: needs, client groups, statuses, ``across``, the geometry
        mode, thresholds, services considered and, by geometry, how many catchments
        were given, drawn or made of whole areas.
    notes : list of str
        What was assumed or left out: needs with no column in the areas, areas with
        no population, catchments given for services not compared.
    duplication : pandas.DataFrame
        Indexed like ``smap.areas``: ``services`` (distinct services of the report's
        pairs that overlap in the area), ``pairs`` (the report's pairs sharing the
        area) and ``duplication`` = ``max(services - 1, 0)``: how many services there
        are beyond the first one. Worked out when first read.
    """

    table: pd.DataFrame
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _detail: _Detail | None = field(default=None, compare=False)
    row_noun: ClassVar[str] = "pair of services"

    @property
    def smap(self) -> ServiceMap | None:
        """The map the report was made from."""
        return None if self._detail is None else self._detail.smap

    @cached_property
    def duplication(self) -> pd.DataFrame:
        """Per area: services and pairs of the report overlapping there (see above)."""
        detail = self._detail
        if detail is None:
            empty = np.zeros(0, dtype=np.int64)
            return pd.DataFrame({"services": empty, "pairs": empty, "duplication": empty})
        return _duplication(detail, self.table)

    def summary(self, by: str | None = None, *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """Overlaps by the two sides' commissioning (or providing) bodies and need.

        Parameters
        ----------
        by : {None, "partnership", "provider", "commissioner"}, optional
            The sides: the partnerships commissioning each service, their providers
            or their commissioners. By default the report's ``across``, else
            ``"partnership"``. A service commissioned by no partnership is
            ``"(no partnership)"`` (and likewise for the others).
        suppress : int or None, default 5
            Round ``population`` and ``need`` to whole people and hide counts below
            this, with secondary suppression (:func:`servicemap.disclosure.suppress`);
            None publishes exact figures.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``side_a``, ``side_b`` (in sorted order) and ``need``: ``pairs``,
            ``services`` (distinct), ``areas`` (distinct areas shared by at least one
            of the pairs), ``population`` and ``need`` (people, and people with the
            need, living there, each counted once however many pairs share it; by
            geometry, the part of each area inside the union of the pairs'
            overlaps). ``need`` is missing where the areas have no column for it.

        Raises
        ------
        ValueError
            For ``by`` not one of the options.

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> s = ovl.summary()
        >>> s.index.names
        FrozenList(['side_a', 'side_b', 'need'])
        >>> int(s["pairs"].sum()) == len(ovl.table)
        True
        >>> ovl.summary("provider", suppress=None).index.names[0]
        'side_a'
        """
        side = (self.attrs.get("across") or "partnership") if by is None else by
        if side not in ACROSS:
            msg = (f"by={by!r}: choose None (the report's across) or one of "
                   f"{', '.join(ACROSS)}.{did_you_mean(str(by), ACROSS)}")
            raise ValueError(msg)
        columns = ["pairs", "services", "areas", "population", "need"]
        names = ["side_a", "side_b", "need"]
        detail = self._detail
        if detail is None or not len(self.table):
            empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
            empty.index = pd.MultiIndex.from_arrays([[], [], []], names=names)
            return empty
        out = _summary(self.table, detail, side)
        out = out.astype({"pairs": "int64", "services": "int64", "areas": "int64"})
        return publish(out, ["population", "need"], names, suppress=suppress,
                       total=False, margins=False)

    def explain(self, key: tuple[str, str]) -> pd.DataFrame:
        """Return the areas two services share, with a sentence saying who overlaps.

        Parameters
        ----------
        key : (str, str)
            A label of :attr:`table`'s index: the two service ids (in either order).

        Returns
        -------
        pandas.DataFrame
            One row per shared area, indexed by area code: ``name``, ``overlap`` (the
            share of the area inside both catchments: 1 by the reach matrix),
            ``population`` and one ``need_<need>`` column per shared need (people in
            the shared part). Its columns sum to the pair's row of :attr:`table`.
            ``attrs["headline"]`` says, in one sentence, which services, providers and
            partnerships overlap, for which needs and groups, and how much of each
            catchment is shared.

        Raises
        ------
        KeyError
            If the two services are not a pair of the report.

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> pair = ovl.table.index[0]
        >>> shared = ovl.explain(pair)
        >>> round(float(shared["population"].sum())) == round(
        ...     float(ovl.table.loc[pair, "shared_population"]))
        True
        >>> shared.columns.tolist()
        ['name', 'overlap', 'population', 'need_drug']
        >>> " overlap for drug (" in shared.attrs["headline"]
        True
        """
        if isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str)
                                                              for k in key):
            key = (min(key), max(key))
        key = self._check_key(key)
        detail = self._detail
        if detail is None:
            msg = "this report has no areas to explain; build it with sm.find_overlaps."
            raise ValueError(msg)
        row = self.table.loc[key]
        a, b = detail.ids.get_indexer(list(key))
        rows, overlap = _shared_areas(detail, int(a), int(b))
        areas = detail.areas
        pop = _population(areas)[0]
        out = pd.DataFrame({"name": areas["name"].to_numpy()[rows] if "name" in areas
                            else areas.index[rows], "overlap": overlap,
                            "population": pop[rows] * overlap},
                           index=pd.Index(areas.index[rows], name=areas.index.name))
        for need in row["needs"]:
            column = detail.need_columns.get(need)
            if column is not None:
                out[column] = areas[column].to_numpy(dtype=float,
                                                     na_value=0.0)[rows] * overlap
        out = out.sort_values("population", ascending=False, kind="stable")
        out.attrs["headline"] = _headline(key, row, detail.smap._services)
        return out

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Map the duplication index: services beyond the first overlapping per area.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        **kwargs
            Passed to :func:`servicemap.plotting.area_map` (``title``, ``cmap``, ...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> ax = ovl.plot()
        >>> ax.get_title()
        'Overlapping services for drug: duplication index'
        """
        if self._detail is None:
            msg = "this report has no areas to draw; build it with sm.find_overlaps."
            raise ValueError(msg)
        assessed = list(self.attrs.get("need") or ())
        needs = (", ".join(assessed) if 0 < len(assessed) <= 3 else
                 f"{len(assessed)} needs" if assessed else "any need")
        kwargs.setdefault("title", f"Overlapping services for {needs}: duplication index")
        kwargs.setdefault("label", "overlapping services beyond the first")
        return area_map(self._detail.areas, self.duplication["duplication"], ax=ax,
                        **kwargs)

    def __repr__(self) -> str:
        across = self.attrs.get("across")
        how = f" across {across}s" if across else ""
        dup = self.duplication["duplication"]
        return (f"<OverlapReport: {plural(len(self.table), 'pair')}{how} over "
                f"{plural(int((dup > 0).sum()), 'area')}; {self.attrs.get('mode', '')}>")




# -- the entry point, in stages --------------------------------------------------------
def find_overlaps(
    smap: ServiceMap,
    *,
    need: str | Iterable[str] | None = None,
    across: str | None = None,
    client_group: str | Iterable[str] | None = None,
    status: Iterable[str] = ACTIVE,
    exact: bool = False,
    catchments: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> OverlapReport:
    """Find pairs of services serving the same people for the same need, and where.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    need : str or list of str, optional
        The needs compared; by default every need a counted service lists.
    across : {None, "partnership", "provider", "commissioner"}, optional
        Keep only pairs on different sides: ``"partnership"``, pairs with no
        commissioning partnership in common (``smap.service_partnerships()``);
        ``"provider"``, different providers; ``"commissioner"``, no commissioner in
        common. A service commissioned by no partnership counts as outside every
        partnership: it is compared with services commissioned by a partnership
        (an overlap between a partnership's provision and provision commissioned
        elsewhere is what a partnership board needs to see), but two services that
        are both outside any partnership are not a pair "across partnerships" (use
        ``across="commissioner"`` to compare who commissions them). The same holds
        for services with no commissioner under ``"commissioner"``.
    client_group : str or list of str, optional
        Compare only these client groups.
    status : iterable of str, default ("active",)
        The service statuses compared.
    exact : bool, default False
        Measure catchments as polygons and areas by the part inside (see the module
        notes) instead of by the reach matrix.
    catchments : geopandas.GeoSeries or GeoDataFrame, optional
        With ``exact=True``: drawn catchments (polygons) indexed by service id, in
        any CRS (reprojected with a warning), for some or all services; they replace
        the reach from the sites, and the service's footprint still applies. Others
        are drawn from the map. Required for services that reach by minutes.
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    OverlapReport
        ``.table`` has one row per pair, indexed ``(service_a, service_b)`` with
        ``service_a < service_b``, sorted by ``shared_population``, largest first:

        * ``needs``, ``client_groups``: what both meet (tuples);
        * ``provider_a``, ``provider_b``, ``partnerships_a``, ``partnerships_b``,
          ``commissioners_a``, ``commissioners_b``;
        * ``shared_areas``, ``areas_a``, ``areas_b``: areas in both catchments and in
          each;
        * ``shared_population``; ``share_a``, ``share_b``: the shared population as a
          share of the population of each service's catchment;
        * ``need_<need>`` per need in scope with a column in the areas: people with
          the need in the shared areas, NaN where the pair does not share the need;
        * ``capacity_a``, ``capacity_b``, ``capacity_unit`` (missing when the units
          differ), ``combined_capacity`` (NaN when the units differ or a capacity is
          missing);
        * ``capacity_per_1000_need``: the combined capacity per 1,000 people with the
          need in the shared areas, taking the largest of the pair's shared needs
          (the need the two services would share out between them, at worst).

        ``.duplication`` per area, ``.notes``, ``.summary()``, ``.explain(pair)``,
        ``.plot()``.

    Raises
    ------
    ValueError
        For an unknown need, client group, status or ``across``; for ``catchments``
        that are not polygons indexed by service id, or given without ``exact=True``;
        with ``exact=True``, for services reaching by minutes without a drawn
        catchment.

    Notes
    -----
    By the reach matrix, pair sums come from sparse products ``R^T diag(w) R`` (one per
    weight: ones for areas, population, each need over the services listing it), so
    nothing loops over pairs or areas. By geometry, the share of each area inside each
    catchment comes from :func:`servicemap.geography.catchment_fractions` (cached on
    the map), and for two catchments only the pieces of the areas both cut are
    intersected. A shared area is one with more than a billionth of it inside both
    catchments.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> ovl = sm.find_overlaps(smap, need="drug", across="partnership")
    >>> ovl.table.index.names
    FrozenList(['service_a', 'service_b'])
    >>> row = ovl.table.iloc[0]
    >>> set(row["partnerships_a"]) & set(row["partnerships_b"])
    set()
    >>> bool(ovl.table[["share_a", "share_b"]].le(1).all(axis=None))
    True
    >>> ovl.duplication.index.equals(smap.areas.index)
    True
    """
    scope = _check(smap, need=need, across=across, client_group=client_group,
                   status=status, exact=exact, catchments=catchments)
    weights, pieces, drawn = _catchments(smap, scope, exact=exact, catchments=catchments,
                                         max_distance=max_distance,
                                         max_minutes=max_minutes)
    binary = _binary(weights)
    pairs, together = _candidates(smap, scope, binary, across)
    if pieces is None:
        shared = _shared_by_reach(smap._areas, scope, pairs, binary, together)
    else:
        shared = _shared_by_geometry(smap._areas, scope, pairs, weights, pieces)
    table, triples = _table(smap, scope, shared, weights)

    attrs: dict[str, Any] = {
        "need": tuple(scope.needs), "client_group": scope.groups or None,
        "status": as_tuple(status), "across": across,
        "mode": ("by geometry (area-weighted)" if exact
                 else "by the reach matrix (whole areas)"),
        "exact": exact, "max_distance": max_distance, "max_minutes": max_minutes,
        "services_compared": len(scope.ids), "pairs": len(table),
        "capacity_per_1000_need": ("combined capacity (same unit only) per 1,000 "
                                   "people with the largest of the pair's shared "
                                   "needs in the shared areas"), **drawn}
    table.attrs.update({k: v for k, v in attrs.items() if k != "pairs"})
    detail = _Detail(smap=smap, cols=scope.cols, ids=scope.ids, weights=weights,
                     need_columns=scope.need_columns, exact=exact, triples=triples)
    return OverlapReport(table=table, attrs=attrs,
                         notes=_notes(smap, scope, catchments), _detail=detail)


# -- checks ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Scope:
    """The services compared, in id order, and what each lists."""

    needs: list[str]                  # in scope, in vocabulary order
    groups: tuple[str, ...]           # as given (empty: every group)
    group_terms: list[str]            # the columns of ``group_of``
    cols: np.ndarray                  # positions in smap.services, sorted by id
    ids: pd.Index                     # their ids: position a < b is id a < id b
    need_of: np.ndarray               # compared services x needs
    group_of: np.ndarray              # compared services x groups served with ages
    need_columns: dict[str, str]      # need -> the areas' column, where there is one


def _check(smap: ServiceMap, *, need: Any, across: str | None, client_group: Any,
           status: Iterable[str], exact: bool, catchments: Any) -> _Scope:
    """Check the options and choose the services compared."""
    if across is not None and across not in ACROSS:
        msg = (f"across={across!r}: choose None or one of {', '.join(ACROSS)}."
               f"{did_you_mean(across, ACROSS)}")
        raise ValueError(msg)
    if not isinstance(exact, bool):
        msg = f"exact={exact!r}: give True (by geometry) or False (by the reach matrix)."
        raise ValueError(msg)
    if catchments is not None and not exact:
        msg = ("catchments= gives drawn catchments for exact=True; pass exact=True as "
               "well, or leave catchments= out to use the reach matrix.")
        raise ValueError(msg)
    needs_given = as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    services = smap._services
    keep = counted(smap, status=status)
    if needs_given:
        scope = list(needs_given)
    else:
        listed = set(services["needs"][keep].explode().dropna())
        scope = [t for t in smap.vocabulary.terms("need") if t in listed]
    need_of = listing(services["needs"], scope)
    group_of, group_terms = _groups_ok(services, groups)
    keep &= need_of.any(axis=1) & group_of.any(axis=1)
    cols = np.flatnonzero(keep)
    cols = cols[np.argsort(services.index[cols].to_numpy(dtype=str), kind="stable")]
    return _Scope(needs=scope, groups=groups, group_terms=group_terms, cols=cols,
                  ids=services.index[cols], need_of=need_of[cols],
                  group_of=group_of[cols],
                  need_columns={n: c for n, c in smap.need_columns.items() if n in scope})


def _notes(smap: ServiceMap, scope: _Scope, catchments: Any) -> list[str]:
    """Return what was assumed or left out, in words."""
    notes = []
    missing = [n for n in scope.needs if n not in scope.need_columns]
    if missing:
        notes.append(f"The areas have no need column for {', '.join(missing)}: pairs "
                     "sharing only that need are listed, without people with the need.")
    pop_missing = _population(smap._areas)[1]
    if pop_missing:
        notes.append(f"{plural(pop_missing, 'area has', 'areas have')} no population: "
                     "counted as 0 people.")
    if catchments is not None:
        unused = sorted(set(map(str, catchments.index)) - set(scope.ids))
        if unused:
            notes.append(f"Catchments were given for services not compared (not "
                         f"counted, or outside the needs and groups): "
                         f"{', '.join(unused)}.")
    return notes


# -- the query -------------------------------------------------------------------------
def _catchments(smap: ServiceMap, scope: _Scope, *, exact: bool, catchments: Any,
                max_distance: float | None, max_minutes: float | None,
                ) -> tuple[sparse.csr_array, np.ndarray | None, dict[str, int]]:
    """Areas x compared services: 1 where reached, or the share inside a drawn catchment.

    By geometry, also the piece of the area inside per stored entry (None where the
    whole area is), and how many catchments were given, drawn or whole areas.
    """
    if not exact:
        reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
        return sparse.csr_array(reach.matrix[:, scope.cols]), None, {}
    fr = catchment_fractions(smap, max_distance=max_distance, catchments=catchments)
    source = fr.source.to_numpy(dtype=object)[scope.cols]
    minutes = source == "travel_times"
    if minutes.any():
        shown = ", ".join(map(str, scope.ids[minutes][:5]))
        msg = (f"exact=True cannot draw a catchment from travel times: "
               f"{plural(int(minutes.sum()), 'service reaches', 'services reach')} by "
               f"minutes ({shown}). Pass their catchments as polygons, "
               "catchments=gpd.GeoSeries(..., index=[service ids], crs=...), or use "
               "the default exact=False.")
        raise ValueError(msg)
    # the compared columns, in id order, each row's entries sorted by column
    f = fr.fraction
    position = np.full(f.shape[1], -1, dtype=np.int64)
    position[scope.cols] = np.arange(len(scope.cols))
    local = position[f.indices]
    keep = local >= 0
    rows = np.repeat(np.arange(f.shape[0], dtype=np.int64), np.diff(f.indptr))[keep]
    local = local[keep]
    order = np.lexsort((local, rows))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=f.shape[0]))])
    weights = sparse.csr_array((f.data[keep][order], local[order], indptr),
                               shape=(f.shape[0], len(scope.cols)))
    drawn = {"catchments_given": int((source == "given").sum()),
             "catchments_drawn": int((source == "sites").sum()),
             "catchments_whole_areas": int((source == "whole_areas").sum())}
    return weights, fr.pieces[keep][order], drawn


def _binary(weights: sparse.csr_array) -> sparse.csc_array:
    """Return the 0/1 pattern of an areas x services matrix, by column."""
    r = sparse.csc_array(weights)
    return sparse.csc_array((np.ones(r.nnz), r.indices, r.indptr), shape=r.shape)


@dataclass(frozen=True, eq=False)
class _Pairs:
    """Pairs of compared services (positions a < b), sorted, with what both meet."""

    a: np.ndarray
    b: np.ndarray
    needs: np.ndarray                 # pairs x needs in scope
    groups: np.ndarray                # pairs x client groups
    m: int                            # services compared

    @property
    def keys(self) -> np.ndarray:
        return self.a * self.m + self.b

    def take(self, which: np.ndarray) -> _Pairs:
        return _Pairs(self.a[which], self.b[which], self.needs[which],
                      self.groups[which], self.m)


def _candidates(smap: ServiceMap, scope: _Scope, binary: sparse.csc_array,
                across: str | None) -> tuple[_Pairs, sparse.csr_array]:
    """Catchments touching the same area, then the rules on needs, groups and sides.

    Also returns the services x services count of areas in both catchments.
    """
    together = (binary.T @ binary).tocsr()
    coo = together.tocoo()
    upper = coo.row < coo.col
    m = len(scope.cols)
    a, b = coo.row[upper].astype(np.int64), coo.col[upper].astype(np.int64)
    order = np.argsort(a * m + b)
    a, b = a[order], b[order]
    both_needs = scope.need_of[a] & scope.need_of[b]
    both_groups = scope.group_of[a] & scope.group_of[b]
    services = smap._services
    lo = services["min_age"].to_numpy(dtype=float, na_value=0.0)[scope.cols]
    hi = services["max_age"].to_numpy(dtype=float, na_value=np.inf)[scope.cols]
    ok = (both_needs.any(axis=1) & both_groups.any(axis=1)
          & (lo[a] <= hi[b]) & (lo[b] <= hi[a]))
    if across is not None:
        bodies = _bodies(smap, across).iloc[scope.cols].reset_index(drop=True)
        ok &= _disjoint(bodies, a, b)
    return _Pairs(a, b, both_needs, both_groups, m).take(ok), together


@dataclass(frozen=True, eq=False)
class _Shared:
    """Per pair: what the two catchments share."""

    pairs: _Pairs
    areas: np.ndarray                 # areas shared (by geometry: with a part inside)
    population: np.ndarray
    need: dict[str, np.ndarray]       # people with each need (before masking)
    triples: pd.DataFrame | None = None


def _shared_by_reach(areas: pd.DataFrame, scope: _Scope, pairs: _Pairs,
                     binary: sparse.csc_array, together: sparse.csr_array) -> _Shared:
    """Pair sums from sparse products ``R^T diag(w) R``, one per weight."""
    keys, m = pairs.keys, pairs.m
    pop = _population(areas)[0]
    need_sums = {}
    for n, c in scope.need_columns.items():
        members = np.flatnonzero(scope.need_of[:, scope.needs.index(n)])
        d = areas[c].to_numpy(dtype=float, na_value=0.0)
        need_sums[n] = _lookup(keys, _weighted(binary[:, members], d), m, local=members)
    return _Shared(pairs, _lookup(keys, together, m),
                   _lookup(keys, _weighted(binary, pop), m), need_sums)


def _shared_by_geometry(areas: gpd.GeoDataFrame, scope: _Scope, pairs: _Pairs,
                        weights: sparse.csr_array, pieces: np.ndarray) -> _Shared:
    """Pair sums over the parts of areas inside both catchments."""
    m = pairs.m
    size = shapely.area(np.asarray(areas.geometry.values))
    triples = _triples(weights, pieces, size, pairs.keys)
    pair = np.searchsorted(pairs.keys,
                           triples["a"].to_numpy() * m + triples["b"].to_numpy())
    # catchments touching the same area may still share none of it
    present = np.unique(pair)
    pairs = pairs.take(present)
    pair = np.searchsorted(present, pair)
    triples["pair"] = pair
    frac = triples["fraction"].to_numpy()
    area_of = triples["area"].to_numpy()
    n = len(present)
    pop = _population(areas)[0]
    need_sums = {c_need: np.bincount(pair, frac * areas[c].to_numpy(
                     dtype=float, na_value=0.0)[area_of], minlength=n)
                 for c_need, c in scope.need_columns.items()}
    return _Shared(pairs, np.bincount(pair, minlength=n),
                   np.bincount(pair, frac * pop[area_of], minlength=n), need_sums,
                   triples)


# -- assembling the table --------------------------------------------------------------
def _table(smap: ServiceMap, scope: _Scope, shared: _Shared, weights: sparse.csr_array,
           ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One row per pair, largest shared population first; triples renumbered to it."""
    services = smap._services
    pairs, cols = shared.pairs, scope.cols
    a, b = pairs.a, pairs.b
    need_sums = {n: np.where(pairs.needs[:, scope.needs.index(n)], v, np.nan)
                 for n, v in shared.need.items()}
    catch_areas = np.diff(_binary(weights).indptr)
    catch_pop = weights.T @ _population(smap._areas)[0]
    partnerships = smap.service_partnerships().to_numpy(dtype=object)[cols]
    commissioners = services["commissioners"].map(tuple).to_numpy(dtype=object)[cols]
    provider = services["provider"].to_numpy(dtype=object)[cols]
    shared_pop = shared.population
    data: dict[str, Any] = {
        "needs": _as_tuples(pairs.needs, scope.needs),
        "client_groups": _as_tuples(pairs.groups, scope.group_terms),
        "provider_a": provider[a], "provider_b": provider[b],
        "partnerships_a": partnerships[a], "partnerships_b": partnerships[b],
        "commissioners_a": commissioners[a], "commissioners_b": commissioners[b],
        "shared_areas": np.asarray(shared.areas).round().astype(np.int64),
        "areas_a": catch_areas[a].astype(np.int64),
        "areas_b": catch_areas[b].astype(np.int64),
        "shared_population": shared_pop,
        "share_a": _ratio(shared_pop, catch_pop[a]),
        "share_b": _ratio(shared_pop, catch_pop[b]),
    }
    for n in scope.needs:
        if n in need_sums:
            data[scope.need_columns[n]] = need_sums[n]
    data.update(_capacity(services, cols, a, b, need_sums))
    ids = scope.ids.to_numpy(dtype=object)
    index = pd.MultiIndex.from_arrays([ids[a], ids[b]], names=["service_a", "service_b"])
    table = pd.DataFrame(data, index=index)
    rank = np.lexsort((np.arange(len(table)), -np.nan_to_num(shared_pop, nan=-1.0)))
    triples = shared.triples
    if triples is not None:
        where = np.empty(len(rank), dtype=np.int64)
        where[rank] = np.arange(len(rank))
        triples["pair"] = where[triples["pair"].to_numpy()]
    return table.iloc[rank], triples


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.full(len(part), np.nan), where=whole > 0)


def _capacity(services: pd.DataFrame, cols: np.ndarray, a: np.ndarray, b: np.ndarray,
              need_sums: dict[str, np.ndarray]) -> dict[str, Any]:
    """Capacities, their unit where both share it, and per 1,000 of the largest need."""
    capacity = services["capacity"].to_numpy(dtype=float, na_value=np.nan)[cols]
    unit = services["capacity_unit"].to_numpy(dtype=object)[cols]
    same_unit = (unit[a] == unit[b]) & pd.notna(unit[a])
    combined = np.where(same_unit, capacity[a] + capacity[b], np.nan)
    if need_sums:
        largest = np.fmax.reduce(np.vstack(list(need_sums.values())), axis=0)
    else:
        largest = np.full(len(a), np.nan)
    per_1000 = np.divide(combined * 1000, largest, out=np.full(len(a), np.nan),
                         where=largest > 0)
    return {"capacity_a": capacity[a], "capacity_b": capacity[b],
            "capacity_unit": pd.array(np.where(same_unit, unit[a], None), dtype=object),
            "combined_capacity": combined, "capacity_per_1000_need": per_1000}


# -- back from pairs to areas (the report's methods) -----------------------------------
def _positions(detail: _Detail, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions (columns of ``weights``) of each row's two services."""
    return (detail.ids.get_indexer(table.index.get_level_values(0)),
            detail.ids.get_indexer(table.index.get_level_values(1)))


def _duplication(detail: _Detail, table: pd.DataFrame) -> pd.DataFrame:
    """Per area: services and pairs of the report overlapping there."""
    areas = detail.areas
    m = len(detail.ids)
    pair_areas: np.ndarray
    if detail.triples is not None:
        tri = detail.triples
        area_of = tri["area"].to_numpy()
        pair_areas = np.bincount(area_of, minlength=len(areas))
        svc_keys = np.unique(np.r_[area_of * m + tri["a"].to_numpy(),
                                   area_of * m + tri["b"].to_numpy()])
        svc_areas = np.bincount(svc_keys // max(m, 1), minlength=len(areas))
    else:
        a, b = _positions(detail, table)
        adj = sparse.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])),
                               shape=(m, m))
        rr = detail.weights
        partners = sparse.csr_array(rr.multiply(rr @ adj))
        svc_areas = np.diff(partners.indptr)
        pair_areas = np.asarray(partners.sum(axis=1)).ravel() / 2
    return pd.DataFrame({
        "services": svc_areas.astype(np.int64),
        "pairs": np.round(pair_areas).astype(np.int64),
        "duplication": np.maximum(svc_areas - 1, 0).astype(np.int64)}, index=areas.index)


def _shared_areas(detail: _Detail, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the areas two services share (positions), and the share inside both."""
    if detail.triples is not None:
        tri = detail.triples
        mine = tri[(tri["a"] == a) & (tri["b"] == b)]
        return mine["area"].to_numpy(), mine["fraction"].to_numpy()
    w = detail.weights
    both = (w[:, [a]].toarray().ravel() > 0) & (w[:, [b]].toarray().ravel() > 0)
    rows = np.flatnonzero(both)
    return rows, np.ones(len(rows))


def _summary(table: pd.DataFrame, detail: _Detail, side: str) -> pd.DataFrame:
    """Per pair of sides and need: pairs, services, areas and people (each area once)."""
    kinds = _kind_labels(_bodies(detail.smap, side).iloc[detail.cols], side)
    kinds_array = kinds.to_numpy(dtype=object)
    a_pos, b_pos = _positions(detail, table)
    side_a, side_b = kinds_array[a_pos], kinds_array[b_pos]
    swap = side_a > side_b
    side_a, side_b = np.where(swap, side_b, side_a), np.where(swap, side_a, side_b)
    pairs = pd.DataFrame({"side_a": side_a, "side_b": side_b,
                          "need": table["needs"].to_numpy(), "a": a_pos, "b": b_pos,
                          "pair": np.arange(len(table))}).explode("need")
    areas = detail.areas
    pop = _population(areas)[0]
    rows = []
    for (sa, sb, need), group in pairs.groupby(["side_a", "side_b", "need"], sort=True):
        share = _union_share(detail, group)
        column = detail.need_columns.get(need)
        need_there = (np.nan if column is None else float(
            share @ areas[column].to_numpy(dtype=float, na_value=0.0)))
        rows.append({"side_a": sa, "side_b": sb, "need": need, "pairs": len(group),
                     "services": len(np.unique(group[["a", "b"]].to_numpy())),
                     "areas": int((share > SLIVER).sum()),
                     "population": float(share @ pop), "need_people": need_there})
    out = pd.DataFrame(rows).set_index(["side_a", "side_b", "need"])
    return out.rename(columns={"need_people": "need"})


# -- helpers ---------------------------------------------------------------------------
def _population(areas: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Each area's population (0 where missing) and how many were missing."""
    if "population" not in areas:
        return np.zeros(len(areas)), len(areas)
    pop = areas["population"].to_numpy(dtype=float, na_value=np.nan)
    missing = int(np.isnan(pop).sum())
    return np.nan_to_num(pop, nan=0.0), missing


def _groups_ok(services: pd.DataFrame, groups: tuple[str, ...]) -> tuple[
        np.ndarray, list[str]]:
    """(services x groups) matrix of client groups served with matching ages."""
    listed = services["client_groups"].reset_index(drop=True).explode().dropna()
    terms = list(dict.fromkeys(listed.to_numpy(dtype=object)))
    if groups:
        terms = [g for g in terms if g in groups]
    return served_groups(services, terms), terms


def _as_tuples(matrix: np.ndarray, terms: list[str]) -> np.ndarray:
    """One tuple of terms per row of a boolean matrix, built per distinct row."""
    if not len(matrix):
        return np.empty(0, dtype=object)
    if matrix.shape[1] <= 62:  # one integer per row is quicker to make unique
        codes = matrix.astype(np.int64) @ (np.int64(1) << np.arange(matrix.shape[1]))
        _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
        unique = matrix[first]
    else:
        unique, inverse = np.unique(matrix, axis=0, return_inverse=True)
    names = np.empty(len(unique), dtype=object)
    names[:] = [tuple(t for t, on in zip(terms, row, strict=True) if on) for row in unique]
    return names[inverse.ravel()]


def _bodies(smap: ServiceMap, across: str) -> pd.Series:
    """Per service, the tuple of bodies ``across`` compares (partnerships, ...)."""
    services = smap._services
    if across == "partnership":
        return smap.service_partnerships()
    if across == "commissioner":
        return services["commissioners"].map(tuple)
    return pd.Series([(p,) if isinstance(p, str) and p else ()
                      for p in services["provider"]], index=services.index, dtype=object)


def _kind_labels(bodies: pd.Series, across: str) -> pd.Series:
    """One label per service: its bodies joined by ' + ', or '(no partnership)'."""
    codes, uniques = pd.factorize(bodies.map(tuple))
    names = np.array([" + ".join(u) if u else _NONE_LABEL[across] for u in uniques]
                     + [_NONE_LABEL[across]], dtype=object)
    return pd.Series(names[codes], index=bodies.index, dtype=object)


def _disjoint(bodies: pd.Series, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each pair's bodies are disjoint, and at least one side has a body."""
    listed = bodies.reset_index(drop=True).explode().dropna()
    codes, names = pd.factorize(listed)
    n = len(bodies)
    member = sparse.csr_array((np.ones(len(codes)), (listed.index.to_numpy(), codes)),
                              shape=(n, max(len(names), 1)))
    common = (member @ member.T).tocoo()
    keys = np.sort(common.row.astype(np.int64) * n + common.col)
    shared = in_sorted(a.astype(np.int64) * n + b, keys)
    has = np.diff(member.indptr) > 0
    return ~shared & (has[a] | has[b])


def _lookup(keys: np.ndarray, product: sparse.csr_array, n: int,
            local: np.ndarray | None = None) -> np.ndarray:
    """Values of a services x services product at the pairs ``keys`` (0 where absent)."""
    product = product.tocsr()
    product.sort_indices()  # row by row, columns ascending: keys come out sorted
    rows = np.repeat(np.arange(product.shape[0], dtype=np.int64), np.diff(product.indptr))
    cols = product.indices.astype(np.int64)
    if local is not None:  # ascending positions map to ascending positions
        rows, cols = local[rows], local[cols]
    upper = rows < cols
    pk, pv = rows[upper] * n + cols[upper], product.data[upper]
    out = np.zeros(len(keys))
    if len(pk):
        pos = np.minimum(np.searchsorted(pk, keys), len(pk) - 1)
        hit = pk[pos] == keys
        out[hit] = pv[pos[hit]]
    return out


def _weighted(r: sparse.csc_array, w: np.ndarray) -> sparse.csr_array:
    """``R^T diag(w) R`` for a 0/1 areas x services matrix."""
    scaled = sparse.csc_array((w[r.indices], r.indices, r.indptr), shape=r.shape)
    return (r.T @ scaled).tocsr()


def _union_share(detail: _Detail, group: pd.DataFrame) -> np.ndarray:
    """Per area, the share inside the union of the overlaps of a group of pairs."""
    n_areas = len(detail.areas)
    if detail.triples is None:
        m = len(detail.ids)
        a, b = group["a"].to_numpy(), group["b"].to_numpy()
        adj = sparse.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])),
                               shape=(m, m))
        r = detail.weights
        hits = r.multiply(r @ adj)
        return (np.diff(sparse.csr_array(hits).indptr) > 0).astype(float)

    tri = detail.triples
    mine = tri[tri["pair"].isin(group["pair"].to_numpy())]
    share = np.zeros(n_areas)
    if not len(mine):
        return share
    whole = mine.groupby("area")["fraction"].max()
    full = whole.index[whole.to_numpy() >= 1.0]
    share[full.to_numpy()] = 1.0
    rest = mine[~mine["area"].isin(full)]
    if len(rest):
        counts = rest.groupby("area").size()
        single = counts.index[counts.to_numpy() == 1]
        one = rest[rest["area"].isin(single)]
        share[one["area"].to_numpy()] = one["fraction"].to_numpy()
        many = rest[~rest["area"].isin(single)].sort_values("area", kind="stable")
        if len(many):
            area_of, slot = np.unique(many["area"].to_numpy(), return_inverse=True)
            col = np.arange(len(many)) - np.searchsorted(many["area"].to_numpy(),
                                                         many["area"].to_numpy())
            padded = np.full((len(area_of), int(col.max()) + 1), None, dtype=object)
            padded[slot, col] = many["piece"].to_numpy()
            united = shapely.union_all(padded, axis=1)
            size = shapely.area(np.asarray(detail.areas.geometry.values)[area_of])
            share[area_of] = np.minimum(shapely.area(united) / size, 1.0)
    return share


def _headline(key: tuple[str, str], row: pd.Series, services: pd.DataFrame) -> str:

    def who(sid: str, side: str) -> str:
        name = services.at[sid, "name"]
        parts = row[f"partnerships_{side}"]
        commissioned = (f"commissioned by {' and '.join(parts)}" if parts
                        else "commissioned by no partnership")
        return f"{name} ({sid}; provider {row[f'provider_{side}']}; {commissioned})"

    groups = ", ".join(row["client_groups"])
    needs = ", ".join(row["needs"])
    n = int(row["shared_areas"])
    return (f"{who(key[0], 'a')} and {who(key[1], 'b')} overlap for {needs} "
            f"({groups}) in {plural(n, 'area')} where about "
            f"{row['shared_population']:,.0f} people live: {row['share_a']:.0%} of the "
            f"first's catchment population and {row['share_b']:.0%} of the second's.")



def _triples(weights: sparse.csr_array, pieces: np.ndarray, size: np.ndarray,
             eligible_keys: np.ndarray) -> pd.DataFrame:
    """Every (area, a, b) where both catchments take in part of the area, a < b.

    Only pairs in ``eligible_keys`` (``a * m + b``, sorted) are kept. The overlap's
    share of the area is exact: 1 or the other's share where one catchment holds the
    whole area, else the area of the intersection of the two pieces.
    """
    m = weights.shape[1]
    indptr = weights.indptr.astype(np.int64)
    n_row = np.diff(indptr)
    entry_row = np.repeat(np.arange(len(n_row)), n_row)
    later = indptr[entry_row + 1] - np.arange(len(entry_row)) - 1
    first = np.repeat(np.arange(len(entry_row)), later)
    second = first + 1 + (np.arange(later.sum()) - np.repeat(np.cumsum(later) - later,
                                                              later))
    a, b = weights.indices[first].astype(np.int64), weights.indices[second].astype(np.int64)
    swap = a > b
    first, second = np.where(swap, second, first), np.where(swap, first, second)
    a, b = np.minimum(a, b), np.maximum(a, b)
    ok = in_sorted(a * m + b, eligible_keys)
    first, second, a, b = first[ok], second[ok], a[ok], b[ok]
    area = entry_row[first]
    fa, fb = weights.data[first], weights.data[second]
    pa, pb = pieces[first], pieces[second]
    whole_a, whole_b = pa == None, pb == None  # noqa: E711 - elementwise on objects
    fraction = np.where(whole_a, fb, fa)
    piece = np.where(whole_a, pb, pa)
    both = ~whole_a & ~whole_b
    if both.any():
        meet = shapely.intersection(pa[both], pb[both])
        piece[both] = meet
        fraction[both] = np.minimum(shapely.area(meet) / size[area[both]], 1.0)
    keep = fraction > SLIVER
    return pd.DataFrame({"area": area[keep], "a": a[keep], "b": b[keep],
                         "fraction": fraction[keep], "piece": piece[keep]})

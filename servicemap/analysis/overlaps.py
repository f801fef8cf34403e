"""Overlaps: pairs of services that serve the same people for the same need.

Two services **overlap** when all of these hold:

* both count as provision of a need in scope (``need=``, or every need a counted
  service lists), by the one rule of :func:`servicemap.analysis._select.provision`:
  for drug and alcohol, by default, the services offering treatment
  (:data:`~servicemap.vocab.PROVISION`); ``intervention=`` names the interventions
  or kinds that count instead, ``to=`` the services compared;
* both serve a client group in scope (a group they list with overlapping ages, or an
  age group their ages take in, :func:`~servicemap.analysis._select.served_groups`),
  and their own age ranges overlap each other;
* their **effective catchments** (footprint and reach) share at least one area.

Overlapping is not duplicating: a crisis line and a detox unit, both covering the whole
county, share every area and nothing else. Pairs are ranked by how **alike** the two
services are, a ``similarity`` between 0 and 1, the geometric mean of four shares::

    similarity = (interventions_shared * groups_shared * needs_shared
                  * catchment_shared) ** (1/4)

* ``interventions_shared``: the Jaccard index (in both / in either) of the
  interventions the two offer, among those that count for the needs they share: the
  need's default kinds (treatment for drug and alcohol), those of ``intervention=``, or
  every intervention for a need without a default. Forms of one intervention count as
  one (:data:`ALIKE_INTERVENTIONS`: daily supervised opioid substitution and
  long-acting injectable buprenorphine are opioid substitution). 0 when neither offers
  one that counts (a service listing none).
* ``groups_shared``: the Jaccard index of the client groups each serves, by the
  rule above, among the age groups (children, young people, adults, older people) and
  the groups listed (only the groups of ``client_group=`` when given).
* ``needs_shared``: the Jaccard index of the needs in scope each counts for.
* ``catchment_shared``: the smaller of the two shares of a catchment shared
  (``need_share_a``, ``need_share_b``): people with the shared needs living in the
  shared areas, over people with those needs in each catchment (by population where
  the areas count none of the shared needs). A small service inside a large one's
  catchment shares all of its own but little of the other's: the smaller share.

The mean is geometric so that a pair alike in nothing on one count (no intervention
in common) is not alike at all, and each share weighs the same. Two services with
the same interventions, for the same groups and needs, over the same catchment have
similarity 1.

Each service has a **scope** (``scope_a``, ``scope_b``):

* ``"remote"``: no in-person or outreach site (``_select.in_person``): a phone
  line or online service is support, not a rival for the same people's visits (a
  service with no site at all is counted here too);
* ``"area-wide"``: it serves its whole footprint whatever the distance (reach
  ``"none"``), or its catchment holds at least :data:`WIDE_SHARE` of the map's
  people: a county-wide service (a detox unit, a criminal-justice team) overlaps every
  local service by design;
* ``"local"``: the others.

Pairs with a side of a scope in ``set_apart`` (by default area-wide and remote) are
listed after the others, and are not counted in the duplication index. A pair is
**comparable** (``comparable``) when neither side is set apart and its similarity is
at least ``min_similarity`` (:data:`MIN_SIMILARITY` by default). The **duplication
index** (:attr:`OverlapReport.duplication`) counts, per area, the services of
comparable pairs overlapping there, beyond the first.

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
``_shared_by_geometry``), and assembling the table (``_table``, ``_similarity``).

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
    in_person,
    listing,
    provision,
    served_groups,
)
from servicemap.errors import did_you_mean, plural
from servicemap.geography import (
    SLIVER,
    catchment_fractions,
    in_sorted,
    reach_matrix,
)
from servicemap.plotting import duplication_map
from servicemap.servicemap import ServiceMap
from servicemap.vocab import CLIENT_GROUP_AGES

if TYPE_CHECKING:  # for annotations only: matplotlib.axes loads when drawing
    from matplotlib.axes import Axes

__all__ = ["ACROSS", "ALIKE_INTERVENTIONS", "MIN_SIMILARITY", "SCOPES", "WIDE_SHARE",
           "OverlapReport", "find_overlaps"]

#: The ways pairs can be restricted to different commissioning or providing bodies.
ACROSS = ("partnership", "provider", "commissioner")
#: What a service with no partnership (or no commissioner) is called in summaries.
_NONE_LABEL = {"partnership": "(no partnership)", "commissioner": "(no commissioner)",
               "provider": "(no provider)"}
#: A service's scope: within reach of its sites, its whole footprint or most of the
#: map, or by phone or online only.
SCOPES = ("local", "area-wide", "remote")
#: The scopes whose pairs are set apart by default: listed after the local pairs and
#: not counted in the duplication index.
SET_APART = ("area-wide", "remote")
#: A catchment holding at least this share of the map's people is area-wide: most of
#: the map, more than a network of local sites such as community pharmacies usually
#: reaches. On a map of one district, most services reach most of it; compare them
#: with ``set_apart=()``.
WIDE_SHARE = 2 / 3
#: The similarity from which two local services count as duplicating each other.
#: At 0.5, two services alike in every other way duplicate each other where they
#: share a sixteenth of a catchment (0.5 ** 4); a service offering one of the other's
#: four treatment interventions, where they share a quarter (0.25 * 0.25 = 0.5 ** 4).
MIN_SIMILARITY = 0.5
#: Interventions that are forms of another when services are compared: the same
#: treatment delivered another way.
ALIKE_INTERVENTIONS = {
    "opioid_substitution_daily_supervised": "opioid_substitution",
    "long_acting_injectable_buprenorphine": "opioid_substitution",
}
#: The table's columns saying how alike two services are, in order.
_ALIKE = ("interventions_shared", "groups_shared", "needs_shared", "catchment_shared")


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
        ``service_a < service_b``: first the pairs of local services, most alike first
        (``similarity``), then the pairs with a side set apart (area-wide or remote),
        most alike first. See :func:`find_overlaps` for the columns.
    attrs : dict
        What was compared: needs, what counted as provision of each, client groups,
        statuses, ``across``, the geometry mode, ``min_similarity``, ``set_apart``,
        thresholds, services considered and, by geometry, how many catchments were
        given, drawn or made of whole areas.
    notes : list of str
        What was assumed, set apart or left out: services set apart and why, services
        counted as provision without a known kind of intervention, needs with no
        column in the areas, areas with no population, catchments given for services
        not compared.
    duplication : pandas.DataFrame
        Indexed like ``smap.areas``: ``services`` (distinct services of the
        comparable pairs sharing the area), ``pairs`` (comparable pairs sharing it),
        ``duplication`` = ``max(services - 1, 0)``: how many alike local services
        there are beyond the first; and ``other_pairs``: pairs of the report sharing
        the area that are not counted (set apart, or less alike than
        ``min_similarity``). Worked out when first read.
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
        """Per area: comparable services and pairs overlapping there (see above)."""
        detail = self._detail
        if detail is None:
            empty = np.zeros(0, dtype=np.int64)
            return pd.DataFrame({"services": empty, "pairs": empty, "duplication": empty,
                                 "other_pairs": empty})
        return _duplication(detail, self.table)

    def summary(self, by: str | None = None, *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """Overlaps and duplication by the two sides' bodies and need.

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
            Indexed by ``side_a``, ``side_b`` (in sorted order) and ``need``: ``pairs``
            (overlapping pairs), ``comparable`` (of them, the pairs counted as
            duplication: see :func:`find_overlaps`), ``similarity`` (the highest of
            the pairs with no side set apart, NaN if none); then, over the
            comparable pairs only: ``services`` (distinct), ``areas`` (distinct
            areas shared by at least one of them),
            ``population`` and ``need`` (people, and people with the need, living
            there, each counted once however many pairs share it; by geometry, the
            part of each area inside the union of the pairs' overlaps). A row with
            no comparable pair has 0 services, areas and people: the sides overlap
            but do not duplicate. ``need`` is missing where the areas have no column
            for it.

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
        >>> int(s["comparable"].sum()) == int(ovl.table["comparable"].sum())
        True
        """
        side = (self.attrs.get("across") or "partnership") if by is None else by
        if side not in ACROSS:
            msg = (f"by={by!r}: choose None (the report's across) or one of "
                   f"{', '.join(ACROSS)}.{did_you_mean(str(by), ACROSS)}")
            raise ValueError(msg)
        columns = ["pairs", "comparable", "similarity", "services", "areas",
                   "population", "need"]
        names = ["side_a", "side_b", "need"]
        detail = self._detail
        if detail is None or not len(self.table):
            empty = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
            empty.index = pd.MultiIndex.from_arrays([[], [], []], names=names)
            return empty
        out = _summary(self.table, detail, side, tuple(self.attrs.get("set_apart", ())))
        out = out.astype({"pairs": "int64", "comparable": "int64", "services": "int64",
                          "areas": "int64"})
        return publish(out, ["population", "need"], names, suppress=suppress,
                       total=False, margins=False)

    def explain(self, key: tuple[str, str]) -> pd.DataFrame:
        """Return the areas two services share, with a sentence saying how alike they are.

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
            ``attrs["headline"]`` says, in plain words, which services, providers and
            partnerships overlap, for which needs and groups, how much of each
            catchment is shared, how alike the two are (the similarity and its four
            parts, with the interventions both offer) and whether the pair counts as
            duplication, or why not (a side set apart, or not alike enough).

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
        out.attrs["headline"] = _headline(key, row, detail.smap, self.attrs)
        return out

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Map where alike local services overlap: the duplication index, in words.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        **kwargs
            Passed to :func:`servicemap.plotting.duplication_map` (``title``,
            ``cmap``).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> ovl = sm.find_overlaps(sm.datasets.bedfordshire(), need="drug")
        >>> ax = ovl.plot()
        >>> ax.get_title()
        'Where alike local services overlap: drug treatment'
        """
        if self._detail is None:
            msg = "this report has no areas to draw; build it with sm.find_overlaps."
            raise ValueError(msg)
        labels = list((self.attrs.get("provision") or {}).values())
        what = ("; ".join(labels) if 0 < len(labels) <= 2 else
                f"{len(labels)} needs" if labels else "any need")
        local = "local " if "area-wide" in (self.attrs.get("set_apart") or ()) else ""
        across = self.attrs.get("across")
        sides = f" of different {across}s" if across else ""
        kwargs.setdefault("title", f"Where alike {local}services{sides} overlap: {what}")
        return duplication_map(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        across = self.attrs.get("across")
        how = f" across {across}s" if across else ""
        dup = self.duplication["duplication"]
        comparable = (int(self.table["comparable"].sum())
                      if "comparable" in self.table else 0)
        return (f"<OverlapReport: {plural(len(self.table), 'pair')}{how}, "
                f"{comparable} counted as duplication, in "
                f"{plural(int((dup > 0).sum()), 'area')}; {self.attrs.get('mode', '')}>")


# -- the entry point, in stages --------------------------------------------------------
def find_overlaps(
    smap: ServiceMap,
    *,
    need: str | Iterable[str] | None = None,
    intervention: str | Iterable[str] | None = None,
    to: str | Iterable[str] | None = None,
    across: str | None = None,
    client_group: str | Iterable[str] | None = None,
    status: Iterable[str] = ACTIVE,
    min_similarity: float = MIN_SIMILARITY,
    set_apart: Iterable[str] = SET_APART,
    exact: bool = False,
    catchments: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> OverlapReport:
    """Find pairs of services serving the same people for the same need; rank by likeness.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    need : str or list of str, optional
        The needs compared; by default every need a counted service lists.
    intervention : str or list of str, optional
        What counts as provision of each need: intervention terms, kinds of
        intervention (``"treatment"``, ``"harm_reduction"``, ...) or ``"any"`` (every
        service listing the need). By default the need's kinds in
        :data:`~servicemap.vocab.PROVISION` (drug and alcohol: treatment), every
        service listing the need otherwise. The same rule as
        :func:`~servicemap.find_gaps`.
    to : str or list of str, optional
        Compare only these services (ids), each on the needs it lists; every
        intervention they list counts, unless ``intervention=`` names some.
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
    min_similarity : float, default 0.5
        The similarity (see the module notes) from which a pair of services not set
        apart counts as duplication: ``comparable`` and in the duplication index.
    set_apart : iterable of str, default ("area-wide", "remote")
        Scopes of service whose pairs are listed after the others and never counted
        as duplication; ``()`` ranks and counts every pair alike.
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
        ``service_a < service_b``: the pairs with no side set apart first, then the
        others; within each, the most alike first (``similarity``), then the most
        people shared:

        * ``needs``, ``client_groups``: what both meet (tuples);
          ``interventions``: what both offer among the interventions that count
          (forms of one intervention under one name, :data:`ALIKE_INTERVENTIONS`);
        * ``similarity``, and its parts ``interventions_shared``, ``groups_shared``,
          ``needs_shared``, ``catchment_shared`` (see the module notes);
        * ``scope_a``, ``scope_b``: ``"local"``, ``"area-wide"`` or ``"remote"``;
          ``comparable``: neither scope set apart and ``similarity`` at least
          ``min_similarity``: the pair counts as duplication;
        * ``provider_a``, ``provider_b``, ``partnerships_a``, ``partnerships_b``,
          ``commissioners_a``, ``commissioners_b``;
        * ``shared_areas``, ``areas_a``, ``areas_b``: areas in both catchments and in
          each;
        * ``shared_population``; ``share_a``, ``share_b``: the shared population as a
          share of the population of each service's catchment; ``need_share_a``,
          ``need_share_b``: the same for people with the shared needs (population
          where the areas count none of them);
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
        For an unknown need, intervention, service in ``to``, client group, status,
        scope in ``set_apart`` or ``across``; ``min_similarity`` outside 0 to 1; for
        ``catchments`` that are not polygons indexed by service id, or given without
        ``exact=True``; with ``exact=True``, for services reaching by minutes without
        a drawn catchment.

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
    >>> ovl = sm.find_overlaps(smap, need="drug")
    >>> ovl.table.index.names
    FrozenList(['service_a', 'service_b'])
    >>> top = ovl.table.iloc[0]
    >>> (top["scope_a"], top["scope_b"], bool(top["comparable"]))
    ('local', 'local', True)
    >>> bool(ovl.table["similarity"].between(0, 1).all())
    True
    >>> ovl.duplication.index.equals(smap.areas.index)
    True
    >>> across = sm.find_overlaps(smap, across="partnership")
    >>> t = across.table
    >>> any(set(a) & set(b) for a, b in zip(t["partnerships_a"], t["partnerships_b"]))
    False
    """
    scope = _check(smap, need=need, intervention=intervention, to=to, across=across,
                   client_group=client_group, status=status, exact=exact,
                   catchments=catchments)
    apart = _check_ranking(min_similarity, set_apart)
    weights, pieces, drawn = _catchments(smap, scope, exact=exact, catchments=catchments,
                                         max_distance=max_distance,
                                         max_minutes=max_minutes)
    binary = _binary(weights)
    pairs, together = _candidates(smap, scope, binary, across)
    if pieces is None:
        shared = _shared_by_reach(smap._areas, scope, pairs, binary, together)
    else:
        shared = _shared_by_geometry(smap._areas, scope, pairs, weights, pieces)
    scopes = _scopes(smap, scope, weights)
    table, triples = _table(smap, scope, shared, weights, scopes,
                            set_apart=apart, min_similarity=float(min_similarity))

    attrs: dict[str, Any] = {
        "need": tuple(scope.needs), "provision": dict(scope.labels),
        "intervention": as_tuple(intervention) or None, "to": as_tuple(to) or None,
        "client_group": scope.groups or None,
        "status": as_tuple(status), "across": across,
        "min_similarity": float(min_similarity), "set_apart": apart,
        "wide_share": WIDE_SHARE,
        "mode": ("by geometry (area-weighted)" if exact
                 else "by the reach matrix (whole areas)"),
        "exact": exact, "max_distance": max_distance, "max_minutes": max_minutes,
        "services_compared": len(scope.ids), "pairs": len(table),
        "comparable": int(table["comparable"].sum()),
        "similarity": ("(interventions_shared * groups_shared * needs_shared * "
                       "catchment_shared) ** (1/4)"),
        "capacity_per_1000_need": ("combined capacity (same unit only) per 1,000 "
                                   "people with the largest of the pair's shared "
                                   "needs in the shared areas"), **drawn}
    table.attrs.update({k: v for k, v in attrs.items()
                        if k not in ("pairs", "comparable")})
    detail = _Detail(smap=smap, cols=scope.cols, ids=scope.ids, weights=weights,
                     need_columns=scope.need_columns, exact=exact, triples=triples)
    notes = _notes(smap, scope, catchments, table, scopes, apart,
                   float(min_similarity))
    return OverlapReport(table=table, attrs=attrs, notes=notes, _detail=detail)


# -- checks ----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Scope:
    """The services compared, in id order, and what each lists."""

    needs: list[str]                  # in scope, in vocabulary order
    groups: tuple[str, ...]           # as given (empty: every group)
    group_terms: list[str]            # the columns of ``group_of``
    cols: np.ndarray                  # positions in smap.services, sorted by id
    ids: pd.Index                     # their ids: position a < b is id a < id b
    need_of: np.ndarray               # compared services x needs: counts as provision
    group_of: np.ndarray              # compared services x groups served with ages
    need_columns: dict[str, str]      # need -> the areas' column, where there is one
    labels: dict[str, str]            # need -> what counts as its provision, in words
    terms: list[str]                  # interventions (one name per form): columns of
    offers: np.ndarray                # compared services x terms
    counts_for: np.ndarray            # needs x terms: the interventions that count
    provision_notes: list[str]        # what provision() said
    left_out: list[str]               # services of ``to`` not compared
    lo: np.ndarray                    # lowest and highest age served (missing ages
    hi: np.ndarray                    # from the age groups listed)


def _check(smap: ServiceMap, *, need: Any, intervention: Any, to: Any, across: Any,
           client_group: Any, status: Iterable[str], exact: bool,
           catchments: Any) -> _Scope:
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
    if to is not None:
        # checks the ids, with a did-you-mean; the need does not matter here
        keep &= provision(smap, None, to=to).mask
    if needs_given:
        scope = list(needs_given)
    else:
        listed = set(services["needs"][keep].explode().dropna())
        scope = [t for t in smap.vocabulary.terms("need") if t in listed]
    need_of = listing(services["needs"], scope)
    labels: dict[str, str] = {}
    terms_of: dict[str, tuple[str, ...]] = {}
    notes: list[str] = []
    for k, n in enumerate(scope):
        prov = provision(smap, n, intervention=intervention, to=to)
        need_of[:, k] &= prov.mask
        labels[n], terms_of[n] = prov.label, prov.interventions
        notes.extend(prov.notes)
    if not needs_given:  # the needs some service counts for
        some = (need_of & keep[:, None]).any(axis=0)
        scope = [n for n, s in zip(scope, some, strict=True) if s]
        need_of = need_of[:, some]
        labels = {n: labels[n] for n in scope}
    aged = _with_ages(services)
    group_of, group_terms = _groups_ok(smap, aged, groups)
    keep &= need_of.any(axis=1) & group_of.any(axis=1)
    cols = np.flatnonzero(keep)
    cols = cols[np.argsort(services.index[cols].to_numpy(dtype=str), kind="stable")]
    terms, offers = _offers(smap, services.iloc[cols])
    counts_for = np.ones((len(scope), len(terms)), dtype=bool)
    for k, n in enumerate(scope):
        if terms_of[n]:  # () is every intervention
            counts_for[k] = np.isin(terms, [ALIKE_INTERVENTIONS.get(t, t)
                                            for t in terms_of[n]])
    left_out = ([] if to is None else
                [s for s in as_tuple(to) if s in services.index
                 and not keep[services.index.get_loc(s)]])
    return _Scope(needs=scope, groups=groups, group_terms=group_terms, cols=cols,
                  ids=services.index[cols], need_of=need_of[cols],
                  group_of=group_of[cols],
                  need_columns={n: c for n, c in smap.need_columns.items() if n in scope},
                  labels=labels, terms=terms, offers=offers, counts_for=counts_for,
                  provision_notes=list(dict.fromkeys(notes)), left_out=left_out,
                  lo=np.nan_to_num(aged["min_age"].to_numpy(dtype=float)[cols], nan=0.0),
                  hi=np.nan_to_num(aged["max_age"].to_numpy(dtype=float)[cols],
                                   nan=np.inf))


def _check_ranking(min_similarity: Any, set_apart: Any) -> tuple[str, ...]:
    """Check ``min_similarity`` and ``set_apart``; return the scopes set apart."""
    if isinstance(min_similarity, bool) or not isinstance(
            min_similarity, int | float | np.number) or not 0 <= min_similarity <= 1:
        msg = (f"min_similarity={min_similarity!r}: give a number from 0 to 1, such as "
               f"{MIN_SIMILARITY} (the default).")
        raise ValueError(msg)
    apart = as_tuple(set_apart)
    for s in apart:
        if s not in SET_APART:
            msg = (f"set_apart={s!r}: choose from {', '.join(map(repr, SET_APART))}, "
                   f"or () to rank every pair alike.{did_you_mean(str(s), SET_APART)}")
            raise ValueError(msg)
    return tuple(s for s in SCOPES if s in apart)


def _offers(smap: ServiceMap, services: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    """Return the interventions (one name per form) and who offers which."""
    listed = services["interventions"].map(
        lambda ts: tuple(ALIKE_INTERVENTIONS.get(t, t) for t in ts))
    present = set(listed.explode().dropna())
    order = [ALIKE_INTERVENTIONS.get(t, t) for t in smap.vocabulary.terms("intervention")]
    terms = [t for t in dict.fromkeys(order) if t in present]
    terms += sorted(present - set(terms))
    return terms, listing(listed, terms)


def _notes(smap: ServiceMap, scope: _Scope, catchments: Any, table: pd.DataFrame,
           scopes: np.ndarray, apart: tuple[str, ...], min_similarity: float,
           ) -> list[str]:
    """Return what was assumed, set apart or left out, in words."""
    notes = _set_apart_notes(scope, table, scopes, apart, min_similarity)
    notes.extend(scope.provision_notes)
    if scope.left_out:
        notes.append(f"Not compared, of the services in to=: "
                     f"{', '.join(scope.left_out)} (not counted by status, or meeting "
                     "no need and client group in scope).")
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


def _set_apart_notes(scope: _Scope, table: pd.DataFrame, scopes: np.ndarray,
                     apart: tuple[str, ...], min_similarity: float) -> list[str]:
    """Say which services were set apart and why, and which pairs are not alike."""
    why = {"area-wide": (f"area-wide (serving their whole footprint whatever the "
                         f"distance, or with at least {WIDE_SHARE:.0%} of the map's "
                         "people in their catchment)"),
           "remote": ("remote (no in-person or outreach site: phone or online support, "
                      "or no site)")}
    in_pairs = set(table.index.get_level_values(0)) | set(
        table.index.get_level_values(1))
    said = []
    for kind in apart:
        ids = [s for s, k in zip(scope.ids, scopes, strict=True)
               if k == kind and s in in_pairs]
        if ids:
            said.append(f"as {why[kind]}: {', '.join(ids[:8])}"
                        f"{' ...' if len(ids) > 8 else ''}")
    notes = []
    if said:
        n_apart = int((~table["comparable"] & (table["scope_a"].isin(apart)
                                                | table["scope_b"].isin(apart))).sum())
        notes.append(
            f"Set apart {'; '.join(said)}. They overlap every service near them by "
            f"design, so their {plural(n_apart, 'pair is', 'pairs are')} listed after "
            "the pairs of local services and not counted as duplication (set_apart=() "
            "counts them).")
    local = ~(table["scope_a"].isin(apart) | table["scope_b"].isin(apart))
    unlike = int((local & ~table["comparable"]).sum())
    if unlike:
        notes.append(f"{plural(unlike, 'pair')} of local services "
                     f"{'is' if unlike == 1 else 'are'} less alike than "
                     f"min_similarity={min_similarity:g}: listed, not counted as "
                     "duplication.")
    return notes
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
    lo, hi = scope.lo, scope.hi
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
def _scopes(smap: ServiceMap, scope: _Scope, weights: sparse.csr_array) -> np.ndarray:
    """Each compared service's scope: "remote", "area-wide" or "local"."""
    services = smap._services.iloc[scope.cols]
    pop = _population(smap._areas)[0]
    total = pop.sum()
    held = weights.T @ pop
    wide = (services["reach"].to_numpy(dtype=object) == "none") | (
        (held >= WIDE_SHARE * total) if total > 0 else False)
    remote = ~in_person(smap)[scope.cols]
    return np.where(remote, "remote", np.where(wide, "area-wide", "local")).astype(object)


def _jaccard(both: np.ndarray, either: np.ndarray) -> np.ndarray:
    """Row by row: how many in both over how many in either (0 where none in either)."""
    inter = both.sum(axis=1).astype(float)
    union = either.sum(axis=1).astype(float)
    return np.divide(inter, union, out=np.zeros(len(inter)), where=union > 0)


def _similarity(scope: _Scope, shared: _Shared, weights: sparse.csr_array,
                pop: np.ndarray, areas: pd.DataFrame) -> dict[str, Any]:
    """How alike each pair is: the four shares, their geometric mean, what both offer."""
    pairs = shared.pairs
    a, b = pairs.a, pairs.b
    counts = (pairs.needs.astype(np.int64) @ scope.counts_for.astype(np.int64)) > 0
    offers = scope.offers
    both_offer = offers[a] & offers[b] & counts
    interventions = _jaccard(both_offer, (offers[a] | offers[b]) & counts)
    groups = _jaccard(scope.group_of[a] & scope.group_of[b],
                      scope.group_of[a] | scope.group_of[b])
    needs = _jaccard(scope.need_of[a] & scope.need_of[b],
                     scope.need_of[a] | scope.need_of[b])
    # people with the shared needs: shared, and in each catchment
    num = np.zeros(len(a))
    den_a, den_b = np.zeros(len(a)), np.zeros(len(a))
    for n, column in scope.need_columns.items():
        k = scope.needs.index(n)
        on = pairs.needs[:, k]
        held = weights.T @ areas[column].to_numpy(dtype=float, na_value=0.0)
        num += np.where(on, shared.need[n], 0.0)
        den_a += np.where(on, held[a], 0.0)
        den_b += np.where(on, held[b], 0.0)
    by_need = (den_a > 0) & (den_b > 0)
    held_pop = weights.T @ pop
    share_a = np.where(by_need, _ratio(num, den_a), _ratio(shared.population, held_pop[a]))
    share_b = np.where(by_need, _ratio(num, den_b), _ratio(shared.population, held_pop[b]))
    catchment = np.nan_to_num(np.fmin(share_a, share_b), nan=0.0)
    parts = np.vstack([interventions, groups, needs, np.minimum(catchment, 1.0)])
    return {"interventions": _as_tuples(both_offer, scope.terms),
            "similarity": np.prod(parts, axis=0) ** 0.25,
            **dict(zip(_ALIKE, parts, strict=True)),
            "need_share_a": share_a, "need_share_b": share_b}


def _table(smap: ServiceMap, scope: _Scope, shared: _Shared, weights: sparse.csr_array,
           scopes: np.ndarray, *, set_apart: tuple[str, ...], min_similarity: float,
           ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One row per pair, ranked (see :func:`find_overlaps`); triples renumbered to it."""
    services = smap._services
    pairs, cols = shared.pairs, scope.cols
    a, b = pairs.a, pairs.b
    need_sums = {n: np.where(pairs.needs[:, scope.needs.index(n)], v, np.nan)
                 for n, v in shared.need.items()}
    catch_areas = np.diff(_binary(weights).indptr)
    pop = _population(smap._areas)[0]
    catch_pop = weights.T @ pop
    partnerships = smap.service_partnerships().to_numpy(dtype=object)[cols]
    commissioners = services["commissioners"].map(tuple).to_numpy(dtype=object)[cols]
    provider = services["provider"].to_numpy(dtype=object)[cols]
    shared_pop = shared.population
    alike = _similarity(scope, shared, weights, pop, smap._areas)
    apart = np.isin(scopes[a], set_apart) | np.isin(scopes[b], set_apart)
    # a hair below the threshold still counts: the similarity is a fourth root
    comparable = ~apart & (alike["similarity"] >= min_similarity - 1e-12)
    data: dict[str, Any] = {
        "needs": _as_tuples(pairs.needs, scope.needs),
        "client_groups": _as_tuples(pairs.groups, scope.group_terms),
        "interventions": alike["interventions"],
        "similarity": alike["similarity"],
        **{c: alike[c] for c in _ALIKE},
        "scope_a": scopes[a], "scope_b": scopes[b], "comparable": comparable,
        "provider_a": provider[a], "provider_b": provider[b],
        "partnerships_a": partnerships[a], "partnerships_b": partnerships[b],
        "commissioners_a": commissioners[a], "commissioners_b": commissioners[b],
        "shared_areas": np.asarray(shared.areas).round().astype(np.int64),
        "areas_a": catch_areas[a].astype(np.int64),
        "areas_b": catch_areas[b].astype(np.int64),
        "shared_population": shared_pop,
        "share_a": _ratio(shared_pop, catch_pop[a]),
        "share_b": _ratio(shared_pop, catch_pop[b]),
        "need_share_a": alike["need_share_a"], "need_share_b": alike["need_share_b"],
    }
    for n in scope.needs:
        if n in need_sums:
            data[scope.need_columns[n]] = need_sums[n]
    data.update(_capacity(services, cols, a, b, need_sums))
    ids = scope.ids.to_numpy(dtype=object)
    index = pd.MultiIndex.from_arrays([ids[a], ids[b]], names=["service_a", "service_b"])
    table = pd.DataFrame(data, index=index)
    # local pairs first, then the most alike, then the most people shared
    rank = np.lexsort((np.arange(len(table)), -np.nan_to_num(shared_pop, nan=-1.0),
                       -np.round(alike["similarity"], 12), apart))
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
    """Per area: services and pairs of the comparable pairs there; the other pairs."""
    comparable = table["comparable"].to_numpy(dtype=bool)
    services, pairs = _overlapping(detail, table, comparable)
    others = _overlapping(detail, table, ~comparable)[1]
    return pd.DataFrame({
        "services": services, "pairs": pairs,
        "duplication": np.maximum(services - 1, 0).astype(np.int64),
        "other_pairs": others}, index=detail.areas.index)


def _overlapping(detail: _Detail, table: pd.DataFrame, which: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Per area: distinct services of the rows ``which`` of the table, and the rows."""
    n_areas = len(detail.areas)
    m = len(detail.ids)
    pair_areas: np.ndarray
    if detail.triples is not None:
        tri = detail.triples
        tri = tri[which[tri["pair"].to_numpy()]]
        area_of = tri["area"].to_numpy()
        pair_areas = np.bincount(area_of, minlength=n_areas)
        svc_keys = np.unique(np.r_[area_of * m + tri["a"].to_numpy(),
                                   area_of * m + tri["b"].to_numpy()])
        svc_areas = np.bincount(svc_keys // max(m, 1), minlength=n_areas)
    else:
        a, b = _positions(detail, table[which])
        adj = sparse.csr_array((np.ones(2 * len(a)), (np.r_[a, b], np.r_[b, a])),
                               shape=(m, m))
        rr = detail.weights
        partners = sparse.csr_array(rr.multiply(rr @ adj))
        svc_areas = np.diff(partners.indptr)
        pair_areas = np.asarray(partners.sum(axis=1)).ravel() / 2
    return svc_areas.astype(np.int64), np.round(pair_areas).astype(np.int64)


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


def _summary(table: pd.DataFrame, detail: _Detail, side: str,
             apart: tuple[str, ...]) -> pd.DataFrame:
    """Per pair of sides and need: pairs, and the comparable pairs' areas and people."""
    kinds = _kind_labels(_bodies(detail.smap, side).iloc[detail.cols], side)
    kinds_array = kinds.to_numpy(dtype=object)
    a_pos, b_pos = _positions(detail, table)
    side_a, side_b = kinds_array[a_pos], kinds_array[b_pos]
    swap = side_a > side_b
    side_a, side_b = np.where(swap, side_b, side_a), np.where(swap, side_a, side_b)
    pairs = pd.DataFrame({"side_a": side_a, "side_b": side_b,
                          "need": table["needs"].to_numpy(), "a": a_pos, "b": b_pos,
                          "pair": np.arange(len(table)),
                          "comparable": table["comparable"].to_numpy(dtype=bool),
                          "similarity": table["similarity"].where(
                              ~(table["scope_a"].isin(apart)
                                | table["scope_b"].isin(apart))).to_numpy(dtype=float),
                          }).explode("need")
    areas = detail.areas
    pop = _population(areas)[0]
    rows = []
    for (sa, sb, need), group in pairs.groupby(["side_a", "side_b", "need"], sort=True):
        alike = group[group["comparable"]]
        share = _union_share(detail, alike)
        column = detail.need_columns.get(need)
        need_there = (np.nan if column is None else float(
            share @ areas[column].to_numpy(dtype=float, na_value=0.0)))
        rows.append({"side_a": sa, "side_b": sb, "need": need, "pairs": len(group),
                     "comparable": len(alike),
                     "similarity": group["similarity"].max(),
                     "services": len(np.unique(alike[["a", "b"]].to_numpy())),
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


def _with_ages(services: pd.DataFrame) -> pd.DataFrame:
    """Return the services with a missing ``min_age`` or ``max_age`` from their groups.

    A service listing ``adults`` and stating no ages serves ages 18 and over, not
    every age: the span of the age groups it lists (children 0-12 and adults: 0 and
    over). A service listing no age group keeps its ages as stated.
    """
    names = list(CLIENT_GROUP_AGES)
    member = listing(services["client_groups"], names)
    g_lo = np.array([CLIENT_GROUP_AGES[g][0] for g in names], dtype=float)
    g_hi = np.array([np.inf if CLIENT_GROUP_AGES[g][1] is None
                     else CLIENT_GROUP_AGES[g][1] for g in names], dtype=float)
    span_lo = np.where(member, g_lo, np.inf).min(axis=1, initial=np.inf)
    span_hi = np.where(member, g_hi, -np.inf).max(axis=1, initial=-np.inf)
    lists = member.any(axis=1)
    lo = services["min_age"].to_numpy(dtype=float, na_value=np.nan)
    hi = services["max_age"].to_numpy(dtype=float, na_value=np.nan)
    lo = np.where(np.isnan(lo) & lists, span_lo, lo)
    hi = np.where(np.isnan(hi) & lists & np.isfinite(span_hi), span_hi, hi)
    out = services.copy()
    out["min_age"] = lo
    out["max_age"] = hi
    return out


def _groups_ok(smap: ServiceMap, services: pd.DataFrame, groups: tuple[str, ...],
               ) -> tuple[np.ndarray, list[str]]:
    """(services x groups) matrix of client groups served, and the groups.

    The groups are those given, or the age groups and every group a service lists,
    in the vocabulary's order.
    """
    if groups:
        terms = list(groups)
    else:
        listed = set(services["client_groups"].explode().dropna()) | set(
            CLIENT_GROUP_AGES)
        order = list(smap.vocabulary.terms("client_group"))
        terms = [g for g in order if g in listed] + sorted(listed - set(order))
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


def _headline(key: tuple[str, str], row: pd.Series, smap: ServiceMap,
              attrs: dict[str, Any]) -> str:
    """Say who overlaps, where, how alike they are and whether it is duplication."""
    services = smap._services
    vocab = smap.vocabulary

    def who(sid: str, side: str) -> str:
        name = services.at[sid, "name"]
        parts = row[f"partnerships_{side}"]
        commissioned = (f"commissioned by {' and '.join(parts)}" if parts
                        else "commissioned by no partnership")
        return f"{name} ({sid}; provider {row[f'provider_{side}']}; {commissioned})"

    groups = ", ".join(row["client_groups"])
    needs = ", ".join(row["needs"])
    n = int(row["shared_areas"])
    offered = [vocab.label("intervention", t).lower() if vocab.match("intervention", t)
               == t else t for t in row["interventions"]]
    both = f": {', '.join(offered)}" if offered else ": none in common"
    alike = (f"Similarity {row['similarity']:.2f} (interventions "
             f"{row['interventions_shared']:.2f}{both}; client groups "
             f"{row['groups_shared']:.2f}; needs {row['needs_shared']:.2f}; catchment "
             f"{row['catchment_shared']:.2f})")
    apart = tuple(attrs.get("set_apart") or ())
    scopes = {"area-wide": "area-wide", "remote": "remote (phone or online only)"}
    set_apart = [f"{services.at[sid, 'name']} is {scopes[row[f'scope_{side}']]}"
                 for sid, side in zip(key, "ab", strict=True)
                 if row[f"scope_{side}"] in apart]
    if row["comparable"]:
        verdict = "alike enough to count as duplication."
    elif set_apart:
        verdict = f"not counted as duplication: {' and '.join(set_apart)}."
    else:
        verdict = (f"not counted as duplication: less alike than "
                   f"{attrs.get('min_similarity', MIN_SIMILARITY):g}.")
    return (f"{who(key[0], 'a')} and {who(key[1], 'b')} overlap for {needs} "
            f"({groups}) in {plural(n, 'area')} where about "
            f"{row['shared_population']:,.0f} people live: {row['share_a']:.0%} of the "
            f"first's catchment population and {row['share_b']:.0%} of the second's. "
            f"{alike}: {verdict}")


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

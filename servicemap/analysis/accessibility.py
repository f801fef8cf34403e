"""Accessibility: supply shared among the demand that can reach it (floating catchments).

Supply is the ``capacity`` of the in-person services that are provision for a need;
demand is the areas' ``need_<need>`` column (people with the need). Which services
count is the rule every analysis shares
(:func:`~servicemap.analysis._select.provision`): those listing the need and, for
drug and alcohol, offering treatment (:data:`~servicemap.vocab.PROVISION`);
``intervention=`` names other interventions or kinds (``"harm_reduction"``, or
``"any"`` for every service listing the need) and ``to=`` names the services
outright. **Remote is not reach**: a service whose sites are all phone or online (or
that has no site) gives no supply and makes no area reached; it is listed in
``attrs["excluded"]`` and counted, per area, in ``remote_services``.

On the reach matrix ``W`` (areas x services, weighted by distance decay for the
enhanced methods):

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
* **nearest**: the nearest in-person service reaching the area that needs a journey
  (reach by distance or minutes) and its cost, and the straight-line distance to the
  nearest site of any in-person service for the need, catchments aside.

Every method answers with an :class:`AccessReport` whose ``table`` has the same
columns (:data:`COLUMNS`), indexed like ``smap.areas``:

=====================  ==========================================================
column                 filled by
=====================  ==========================================================
``demand``             every method: people with the need in the area
``services``           every method: in-person services for the need reaching the
                       area (with a weight above 0)
``access``             2SFCA, E2SFCA, gravity: supply per person of demand
``access_per_1000``    the same per 1,000 people in need
``supply_in_reach``    the capacity reaching the area, unshared
``service``            nearest: the nearest service reaching the area that needs a
                       journey (missing where none does)
``cost``, ``unit``     nearest: its cost and the cost's unit
``remote_services``    every method: remote services for the need (phone or online
                       only) whose footprint takes the area: support, not reach
``distance``           nearest: metres to the nearest site of any in-person
                       service for the need, catchments aside
=====================  ==========================================================

A column a method does not fill is missing (NaN). The ``access`` of an area that
reaches no service is **0** (PySAL access gives NaN there); ``services`` says how many
reach it, so such areas are easy to find, and ``remote_services`` whether remote
support takes it all the same. A service whose catchment holds no demand has no ratio
and serves no one; it is listed in ``attrs["no_demand"]``. Services without a capacity
are left out of the supply, with a warning giving the count, and listed in
``attrs["excluded"]`` with the remote ones; the report's ``notes`` say both. Costs
are the reach matrix's: metres, minutes, or 0 for outreach, phone and online services.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from servicemap.analysis._report import Report, grouping, publish, tabulate
from servicemap.analysis._select import (
    ACTIVE,
    as_terms,
    as_tuple,
    counted,
    in_person,
    need_column,
    need_values,
    provision,
    served_groups,
)
from servicemap.analysis._select import (
    remote as remote_mask,
)
from servicemap.crs import user_stacklevel
from servicemap.disclosure import DEFAULT_THRESHOLD
from servicemap.errors import ServiceMapWarning, plural
from servicemap.geography import ReachMatrix, nearest_sites, reach_matrix
from servicemap.plotting import area_map
from servicemap.servicemap import ServiceMap

if TYPE_CHECKING:  # for annotations only: matplotlib loads when drawing
    from matplotlib.axes import Axes

__all__ = ["COLUMNS", "METHODS", "AccessReport", "accessibility"]

METHODS = ("2sfca", "e2sfca", "gravity", "nearest")
#: The columns of :attr:`AccessReport.table`, the same for every method.
COLUMNS = ("access", "access_per_1000", "demand", "supply_in_reach", "services",
           "service", "cost", "unit", "remote_services", "distance")
_FCA = ("access", "access_per_1000", "supply_in_reach")
_NEAREST = ("service", "cost", "unit", "remote_services", "distance")
#: Why a remote service gives no supply, in words.
REMOTE_REASON = "remote (phone or online only): support, not reach"
#: Why a service with no site gives no supply.
SITELESS_REASON = "no site: no place to reach from home"
#: Luo and Qi's weights for the three thirds of a catchment.
_THIRDS = (1.0, 0.68, 0.22)
Weights = Mapping[float, float] | Callable[[np.ndarray], np.ndarray] | None


@dataclass(frozen=True)
class _Shares:
    """The weighted pairs behind each area's access, for :meth:`AccessReport.explain`."""

    cols: np.ndarray        # positions of the services counted
    weights: Any            # scipy.sparse, areas x cols: weight of each reached pair
    cost: Any               # scipy.sparse, areas x cols: its cost (same pattern)
    units: np.ndarray       # per col: the unit of its costs
    supply: np.ndarray      # per col: capacity (NaN for nearest)
    served: np.ndarray      # per col: demand within reach, weighted (NaN for nearest)
    ratio: np.ndarray       # per col: supply over served (NaN for nearest)


@dataclass(frozen=True, repr=False)
class AccessReport(Report):
    """Each area's access to the capacity for a need, shared among the demand.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed like ``smap.areas``, with the columns of :data:`COLUMNS` for every
        method; those a method does not fill are missing (see
        :mod:`servicemap.analysis.accessibility`).
    attrs : dict
        ``need``, ``provision`` (which services count, in words), ``intervention``
        (the terms counted, None for the need's services whatever they offer),
        ``to``, ``method``, ``client_group``, ``max_distance`` and ``max_minutes``,
        ``weights`` (as given) and ``decay`` (in words), ``supply`` and ``demand``
        (in words), ``unit`` (of capacity), ``counted`` (the in-person services
        giving supply, or counted by ``nearest``), ``map_ratio`` (all the supply over
        all the demand), ``excluded`` ({service: why it gives no supply}: remote,
        no capacity, another unit), ``remote`` (the remote services for the need) and
        ``no_demand`` (services whose catchment holds no demand).
    notes : list of str
        What was left out and why, and which columns the method leaves empty.
    """

    table: pd.DataFrame
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    smap: Any = field(default=None, compare=False)
    _shares: Any = field(default=None, compare=False)
    row_noun: ClassVar[str] = "area"

    def summary(self, by: Any = None, *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """Access by group of areas, weighted by the people in need, small counts hidden.

        Parameters
        ----------
        by : str or list of str, optional
            A parent level such as ``lad``, ``partnership`` (an area in two counts in
            both, and once in the total), or a column of the areas such as
            ``imd_decile``. By default the map's first parent level.
        suppress : int or None, default 5
            Counts of people below this are hidden, with secondary suppression
            (:func:`servicemap.disclosure.suppress`); None publishes exact figures.

        Returns
        -------
        pandas.DataFrame
            One row per group and a last row ``total``: ``areas``, ``demand`` (people
            with the need), ``demand_unreached`` (those in areas no in-person service
            reaches), ``demand_remote_only`` (those of them a remote service takes:
            support, not reach),
            ``access`` and ``access_per_1000`` (the group's share of supply over its
            demand: the mean of its areas' access weighted by their demand) and
            ``distance`` (to the nearest site, weighted the same way; ``nearest``
            only). ``attrs["subtotals"]`` as :func:`~servicemap.disclosure.suppress`.

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> acc = sm.accessibility(smap, need="early_help",
        ...                        capacity_unit="clients_per_year")
        >>> out = acc.summary("lad")
        >>> out.columns.tolist()
        ['lad_name', 'areas', 'demand', 'demand_unreached', 'demand_remote_only', \
'access', 'access_per_1000', 'distance']
        >>> int(out.loc["total", "areas"])
        381
        """
        areas = self.smap._areas
        if by is None:
            levels = self.smap.parent_levels
            by = levels[0] if levels else []
        extra = [c for c in areas.columns if c not in self.table.columns
                 and c != areas.geometry.name]
        rows = self.table.join(pd.DataFrame(areas[extra])).reset_index()
        demand = rows["demand"].to_numpy(dtype=float)
        unreached = rows["services"].to_numpy() == 0
        remote = rows["remote_services"].to_numpy(dtype=float, na_value=0.0) > 0
        rows = rows.assign(
            demand_unreached=np.where(unreached, demand, 0.0),
            demand_remote_only=np.where(unreached & remote, demand, 0.0),
            access=demand * rows["access"].to_numpy(dtype=float),
            distance=demand * rows["distance"].to_numpy(dtype=float))
        sums = {"areas": ("code", "nunique"), "demand": ("demand", "sum"),
                "demand_unreached": ("demand_unreached", "sum"),
                "demand_remote_only": ("demand_remote_only", "sum"),
                "access": ("access", "sum"), "distance": ("distance", "sum")}
        # the total counts each area once, before an area joins several partnerships
        total = rows.assign(_all="total").groupby("_all").agg(**sums)  # type: ignore[arg-type]
        rows, keys, labels = grouping(
            rows, by, smap=self.smap, hidden=("geometry",),
            choices="a parent level, partnership or a column of the areas")
        if keys:
            out = tabulate(rows, keys, labels, sums, total=total)
        else:
            out = total
            out.index.names = [None]
        # pooled: the demand-weighted sums over the demand, never a mean of means
        filled = self.attrs["method"] == "nearest"
        for c in ("access", "distance"):
            known = filled if c == "distance" else not filled
            out[c] = out[c] / out["demand"].where(out["demand"] > 0) if known else np.nan
        out.insert(out.columns.get_loc("access") + 1, "access_per_1000",
                   out["access"] * 1000)
        return publish(out, ["demand", "demand_unreached", "demand_remote_only"],
                       keys or ["group"],
                       suppress=suppress, total=bool(keys))

    def explain(self, key: str) -> pd.DataFrame:
        """List the services counted for an area, with their weight and share of supply.

        Parameters
        ----------
        key : str
            An area code, a label of :attr:`table`'s index.

        Returns
        -------
        pandas.DataFrame
            Indexed by service, nearest first: ``name``, ``cost`` and ``unit`` (of
            the journey), ``weight`` (distance decay), ``capacity``,
            ``demand_in_reach`` (the people in need its capacity is shared among,
            weighted), ``access`` (its part of the area's access, which the rows add
            up to) and ``supply_share`` (the share of its capacity that goes to this
            area's people in need). The last four are missing for ``nearest``.
            ``attrs["headline"]`` says it in a sentence.

        Raises
        ------
        KeyError
            If ``key`` is not an area of the report.

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> acc = sm.accessibility(smap, need="early_help",
        ...                        capacity_unit="clients_per_year")
        >>> code = acc.table["access"].idxmax()
        >>> why = acc.explain(code)
        >>> bool(abs(why["access"].sum() - acc.table.loc[code, "access"]) < 1e-9)
        True
        """
        code = self._check_key(key)
        i = self.table.index.get_loc(code)
        sh = self._shares
        weights = sh.weights[[i]].tocsr()
        cost = sh.cost[[i]].tocsr()
        ok = weights.data > 0
        k = weights.indices[ok]
        services = self.smap._services
        pos = sh.cols[k]
        demand = float(self.table["demand"].to_numpy(dtype=float)[i])
        w = weights.data[ok]
        capacity = sh.supply[k]
        share = np.divide(demand * w * sh.ratio[k], capacity,
                          out=np.full(len(k), np.nan), where=capacity > 0)
        out = pd.DataFrame({
            "name": services["name"].to_numpy(dtype=object)[pos],
            "cost": cost.data[ok], "unit": sh.units[k], "weight": w,
            "capacity": capacity, "demand_in_reach": sh.served[k],
            "access": w * sh.ratio[k], "supply_share": share},
            index=pd.Index(services.index[pos], name="service"))
        out = out.sort_values(["cost", "weight"], ascending=[True, False], kind="stable")
        out.attrs["headline"] = self._headline(code, len(out))
        return out

    def _headline(self, code: str, n: int) -> str:
        row = self.table.loc[code]
        name = self.smap._areas.at[code, "name"]
        what = self.attrs["provision"]
        label = f"{code} ({name})" if name != code else code
        people = f"{row['demand']:,.1f} people with the need"
        n_remote = int(row["remote_services"])
        remote = (f"; {plural(n_remote, 'remote service')} (phone or online only) "
                  f"{'takes' if n_remote == 1 else 'take'} it: support, not reach"
                  if n_remote else "")
        if not n:
            return (f"{label}: no in-person service for {what} reaches it{remote}; "
                    f"{people}.")
        counted = plural(n, "in-person service")
        if self.attrs["method"] == "nearest":
            nearest: str = ("no service that needs a journey reaches it" if pd.isna(
                row["service"]) else f"the nearest reaching it is {row['service']} at "
                f"{row['cost']:,.0f} {row['unit']}")
            return (f"{label}: {counted} for {what} "
                    f"{'reaches' if n == 1 else 'reach'} it; {nearest}{remote}; "
                    f"{people}.")
        return (f"{label}: {row['access']:.3g} {self.attrs['unit']} per person in need "
                f"({row['access_per_1000']:,.1f} per 1,000) from {counted} for {what}"
                f"{remote}; {people}.")

    def plot(self, ax: Axes | None = None, *, column: str | None = None,
             **kwargs: Any) -> Axes:
        """Map the access of each area (the distance to the nearest, for ``nearest``).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        column : str, optional
            A numeric column of :attr:`table`; by default ``access_per_1000``, or
            ``distance`` for ``nearest``.
        **kwargs
            Passed to :func:`servicemap.plotting.area_map` (``cmap``, ``title``...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> acc = sm.accessibility(sm.datasets.bedfordshire(), need="early_help",
        ...                        capacity_unit="clients_per_year")
        >>> acc.plot().get_title()
        'Access to early_help services (2SFCA)'
        """
        method = self.attrs["method"]
        column = column or ("distance" if method == "nearest" else "access_per_1000")
        numeric = [c for c in COLUMNS if c not in ("service", "unit")]
        if column not in numeric:
            msg = f"column={column!r}: choose one of {', '.join(numeric)}."
            raise ValueError(msg)
        labels = {"access_per_1000": f"{self.attrs.get('unit')} per 1,000 people in need",
                  "access": f"{self.attrs.get('unit')} per person in need",
                  "distance": "metres to the nearest site"}
        kwargs.setdefault("title", f"Access to {self.attrs['provision']} "
                                   f"({method.upper() if method != 'nearest' else method})")
        kwargs.setdefault("label", labels.get(column, column.replace("_", " ")))
        return area_map(self.areas, self.table[column], ax=ax, **kwargs)

    def __repr__(self) -> str:
        reached = int((self.table["services"] > 0).sum())
        return (f"<AccessReport: {self.attrs['provision']} by {self.attrs['method']}; "
                f"{reached:,} of {len(self.table):,} areas reached; "
                f"{self.attrs.get('supply', '')}>")


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
    intervention: str | Iterable[str] | None = None,
    to: str | Iterable[str] | None = None,
    client_group: str | Iterable[str] | None = None,
    capacity_unit: str | None = None,
    status: Iterable[str] = ACTIVE,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> AccessReport:
    """Measure each area's access to the capacity for a need, shared among demand.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    need : str
        The need: the in-person services that are provision for it give supply
        (their ``capacity``), and the areas' ``need_<need>`` column gives demand. For
        drug and alcohol, provision is treatment by default
        (:data:`~servicemap.vocab.PROVISION`); for other needs, every service
        listing the need.
    method : {"2sfca", "e2sfca", "gravity", "nearest"}, default "2sfca"
        See :mod:`servicemap.analysis.accessibility`.
    weights : dict or callable, optional
        Distance decay for ``e2sfca`` and ``gravity``: ``{cost: weight}`` steps (a cost
        up to each key takes its weight; beyond the last key, 0) or a function taking
        a numpy array of costs and returning weights. Costs are in the reach
        matrix's units (metres or minutes). By default relative to each service's
        own threshold (see the module notes).
    intervention : str or list of str, optional
        The interventions that count instead of the need's default: terms
        (``"naloxone"``), kinds (``"treatment"``, ``"harm_reduction"``, see
        :data:`~servicemap.vocab.INTERVENTION_KINDS`) or ``"any"`` (every service
        listing the need).
    to : str or list of str, optional
        The service ids that count, whatever they offer.
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
    AccessReport
        ``.table`` indexed like ``smap.areas`` with the same columns
        (:data:`COLUMNS`) for every method: the FCA methods fill ``access``,
        ``access_per_1000`` (supply per person of demand, and per 1,000) and
        ``supply_in_reach`` (capacity reaching the area, unshared); ``nearest``
        fills ``service``, ``cost`` and ``unit`` of the nearest service reaching the
        area that needs a journey and ``distance`` in metres to the nearest site of
        any in-person service for the need; every method fills ``demand``,
        ``services`` (in-person services reaching the area with a weight above 0)
        and ``remote_services`` (remote ones taking it). ``.attrs`` state the need,
        ``provision`` (in words), method, thresholds, weights and decay, supply,
        demand, map-wide ratio and the services left out (``excluded``); ``.notes``
        say it in words; ``.summary()``, ``.explain(code)`` and ``.plot()``.

    Raises
    ------
    ValueError
        For an unknown need, method, intervention, service or capacity unit, a need
        with no column in the areas, or capacities in several units without
        ``capacity_unit``.

    Warns
    -----
    ServiceMapWarning
        When in-person services for the need have no capacity and are left out of
        supply.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> acc = sm.accessibility(smap, need="early_help", capacity_unit="clients_per_year")
    >>> acc.table.index.equals(smap.areas.index)
    True
    >>> acc.attrs["supply"]
    'capacity in clients_per_year of 7 active in-person services for early_help services'
    >>> # every place is shared out: demand x access adds up to the supply
    >>> supply = smap.services.loc[acc.attrs["counted"], "capacity"].sum()
    >>> bool(abs((acc.table["demand"] * acc.table["access"]).sum() - supply) < 1e-6)
    True
    >>> # the early help front doors take referrals by phone: support, not reach
    >>> acc.attrs["excluded"]["lbc-early-help-front-door"]
    'remote (phone or online only): support, not reach'
    >>> near = sm.accessibility(smap, need="early_help", method="nearest")
    >>> near.table.columns.equals(acc.table.columns)
    True

    Drug provision is treatment by default; harm reduction is asked for by name:

    >>> sm.accessibility(smap, need="drug", capacity_unit="places").attrs["provision"]
    'drug treatment'
    >>> naloxone = sm.accessibility(smap, need="drug", intervention="naloxone",
    ...                             method="nearest")
    >>> "beds-naloxone" in naloxone.attrs["counted"]
    True
    """
    if method not in METHODS:
        msg = f"method={method!r}: choose one of {', '.join(METHODS)}."
        raise ValueError(msg)
    (need,) = as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    column = need_column(smap, need)
    services = smap._services
    chosen = provision(smap, need, intervention=intervention, to=to)
    keep = counted(smap, status=status) & chosen.mask
    if groups:
        keep &= served_groups(services, groups).any(axis=1)
    not_here = keep & ~in_person(smap)
    remote = not_here & remote_mask(smap)
    siteless = not_here & ~remote
    keep &= ~not_here
    reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
    demand = need_values(smap, need)
    attrs: dict[str, Any] = {"need": need, "provision": chosen.label, "method": method,
                             "intervention": chosen.interventions or None,
                             "to": None if to is None else as_tuple(to),
                             "demand": f"areas column {column!r} "
                                       f"(total {demand.sum():,.1f})",
                             "client_group": groups or None,
                             "max_distance": max_distance, "max_minutes": max_minutes,
                             "weights": weights}
    notes: list[str] = list(chosen.notes)
    if method == "nearest":
        table, shares = _nearest(smap, reach, keep, demand, attrs)
        attrs["excluded"] = {}
        notes.append("method='nearest' leaves access, access_per_1000 and "
                     "supply_in_reach empty; the FCA methods fill them.")
    else:
        table, shares = _floating(smap, reach, keep, demand, method, weights,
                                  capacity_unit, status, attrs)
        notes += _fca_notes(attrs)
        notes.append(f"method={method!r} leaves {', '.join(_NEAREST)} empty; "
                     "method='nearest' fills them.")
    # remote services: never supply or reach, counted where their footprint takes
    remote_ids = list(services.index[remote])
    attrs["excluded"] = {**dict.fromkeys(remote_ids, REMOTE_REASON),
                         **dict.fromkeys(services.index[siteless], SITELESS_REASON),
                         **attrs["excluded"]}
    attrs["remote"] = remote_ids
    taking = reach.matrix[:, np.flatnonzero(remote)].tocsr()
    table["remote_services"] = pd.array(np.diff(taking.indptr), dtype="Int64")
    if remote_ids:
        shown = ", ".join(remote_ids[:5]) + (" ..." if len(remote_ids) > 5 else "")
        notes.insert(len(chosen.notes), (
            f"{plural(len(remote_ids), 'remote service')} for {chosen.label} (phone or "
            f"online only) {'is' if len(remote_ids) == 1 else 'are'} support, not "
            f"reach: counted in remote_services, never as reach or supply ({shown})."))
    unreached = (table["services"] == 0) & (table["demand"] > 0)
    if unreached.any():
        zero = "" if method == "nearest" else "; their access is 0"
        n = int(unreached.sum())
        only = int((unreached & (table["remote_services"] > 0)).sum())
        apart = (f" ({only:,} of them with remote support only: remote_services)"
                 if only else "")
        notes.insert(0, f"{plural(n, 'area')} with people in need "
                        f"{'is' if n == 1 else 'are'} reached by no in-person service "
                        f"for {chosen.label}{apart}{zero}.")
    table.attrs.update({k: v for k, v in attrs.items() if k != "weights"})
    return AccessReport(table=table, attrs=attrs, notes=notes, smap=smap,
                        _shares=shares)


def _floating(smap: ServiceMap, reach: ReachMatrix, keep: np.ndarray,
              demand: np.ndarray, method: str, weights: Weights,
              capacity_unit: str | None, status: Iterable[str],
              attrs: dict[str, Any]) -> tuple[pd.DataFrame, _Shares]:
    """Share each service's ratio of supply to demand out to the areas it reaches."""
    services = smap._services
    need = attrs["need"]
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
    weighted = sparse.csc_array((w, sub.indices, sub.indptr), shape=sub.shape)
    served = weighted.T @ demand                        # sum_i D_i W_ij per service
    s = supply[cols]
    ratio = np.divide(s, served, out=np.zeros_like(s), where=served > 0)
    access = weighted @ ratio
    in_reach = weighted @ s
    reached = np.asarray((weighted > 0).sum(axis=1)).ravel()  # weight 0 is not reached
    no_demand = services.index[cols[served <= 0]]
    table = _table(smap, demand, reached, access=access, access_per_1000=access * 1000,
                   supply_in_reach=in_reach)
    label = attrs["provision"]
    active = "active in-person service" if tuple(status) == ACTIVE else "in-person service"
    attrs.update({
        "supply": f"capacity in {unit} of {plural(len(cols), active)} for {label}",
        "counted": list(services.index[cols]),
        "decay": decay, "excluded": excluded, "no_demand": list(no_demand),
        "map_ratio": float(s.sum() / demand.sum()) if demand.sum() > 0 else np.nan,
        "unit": unit,
    })
    # kept as built (column-major): explain() reads one row, so nothing is converted
    shares = _Shares(cols, weighted, sub, reach.unit.to_numpy(dtype=object)[cols], s,
                     served, ratio)
    return table, shares


def _table(smap: ServiceMap, demand: np.ndarray, services: np.ndarray,
           **filled: Any) -> pd.DataFrame:
    """Build the report's table: every column of :data:`COLUMNS`, missing where not filled."""
    n = len(demand)
    data: dict[str, Any] = {}
    for c in COLUMNS:
        if c in filled:
            data[c] = filled[c]
        elif c in ("service", "unit"):  # missing text, made without a Python list
            data[c] = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype="str").array
        elif c == "remote_services":
            data[c] = pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, bool))
        else:
            data[c] = np.full(n, np.nan)
    data["demand"] = demand
    data["services"] = services.astype(np.int64)
    return pd.DataFrame(data, index=smap._areas.index)


def _fca_notes(attrs: dict[str, Any]) -> list[str]:
    """Say which services were left out of supply, and which serve no one."""
    notes = []
    excluded = attrs["excluded"]
    if excluded:
        shown = ", ".join(f"{s} ({why})" for s, why in list(excluded.items())[:5])
        more = f" and {len(excluded) - 5} more" if len(excluded) > 5 else ""
        notes.append(f"{plural(len(excluded), 'in-person service')} for "
                     f"{attrs['provision']} left out of supply: {shown}{more}.")
    if attrs["no_demand"]:
        notes.append(f"No demand within the catchment of {', '.join(attrs['no_demand'])}"
                     ": their capacity serves no one.")
    return notes


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


def _nearest(smap: ServiceMap, reach: ReachMatrix, keep: np.ndarray,
             demand: np.ndarray, attrs: dict[str, Any]) -> tuple[pd.DataFrame, _Shares]:
    """Find the nearest service reaching each area, and the nearest site of any."""
    areas, services = smap._areas, smap._services
    journey = reach.unit.to_numpy() != "none"
    measured = set(reach.unit.to_numpy()[keep & journey])
    if len(measured) > 1:
        msg = (f"the services meeting {attrs['need']} reach by "
               f"{' and by '.join(sorted(measured))}, which cannot be compared to find "
               "the nearest. Give them all max_distance, or all max_minutes with a "
               "travel-time table.")
        raise ValueError(msg)
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
    # straight line to the nearest located site of any in-person service counted
    distance = nearest_sites(smap, services=ids[keep])["distance"].to_numpy()
    counted = np.flatnonzero(keep)
    pairs = reach.matrix[:, counted].tocsr()
    table = _table(smap, demand, np.diff(pairs.indptr), service=service, cost=best_cost,
                   unit=unit, distance=distance)
    attrs.update({"supply": f"{plural(int(keep.sum()), 'in-person service')} for "
                            f"{attrs['provision']}",
                  "counted": list(services.index[keep]), "decay": "none"})
    missing = np.full(len(counted), np.nan)
    shares = _Shares(counted, pairs, reach.cost[:, counted].tocsr(),
                     reach.unit.to_numpy(dtype=object)[counted], missing, missing,
                     missing)
    return table, shares

"""Pathways: from an entry point to treatment, area by area.

:func:`trace_pathways` answers, for every area: can someone living here who meets an
entry point (a police vulnerable-persons referral, release from prison, an A&E
attendance) be referred on, hand-off by hand-off, to provision for the need?
Provision is the rule every analysis shares
(:func:`~servicemap.analysis._select.provision`): for drug and alcohol, the services
offering treatment (:data:`~servicemap.vocab.PROVISION`), so an assessment or a
naloxone kit is a step on the way, not the end of it; for other needs, every service
listing the need; ``intervention=`` and ``to=`` say otherwise. Every service on the
chain must take them: be running (``status``), serve their client groups with their
ages, reach the area (by its distance or travel time and footprint, or everywhere in
the footprint for outreach, phone and online services) and, when an hour band is
named, be open for a meaningful part of it (an hour on some day; a service with no
hours given is open on weekdays in the daytime only, ``unknown_hours="daytime"``).

The **best chain** has the fewest hand-offs, then the least total wait: a
breadth-first search over the referral graph, run for all areas at once on sparse
arrays, keeping the least wait among the chains of each length. It is exact: a
shortest chain to a service only passes through services at their own shortest
distance, so the least wait at each distance is all that needs keeping.

Each hand-off on the best chain is checked for four **barriers** (:data:`BARRIERS`):

``consent``
    The hand-off needs the client's explicit consent, on a route from an entry point
    where people are referred without it: some pathway leaves the entry point on
    another basis, such as ``public_task`` or ``safeguarding`` (the police, custody,
    courts). People who did not come forward themselves are lost where they must be
    found and asked.
``no_isa``
    No information-sharing agreement covers the hand-off (``False``, or not
    recorded).
``cross_boundary``
    The two services have no commissioner in common, counting a partnership's member
    organisations with it (a council's service and its partnership's share one).
    Not judged where a service has no commissioners.
``bottleneck``
    The service referred to is offered more referrals a year (all pathways into it)
    than it can take a year: its capacity times the ``turnover`` of its unit
    (:data:`TURNOVER`; by default only capacities given a year are judged).

An area's route status (:data:`ROUTE_STATUS`) is ``clear``, ``barriers`` or
``no_route``. :meth:`PathwayReport.single_points_of_failure` finds the services every
route from the entry to treatment passes through, area by area.

Examples
--------
>>> smap = sm.datasets.bedfordshire()
>>> routes = sm.trace_pathways(smap, entry="police_vulnerable_persons", need="drug")
>>> routes.table["status"].value_counts().to_dict()
{'no_route': 146, 'clear': 121, 'barriers': 114}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from servicemap.analysis._explain import explain_route
from servicemap.analysis._referrals import Found, ReferralGraph, referral_graph, search
from servicemap.analysis._report import DEFAULT_THRESHOLD, Report, grouping, publish, tabulate
from servicemap.analysis._select import (
    ACTIVE,
    as_terms,
    as_tuple,
    check_unknown_hours,
    counted,
    open_in_bands,
    provision,
    served_groups,
)
from servicemap.geography import reach_matrix
from servicemap.handoffs import EXPLICIT_CONSENT, TURNOVER, WITHOUT_CONSENT, referral_steps
from servicemap.plotting import route_map
from servicemap.servicemap import ServiceMap

if TYPE_CHECKING:  # for annotations only: matplotlib.axes loads when drawing
    from matplotlib.axes import Axes

__all__ = ["BARRIERS", "ROUTE_STATUS", "TURNOVER", "WITHOUT_CONSENT", "PathwayReport",
           "trace_pathways"]

#: Barriers on a hand-off, in the order they are listed.
BARRIERS = ("consent", "no_isa", "cross_boundary", "bottleneck")
#: An area's route status.
ROUTE_STATUS = ("clear", "barriers", "no_route")


# -- the report ------------------------------------------------------------------------
@dataclass(frozen=True, repr=False, eq=False)
class PathwayReport(Report):
    """Routes from an entry point to treatment, per area, with their barriers.

    Attributes
    ----------
    table : pandas.DataFrame
        Per area (indexed by code): ``name``, parent areas, ``population`` and the
        people with the need (``need_<need>``) where the areas have them; ``status``
        (:data:`ROUTE_STATUS`), ``hand_offs``, ``wait_days`` (total typical wait;
        ``wait_complete`` is False where a hand-off's wait is not recorded and
        counted as 0), ``chain`` (the services, in order), ``pathways`` (their
        ids), ``barriers`` (the distinct barriers on it), ``chain_id`` (a row of
        :attr:`chains`) and ``reached`` (services the entry leads to that take the
        area's residents, treatment or not, up to the best chain's length where
        there is one: 0 means not even a first hand-off is open to them).
    chains : pandas.DataFrame
        One row per distinct best chain: ``chain``, ``pathways``, ``hand_offs``,
        ``wait_days``, ``barriers``, ``areas`` and the people on it.
    steps : pandas.DataFrame
        Every hand-off of every chain (``chain_id``, ``step``): pathway, from, to,
        kind, consent basis, agreement, wait, volume, the referrals a year into the
        service and its capacity a year, and each barrier as a column.
    attrs : dict
        What was traced: ``entry``, ``to`` (the services counting as treatment,
        before eligibility), ``intervention`` (the terms counted; empty for every
        service for the need), ``to_label`` (the treatment in words, such as "drug
        treatment"), ``need``, client groups, hour band, statuses,
        ``unknown_hours``, turnover, thresholds, and the entries that refer without
        consent.
    notes : list of str
        What was assumed or left out.
    smap : ServiceMap
        The map traced: its areas, services and pathways, as the drawings read them.
    handoffs : pandas.DataFrame
        Every pathway of the map, with its figures and barriers, judged with the
        report's ``turnover`` (:func:`servicemap.handoffs.referral_steps`): what
        :func:`servicemap.plotting.pathways` draws.
    """

    table: pd.DataFrame
    chains: pd.DataFrame
    steps: pd.DataFrame
    smap: ServiceMap
    handoffs: pd.DataFrame
    _allowed: sparse.csr_array      # areas x services: who takes each area's residents
    _graph: ReferralGraph
    _target: np.ndarray             # per service: treatment, and counts
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict)
    row_noun: ClassVar[str] = "traced area"

    @property
    def people(self) -> str | None:
        """The column of :attr:`table` counting people: need, else population."""
        return self.attrs.get("people")

    def summary(self, by: str = "partnership", *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """People by route status, per partnership, parent area or column.

        Parameters
        ----------
        by : str, default "partnership"
            ``partnership`` (the partnerships whose footprint takes in the area; an
            area in two counts in both), a parent level such as ``lad``, or a column
            of :attr:`table`.
        suppress : int or None, default 5
            Counts of people below this are hidden, with secondary suppression
            (:func:`servicemap.disclosure.suppress`); None publishes exact figures.

        Returns
        -------
        pandas.DataFrame
            Per group: ``areas``, people ``clear``, ``barriers`` and ``no_route``
            (the need where the report has a need column, else population), and
            ``share_with_route``.

        Examples
        --------
        >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
        ...                            entry="police_vulnerable_persons", need="drug")
        >>> routes.summary("lad", suppress=None).columns.tolist()
        ['lad_name', 'areas', 'clear', 'barriers', 'no_route', 'share_with_route']
        """
        people = self.people
        if people is None:
            msg = ("the areas have no population or need column, so there are no "
                   "people to summarise; see .table for the areas.")
            raise ValueError(msg)
        rows, keys, labels = grouping(
            self.table.reset_index(), by, smap=self.smap,
            hidden=("chain", "pathways", "barriers"),
            choices="partnership, a parent level or a column of the table")
        status = rows["status"].to_numpy(dtype=object)
        # the people of each route status, in columns apart from the table's own
        rows = rows.assign(**{f"_{s}": rows[people].where(status == s, 0.0)
                              for s in ROUTE_STATUS})
        out = tabulate(rows, keys, labels, {"areas": ("code", "nunique"), **{
            s: (f"_{s}", "sum") for s in ROUTE_STATUS}})
        out = publish(out, list(ROUTE_STATUS), keys, suppress=suppress, total=False)
        total = out[list(ROUTE_STATUS)].sum(axis=1, skipna=False).astype(float)
        with_route = (out["clear"] + out["barriers"]).astype(float)
        out["share_with_route"] = (with_route / total.where(total > 0)).astype(float)
        return out

    def explain(self, key: str) -> pd.DataFrame:
        """Show the route for one area, hand-off by hand-off, or why there is none.

        Parameters
        ----------
        key : str
            An area code: a label of :attr:`table`'s index.

        Returns
        -------
        pandas.DataFrame
            With a route: its steps (as :attr:`steps`). Without: every service the
            entry leads to in the referral graph, nearest first (``hand_offs`` from
            the entry), with ``counts`` (whether it takes this area's residents) and
            ``why`` not. ``attrs["headline"]`` says it in a sentence.

        Raises
        ------
        KeyError
            If ``key`` is not an area of the report.

        Examples
        --------
        >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
        ...                            entry="police_vulnerable_persons", need="drug")
        >>> print(routes.explain("E01017529").attrs["headline"])  # doctest: +ELLIPSIS
        Bedford 006A (E01017529): 1 hand-off to bcb-adult-hub, ... consent, no_isa.
        """
        return explain_route(self, self._check_key(key))

    def single_points_of_failure(self) -> pd.DataFrame:
        """Services every route from the entry to treatment passes through, per area.

        For each area with a route and each service on its best chain, the search is
        run again without that service (all such pairs in one sparse search, not one
        search per service): where no route is left, every route passes through the
        service, and losing it cuts the area off.

        Returns
        -------
        pandas.DataFrame
            Indexed by service, ranked by the people who would lose their route
            (the need, else population): ``name``, ``provider``, ``areas``, the
            people, and ``partnerships``. ``attrs["by_area"]`` maps each area with
            a route to its single points of failure (a tuple, empty if none).

        Examples
        --------
        >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
        ...                            entry="police_custody",
        ...                            to=["bcb-adult-hub", "lut-adult-hub"])
        >>> routes.single_points_of_failure()["areas"].head(3).to_dict()
        {'beds-liaison-diversion': 235, 'beds-cjdat': 235, 'lut-adult-hub': 121}
        """
        if "spof" not in self._cache:
            self._cache["spof"] = _single_points(self)
        out = self._cache["spof"]
        copy = out.copy()
        copy.attrs["by_area"] = dict(out.attrs["by_area"])
        return copy

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Map the areas by route status (see :func:`servicemap.plotting.route_map`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        **kwargs
            Passed to :func:`servicemap.plotting.route_map` (``title``).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
        ...                            entry="prison_release", need="drug")
        >>> routes.plot().get_title()
        'Routes from Prison release to drug treatment'
        """
        return route_map(self, ax=ax, **kwargs)

    def __repr__(self) -> str:
        counts = self.table["status"].value_counts()
        parts = ", ".join(f"{int(counts.get(s, 0)):,} {s.replace('_', ' ')}"
                          for s in ROUTE_STATUS)
        return (f"<PathwayReport from {', '.join(self.attrs['entry'])} to "
                f"{self.attrs['to_label']}: {len(self.table):,} areas: {parts}>")


def trace_pathways(
    smap: ServiceMap,
    *,
    entry: str | Iterable[str],
    to: str | Iterable[str] | None = None,
    need: str | None = None,
    intervention: str | Iterable[str] | None = None,
    client_group: str | Iterable[str] | None = None,
    hour_band: str | None = None,
    status: Iterable[str] = ACTIVE,
    unknown_hours: str = "daytime",
    turnover: Mapping[str, float] | None = None,
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> PathwayReport:
    """Trace the best chain of referrals from an entry point to treatment, per area.

    Parameters
    ----------
    smap : ServiceMap
        The map, with its pathways.
    entry : str or list of str
        The entry point(s) people meet, such as ``"police_vulnerable_persons"``,
        ``"prison_release"`` or ``"a_and_e"``; with several, a chain may start at any.
    to : str or list of str, optional
        The service ids that count as treatment, whatever they offer.
    need : str, optional
        Without ``to``, the provision for the need counts as treatment: for drug and
        alcohol, the services offering treatment
        (:data:`~servicemap.vocab.INTERVENTION_KINDS`), not assessment, harm
        reduction or a crisis line alone; for other needs, every service listing
        it. It also names the people counted: the areas' ``need_<need>`` column
        where there is one, else ``population``.
    intervention : str or list of str, optional
        The interventions that count instead of the need's default: terms, such as
        ``["opioid_substitution", "detox_inpatient", "residential_rehab"]``, kinds
        such as ``"harm_reduction"``, or ``"any"`` (every service listing the
        need).
    client_group : str or list of str, optional
        The groups the person belongs to, such as ``["adults",
        "people_leaving_prison"]``: a service counts when it serves any of them, with
        ages that allow it. By default every service counts, whoever it serves (the
        notes say so).
    hour_band : str, optional
        Every service on the chain must be open in this band, such as ``"weekend"``.
    status : iterable of str, default ("active",)
        The statuses of the services that count.
    unknown_hours : {"daytime", "open", "closed"}, default "daytime"
        With ``hour_band``, how a service with no opening hours counts: open on
        weekdays in the daytime only, in every band, or in none.
    turnover : mapping, optional
        People a year per unit of capacity, such as ``{"places": 2, "beds": 12}``,
        added to :data:`TURNOVER`, for the ``bottleneck`` barrier. Services whose
        unit has no turnover are not judged (the notes name those on a chain).
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    PathwayReport
        ``.table`` per area, ``.chains``, ``.steps``, ``.handoffs``, ``.notes``,
        ``.summary()``, ``.explain(code)``, ``.single_points_of_failure()``,
        ``.plot()``.

    Raises
    ------
    ValueError
        For an unknown entry point, service, need, intervention, group, band,
        status or ``unknown_hours``, or when neither ``to`` nor ``need`` is given.

    Notes
    -----
    It reads as stages: the options are checked (``_check``), the services that
    count and the treatment are chosen, the reach matrix and the pathways become
    arrays for the search core (``servicemap.analysis._referrals``), and the
    search's arrays are assembled into the tables (``_tables``).

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> routes = sm.trace_pathways(smap, entry="prison_release", need="drug",
    ...                            client_group=["adults", "people_leaving_prison"])
    >>> row = routes.table.loc["E01015783"]
    >>> row["status"], int(row["hand_offs"]), row["chain"]
    ('clear', 1, ('lut-adult-hub',))
    >>> routes.chains[["chain", "areas"]].to_records(index=False).tolist()
    [(('bcb-adult-hub',), 114), (('lut-adult-hub',), 121)]
    >>> routes.attrs["to_label"]  # for drug, provision is treatment by default
    'drug treatment'
    >>> "beds-naloxone" in routes.attrs["to"]  # harm reduction is a step, not the end
    False

    Name the interventions that end a route, as terms or kinds:

    >>> rehab = sm.trace_pathways(smap, entry="prison_release", need="drug",
    ...                           intervention=["detox_inpatient", "residential_rehab"])
    >>> rehab.attrs["to"]
    ('beds-detox', 'beds-rehab')
    """
    options = _check(smap, entry=entry, need=need, client_group=client_group,
                     hour_band=hour_band, unknown_hours=unknown_hours, turnover=turnover)
    chosen = provision(smap, need, intervention=intervention, to=to)
    target_all = chosen.mask
    keep = _eligible(smap, status, options.groups, options.band, unknown_hours)
    target = target_all & keep
    # the query: who takes each area's residents, the referral graph, the search
    reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
    allowed = _allowed(reach, keep)
    graph = _graph(smap, options.entries, keep)
    found = search(allowed, graph, target)
    # assembling the report
    handoffs = referral_steps(smap, turnover=options.rates)
    non_consensual = _non_consensual(smap) & set(options.entries)
    table, chains, steps = _tables(smap, found, handoffs, non_consensual, need)
    attrs = {"entry": options.entries, "to": tuple(smap._services.index[target_all]),
             "intervention": chosen.interventions,
             "to_label": chosen.label,
             "need": need, "client_group": options.groups, "hour_band": options.band,
             "status": as_tuple(status), "unknown_hours": unknown_hours,
             "turnover": options.rates,
             "non_consensual_entries": tuple(sorted(non_consensual)),
             "max_distance": max_distance, "max_minutes": max_minutes,
             "people": _people(smap, need)}
    table.attrs.update({k: v for k, v in attrs.items() if k != "turnover"})
    return PathwayReport(table=table, chains=chains, steps=steps, attrs=attrs,
                         notes=[*chosen.notes, *_notes(smap, options, target, steps)],
                         smap=smap, handoffs=handoffs, _allowed=allowed, _graph=graph,
                         _target=target)


# -- checks ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Options:
    """The options of a trace, checked against the map's vocabulary."""

    entries: tuple[str, ...]
    groups: tuple[str, ...]
    band: str | None
    rates: dict[str, float]


def _check(smap: ServiceMap, *, entry: Any, need: Any, client_group: Any,
           hour_band: Any, unknown_hours: str, turnover: Any) -> _Options:
    """Check every option; name the fix in the message."""
    entries = as_terms(smap, "entry_point", entry, "entry")
    if not entries:
        msg = "entry=: give an entry point, such as 'police_vulnerable_persons'."
        raise ValueError(msg)
    if need is not None and not isinstance(need, str):
        msg = (f"need={need!r}: give one need, such as 'drug'; trace each need on its "
               "own.")
        raise ValueError(msg)
    if need is not None:
        as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    band = as_terms(smap, "hour_band", hour_band, "hour_band")
    if len(band) > 1:
        msg = f"hour_band={hour_band!r}: give one hour band."
        raise ValueError(msg)
    check_unknown_hours(unknown_hours)
    rates = dict(TURNOVER)
    if turnover is not None and not isinstance(turnover, Mapping):
        msg = (f"turnover={turnover!r}: give people a year per unit of capacity, by "
               "unit, such as turnover={'places': 2, 'beds': 12}.")
        raise ValueError(msg)
    for unit, value in (turnover or {}).items():
        as_terms(smap, "capacity_unit", unit, "turnover")
        if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
            msg = f"turnover[{unit!r}]={value!r}: give a positive number a year."
            raise ValueError(msg)
        rates[unit] = float(value)
    return _Options(entries, groups, band[0] if band else None, rates)


# -- the query -------------------------------------------------------------------------
def _eligible(smap: ServiceMap, status: Iterable[str], groups: tuple[str, ...],
              band: str | None, unknown_hours: str) -> np.ndarray:
    """Return, per service, whether it counts: status, client groups, hours."""
    services = smap._services
    keep = counted(smap, status=status)
    if groups:
        keep &= served_groups(services, groups).any(axis=1)
    if band is not None:
        keep &= open_in_bands(services, [band], unknown_hours)[:, 0]
    return keep


def _allowed(reach: Any, keep: np.ndarray) -> sparse.csr_array:
    """Return the reach matrix as 0/1, keeping only the services that count."""
    m = reach.cost
    ok = keep[m.indices]
    rows = np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
    counts = np.bincount(rows[ok], minlength=m.shape[0])
    indptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    out = sparse.csr_array((np.ones(int(ok.sum()), dtype=bool), m.indices[ok], indptr),
                           shape=m.shape)
    out.sort_indices()
    return out


def _graph(smap: ServiceMap, entries: tuple[str, ...], keep: np.ndarray,
           ) -> ReferralGraph:
    """Turn the map's pathways into the arrays the search core takes."""
    pw = smap._pathways
    index = smap._services.index
    to = index.get_indexer(pw["to_service"].to_numpy(dtype=object))
    frm = np.full(len(pw), -1, dtype=np.int64)
    has_from = pw["from_service"].notna().to_numpy()
    frm[has_from] = index.get_indexer(pw["from_service"][has_from].to_numpy(dtype=object))
    wait = pw["wait_days"].to_numpy(dtype=float, na_value=np.nan)
    # among equal waits: a known wait, then an agreement, then no consent needed,
    # then the pathway id; never the order of the rows
    isa = pw["information_sharing_agreement"].fillna(False).astype(bool).to_numpy()
    consent = (pw["consent_basis"] == EXPLICIT_CONSENT).to_numpy()
    order = np.lexsort((pw.index.to_numpy(dtype=str), consent, ~isa, np.isnan(wait)))
    rank = np.empty(len(pw), dtype=np.int64)
    rank[order] = np.arange(len(pw))
    from_entry = pw["from_entry"].isin(list(entries)).to_numpy()
    return referral_graph(to, frm, from_entry, keep, wait, rank)


# -- assembling the report -------------------------------------------------------------
def _people(smap: ServiceMap, need: str | None) -> str | None:
    """Return the areas' column counting people: the need's, else population."""
    if need is not None and need in smap.need_columns:
        return smap.need_columns[need]
    return "population" if "population" in smap._areas.columns else None


def _notes(smap: ServiceMap, options: _Options, target: np.ndarray,
           steps: pd.DataFrame) -> list[str]:
    """Return what was assumed or left out, in words."""
    notes = []
    if not options.groups:
        notes.append("No client_group given: every service counts whoever it serves. "
                     "Name the person's groups, such as client_group=['adults', "
                     "'people_leaving_prison'], to follow only services that take them.")
    if not target.any():
        notes.append("No service that counts is treatment here (check to=, need=, "
                     "intervention=, client_group=, hour_band= and status=): no area "
                     "has a route.")
    silent = [e for e in options.entries
              if not (smap._pathways["from_entry"] == e).any()]
    if silent:
        notes.append(f"No pathway leaves {', '.join(silent)}: no route can start there.")
    on_chains = steps.loc[steps["capacity_per_year"].isna(), "to"].unique()
    if len(on_chains):
        notes.append(f"Bottleneck not judged for {', '.join(sorted(on_chains))}: no "
                     "capacity, or one not given a year (give turnover= for places, "
                     "beds or appointments a week).")
    return notes


def _non_consensual(smap: ServiceMap) -> set[str]:
    """Entry points some pathway leaves without the client's consent."""
    pw = smap._pathways
    rows = pw["from_entry"].notna() & pw["consent_basis"].isin(list(WITHOUT_CONSENT))
    return set(pw.loc[rows, "from_entry"])


def _tables(smap: ServiceMap, found: Found, handoffs: pd.DataFrame,
            non_consensual: set[str], need: str | None,
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build the per-area table, the distinct chains and their steps."""
    chains, steps, chain_id = _chains(smap, found, handoffs, non_consensual)
    table = _area_table(smap, found, chains, chain_id, need)
    # chain figures from the areas on it
    has = chain_id >= 0
    on = pd.DataFrame({"chain_id": chain_id[has], "wait": found.wait[has]})
    chains["wait_days"] = on.groupby("chain_id")["wait"].first().reindex(chains.index)
    chains["areas"] = on.groupby("chain_id").size().reindex(chains.index).fillna(0).astype(
        np.int64)
    for column in ("population", *([smap.need_columns[need]] if need is not None
                                   and need in smap.need_columns else [])):
        if column in table.columns:
            chains[column] = (pd.Series(table[column].to_numpy(dtype=float)[has])
                              .groupby(chain_id[has]).sum().reindex(chains.index))
    return table, chains, steps


def _chains(smap: ServiceMap, found: Found, handoffs: pd.DataFrame,
            non_consensual: set[str]) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Return the distinct best chains, their steps, and each area's chain (-1: none)."""
    steps_all = handoffs
    n_areas = len(found.hand_offs)
    pw_ids = smap._pathways.index.to_numpy(dtype=object)
    to_ids = smap._pathways["to_service"].to_numpy(dtype=object)
    from_entry = smap._pathways["from_entry"].to_numpy(dtype=object)
    flags = steps_all[list(BARRIERS)].to_numpy(dtype=bool)
    chain_id = np.full(n_areas, -1, dtype=np.int64)
    chain_rows: list[dict[str, Any]] = []
    step_edges, step_chain, step_no, step_flags = [], [], [], []
    for mat, rows in zip(found.chains, found.chain_rows, strict=True):
        uniq, inverse = np.unique(mat, axis=0, return_inverse=True)
        base = len(chain_rows)
        chain_id[rows] = base + inverse.ravel()
        f = flags[uniq]                       # chains x steps x barriers
        # consent is a barrier only on a route entered without consent
        f[:, :, 0] &= np.isin(from_entry[uniq[:, 0]], list(non_consensual))[:, None]
        present = f.any(axis=1)
        for k, edges in enumerate(uniq):
            chain_rows.append({"chain": tuple(to_ids[edges]),
                               "pathways": tuple(pw_ids[edges]),
                               "hand_offs": len(edges),
                               "barriers": tuple(b for j, b in enumerate(BARRIERS)
                                                 if present[k, j])})
        n, length = uniq.shape
        step_edges.append(uniq.ravel())
        step_chain.append(np.repeat(base + np.arange(n), length))
        step_no.append(np.tile(np.arange(1, length + 1), n))
        step_flags.append(f.reshape(n * length, len(BARRIERS)))
    chains = pd.DataFrame(chain_rows, columns=["chain", "pathways", "hand_offs",
                                               "barriers"])
    chains.index.name = "chain_id"
    if step_edges:
        steps = steps_all.iloc[np.concatenate(step_edges)].reset_index()
        steps[list(BARRIERS)] = np.concatenate(step_flags)
        steps.insert(0, "step", np.concatenate(step_no))
        steps.insert(0, "chain_id", np.concatenate(step_chain))
    else:
        steps = pd.DataFrame(columns=["chain_id", "step", "pathway", *steps_all.columns])
    return chains, steps.set_index(["chain_id", "step"]), chain_id


def _area_table(smap: ServiceMap, found: Found, chains: pd.DataFrame,
                chain_id: np.ndarray, need: str | None) -> pd.DataFrame:
    """One row per area: its parents and people, route status, best chain, reach."""
    areas = smap._areas
    n_areas = len(areas)
    has = chain_id >= 0
    status = np.full(n_areas, "no_route", dtype=object)
    n_bar = np.array([len(b) for b in chains["barriers"]], dtype=np.int64)
    status[has] = np.where(n_bar[chain_id[has]] > 0, "barriers", "clear")
    table = pd.DataFrame({"name": areas["name"].to_numpy(dtype=object)},
                         index=areas.index.copy())
    for level in smap.parent_levels:
        for suffix in ("code", "name"):
            column = f"{level}_{suffix}"
            if column in areas.columns:
                table[column] = areas[column].to_numpy()
    for column in ("population", "imd_decile"):
        if column in areas.columns:
            table[column] = areas[column].to_numpy()
    if need is not None and need in smap.need_columns:
        column = smap.need_columns[need]
        table[column] = areas[column].to_numpy(dtype=float)
    table["status"] = pd.Categorical(status, categories=list(ROUTE_STATUS))
    table["hand_offs"] = pd.array(np.where(has, found.hand_offs, 0), dtype="Int64")
    table.loc[~has, "hand_offs"] = pd.NA
    table["wait_days"] = np.where(has, found.wait, np.nan)
    table["wait_complete"] = pd.array(np.where(has, ~found.wait_unknown, False),
                                      dtype="boolean")
    table.loc[~has, "wait_complete"] = pd.NA
    for column in ("chain", "pathways", "barriers"):
        values = np.empty(len(chains) + 1, dtype=object)
        values[:-1] = chains[column].tolist()
        values[-1] = ()
        table[column] = pd.Series(values[chain_id], index=table.index, dtype=object)
    table["chain_id"] = pd.array(np.where(has, chain_id, 0), dtype="Int64")
    table.loc[~has, "chain_id"] = pd.NA
    table["reached"] = found.reached
    return table


def _single_points(report: PathwayReport) -> pd.DataFrame:
    """Rerun the search without each service of each area's chain, all in one."""
    smap = report.smap
    table = report.table
    services = smap._services
    allowed: sparse.csr_array = report._allowed
    has = table["chain_id"].notna().to_numpy()
    rows = np.flatnonzero(has)
    chain_of = table["chain_id"].to_numpy(dtype=np.int64, na_value=-1)[rows]
    chain_services = [services.index.get_indexer(list(c))
                      for c in report.chains["chain"]]
    lengths = np.array([len(c) for c in chain_services], dtype=np.int64)
    n = lengths[chain_of]
    v_row = np.repeat(rows, n)
    flat = (np.concatenate([chain_services[c] for c in chain_of]) if len(rows)
            else np.zeros(0, dtype=np.int64))
    # the virtual rows: each area, without one of its chain's services
    sub = allowed[v_row] if len(v_row) else allowed[:0]
    sub = sparse.csr_array(sub)
    n_s = allowed.shape[1]
    r = np.repeat(np.arange(len(v_row)), np.diff(sub.indptr))
    drop = sub.indices == flat[r] if len(v_row) else np.zeros(0, dtype=bool)
    keep = ~drop
    counts = np.bincount(r[keep], minlength=len(v_row))
    indptr = np.zeros(len(v_row) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    cut = sparse.csr_array((np.ones(int(keep.sum()), dtype=bool), sub.indices[keep],
                            indptr), shape=(len(v_row), n_s))
    found = search(cut, report._graph, report._target, record=False)
    lost = found.hand_offs == 0
    area_pos, svc_pos = v_row[lost], flat[lost]
    people = report.people
    codes = table.index.to_numpy(dtype=object)
    frame = pd.DataFrame({"service": services.index.to_numpy(dtype=object)[svc_pos],
                          "code": codes[area_pos]})
    if people is not None:
        frame[people] = table[people].to_numpy(dtype=float)[area_pos]
    grouped = frame.groupby("service", sort=False)
    out = pd.DataFrame({"areas": grouped["code"].nunique()})
    if people is not None:
        out[people] = grouped[people].sum()
        out = out.sort_values([people, "areas"], ascending=False, kind="stable")
    else:
        out = out.sort_values("areas", ascending=False, kind="stable")
    out.insert(0, "provider", services.loc[out.index, "provider"].to_numpy(dtype=object))
    out.insert(0, "name", services.loc[out.index, "name"].to_numpy(dtype=object))
    parts = smap.service_partnerships()
    out["partnerships"] = parts.reindex(out.index).to_numpy(dtype=object)
    out.index.name = "service"
    by_area = frame.groupby("code", sort=False)["service"].agg(tuple).to_dict()
    out.attrs["by_area"] = {c: by_area.get(c, ()) for c in table.index[has]}
    return out

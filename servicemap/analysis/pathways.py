"""Pathways: from an entry point to treatment, area by area.

:func:`trace_pathways` answers, for every area: can someone living here who meets an
entry point (a police vulnerable-persons referral, release from prison, an A&E
attendance) be referred on, hand-off by hand-off, to a service that meets the need?
Every service on the chain must take them: be running (``status``), serve their
client groups with their ages, reach the area (by its distance or travel time and
footprint, or everywhere in the footprint for outreach, phone and online services)
and, when an hour band is named, be open then.

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
from typing import TYPE_CHECKING, Any

import numpy as np

from servicemap.analysis._select import (
    ACTIVE,
    area_partnerships,
    as_terms,
    as_tuple,
    counted,
    lists_any,
    open_in_bands,
    served_groups,
)
from servicemap.disclosure import DEFAULT_THRESHOLD
from servicemap.disclosure import suppress as suppress_small
from servicemap.errors import did_you_mean
from servicemap.geography import expand_blocks, in_sorted, reach_matrix

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from scipy import sparse

    from servicemap.servicemap import ServiceMap

__all__ = ["BARRIERS", "ROUTE_STATUS", "TURNOVER", "PathwayReport", "trace_pathways"]

#: Barriers on a hand-off, in the order they are listed.
BARRIERS = ("consent", "no_isa", "cross_boundary", "bottleneck")
#: An area's route status.
ROUTE_STATUS = ("clear", "barriers", "no_route")
#: People a year per unit of capacity, to compare with referrals a year. Only yearly
#: flows are compared by default: a place, a bed or an appointment a week holds or
#: sees an unknown number of people a year, so give, say, ``turnover={"places": 2,
#: "beds": 12}`` (six-month caseloads, month-long stays) to judge those too.
TURNOVER = {"clients_per_year": 1.0, "referrals_per_year": 1.0}
#: Bases on which a referral is made without the client's consent.
WITHOUT_CONSENT = frozenset({"public_task", "legal_obligation", "vital_interests",
                             "safeguarding", "legitimate_interests", "court_order"})
_CONSENT = "explicit_consent"


# -- the referral graph as arrays -----------------------------------------------------
@dataclass
class _Referrals:
    """Pathways as arrays over service positions; entries are negative sources."""

    n_services: int
    entries: tuple[str, ...]
    first_to: np.ndarray        # first hand-offs (from a named entry): to-service
    first_edge: np.ndarray      # ... and pathway position
    indptr: np.ndarray          # onward hand-offs, CSR by from-service
    to: np.ndarray
    edge: np.ndarray
    wait: np.ndarray            # per pathway position: wait used for ordering
    wait_unknown: np.ndarray    # per pathway position
    rank: np.ndarray            # per pathway position: the order among equal waits


def _referrals(smap: ServiceMap, entries: tuple[str, ...], keep: np.ndarray,
               ) -> _Referrals:
    """Return the pathways between counted services, and from the named entries."""
    pw = smap._pathways
    index = smap._services.index
    to = index.get_indexer(pw["to_service"].to_numpy(dtype=object))
    frm = np.full(len(pw), -1, dtype=np.int64)
    has_from = pw["from_service"].notna().to_numpy()
    frm[has_from] = index.get_indexer(pw["from_service"][has_from].to_numpy(dtype=object))
    wait = pw["wait_days"].to_numpy(dtype=float, na_value=np.nan)
    unknown = np.isnan(wait)
    wait = np.where(unknown, 0.0, wait)
    # among equal waits: a known wait, then an agreement, then no consent needed,
    # then the pathway id; never the order of the rows
    isa = pw["information_sharing_agreement"].fillna(False).astype(bool).to_numpy()
    consent = (pw["consent_basis"] == _CONSENT).to_numpy()
    order = np.lexsort((pw.index.to_numpy(dtype=str), consent, ~isa, unknown))
    rank = np.empty(len(pw), dtype=np.int64)
    rank[order] = np.arange(len(pw))
    ok_to = (to >= 0) & keep[np.maximum(to, 0)]
    from_entry = pw["from_entry"].isin(list(entries)).to_numpy() & ok_to
    onward = has_from & (frm >= 0) & keep[np.maximum(frm, 0)] & ok_to
    first = np.flatnonzero(from_entry)
    e = np.flatnonzero(onward)
    e = e[np.lexsort((e, frm[e]))]
    indptr = np.zeros(len(index) + 1, dtype=np.int64)
    np.cumsum(np.bincount(frm[e], minlength=len(index)), out=indptr[1:])
    return _Referrals(len(index), entries, to[first], first, indptr, to[e], e, wait,
                      unknown, rank)


def _first_per_key(keys: np.ndarray, *order: np.ndarray) -> np.ndarray:
    """Positions of the first row of each key, rows ordered by ``order`` within it."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    idx = np.lexsort((*reversed(order), keys))
    k = keys[idx]
    first = np.ones(len(k), dtype=bool)
    first[1:] = k[1:] != k[:-1]
    return idx[first]


@dataclass
class _Found:
    """Per row of a search: hand-offs to the target (0: none), wait, and the chain."""

    hand_offs: np.ndarray
    wait: np.ndarray
    wait_unknown: np.ndarray
    reached: np.ndarray                       # services reached from the entry
    chains: list[np.ndarray] = field(default_factory=list)  # per length, rows x edges
    chain_rows: list[np.ndarray] = field(default_factory=list)


def _search(allowed: sparse.csr_array, ref: _Referrals, target: np.ndarray, *,
            record: bool = True) -> _Found:
    """Fewest hand-offs, then least wait, from the entries to a target, per row.

    ``allowed`` (rows x services) says which services take each row's residents.
    """
    n_rows, n_s = allowed.shape
    allowed_keys = (np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(allowed.indptr))
                    * n_s + allowed.indices)
    allowed_keys.sort()
    hand_offs = np.zeros(n_rows, dtype=np.int64)
    wait = np.full(n_rows, np.nan)
    unknown = np.zeros(n_rows, dtype=bool)
    reached = np.zeros(n_rows, dtype=np.int64)
    found = _Found(hand_offs, wait, unknown, reached)
    # level 1: every first hand-off, for every row its service takes
    csc = allowed.tocsc()
    cells, pick = expand_blocks(ref.first_to, csc.indptr[:-1], np.diff(csc.indptr))
    row = csc.indices[cells].astype(np.int64)
    svc = ref.first_to[pick]
    edge = ref.first_edge[pick]
    w = ref.wait[edge]
    unk = ref.wait_unknown[edge]
    pred = np.full(len(row), -1, dtype=np.int64)
    visited = np.zeros(0, dtype=np.int64)
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    level = 1
    while len(row):
        key = row * n_s + svc
        first = _first_per_key(key, w, ref.rank[edge])
        row, svc, w, unk, edge, pred, key = (a[first] for a in
                                             (row, svc, w, unk, edge, pred, key))
        visited = np.union1d(visited, key)
        reached += np.bincount(row, minlength=n_rows)
        if record:
            levels.append((key, pred, edge))   # key is sorted (unique, lexsorted)
        hit = np.flatnonzero(target[svc])
        if len(hit):
            best = hit[_first_per_key(row[hit], w[hit], ref.rank[edge[hit]])]
            done_rows = row[best]
            hand_offs[done_rows] = level
            wait[done_rows] = w[best]
            unknown[done_rows] = unk[best]
            if record:
                found.chains.append(_backtrack(levels, key[best]))
                found.chain_rows.append(done_rows)
            going = hand_offs[row] == 0
            row, svc, w, unk, edge, key = (a[going] for a in (row, svc, w, unk, edge, key))
        # onward hand-offs
        e, rep = expand_blocks(svc, ref.indptr[:-1], np.diff(ref.indptr))
        row, pred = row[rep], key[rep]
        svc, edge = ref.to[e], ref.edge[e]
        w = w[rep] + ref.wait[edge]
        unk = unk[rep] | ref.wait_unknown[edge]
        new = row * n_s + svc
        ok = in_sorted(new, allowed_keys) & ~in_sorted(new, visited)
        row, svc, edge, w, unk, pred = (a[ok] for a in (row, svc, edge, w, unk, pred))
        level += 1
    return found


def _backtrack(levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
               keys: np.ndarray) -> np.ndarray:
    """Return the pathway positions of the chains ending at ``keys`` (rows x steps)."""
    out = np.zeros((len(keys), len(levels)), dtype=np.int64)
    cur = keys
    for k in range(len(levels) - 1, -1, -1):
        lk, lp, le = levels[k]
        pos = np.searchsorted(lk, cur)
        out[:, k] = le[pos]
        cur = lp[pos]
    return out


# -- barriers -------------------------------------------------------------------------
def _bodies(smap: ServiceMap) -> list[frozenset[str]]:
    """Return who commissions each service, partnerships' member organisations too.

    A council's service and its partnership's then share a commissioner.
    """
    members = smap._partnerships["members"].to_dict()
    return [frozenset(c).union(*(members.get(x, ()) for x in c))
            for c in smap._services["commissioners"]]


def _step_table(smap: ServiceMap, turnover: Mapping[str, float],
                non_consensual: set[str]) -> pd.DataFrame:
    """Per pathway: the figures and the barriers of the hand-off, when used."""
    import pandas as pd

    services, pw = smap._services, smap._pathways
    index = services.index
    to = index.get_indexer(pw["to_service"].to_numpy(dtype=object))
    volume = pw["volume_per_year"].to_numpy(dtype=float, na_value=np.nan)
    inflow = (pd.Series(np.nan_to_num(volume), index=pw["to_service"].to_numpy())
              .groupby(level=0).sum())
    known_in = (pd.Series(~np.isnan(volume), index=pw["to_service"].to_numpy())
                .groupby(level=0).any())
    inflow = inflow.where(known_in)
    unit = services["capacity_unit"].to_numpy(dtype=object)
    per_year = services["capacity"].to_numpy(dtype=float, na_value=np.nan) * np.array(
        [turnover.get(u, np.nan) if isinstance(u, str) else np.nan for u in unit])
    cap = pd.Series(per_year, index=index)
    into = inflow.reindex(pw["to_service"].to_numpy()).to_numpy()
    cap_to = cap.to_numpy()[to]
    bodies = _bodies(smap)
    frm = index.get_indexer(pw["from_service"].fillna("").to_numpy(dtype=object))
    cross = np.array([f >= 0 and t >= 0 and bool(bodies[f]) and bool(bodies[t])
                      and not (bodies[f] & bodies[t]) for f, t in zip(frm, to,
                                                                       strict=True)])
    isa = pw["information_sharing_agreement"]
    frame = pd.DataFrame({
        "from": pw["from_service"].fillna(pw["from_entry"]).to_numpy(dtype=object),
        "to": pw["to_service"].to_numpy(dtype=object),
        "kind": pw["kind"].to_numpy(dtype=object),
        "consent_basis": pw["consent_basis"].to_numpy(dtype=object),
        "information_sharing_agreement": isa.to_numpy(dtype=object),
        "wait_days": pw["wait_days"].to_numpy(dtype=float, na_value=np.nan),
        "volume_per_year": volume,
        "referred_in_per_year": into,
        "capacity_per_year": cap_to,
    }, index=pw.index.rename("pathway"))  # a new index: the map's is left alone
    frame["consent"] = (pw["consent_basis"] == _CONSENT).to_numpy()
    frame["no_isa"] = ~isa.fillna(False).astype(bool).to_numpy()
    frame["cross_boundary"] = cross
    frame["bottleneck"] = np.nan_to_num(into) > np.where(np.isnan(cap_to), np.inf, cap_to)
    frame.attrs["non_consensual"] = sorted(non_consensual)
    return frame


def _non_consensual(smap: ServiceMap) -> set[str]:
    """Entry points some pathway leaves without the client's consent."""
    pw = smap._pathways
    rows = pw["from_entry"].notna() & pw["consent_basis"].isin(list(WITHOUT_CONSENT))
    return set(pw.loc[rows, "from_entry"])


# -- the report ------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class PathwayReport:
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
        What was traced: entry, targets, need, client groups, hour band, statuses,
        turnover, thresholds, and the entries that refer without consent.
    notes : tuple of str
        What was assumed or left out.
    """

    table: pd.DataFrame
    chains: pd.DataFrame
    steps: pd.DataFrame
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    _smap: Any = field(default=None, compare=False)
    _allowed: Any = field(default=None, compare=False)
    _ref: Any = field(default=None, compare=False)
    _target: Any = field(default=None, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False)

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
        import pandas as pd

        people = self.people
        if people is None:
            msg = ("the areas have no population or need column, so there are no "
                   "people to summarise; see .table for the areas.")
            raise ValueError(msg)
        rows = self.table.reset_index()
        label = None
        if by == "partnership":
            rows = rows.merge(area_partnerships(self._smap), left_on="code",
                              right_index=True, how="left")
            rows["partnership"] = rows["partnership"].fillna("(none)")
            key = "partnership"
        elif by in rows.columns:
            key = by
        elif f"{by}_code" in rows.columns:
            key = f"{by}_code"
            label = f"{by}_name" if f"{by}_name" in rows.columns else None
        else:
            options = [c for c in rows.columns if c not in ("chain", "pathways",
                                                            "barriers")]
            msg = (f"by={by!r}: choose partnership, a parent level or a column of the "
                   f"table ({', '.join(options)}).{did_you_mean(by, options)}")
            raise ValueError(msg)
        wide = (rows.pivot_table(index=key, columns="status", values=people,
                                 aggfunc="sum", observed=False, fill_value=0.0)
                .reindex(columns=list(ROUTE_STATUS), fill_value=0.0))
        wide.columns = list(wide.columns)
        out = pd.DataFrame({"areas": rows.groupby(key)["code"].nunique()}).join(wide)
        if label:
            out.insert(0, label, rows.groupby(key)[label].first())
        if suppress:
            long = out[list(ROUTE_STATUS)].stack().rename("people").reset_index()
            long.columns = [key, "status", "people"]
            hidden = suppress_small(long, ["people"], threshold=suppress,
                                    margins=["status"])
            back = hidden.pivot(index=key, columns="status", values="people")
            for s in ROUTE_STATUS:
                out[s] = back[s].reindex(out.index)
            out.attrs["subtotals"] = hidden.attrs["subtotals"]["people"]
        total = out[list(ROUTE_STATUS)].sum(axis=1, skipna=False).astype(float)
        with_route = (out["clear"] + out["barriers"]).astype(float)
        out["share_with_route"] = (with_route / total.where(total > 0)).astype(float)
        return out

    def explain(self, code: str) -> pd.DataFrame:
        """Show the route for one area, hand-off by hand-off, or why there is none.

        Parameters
        ----------
        code : str
            An area code.

        Returns
        -------
        pandas.DataFrame
            With a route: its steps (as :attr:`steps`). Without: every service the
            entry leads to in the referral graph, nearest first (``hand_offs`` from
            the entry), with ``counts`` (whether it takes this area's residents) and
            ``why`` not. ``attrs["headline"]`` says it in a sentence.

        Examples
        --------
        >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
        ...                            entry="police_vulnerable_persons", need="drug")
        >>> print(routes.explain("E01017529").attrs["headline"])  # doctest: +ELLIPSIS
        Bedford 006A (E01017529): 1 hand-off to bcb-adult-hub, ... consent, no_isa.
        """
        from servicemap.analysis._explain import explain_route

        if code not in self.table.index:
            msg = (f"no area {code!r} in this report.{did_you_mean(code, self.table.index)}")
            raise KeyError(msg)
        return explain_route(self, code)

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

    def plot(self, ax: Axes | None = None) -> Axes:
        """Map the areas by route status (see :func:`servicemap.plotting.route_map`).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> routes = sm.trace_pathways(sm.datasets.bedfordshire(),
        ...                            entry="prison_release", need="drug")
        >>> routes.plot().get_title()
        'Routes from Prison release to drug services'
        """
        from servicemap.plotting import route_map

        return route_map(self, ax=ax)

    def __repr__(self) -> str:
        counts = self.table["status"].value_counts()
        parts = ", ".join(f"{int(counts.get(s, 0)):,} {s.replace('_', ' ')}"
                          for s in ROUTE_STATUS)
        return (f"<PathwayReport from {', '.join(self.attrs['entry'])} to "
                f"{self.attrs['to_label']}: {len(self.table):,} areas: {parts}>")


# -- tracing ---------------------------------------------------------------------------
def _targets(smap: ServiceMap, to: Any, need: str | None) -> np.ndarray:
    services = smap._services
    if to is not None:
        ids = as_tuple(to)
        missing = [s for s in ids if s not in services.index]
        if missing:
            msg = (f"to={missing[0]!r}: no such service."
                   f"{did_you_mean(missing[0], services.index)} Give service ids "
                   "(smap.services.index), or need= for every service meeting a need.")
            raise ValueError(msg)
        return services.index.isin(ids)
    if need is None:
        msg = ("give to= (the service ids that count as treatment) or need= (every "
               "service meeting the need counts), such as need='drug'.")
        raise ValueError(msg)
    return lists_any(services["needs"], [need])


def _eligible(smap: ServiceMap, status: Iterable[str], groups: tuple[str, ...],
              band: str | None, unknown_hours: str) -> np.ndarray:
    services = smap._services
    keep = counted(smap, status=status)
    if groups:
        keep &= served_groups(services, groups).any(axis=1)
    if band is not None:
        keep &= open_in_bands(services, [band], unknown_hours)[:, 0]
    return keep


def _allowed(reach: Any, keep: np.ndarray) -> sparse.csr_array:
    """Return the reach matrix as 0/1, keeping only the services that count."""
    from scipy import sparse

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
    unknown_hours: str = "open",
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
        The service ids that count as treatment.
    need : str, optional
        Without ``to``, every service meeting the need counts as treatment. It also
        names the people counted: the areas' ``need_<need>`` column where there is
        one, else ``population``. Any service listing the need counts, assessment
        and harm reduction included: name ``intervention`` or ``to`` for treatment
        in a narrower sense.
    intervention : str or list of str, optional
        Only services offering one of these interventions count as treatment, such
        as ``["opioid_substitution", "detox_inpatient", "residential_rehab"]``.
    client_group : str or list of str, optional
        The groups the person belongs to, such as ``["adults",
        "people_leaving_prison"]``: a service counts when it serves any of them, with
        ages that allow it. By default every service counts, whoever it serves (the
        notes say so).
    hour_band : str, optional
        Every service on the chain must be open in this band, such as ``"weekend"``.
    status : iterable of str, default ("active",)
        The statuses of the services that count.
    unknown_hours : {"open", "closed"}, default "open"
        With ``hour_band``, how a service with no opening hours counts.
    turnover : mapping, optional
        People a year per unit of capacity, such as ``{"places": 2, "beds": 12}``,
        added to :data:`TURNOVER`, for the ``bottleneck`` barrier. Services whose
        unit has no turnover are not judged (the notes name those on a chain).
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    PathwayReport
        ``.table`` per area, ``.chains``, ``.steps``, ``.summary()``,
        ``.explain(code)``, ``.single_points_of_failure()``, ``.plot()``.

    Raises
    ------
    ValueError
        For an unknown entry point, service, need, group, band or status, or when
        neither ``to`` nor ``need`` is given.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> routes = sm.trace_pathways(smap, entry="prison_release", need="drug",
    ...                            client_group=["adults", "people_leaving_prison"])
    >>> row = routes.table.loc["E01015783"]
    >>> row["status"], int(row["hand_offs"]), row["chain"]
    ('clear', 1, ('beds-cjdat',))
    >>> routes.chains[["chain", "hand_offs", "areas"]].to_dict("records")
    [{'chain': ('beds-cjdat',), 'hand_offs': 1, 'areas': 381}]
    """
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
    interventions = as_terms(smap, "intervention", intervention, "intervention")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    band = as_terms(smap, "hour_band", hour_band, "hour_band")
    if len(band) > 1:
        msg = f"hour_band={hour_band!r}: give one hour band."
        raise ValueError(msg)
    if unknown_hours not in ("open", "closed"):
        msg = f"unknown_hours={unknown_hours!r}: choose 'open' or 'closed'."
        raise ValueError(msg)
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
    notes: list[str] = []
    target_all = _targets(smap, to, need)
    if interventions:
        target_all = target_all & lists_any(smap._services["interventions"],
                                            interventions)
    keep = _eligible(smap, status, groups, band[0] if band else None, unknown_hours)
    if not groups:
        notes.append("No client_group given: every service counts whoever it serves. "
                     "Name the person's groups, such as client_group=['adults', "
                     "'people_leaving_prison'], to follow only services that take them.")
    target = target_all & keep
    if not target.any():
        notes.append("No service that counts is treatment here (check to=, need=, "
                     "client_group=, hour_band= and status=): no area has a route.")
    reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
    allowed = _allowed(reach, keep)
    ref = _referrals(smap, entries, keep)
    silent = [e for e in entries if not (smap._pathways["from_entry"] == e).any()]
    if silent:
        notes.append(f"No pathway leaves {', '.join(silent)}: no route can start there.")
    found = _search(allowed, ref, target)
    non_consensual = _non_consensual(smap) & set(entries)
    steps_all = _step_table(smap, rates, non_consensual)
    table, chains, steps = _tables(smap, found, steps_all, non_consensual, need)
    people = None
    if need is not None and need in smap.need_columns:
        people = smap.need_columns[need]
    elif "population" in smap._areas.columns:
        people = "population"
    services = smap._services
    to_label = (f"{need} services" if to is None else ", ".join(as_tuple(to)))
    if interventions:
        offered = [smap.vocabulary.label("intervention", i).lower() for i in interventions]
        to_label += f" offering {', '.join(offered[:-1])}{' or ' if offered[:-1] else ''}"
        to_label += offered[-1]
    attrs = {"entry": entries, "to": tuple(services.index[target_all]),
             "intervention": interventions,
             "to_label": to_label, "need": need, "client_group": groups,
             "hour_band": band[0] if band else None, "status": as_tuple(status),
             "unknown_hours": unknown_hours,
             "turnover": rates, "non_consensual_entries": tuple(sorted(non_consensual)),
             "max_distance": max_distance, "max_minutes": max_minutes,
             "people": people}
    on_chains = steps.loc[steps["capacity_per_year"].isna(), "to"].unique()
    if len(on_chains):
        notes.append(f"Bottleneck not judged for {', '.join(sorted(on_chains))}: no "
                     "capacity, or one not given a year (give turnover= for places, "
                     "beds or appointments a week).")
    table.attrs.update({k: v for k, v in attrs.items() if k != "turnover"})
    return PathwayReport(table=table, chains=chains, steps=steps, attrs=attrs,
                         notes=tuple(notes), _smap=smap, _allowed=allowed, _ref=ref,
                         _target=target)


def _tables(smap: ServiceMap, found: _Found, steps_all: pd.DataFrame,
            non_consensual: set[str], need: str | None,
            ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Build the per-area table, the distinct chains and their steps."""
    import pandas as pd

    areas = smap._areas
    pw_ids = smap._pathways.index.to_numpy(dtype=object)
    to_ids = smap._pathways["to_service"].to_numpy(dtype=object)
    from_entry = smap._pathways["from_entry"].to_numpy(dtype=object)
    flags = steps_all[list(BARRIERS)].to_numpy(dtype=bool)
    n_areas = len(areas)
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
    steps = steps.set_index(["chain_id", "step"])
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
    # chain figures from the areas on it
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


def _single_points(report: PathwayReport) -> pd.DataFrame:
    """Rerun the search without each service of each area's chain, all in one."""
    import pandas as pd
    from scipy import sparse

    smap = report._smap
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
    found = _search(cut, report._ref, report._target, record=False)
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

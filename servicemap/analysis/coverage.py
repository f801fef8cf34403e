"""Coverage: how many services, and how much capacity, reach each area.

For every area, and each combination of need, client group and hour band, coverage
counts the services that reach the area (footprint and reach, from the reach matrix)
and sums their capacity, per capacity unit. The rules, the same as every analysis's
(:mod:`servicemap.analysis._select`):

* **provision**: with ``need=``, a service counts for a need when it is provision for
  it (:func:`~servicemap.analysis._select.provision`): it lists the need and, for drug
  and alcohol, offers treatment (:data:`~servicemap.vocab.PROVISION`; a service
  listing no intervention of a known kind counts too, and the notes say so).
  ``intervention=`` names the interventions or kinds that count instead
  (``"harm_reduction"``, ``"naloxone"``, or ``"any"`` for every service listing the
  need) and ``to=`` names the services outright. Without ``need=``, every service
  counts for each need it lists, narrowed by ``intervention=`` and ``to=`` if given;
* **client group**: a group it lists in ``client_groups`` whose implied ages
  (:data:`~servicemap.vocab.CLIENT_GROUP_AGES`) overlap the service's
  ``min_age``-``max_age``;
* **hour band**: a band it is open in for a meaningful part
  (:meth:`servicemap.hours.OpeningHours.open_in_band`: an hour on some day). A
  service with no hours given counts as open on weekdays in the daytime only, and
  its hours are reported as unknown, not assumed open, for the out-of-hours bands
  (``unknown_hours="daytime"``; ``"open"`` or ``"closed"`` to count it in every band
  or in none). The notes name such services;
* **remote is not reach**: a service whose sites are all phone or online (or that has
  no site) is remote: support, not reach. It never counts in ``services`` or in the
  capacity; ``remote_services`` counts the remote services taking the area (their
  footprint) in each combination, so a 24/7 helpline never makes an area covered or
  open in a band, and nothing is hidden either.

Capacity is the service's whole capacity in each area it reaches (the supply within
reach, not shared between areas; :func:`~servicemap.accessibility` shares it). Units
are never added together: there is one ``capacity_<unit>`` column per unit. A
service with no capacity given counts in ``services`` but adds nothing to capacity;
``attrs["no_capacity"]`` lists such services, and the notes say so. The table is
indexed by a categorical of the area codes (4 million rows at national scale stay
small); :meth:`Coverage.explain` takes an area code and lists the services counted
there, per combination, and why the others were not.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from servicemap.analysis._explain import reach_reasons
from servicemap.analysis._report import Report, grouping, publish, tabulate
from servicemap.analysis._select import (
    ACTIVE,
    age_range,
    as_terms,
    as_tuple,
    check_unknown_hours,
    counted,
    hours_unknown,
    in_person,
    intervention_terms,
    lists_any,
    open_in_bands,
    provision,
    served_groups,
    service_ages,
)
from servicemap.analysis._select import (
    remote as remote_mask,
)
from servicemap.disclosure import DEFAULT_THRESHOLD
from servicemap.errors import did_you_mean, plural
from servicemap.geography import reach_matrix
from servicemap.hours import hour_band_mask
from servicemap.plotting import area_map
from servicemap.servicemap import ServiceMap
from servicemap.vocab import INTERVENTION_KINDS

if TYPE_CHECKING:  # for annotations only: matplotlib loads when drawing
    from matplotlib.axes import Axes

__all__ = ["Coverage", "coverage"]

DIMENSIONS = ("need", "client_group", "hour_band")
#: Why a remote service counts apart, in words.
REMOTE_REASON = "remote (phone or online only): support, not reach"


@dataclass(frozen=True, repr=False)
class Coverage(Report):
    """Services and capacity reaching each area, by need, client group and hour band.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: one row per area and combination, indexed by area code, with a column
        per dimension in ``by``, ``services`` (in-person services reaching the area),
        ``remote_services`` (remote ones taking it, counted apart) and
        ``capacity_<unit>`` columns (in person). Every area appears for every
        combination, zeros included.
    by : tuple of str
        The dimensions, in order.
    attrs : dict
        What was counted: needs, ``intervention``, ``to`` and ``provision`` (in
        words), statuses, age, thresholds, ``services_counted``, ``remote`` (the
        remote services counted apart), ``unknown_hours`` (the rule) and
        ``hours_unknown`` (the services it was applied to), ``capacity_units`` and
        ``no_capacity``.
    notes : list of str
        What was counted apart (remote services), assumed (services with no opening
        hours, services listing no intervention of a known kind) or left out
        (services with no capacity), in words.
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    smap: Any = field(default=None, compare=False)
    _counted: Any = field(default=None, compare=False)  # (service, dimensions) rows
    _selected: Any = field(default=None, compare=False)  # per service: counted as provision
    row_noun: ClassVar[str] = "area"

    def wide(self, value: str = "services") -> pd.DataFrame:
        """One column per combination, indexed like ``smap.areas``, for maps.

        Parameters
        ----------
        value : str, default "services"
            ``services``, ``remote_services`` or a ``capacity_<unit>`` column.

        Returns
        -------
        pandas.DataFrame
            Columns named ``need|client_group|hour_band`` (the dimensions in ``by``).

        Examples
        --------
        >>> cov = sm.coverage(sm.datasets.bedfordshire(), by=("need",))
        >>> cov.wide().columns.tolist()[:3]
        ['drug', 'alcohol', 'mental_health']
        """
        if value not in self.table.columns or value in self.by:
            values = [c for c in self.table.columns if c not in self.by]
            msg = f"value={value!r} is not a count; choose one of {', '.join(values)}."
            raise ValueError(msg)
        t = self.table
        areas = pd.Index(t.index.categories if hasattr(t.index, "categories")
                         else t.index.unique(), name="code")
        # the table is area-major over the full product of the levels, in order
        labels = self._labels()
        values_ = t[value].to_numpy().reshape(len(areas), max(len(labels), 1))
        return pd.DataFrame(values_, index=areas, columns=labels or [value])

    def _labels(self) -> list[str]:
        """Name the combinations, ``need|client_group|hour_band``, in table order."""
        levels = [self.table[d].cat.categories for d in self.by]
        return ["|".join(map(str, combo)) for combo in itertools.product(*levels)]

    def summary(self, by: Any = None, *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """Areas and people reached, per combination or group of areas.

        Parameters
        ----------
        by : str or list of str, optional
            Any of the report's dimensions (by default all of them, one row per
            combination), a parent level such as ``lad``, ``partnership`` (an area
            in two counts in both), or a column of the areas such as
            ``imd_decile``. An area counts as reached in a group when some service
            reaches it for one of the group's combinations.
        suppress : int or None, default 5
            Counts of people below this are hidden, with secondary suppression
            (:func:`servicemap.disclosure.suppress`; with several keys, the
            subtotals by each are protected too); None publishes exact figures.

        Returns
        -------
        pandas.DataFrame
            ``areas``, ``areas_reached`` (in person), ``areas_remote_only`` (reached
            by no in-person service, but taken by a remote one); where the areas give
            a population,
            ``population`` (of the group's areas), ``population_reached`` and
            ``share_of_population``. ``attrs["subtotals"]`` as
            :func:`~servicemap.disclosure.suppress`.

        Examples
        --------
        >>> cov = sm.coverage(sm.datasets.bedfordshire(), by=("need",))
        >>> int(cov.summary().loc["drug", "areas_reached"])
        381
        >>> cov.summary(["need", "lad"]).loc[("drug", "E06000032"), "lad_name"]
        'Luton'
        """
        keys = list(self.by if by is None else as_tuple(by))
        dims = [k for k in keys if k in self.by]
        t = self.table
        rows = pd.DataFrame({"code": t.index.to_numpy(dtype=object),
                             "reached": t["services"].to_numpy() > 0,
                             "remote": t["remote_services"].to_numpy() > 0})
        for d in dims:
            rows[d] = t[d].to_numpy()
        rows = rows.groupby(["code", *dims], sort=False)[["reached", "remote"]].any(
        ).reset_index()
        rows["remote_only"] = rows["remote"] & ~rows["reached"]
        for d in dims:
            rows[d] = pd.Categorical(rows[d], categories=t[d].cat.categories)
        areas = self.smap._areas
        attributes = pd.DataFrame(areas.drop(columns=areas.geometry.name))
        rows = rows.join(attributes, on="code")
        rows, resolved, labels = grouping(
            rows, keys, smap=self.smap,
            hidden=("reached", "remote", "remote_only", "geometry"),
            choices=f"{', '.join(self.by) or 'no dimension'}, a parent level, "
                    "partnership or a column of the areas")
        if not resolved:
            rows, resolved = rows.assign(combination="all"), ["combination"]
        people = "population" in rows.columns
        if people:
            pop = rows["population"].to_numpy(dtype=float, na_value=0.0)
            rows = rows.assign(population=pop,
                               population_reached=np.where(rows["reached"], pop, 0.0))
        sums = {"areas": ("code", "nunique"), "areas_reached": ("reached", "sum"),
                "areas_remote_only": ("remote_only", "sum")}
        if people:
            sums.update(population=("population", "sum"),
                        population_reached=("population_reached", "sum"))
        out = tabulate(rows, resolved, labels, sums)
        if not people:
            return out
        out["share_of_population"] = (out["population_reached"]
                                      / out["population"].where(out["population"] > 0))
        return publish(out, ["population", "population_reached"], resolved,
                       suppress=suppress, total=False,
                       shares={"share_of_population": "population_reached"})

    def explain(self, key: str) -> pd.DataFrame:
        """List the services counted for an area, per combination, and why others not.

        Parameters
        ----------
        key : str
            An area code, a label of :attr:`table`'s index.

        Returns
        -------
        pandas.DataFrame
            One row per service of the map, those counted first, then the nearest:
            ``name``, ``cost`` and ``unit`` from the area (straight line, travel
            time, or 0 for outreach, phone and online reach), ``counts`` (in
            person, for some combination), ``counts_for`` (the combinations it
            counts for, named as the columns of :meth:`wide`), ``remote_for`` (the
            same for a remote service, counted in ``remote_services``) and ``why``
            it does not count (remote, status, ages, too far and by how much,
            footprint, needs, provision, groups or hours counted).
            ``attrs["headline"]`` says it in a sentence.

        Raises
        ------
        KeyError
            If ``key`` is not an area of the report.

        Examples
        --------
        >>> cov = sm.coverage(sm.datasets.bedfordshire(), by=("need",))
        >>> why = cov.explain("E01015693")
        >>> drug = int(why["counts_for"].map(lambda c: "drug" in c).sum())
        >>> drug == int(cov.wide().loc["E01015693", "drug"])  # as the table says
        True
        >>> why.loc["beds-crisis-line", "why"]  # a phone line is support, not reach
        'remote (phone or online only): support, not reach; in remote_services for 3 \
combinations'
        """
        code = self._check_key(key)
        smap = self.smap
        services = smap._services
        area = smap._areas.index.get_loc(code)
        reach_kw = {"max_distance": self.attrs["max_distance"],
                    "max_minutes": self.attrs["max_minutes"]}
        cols = np.arange(len(services))
        cost, units, reach_why = reach_reasons(smap, area, cols, reach_kw)
        reach = reach_matrix(smap, **reach_kw)
        reached = reach.matrix[[area]].toarray().ravel() > 0
        rows = self._counted
        labels = (rows[list(self.by)].astype(str).agg("|".join, axis=1) if self.by
                  else pd.Series("all", index=rows.index))
        far = rows["remote"].to_numpy()
        service_of = rows["service"].to_numpy()

        def combos(which: np.ndarray) -> pd.Series:
            found = labels[which].groupby(service_of[which]).agg(tuple)
            return pd.Series([found.get(j, ()) if reached[j] else () for j in cols],
                             dtype=object)

        counts_for, remote_for = combos(~far), combos(far)
        remote = remote_mask(smap)
        whys = [_why_not(self.attrs, services, int(j), reached[j], reach_why[j],
                         bool(counts_for[j]), bool(self._selected[j]), bool(remote[j]),
                         len(remote_for[j])) for j in cols]
        out = pd.DataFrame({"name": services["name"].to_numpy(dtype=object),
                            "cost": cost, "unit": units,
                            "counts": counts_for.map(bool).to_numpy(),
                            "counts_for": counts_for.to_numpy(),
                            "remote_for": remote_for.to_numpy(), "why": whys},
                           index=pd.Index(services.index, name="service"))
        out = out.sort_values(["counts", "cost"], ascending=[False, True],
                              na_position="last", kind="stable")
        name = smap._areas.at[code, "name"]
        n_combos = max(len(self._labels()), 1)
        some = int(self.wide().loc[code].gt(0).sum())
        n_remote = int(out["remote_for"].map(bool).sum())
        apart = (f"; {plural(n_remote, 'remote service')} (phone or online only) "
                 f"{'takes' if n_remote == 1 else 'take'} it too, counted apart"
                 if n_remote else "")
        out.attrs["headline"] = (
            f"{code} ({name}): {plural(int(out['counts'].sum()), 'service')} counted in "
            f"person, reaching it for {some} of {plural(n_combos, 'combination')} of "
            f"{', '.join(self.by) or 'all services'}{apart}; "
            f"{int((~out['counts'] & ~out['remote_for'].map(bool)).sum()):,} others do "
            "not count here.")
        return out

    def plot(self, ax: Axes | None = None, *, need: str | None = None,
             client_group: str | None = None, hour_band: str | None = None,
             value: str = "services", **kwargs: Any) -> Axes:
        """Map the services (or capacity) reaching each area for one combination.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        need, client_group, hour_band : str, optional
            The combination, one level of each dimension of the report. The
            dimensions not given take the levels where the most is reached, summed
            over the areas, among those that fit what is given (the map of a need
            for children nobody serves is never the default).
        value : str, default "services"
            ``services`` or a ``capacity_<unit>`` column.
        **kwargs
            Passed to :func:`servicemap.plotting.area_map` (``title``, ``cmap``...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> cov = sm.coverage(sm.datasets.bedfordshire(), by=("need", "hour_band"))
        >>> cov.plot(need="drug", hour_band="overnight").get_title()
        'Services reaching each area: drug, overnight'
        """
        given = {"need": need, "client_group": client_group, "hour_band": hour_band}
        for d in DIMENSIONS:
            levels = list(self.table[d].cat.categories) if d in self.by else []
            if given[d] is not None and given[d] not in levels:
                msg = (f"{d}={given[d]!r}: this report has "
                       + (f"{d} {', '.join(map(str, levels))}." if levels else
                          f"no {d} dimension (by={self.by!r}).")
                       + did_you_mean(given[d], levels))
                raise ValueError(msg)
        chosen = self._fullest(given, value)
        column = "|".join(chosen) if chosen else value
        values = self.wide(value)[column]
        what = "Services" if value == "services" else value.replace("_", " ").capitalize()
        kwargs.setdefault("title", f"{what} reaching each area"
                          + (f": {', '.join(chosen)}" if chosen else ""))
        kwargs.setdefault("label", value.replace("_", " "))
        return area_map(self.areas, values, ax=ax, **kwargs)

    def _fullest(self, given: dict[str, str | None], value: str) -> list[str]:
        """Levels of each dimension: as given, else where the most is reached."""
        if not self.by:
            return []
        rows = self.table
        for d in self.by:
            if given[d] is not None:
                rows = rows[rows[d] == given[d]]
        if value not in rows.columns or value in self.by:
            values = [c for c in self.table.columns if c not in self.by]
            msg = f"value={value!r} is not a count; choose one of {', '.join(values)}."
            raise ValueError(msg)
        totals = rows.groupby(list(self.by), observed=True, sort=False)[value].sum()
        return [str(level) for level in np.atleast_1d(totals.idxmax())]

    def __repr__(self) -> str:
        n_areas = self.table.index.nunique()
        combos = len(self.table) // max(n_areas, 1)
        return (f"<Coverage: {n_areas:,} areas x {combos:,} combinations of "
                f"{', '.join(self.by) or 'all services'}; "
                f"{self.attrs.get('services_counted', 0):,} services counted>")


def _why_not(attrs: dict[str, Any], services: pd.DataFrame, j: int, reached: bool,
             reach_why: str, counts: bool, selected: bool, remote: bool,
             remote_for: int) -> str:
    """Say why service ``j`` does not count for an area ("counts" when it does)."""
    if counts:
        return "counts"
    if remote_for:
        return (f"{REMOTE_REASON}; in remote_services for "
                f"{plural(remote_for, 'combination')}")
    why = []
    status = services["status"].iloc[j]
    if status not in attrs["status"]:
        why.append(f"status {status}")
    age = attrs["age"]
    lo, hi = service_ages(services.iloc[[j]])
    if age is not None and not (lo[0] <= age[0] and hi[0] >= age[1]):
        why.append(f"ages {lo[0]:g}-{hi[0]:g} do not take in {age[0]:g}-{age[1]:g}")
    if not reached:
        why.append(reach_why or "does not reach the area")
    if not why:
        needs = set(services["needs"].iloc[j])
        offers = services["interventions"].iloc[j]
        if not selected:
            if attrs["to"] is not None:
                why.append("not one of the services named in to=")
            elif attrs["need"] and not needs & set(attrs["need"]):
                why.append(f"meets none of the needs counted ({', '.join(attrs['need'])})")
            else:
                why.append(f"not counted as {attrs['provision']} (offers "
                           f"{', '.join(offers) or 'no intervention listed'})")
        elif attrs["client_group"] or "client_group" in attrs["by"]:
            why.append("serves none of the client groups counted at its ages (for "
                       f"{', '.join(services['client_groups'].iloc[j]) or 'no group'})")
        else:
            hours = services["hours"].iloc[j]
            why.append(f"open in none of the hour bands ({hours})" if isinstance(
                hours, str) else "no opening hours given, and unknown hours count as "
                                 f"{attrs['unknown_hours']}")
    if remote and why[-1:] != [REMOTE_REASON]:
        why.append(REMOTE_REASON)
    return "; ".join(why)


@dataclass(frozen=True)
class _Selection:
    """The services that count as provision, per need asked, and how to say it."""

    mask: np.ndarray                       # per service: provision for some need asked
    per_need: dict[str, np.ndarray]        # per need asked: provision ({} without need=)
    label: str
    notes: tuple[str, ...]


def _selection(smap: ServiceMap, needs: tuple[str, ...], intervention: Any,
               to: Any) -> _Selection:
    """Which services count: provision of each need, else every service, narrowed."""
    services = smap._services
    if needs:
        found = {n: provision(smap, n, intervention=intervention, to=to) for n in needs}
        per_need = {n: p.mask for n, p in found.items()}
        mask = np.logical_or.reduce(list(per_need.values()))
        label = " or ".join(dict.fromkeys(p.label for p in found.values()))
        notes = tuple(dict.fromkeys(n for p in found.values() for n in p.notes))
        return _Selection(mask, per_need, label, notes)
    if to is not None:
        p = provision(smap, None, intervention=intervention, to=to)
        return _Selection(p.mask, {}, p.label, p.notes)
    terms = None if intervention is None else intervention_terms(smap, intervention)
    if terms is None:
        return _Selection(np.ones(len(services), dtype=bool), {}, "every service", ())
    given = as_tuple(intervention)
    shown = ([k.replace("_", " ") for k in given] if set(given) <= set(INTERVENTION_KINDS)
             else [smap.vocabulary.label("intervention", t).lower() for t in terms])
    label = (f"services offering {', '.join(shown[:-1])}{' or ' if shown[:-1] else ''}"
             f"{shown[-1]}") if shown else "services offering nothing"
    return _Selection(lists_any(services["interventions"], terms), {}, label, ())


def _combinations(smap: ServiceMap, keep: np.ndarray, selection: _Selection,
                  by: tuple[str, ...], needs: tuple[str, ...], groups: tuple[str, ...],
                  unknown_hours: str) -> tuple[pd.DataFrame, dict[str, list[str]],
                                               np.ndarray]:
    """Long (service position, need, client_group, hour_band) rows a service counts for.

    Also returns the positions of the services counted before the hour bands.
    """
    services = smap._services
    levels: dict[str, list[str]] = {}
    # levels come from every service, so the table's shape never depends on filters
    if needs:
        parts = [np.flatnonzero(keep & selection.per_need[n]) for n in needs]
        rows = pd.DataFrame({
            "service": np.concatenate(parts).astype(np.int64),
            "need": np.repeat(np.array(needs, dtype=object), [len(p) for p in parts])})
        levels["need"] = [t for t in smap.vocabulary.terms("need") if t in needs]
        if "need" not in by:
            rows = rows.drop(columns="need").drop_duplicates()
    else:
        pos = np.flatnonzero(keep & selection.mask)
        rows = pd.DataFrame({"service": pos})
        if "need" in by:
            exploded = services["needs"].iloc[pos].reset_index(drop=True).explode().dropna()
            rows = pd.DataFrame({"service": pos[exploded.index.to_numpy()],
                                 "need": exploded.to_numpy(dtype=object)})
            present = set(services["needs"].explode().dropna()) | set(smap.need_columns)
            levels["need"] = [t for t in smap.vocabulary.terms("need") if t in present]
    if "client_group" in by or groups:
        # served as find_gaps serves them: listed with ages, or age groups by ages
        candidates = list(smap.vocabulary.terms("client_group"))
        member = served_groups(services, candidates)
        base = rows.reset_index(drop=True)
        r, c = np.nonzero(member[base["service"].to_numpy()])
        rows = base.iloc[r].assign(
            client_group=np.asarray(candidates, dtype=object)[c])
        if groups:
            rows = rows[rows["client_group"].isin(groups)]
        served_somewhere = member.any(axis=0) | np.isin(
            candidates, list(services["client_groups"].explode().dropna()))
        levels["client_group"] = [t for k, t in enumerate(candidates)
                                  if (served_somewhere[k] and not groups) or t in groups]
        if "client_group" not in by:
            rows = rows.drop(columns="client_group").drop_duplicates()
    counted_pos = np.unique(rows["service"].to_numpy(dtype=np.int64))
    if "hour_band" in by:
        bands = list(hour_band_mask())
        table = open_in_bands(services, bands, unknown_hours)[rows["service"].to_numpy()]
        r, b = np.nonzero(table)
        rows = rows.iloc[r].assign(hour_band=np.array(bands, dtype=object)[b])
        levels["hour_band"] = bands
    return rows.reset_index(drop=True), levels, counted_pos


def coverage(
    smap: ServiceMap,
    *,
    by: Sequence[str] = DIMENSIONS,
    need: str | Iterable[str] | None = None,
    intervention: str | Iterable[str] | None = None,
    to: str | Iterable[str] | None = None,
    client_group: str | Iterable[str] | None = None,
    age: float | tuple[float, float] | None = None,
    status: Iterable[str] = ACTIVE,
    unknown_hours: str = "daytime",
    max_distance: float | None = None,
    max_minutes: float | None = None,
) -> Coverage:
    """Count the services and capacity reaching each area, by need, group and hour band.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    by : sequence of str, default ("need", "client_group", "hour_band")
        The dimensions to break counts down by, any of these three in any order; a
        dimension left out is not split (a service counts once).
    need : str or list of str, optional
        Count only provision for these needs: by default, for drug and alcohol, the
        services offering treatment (:data:`~servicemap.vocab.PROVISION`); for
        other needs, every service listing the need. Without it, every service
        counts for each need it lists.
    intervention : str or list of str, optional
        The interventions that count, as terms (``"naloxone"``), kinds
        (``"treatment"``, ``"harm_reduction"``, see
        :data:`~servicemap.vocab.INTERVENTION_KINDS`) or ``"any"`` (every service
        for the need). With ``need``, it replaces the need's default; without, it
        narrows every need's services.
    to : str or list of str, optional
        The service ids that count, whatever they offer.
    client_group : str or list of str, optional
        Count only services for these client groups.
    age : float or (float, float), optional
        Count only services open to every age in this range (``age=16`` or
        ``age=(16, 17)``), from their ``min_age`` and ``max_age``.
    status : iterable of str, default ("active",)
        The service statuses counted.
    unknown_hours : {"daytime", "open", "closed"}, default "daytime"
        How a service with no opening hours counts in the hour bands: open on
        weekdays in the daytime only (and reported as unknown out of hours), in
        every band, or in none.
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    Coverage
        ``.table`` (tidy, indexed by area code: ``services`` and ``capacity_<unit>``
        in person, ``remote_services`` apart), ``.notes``, ``.wide()``,
        ``.summary()``, ``.explain(code)`` and ``.plot()``.

    Raises
    ------
    ValueError
        For an unknown dimension, need, intervention, service, client group, status
        or ``unknown_hours``, or an impossible age range.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> cov = sm.coverage(smap)
    >>> cov.table.columns.tolist()[:5]
    ['need', 'client_group', 'hour_band', 'services', 'remote_services']
    >>> t = sm.coverage(smap, by=("need",), need="drug").table
    >>> t.index.equals(smap.areas.index), int(t["services"].min()) >= 0
    (True, True)

    Harm reduction, such as naloxone and needle exchange, is not drug treatment;
    ask for it by name:

    >>> treatment = sm.coverage(smap, by=(), need="drug")
    >>> treatment.attrs["provision"]
    'drug treatment'
    >>> treatment.explain("E01015693").loc["beds-naloxone", "why"]
    'not counted as drug treatment (offers naloxone, information_advice)'
    >>> reduction = sm.coverage(smap, by=(), need="drug", intervention="harm_reduction")
    >>> reduction.explain("E01015693").loc["beds-naloxone", "why"]
    'counts'
    """
    by = as_tuple(by)
    bad = [d for d in by if d not in DIMENSIONS]
    if bad or len(set(by)) != len(by):
        hint = did_you_mean(bad[0], DIMENSIONS) if bad else ""
        msg = (f"by={by!r}: choose distinct dimensions from {', '.join(DIMENSIONS)}."
               f"{hint}")
        raise ValueError(msg)
    check_unknown_hours(unknown_hours)
    needs = as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    ages = age_range(age)
    keep = counted(smap, status=status, age=ages)
    selection = _selection(smap, needs, intervention, to)
    siteless = keep & selection.mask & ~in_person(smap) & ~remote_mask(smap)
    keep = keep & ~siteless  # no place to reach, nor to call: said in the notes
    reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
    services = smap._services
    rows, levels, counted_pos = _combinations(smap, keep, selection, by, needs, groups,
                                              unknown_hours)
    remote = remote_mask(smap)
    rows["remote"] = remote[rows["service"].to_numpy()]

    # combination index of each row, over the full product of the levels
    sizes = [len(levels[d]) for d in by]
    n_combos = int(np.prod(sizes)) if by else 1
    combo = np.zeros(len(rows), dtype=np.int64)
    for d, size in zip(by, sizes, strict=True):
        code = pd.Categorical(rows[d], categories=levels[d]).codes.astype(np.int64)
        combo = combo * size + code
    capacity = services["capacity"].to_numpy(dtype=float, na_value=np.nan)
    unit_of = services["capacity_unit"].to_numpy(dtype=object)
    units = [u for u in smap.vocabulary.terms("capacity_unit")
             if u in set(unit_of[keep & ~remote])]
    svc = rows["service"].to_numpy()
    far = rows["remote"].to_numpy()
    # in person, remote, then capacity in person per unit: one sparse product for all
    blocks = [(~far).astype(float), far.astype(float)]
    for u in units:
        blocks.append(np.where((unit_of[svc] == u) & ~far, np.nan_to_num(capacity[svc]),
                               0.0))
    n_services = len(services)
    stacked = sparse.csr_array(
        (np.concatenate(blocks),
         (np.tile(svc, len(blocks)),
          np.concatenate([combo + k * n_combos for k in range(len(blocks))]))),
        shape=(n_services, n_combos * len(blocks)))
    counts = (reach.matrix @ stacked).toarray()
    n_areas = len(reach.areas)

    data: dict[str, Any] = {}
    grid = np.indices(sizes).reshape(len(sizes), -1) if by else np.zeros((0, 1), int)
    for k, d in enumerate(by):
        data[d] = pd.Categorical.from_codes(np.tile(grid[k], n_areas),
                                            categories=levels[d])
    data["services"] = counts[:, :n_combos].ravel().round().astype(np.int64)
    data["remote_services"] = counts[:, n_combos:2 * n_combos].ravel().round().astype(
        np.int64)
    for k, u in enumerate(units, start=2):
        data[f"capacity_{u}"] = counts[:, k * n_combos:(k + 1) * n_combos].ravel()
    index = pd.CategoricalIndex(pd.Categorical.from_codes(
        np.repeat(np.arange(n_areas), n_combos), categories=reach.areas), name="code")
    table = pd.DataFrame(data, index=index)
    ids = services.index
    counted_mask = np.zeros(n_services, dtype=bool)
    counted_mask[counted_pos] = True
    no_capacity = list(ids[counted_mask & ~remote & np.isnan(capacity)])
    remote_ids = list(ids[counted_mask & remote])
    hourless = (list(ids[counted_mask & hours_unknown(services)]) if "hour_band" in by
                else [])
    notes = list(selection.notes)
    if siteless.any():
        shown = list(ids[siteless])
        notes.append(f"{plural(len(shown), 'service')} with no site "
                     f"({', '.join(shown[:5])}{' ...' if len(shown) > 5 else ''}) not "
                     "counted: no place to reach in person, nor a phone or online one.")
    notes += _notes(no_capacity, remote_ids, hourless, unknown_hours)
    attrs = {
        "by": by, "status": as_tuple(status), "need": needs or None,
        "intervention": None if intervention is None else as_tuple(intervention),
        "to": None if to is None else as_tuple(to), "provision": selection.label,
        "client_group": groups or None, "age": ages, "max_distance": max_distance,
        "max_minutes": max_minutes, "services_counted": len(counted_pos),
        "unknown_hours": unknown_hours, "hours_unknown": hourless,
        "remote": remote_ids, "capacity_units": units, "no_capacity": no_capacity,
        "population": smap._areas.get("population", None),
    }
    table.attrs.update({k: v for k, v in attrs.items() if k != "population"})
    return Coverage(table=table, by=by, attrs=attrs, notes=notes, smap=smap,
                    _counted=rows, _selected=keep & selection.mask)


def _notes(no_capacity: list[str], remote: list[str], hourless: list[str],
           unknown_hours: str) -> list[str]:
    """Say, in words, what was counted apart, assumed or left out."""

    def shown(ids: list[str]) -> str:
        return ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")

    notes = []
    if remote:
        notes.append(f"{plural(len(remote), 'counted service is', 'counted services are')} "
                     f"remote (phone or online only): support, not reach. "
                     f"{'It is' if len(remote) == 1 else 'They are'} counted in "
                     f"remote_services, not in services or capacity ({shown(remote)}).")
    if hourless:
        said = {"daytime": "open on weekdays in the daytime only; out of hours "
                           "(weekday_evening, overnight, weekend) their hours are unknown, "
                           "not assumed open",
                "open": "open in every hour band",
                "closed": "open in no hour band"}[unknown_hours]
        notes.append(f"{plural(len(hourless), 'counted service has', 'counted services have')} "
                     f"no opening hours: counted as {said} ({shown(hourless)}).")
    if no_capacity:
        notes.append(f"{plural(len(no_capacity), 'counted service has', 'counted services have')} "
                     f"no capacity: counted in services, adding nothing to capacity "
                     f"({shown(no_capacity)}).")
    return notes

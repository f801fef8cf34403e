"""Coverage: how many services, and how much capacity, reach each area.

For every area, and each combination of need, client group and hour band, coverage
counts the services that reach the area (footprint and reach, from the reach matrix)
and sums their capacity, per capacity unit. A service counts for:

* a **need** it lists in ``needs``;
* a **client group** it lists in ``client_groups`` whose implied ages
  (:data:`~servicemap.vocab.CLIENT_GROUP_AGES`: children 0-12, young people 11-24,
  adults 18+, older people 65+) overlap the service's ``min_age``-``max_age``;
* an **hour band** in which it is open at some time (from its opening hours);
  a service with no hours given is counted as open in every band, or in none with
  ``unknown_hours="closed"`` (the report's ``notes`` say which, and how many).

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
    counted,
    group_age_ok,
    open_in_bands,
    service_ages,
)
from servicemap.disclosure import DEFAULT_THRESHOLD
from servicemap.errors import did_you_mean, plural
from servicemap.geography import reach_matrix
from servicemap.hours import hour_band_mask
from servicemap.plotting import area_map
from servicemap.servicemap import ServiceMap

if TYPE_CHECKING:  # for annotations only: matplotlib loads when drawing
    from matplotlib.axes import Axes

__all__ = ["Coverage", "coverage"]

DIMENSIONS = ("need", "client_group", "hour_band")


@dataclass(frozen=True, repr=False)
class Coverage(Report):
    """Services and capacity reaching each area, by need, client group and hour band.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: one row per area and combination, indexed by area code, with a column
        per dimension in ``by``, ``services`` (count) and ``capacity_<unit>`` columns.
        Every area appears for every combination, zeros included.
    by : tuple of str
        The dimensions, in order.
    attrs : dict
        What was counted: statuses, age, thresholds, services counted, services
        with no hours and how they were taken.
    notes : list of str
        What was assumed (services with no opening hours) or left out (services with
        no capacity), in words.
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    smap: Any = field(default=None, compare=False)
    _counted: Any = field(default=None, compare=False)  # (service, dimensions) rows
    row_noun: ClassVar[str] = "area"

    def wide(self, value: str = "services") -> pd.DataFrame:
        """One column per combination, indexed like ``smap.areas``, for maps.

        Parameters
        ----------
        value : str, default "services"
            ``services`` or a ``capacity_<unit>`` column.

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
            ``areas``, ``areas_reached``; where the areas give a population,
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
                             "reached": t["services"].to_numpy() > 0})
        for d in dims:
            rows[d] = t[d].to_numpy()
        rows = rows.groupby(["code", *dims], sort=False)["reached"].any().reset_index()
        for d in dims:
            rows[d] = pd.Categorical(rows[d], categories=t[d].cat.categories)
        areas = self.smap._areas
        attributes = pd.DataFrame(areas.drop(columns=areas.geometry.name))
        rows = rows.join(attributes, on="code")
        rows, resolved, labels = grouping(
            rows, keys, smap=self.smap, hidden=("reached", "geometry"),
            choices=f"{', '.join(self.by) or 'no dimension'}, a parent level, "
                    "partnership or a column of the areas")
        if not resolved:
            rows, resolved = rows.assign(combination="all"), ["combination"]
        people = "population" in rows.columns
        if people:
            pop = rows["population"].to_numpy(dtype=float, na_value=0.0)
            rows = rows.assign(population=pop,
                               population_reached=np.where(rows["reached"], pop, 0.0))
        sums = {"areas": ("code", "nunique"), "areas_reached": ("reached", "sum")}
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
            time, or 0 for outreach, phone and online reach), ``counts`` (for some
            combination), ``counts_for`` (the combinations it counts for, named as
            the columns of :meth:`wide`) and ``why`` it does not count (status,
            ages, too far and by how much, footprint, needs, groups or hours
            counted). ``attrs["headline"]`` says it in a sentence.

        Raises
        ------
        KeyError
            If ``key`` is not an area of the report.

        Examples
        --------
        >>> cov = sm.coverage(sm.datasets.bedfordshire(), by=("need",))
        >>> why = cov.explain("E01015693")
        >>> int(why["counts_for"].map(lambda c: "drug" in c).sum())  # as the table says
        12
        >>> int(cov.wide().loc["E01015693", "drug"])
        12
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
        counts_for = labels.groupby(rows["service"].to_numpy()).agg(tuple)
        counts_for = pd.Series([counts_for.get(j, ()) if reached[j] else ()
                                for j in cols], dtype=object)
        whys = [_why_not(self.attrs, services, int(j), reached[j], reach_why[j],
                         bool(counts_for[j])) for j in cols]
        out = pd.DataFrame({"name": services["name"].to_numpy(dtype=object),
                            "cost": cost, "unit": units,
                            "counts": counts_for.map(bool).to_numpy(),
                            "counts_for": counts_for.to_numpy(), "why": whys},
                           index=pd.Index(services.index, name="service"))
        out = out.sort_values(["counts", "cost"], ascending=[False, True],
                              na_position="last", kind="stable")
        name = smap._areas.at[code, "name"]
        n_combos = max(len(self._labels()), 1)
        some = int(self.wide().loc[code].gt(0).sum())
        out.attrs["headline"] = (
            f"{code} ({name}): {plural(int(out['counts'].sum()), 'service')} counted, "
            f"reaching it for {some} of {plural(n_combos, 'combination')} of "
            f"{', '.join(self.by) or 'all services'}; "
            f"{int((~out['counts']).sum()):,} others do not count here.")
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
             reach_why: str, counts: bool) -> str:
    """Say why service ``j`` does not count for an area ("counts" when it does)."""
    if counts:
        return "counts"
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
        if attrs["need"] and not needs & set(attrs["need"]):
            why.append(f"meets none of the needs counted ({', '.join(attrs['need'])})")
        elif attrs["client_group"] or "client_group" in attrs["by"]:
            why.append("serves none of the client groups counted at its ages (for "
                       f"{', '.join(services['client_groups'].iloc[j]) or 'no group'})")
        else:
            hours = services["hours"].iloc[j]
            why.append(f"open in none of the hour bands ({hours})" if isinstance(
                hours, str) else "no opening hours given, and unknown hours count as "
                                 "closed")
    return "; ".join(why)


def _combinations(smap: ServiceMap, keep: np.ndarray, by: tuple[str, ...],
                  needs: tuple[str, ...], groups: tuple[str, ...],
                  unknown_hours: str) -> tuple[pd.DataFrame, dict[str, list[str]], int]:
    """Long (service position, need, client_group, hour_band) rows a service counts for."""
    services = smap._services
    pos = np.flatnonzero(keep)
    rows = pd.DataFrame({"service": pos})
    levels: dict[str, list[str]] = {}
    # levels come from every service, so the table's shape never depends on filters
    if "need" in by or needs:
        exploded = services["needs"].iloc[pos].reset_index(drop=True).explode()
        rows = pd.DataFrame({"service": pos[exploded.index.to_numpy()],
                             "need": exploded.to_numpy(dtype=object)})
        if needs:
            rows = rows[rows["need"].isin(needs)]
        present = set(services["needs"].explode().dropna()) | set(smap.need_columns)
        levels["need"] = [t for t in smap.vocabulary.terms("need")
                          if (t in present and not needs) or t in needs]
        if "need" not in by:
            rows = rows.drop(columns="need").drop_duplicates()
    if "client_group" in by or groups:
        cg = services["client_groups"].iloc[rows["service"]].reset_index(drop=True).explode()
        base = rows.reset_index(drop=True)
        rows = base.loc[cg.index].assign(client_group=cg.to_numpy(dtype=object))
        rows = rows[group_age_ok(services, rows["client_group"].to_numpy(dtype=object),
                                 rows["service"].to_numpy())]
        if groups:
            rows = rows[rows["client_group"].isin(groups)]
        present = set(services["client_groups"].explode().dropna())
        levels["client_group"] = [t for t in smap.vocabulary.terms("client_group")
                                  if (t in present and not groups) or t in groups]
        if "client_group" not in by:
            rows = rows.drop(columns="client_group").drop_duplicates()
    unknown = int(services["hours"].iloc[pos].isna().sum())
    if "hour_band" in by:
        bands = list(hour_band_mask())
        table = open_in_bands(services, bands, unknown_hours)[rows["service"].to_numpy()]
        r, b = np.nonzero(table)
        rows = rows.iloc[r].assign(hour_band=np.array(bands, dtype=object)[b])
        levels["hour_band"] = bands
    return rows.reset_index(drop=True), levels, unknown


def coverage(
    smap: ServiceMap,
    *,
    by: Sequence[str] = DIMENSIONS,
    need: str | Iterable[str] | None = None,
    client_group: str | Iterable[str] | None = None,
    age: float | tuple[float, float] | None = None,
    status: Iterable[str] = ACTIVE,
    unknown_hours: str = "open",
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
    need, client_group : str or list of str, optional
        Count only services for these needs or client groups.
    age : float or (float, float), optional
        Count only services open to every age in this range (``age=16`` or
        ``age=(16, 17)``), from their ``min_age`` and ``max_age``.
    status : iterable of str, default ("active",)
        The service statuses counted.
    unknown_hours : {"open", "closed"}, default "open"
        How a service with no opening hours counts in the hour bands.
    max_distance, max_minutes : float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`).

    Returns
    -------
    Coverage
        ``.table`` (tidy, indexed by area code), ``.notes``, ``.wide()``,
        ``.summary()``, ``.explain(code)`` and ``.plot()``.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> cov = sm.coverage(smap)
    >>> cov.table.columns.tolist()[:4]
    ['need', 'client_group', 'hour_band', 'services']
    >>> t = sm.coverage(smap, by=("need",), need="drug").table
    >>> t.index.equals(smap.areas.index), int(t["services"].min()) >= 0
    (True, True)
    """
    by = as_tuple(by)
    bad = [d for d in by if d not in DIMENSIONS]
    if bad or len(set(by)) != len(by):
        hint = did_you_mean(bad[0], DIMENSIONS) if bad else ""
        msg = (f"by={by!r}: choose distinct dimensions from {', '.join(DIMENSIONS)}."
               f"{hint}")
        raise ValueError(msg)
    if unknown_hours not in ("open", "closed"):
        msg = f"unknown_hours={unknown_hours!r}: choose 'open' or 'closed'."
        raise ValueError(msg)
    needs = as_terms(smap, "need", need, "need")
    groups = as_terms(smap, "client_group", client_group, "client_group")
    ages = age_range(age)
    keep = counted(smap, status=status, age=ages)
    reach = reach_matrix(smap, max_distance=max_distance, max_minutes=max_minutes)
    services = smap._services
    rows, levels, unknown = _combinations(smap, keep, by, needs, groups, unknown_hours)

    # combination index of each row, over the full product of the levels
    sizes = [len(levels[d]) for d in by]
    n_combos = int(np.prod(sizes)) if by else 1
    combo = np.zeros(len(rows), dtype=np.int64)
    for d, size in zip(by, sizes, strict=True):
        code = pd.Categorical(rows[d], categories=levels[d]).codes.astype(np.int64)
        combo = combo * size + code
    units = [u for u in smap.vocabulary.terms("capacity_unit")
             if u in set(services["capacity_unit"].iloc[np.flatnonzero(keep)].dropna())]
    capacity = services["capacity"].to_numpy(dtype=float, na_value=np.nan)
    unit_of = services["capacity_unit"].to_numpy(dtype=object)
    svc = rows["service"].to_numpy()
    blocks = [np.ones(len(rows))]
    for u in units:
        blocks.append(np.where(unit_of[svc] == u, np.nan_to_num(capacity[svc]), 0.0))
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
    for k, u in enumerate(units, start=1):
        data[f"capacity_{u}"] = counts[:, k * n_combos:(k + 1) * n_combos].ravel()
    index = pd.CategoricalIndex(pd.Categorical.from_codes(
        np.repeat(np.arange(n_areas), n_combos), categories=reach.areas), name="code")
    table = pd.DataFrame(data, index=index)
    areas = smap._areas
    no_capacity = list(services.index[keep & np.isnan(capacity)])
    said = (f"{plural(unknown, 'counted service has', 'counted services have')} no "
            f"opening hours; {'it is' if unknown == 1 else 'they are'} counted as "
            f"{unknown_hours} in every hour band")
    notes = []
    if unknown and "hour_band" in by:
        notes.append(said[0].upper() + said[1:] + ".")
    if no_capacity:
        shown = ", ".join(no_capacity[:5]) + (" ..." if len(no_capacity) > 5 else "")
        notes.append(f"{plural(len(no_capacity), 'counted service has', 'counted services have')} "
                     f"no capacity: counted in services, adding nothing to capacity "
                     f"({shown}).")
    attrs = {
        "by": by, "status": as_tuple(status), "need": needs or None, "client_group": groups or None,
        "age": ages, "max_distance": max_distance, "max_minutes": max_minutes,
        "services_counted": int(keep.sum()),
        "unknown_hours": said if unknown and "hour_band" in by else None,
        "capacity_units": units,
        "no_capacity": no_capacity,
        "population": areas.get("population", None),
    }
    table.attrs.update({k: v for k, v in attrs.items() if k != "population"})
    return Coverage(table=table, by=by, attrs=attrs, notes=notes, smap=smap,
                    _counted=rows)

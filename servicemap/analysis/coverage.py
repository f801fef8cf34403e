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
  ``unknown_hours="closed"`` (the result's ``attrs`` say which, and how many).

Capacity is the service's whole capacity in each area it reaches (the supply within
reach, not shared between areas; :func:`~servicemap.accessibility` shares it). Units
are never added together: there is one ``capacity_<unit>`` column per unit. A
service with no capacity given counts in ``services`` but adds nothing to capacity;
``attrs["no_capacity"]`` lists such services. The table is indexed by a categorical
of the area codes (4 million rows at national scale stay small).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from servicemap.analysis._select import (
    ACTIVE,
    age_range,
    as_terms,
    as_tuple,
    counted,
    group_age_ok,
    open_in_bands,
)
from servicemap.errors import did_you_mean, plural
from servicemap.geography import reach_matrix

if TYPE_CHECKING:
    import pandas as pd

    from servicemap.servicemap import ServiceMap

__all__ = ["Coverage", "coverage"]

DIMENSIONS = ("need", "client_group", "hour_band")


@dataclass(frozen=True, repr=False)
class Coverage:
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
    """

    table: pd.DataFrame
    by: tuple[str, ...]
    attrs: dict[str, Any] = field(default_factory=dict)

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
        import itertools

        import pandas as pd

        if value not in self.table.columns or value in self.by:
            values = [c for c in self.table.columns if c not in self.by]
            msg = f"value={value!r} is not a count; choose one of {', '.join(values)}."
            raise ValueError(msg)
        t = self.table
        areas = pd.Index(t.index.categories if hasattr(t.index, "categories")
                         else t.index.unique(), name="code")
        # the table is area-major over the full product of the levels, in order
        levels = [t[d].cat.categories for d in self.by]
        labels = ["|".join(map(str, combo)) for combo in itertools.product(*levels)]
        values_ = t[value].to_numpy().reshape(len(areas), max(len(labels), 1))
        return pd.DataFrame(values_, index=areas, columns=labels or [value])

    def summary(self) -> pd.DataFrame:
        """Per combination: areas reached, population reached and its share.

        Examples
        --------
        >>> cov = sm.coverage(sm.datasets.bedfordshire(), by=("need",))
        >>> int(cov.summary().loc["drug", "areas_reached"])
        381
        """
        t = self.table
        pop = self.attrs.get("population")
        reached = t["services"] > 0
        frame = t.assign(reached=reached)
        keys = list(self.by) if self.by else None
        if pop is not None:
            frame = frame.assign(population=pop.reindex(t.index).to_numpy(),
                                 population_reached=np.where(
                                     reached, pop.reindex(t.index).to_numpy(), 0.0))
        if keys is None:
            frame = frame.assign(_all="all")
            keys = ["_all"]
        grouped = frame.groupby(keys, observed=True, sort=False)
        out = grouped["reached"].agg(areas="size", areas_reached="sum")
        if pop is not None:
            sums = grouped[["population", "population_reached"]].sum()
            out = out.join(sums)
            out["share_of_population"] = out["population_reached"] / out["population"]
        return out

    def __repr__(self) -> str:
        n_areas = self.table.index.nunique()
        combos = len(self.table) // max(n_areas, 1)
        return (f"<Coverage: {n_areas:,} areas x {combos:,} combinations of "
                f"{', '.join(self.by) or 'all services'}; "
                f"{self.attrs.get('services_counted', 0):,} services counted>")


def _combinations(smap: ServiceMap, keep: np.ndarray, by: tuple[str, ...],
                  needs: tuple[str, ...], groups: tuple[str, ...],
                  unknown_hours: str) -> tuple[pd.DataFrame, dict[str, list[str]], int]:
    """Long (service position, need, client_group, hour_band) rows a service counts for."""
    import pandas as pd

    from servicemap.hours import hour_band_mask

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
        ``.table`` (tidy, indexed by area code), ``.wide()``, ``.summary()``.

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
    import pandas as pd
    from scipy import sparse

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
    attrs = {
        "status": as_tuple(status), "need": needs or None, "client_group": groups or None,
        "age": ages, "max_distance": max_distance, "max_minutes": max_minutes,
        "services_counted": int(keep.sum()),
        "unknown_hours": said if unknown and "hour_band" in by else None,
        "capacity_units": units,
        "no_capacity": no_capacity,
        "population": areas.get("population", None),
    }
    table.attrs.update({k: v for k, v in attrs.items() if k != "population"})
    return Coverage(table=table, by=by, attrs=attrs)

"""Gaps: who, with which need, where and when, has no service they can use.

:func:`find_gaps` looks at every area, need, client group and hour band, and labels
each place where provision falls short with the first reason that holds, in this
order (:data:`REASONS`):

``none``
    No in-person service for the need anywhere in the map.
``unreachable``
    In-person services for the need exist, but none reaches the area (its reach:
    distance, minutes), whoever they take.
``ineligible``
    An in-person service reaches the area, but its footprint turns the residents
    away: the cross-boundary case. Per client group when a service for the group
    reaches but excludes them.
``client_group``
    Services reach the area and take its residents, but none for this client group
    (or ages).
``out_of_hours``
    The group is served, but by no service open in this hour band.
``under_capacity``
    The area is served, but its 2SFCA access (capacity per person in need, shared
    among everyone within reach; see :func:`~servicemap.accessibility`) is below a
    threshold: by default half the map-wide ratio of capacity to need.
``pathway``
    Services reach the area and take its residents, but no chain of referrals
    leads from a named entry point (``entry=``, such as ``"prison_release"``) to
    one of them: see :func:`~servicemap.trace_pathways`. One row per entry point
    without a route, its name in the ``entry`` column. Assessed only when
    ``entry=`` is given.

**What counts as provision.** The services that list the need, narrowed by
``intervention=`` or named by ``to=`` as in :func:`~servicemap.trace_pathways`. By
default drug and alcohol count treatment only (:data:`servicemap.vocab.PROVISION`):
naloxone, needle exchange, advice or a crisis line are not treatment.

**Remote is not reach.** A service whose sites are all phone or online (or that has
no site) never makes an area reachable, open in a band or supplied: the gap keeps
its true reason, and the ``remote`` column counts the remote services for the need
that take the area's residents (whatever they offer), so nothing is hidden.

**Hours.** A service counts in a band when open for at least an hour of it on some
day (overnight: between 00:00 and 06:00; see
:meth:`~servicemap.hours.OpeningHours.open_in_band`, ``min_minutes=``). A service
without opening hours counts in the weekday daytime only (``unknown_hours=``); in
the out-of-hours bands it is reported, in ``hours_unknown``, not assumed open.

**Scope.** By default the client groups are the age groups (children, young people,
adults, older people; a service serves them by listing them or by its ages, see
:func:`~servicemap.analysis._select.served_groups`) that some in-person service for
the need serves somewhere, and each group is assessed in the hour bands in which some
such service for it is open somewhere. A group and band that no in-person service
provides anywhere is a **systemic** gap: one row in :attr:`GapReport.systemic` and a
note, not a row for every area. Name groups or bands (``client_group=``,
``hour_band=``) to assess them area by area, targeted groups such as
``people_leaving_prison`` included. A reason that holds for every one of several
client groups (or, out of hours, every group assessed in the band) is one row with
``all`` there.

**Severity** is people with the need (the areas' ``need_<need>``), so needs without a
need column in the areas are not assessed (the notes say so). A client group's row
counts the group's share: the need times the share of the area's population in the
group's ages, from the areas' ``pop_<lo>_<hi>`` columns (each spread evenly over its
years). That assumes the need is spread like the population; where the areas give no
ages, or for targeted groups, the row counts everyone with the need. **Counted**
counts each person once, under the most fundamental reason for them: an area's rows
in order (reason, then group and band) each count the people of their groups not
counted on an earlier row, so together they make the union of the groups in a gap
there. Summaries and totals add ``counted``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from servicemap.analysis._explain import ALL, explain_gap
from servicemap.analysis._report import Report, grouping, publish, tabulate
from servicemap.analysis._select import (
    ACTIVE,
    age_share,
    as_terms,
    as_tuple,
    check_unknown_hours,
    counted,
    hours_unknown,
    in_person,
    lists_any,
    need_column,
    need_values,
    open_in_bands,
    provision,
    remote,
    served_groups,
)
from servicemap.analysis.accessibility import accessibility
from servicemap.analysis.pathways import trace_pathways
from servicemap.disclosure import DEFAULT_THRESHOLD, in_words
from servicemap.errors import ServiceMapWarning, did_you_mean, plural
from servicemap.geography import journey_reach, reach_matrix
from servicemap.hours import HOUR_BANDS
from servicemap.plotting import area_map
from servicemap.servicemap import ServiceMap
from servicemap.vocab import CLIENT_GROUP_AGES

if TYPE_CHECKING:  # for annotations only: matplotlib loads when drawing
    from matplotlib.axes import Axes

__all__ = ["REASONS", "GapReport", "find_gaps"]

#: Gap reasons, most fundamental first.
REASONS = ("none", "unreachable", "ineligible", "client_group", "out_of_hours",
           "under_capacity", "pathway")
_RANK = {r: k for k, r in enumerate(REASONS)}


@dataclass(frozen=True, repr=False)
class GapReport(Report):
    """Where provision falls short, by area, need, client group and hour band.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per gap, ranked by severity: ``code``, ``name``, the parent areas,
        ``imd_decile`` and ``population`` where the areas have them, ``need``,
        ``client_group``, ``hour_band`` (``all`` where the reason holds for all),
        ``reason``, ``severity`` (people of the row's group with the need),
        ``counted`` (the row's people not counted on a more fundamental row of the
        area and need, so each person counts once), ``services`` (in-person services for the
        need that reach the area and take its residents), ``remote`` (remote
        services for the need taking its residents: support, not reach) and
        ``hours_unknown`` (on ``out_of_hours`` rows, services that would serve the
        group there but give no opening hours). Figures are not suppressed: publish
        :meth:`summary`.
    sensitivity : pandas.DataFrame or None
        With several thresholds: per threshold and need, the areas in gaps and the
        people in need there, by reason.
    systemic : pandas.DataFrame
        Groups and bands that no in-person service for a need provides anywhere:
        ``need``, ``client_group``, ``hour_band``, ``people`` (the group's people
        with the need in the whole map), ``remote`` and ``remote_services`` (remote
        support for them). Not repeated per area, nor in the totals.
    attrs : dict
        What was assessed: needs, what counted as provision, groups, bands (and
        ``scope``: the bands assessed for each group), thresholds, capacity units and
        the access threshold per need, statuses.
    notes : list of str
        What was not assessed and why, and what was left out of capacity.
    """

    table: pd.DataFrame
    sensitivity: pd.DataFrame | None = None
    systemic: pd.DataFrame = field(default_factory=pd.DataFrame)
    _who: Any = field(default=None, compare=False, repr=False)  # age-group bits per row
    attrs: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    smap: Any = field(default=None, compare=False)
    row_noun: ClassVar[str] = "gap"

    def totals(self) -> pd.DataFrame:
        """Per need: all people in need, those in gaps, those beside them, those covered.

        ``need_in_gaps`` counts each person in a gap once; ``need_beside_gaps`` the
        others with the need in the same areas (a gap for young people leaves the
        adults there served); ``need_covered`` the need of the areas served for
        every group and band assessed, with enough capacity, worked out on its own.
        The three add up to the total as a check, not by construction.

        Examples
        --------
        >>> t = sm.find_gaps(sm.datasets.bedfordshire()).totals()
        >>> t.columns.tolist()
        ['need_total', 'need_in_gaps', 'need_beside_gaps', 'need_covered', 'share_in_gaps']
        >>> parts = t["need_in_gaps"] + t["need_beside_gaps"] + t["need_covered"]
        >>> bool((parts - t["need_total"]).abs().max() < 1e-6)
        True
        """
        return self.attrs["totals"].copy()

    def summary(self, by: str | Sequence[str] = "reason", *,
                suppress: int | None = DEFAULT_THRESHOLD) -> pd.DataFrame:
        """People in need in gaps, grouped, with small counts suppressed.

        Parameters
        ----------
        by : str or list of str, default "reason"
            ``reason``, ``need``, ``partnership`` (the partnerships whose footprint
            takes in the area; an area in two partnerships counts in both, and once in
            the total), a parent
            level such as ``lad``, ``imd_decile``, or any column of the table.
        suppress : int or None, default 5
            Counts of people below this are hidden, with secondary suppression
            (:func:`servicemap.disclosure.suppress`; with several keys, the
            subtotals by each are protected too); None publishes exact figures.

        Returns
        -------
        pandas.DataFrame
            ``areas`` (distinct areas), ``need_in_gaps`` (people, each counted once
            per need, under the most fundamental reason for them; grouped by client
            group or hour band, a person in gaps in two bands counts in each, as an
            area in two partnerships does, and once in the total) and
            ``share_of_need``:
            grouped by where people live (a partnership, a parent area, a column of the
            areas) and by need, the share of that group's own people with the needs;
            grouped by anything else (reason, client group, hour band), the share of
            all people with the needs assessed. A last row ``total`` counts each area
            and need once, its share of all people with the needs. With
            several keys, ``attrs["subtotals"]`` gives the subtotals by each that
            may be published alongside (None where hidden).

        Examples
        --------
        >>> gaps = sm.find_gaps(sm.datasets.bedfordshire(), need="drug")
        >>> gaps.summary().index.tolist()[-1]
        'total'
        >>> gaps.summary("lad", suppress=None).columns.tolist()
        ['lad_name', 'areas', 'need_in_gaps', 'share_of_need']
        """
        counted = self.table[self.table["counted"] > 0]
        total_need = float(self.attrs["totals"]["need_total"].sum())
        total = pd.DataFrame({"areas": [counted["code"].nunique()],
                              "need_in_gaps": [counted["counted"].sum()]},
                             index=pd.Index(["total"]))
        dims = [d for d in ("client_group", "hour_band") if d in as_tuple(by)]
        rows = (self.table.assign(_people=self._people_by(dims)).query("_people > 0")
                if dims else counted.assign(_people=counted["counted"]))
        rows, resolved, labels = grouping(
            rows, by, smap=self.smap, hidden=("counted", "_people"),
            choices="reason, need, partnership, a parent level or a column of the table")
        out = tabulate(rows, resolved, labels, {"areas": ("code", "nunique"),
                                                "need_in_gaps": ("_people", "sum")},
                       total=total)
        if resolved == ["reason"]:
            out = out.reindex([*(r for r in REASONS if r in out.index), "total"])
        out["share_of_need"] = out["need_in_gaps"] / self._need_of(out, by, resolved,
                                                                    total_need)
        return publish(out, ["need_in_gaps"], resolved, suppress=suppress,
                       shares={"share_of_need": "need_in_gaps"})

    def _people_by(self, dims: list[str]) -> np.ndarray:
        """People in gaps per area, need and ``dims`` (group, band), on a first row.

        Each (area, need, group or band) counts the people of the union of its rows'
        groups once: a person in gaps in two bands counts in each band.
        """
        t = self.table
        keys = ["code", "need", *dims]
        frame = pd.DataFrame({k: t[k].astype(str).to_numpy() for k in keys})
        frame["who"] = self._who
        union = frame.groupby(keys, sort=False)["who"].agg(np.bitwise_or.reduce)
        first = ~frame.duplicated(keys).to_numpy()
        heads = frame.loc[first, keys]
        bits = union.reindex(pd.MultiIndex.from_frame(heads)).to_numpy(dtype=np.int64)
        areas = self.smap._areas
        pos = areas.index.get_indexer(heads["code"])
        out = np.zeros(len(t))
        idx = np.flatnonzero(first)
        for need in pd.unique(heads["need"]):
            mine = (heads["need"] == need).to_numpy()
            people, _ = _people(areas, need_values(self.smap, need), pos[mine],
                                bits[mine])
            out[idx[mine]] = people
        return out

    def _need_of(self, out: pd.DataFrame, by: Any, keys: list[str],
                 total_need: float) -> np.ndarray:
        """Return the people with the needs that each row of a summary is a share of.

        Rows grouped only by where people live and by need are shares of their own
        group's people; the others, and the total, of all the people assessed.
        """
        whole = np.full(len(out), total_need if total_need else np.nan)
        areas = self.smap.areas.reset_index()
        residence = {"need", "partnership", *areas.columns}
        if not set(keys) <= residence:
            return whole
        needs = list(self.attrs["need"])
        people = pd.concat([areas.drop(columns="geometry").assign(
            need=need, _people=need_values(self.smap, need)) for need in needs],
            ignore_index=True)
        people, resolved, _ = grouping(people, by, smap=self.smap,
                                       choices="the summary's keys")
        own = people.groupby(resolved, observed=True, sort=False)["_people"].sum()
        index = out.index[:-1]  # the last row is the total
        shares_of = own.reindex(index).to_numpy(dtype=float)
        return np.append(shares_of, whole[-1])

    def headlines(self, *, suppress: int | None = DEFAULT_THRESHOLD) -> list[str]:
        """Answer "where are the gaps?" in plain sentences, by name.

        One sentence per need: the people in gaps and their share, the reasons, the
        partnership worst off (by the share of its own residents' need, among the
        partnerships commissioning the need's provision that do not cover the whole
        map) and the local authority with most people in gaps; then one per need
        with systemic gaps, and the remote support there. The figures are the
        published ones of :meth:`summary` (rounded, small counts hidden), so the
        sentences give nothing away that the tables do not.

        Parameters
        ----------
        suppress : int or None, default 5
            As in :meth:`summary`.

        Returns
        -------
        list of str

        Examples
        --------
        >>> gaps = sm.find_gaps(sm.datasets.bedfordshire(), need="drug")
        >>> print(gaps.headlines()[0])  # doctest: +ELLIPSIS
        Drug treatment: ... of ... people with a drug need (...%) are in a gap...
        """
        smap = self.smap
        reasons = self.summary(["need", "reason"], suppress=suppress)
        parts = self.summary(["need", "partnership"], suppress=suppress)
        lads = (self.summary(["need", "lad"], suppress=suppress)
                if "lad" in smap.parent_levels else None)
        names = smap._partnerships["name"]
        whole = {p for p, fp in smap._partnerships["footprint"].items()
                 if _covers_all(smap, fp)}
        services = smap._services
        out = []
        for need in self.attrs["need"]:
            total = self.attrs["totals"].loc[need]
            label = self.attrs["provision"][need].replace("_", " ")
            ctx = self.attrs["context"][need]
            commissioning = set(services["commissioners"].iloc[
                np.concatenate([ctx.cols, ctx.remote_cols])].explode().dropna())
            words = need.replace("_", " ")
            shown = in_words(float(total["need_in_gaps"]), suppress)
            share = ("" if shown.startswith("fewer") else
                     f" ({total['share_in_gaps']:.0%})")  # a share would give it away
            sentence = (f"{label[0].upper()}{label[1:]}: {shown} of "
                        f"{float(total['need_total']):,.0f} people with a{_an(need)} "
                        f"{words} need{share} are in a gap")
            if need in reasons.index.get_level_values(0):
                cells = reasons.loc[need]["need_in_gaps"]
                said = [f"{int(v):,} {_WHY[str(r)]}" for r, v in cells.items()
                        if pd.notna(v) and v > 0]
                hidden = cells.isna().any()
                if said:
                    sentence += ": " + ", ".join(said)
                if hidden:
                    sentence += (", and some hidden to protect small numbers" if said
                                 else " (hidden to protect small numbers)")
            sentence += "."
            if need in parts.index.get_level_values(0):
                rows = parts.loc[need]
                rows = rows[rows.index.isin(list(commissioning - whole))
                            & rows["share_of_need"].notna()]
                if len(rows):
                    worst = rows["share_of_need"].idxmax()
                    sentence += (f" Worst off: {names.get(worst, worst)}, with "
                                 f"{rows.at[worst, 'share_of_need']:.0%} of its "
                                 f"residents' {words} need in gaps.")
            if lads is not None and need in lads.index.get_level_values(0):
                rows = lads.loc[need].dropna(subset=["need_in_gaps"])
                if len(rows):
                    most = rows["need_in_gaps"].astype(float).idxmax()
                    place = rows["lad_name"].get(most) if "lad_name" in rows else None
                    sentence += (f" Most are in {place or most} "
                                 f"({int(rows.at[most, 'need_in_gaps']):,}).")
            out.append(sentence)
        for need, rows in self.systemic.groupby("need", sort=False):
            label = self.attrs["provision"][need].replace("_", " ")
            by_band = rows.groupby("hour_band", sort=False)["client_group"].agg(list)
            when = "; ".join(f"{_BAND_WORDS.get(str(b), b)} for "
                             f"{_and([g.replace('_', ' ') for g in gs])}"
                             for b, gs in by_band.items())
            remote = sorted({s for t in rows["remote_services"] for s in t})
            support = (" Remote support: "
                       f"{_and([str(services.at[s, 'name']) for s in remote])}."
                       if remote else " No remote support either.")
            out.append(f"No in-person {label} anywhere in the map {when}.{support}")
        return out

    def explain(self, key: int, n: int = 5) -> pd.DataFrame:
        """Which services came closest to filling a gap, and why each did not count.

        Parameters
        ----------
        key : int
            A label of :attr:`table`'s index (the gap's number, 0 the most severe).
        n : int, default 5
            How many services to show, nearest first.

        Returns
        -------
        pandas.DataFrame
            Indexed by service: ``name``, ``cost`` and ``unit`` from the area (the
            straight line to its nearest site, its travel time, or ``none`` for
            outreach, phone and online reach), ``counts`` and ``why``: too far by how
            much, footprint, client group or ages, closed then, or capacity shared
            thin. ``attrs["headline"]`` says what the gap is in a sentence.

        Raises
        ------
        KeyError
            If ``key`` is not a label of :attr:`table`'s index.

        Examples
        --------
        >>> gaps = sm.find_gaps(sm.datasets.bedfordshire(), need="drug")
        >>> why = gaps.explain(0)
        >>> why.columns.tolist()
        ['name', 'cost', 'unit', 'counts', 'why']
        """
        return explain_gap(self, self.table.loc[self._check_key(key)], n)

    def plot(self, ax: Axes | None = None, *, need: str | None = None,
             **kwargs: Any) -> Axes:
        """Map people in need in gaps per area, hatched by the most fundamental reason.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Where to draw; a new figure if omitted.
        need : str, optional
            One need; by default all needs in the report (people with two needs
            count once for each).
        **kwargs
            Passed to :func:`servicemap.plotting.area_map` (``title``, ``cmap``...).

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> ax = sm.find_gaps(sm.datasets.bedfordshire(), need="drug").plot()
        >>> ax.get_title()
        'People with a drug need in gaps, by reason'
        """
        rows = self.table[self.table["counted"] > 0]
        needs = self.attrs["need"]
        if need is not None:
            if need not in needs:
                msg = (f"need={need!r}: this report assessed {', '.join(needs)}."
                       f"{did_you_mean(need, list(needs))}")
                raise ValueError(msg)
            rows = rows[rows["need"] == need]
        areas = self.areas
        severity = rows.groupby("code")["counted"].sum().reindex(areas.index)
        rank = rows["reason"].map(_RANK)
        first = rows.assign(rank=rank).sort_values("rank").drop_duplicates("code")
        reason = pd.Series(first["reason"].to_numpy(), index=first["code"].to_numpy())
        reason = pd.Categorical(reason.reindex(areas.index),
                                categories=[r for r in REASONS if r in set(reason)])
        label = need or (needs[0] if len(needs) == 1 else None)
        title = (f"People with a{'n' if (label or 'a')[0] in 'aeiou' else ''} "
                 f"{label} need in gaps, by reason" if label else
                 "People in need in gaps (all needs), by reason")
        kwargs = {"title": title, "label": "people in need in gaps",
                  "missing_label": "no gap", **kwargs}
        return area_map(areas, severity, ax=ax,
                        hatch=pd.Series(reason, index=areas.index), **kwargs)

    def __repr__(self) -> str:
        t = self.attrs.get("totals")
        people = float(t["need_in_gaps"].sum()) if t is not None else 0.0
        systemic = (f"; {plural(len(self.systemic), 'systemic gap')} (no in-person "
                    "service anywhere)" if len(self.systemic) else "")
        return (f"<GapReport: {len(self.table):,} gaps in "
                f"{self.table['code'].nunique():,} areas for "
                f"{', '.join(self.attrs.get('need', ())) or 'no need'}; "
                f"{people:,.0f} people in need in gaps{systemic}>")


#: Each reason as a phrase after a count of people.
_WHY = {"none": "where there is none in person at all",
        "unreachable": "beyond reach of any in person",
        "ineligible": "turned away by footprints",
        "client_group": "where none serves their age group",
        "out_of_hours": "with nothing open at some times of the week",
        "under_capacity": "where capacity is thinly shared",
        "pathway": "with no referral route from the entry point"}

_BAND_WORDS = {"weekday_daytime": "on weekdays", "weekday_evening": "on weekday evenings",
               "overnight": "overnight", "weekend": "at weekends"}


def _an(word: str) -> str:
    """Return "n" before a word that starts with a vowel ("an alcohol need")."""
    return "n" if word[:1].lower() in "aeiou" else ""


def _and(items: list[str]) -> str:
    """Join words as "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _covers_all(smap: ServiceMap, footprint: Any) -> bool:
    """Whether a partnership's footprint takes in every area of the map."""
    areas = smap._areas
    keys = {str(k) for k in footprint}
    inside = areas.index.isin(list(keys))
    for level in smap.parent_levels:
        inside |= areas[f"{level}_code"].isin(list(keys)).to_numpy()
    return bool(inside.all())


@dataclass
class _Need:
    """The matrices of one need that classify and explain its gaps."""

    need: str
    cols: np.ndarray          # positions of the in-person services providing for it
    remote_cols: np.ndarray   # positions of the remote services for the need (support)
    groups: list[str]
    bands: list[str]          # the bands named, or all four (scope says which count)
    scope: np.ndarray         # groups x bands: assessed per area
    member: np.ndarray        # services (cols) x groups: serves the group, ages allowed
    open_: np.ndarray         # services (cols) x bands: open in the band
    access: np.ndarray | None
    limit: float | None
    unit: str | None
    label: str
    remote_member: np.ndarray  # remote services x groups
    remote_open: np.ndarray    # remote services x bands


#: The bit of a row that stands for everyone with the need (need-wide reasons,
#: targeted groups): see :func:`_people`.
_WHOLE = 1 << len(CLIENT_GROUP_AGES)
_AGE_BIT = {g: 1 << k for k, g in enumerate(CLIENT_GROUP_AGES)}


def _bits(groups: Iterable[str]) -> int:
    """Return the age groups a row stands for, as bits; a targeted group is all."""
    out = 0
    for g in groups:
        out |= _AGE_BIT.get(g, _WHOLE)
    return out


def _capacity(smap: ServiceMap, need: str, keep: np.ndarray, unit: str | None,
              reach_kw: dict[str, Any], share: float, minimum: float | None,
              chosen: dict[str, Any], notes: list[str]) -> tuple[Any, Any, Any]:
    """Each area's 2SFCA access for a need, the threshold, and the unit used."""
    services = smap._services
    units = services["capacity_unit"].to_numpy(dtype=object)[keep]
    given = services["capacity"].notna().to_numpy()[keep]
    present = [u for u in smap.vocabulary.terms("capacity_unit")
               if u in set(units[given])]
    if not present:
        notes.append(f"{need}: under_capacity not assessed; no in-person service for it "
                     "gives a capacity.")
        return None, None, None
    if unit is None:
        counts = {u: int((units[given] == u).sum()) for u in present}
        unit = max(present, key=lambda u: counts[u])  # ties: vocabulary order
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ServiceMapWarning)  # said in the notes instead
        acc = accessibility(smap, need=need, capacity_unit=unit, **_given(chosen),
                            **reach_kw)
    left_out = {s: why for s, why in acc.attrs["excluded"].items()
                if keep[services.index.get_loc(s)]}
    if left_out:
        shown = ", ".join(f"{s} ({why})" for s, why in list(left_out.items())[:4])
        more = f" and {len(left_out) - 4} more" if len(left_out) > 4 else ""
        notes.append(f"{need}: capacity judged in {unit}; "
                     f"{plural(len(left_out), 'service')} left out of it: {shown}{more}.")
    limit = minimum if minimum is not None else share * acc.attrs["map_ratio"]
    return acc.table["access"].to_numpy(), float(limit), unit


def _scope(member: np.ndarray, open_: np.ndarray, all_groups: list[str],
           all_bands: list[str], given_groups: tuple[str, ...],
           given_bands: tuple[str, ...], need: str, provided: bool,
           notes: list[str]) -> tuple[list[int], np.ndarray, list[tuple[int, int]]]:
    """Return the groups assessed, (groups x bands) assessed per area, the systemic.

    ``member`` and ``open_`` are of the in-person services providing for the need.
    A band is assessed for a group where some such service serving the group is open
    in it somewhere; a (group, band) nobody provides anywhere is a systemic gap,
    unless the group and band were named.
    """
    if given_groups:
        g_pos = [all_groups.index(g) for g in given_groups]
    else:
        served = np.asarray(member.any(axis=0), dtype=bool)
        g_pos = [k for k, g in enumerate(all_groups)
                 if g in CLIENT_GROUP_AGES and served[k]]
        unserved = [g for k, g in enumerate(all_groups)
                    if g in CLIENT_GROUP_AGES and not served[k]]
        if unserved and provided:
            notes.append(f"{need}: no in-person service for it anywhere serves "
                         f"{', '.join(unserved)}; not assessed (name them with "
                         "client_group= to list every area).")
    b_pos = ([all_bands.index(b) for b in given_bands] if given_bands
             else list(range(len(all_bands))))
    provided_gb = (member[:, g_pos].T.astype(np.int64)
                   @ open_[:, b_pos].astype(np.int64)) > 0
    if given_bands:
        scope = np.ones((len(g_pos), len(b_pos)), dtype=bool)
        systemic: list[tuple[int, int]] = []
    else:
        scope = provided_gb
        systemic = [] if given_groups or not provided else [
            (i, j) for i, j in zip(*np.nonzero(~provided_gb), strict=True)
            if not any(~provided_gb[h, j] for h in _within(all_groups, g_pos, i))]
    return g_pos, scope, systemic


def _within(all_groups: list[str], g_pos: list[int], i: int) -> list[int]:
    """Return the assessed groups (indices into ``g_pos``) whose ages take in group i's."""
    ages = {g: (a, np.inf if b is None else b) for g, (a, b) in CLIENT_GROUP_AGES.items()}
    name = all_groups[g_pos[i]]
    if name not in ages:
        return []
    return [h for h, pos in enumerate(g_pos) if h != i and all_groups[pos] in ages
            and ages[all_groups[pos]][0] <= ages[name][0]
            and ages[all_groups[pos]][1] >= ages[name][1]]


def _classify(need: str, demand: np.ndarray, cols: np.ndarray, elig: Any, phys: Any,
              everywhere: np.ndarray, ctx: _Need, remote: tuple[Any, np.ndarray,
                                                                np.ndarray],
              unknown: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Gap rows (area position, group, band, reason, who) and the areas covered.

    ``who`` holds the age groups a row stands for as bits (:func:`_bits`).
    ``remote`` is (areas x remote services eligible, their groups, their bands).
    """
    n_areas = len(demand)
    has_need = demand > 0
    groups, bands, member, open_ = ctx.groups, ctx.bands, ctx.member, ctx.open_
    ng, nb = len(groups), len(bands)
    rows: dict[str, list[np.ndarray]] = {k: [] for k in (
        "area", "group", "band", "reason", "who", "remote", "hours_unknown")}
    r_elig, r_member, r_open = remote

    def remote_count(where: np.ndarray, gs: list[int], b: int | None) -> np.ndarray:
        """Remote services taking each area, serving any of ``gs``, open in ``b``."""
        ok = r_member[:, gs].any(axis=1) if gs else np.ones(r_member.shape[0], bool)
        if b is not None:
            ok = ok & r_open[:, b]
        return np.asarray(r_elig[where][:, ok].sum(axis=1)).ravel().astype(np.int64)

    def add(mask: np.ndarray, group: str, band: str, reason: str, gs: list[int],
            b: int | None = None, unknown_hours: np.ndarray | None = None, *,
            whole: bool = False) -> None:
        """Add rows; ``gs`` the groups they stand for, ``whole`` for everyone."""
        where = np.flatnonzero(mask & has_need)
        n = len(where)
        who = _WHOLE if whole or not gs else _bits(groups[g] for g in gs)
        rows["area"].append(where)
        rows["group"].append(np.full(n, group, dtype=object))
        rows["band"].append(np.full(n, band, dtype=object))
        rows["reason"].append(np.full(n, reason, dtype=object))
        rows["who"].append(np.full(n, who, dtype=np.int64))
        rows["remote"].append(remote_count(where, gs, b))
        rows["hours_unknown"].append(np.zeros(n, dtype=np.int64) if unknown_hours is None
                                     else unknown_hours[where].astype(np.int64))

    everyone = list(range(ng))
    if not len(cols):
        add(np.ones(n_areas, dtype=bool), ALL, ALL, "none", everyone, whole=True)
        covered = np.zeros(n_areas, dtype=bool)
    else:
        e = elig[:, cols]
        p = phys[:, cols]
        e_any = np.diff(e.indptr) > 0
        # services reaching by "none" reach every area, footprints aside
        p_any = (np.diff(p.indptr) > 0) | everywhere.any()
        add(~p_any, ALL, ALL, "unreachable", everyone, whole=True)
        add(p_any & ~e_any, ALL, ALL, "ineligible", everyone, whole=True)
        e_counts = e @ member.astype(np.int64) if ng else np.zeros((n_areas, 0))
        p_counts = (p @ member.astype(np.int64) + member[everywhere].sum(axis=0)
                    if ng else np.zeros((n_areas, 0)))
        served = e_counts > 0
        unserved = e_any[:, None] & ~served
        why = np.where(p_counts > 0, 1, 2)  # 1 ineligible, 2 client_group
        covered = e_any.copy()
        if ng:
            reason_of = np.where(unserved, why, 0)
            for mask, g, reason in _group_rows(reason_of, list(range(ng)), groups,
                                               {1: "ineligible", 2: "client_group"}):
                add(mask, ALL if g is None else groups[g], ALL, reason,
                    everyone if g is None else [g])
            covered &= served.all(axis=1)
        for b in range(nb):
            assessed = [g for g in range(ng) if ctx.scope[g, b]]
            if not assessed:
                continue
            both = member[:, assessed] & open_[:, [b]]
            e_open = (e @ both.astype(np.int64)) > 0
            e_unknown = e @ (member[:, assessed] & unknown[:, None]).astype(np.int64)
            shut = served[:, assessed] & ~e_open
            for mask, g, reason in _group_rows(shut.astype(np.int64), assessed, groups,
                                               {1: "out_of_hours"}):
                k = None if g is None else assessed.index(g)
                add(mask, ALL if g is None else groups[g], bands[b], reason,
                    assessed if g is None else [g], b,
                    e_unknown.max(axis=1) if k is None else e_unknown[:, k])
            covered &= ~shut.any(axis=1)
        if ctx.access is not None:
            thin = e_any & (ctx.access < ctx.limit)
            add(thin, ALL, ALL, "under_capacity", everyone, whole=True)
            covered &= ~thin
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out["area"] = out["area"].astype(np.int64)
    reaching = np.diff(elig[:, cols].indptr) if len(cols) else np.zeros(n_areas, int)
    out["services"] = reaching[out["area"]].astype(np.int64)
    out["need"] = np.full(len(out["area"]), need, dtype=object)
    return out, covered


def _group_rows(reason_of: np.ndarray, assessed: list[int], groups: list[str],
                reasons: dict[int, str]) -> list[tuple[np.ndarray, int | None, str]]:
    """Rows per group from (areas x assessed groups) reason codes (0 for none).

    A group whose ages lie inside another assessed group's with the same reason (older
    people in adults) is left to that group's row. Where the reason holds for every
    assessed group and more than one group remains, it is one row, ``None`` (all).
    """
    names = [groups[g] for g in assessed]
    ages = {g: (a, np.inf if b is None else b) for g, (a, b) in CLIENT_GROUP_AGES.items()}
    inside = {k: [h for h, other in enumerate(names) if other != name and name in ages
                  and other in ages and ages[other][0] <= ages[name][0]
                  and ages[other][1] >= ages[name][1]]
              for k, name in enumerate(names)}
    top = [k for k in range(len(names)) if not inside[k]]
    out: list[tuple[np.ndarray, int | None, str]] = []
    for code, reason in reasons.items():
        has = reason_of == code
        every = has.all(axis=1) if len(top) > 1 else np.zeros(len(has), dtype=bool)
        out.append((every, None, reason))
        for k, g in enumerate(assessed):
            left = has[:, k] & ~every
            for h in inside[k]:
                left &= ~has[:, h]
            out.append((left, g, reason))
    return out


def _pathway_rows(smap: ServiceMap, need: str, entries: tuple[str, ...],
                  rows: dict[str, np.ndarray], covered: np.ndarray, demand: np.ndarray,
                  reaching: np.ndarray, groups: list[str], status: tuple[str, ...],
                  chosen: dict[str, Any], unknown_hours: str, reach_kw: dict[str, Any],
                  ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Add ``pathway`` rows where a named entry leads to no service for the need.

    Each client group assessed is traced on its own (a person of that group); a group
    without a route is a row, and a row ``all`` where no group has one. Only areas
    some service for the need takes (``reaching`` > 0) can be pathway gaps:
    elsewhere a more fundamental reason holds.
    """
    rows = dict(rows)
    rows["entry"] = np.full(len(rows["area"]), None, dtype=object)
    open_to = (reaching > 0) & (demand > 0)

    def add(where: np.ndarray, group: str, entry: str) -> None:
        n = len(where)
        rows["area"] = np.concatenate([rows["area"], where])
        rows["services"] = np.concatenate([rows["services"], reaching[where]])
        for key, value in (("group", group), ("band", ALL), ("reason", "pathway"),
                           ("entry", entry), ("need", need)):
            rows[key] = np.concatenate([rows[key], np.full(n, value, dtype=object)])
        for key, number in (("who", _WHOLE if group == ALL else _bits([group])),
                            ("remote", 0), ("hours_unknown", 0)):
            rows[key] = np.concatenate([rows[key], np.full(n, number, dtype=np.int64)])

    for entry in entries:
        lost = {}
        traced: list[str | None] = list(groups) or [None]
        for group in traced:
            routes = trace_pathways(smap, entry=entry, need=need, client_group=group,
                                    status=status, unknown_hours=unknown_hours,
                                    **_given(chosen), **reach_kw)
            lost[group] = (routes.table["status"] == "no_route").to_numpy()
        every = np.logical_and.reduce(list(lost.values()))
        add(np.flatnonzero(every & open_to), ALL, entry)
        for group, none in lost.items():
            if group is not None and len(lost) > 1:
                add(np.flatnonzero(none & ~every & open_to), group, entry)
            covered = covered & ~none
    return rows, covered


def _people(areas: pd.DataFrame, demand: np.ndarray, area: np.ndarray,
            who: np.ndarray) -> tuple[np.ndarray, bool]:
    """People with the need that each (area, who) stands for; whether ages were used.

    ``who`` is bits of age groups (:func:`_bits`): the people are the need times the
    area's share of population in the union of the groups' ages, or the whole need
    for :data:`_WHOLE` or where the areas give no population by age.
    """
    out = demand[area].astype(float)
    used = False
    for bits in np.unique(who):
        if bits & _WHOLE:
            continue
        spans = [ages for g, ages in CLIENT_GROUP_AGES.items() if bits & _AGE_BIT[g]]
        share = age_share(areas, spans)
        if share is None:
            continue
        used = True
        pick = who == bits
        out[pick] = demand[area[pick]] * share[area[pick]]
    return out, used


def _assess(smap: ServiceMap, needs: list[str], keep_base: np.ndarray,
            given_groups: tuple[str, ...], given_bands: tuple[str, ...],
            unknown_hours: str, min_minutes: Any, capacity_unit: Any,
            capacity_share: float, min_access: Any, reach_kw: dict[str, Any],
            chosen: dict[str, Any], notes: list[str], entries: tuple[str, ...] = (),
            status: tuple[str, ...] = ACTIVE,
            ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, _Need], pd.DataFrame]:
    """Classify every area for every need at one threshold."""
    services = smap._services
    areas = smap._areas
    elig = reach_matrix(smap, **reach_kw).matrix
    phys = journey_reach(smap, **reach_kw).matrix
    no_journey = (services["reach"] == "none").to_numpy()
    person = in_person(smap)
    far = remote(smap)
    unknown = hours_unknown(services)
    all_groups = list(smap.vocabulary.terms("client_group"))
    all_bands = list(HOUR_BANDS)
    member_all = served_groups(services, all_groups)
    open_all = open_in_bands(services, all_bands, unknown_hours, min_minutes)
    parts, totals, context, systemic = [], [], {}, []
    for need in needs:
        demand = need_values(smap, need)
        chosen_need = provision(smap, need, **chosen)
        for note in chosen_need.notes:
            if note not in notes:
                notes.append(note)
        keep = keep_base & chosen_need.mask
        cols = np.flatnonzero(keep & person)
        # remote support: every remote service for the need, whatever it offers
        listed = (provision(smap, None, to=chosen["to"]).mask if chosen["to"] is not None
                  else lists_any(services["needs"], [need]))
        r_cols = np.flatnonzero(keep_base & listed & far)
        siteless = services.index[keep & ~person & ~far]
        if len(siteless):
            notes.append(f"{need}: {plural(len(siteless), 'service')} with no site "
                         f"({', '.join(siteless[:5])}{' ...' if len(siteless) > 5 else ''})"
                         " counted as neither reach nor remote support: give "
                         f"{'it' if len(siteless) == 1 else 'them'} a site to count.")
        g_pos, scope, sys_gb = _scope(member_all[cols], open_all[cols], all_groups,
                                      all_bands, given_groups, given_bands, need,
                                      bool(len(cols)), notes)
        b_pos = ([all_bands.index(b) for b in given_bands] if given_bands
                 else list(range(len(all_bands))))
        unit = (capacity_unit.get(need) if isinstance(capacity_unit, Mapping)
                else capacity_unit)
        minimum = min_access.get(need) if isinstance(min_access, Mapping) else min_access
        access, limit, unit = (_capacity(smap, need, keep & person, unit, reach_kw,
                                         capacity_share, minimum, chosen, notes)
                               if len(cols) else (None, None, None))
        groups = [all_groups[k] for k in g_pos]
        bands = [all_bands[k] for k in b_pos]
        g_idx, b_idx = np.asarray(g_pos, dtype=np.int64), np.asarray(b_pos, dtype=np.int64)
        ctx = _Need(need, cols, r_cols, groups, bands, scope,
                    member_all[np.ix_(cols, g_idx)], open_all[np.ix_(cols, b_idx)],
                    access, limit, unit, chosen_need.label,
                    member_all[np.ix_(r_cols, g_idx)], open_all[np.ix_(r_cols, b_idx)])
        support = ((elig[:, r_cols] > 0).astype(np.int64).tocsr(), ctx.remote_member,
                   ctx.remote_open)
        rows, covered = _classify(need, demand, cols, elig, phys, no_journey[cols],
                                  ctx, support, unknown[cols])
        if entries:
            reaching = (np.diff(elig[:, cols].indptr).astype(np.int64) if len(cols)
                        else np.zeros(len(demand), dtype=np.int64))
            rows, covered = _pathway_rows(smap, need, entries, rows, covered, demand,
                                          reaching, groups, status, chosen,
                                          unknown_hours, reach_kw)
        frame = pd.DataFrame(rows)
        frame["severity"], by_age = _people(areas, demand, frame["area"].to_numpy(),
                                            frame["who"].to_numpy())
        counted = _counted(frame, areas, demand)
        frame["counted"] = counted
        parts.append(frame)
        for i, j in sys_gb:
            share = age_share(areas, [CLIENT_GROUP_AGES[groups[i]]])
            people = float(demand.sum() if share is None else (demand * share).sum())
            r_ok = support[1][:, i] & support[2][:, j]
            systemic.append({"need": need, "client_group": groups[i],
                             "hour_band": bands[j], "people": people,
                             "remote": int(r_ok.sum()),
                             "remote_services": tuple(services.index[r_cols[r_ok]])})
        if (frame["who"] != _WHOLE).any() and not by_age and len(cols):
            notes.append(f"{need}: the areas give no population by age (pop_<lo>_<hi> "
                         "columns), so a client group's gap counts everyone with the "
                         "need there.")
        gap_areas = np.zeros(len(demand), dtype=bool)
        gap_areas[frame["area"].to_numpy()] = True
        totals.append({"need": need, "need_total": float(demand.sum()),
                       "need_in_gaps": float(counted.sum()),
                       "need_beside_gaps": float(demand[gap_areas].sum() - counted.sum()),
                       "need_covered": float(demand[covered].sum())})
        context[need] = ctx
    long = pd.concat(parts, ignore_index=True)
    frame = pd.DataFrame(totals, columns=["need", "need_total", "need_in_gaps",
                                          "need_beside_gaps", "need_covered"]
                         ).set_index("need")
    frame["share_in_gaps"] = frame["need_in_gaps"] / frame["need_total"]
    systemic_frame = pd.DataFrame(systemic, columns=[
        "need", "client_group", "hour_band", "people", "remote", "remote_services"])
    return long, frame, context, systemic_frame


def _given(options: dict[str, Any]) -> dict[str, Any]:
    """Return the options given (not None), to pass on."""
    return {k: v for k, v in options.items() if v is not None}


def _counted(frame: pd.DataFrame, areas: pd.DataFrame, demand: np.ndarray) -> np.ndarray:
    """People counted once per area, each under the most fundamental reason for them.

    The area's rows in order (reason, then client group and hour band): each row
    counts the people of its groups not counted on an earlier row, so the rows add up
    to the people of the union of the groups, each person once.
    """
    out = np.zeros(len(frame))
    if not len(frame):
        return out
    area = frame["area"].to_numpy()
    rank = frame["reason"].map(_RANK).to_numpy()
    group = pd.factorize(frame["group"], sort=True)[0]
    band = pd.factorize(frame["band"], sort=True)[0]
    order = np.lexsort((band, group, rank, area))
    who = frame["who"].to_numpy()[order]
    segment = np.cumsum(np.r_[True, area[order][1:] != area[order][:-1]]) - 1
    after = np.zeros(len(order), dtype=np.int64)
    for bit in (_WHOLE, *_AGE_BIT.values()):
        has = ((who & bit) > 0).astype(np.int64)
        running = np.cumsum(has)
        before_segment = (running - has)[np.searchsorted(segment, segment)]
        after |= np.where(running - before_segment > 0, bit, 0)
    first = np.r_[True, segment[1:] != segment[:-1]]
    before = np.where(first, 0, np.r_[0, after[:-1]])
    places = area[order]
    people_after, _ = _people(areas, demand, places, after)
    people_before, _ = _people(areas, demand, places, before)
    out[order] = people_after - np.where(before == 0, 0.0, people_before)
    return out


def _thresholds(max_distance: Any, max_minutes: Any) -> tuple[str | None, list[Any]]:
    """Return the threshold swept (its argument) and its values; [None] if none is."""
    swept = [(name, list(v)) for name, v in (("max_distance", max_distance),
                                             ("max_minutes", max_minutes))
             if v is not None and not np.isscalar(v)]
    if len(swept) > 1:
        msg = ("give a list for max_distance or for max_minutes, not both: the "
               "sensitivity moves one threshold at a time.")
        raise ValueError(msg)
    if swept:
        name, values = swept[0]
        if not values:
            msg = f"{name}=[]: give at least one threshold."
            raise ValueError(msg)
        return name, values
    return None, [None]


def find_gaps(
    smap: ServiceMap,
    *,
    need: str | Iterable[str] | None = None,
    client_group: str | Iterable[str] | None = None,
    hour_band: str | Iterable[str] | None = None,
    intervention: str | Iterable[str] | None = None,
    to: str | Iterable[str] | None = None,
    status: Iterable[str] = ACTIVE,
    unknown_hours: str = "daytime",
    min_minutes: int | None = None,
    capacity_share: float = 0.5,
    min_access: float | Mapping[str, float] | None = None,
    capacity_unit: str | Mapping[str, str] | None = None,
    max_distance: float | Sequence[float] | None = None,
    max_minutes: float | Sequence[float] | None = None,
    entry: str | Iterable[str] | None = None,
) -> GapReport:
    """Find every area, need, client group and hour band where provision falls short.

    Parameters
    ----------
    smap : ServiceMap
        The map.
    need : str or list of str, optional
        The needs to assess; by default every need with a ``need_<need>`` column in
        the areas (severity is people with the need).
    client_group : str or list of str, optional
        The client groups to assess; by default the age groups some service for the
        need serves (see the module notes).
    hour_band : str or list of str, optional
        The hour bands to assess; by default those in which some service for the
        need is open.
    status : iterable of str, default ("active",)
        The statuses of the services that count.
    intervention : str or list of str, optional
        What counts as provision: intervention terms, kinds such as
        ``"treatment"`` or ``"harm_reduction"``
        (:data:`~servicemap.vocab.INTERVENTION_KINDS`), or ``"any"`` for every
        service listing the need. By default each need's
        :data:`~servicemap.vocab.PROVISION` (treatment for drug and alcohol).
    to : str or list of str, optional
        The service ids that count as provision, instead.
    unknown_hours : {"daytime", "open", "closed"}, default "daytime"
        How a service with no opening hours counts in the hour bands: by default
        open on weekday daytimes only, and reported in ``hours_unknown`` out of
        hours.
    min_minutes : int, optional
        The minutes on one day that make a service open in a band; by default an
        hour (:data:`servicemap.hours.BAND_MINIMUM_MINUTES`).
    capacity_share : float, default 0.5
        An area is ``under_capacity`` when its 2SFCA access is below this share of
        the map-wide ratio of capacity to need.
    min_access : float or {need: float}, optional
        An absolute threshold instead: capacity per person in need.
    capacity_unit : str or {need: str}, optional
        The capacity unit of each need's 2SFCA; by default the unit most of its
        services give (the notes list services left out).
    max_distance, max_minutes : float or list of float, optional
        Replace every service's threshold (see :func:`~servicemap.reach_matrix`). A
        list of values gives :attr:`GapReport.sensitivity`; the table is for the
        first value.
    entry : str or list of str, optional
        Entry points, such as ``"prison_release"``: an area whose residents some
        service takes, but to which no chain of referrals leads from the entry
        (:func:`~servicemap.trace_pathways`), is
        a ``pathway`` gap, and the table gains an ``entry`` column. Each client
        group assessed is traced as a person of that group.

    Returns
    -------
    GapReport
        ``.table``, ``.summary()``, ``.totals()``, ``.explain(key)``, ``.plot()``,
        ``.sensitivity`` and ``.notes``.

    Raises
    ------
    ValueError
        For an unknown need, group, band or status, a need with no column in the
        areas, or a bad threshold.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> gaps = sm.find_gaps(smap, need="drug", max_distance=[8_000, 12_000])
    >>> gaps.table.columns.tolist()[:4]
    ['code', 'name', 'lad_code', 'lad_name']
    >>> s = gaps.sensitivity["unreachable"]  # wider reach, fewer out of reach
    >>> bool(s.loc[(8_000, "drug")] > s.loc[(12_000, "drug")])
    True
    """
    check_unknown_hours(unknown_hours)
    if not (np.isfinite(capacity_share) and capacity_share >= 0):
        msg = (f"capacity_share={capacity_share!r}: give a share of the map-wide ratio "
               "of 0 or more, such as 0.5.")
        raise ValueError(msg)
    needs = list(as_terms(smap, "need", need, "need"))
    notes: list[str] = []
    if not needs:
        needs = [n for n in smap.vocabulary.terms("need") if n in smap.need_columns]
        unmeasured = sorted(set(smap._services["needs"].explode().dropna())
                            - set(smap.need_columns))
        if unmeasured:
            notes.append(f"Not assessed, as the areas have no need column for them: "
                         f"{', '.join(unmeasured)} (add need_<need> columns of people "
                         "with the need).")
    else:
        for n in needs:
            need_column(smap, n)
    groups = as_terms(smap, "client_group", client_group, "client_group")
    bands = as_terms(smap, "hour_band", hour_band, "hour_band")
    entries = as_terms(smap, "entry_point", entry, "entry")
    keep = counted(smap, status=status)
    chosen = {"intervention": intervention, "to": to}
    name, values = _thresholds(max_distance, max_minutes)
    base = {"max_distance": max_distance, "max_minutes": max_minutes}
    sweeps = []
    first = None
    for value in values:
        reach_kw = dict(base, **({name: value} if name else {}))
        run_notes: list[str] = [] if first is not None else notes
        long, totals, context, systemic = _assess(
            smap, needs, keep, groups, bands, unknown_hours, min_minutes, capacity_unit,
            capacity_share, min_access, reach_kw, chosen, run_notes, entries,
            as_tuple(status))
        if first is None:
            first = (long, totals, context, systemic, reach_kw)
        if name:
            by_reason = (long.groupby(["need", "reason"])["counted"].sum()
                         .unstack("reason")
                         .reindex(index=totals.index, columns=list(REASONS))
                         .fillna(0.0))
            frame = totals.assign(**{name: value})
            frame["areas_in_gaps"] = (long.groupby("need")["area"].nunique()
                                      .reindex(frame.index).fillna(0).astype(int))
            frame = frame.join(by_reason)
            sweeps.append(frame.reset_index().set_index([name, "need"]))
    assert first is not None
    long, totals, context, systemic, reach_kw = first
    table, who = _table(smap, long)
    sensitivity = pd.concat(sweeps) if sweeps else None
    attrs = {"need": tuple(needs), "status": as_tuple(status), "entry": entries,
             "client_group": {n: c.groups for n, c in context.items()},
             "hour_band": {n: [b for k, b in enumerate(c.bands) if c.scope[:, k].any()]
                           for n, c in context.items()},
             "scope": {n: {g: [b for k, b in enumerate(c.bands) if c.scope[i, k]]
                           for i, g in enumerate(c.groups)} for n, c in context.items()},
             "unknown_hours": unknown_hours, "min_minutes": min_minutes,
             "intervention": intervention, "to": to,
             "provision": {n: c.label for n, c in context.items()},
             "capacity_unit": {n: c.unit for n, c in context.items()},
             "min_access": {n: c.limit for n, c in context.items()},
             "capacity_share": capacity_share if min_access is None else None,
             "max_distance": reach_kw["max_distance"],
             "max_minutes": reach_kw["max_minutes"],
             "totals": totals, "context": context}
    table.attrs.update({k: v for k, v in attrs.items() if k not in ("totals", "context")})
    if len(systemic):
        for need, rows in systemic.groupby("need", sort=False):
            said = "; ".join(f"{g}, {b}" for g, b in zip(rows["client_group"],
                                                          rows["hour_band"], strict=True))
            notes.append(f"{need}: no in-person service anywhere in the map for {said}: "
                         "systemic gaps, listed once in .systemic, not per area.")
    return GapReport(table=table, sensitivity=sensitivity, systemic=systemic,
                     _who=who, attrs=attrs, notes=list(notes), smap=smap)


def _table(smap: ServiceMap, long: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Build the ranked gap table with the areas' names, parents, IMD and people.

    Also returns the age groups each row stands for, as bits (:func:`_bits`).
    """
    areas = smap._areas
    long = long.assign(rank=long["reason"].map(_RANK))
    code_rank = np.empty(len(areas), dtype=np.int64)
    code_rank[np.argsort(areas.index.to_numpy(dtype=str), kind="stable")] = np.arange(
        len(areas))
    order = np.lexsort((pd.factorize(long["band"], sort=True)[0],
                        pd.factorize(long["group"], sort=True)[0],
                        long["rank"].to_numpy(),
                        pd.factorize(long["need"], sort=True)[0],
                        code_rank[long["area"].to_numpy()],
                        -long["severity"].to_numpy()))
    long = long.iloc[order]
    pos = long["area"].to_numpy()
    data: dict[str, Any] = {"code": _take(areas.index, pos),
                            "name": _take(areas["name"], pos)}
    for level in smap.parent_levels:
        for suffix in ("code", "name"):
            column = f"{level}_{suffix}"
            if column in areas.columns:
                data[column] = _take(areas[column], pos)
    for column in ("imd_decile", "population"):
        if column in areas.columns:
            data[column] = areas[column].to_numpy()[pos]
    cats = {"need": list(pd.unique(long["need"].to_numpy(dtype=object))),
            "reason": list(REASONS)}
    data["need"] = pd.Categorical(long["need"].to_numpy(dtype=object),
                                  categories=cats["need"])
    data["client_group"] = pd.Categorical(long["group"].to_numpy(dtype=object))
    data["hour_band"] = pd.Categorical(long["band"].to_numpy(dtype=object))
    data["reason"] = pd.Categorical(long["reason"].to_numpy(dtype=object),
                                    categories=cats["reason"])
    data["severity"] = long["severity"].to_numpy()
    data["counted"] = long["counted"].to_numpy()
    data["services"] = long["services"].to_numpy(dtype=np.int64)
    data["remote"] = long["remote"].to_numpy(dtype=np.int64)
    data["hours_unknown"] = long["hours_unknown"].to_numpy(dtype=np.int64)
    if "entry" in long.columns:
        data["entry"] = pd.Categorical(long["entry"].to_numpy(dtype=object))
    table = pd.DataFrame(data, index=pd.RangeIndex(len(long), name="gap"))
    return table, long["who"].to_numpy(dtype=np.int64)


def _take(values: Any, positions: np.ndarray) -> pd.Categorical:
    """Area attributes for each row, as a categorical (one string per area)."""
    codes, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    return pd.Categorical.from_codes(codes[positions], categories=uniques)

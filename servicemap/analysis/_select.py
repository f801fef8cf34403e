"""Which services count for an analysis: status, need, client group, age and hours.

Shared by the analyses so that every question applies eligibility the same way.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from servicemap.errors import did_you_mean, plural
from servicemap.hours import parse_hours
from servicemap.servicemap import ServiceMap
from servicemap.vocab import CLIENT_GROUP_AGES, INTERVENTION_KINDS, PROVISION

#: Statuses counted by default: services that are running now.
ACTIVE = ("active",)


def as_tuple(value: Any) -> tuple[Any, ...]:
    """Return a string or one value as a one-item tuple, any other iterable as a tuple."""
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Iterable):
        return (value,)
    return tuple(value)


def as_terms(smap: ServiceMap, category: str, value: Any, argument: str) -> tuple[str, ...]:
    """Check a term or list of terms against the map's vocabulary; raise with the fix."""
    values = as_tuple(value)
    vocab = smap.vocabulary
    for v in values:
        if vocab.match(category, v) != v:
            msg = f"{argument}={v!r}: {vocab.unknown_message(category, v)}"
            raise ValueError(msg)
    return values


def lists_any(lists: pd.Series, values: Iterable[Any]) -> np.ndarray:
    """Mask of the rows whose list (a tuple per row) holds any of ``values``."""
    listed = lists.reset_index(drop=True).explode().dropna()
    mask = np.zeros(len(lists), dtype=bool)
    mask[listed.index.to_numpy()[listed.isin(list(values)).to_numpy()]] = True
    return mask


def age_range(age: Any) -> tuple[float, float] | None:
    """``age=16`` or ``age=(16, 17)`` as (lowest, highest); None for no age filter."""
    if age is None:
        return None
    lo, hi = (age, age) if np.isscalar(age) else tuple(age)
    if not (0 <= lo <= hi):
        msg = f"age={age!r}: give an age or (lowest, highest) with 0 <= lowest <= highest."
        raise ValueError(msg)
    return float(lo), float(hi)


def service_ages(services: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each service's lowest and highest age (0 and infinity where not limited)."""
    lo = services["min_age"].to_numpy(dtype=float, na_value=0.0)
    hi = services["max_age"].to_numpy(dtype=float, na_value=np.inf)
    return lo, hi


def counted(smap: ServiceMap, *, status: Iterable[str] = ACTIVE,
            age: tuple[float, float] | None = None) -> np.ndarray:
    """Mask of the services with one of ``status`` whose ages take in all of ``age``."""
    services = smap._services
    statuses = as_tuple(status)
    for s in statuses:
        if smap.vocabulary.match("service_status", s) != s:
            msg = f"status={s!r}: {smap.vocabulary.unknown_message('service_status', s)}"
            raise ValueError(msg)
    keep = services["status"].isin(statuses).to_numpy(copy=True)
    if age is not None:
        lo, hi = service_ages(services)
        keep &= (lo <= age[0]) & (hi >= age[1])
    return keep


def group_age_ok(services: pd.DataFrame, groups: np.ndarray,
                 positions: np.ndarray) -> np.ndarray:
    """Whether each (service position, client group) pair's ages overlap the group's."""
    lo, hi = service_ages(services)
    named = pd.Series(groups, dtype=object)
    g_lo = named.map({g: a for g, (a, _) in CLIENT_GROUP_AGES.items()}).fillna(0.0)
    g_hi = named.map({g: np.inf if b is None else b
                      for g, (_, b) in CLIENT_GROUP_AGES.items()}).fillna(np.inf)
    return ((lo[positions] <= g_hi.to_numpy(dtype=float))
            & (hi[positions] >= g_lo.to_numpy(dtype=float)))


def need_column(smap: ServiceMap, need: str) -> str:
    """Return the areas' column of a need; raise listing the need columns there are."""
    columns = smap.need_columns
    if need not in columns:
        there = ", ".join(columns.values()) or "none"
        msg = (f"need={need!r}: the areas have no column need_{need} to take demand "
               f"from (need columns: {there}).{did_you_mean(need, list(columns))} Add "
               f"a need_{need} column of people with the need to the areas.")
        raise ValueError(msg)
    return columns[need]


def need_values(smap: ServiceMap, need: str) -> np.ndarray:
    """Return the people with a need per area, in area order; raise if any is empty."""
    column = need_column(smap, need)
    areas = smap._areas
    values = areas[column].to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(values).any():
        missing = areas.index[np.isnan(values)]
        msg = (f"areas column {column!r} is empty for {plural(len(missing), 'area')} "
               f"({', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}). Fill "
               "them in (0 where nobody has the need).")
        raise ValueError(msg)
    return values


def listing(lists: pd.Series, terms: Iterable[str]) -> np.ndarray:
    """Boolean (rows x terms) matrix: whether each row's tuple lists each term."""
    terms = list(terms)
    listed = lists.reset_index(drop=True).explode().dropna()
    col = pd.Index(terms).get_indexer(listed.to_numpy(dtype=object))
    ok = col >= 0
    out = np.zeros((len(lists), len(terms)), dtype=bool)
    out[listed.index.to_numpy()[ok], col[ok]] = True
    return out


def served_groups(services: pd.DataFrame, groups: Iterable[str]) -> np.ndarray:
    """Boolean (services x groups): whether each service serves each client group.

    A service serves a group it lists when its ages overlap the group's. It serves an
    age group (:data:`~servicemap.vocab.CLIENT_GROUP_AGES`) it does not list when it
    lists another age group and its ages take in all of this one's: an 18+ adult
    service serves older people, family hubs for 0-19 serve young people. A service
    that gives no ages takes those of the age groups it lists (an adult service with
    no ages is 18+). Targeted groups (``women``, ``people_leaving_prison``...) are
    served only where listed.
    """
    groups = list(groups)
    member = listing(services["client_groups"], groups)
    rows, cols = np.nonzero(member)
    ok = group_age_ok(services, np.asarray(groups, dtype=object)[cols], rows)
    member[rows[~ok], cols[~ok]] = False
    ages = listing(services["client_groups"], list(CLIENT_GROUP_AGES))
    lists_age_group = ages.any(axis=1)
    # a service's ages; where it gives none, those of the age groups it lists
    g_lo = np.array([a for a, _ in CLIENT_GROUP_AGES.values()], dtype=float)
    g_hi = np.array([np.inf if b is None else b for _, b in CLIENT_GROUP_AGES.values()])
    hull_lo = np.where(ages, g_lo, np.inf).min(axis=1, initial=np.inf)
    hull_hi = np.where(ages, g_hi, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(services["min_age"].isna().to_numpy(), hull_lo,
                  services["min_age"].to_numpy(dtype=float, na_value=0.0))
    hi = np.where(services["max_age"].isna().to_numpy(), hull_hi,
                  services["max_age"].to_numpy(dtype=float, na_value=np.inf))
    for k, group in enumerate(groups):
        if group in CLIENT_GROUP_AGES:
            youngest, oldest = CLIENT_GROUP_AGES[group]
            covers = (lo <= youngest) & (hi >= (np.inf if oldest is None else oldest))
            member[:, k] |= lists_age_group & covers
    return member


def _with_sites(smap: ServiceMap, modes: list[str]) -> np.ndarray:
    """Mask of the services with a site of one of ``modes``."""
    sites = smap._sites
    present = sites.loc[np.isin(sites["mode"].to_numpy(dtype=object), modes), "services"]
    return smap._services.index.isin(list(set(present.explode().dropna())))


def in_person(smap: ServiceMap) -> np.ndarray:
    """Mask of the services people can reach in person: a site in person or outreach.

    The others never make an area reachable, open in an hour band or supplied with
    capacity: a remote service (:func:`remote`) is support, not reach, and a service
    with no site (such as a placement out of the area) has no place to reach.
    """
    return _with_sites(smap, ["in_person", "outreach"])


def remote(smap: ServiceMap) -> np.ndarray:
    """Mask of the remote services: phone or online sites, and none in person."""
    return _with_sites(smap, ["phone", "online"]) & ~in_person(smap)


@dataclass(frozen=True)
class Provision:
    """The services that count as provision for a question, and how to say it."""

    mask: np.ndarray
    label: str
    interventions: tuple[str, ...]
    notes: tuple[str, ...] = ()


def intervention_terms(smap: ServiceMap, intervention: Any) -> tuple[str, ...] | None:
    """Expand ``intervention=``: terms and kinds (``"treatment"``); None for ``"any"``."""
    values = as_tuple(intervention)
    if "any" in values:
        if len(values) > 1:
            msg = (f"intervention={intervention!r}: 'any' counts every service for the "
                   "need; give it alone.")
            raise ValueError(msg)
        return None
    terms: list[str] = []
    vocab = smap.vocabulary
    for v in values:
        if v in INTERVENTION_KINDS:
            terms.extend(INTERVENTION_KINDS[v])
        elif vocab.match("intervention", v) == v:
            terms.append(v)
        else:
            kinds = ", ".join(repr(k) for k in INTERVENTION_KINDS)
            known = [*INTERVENTION_KINDS, "any", *vocab.terms("intervention")]
            msg = (f"intervention={v!r}: neither a kind of intervention ({kinds}), "
                   "'any' (every service for the need) nor an intervention term "
                   f"(smap.vocabulary.terms('intervention')).{did_you_mean(v, known)}")
            raise ValueError(msg)
    return tuple(dict.fromkeys(terms))


def provision(smap: ServiceMap, need: str | None, *, intervention: Any = None,
              to: Any = None) -> Provision:
    """Return the services that count as provision: for a need, by intervention, or to.

    ``to`` names the services outright (service ids). Otherwise the services that list
    the need count, narrowed by ``intervention`` (terms, kinds such as
    ``"treatment"``, or ``"any"``). Without ``intervention``, a need with a default
    in :data:`~servicemap.vocab.PROVISION` counts the services offering one of its
    kinds, and those listing no intervention of a known kind (said in the notes).
    """
    services = smap._services
    notes: list[str] = []
    kinds: tuple[str, ...] = ()
    if intervention is None and to is None and need in PROVISION:
        kinds = PROVISION[need]
        terms: tuple[str, ...] | None = tuple(
            t for k in kinds for t in INTERVENTION_KINDS[k])
    elif intervention is None:
        terms = None
    else:
        terms = intervention_terms(smap, intervention)
    if to is not None:
        ids = as_tuple(to)
        missing = [s for s in ids if s not in services.index]
        if missing:
            msg = (f"to={missing[0]!r}: no such service."
                   f"{did_you_mean(missing[0], services.index)} Give service ids "
                   "(smap.services.index), or need= for the services meeting a need.")
            raise ValueError(msg)
        mask = services.index.isin(ids)
        label = ", ".join(str(services.at[i, "name"]) for i in ids)
    elif need is None:
        msg = ("give to= (the service ids that count) or need= (the services meeting "
               "the need count), such as need='drug'.")
        raise ValueError(msg)
    else:
        mask = lists_any(services["needs"], [need])
        label = f"{need} treatment" if kinds == ("treatment",) else f"{need} services"
    if terms is not None:
        offers = lists_any(services["interventions"], terms)
        if kinds:
            known = {t for ts in INTERVENTION_KINDS.values() for t in ts}
            unsorted = mask & ~lists_any(services["interventions"], known)
            if unsorted.any():
                names = list(services.index[unsorted])
                notes.append(
                    f"{plural(len(names), 'service')} for {need} "
                    f"list{'s' if len(names) == 1 else ''} no intervention of a known "
                    f"kind ({', '.join(names[:5])}{' ...' if len(names) > 5 else ''}): "
                    f"counted as {need} {' or '.join(kinds)}. List their interventions "
                    "to tell treatment from the rest.")
            offers |= unsorted
        else:
            shown = [smap.vocabulary.label("intervention", t).lower() for t in terms]
            label += (f" offering {', '.join(shown[:-1])}{' or ' if shown[:-1] else ''}"
                      f"{shown[-1]}") if shown else ""
        mask = mask & offers
    return Provision(np.asarray(mask, dtype=bool), label, terms or (), tuple(notes))


#: How a service without opening hours counts in the hour bands: ``"daytime"`` open
#: on weekdays in the daytime and in no out-of-hours band (where it is reported as
#: unknown), ``"open"`` in every band, ``"closed"`` in none.
UNKNOWN_HOURS = ("daytime", "open", "closed")


def check_unknown_hours(unknown_hours: str) -> str:
    """Check ``unknown_hours=``; raise naming the choices."""
    if unknown_hours not in UNKNOWN_HOURS:
        msg = (f"unknown_hours={unknown_hours!r}: choose 'daytime' (open weekday "
               "daytime only, the default), 'open' or 'closed'.")
        raise ValueError(msg)
    return unknown_hours


def hours_unknown(services: pd.DataFrame) -> np.ndarray:
    """Mask of the services with no opening hours."""
    return services["hours"].isna().to_numpy()


def open_in_bands(services: pd.DataFrame, bands: Iterable[str],
                  unknown_hours: str = "daytime",
                  min_minutes: Any = None) -> np.ndarray:
    """Boolean (services x bands): open for a meaningful part of each band.

    The rule is :meth:`servicemap.hours.OpeningHours.open_in_band`'s (``min_minutes``
    passed on). A service without opening hours counts as :data:`UNKNOWN_HOURS` says.
    Each distinct hours text is parsed once.
    """
    bands = list(bands)
    check_unknown_hours(unknown_hours)
    codes, texts = pd.factorize(services["hours"], use_na_sentinel=True)
    unknown = [unknown_hours == "open"
               or (unknown_hours == "daytime" and b == "weekday_daytime") for b in bands]
    flags = np.array([[parse_hours(t).open_in_band(min_minutes=min_minutes)[b]
                       for b in bands] for t in texts] + [unknown], dtype=bool)
    return flags.reshape(len(texts) + 1, len(bands))[codes]  # -1 = no hours: last row


def area_partnerships(smap: ServiceMap) -> pd.DataFrame:
    """Each area's partnerships (footprint by its code or a parent's), long, by code."""
    areas = smap._areas
    codes = pd.DataFrame({"code": areas.index.to_numpy()})
    for level in smap.parent_levels:
        codes[level] = areas[f"{level}_code"].to_numpy()
    long = codes.melt(id_vars="code", value_name="footprint")[["code", "footprint"]]
    long = pd.concat([long, pd.DataFrame({"code": codes["code"],
                                          "footprint": codes["code"]})])
    parts = smap._partnerships["footprint"].explode().dropna()
    parts = pd.DataFrame({"partnership": parts.index, "footprint": parts.to_numpy()})
    joined = long.merge(parts, on="footprint")[["code", "partnership"]]
    return joined.drop_duplicates().set_index("code")


_AGE_COLUMN = re.compile(r"^pop_(\d+)_(\d+|plus)$")

#: The oldest age taken for an open age column such as ``pop_60_plus``.
OLDEST_AGE = 90


def age_columns(areas: pd.DataFrame) -> list[tuple[int, int, str]]:
    """Return the population-by-age columns as (lowest, highest, column), youngest first.

    Columns are named ``pop_<lowest>_<highest>`` or ``pop_<lowest>_plus`` (taken to
    :data:`OLDEST_AGE`), in whole years, both ends included.
    """
    found = []
    for column in areas.columns:
        m = _AGE_COLUMN.match(str(column))
        if m:
            hi = OLDEST_AGE if m.group(2) == "plus" else int(m.group(2))
            found.append((int(m.group(1)), hi, str(column)))
    return sorted(found)


def age_share(areas: pd.DataFrame, spans: Iterable[tuple[float, float | None]]
              ) -> np.ndarray | None:
    """Each area's share of its people in the union of age spans; None without ages.

    The age columns must cover every age once, from 0 to an open ``pop_<lo>_plus``;
    otherwise there are no ages to share by (None).

    Each age column's people are spread evenly over its years (whole years, both ends
    included; an open column to :data:`OLDEST_AGE`). A span ``(lowest, None)`` has no
    upper age.
    """
    bands = age_columns(areas)
    every_age = (bool(bands) and bands[0][0] == 0 and bands[-1][1] == OLDEST_AGE
                 and all(b[0] == a[1] + 1 for a, b in itertools.pairwise(bands)))
    if not every_age:
        return None
    merged: list[list[float]] = []
    for lo, hi in sorted((float(a), OLDEST_AGE if b is None else float(b))
                         for a, b in spans):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    people = np.column_stack([areas[c].to_numpy(dtype=float, na_value=0.0)
                              for _, _, c in bands])
    weight = np.zeros(len(bands))
    for k, (b_lo, b_hi, _) in enumerate(bands):
        years = sum(max(0.0, min(hi, b_hi) - max(lo, b_lo) + 1) for lo, hi in merged)
        weight[k] = years / (b_hi - b_lo + 1)
    total = people.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, people @ weight / total, 0.0)
    return np.asarray(share, dtype=float)

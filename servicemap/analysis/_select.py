"""Which services count for an analysis: status, need, client group, age and hours.

Shared by the analyses so that every question applies eligibility the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from servicemap.errors import did_you_mean, plural
from servicemap.hours import parse_hours
from servicemap.servicemap import ServiceMap
from servicemap.vocab import CLIENT_GROUP_AGES

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
    """Boolean (services x groups): lists the group, with ages overlapping the group's."""
    groups = list(groups)
    member = listing(services["client_groups"], groups)
    rows, cols = np.nonzero(member)
    ok = group_age_ok(services, np.asarray(groups, dtype=object)[cols], rows)
    member[rows[~ok], cols[~ok]] = False
    return member


def open_in_bands(services: pd.DataFrame, bands: Iterable[str],
                  unknown_hours: str) -> np.ndarray:
    """Boolean (services x bands): open at some time in the band.

    A service without opening hours is open in every band with ``unknown_hours="open"``
    and in none with ``"closed"``. Each distinct hours text is parsed once.
    """
    bands = list(bands)
    codes, texts = pd.factorize(services["hours"], use_na_sentinel=True)
    flags = np.array([[parse_hours(t).open_in_band()[b] for b in bands] for t in texts]
                     + [[unknown_hours == "open"] * len(bands)], dtype=bool)
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

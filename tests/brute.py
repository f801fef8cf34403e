"""Brute-force second methods: the reach matrix by sjoin, and the gap table by loops.

Nothing here reuses the library's array cores: reach is a geopandas sjoin with the
footprints checked area by area, and the gaps of :func:`brute_force_gaps` are worked
out with plain Python loops over areas and services, straight from the definitions
(provision by kind of intervention, in person or remote, age groups served by ages,
hour bands read minute by minute, people of a group from the age columns, 2SFCA by
sums). The only library calls are :func:`servicemap.hours.parse_hours` (its
intervals) and :func:`servicemap.geography.area_points` (the point an area is measured
from).
"""

import math
import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from servicemap.geography import area_points
from servicemap.hours import parse_hours
from servicemap.vocab import INTERVENTION_KINDS, PROVISION

#: Site modes people travel to (or that travel from a base): the points reach is from.
TRAVEL_MODES = ("in_person", "outreach")


def brute_force_pairs(smap, *, footprints=True, max_distance=None, max_minutes=None):
    """(area, service) -> cost of every reached pair, by sjoin and footprint loops.

    Distance services: sjoin(dwithin) of area points and located in-person or
    outreach sites, the nearest site within the service's max_distance (or
    ``max_distance``); minutes services: the least time in the travel-time table to
    one of their in-person or outreach sites, within max_minutes (or ``max_minutes``);
    reach none: every area of the footprint. The footprint is checked area by area
    against the area code and its parents; ``footprints=False`` ignores it (every
    reach-none service then reaches every area).
    """
    areas, services = smap.areas, smap.services
    x, y, _ = area_points(areas)
    points = gpd.GeoDataFrame({"area": areas.index}, geometry=shapely.points(x, y),
                              crs=27700)
    sites = smap.sites
    sites = sites[sites["mode"].isin(TRAVEL_MODES)]
    sites = sites.explode("services").rename(columns={"services": "service"})
    sites = sites[sites["service"].isin(services.index)]
    sites = sites.join(services[["reach", "max_distance", "max_minutes"]], on="service")
    if max_distance is not None:
        sites["max_distance"] = float(max_distance)
    if max_minutes is not None:
        sites["max_minutes"] = float(max_minutes)
    located = sites[sites.geometry.notna() & ~sites.geometry.is_empty
                    & (sites["reach"] == "distance")]
    located = located.reset_index(drop=True)
    columns = ["area", "service", "cost"]
    if len(located):
        pairs = gpd.sjoin(points, located[["service", "max_distance", "geometry"]],
                          predicate="dwithin",
                          distance=float(located["max_distance"].max()))
        pairs["cost"] = shapely.distance(points.geometry.values[pairs.index],
                                         located.geometry.values[pairs["index_right"]])
        pairs = pairs[pairs["cost"] <= pairs["max_distance"]]
        found = pairs.groupby(["area", "service"])["cost"].min().reset_index()
    else:
        found = pd.DataFrame(columns=columns)
    # minutes: the least time to one of the service's sites, row by row
    timed = {}
    by_site = {}
    for sid_site, row in sites[sites["reach"] == "minutes"].iterrows():
        by_site.setdefault(sid_site, []).append((row["service"], row["max_minutes"]))
    for area, site_id, minutes in smap.travel_times[["area", "site", "minutes"]].itertuples(
            index=False):
        for sid, limit in by_site.get(site_id, ()):
            if minutes <= limit and minutes < timed.get((area, sid), math.inf):
                timed[(area, sid)] = float(minutes)
    if timed:
        rows = [(a, s, c) for (a, s), c in timed.items()]
        found = pd.concat([found, pd.DataFrame(rows, columns=columns)])
    levels = [c for c in areas.columns if c.endswith("_code")]
    codes = {area: {area, *(c for c in row if isinstance(c, str))}
             for area, row in zip(areas.index, areas[levels].itertuples(index=False),
                                  strict=True)}
    foot = {sid: set(fp) if footprints else set()
            for sid, fp in services["footprint"].items()}

    def eligible(area, sid):
        return not foot[sid] or bool(codes[area] & foot[sid])

    found = found[[eligible(a, s) for a, s in zip(found.area, found.service,
                                                  strict=True)]]
    rows = [(a, sid, 0.0) for sid in services.index[services["reach"] == "none"]
            for a in areas.index if eligible(a, sid)]
    expected = pd.concat([found, pd.DataFrame(rows, columns=columns)])
    expected["cost"] = expected["cost"].astype(float)
    return expected.set_index(["area", "service"])["cost"].sort_index()


# -- the gap table, by loops ------------------------------------------------------------
AGE_GROUPS = {"children": (0, 12), "young_people": (11, 17), "adults": (18, None),
              "older_people": (65, None)}
OLDEST = 90  # an open age band ("pop_60_plus", "adults") is taken to age 90
REASON_ORDER = ("none", "unreachable", "ineligible", "client_group", "out_of_hours",
                "under_capacity", "pathway")
BANDS = ("weekday_daytime", "weekday_evening", "overnight", "weekend")
#: Each band's window as (days, first minute of the day, end minute): Monday is day 0.
BAND_WINDOWS = {
    "weekday_daytime": ((0, 1, 2, 3, 4), 8 * 60, 18 * 60),
    "weekday_evening": ((0, 1, 2, 3, 4), 18 * 60, 22 * 60),
    "overnight": ((0, 1, 2, 3, 4, 5, 6), 0, 6 * 60),  # each night's core, 00:00-06:00
    "weekend": ((5, 6), 8 * 60, 22 * 60),
}
WEEK_MINUTES = 7 * 24 * 60


@dataclass
class BruteGaps:
    """The brute force's answer: the gap rows, and the systemic gaps."""

    table: pd.DataFrame
    systemic: pd.DataFrame


def as_list(value):
    """None -> [], a string -> [it], any other iterable -> a list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def brute_open_in_bands(hours, *, unknown_hours="daytime", min_minutes=60):
    """{band: open} for hours text, counting the open minutes of each day one by one.

    No hours (None): ``unknown_hours`` "daytime" opens weekday daytime only, "open"
    every band, "closed" none.
    """
    if hours is None or (not isinstance(hours, str) and pd.isna(hours)):
        return {b: unknown_hours == "open"
                or (unknown_hours == "daytime" and b == "weekday_daytime")
                for b in BANDS}
    is_open = [False] * WEEK_MINUTES
    for start, end in parse_hours(hours).intervals:
        for minute in range(start, end):
            is_open[minute % WEEK_MINUTES] = True
    out = {}
    for band, (days, first, end) in BAND_WINDOWS.items():
        out[band] = False
        for day in days:
            n = 0
            for minute in range(day * 1440 + first, day * 1440 + end):
                if is_open[minute]:
                    n += 1
            if n >= min_minutes:
                out[band] = True
    return out


def _ages(row):
    """A service's (lowest, highest) age: 0 and infinity where not given."""
    lo = 0.0 if pd.isna(row["min_age"]) else float(row["min_age"])
    hi = math.inf if pd.isna(row["max_age"]) else float(row["max_age"])
    return lo, hi


def brute_serves(row, group):
    """Whether a service (a row of smap.services) serves a client group.

    Listed with overlapping ages; or, for an age group, listing another age group
    with ages taking in all of this one. A targeted group only where listed.
    """
    lo, hi = _ages(row)
    listed = set(row["client_groups"])
    if group in listed:
        if group not in AGE_GROUPS:
            return True
        g_lo, g_hi = AGE_GROUPS[group]
        g_hi = math.inf if g_hi is None else g_hi
        return lo <= g_hi and hi >= g_lo
    if group in AGE_GROUPS and listed & set(AGE_GROUPS):
        g_lo, g_hi = AGE_GROUPS[group]
        g_hi = math.inf if g_hi is None else g_hi
        return lo <= g_lo and hi >= g_hi
    return False


def age_columns(areas):
    """[(column, first year, last year)] of the areas' pop_<lo>_<hi> / pop_<lo>_plus."""
    out = []
    for column in areas.columns:
        m = re.fullmatch(r"pop_(\d+)_(\d+|plus)", column)
        if m:
            lo = int(m.group(1))
            hi = OLDEST if m.group(2) == "plus" else int(m.group(2))
            out.append((column, lo, hi))
    return out


def group_years(groups):
    """The whole years of a set of groups; None when one has no ages (targeted)."""
    years = set()
    for g in groups:
        if g not in AGE_GROUPS:
            return None
        lo, hi = AGE_GROUPS[g]
        years |= set(range(lo, (OLDEST if hi is None else hi) + 1))
    return years


def age_share(area_row, columns, years):
    """The share of an area's people (by age) in ``years``; 1 for None or no columns."""
    if years is None or not columns:
        return 1.0
    people = total = 0.0
    for column, lo, hi in columns:
        value = float(area_row[column])
        total += value
        for year in range(lo, hi + 1):
            if year in years:
                people += value / (hi - lo + 1)
    return people / total if total > 0 else 1.0


def brute_provision(smap, need, *, intervention=None, to=None):
    """Service ids that count as provision for a need (status aside)."""
    services = smap.services
    if to is not None:
        base = [s for s in services.index if s in set(as_list(to))]
    else:
        base = [s for s in services.index if need in services.at[s, "needs"]]
    wanted = as_list(intervention)
    if not wanted and to is None and need in PROVISION:
        terms = {t for kind in PROVISION[need] for t in INTERVENTION_KINDS[kind]}
        known = {t for ts in INTERVENTION_KINDS.values() for t in ts}
        return {s for s in base
                if set(services.at[s, "interventions"]) & terms
                or not set(services.at[s, "interventions"]) & known}
    if not wanted or wanted == ["any"]:
        return set(base)
    terms = set()
    for w in wanted:
        terms |= set(INTERVENTION_KINDS.get(w, (w,)))
    return {s for s in base if set(services.at[s, "interventions"]) & terms}


def brute_in_person(smap):
    """Service ids with an in-person or outreach site."""
    ids = set()
    for services, mode in zip(smap.sites["services"], smap.sites["mode"], strict=True):
        if mode in TRAVEL_MODES:
            ids |= set(services)
    return ids


def brute_capacity(smap, need_of, ip, reach, *, capacity_unit=None, share=0.5):
    """({area: 2SFCA access}, threshold, unit) over the in-person provision, or None.

    The unit is the one most in-person provision services with a capacity give (ties
    in vocabulary order); services in other units or without capacity are left out.
    Ratio of a service = capacity / need of the areas it takes; access of an area =
    the ratios of the services taking it; threshold = share x capacity / need.
    """
    services = smap.services
    given = [s for s in ip if not pd.isna(services.at[s, "capacity"])
             and services.at[s, "capacity_unit"] is not None]
    if not given:
        return None
    if capacity_unit is None:
        counts = {}
        for s in given:
            counts[services.at[s, "capacity_unit"]] = counts.get(
                services.at[s, "capacity_unit"], 0) + 1
        order = list(smap.vocabulary.terms("capacity_unit"))
        capacity_unit = sorted(counts, key=lambda u: (-counts[u], order.index(u)))[0]
    supply = [s for s in given if services.at[s, "capacity_unit"] == capacity_unit]
    ratio = {}
    for s in supply:
        demand = sum(need_of[a] for a in need_of if s in reach[a])
        ratio[s] = float(services.at[s, "capacity"]) / demand if demand > 0 else 0.0
    access = {a: sum(ratio[s] for s in supply if s in reach[a]) for a in need_of}
    total_need = sum(need_of.values())
    capacity = sum(float(services.at[s, "capacity"]) for s in supply)
    limit = share * capacity / total_need if total_need > 0 else math.inf
    return access, limit, capacity_unit


def brute_force_gaps(smap, *, need=None, client_group=None, hour_band=None,
                     intervention=None, to=None, status=("active",),
                     unknown_hours="daytime", min_minutes=60, capacity_share=0.5,
                     capacity_unit=None, max_distance=None, max_minutes=None):
    """Every gap row and systemic gap of ``find_gaps``, by loops over areas and services.

    Returns a :class:`BruteGaps`: ``table`` with columns code, need, client_group,
    hour_band, reason, severity, counted, services, remote, hours_unknown (in no
    particular order), and ``systemic`` with need, client_group, hour_band, people,
    remote. Pathway gaps (``entry=``) are not worked out.
    """
    areas, services = smap.areas, smap.services
    needs = as_list(need) or [n for n in smap.vocabulary.terms("need")
                              if f"need_{n}" in areas.columns]
    named_groups, named_bands = as_list(client_group), as_list(hour_band)
    statuses = set(as_list(status))
    counted_ids = {s for s in services.index if services.at[s, "status"] in statuses}
    in_person = brute_in_person(smap)
    by_phone = {s for services_, mode in zip(smap.sites["services"], smap.sites["mode"],
                                             strict=True)
                if mode in ("phone", "online") for s in services_}
    reach, journey = {a: set() for a in areas.index}, {a: set() for a in areas.index}
    kw = {"max_distance": max_distance, "max_minutes": max_minutes}
    for a, s in brute_force_pairs(smap, **kw).index:
        reach[a].add(s)
    for a, s in brute_force_pairs(smap, footprints=False, **kw).index:
        journey[a].add(s)
    opens = {s: brute_open_in_bands(services.at[s, "hours"], unknown_hours=unknown_hours,
                                    min_minutes=min_minutes) for s in services.index}
    no_hours = {s for s in services.index if services.at[s, "hours"] is None
                or pd.isna(services.at[s, "hours"])}
    rows_of = {s: services.loc[s].to_dict() for s in services.index}

    def serves(s, g):
        return brute_serves(rows_of[s], g)

    columns = age_columns(areas)
    area_rows = {a: areas.loc[a].to_dict() for a in areas.index}
    table, systemic = [], []
    for n in needs:
        need_of = {a: float(areas.at[a, f"need_{n}"]) for a in areas.index}
        provision = brute_provision(smap, n, intervention=intervention, to=to)
        ip = [s for s in services.index if s in provision and s in counted_ids
              and s in in_person]
        listing = (set(as_list(to)) if to is not None else
                   {s for s in services.index if n in services.at[s, "needs"]})
        remote = [s for s in services.index if s in listing and s in counted_ids
                  and s in by_phone and s not in in_person]
        groups = named_groups or [g for g in AGE_GROUPS if any(serves(s, g) for s in ip)]
        bands_for = {g: named_bands or [b for b in BANDS
                                        if any(serves(s, g) and opens[s][b] for s in ip)]
                     for g in groups}
        groups_in = {b: [g for g in groups if b in bands_for[g]] for b in BANDS}
        def wider(g, among):
            """Groups among ``among`` whose ages take in all of g's (adults for 65+)."""
            if g not in AGE_GROUPS:
                return []
            return [h for h in among if h != g and h in AGE_GROUPS
                    and group_years([h]) >= group_years([g])]

        def top(among):
            return [g for g in among if not wider(g, among)]

        if not named_groups and not named_bands:
            for g in groups:
                for b in BANDS:
                    if b in bands_for[g]:
                        continue
                    if any(b not in bands_for[h] for h in wider(g, groups)):
                        continue  # the wider group's systemic row stands for it
                    people = sum(need_of[a] * age_share(area_rows[a], columns,
                                                        group_years([g]))
                                 for a in areas.index)
                    systemic.append({
                        "need": n, "client_group": g, "hour_band": b, "people": people,
                        "remote": sum(1 for s in remote if serves(s, g) and opens[s][b])})
        capacity = (brute_capacity(smap, need_of, ip, reach, capacity_unit=capacity_unit,
                                   share=capacity_share) if ip else None)
        for a in areas.index:
            if need_of[a] <= 0:
                continue
            eligible = [s for s in ip if s in reach[a]]
            physical = [s for s in ip if s in journey[a]]
            found = []  # (reason, client_group, hour_band, groups it stands for)
            if not ip:
                found.append(("none", "all", "all", None))
            elif not physical:
                found.append(("unreachable", "all", "all", None))
            elif not eligible:
                found.append(("ineligible", "all", "all", None))
            else:
                per_group, late = {}, {b: [] for b in BANDS}
                for g in groups:
                    if not any(serves(s, g) for s in eligible):
                        per_group[g] = ("ineligible" if any(serves(s, g) for s in physical)
                                        else "client_group")
                        continue
                    for b in bands_for[g]:
                        if not any(serves(s, g) and opens[s][b] for s in eligible):
                            late[b].append(g)
                for reason in ("ineligible", "client_group"):
                    gs = [g for g in groups if per_group.get(g) == reason]
                    if len(top(groups)) > 1 and len(gs) == len(groups):
                        found.append((reason, "all", "all", gs))
                    else:
                        found += [(reason, g, "all", [g]) for g in gs
                                  if not any(h in gs for h in wider(g, groups))]
                for b in BANDS:
                    gs = late[b]
                    if len(top(groups_in[b])) > 1 and len(gs) == len(groups_in[b]):
                        found.append(("out_of_hours", "all", b, gs))
                    else:
                        found += [("out_of_hours", g, b, [g]) for g in gs
                                  if not any(h in gs for h in wider(g, groups_in[b]))]
                if capacity is not None and capacity[0][a] < capacity[1]:
                    found.append(("under_capacity", "all", "all", None))
            if not found:
                continue
            # counted: each person once, under the most fundamental reason for them:
            # in order of reason, group and band, a row counts the people of its
            # groups not counted on an earlier row
            counted_of, so_far = {}, set()
            for row in sorted(found, key=lambda r: (REASON_ORDER.index(r[0]), r[1], r[2])):
                years = None if row[3] is None else group_years(row[3])
                after = None if so_far is None or years is None else so_far | years
                people_after = need_of[a] * age_share(area_rows[a], columns, after)
                people_before = (0.0 if so_far == set() else
                                 need_of[a] * age_share(area_rows[a], columns, so_far))
                counted_of[id(row)] = people_after - people_before
                so_far = after
            taking = [s for s in remote if s in reach[a]]
            for row in found:
                reason, g, b, gs = row
                who = groups if gs is None else gs
                rem = [s for s in taking if (not who or any(serves(s, x) for x in who))
                       and (b == "all" or opens[s][b])]
                unknown = ([s for s in eligible if s in no_hours
                            and any(serves(s, x) for x in gs)]
                           if reason == "out_of_hours" else [])
                years = None if gs is None else group_years(gs)
                table.append({
                    "code": a, "need": n, "client_group": g, "hour_band": b,
                    "reason": reason,
                    "severity": need_of[a] * age_share(area_rows[a], columns, years),
                    "counted": counted_of[id(row)],
                    "services": len(eligible), "remote": len(rem),
                    "hours_unknown": len(unknown)})
    keys = ["code", "need", "client_group", "hour_band", "reason", "severity", "counted",
            "services", "remote", "hours_unknown"]
    return BruteGaps(pd.DataFrame(table, columns=keys),
                     pd.DataFrame(systemic, columns=["need", "client_group", "hour_band",
                                                     "people", "remote"]))

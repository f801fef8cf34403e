"""Checks across the records of a map, behind :meth:`ServiceMap.validate`.

Each check returns :class:`~servicemap.errors.Problem` records and changes nothing.
Every problem carries a code of :data:`~servicemap.errors.PROBLEM_CODES`, and where it
points at another table, that table and id (``ref_table``, ``ref_id``).
Checks whose cost grows with areas or sites use spatial indexes and arrays.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from servicemap.errors import Problem, did_you_mean, plural
from servicemap.vocab import CLIENT_GROUP_AGES as _GROUP_AGES

if TYPE_CHECKING:
    from servicemap.servicemap import ServiceMap

#: A site further than this from every area is taken for a wrong location (metres).
FAR_OUTSIDE = 50_000.0
#: How many example rows a warning about many areas names.
EXAMPLES = 5


def cross_record_problems(smap: ServiceMap) -> list[Problem]:
    """Return every problem between the records of a map (errors and warnings).

    Rows are named as the map was built from them (a position, or an Excel row).
    """
    problems = [
        *_references(smap),
        *_footprints(smap),
        *_service_sites(smap),
        *_sites_outside(smap),
        *_pathways(smap),
        *_ages(smap),
        *_areas(smap),
    ]
    return [replace(p, row=smap.row_label(p.table, p.id)) if p.id is not None else p
            for p in problems]


def missing_reference_message(value: str, target: str, known: Iterable[str]) -> str:
    """Say that ``value`` is not in table ``target``, with the closest of ``known``.

    Examples
    --------
    >>> missing_reference_message("HUBB", "services", ["HUB", "OUT"])
    "is not in table 'services'. Did you mean 'HUB'? Add it to 'services' or correct the id."
    """
    return (f"is not in table '{target}'.{did_you_mean(value, known)} "
            f"Add it to '{target}' or correct the id.")


def _missing_ref(table: str, row: str, field: str, value: str, target: str,
                 known: set[str]) -> Problem:
    return Problem(table, row, field, value,
                   missing_reference_message(value, target, known), id=row,
                   code="unknown_reference", ref_table=target, ref_id=value)


def _references(smap: ServiceMap) -> list[Problem]:
    orgs = set(smap._organisations.index)
    partnerships = set(smap._partnerships.index)
    services = set(smap._services.index)
    out = []
    for sid, provider, commissioners in zip(
            smap._services.index, smap._services["provider"],
            smap._services["commissioners"], strict=True):
        if provider not in orgs:
            out.append(_missing_ref("services", sid, "provider", provider,
                                    "organisations", orgs))
        for c in commissioners:
            if c not in orgs and c not in partnerships:
                out.append(Problem(
                    "services", sid, "commissioners", c,
                    "is neither in table 'organisations' nor in 'partnerships'."
                    f"{did_you_mean(c, orgs | partnerships)} Add it or correct the id.",
                    id=sid, code="unknown_reference", ref_table="organisations",
                    ref_id=c))
    for pid, members in smap._partnerships["members"].items():
        for m in members:
            if m not in orgs:
                out.append(_missing_ref("partnerships", pid, "members", m,
                                        "organisations", orgs))
        if not members:
            out.append(Problem("partnerships", pid, "members", None,
                               "is empty: a partnership without members cannot be "
                               "compared or merged. List its organisations.",
                               severity="warning", id=pid, code="missing_value"))
    for site_id, site_services in smap._sites["services"].items():
        for s in site_services:
            if s not in services:
                out.append(_missing_ref("sites", site_id, "services", s, "services",
                                        services))
    return out


def _footprints(smap: ServiceMap) -> list[Problem]:
    codes = smap.footprint_codes()
    out = []
    for table, frame in (("services", smap._services),
                         ("partnerships", smap._partnerships)):
        for rid, footprint in frame["footprint"].items():
            for code in footprint:
                if code not in codes:
                    alike = [c for c in codes if c[:3] == code[:3]] or codes
                    levels = ", ".join(["area codes", *(
                        f"{lv} codes" for lv in smap.parent_levels)])
                    out.append(Problem(
                        table, rid, "footprint", code,
                        f"is not an area or a parent area of this map.{did_you_mean(code, alike)} "
                        f"A footprint names {levels}.", id=rid,
                        code="unknown_reference", ref_table="areas", ref_id=code))
    return out


def _service_sites(smap: ServiceMap) -> list[Problem]:
    sites = smap._sites
    exploded = sites["services"].explode().dropna()
    has_site = set(exploded)
    located = (sites.geometry.notna() & ~sites.geometry.is_empty
               & sites["mode"].isin(("in_person", "outreach")))
    has_located = set(sites.loc[located, "services"].explode().dropna())
    timed_sites = sites.index.isin(smap._travel_times["site"].unique())
    timed = set(sites.loc[timed_sites, "services"].explode().dropna())
    out = []
    for sid, reach in smap._services["reach"].items():
        if reach == "none":
            continue
        if reach == "minutes" and not len(smap._travel_times):
            out.append(Problem(
                "services", sid, "reach", reach,
                "is by minutes, but the map has no travel-time table. Pass "
                "travel_times= (columns area, site, minutes) to ServiceMap.from_frames, "
                "or give max_distance instead.", id=sid, code="no_travel_times",
                ref_table="travel_times"))
        elif reach == "minutes" and sid not in timed:
            out.append(Problem(
                "services", sid, "reach", reach,
                "is by minutes, but none of this service's sites is in the travel-time "
                "table, so it reaches no area. Add its sites' travel times.",
                severity="warning", id=sid, code="no_travel_times",
                ref_table="travel_times"))
        if sid not in has_site:
            out.append(Problem(
                "services", sid, "reach", reach,
                "needs a site to measure from, but no site in table 'sites' lists this "
                "service. Add a site, or set reach to 'none' for an outreach, phone or "
                "online service.", id=sid, code="no_site", ref_table="sites"))
        elif sid not in has_located:
            out.append(Problem(
                "services", sid, "reach", reach,
                "needs a located in-person or outreach site, but every site of this "
                "service is phone or online. Give a site with easting and northing, or "
                "set reach to 'none'.", id=sid, code="no_site", ref_table="sites"))
    return out


def _sites_outside(smap: ServiceMap) -> list[Problem]:
    sites = smap._sites
    located = sites.geometry.notna() & ~sites.geometry.is_empty
    if not located.any() or smap._areas.empty:
        return []
    points = sites.geometry[located]
    tree = smap._areas.sindex
    inside = np.zeros(len(points), dtype=bool)
    hit, _ = tree.query(points.values, predicate="intersects")
    inside[hit] = True
    if inside.all():
        return []
    outside = points[~inside]
    (which, _), dist = tree.nearest(outside.values, return_all=False,
                                    return_distance=True)
    dist = dict(zip(outside.index[which], dist, strict=True))
    out = []
    for site_id, d in dist.items():
        pt = outside[site_id]
        at = f"at easting {pt.x:,.0f}, northing {pt.y:,.0f}"
        if d > FAR_OUTSIDE:
            out.append(Problem(
                "sites", site_id, "location", None,
                f"{at} is {d / 1000:,.0f} km from the nearest area, too far to serve it. "
                "Check the coordinates: a digit missing, easting and northing swapped, or "
                "lon and lat in the wrong columns?", id=site_id, code="outside_areas",
                ref_table="areas"))
        else:
            out.append(Problem(
                "sites", site_id, "location", None,
                f"{at} is outside every area of the map ({d / 1000:,.1f} km from the "
                "nearest). It still serves areas within reach; if it should be inside, "
                "check its coordinates.", severity="warning", id=site_id,
                code="outside_areas", ref_table="areas"))
    return out


def _pathways(smap: ServiceMap) -> list[Problem]:
    pw = smap._pathways
    services = set(smap._services.index)
    status = smap._services["status"]
    out = []
    for pid, source, target in zip(pw.index, pw["from_service"], pw["to_service"],
                                   strict=True):
        for field, sid in (("from_service", source), ("to_service", target)):
            if sid is not None and sid not in services:
                out.append(_missing_ref("pathways", pid, field, sid, "services",
                                        services))
        if source is not None and source == target:
            out.append(Problem("pathways", pid, "to_service", target,
                               "is also the service referring: the route loops on "
                               "itself. Correct from_service or to_service.",
                               severity="warning", id=pid, code="self_reference",
                               ref_table="services", ref_id=target))
        if target in services and status[target] in {"paused", "decommissioned"}:
            out.append(Problem("pathways", pid, "to_service", target,
                               f"is {status[target]}, so this route leads nowhere now. "
                               "Point it at a running service or remove it.",
                               severity="warning", id=pid, code="inactive_target",
                               ref_table="services", ref_id=target))
    if len(pw):
        source = pw["from_service"].fillna(pw["from_entry"])
        key = list(zip(source, pw["to_service"], pw["kind"], strict=True))
        seen: dict[tuple, str] = {}
        for pid, k in zip(pw.index, key, strict=True):
            if k in seen:
                out.append(Problem("pathways", pid, "to_service", k[1],
                                   f"repeats pathway {seen[k]!r} (same source, target "
                                   "and kind). Merge the two rows.",
                                   severity="warning", id=pid, code="duplicate_row",
                                   ref_table="pathways", ref_id=seen[k]))
            else:
                seen[k] = pid
    return out


def _ages(smap: ServiceMap) -> list[Problem]:
    out = []
    services = smap._services
    for sid, groups, lo, hi in zip(services.index, services["client_groups"],
                                   services["min_age"], services["max_age"], strict=True):
        lo = None if pd.isna(lo) else int(lo)
        hi = None if pd.isna(hi) else int(hi)
        for g in groups:
            if g not in _GROUP_AGES:
                continue
            g_lo, g_hi = _GROUP_AGES[g]
            if (lo is not None and g_hi is not None and lo > g_hi) or (
                    hi is not None and hi < g_lo):
                span = f"{g_lo}-{g_hi}" if g_hi is not None else f"{g_lo}+"
                out.append(Problem(
                    "services", sid, "client_groups", g,
                    f"is aged about {span}, outside the service's ages "
                    f"{lo if lo is not None else 0}-{hi if hi is not None else ''}. "
                    "Correct the ages or the client group.", severity="warning", id=sid,
                    code="age_mismatch"))
    return out


def _examples(index: np.ndarray | list) -> str:
    shown = ", ".join(map(str, list(index)[:EXAMPLES]))
    more = len(index) - EXAMPLES
    return shown + (f" and {more} more" if more > 0 else "")


def _areas(smap: ServiceMap) -> list[Problem]:
    areas = smap._areas
    out = []
    codes = areas.index.to_series()
    not_gss = codes[~codes.str.fullmatch(r"[EWSNKLM]\d{8}")]
    if len(not_gss):
        out.append(Problem(
            "areas", None, "code", None,
            f"{plural(len(not_gss), 'code is', 'codes are')} not in the ONS/NRS GSS form "
            f"(such as E01017453): {_examples(not_gss.index)}. They work, but cannot be "
            "joined to official statistics.", severity="warning", code="not_gss"))
    for level in smap.parent_levels:
        missing = areas.index[areas[f"{level}_code"].isna()]
        if len(missing):
            out.append(Problem(
                "areas", None, f"{level}_code", None,
                f"is empty for {plural(len(missing), 'area')} ({_examples(missing)}); they belong "
                f"to no {level} and footprints naming a {level} leave them out.",
                severity="warning", code="missing_parent"))
    if "centroid_easting" in areas:
        given = areas["centroid_easting"].notna().to_numpy()
        away = np.zeros(len(areas))
        points = shapely.points(areas["centroid_easting"].to_numpy()[given],
                                areas["centroid_northing"].to_numpy()[given])
        away[given] = shapely.distance(np.asarray(areas.geometry.values)[given], points)
        outside = areas.index[away > 0]
        if len(outside):
            out.append(Problem(
                "areas", None, "centroid_easting", None,
                f"puts the centroid outside its own area for "
                f"{plural(len(outside), 'area')} ({_examples(outside)}; up to "
                f"{away.max():,.0f} m away). Distances are measured from it as given; "
                "check the eastings and northings, or that they are in EPSG:27700.",
                severity="warning", code="centroid_outside"))
    if "population" not in areas:
        out.append(Problem(
            "areas", None, "population", None,
            "is missing: without a population column, analyses can count areas but not "
            "people. Add the residents of each area.", severity="warning",
            code="missing_column"))
    else:
        pop = areas["population"]
        for need, col in smap.need_columns.items():
            over = areas.index[areas[col] > pop]
            if len(over):
                out.append(Problem(
                    "areas", None, col, None,
                    f"is above the population in {plural(len(over), 'area')} "
                    f"({_examples(over)}). Check the {need} indicator's units: it "
                    "counts people.", severity="warning", code="exceeds_population"))
        groups = [c for c in areas.columns if c.startswith("pop_")]
        if groups:
            over = areas.index[areas[groups].sum(axis=1) > pop * 1.001 + 0.5]
            if len(over):
                out.append(Problem(
                    "areas", None, "population", None,
                    f"is below the sum of the pop_ columns in {plural(len(over), 'area')} "
                    f"({_examples(over)}). Check that the groups do not overlap.",
                    severity="warning", code="exceeds_population"))
    return out

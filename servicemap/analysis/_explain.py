"""Why a gap is a gap: the services that came closest, and what stopped each."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from servicemap.analysis._select import open_in_bands, served_groups
from servicemap.errors import plural
from servicemap.geography import (
    TRAVEL_MODES,
    area_points,
    footprint_keys,
    in_sorted,
    journey_reach,
    reach_matrix,
)

ALL = "all"

_SENTENCES = {
    "none": "no in-person {provision} anywhere in the map",
    "unreachable": "no in-person {provision} reaches the area",
    "ineligible": ("{provision} reaches the area, but the footprints turn its residents "
                   "away"),
    "client_group": "{provision} reaches the area, but none for {group}",
    "out_of_hours": "{group} are served, but not in the {band} band",
    "under_capacity": ("its access is {access:.3g} {unit} per person in need, below the "
                       "threshold of {limit:.3g}"),
    "pathway": ("no chain of referrals from {entry} leads to a service for it that "
                "takes the area's residents (sm.trace_pathways(smap, entry={entry!r}, "
                "need={need!r}{extra}).explain({code!r}) shows where the referrals "
                "stop)"),
}


def _costs(smap: Any, area: int, cols: np.ndarray, units: np.ndarray) -> np.ndarray:
    """Cost from the area to each service: straight line, travel time or 0 by unit."""
    services, sites = smap._services, smap._sites
    out = np.full(len(cols), np.nan)
    out[units == "none"] = 0.0
    x, y, _ = area_points(smap._areas.iloc[[area]])
    geom = np.asarray(sites.geometry.values)
    located = (~(shapely.is_missing(geom) | shapely.is_empty(geom))
               & sites["mode"].isin(TRAVEL_MODES).to_numpy())
    listed = sites["services"].explode().dropna()
    ids = services.index.to_numpy(dtype=object)[cols]
    times = smap._travel_times
    code = smap._areas.index[area]
    for k, sid in enumerate(ids):
        site_ids = listed.index[listed.to_numpy() == sid]
        if units[k] == "metres":
            pos = sites.index.get_indexer(site_ids)
            pts = geom[pos[located[pos]]]
            if len(pts):
                out[k] = float(np.hypot(shapely.get_x(pts) - x[0],
                                        shapely.get_y(pts) - y[0]).min())
        elif units[k] == "minutes" and times is not None:
            hit = times[(times["area"] == code) & times["site"].isin(site_ids)]
            if len(hit):
                out[k] = float(hit["minutes"].min())
    return out


def reach_reasons(smap: Any, area: int, cols: np.ndarray, reach_kw: dict[str, Any],
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Cost from the area to each service, its unit, and why it does not reach ("")."""
    services = smap._services
    elig = reach_matrix(smap, **reach_kw)
    phys = journey_reach(smap, **reach_kw)
    reached = ((phys.matrix[[area]][:, cols].toarray().ravel() > 0)
               | (services["reach"].to_numpy()[cols] == "none"))
    eligible = elig.matrix[[area]][:, cols].toarray().ravel() > 0
    units = phys.unit.to_numpy(dtype=object)[cols]
    cost = _costs(smap, area, cols, units)
    radius = services["max_distance"].to_numpy(dtype=float, na_value=np.nan)[cols]
    limit_min = services["max_minutes"].to_numpy(dtype=float, na_value=np.nan)[cols]
    if reach_kw["max_distance"] is not None:
        radius = np.full(len(cols), reach_kw["max_distance"])
    if reach_kw["max_minutes"] is not None:
        limit_min = np.full(len(cols), reach_kw["max_minutes"])
    whys = []
    for k, j in enumerate(cols):
        why = ""
        if not reached[k]:
            if units[k] == "metres":
                why = ("no site to measure from" if np.isnan(cost[k]) else
                       f"too far: {cost[k] / 1000:.1f} km, "
                       f"{(cost[k] - radius[k]) / 1000:.1f} km beyond its "
                       f"{radius[k] / 1000:g} km")
            elif units[k] == "minutes":
                why = ("no travel time recorded from here" if np.isnan(cost[k])
                       else f"too far: {cost[k]:.0f} min, "
                            f"{cost[k] - limit_min[k]:.0f} beyond its "
                            f"{limit_min[k]:g} min")
        elif not eligible[k]:
            fp = ", ".join(services["footprint"].iloc[j])
            why = f"its footprint ({fp}) does not take in this area"
        whys.append(why)
    return cost, units, whys


#: The name explain_route calls.
_reach_reasons = reach_reasons


def _closed(band: str, hours: Any, policy: str) -> str:
    """Say why a service does not count in a band: its hours, or hours not known."""
    if isinstance(hours, str):
        return f"closed {band}: open {hours}"
    if policy == "closed":
        return (f"closed {band}: no opening hours given, and unknown hours count as "
                "closed")
    return f"opening hours not known, so not counted {band}"


def _takes(smap: Any, area: int, cols: np.ndarray) -> np.ndarray:
    """Whether each service's footprint takes the area's residents (reach aside)."""
    keys, restricted = footprint_keys(smap)
    n = len(smap._services)
    wanted = area * n + np.asarray(cols, dtype=np.int64)
    return ~restricted[cols] | in_sorted(wanted, keys)


def explain_gap(report: Any, row: pd.Series, n: int) -> pd.DataFrame:
    """List the services for a gap's need, the decisive first, with why each did not count.

    The decisive service is the in-person one that comes closest: serving the row's
    client group and taking the area's residents (for a footprint gap, reaching the
    area but turning them away), with the fewest reasons not to count, nearest
    first. What stops it is the gap. The other in-person services follow in that
    order; remote services come last, as support, never as reach.
    """
    smap = report.smap
    need = str(row["need"])
    ctx = report.attrs["context"][need]
    reach_kw = {"max_distance": report.attrs["max_distance"],
                "max_minutes": report.attrs["max_minutes"]}
    area = smap._areas.index.get_loc(row["code"])
    group, band = row["client_group"], row["hour_band"]
    unit_name = ctx.unit or ""
    access = ctx.access[area] if ctx.access is not None else np.nan
    what = (f"{row['code']} ({row['name']}), {need}, "
            f"{'every client group' if group == ALL else group}, "
            f"{'all hours' if band == ALL else band}: {row['reason']}; "
            + _SENTENCES[str(row["reason"])].format(
                group=group, band=band, access=access, unit=unit_name,
                entry=row.get("entry"), need=need, code=row["code"],
                provision=ctx.label,
                extra="".join(
                    f", {k}={v!r}" for k, v in (
                        ("client_group", None if group == ALL else group),
                        ("max_distance", reach_kw["max_distance"]),
                        ("max_minutes", reach_kw["max_minutes"]),
                        ("status", None if report.attrs["status"] == ("active",)
                         else list(report.attrs["status"])))
                    if v is not None),
                limit=ctx.limit if ctx.limit is not None else np.nan)
            + f" ({row['severity']:,.1f} people with the need).")
    columns = ["name", "cost", "unit", "counts", "why"]
    cols = ctx.cols
    services = smap._services
    remote = _remote_rows(services, ctx, area, smap, reach_kw, group, band)
    if not len(cols):
        out = pd.concat([pd.DataFrame(columns=columns,
                                      index=pd.Index([], name="service")), remote])
        out.attrs["headline"] = what + _remote_sentence(remote)
        return out
    elig = reach_matrix(smap, **reach_kw)
    cost, units, reach_why = reach_reasons(smap, area, cols, reach_kw)
    nearest = _costs(smap, area, cols, np.full(len(cols), "metres", dtype=object))
    g = ctx.groups.index(group) if group in ctx.groups else None
    b = ctx.bands.index(band) if band in ctx.bands else None
    demand = smap._areas[smap.need_columns[need]].to_numpy(dtype=float)
    takes = _takes(smap, area, cols)
    reached = ((journey_reach(smap, **reach_kw).matrix[[area]][:, cols].toarray().ravel()
                > 0) | (services["reach"].to_numpy()[cols] == "none"))
    whys, counts, usable, failed = [], [], [], []
    for k, j in enumerate(cols):
        why = [reach_why[k]] if reach_why[k] else []
        serves = g is None or bool(ctx.member[k, g])
        if not serves:
            lo, hi = services["min_age"].iloc[j], services["max_age"].iloc[j]
            ages = ("" if pd.isna(lo) and pd.isna(hi) else
                    f", ages {'' if pd.isna(lo) else int(lo)}-"
                    f"{'' if pd.isna(hi) else int(hi)}")
            why.append(f"not for {group}: for "
                       f"{', '.join(services['client_groups'].iloc[j]) or 'no group'}"
                       f"{ages}")
        if b is not None and not ctx.open_[k, b]:
            why.append(_closed(band, services["hours"].iloc[j],
                               report.attrs["unknown_hours"]))
        ok = not why
        if ok and str(row["reason"]) == "under_capacity":
            cap = services["capacity"].iloc[j]
            if pd.isna(cap):
                why.append("counts, but gives no capacity")
            elif services["capacity_unit"].iloc[j] != ctx.unit:
                why.append(f"counts, but its capacity is in "
                           f"{services['capacity_unit'].iloc[j]}, not {unit_name}")
            else:
                served = float(demand[elig.matrix[:, [j]].toarray().ravel() > 0].sum())
                why.append(f"counts; its {cap:g} {unit_name} are shared among "
                           f"{served:,.0f} people with the need within its reach")
        whys.append("; ".join(why) if why else "counts")
        counts.append(ok)
        failed.append(len(why))
        # what stops the decisive service is the gap: for a footprint gap, one that
        # reaches but turns the residents away; otherwise one open to them
        usable.append(serves and (bool(reached[k] and not takes[k])
                                  if str(row["reason"]) == "ineligible" else
                                  bool(takes[k])))
    out = pd.DataFrame({"name": services["name"].to_numpy(dtype=object)[cols],
                        "cost": cost, "unit": units, "counts": counts, "why": whys},
                       index=pd.Index(services.index[cols], name="service"))
    # the decisive first: counting, then open to these residents, then nearest
    order = np.lexsort((np.nan_to_num(nearest, nan=np.inf), np.asarray(failed),
                        ~np.asarray(usable), ~np.asarray(counts)))
    out = out.iloc[order]
    first = out.iloc[0]
    lead = (f" Decisive: {first['name']} ({out.index[0]})"
            + (f", {nearest[order[0]] / 1000:.1f} km to its nearest site"
               if np.isfinite(nearest[order[0]]) else "")
            + f": {first['why']}.")
    out = pd.concat([out.head(n), remote])
    out.attrs["headline"] = what + lead + _remote_sentence(remote)
    return out


def _remote_rows(services: pd.DataFrame, ctx: Any, area: int, smap: Any,
                 reach_kw: dict[str, Any], group: str, band: str) -> pd.DataFrame:
    """Rows for the remote services that take the area's residents, for the row."""
    cols = ctx.remote_cols
    if len(cols):
        elig = reach_matrix(smap, **reach_kw).matrix
        ok = elig[[area]][:, cols].toarray().ravel() > 0
        g = ctx.groups.index(group) if group in ctx.groups else None
        if g is not None:
            ok &= ctx.remote_member[:, g]
        elif ctx.groups:
            ok &= ctx.remote_member.any(axis=1)
        if band in ctx.bands:
            ok &= ctx.remote_open[:, ctx.bands.index(band)]
        cols = cols[ok]
    return pd.DataFrame({"name": services["name"].to_numpy(dtype=object)[cols],
                         "cost": np.full(len(cols), np.nan),
                         "unit": np.full(len(cols), "remote", dtype=object),
                         "counts": np.zeros(len(cols), dtype=bool),
                         "why": np.full(len(cols), "remote (phone or online): support, "
                                        "not reach", dtype=object)},
                        index=pd.Index(services.index[cols], name="service"))


def _remote_sentence(remote: pd.DataFrame) -> str:
    """Say what remote support the residents have, if any."""
    if not len(remote):
        return ""
    return (f" Remote support there: {', '.join(remote['name'])} "
            f"(phone or online; not counted as reach).")


def explain_route(report: Any, code: str) -> pd.DataFrame:
    """Explain an area's route step by step, or where the referrals stop and why."""
    row = report.table.loc[code]
    label = f"{row['name']} ({code})" if row["name"] != code else code
    if row["status"] == "no_route":
        return _why_no_route(report, code, label)
    steps = report.steps.loc[int(row["chain_id"])].copy()
    chain = row["chain"]
    barriers = row["barriers"]
    days = row["wait_days"]
    wait = ("" if pd.isna(days) else
            f", {days:g} {'day' + chr(39) + 's' if days == 1 else 'days' + chr(39)} "
            "typical wait"
            + ("" if row["wait_complete"] else " (some waits not recorded)"))
    steps.attrs["headline"] = (
        f"{label}: {plural(len(chain), 'hand-off')} to {chain[-1]}"
        + (f" ({' -> '.join(chain)})" if len(chain) > 1 else "") + f"{wait}; "
        + (f"barriers: {', '.join(barriers)}." if barriers else "no barriers."))
    return steps


def _hops_from_entries(smap: Any, entries: Any) -> np.ndarray:
    """Per service, the hand-offs from the entries in the referral graph (-1: never)."""
    services = smap._services
    hops = np.full(len(services), -1, dtype=np.int64)
    pw = smap._pathways
    to = services.index.get_indexer(pw["to_service"].to_numpy(dtype=object))
    frm = services.index.get_indexer(pw["from_service"].fillna("").to_numpy(dtype=object))
    from_entry = pw["from_entry"].isin(list(entries)).to_numpy()
    frontier = np.unique(to[from_entry & (to >= 0)])
    level = 1
    while len(frontier):
        frontier = frontier[hops[frontier] < 0]
        hops[frontier] = level
        nxt = to[np.isin(frm, frontier) & (to >= 0)]
        frontier = np.unique(nxt[hops[nxt] < 0])
        level += 1
    return hops


def _why_no_route(report: Any, code: str, label: str) -> pd.DataFrame:
    """Follow the referral graph from the entries, whatever the area, and say why not."""
    smap = report.smap
    services = smap._services
    allowed = report._allowed
    area = smap._areas.index.get_loc(code)
    takes = np.zeros(len(services), dtype=bool)
    takes[allowed.indices[allowed.indptr[area]:allowed.indptr[area + 1]]] = True
    hops = _hops_from_entries(smap, report.attrs["entry"])
    cols = np.flatnonzero(hops > 0)
    reach_kw = {"max_distance": report.attrs["max_distance"],
                "max_minutes": report.attrs["max_minutes"]}
    cost, units, reach_why = _reach_reasons(smap, area, cols, reach_kw)
    statuses = set(report.attrs["status"])
    groups = report.attrs["client_group"]
    band = report.attrs["hour_band"]
    member = (np.asarray(served_groups(services, groups).any(axis=1)) if groups
              else np.ones(len(services), dtype=bool))
    is_open: np.ndarray = (open_in_bands(services, [band], report.attrs["unknown_hours"])[:, 0]
               if band
               else np.ones(len(services), dtype=bool))
    whys = []
    for k, j in enumerate(cols):
        why = [reach_why[k]] if reach_why[k] else []
        if services["status"].iloc[j] not in statuses:
            why.append(f"status {services['status'].iloc[j]}")
        if not member[j]:
            why.append(f"not for {', '.join(groups)}: for "
                       f"{', '.join(services['client_groups'].iloc[j])}")
        if not is_open[j]:
            why.append(_closed(band, services["hours"].iloc[j],
                               report.attrs["unknown_hours"]))
        if not why and not takes[j]:
            why.append("does not take this area's residents")
        whys.append("; ".join(why))
    target: np.ndarray = np.asarray(report._target) | np.isin(services.index,
                                                             report.attrs["to"])
    out = pd.DataFrame({"name": services["name"].to_numpy(dtype=object)[cols],
                        "hand_offs": hops[cols], "treatment": target[cols],
                        "counts": takes[cols], "cost": cost, "unit": units,
                        "why": [w or "counts" for w in whys]},
                       index=pd.Index(services.index[cols], name="service"))
    out = out.sort_values(["hand_offs", "cost"], na_position="last", kind="stable")
    out.attrs["headline"] = _no_route_headline(report, out, label)
    return out


def _no_route_headline(report: Any, out: pd.DataFrame, label: str) -> str:
    """Say in a sentence where the referrals from the entries stop."""
    entries = ", ".join(report.attrs["entry"])
    if not len(out):
        return f"{label}: no route; no pathway leaves {entries}."
    first = out[out["hand_offs"] == 1]
    taking = first.index[first["counts"]].tolist()
    if not taking:
        return (f"{label}: no route; no service {entries} refers to first "
                f"takes this area's residents ("
                + "; ".join(f"{s}: {w}" for s, w in first["why"].items()) + ").")
    return (f"{label}: no route; {entries} refers to {', '.join(taking)} "
            "here, but no onward referral from there leads to "
            f"{report.attrs['to_label']} that takes this area's residents.")

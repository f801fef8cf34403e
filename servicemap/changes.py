"""Changes to a map: small records, applied with :meth:`ServiceMap.apply`.

A change says what a partnership would do ("close the Luton hub", "give Bedford the
police referral protocol Luton has") as a frozen record. ``smap.apply(change)`` (or a
list of changes, applied in turn) returns a new, validated map; the map it was applied
to is unchanged. ``change.inverse(smap)`` gives the change that undoes it on that map,
and ``change.describe(smap)`` says it in plain words, by name.

Every change resolves, on the map it is applied to, into rows set or removed by id
(:class:`RowEdits`): that is what is applied, what the inverse swaps, and what
``smap.provenance["changes"]`` records. Removing a service takes the sites that serve
only it and the pathways to or from it, and says so.

==========================  =====================================================
``update_service``          set fields of a service (hours, capacity, reach, ...)
``close_service``           set its status to decommissioned (``reopen_service``)
``remove_service``          remove it, its own sites and its pathways
``add_service``             add a service from its fields
``add_site``                add a site
``move_site``               give a site a new location
``remove_site``             remove a site
``add_pathway``             add a referral pathway
``update_pathway``          set fields of a pathway (consent basis, wait, ...)
``remove_pathway``          remove a pathway
``update_partnership``      set fields of a partnership (such as its footprint)
``merge_services``          one service of several: capacity, sites, hours, ...
``merge_partnerships``      one partnership of several: members, footprints united
``switch_intervention``     offer one intervention for another, reach rescaled by
                            how often clients must attend (:data:`TRAVEL_TOLERANCE`)
==========================  =====================================================

Examples
--------
>>> smap = sm.datasets.bedfordshire()
>>> change = sm.changes.update_pathway("pw-02", consent_basis="public_task",
...                                    information_sharing_agreement=True)
>>> after = smap.apply(change)
>>> after.pathways.loc["pw-02", "consent_basis"], smap.pathways.loc["pw-02", "consent_basis"]
('public_task', 'explicit_consent')
>>> after.apply(change.inverse(smap)).equals(smap)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from servicemap.errors import InputError, Problem, did_you_mean, plural
from servicemap.hours import WEEK, _intervals, format_hours, parse_hours
from servicemap.servicemap import ServiceMap

__all__ = [
    "TRAVEL_TOLERANCE",
    "Change",
    "RowEdits",
    "add_pathway",
    "add_service",
    "add_site",
    "close_service",
    "merge_partnerships",
    "merge_services",
    "move_site",
    "remove_pathway",
    "remove_service",
    "remove_site",
    "reopen_service",
    "switch_intervention",
    "update_partnership",
    "update_pathway",
    "update_service",
]

#: The tables a change edits, by the name of their records.
_TABLES = {"service": "services", "site": "sites", "pathway": "pathways",
           "partnership": "partnerships", "organisation": "organisations"}
_FIELDS = tuple[tuple[str, Any], ...]
#: (table, id, before, after, position): a row's fields before and after (None where
#: absent), and its place in the table, so that a row put back goes where it was.
_ROW = tuple[str, str, _FIELDS | None, _FIELDS | None, int | None]


class Change:
    """A change to a map; apply it with :meth:`ServiceMap.apply`.

    Subclasses say which rows the change sets or removes on a given map
    (:meth:`edits`) and how to say it (:meth:`describe`).
    """

    def edits(self, smap: ServiceMap) -> RowEdits:
        """Return the rows this change sets and removes on ``smap``."""
        raise NotImplementedError

    def describe(self, smap: ServiceMap | None = None) -> str:
        """Say the change in plain words, naming records by name when ``smap`` is given."""
        raise NotImplementedError

    def apply_to(self, smap: ServiceMap, *, strict: bool = True) -> ServiceMap:
        """Return the map with this change made; ``smap`` itself is unchanged.

        ``strict=False`` builds a map that may not validate yet (a change in the middle
        of a list: a service added before its site).
        """
        return self.edits(smap).apply_to(smap, strict=strict)

    def inverse(self, smap: ServiceMap) -> RowEdits:
        """Return the change that undoes this one, made on ``smap``.

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> change = sm.changes.close_service("lut-adult-hub")
        >>> smap.apply(change).apply(change.inverse(smap)).equals(smap)
        True
        """
        return self.edits(smap).inverse(smap)

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True)
class RowEdits(Change):
    """Rows set or removed by id, table by table: what every change resolves into.

    Attributes
    ----------
    rows : tuple
        ``(table, id, before, after, position)``: ``before`` and ``after`` are the
        row's fields as ``(column, value)`` pairs, or None where the row is absent;
        ``position`` is the row's place in its table, or None for the end.
    words : str
        The change in plain words.
    """

    rows: tuple[_ROW, ...]
    words: str

    def edits(self, smap: ServiceMap) -> RowEdits:  # noqa: ARG002 - already resolved
        """Return these edits: they are what every change resolves into."""
        return self

    def describe(self, smap: ServiceMap | None = None) -> str:  # noqa: ARG002
        """Say the edits in the words of the change they came from."""
        return self.words

    def inverse(self, smap: ServiceMap) -> RowEdits:  # noqa: ARG002 - rows hold all
        """Return the edits that put every row back as it was."""
        return RowEdits(tuple((t, i, after, before, at) for t, i, before, after, at
                              in reversed(self.rows)), f"undo: {self.words}")

    def apply_to(self, smap: ServiceMap, *, strict: bool = True) -> ServiceMap:
        """Return the map with the rows set and removed, validated as a new map."""
        frames: dict[str, Any] = {}
        for table, rid, _, after, at in self.rows:
            frame = frames.get(table)
            if frame is None:
                frame = getattr(smap, table)
            frames[table] = _set_row(frame, rid, None if after is None else dict(after),
                                     at)
        provenance = smap.provenance
        provenance["changes"] = [*provenance.get("changes", []), self.words]
        return smap.replace(**frames, provenance=provenance, strict=strict)


def _set_row(frame: pd.DataFrame, rid: str, values: dict[str, Any] | None,
             at: int | None = None) -> Any:
    """Return the frame with row ``rid`` set to ``values`` (or removed for None).

    A new row goes at position ``at`` (the end when None).
    """
    if values is None:
        return frame.drop(index=rid)
    if rid in frame.index:
        frame = frame.copy()
        for column, value in values.items():
            if column not in frame.columns:
                frame[column] = None
            frame[column] = frame[column].astype(object) if not isinstance(
                frame, gpd.GeoDataFrame) or column != frame.geometry.name else frame[column]
            frame.at[rid, column] = value
        return frame
    row = pd.DataFrame([values], index=pd.Index([rid], name=frame.index.name))
    if isinstance(frame, gpd.GeoDataFrame):
        row = gpd.GeoDataFrame(row, geometry=frame.geometry.name, crs=frame.crs)
    at = len(frame) if at is None else min(at, len(frame))
    return pd.concat([frame.iloc[:at], row, frame.iloc[at:]])


def _row(frame: pd.DataFrame, rid: str) -> _FIELDS:
    return tuple((str(c), v) for c, v in frame.loc[rid].items())


def _at(frame: pd.DataFrame, rid: str) -> int:
    return int(frame.index.get_loc(rid))


def _known(smap: ServiceMap, record: str, rid: Any, change: str, field: str) -> str:
    """Return ``rid`` if the map has such a record; else one error naming the change."""
    frame = getattr(smap, _TABLES[record])
    if rid in frame.index:
        return str(rid)
    raise InputError([Problem(
        change, None, field, rid, f"names no {record} of the map"
        f"{did_you_mean(str(rid), map(str, frame.index))}. Give the id of a {record} "
        f"(the map's {_TABLES[record]}' index).", code="unknown_reference",
        ref_table=_TABLES[record], ref_id=str(rid))])


def _fields(smap: ServiceMap, record: str, values: Mapping[str, Any], change: str) -> None:
    """Check that each field is a column of the record's table."""
    columns = set(getattr(smap, _TABLES[record]).columns)
    if record != "site":
        columns.discard("geometry")
    for name in values:
        if name not in columns:
            raise InputError([Problem(
                change, None, name, None, f"is not a field of a {record}"
                f"{did_you_mean(name, columns)}. Fields: {', '.join(sorted(columns))}.",
                code="unknown_column")])


def _name(smap: ServiceMap | None, record: str, rid: str) -> str:
    frame = None if smap is None else getattr(smap, _TABLES[record])
    if frame is not None and "name" in frame.columns and rid in frame.index:
        return f"{frame.loc[rid, 'name']} ({rid})"
    return rid


def _said(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} = {v!r}" for k, v in values.items())


# -- changes to one record's fields ----------------------------------------------------
@dataclass(frozen=True)
class UpdateRecord(Change):
    """Set fields of one record (a service, pathway, partnership or site)."""

    record: str
    id: str
    values: tuple[tuple[str, Any], ...]
    verb: str = "change"

    def edits(self, smap: ServiceMap) -> RowEdits:
        table = _TABLES[self.record]
        rid = _known(smap, self.record, self.id, str(self), self.record)
        values = dict(self.values)
        _fields(smap, self.record, values, str(self))
        before = _row(getattr(smap, table), rid)
        after = tuple((c, values.get(c, v)) for c, v in before)
        return RowEdits(((table, rid, before, after, _at(getattr(smap, table), rid)),),
                        self.describe(smap))

    def describe(self, smap: ServiceMap | None = None) -> str:
        return f"{self.verb} {self.record} {_name(smap, self.record, self.id)}: " + (
            _said(dict(self.values)))


def update_service(service: str, **fields: Any) -> UpdateRecord:
    """Set fields of a service: hours, capacity, reach, footprint, ages, cost, ...

    Parameters
    ----------
    service : str
        The service's id.
    **fields
        Columns of ``smap.services`` and their new values, such as
        ``max_distance=20_000`` or ``hours="Mon-Fri 09:00-20:00"``.

    Returns
    -------
    Change

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> wider = smap.apply(sm.changes.update_service("bcb-adult-hub", max_distance=20_000))
    >>> float(wider.services.loc["bcb-adult-hub", "max_distance"])
    20000.0
    """
    return UpdateRecord("service", service, tuple(fields.items()))


def close_service(service: str) -> UpdateRecord:
    """Decommission a service: its record stays, with status ``decommissioned``.

    Analyses count active services only, so a closed service reaches nobody; its
    pathways stay, and routes through it show as broken.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> closed = smap.apply(sm.changes.close_service("lut-adult-hub"))
    >>> closed.services.loc["lut-adult-hub", "status"]
    'decommissioned'
    """
    return UpdateRecord("service", service, (("status", "decommissioned"),), verb="close")


def reopen_service(service: str) -> UpdateRecord:
    """Make a service active again.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire().apply(sm.changes.close_service("bcb-yp"))
    >>> smap.apply(sm.changes.reopen_service("bcb-yp")).services.loc["bcb-yp", "status"]
    'active'
    """
    return UpdateRecord("service", service, (("status", "active"),), verb="reopen")


def update_pathway(pathway: str, **fields: Any) -> UpdateRecord:
    """Set fields of a pathway: consent basis, information-sharing agreement, wait, ...

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> quicker = smap.apply(sm.changes.update_pathway("pw-02", wait_days=2))
    >>> float(quicker.pathways.loc["pw-02", "wait_days"])
    2.0
    """
    return UpdateRecord("pathway", pathway, tuple(fields.items()))


def update_partnership(partnership: str, **fields: Any) -> UpdateRecord:
    """Set fields of a partnership, such as its footprint or members.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> one = smap.apply(sm.changes.update_partnership(
    ...     "bcb-dap", footprint=("E06000055", "E06000056", "E06000032")))
    >>> one.partnerships.loc["bcb-dap", "footprint"]
    ('E06000055', 'E06000056', 'E06000032')
    """
    return UpdateRecord("partnership", partnership, tuple(fields.items()))


def move_site(site: str, *, easting: float, northing: float) -> UpdateRecord:
    """Give a site a new location, in British National Grid metres.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> site = smap.sites.index[0]
    >>> moved = smap.apply(sm.changes.move_site(site, easting=505_000, northing=250_000))
    >>> moved.sites.geometry[site].coords[0]
    (505000.0, 250000.0)
    """
    return UpdateRecord("site", site, (("geometry", shapely.Point(easting, northing)),),
                        verb="move")


# -- records added and removed ---------------------------------------------------------
@dataclass(frozen=True)
class AddRecord(Change):
    """Add one record (a service, site or pathway) from its fields."""

    record: str
    id: str
    values: tuple[tuple[str, Any], ...]

    def edits(self, smap: ServiceMap) -> RowEdits:
        table = _TABLES[self.record]
        frame = getattr(smap, table)
        if self.id in frame.index:
            raise InputError([Problem(
                str(self), None, "id", self.id, f"is the id of a {self.record} the map "
                "has already. Give the new record an id of its own, or update the "
                "existing one.", code="duplicate_id")])
        values = dict(self.values)
        _fields(smap, self.record, values, str(self))
        after = tuple((str(c), values.get(str(c))) for c in frame.columns)
        return RowEdits(((table, self.id, None, after, None),), self.describe(smap))

    def describe(self, smap: ServiceMap | None = None) -> str:  # noqa: ARG002
        name = dict(self.values).get("name")
        return f"add {self.record} {f'{name} ({self.id})' if name else self.id}"


def add_service(service: str, **fields: Any) -> AddRecord:
    """Add a service; give at least its name, provider, needs, client groups and reach.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> hub = dict(smap.services.loc["bcb-adult-hub"], name="A new hub")
    >>> more = smap.apply([sm.changes.add_service("new-hub", **hub),
    ...                    sm.changes.add_site("new-hub-1", name="New hub", services=
    ...                                        ("new-hub",), easting=505_000,
    ...                                        northing=250_000)])
    >>> len(more.services) - len(smap.services)
    1
    """
    return AddRecord("service", service, tuple(fields.items()))


def add_site(site: str, *, easting: float | None = None, northing: float | None = None,
             **fields: Any) -> AddRecord:
    """Add a site, located in British National Grid metres (none for phone or online).

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> line = smap.apply(sm.changes.add_site("line-2", name="Second line", mode="phone",
    ...                                       services=("beds-crisis-line",)))
    >>> line.sites.loc["line-2", "mode"]
    'phone'
    """
    if easting is not None and northing is not None:
        fields["geometry"] = shapely.Point(easting, northing)
    return AddRecord("site", site, tuple(fields.items()))


def add_pathway(pathway: str, **fields: Any) -> AddRecord:
    """Add a referral pathway from a service (``from_service``) or an entry point.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> new = smap.apply(sm.changes.add_pathway(
    ...     "pw-new", from_entry="police_custody", to_service="bcb-adult-hub",
    ...     kind="referral", consent_basis="public_task"))
    >>> new.pathways.loc["pw-new", "to_service"]
    'bcb-adult-hub'
    """
    return AddRecord("pathway", pathway, tuple(fields.items()))


@dataclass(frozen=True)
class RemoveRecord(Change):
    """Remove one record; a service takes its own sites and its pathways with it."""

    record: str
    id: str

    def edits(self, smap: ServiceMap) -> RowEdits:
        table = _TABLES[self.record]
        rid = _known(smap, self.record, self.id, str(self), self.record)
        rows: list[_ROW] = []
        words = f"remove {self.record} {_name(smap, self.record, self.id)}"
        if self.record == "service":
            pathways = smap.pathways
            linked = pathways.index[(pathways["from_service"] == rid)
                                    | (pathways["to_service"] == rid)]
            rows += [("pathways", str(p), _row(pathways, p), None, _at(pathways, p))
                     for p in linked]
            sites = smap.sites
            own = [s for s, listed in sites["services"].items() if rid in listed]
            for s in own:
                rest = tuple(x for x in sites.loc[s, "services"] if x != rid)
                before = _row(sites, s)
                after = None if not rest else tuple(
                    (c, rest if c == "services" else v) for c, v in before)
                rows.append(("sites", str(s), before, after, _at(sites, s)))
            gone = [r for t, r, _, a, _ in rows if t == "sites" and a is None]
            words += (f", with {plural(len(linked), 'pathway')} to or from it and "
                      f"{plural(len(gone), 'site')} serving only it")
        frame = getattr(smap, table)
        rows.append((table, rid, _row(frame, rid), None, _at(frame, rid)))
        return RowEdits(tuple(rows), words)

    def describe(self, smap: ServiceMap | None = None) -> str:
        if smap is None:
            return f"remove {self.record} {self.id}"
        return self.edits(smap).words  # with what goes with it


def remove_service(service: str) -> RemoveRecord:
    """Remove a service, the sites that serve only it and the pathways to or from it.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> change = sm.changes.remove_service("lut-adult-hub")
    >>> print(change.describe(smap))  # doctest: +NORMALIZE_WHITESPACE
    remove service Adult drug and alcohol service, Luton hub (illustrative)
    (lut-adult-hub), with 11 pathways to or from it and 0 sites serving only it
    >>> "lut-adult-hub" in smap.apply(change).services.index
    False
    """
    return RemoveRecord("service", service)


def remove_site(site: str) -> RemoveRecord:
    """Remove a site.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> site = smap.sites.index[-1]
    >>> len(smap.apply(sm.changes.remove_site(site)).sites) == len(smap.sites) - 1
    True
    """
    return RemoveRecord("site", site)


def remove_pathway(pathway: str) -> RemoveRecord:
    """Remove a referral pathway.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> "pw-02" in smap.apply(sm.changes.remove_pathway("pw-02")).pathways.index
    False
    """
    return RemoveRecord("pathway", pathway)


# -- partnerships merged ----------------------------------------------------------------
@dataclass(frozen=True)
class MergePartnerships(Change):
    """Several partnerships become one: members and footprints united, in order."""

    ids: tuple[str, ...]
    into: str
    name: str | None = None

    def edits(self, smap: ServiceMap) -> RowEdits:
        frame = smap.partnerships
        ids = [_known(smap, "partnership", p, str(self), "ids") for p in self.ids]
        if len(set(ids)) < 2:
            raise InputError([Problem(
                str(self), None, "ids", list(self.ids), "names fewer than two "
                "partnerships. Give the ids of two or more to merge.",
                code="missing_value")])
        first = dict(_row(frame, ids[0]))
        merged = {**first, "name": self.name or first["name"],
                  "members": _union(frame.loc[p, "members"] for p in ids),
                  "footprint": _union(frame.loc[p, "footprint"] for p in ids)}
        rows: list[_ROW] = []
        for p in ids:
            if p != self.into:
                rows.append(("partnerships", p, _row(frame, p), None, _at(frame, p)))
        if self.into in frame.index:
            rows.append(("partnerships", self.into, _row(frame, self.into),
                         tuple(merged.items()), _at(frame, self.into)))
        else:
            rows.append(("partnerships", self.into, None, tuple(merged.items()), None))
        services = smap.services
        for sid, commissioners in services["commissioners"].items():
            if set(commissioners) & set(ids):
                after = _union([[self.into if c in ids else c for c in commissioners]])
                before = _row(services, sid)
                rows.append(("services", str(sid), before, tuple(
                    (c, after if c == "commissioners" else v) for c, v in before),
                    _at(services, sid)))
        n = sum(1 for t, *_ in rows if t == "services")
        words = (f"merge partnerships {', '.join(_name(smap, 'partnership', p) for p in ids)}"
                 f" into {merged['name']} ({self.into}), commissioning "
                 f"{plural(n, 'service')}")
        # removals last would leave services pointing at removed partnerships while
        # applied in order: set the merged one and the services first
        rows.sort(key=lambda r: r[3] is None)
        return RowEdits(tuple(rows), words)

    def describe(self, smap: ServiceMap | None = None) -> str:
        if smap is None:
            return f"merge partnerships {', '.join(self.ids)} into {self.into}"
        return self.edits(smap).words


def _union(lists: Iterable[Iterable[Any]]) -> tuple[Any, ...]:
    """Items of several lists, each once, in the order first met."""
    return tuple(dict.fromkeys(x for items in lists for x in items))


def merge_partnerships(ids: Iterable[str], *, into: str,
                       name: str | None = None) -> MergePartnerships:
    """Merge partnerships into one, such as two drug and alcohol partnerships.

    Members and footprints are united (each once, in the order given); the merged
    partnership takes the first one's kind and other fields, and ``name`` if given;
    every service one of them commissions is commissioned by the merged one.

    Parameters
    ----------
    ids : iterable of str
        Two or more partnerships.
    into : str
        The merged partnership's id: one of ``ids`` (it is kept, updated) or a new id.
    name : str, optional
        Its name; by default the first partnership's.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> one = smap.apply(sm.changes.merge_partnerships(
    ...     ["bcb-dap", "lut-dap"], into="beds-dap", name="Bedfordshire DAP"))
    >>> one.partnerships.loc["beds-dap", "footprint"]
    ('E06000055', 'E06000056', 'E06000032')
    >>> "lut-dap" in one.partnerships.index, one.services.loc["lut-adult-hub", "commissioners"]
    (False, ('beds-dap',))
    """
    return MergePartnerships(tuple(ids), into, name)


# -- one intervention for another --------------------------------------------------------
#: How far (minutes one way) clients will travel, by how often they must attend.
#: An assumption, not a published figure: studies of opioid treatment find that
#: distance to the clinic lowers attendance and retention, most for daily supervised
#: dosing, but none we know of gives tolerances by frequency. Change this mapping (or
#: pass ``reach_factor``) to use your own.
TRAVEL_TOLERANCE: dict[str, float] = {"daily": 20.0, "several_weekly": 30.0,
                                       "weekly": 45.0, "fortnightly": 60.0,
                                       "monthly": 90.0}


@dataclass(frozen=True)
class SwitchIntervention(Change):
    """A service offers one intervention in place of another, and its reach follows."""

    service: str
    replacing: tuple[str, ...]
    to: tuple[str, ...]
    visit_frequency: str | None = None
    reach_factor: float | None = None

    def factor(self, smap: ServiceMap) -> float:
        """Return the factor the service's reach is scaled by."""
        if self.reach_factor is not None:
            return float(self.reach_factor)
        old = smap.services.loc[self.service, "visit_frequency"]
        new = self.visit_frequency
        if old not in TRAVEL_TOLERANCE or new not in TRAVEL_TOLERANCE:
            raise InputError([Problem(
                str(self), None, "visit_frequency", new if old in TRAVEL_TOLERANCE
                else old, "has no travel tolerance, so the reach cannot be rescaled. "
                f"Give reach_factor, or visit frequencies among "
                f"{', '.join(TRAVEL_TOLERANCE)} (before and after).",
                code="missing_value")])
        return TRAVEL_TOLERANCE[new] / TRAVEL_TOLERANCE[old]

    def edits(self, smap: ServiceMap) -> RowEdits:
        sid = _known(smap, "service", self.service, str(self), "service")
        row = smap.services.loc[sid]
        offered = tuple(row["interventions"])
        missing = [i for i in self.replacing if i not in offered]
        if missing:
            raise InputError([Problem(
                str(self), None, "replacing", missing[0], "is not an intervention of the "
                f"service (it offers {', '.join(offered) or 'none'}).",
                code="unknown_term")])
        factor = self.factor(smap)
        values: dict[str, Any] = {
            "interventions": _union([[i for i in offered if i not in self.replacing],
                                     self.to])}
        if self.visit_frequency is not None:
            values["visit_frequency"] = self.visit_frequency
        for limit in ("max_distance", "max_minutes"):
            if not pd.isna(row[limit]):
                values[limit] = float(row[limit]) * factor
        words = (f"{_name(smap, 'service', sid)} offers {', '.join(self.to)} in place "
                 f"of {', '.join(self.replacing)}"
                 + (f", clients attending {self.visit_frequency}" if self.visit_frequency
                    else "") + f"; its reach x {factor:.2f}")
        edits = UpdateRecord("service", sid, tuple(values.items())).edits(smap)
        return RowEdits(edits.rows, words)

    def describe(self, smap: ServiceMap | None = None) -> str:
        if smap is None:
            return (f"{self.service} offers {', '.join(self.to)} in place of "
                    f"{', '.join(self.replacing)}")
        return self.edits(smap).words


def switch_intervention(service: str, *, replacing: str | Iterable[str],
                        to: str | Iterable[str], visit_frequency: str | None = None,
                        reach_factor: float | None = None) -> SwitchIntervention:
    """Offer one intervention in place of another; rescale the reach by attendance.

    Clients who must attend daily travel less far than those who come monthly. The
    service's maximum distance (or minutes) is multiplied by
    ``TRAVEL_TOLERANCE[new] / TRAVEL_TOLERANCE[old]`` of its visit frequencies
    (an assumption, see :data:`TRAVEL_TOLERANCE`), or by ``reach_factor`` if given.

    Parameters
    ----------
    service : str
    replacing, to : str or iterable of str
        Intervention terms taken away and offered instead.
    visit_frequency : str, optional
        How often clients attend afterwards (a ``visit_frequency`` term).
    reach_factor : float, optional
        Scale the reach by this instead of the rule.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> change = sm.changes.switch_intervention(
    ...     "bcb-pharm-sc", replacing="opioid_substitution_daily_supervised",
    ...     to="long_acting_injectable_buprenorphine", visit_frequency="monthly")
    >>> after = smap.apply(change)
    >>> float(after.services.loc["bcb-pharm-sc", "max_distance"])  # 5 km x 90 / 20
    22500.0
    """
    return SwitchIntervention(service, _terms(replacing), _terms(to), visit_frequency,
                              reach_factor)


def _terms(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


# -- services merged ---------------------------------------------------------------------
@dataclass(frozen=True)
class MergeServices(Change):
    """Several services become one, by the rules of :func:`merge_services`."""

    ids: tuple[str, ...]
    into: str
    name: str | None = None

    def _refuse(self, field: str, value: Any, why: str) -> InputError:
        return InputError([Problem(str(self), None, field, value, why,
                                   code="conflicting_values")])

    def merged(self, smap: ServiceMap) -> dict[str, Any]:
        """Return the merged service's fields."""
        services = smap.services
        rows = [dict(services.loc[i]) for i in self.ids]
        out = {**rows[0], "name": self.name or rows[0]["name"]}
        for field in ("commissioners", "needs", "interventions", "client_groups",
                      "funding_sources"):
            out[field] = _union(r[field] for r in rows)
        # a footprint restricts; one service without one takes everyone, and so does
        # the merged service
        out["footprint"] = (() if any(not r["footprint"] for r in rows)
                            else _union(r["footprint"] for r in rows))
        for field in ("reach", "capacity_unit"):
            kinds = {r[field] for r in rows if not pd.isna(r[field])}
            if len(kinds) > 1:
                raise self._refuse(field, sorted(kinds), "differs between the services "
                                   f"({', '.join(sorted(kinds))}). Make them alike with "
                                   "update_service first, then merge.")
        for field in ("max_distance", "max_minutes"):
            known = [r[field] for r in rows if not pd.isna(r[field])]
            out[field] = max(known) if known else None
        ages = [(r["min_age"], r["max_age"]) for r in rows]
        out["min_age"] = None if any(pd.isna(a) for a, _ in ages) else min(a for a, _ in ages)
        out["max_age"] = None if any(pd.isna(b) for _, b in ages) else max(b for _, b in ages)
        for field in ("capacity", "annual_cost"):
            known = [r[field] for r in rows if not pd.isna(r[field])]
            out[field] = sum(known) if len(known) == len(rows) else None
        hours = [r["hours"] for r in rows]
        if any(h is None or pd.isna(h) for h in hours):
            out["hours"] = None  # unknown for one: unknown for the whole
        else:
            week = np.zeros(WEEK, dtype=bool)
            for h in hours:
                for start, end in parse_hours(h).intervals:
                    week[start:end] = True
            out["hours"] = format_hours(_intervals(week))
        out["status"] = ("active" if any(r["status"] == "active" for r in rows)
                         else rows[0]["status"])
        return out

    def edits(self, smap: ServiceMap) -> RowEdits:
        ids = [_known(smap, "service", i, str(self), "ids") for i in self.ids]
        if len(set(ids)) < 2:
            field = "ids"
            why = "names fewer than two services. Give the ids of two or more to merge."
            raise self._refuse(field, list(self.ids), why)
        services, sites, pathways = smap.services, smap.sites, smap.pathways
        merged = self.merged(smap)
        rows: list[_ROW] = []
        if self.into in services.index:
            rows.append(("services", self.into, _row(services, self.into),
                         tuple(merged.items()), _at(services, self.into)))
        else:
            rows.append(("services", self.into, None, tuple(merged.items()), None))
        for sid, listed in sites["services"].items():
            if set(listed) & set(ids):
                new = _union([[self.into if x in ids else x for x in listed]])
                before = _row(sites, sid)
                rows.append(("sites", str(sid), before, tuple(
                    (c, new if c == "services" else v) for c, v in before), _at(sites, sid)))
        seen: set[tuple[Any, ...]] = set()
        dropped = 0
        for pid, p in pathways.iterrows():
            frm = self.into if p["from_service"] in ids else p["from_service"]
            to = self.into if p["to_service"] in ids else p["to_service"]
            route = (frm, p["from_entry"], to, p["kind"])
            before = _row(pathways, pid)
            if (frm == to == self.into) or route in seen:  # internal now, or twice
                rows.append(("pathways", str(pid), before, None, _at(pathways, pid)))
                dropped += 1
                continue
            seen.add(route)
            if (frm, to) != (p["from_service"], p["to_service"]):
                rows.append(("pathways", str(pid), before, tuple(
                    (c, frm if c == "from_service" else to if c == "to_service" else v)
                    for c, v in before), _at(pathways, pid)))
        for i in ids:
            if i != self.into:
                rows.append(("services", i, _row(services, i), None, _at(services, i)))
        words = (f"merge services {', '.join(_name(smap, 'service', i) for i in ids)} "
                 f"into {merged['name']} ({self.into}); "
                 f"{plural(dropped, 'pathway')} between them or repeated removed")
        return RowEdits(tuple(rows), words)

    def describe(self, smap: ServiceMap | None = None) -> str:
        if smap is None:
            return f"merge services {', '.join(self.ids)} into {self.into}"
        return self.edits(smap).words


def merge_services(ids: Iterable[str], *, into: str,
                   name: str | None = None) -> MergeServices:
    """Merge services into one, such as two adult hubs of neighbouring councils.

    The rules: needs, interventions, client groups, commissioners and funding sources
    united (each once, in order); a footprint united, or none if one of them has none
    (that one took everyone); ages widened to the youngest and oldest; capacity and
    annual cost summed (unknown if one is unknown); opening hours the union of the
    week's opening times (unknown if one is unknown); reach the longest; the provider,
    visit frequency and the other fields of the first. Reach kinds and capacity units
    must agree. Sites that served any of them serve the merged service; pathways to
    or from them are re-pointed to it, and those between them (now internal) or
    repeated are removed.

    Parameters
    ----------
    ids : iterable of str
        Two or more services.
    into : str
        The merged service's id: one of ``ids`` (kept, updated) or a new id.
    name : str, optional
        Its name; by default the first service's.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> one = smap.apply(sm.changes.merge_services(
    ...     ["bcb-adult-hub", "lut-adult-hub"], into="beds-hub", name="Bedfordshire hub"))
    >>> hub = one.services.loc["beds-hub"]
    >>> float(hub["capacity"]) == float(smap.services.loc[
    ...     ["bcb-adult-hub", "lut-adult-hub"], "capacity"].sum())
    True
    >>> "lut-adult-hub" in one.services.index
    False
    """
    return MergeServices(tuple(ids), into, name)

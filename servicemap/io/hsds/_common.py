"""What reading and writing HSDS share: one piece of code for each piece of the mapping.

Each pair that the writer and the reader must agree on sits here side by side: the
identifiers, the status and vocabulary mapping, the extension tables, the escaping of
CSV text and its undoing, weekly schedules out and in, and the shipped HSDS schemas.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import pandas as pd

from servicemap.hours import WEEK, parse_hours
from servicemap.schema import TABLES, TRAVEL_TIME_COLUMNS, Column

#: The HSDS version written, and whose schemas ship with servicemap.
HSDS_VERSION = "3.0.0"
#: The version of servicemap's extension fields and tables.
EXTENSION_VERSION = 1

# -- identifiers -------------------------------------------------------------------------
#: A footprint code is written as this address plus the GSS code ...
GSS_URI = "http://statistics.data.gov.uk/id/statistical-geography/"
#: ... and read back from the GSS code at the end of any service area's ``uri``.
GSS_CODE = re.compile(r"([EKNSW]\d{8})/?$")
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "servicemap.hsds")


def uid(kind: str, key: object) -> str:
    """Return the UUID of one of our records: the same kind and id give the same UUID."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}/{key}"))


# -- the model's words in HSDS -----------------------------------------------------------
STATUS_OUT = {"active": "active", "planned": "inactive", "paused": "temporarily closed",
              "decommissioned": "defunct"}
STATUS_IN = {"active": "active", "inactive": "paused", "temporarily closed": "paused",
             "defunct": "decommissioned"}
#: Vocabulary categories written as attributes, by the entity they describe.
ATTRIBUTE_FIELDS = {
    "service": {"needs": "need", "interventions": "intervention",
                "client_groups": "client_group", "visit_frequency": "visit_frequency"},
    "organization": {"kind": "organisation_kind"},
}
#: Our taxonomies are named this prefix plus a vocabulary category.
TAXONOMY_PREFIX = "servicemap:"
#: Our columns that HSDS holds in fields or tables of its own, by our table; every other
#: column of the schema travels in an extension field ``servicemap_<column>``. (A
#: status travels in both: HSDS has fewer statuses than we have.)
IN_HSDS = {
    "organisations": ("name", "kind", "notes"),
    "services": ("name", "provider", "needs", "interventions", "client_groups",
                 "min_age", "max_age", "hours", "funding_sources", "visit_frequency",
                 "footprint", "notes"),
    "sites": ("name", "postcode", "notes"),
}
#: The extension tables (``servicemap_<name>.csv``) and their columns, in order.
EXTENSION_TABLES = {
    "pathways": ["id", *TABLES["pathways"].names],
    "partnerships": ["id", *TABLES["partnerships"].names],
    "travel_times": list(TRAVEL_TIME_COLUMNS),
    "vocabulary": ["category", "term", "label", "description"],
}


def extension_columns(table: str) -> list[Column]:
    """Return the columns of one of our tables that travel in extension fields, in order.

    Examples
    --------
    >>> [c.name for c in extension_columns("sites")]
    ['services', 'mode', 'source', 'illustrative']
    """
    return [c for c in TABLES[table].columns if c.name not in IN_HSDS[table]]
#: HSDS tables whose rows become our records (the rest are kept in notes).
MAPPED_TABLES = ("organizations", "services", "locations", "service_at_location",
                 "service_areas", "schedules", "attributes", "taxonomy_terms",
                 "taxonomies", "funding", "addresses")


def present(value: Any) -> bool:
    """Whether a cell holds a value: not None, NaN or NA (lists and dicts always do)."""
    if value is None:
        return False
    if isinstance(value, float) and value != value:
        return False
    try:
        return not (not isinstance(value, (list, tuple, dict)) and pd.isna(value))
    except (TypeError, ValueError):
        return True


# -- CSV text that cannot run as a formula -----------------------------------------------
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def escape(value: Any) -> Any:
    """Quote text a spreadsheet could run as a formula (OWASP), reversibly.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (as :func:`servicemap.io.exports.safe_text` does); text that already
    starts with ``'`` gets one more, so that :func:`unescape` strips exactly one.
    """
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def unescape(value: str) -> str:
    """Undo :func:`escape`."""
    if len(value) > 1 and value[0] == "'" and value[1] in _TRIGGERS:
        return value[1:]
    return value


# -- opening hours as weekly schedules ---------------------------------------------------
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _hhmm(minute: int) -> str:
    minute %= 1440
    return f"{minute // 60:02d}:{minute % 60:02d}"


def schedule_rows(text: str | None, service_uid: str, key: object) -> list[dict[str, Any]]:
    """Weekly schedule rows for hours text: one row per opening time, days in ``byday``.

    Each interval is cut at midnight; a piece that ends at midnight closes at
    ``00:00`` (a closing time not after the opening time runs into the next day, as
    :func:`weekly_intervals` reads it).
    """
    if text is None:
        return []
    intervals = parse_hours(text).intervals
    groups: dict[tuple[int, int], list[int]] = {}
    for start, end in intervals:
        for day in range(start // 1440, (end - 1) // 1440 + 1):
            s = max(start, day * 1440) - day * 1440
            e = min(end, (day + 1) * 1440) - day * 1440
            groups.setdefault((s, e), []).append(day)
    if not groups:
        return [{"id": uid("schedule", f"{key}/closed"), "service_id": service_uid,
                 "description": text}]
    rows = []
    for (s, e), days in groups.items():
        byday = ",".join(_BYDAY[d] for d in sorted(set(days)))
        rows.append({"id": uid("schedule", f"{key}/{byday}/{s}/{e}"),
                     "service_id": service_uid, "freq": "WEEKLY", "byday": byday,
                     "opens_at": _hhmm(s), "closes_at": _hhmm(e), "description": text})
    return rows


def _minute(value: Any) -> int | None:
    m = _TIME.match(str(value).strip()) if value is not None else None
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 59:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


def weekly_intervals(row: Mapping[str, Any]) -> list[tuple[int, int]] | None:
    """Return the intervals of a plain weekly schedule row, or None if it is not one."""
    freq = str(row.get("freq") or "WEEKLY").upper()
    interval = row.get("interval")
    extras = [k for k in ("byweekno", "bymonthday", "byyearday", "count", "until")
              if row.get(k) not in (None, "")]
    try:
        every = 1.0 if interval in (None, "") else float(interval)
    except (TypeError, ValueError):
        return None  # not a plain weekly schedule: the row is kept in the notes
    if freq != "WEEKLY" or every != 1 or extras:
        return None
    days = [d.strip().upper() for d in str(row.get("byday") or "").split(",") if d.strip()]
    opens, closes = _minute(row.get("opens_at")), _minute(row.get("closes_at"))
    if not days or any(d not in _BYDAY for d in days) or opens is None or closes is None:
        return None
    if closes <= opens:
        closes += 1440
    out = []
    for d in days:
        start = _BYDAY.index(d) * 1440 + opens
        end = _BYDAY.index(d) * 1440 + closes
        if end <= WEEK:
            out.append((start, end))
        else:
            out += [(start, WEEK), (0, end - WEEK)]
    return out


# -- the shipped schemas -----------------------------------------------------------------
def schema_dir() -> Traversable:
    """Return the folder of the HSDS 3.0 JSON Schemas shipped with servicemap."""
    return resources.files("servicemap.io.hsds") / "schema"


@cache
def schema(entity: str) -> dict[str, Any]:
    """Return the HSDS 3.0 JSON Schema of an entity, such as ``"service"``."""
    return json.loads((schema_dir() / f"{entity}.json").read_text(encoding="utf-8"))


def fields(entity: str) -> list[str]:
    """Return the tabular (CSV) fields of an HSDS entity, in the specification's order."""
    props = schema(entity)["properties"]
    return [k for k, v in props.items() if v.get("type") != "array" and "$ref" not in v]


def csv_name(entity: str) -> str:
    """Return the file name of an HSDS entity's table, such as ``"services.csv"``."""
    return schema(entity)["path"]

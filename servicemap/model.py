"""The records of a service map, each validated on its own (pydantic v2).

A map holds seven kinds of record. Each is a frozen pydantic model that forbids
unknown fields, so a misspelt column is an error, not a silent loss:

==============  =====================================================================
Organisation    a council, police force, NHS trust, charity, ...
Partnership     organisations working together over a footprint of areas
Service         what is provided, for which needs and people, when, how much, at
                what cost, and its :class:`Catchment`
Catchment       who is eligible by residence (``footprint``) and how far the service
                reaches from its sites (``reach``)
Site            where a service is delivered from, and how clients attend
Pathway         a referral route from a service or an entry point to a service
Area            a small area (GSS code) with parent areas, population and need
==============  =====================================================================

Validation of one record lives here; validation *across* records (a pathway to an
unknown service, a site outside every area) lives in :mod:`servicemap.servicemap`.
Categorical fields take terms of the map's :class:`~servicemap.vocab.Vocabulary`,
passed as ``context={"vocabulary": ...}``; without one, the built-in vocabulary is used.

Lists may be given as Python lists or as text separated by ``;`` (as a spreadsheet
cell holds them): ``"drug; alcohol"``.

Examples
--------
>>> s = Service(id="S1", name="Drug and alcohol hub", provider="ORG1", needs="drug; alcohol",
...             client_groups=["adults"], hours="Mon-Fri 09:00-17:00",
...             catchment={"max_distance": 10_000})
>>> s.needs, s.catchment.reach, s.hours.hours_per_week
(('drug', 'alcohol'), 'distance', 40.0)
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, cast

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from servicemap.errors import Problem
from servicemap.hours import HoursError, OpeningHours, parse_hours
from servicemap.vocab import VOCABULARY, Vocabulary

__all__ = [
    "Area",
    "Catchment",
    "Organisation",
    "Partnership",
    "Pathway",
    "RECORDS",
    "Record",
    "Service",
    "Site",
    "NO_WORDS",
    "YES_WORDS",
    "problems_from_validation_error",
    "read_yes_no",
]

#: Text read as yes, in any case, surrounding spaces ignored.
YES_WORDS = frozenset({"yes", "y", "true", "1"})
#: Text read as no, in any case, surrounding spaces ignored.
NO_WORDS = frozenset({"no", "n", "false", "0"})


def read_yes_no(value: Any) -> bool | None:
    """Read a yes-or-no value by the one documented rule of every reader.

    Empty values (None, NaN, blank text) are unknown (None). ``True``/``False``, the
    numbers 1 and 0, and the words of :data:`YES_WORDS` and :data:`NO_WORDS` (any
    case) are read; anything else is an error, never quietly taken as no.

    Parameters
    ----------
    value : object
        A cell, a JSON value or a frame's value.

    Returns
    -------
    bool or None

    Raises
    ------
    ValueError
        For any other value, naming the words accepted.

    Examples
    --------
    >>> read_yes_no(" Yes "), read_yes_no("0"), read_yes_no(""), read_yes_no(True)
    (True, False, None, True)
    >>> read_yes_no("maybe")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: 'maybe' is not yes or no; write yes, y, true or 1, or no, ...
    """
    if isinstance(value, bool):
        return value
    if _is_blank(value):
        return None
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in YES_WORDS:
            return True
        if word in NO_WORDS:
            return False
    msg = (f"{value!r} is not yes or no; write yes, y, true or 1, or no, n, false or 0, "
           "or leave it empty if unknown.")
    raise ValueError(msg)


# -- helpers for spreadsheet-shaped input ---------------------------------------------
def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:  # pandas.NA, pandas.NaT

        return bool(pd.isna(value)) if not isinstance(value, (list, tuple)) else False
    except (TypeError, ValueError, ImportError):
        return False


def _blank_to_none(value: Any) -> Any:
    return None if _is_blank(value) else value


def _split_list(value: Any) -> Any:
    """Read a list from a list, a tuple or text separated by ';'."""
    if _is_blank(value):
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(";") if part.strip())
    if isinstance(value, (list, tuple, set, frozenset)):
        return tuple(value)
    try:  # numpy arrays and pandas Series
        return tuple(value.tolist())
    except AttributeError:
        return value


def _context_vocabulary(info: ValidationInfo) -> Vocabulary:
    ctx = info.context or {}
    return ctx.get("vocabulary") or VOCABULARY


def _note(info: ValidationInfo, field: str, value: Any, message: str) -> None:
    ctx = info.context or {}
    notes = ctx.get("notes")
    if notes is not None:
        notes.append(Problem(ctx.get("table", "input"), ctx.get("row"), field, value,
                             message, severity="note", id=ctx.get("id"),
                             code="normalised"))


def _vocab_term(category: str, value: Any, info: ValidationInfo) -> str:
    vocab = _context_vocabulary(info)
    term = vocab.match(category, value)
    if term is None:
        raise PydanticCustomError("vocabulary", vocab.unknown_message(category, value))
    if term != value:
        _note(info, info.field_name or category, value,
              f"was read as the {category.replace('_', ' ')} {term!r}.")
    return term


_ID = re.compile(r"^[^;\s](?:[^;]*[^;\s])?$")

Id = Annotated[str, Field(min_length=1)]
IdList = Annotated[tuple[str, ...], BeforeValidator(_split_list)]
def _plain_number(value: Any) -> Any:
    """Refuse what pydantic would read as a number but a person did not write as one.

    True and False are not 1 and 0, and ``1_000`` (Python's digit grouping) is not a
    number in a spreadsheet: both are errors, as infinite and missing numbers are
    (``allow_inf_nan=False``).
    """
    if isinstance(value, (bool, np.bool_)):
        raise PydanticCustomError("float_type", "is yes or no, not a number")
    if isinstance(value, str) and "_" in value:
        raise PydanticCustomError("float_parsing", "is not a number")
    return value


OptionalNumber = Annotated[float | None, BeforeValidator(_plain_number),
                           BeforeValidator(_blank_to_none)]
OptionalInt = Annotated[int | None, BeforeValidator(_plain_number),
                        BeforeValidator(_blank_to_none)]
#: A count of people or need: a plain, finite number, not below zero.
Count = Annotated[float, Field(ge=0), BeforeValidator(_plain_number)]
OptionalText = Annotated[str | None, BeforeValidator(_blank_to_none)]


class Record(BaseModel):
    """Base of every record: frozen, unknown fields forbidden, text kept as written.

    Surrounding white space in text is removed and reported as a note (when a
    ``notes`` list is passed in the validation context); nothing else is changed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    #: The name of the table or sheet these records come from.
    table: ClassVar[str] = "records"
    #: Fields that hold ids of other tables' records, and which tables.
    references: ClassVar[dict[str, tuple[str, ...]]] = {}

    illustrative: bool = Field(
        default=False, description="True for a record made up to illustrate, not real.")
    notes: str = Field(default="", description="Free text, kept as written.")

    @model_validator(mode="before")
    @classmethod
    def _tidy_input(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            if isinstance(value, str) and value != value.strip() and value.strip():
                _note(info, key, value, "had spaces around it, which were removed.")
                value = value.strip()
            if not isinstance(value, (list, tuple, dict)) and _is_blank(value):
                continue  # an empty cell: the field's default, or "is required"
            out[key] = value
        return out

    @field_validator("id", "provider", check_fields=False)
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise PydanticCustomError(
                "id", "is not a usable identifier: it must not be empty or contain ';'. "
                "Use letters, digits, '-' or '_', such as 'luton-hub'.")
        return value

    @field_validator(
        "members", "services", "commissioners", "footprint", check_fields=False)
    @classmethod
    def _valid_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not isinstance(item, str) or not _ID.match(item):
                raise PydanticCustomError(
                    "id", f"holds {item!r}, which is not an identifier. Separate "
                    "identifiers with ';'.")
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            raise PydanticCustomError(
                "duplicate", f"names {', '.join(map(repr, dupes))} twice. "
                "Name each once.")
        return value

    @classmethod
    def fields(cls) -> list[str]:
        """Return the names of the record's fields, in order.

        Examples
        --------
        >>> Organisation.fields()
        ['id', 'name', 'kind', 'illustrative', 'notes']
        """
        own = [f for f in cls.model_fields if f not in {"illustrative", "notes"}]
        return [*own, "illustrative", "notes"]


def _vocab_list(category: str):
    def check(value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        vocab = _context_vocabulary(info)
        for v in value:
            parts = [p.strip() for p in str(v).split(",")]
            if len(parts) > 1 and vocab.match(category, v) is None and all(
                    vocab.match(category, p) is not None for p in parts):
                raise PydanticCustomError(
                    "separator", f"separates several terms with ','. Separate them with "
                    f"';', as {'; '.join(parts)!r}.")
        terms = tuple(_vocab_term(category, v, info) for v in value)
        dupes = sorted({t for t in terms if terms.count(t) > 1})
        if dupes:
            raise PydanticCustomError(
                "duplicate", f"names {', '.join(map(repr, dupes))} twice. Name each once.")
        return terms
    check.vocabulary_category = category  # type: ignore[attr-defined]  # read by schema
    return check


def _vocab_one(category: str):
    def check(value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _vocab_term(category, value, info)
    check.vocabulary_category = category  # type: ignore[attr-defined]  # read by schema
    return check


# -- records --------------------------------------------------------------------------
class Organisation(Record):
    """An organisation: a council, police force, NHS trust, charity, ...

    Parameters
    ----------
    id : str
        Unique identifier.
    name : str
        Name as partners know it.
    kind : str
        An ``organisation_kind`` term, such as ``"local_authority"`` or ``"police"``.

    Examples
    --------
    >>> Organisation(id="LBC", name="Luton Borough Council", kind="Local authority").kind
    'local_authority'
    """

    table: ClassVar[str] = "organisations"
    id: Id
    name: Annotated[str, Field(min_length=1)]
    kind: str = "other"

    _kind = field_validator("kind")(_vocab_one("organisation_kind"))


class Partnership(Record):
    """Organisations working together over a footprint of areas.

    Parameters
    ----------
    id, name : str
        Identifier and name.
    kind : str
        A ``partnership_kind`` term, such as ``"drug_alcohol_partnership"``.
    members : tuple of str
        Organisation ids.
    footprint : tuple of str
        Area codes or parent codes (such as a LAD code) the partnership covers.

    Examples
    --------
    >>> p = Partnership(id="LDAP", name="Luton DAP", kind="drug_alcohol_partnership",
    ...                 members="LBC; BEDPOL", footprint="E06000032")
    >>> p.members, p.footprint
    (('LBC', 'BEDPOL'), ('E06000032',))
    """

    table: ClassVar[str] = "partnerships"
    references: ClassVar[dict[str, tuple[str, ...]]] = {
        "members": ("organisations",), "footprint": ("areas",)}
    id: Id
    name: Annotated[str, Field(min_length=1)]
    kind: str = "other"
    members: IdList = ()
    footprint: IdList = ()

    _kind = field_validator("kind")(_vocab_one("partnership_kind"))


class Catchment(Record):
    """Who a service is for by residence, and how far it reaches from its sites.

    A resident is covered when they live in the ``footprint`` (every area of the map
    when it is empty) **and** within the ``reach`` of the nearest of the service's
    sites. ``reach`` is inferred from which maximum is given when left blank.

    Parameters
    ----------
    footprint : tuple of str
        Area codes or parent codes (a LAD, a partnership footprint) whose residents are
        eligible. Empty means no restriction by residence.
    reach : {"distance", "minutes", "none"}
        ``distance``: within ``max_distance`` metres in a straight line;
        ``minutes``: within ``max_minutes`` by a travel-time table;
        ``none``: outreach, phone or online, reaching the whole footprint.
    max_distance : float, optional
        Metres, for ``reach="distance"``.
    max_minutes : float, optional
        Minutes, for ``reach="minutes"``.

    Examples
    --------
    >>> Catchment(footprint="E06000055; E06000056", max_distance=8000).reach
    'distance'
    >>> Catchment(reach="none").footprint
    ()
    """

    table: ClassVar[str] = "catchments"
    references: ClassVar[dict[str, tuple[str, ...]]] = {"footprint": ("areas",)}
    footprint: IdList = ()
    reach: OptionalText = None
    max_distance: OptionalNumber = Field(default=None, gt=0)
    max_minutes: OptionalNumber = Field(default=None, gt=0)

    _reach = field_validator("reach")(_vocab_one("reach"))

    @model_validator(mode="after")
    def _consistent_reach(self) -> Catchment:
        reach, dist, mins = self.reach, self.max_distance, self.max_minutes
        if reach is None:
            if dist is not None and mins is not None:
                raise PydanticCustomError(
                    "reach", "gives both max_distance and max_minutes. Set reach to "
                    "'distance' or 'minutes' and clear the other.")
            if dist is None and mins is None:
                raise PydanticCustomError(
                    "reach", "is missing. Give max_distance (metres) for a reach by "
                    "distance, max_minutes for travel time, or reach 'none' for "
                    "outreach, phone or online services.")
            object.__setattr__(self, "reach", "distance" if dist is not None else "minutes")
            return self
        if reach == "distance" and dist is None:
            raise PydanticCustomError(
                "reach", "is 'distance' but max_distance is empty. Give it in metres, "
                "such as 10000.")
        if reach == "minutes" and mins is None:
            raise PydanticCustomError(
                "reach", "is 'minutes' but max_minutes is empty. Give it, such as 30.")
        if reach == "none" and (dist is not None or mins is not None):
            raise PydanticCustomError(
                "reach", "is 'none' (whole footprint) but a maximum distance or time is "
                "given. Clear it, or set reach to 'distance' or 'minutes'.")
        if reach == "distance" and mins is not None:
            raise PydanticCustomError(
                "reach", "is 'distance' but max_minutes is given. Clear max_minutes.")
        if reach == "minutes" and dist is not None:
            raise PydanticCustomError(
                "reach", "is 'minutes' but max_distance is given. Clear max_distance.")
        return self


class Service(Record):
    """A service: what is provided, for whom, when, how much, at what cost, and where.

    Parameters
    ----------
    id, name : str
        Identifier and name.
    provider : str
        The id of the organisation that delivers it.
    commissioners : tuple of str
        Ids of the organisations or partnerships that commission or fund it.
    needs : tuple of str
        ``need`` terms it meets; at least one.
    interventions : tuple of str
        ``intervention`` terms it offers.
    client_groups : tuple of str
        ``client_group`` terms it is for; at least one.
    min_age, max_age : int, optional
        Ages it accepts, inclusive.
    hours : OpeningHours, optional
        Weekly opening hours, parsed from text such as ``"Mon-Fri 09:00-17:00"``.
    capacity : float, optional
        How much it can take, in ``capacity_unit``.
    capacity_unit : str, optional
        A ``capacity_unit`` term; required when ``capacity`` is given.
    annual_cost : float, optional
        Cost a year in pounds.
    funding_sources : tuple of str
        Funding streams, as free text.
    visit_frequency : str, optional
        A ``visit_frequency`` term: how often a client must attend.
    status : str
        A ``service_status`` term; ``"active"`` by default.
    catchment : Catchment
        Eligibility by residence and reach from the sites.

    Examples
    --------
    >>> s = Service(id="LAIB", name="Long-acting buprenorphine clinic", provider="P1",
    ...             needs=["drug"], client_groups=["adults"], min_age=18,
    ...             interventions=["long_acting_injectable_buprenorphine"],
    ...             visit_frequency="monthly", hours="Tue 10:00-16:00",
    ...             capacity=60, capacity_unit="places", catchment={"reach": "none"})
    >>> s.visit_frequency, s.capacity
    ('monthly', 60.0)
    """

    table: ClassVar[str] = "services"
    references: ClassVar[dict[str, tuple[str, ...]]] = {
        "provider": ("organisations",), "commissioners": ("organisations", "partnerships"),
    }
    id: Id
    name: Annotated[str, Field(min_length=1)]
    provider: Id
    commissioners: IdList = ()
    needs: IdList = Field(min_length=1)
    interventions: IdList = ()
    client_groups: IdList = Field(min_length=1)
    min_age: OptionalInt = Field(default=None, ge=0, le=120)
    max_age: OptionalInt = Field(default=None, ge=0, le=120)
    hours: OpeningHours | None = None
    capacity: OptionalNumber = Field(default=None, ge=0)
    capacity_unit: OptionalText = None
    annual_cost: OptionalNumber = Field(default=None, ge=0)
    funding_sources: IdList = ()
    visit_frequency: OptionalText = None
    status: str = "active"
    catchment: Catchment

    _needs = field_validator("needs")(_vocab_list("need"))
    _interventions = field_validator("interventions")(_vocab_list("intervention"))
    _groups = field_validator("client_groups")(_vocab_list("client_group"))
    _unit = field_validator("capacity_unit")(_vocab_one("capacity_unit"))
    _freq = field_validator("visit_frequency")(_vocab_one("visit_frequency"))
    _status = field_validator("status")(_vocab_one("service_status"))

    @field_validator("hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> OpeningHours | None:
        if _is_blank(value):
            return None
        try:
            return parse_hours(value)
        except HoursError as exc:
            raise PydanticCustomError("hours", str(exc)) from None

    @field_serializer("hours")
    def _hours_text(self, hours: OpeningHours | None) -> str | None:
        return None if hours is None else str(hours)

    @model_validator(mode="after")
    def _consistent(self) -> Service:
        if (self.min_age is not None and self.max_age is not None
                and self.min_age > self.max_age):
            raise PydanticCustomError(
                "ages", f"min_age {self.min_age} is above max_age {self.max_age}. "
                "Swap them or correct one.")
        if self.capacity is not None and self.capacity_unit is None:
            raise PydanticCustomError(
                "capacity_unit", "capacity is given without capacity_unit. Say what it "
                "counts: places, clients_per_year, appointments_per_week, beds or "
                "referrals_per_year.")
        return self


#: British National Grid's extent (xmin, ymin, xmax, ymax), metres: sites and areas lie inside.
BNG_EXTENT = (0.0, 0.0, 700_000.0, 1_300_000.0)


class Site(Record):
    """A place a service is delivered from, and how clients attend it.

    Give the location either as ``easting``/``northing`` (British National Grid,
    metres) or as ``lon``/``lat`` (WGS84 degrees), not both. A location is required
    for ``in_person`` and ``outreach`` sites (an outreach team's base) and optional for
    ``phone`` and ``online`` ones.

    Parameters
    ----------
    id, name : str
        Identifier and name.
    services : tuple of str
        Ids of the services delivered here; at least one.
    mode : str
        An ``attendance_mode`` term; ``"in_person"`` by default.
    easting, northing : float, optional
        EPSG:27700 coordinates in metres.
    lon, lat : float, optional
        EPSG:4326 coordinates in degrees, converted to EPSG:27700 when the map is built.
    postcode, source : str, optional
        Address postcode; where the location came from.

    Examples
    --------
    >>> Site(id="H1", name="Bedford Hospital", services="ALC1", easting=505_300,
    ...      northing=248_600).mode
    'in_person'
    >>> Site(id="X", name="Swapped", services="S1", lon=52.1, lat=-0.47)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Site
    ...lon and lat look swapped...
    """

    table: ClassVar[str] = "sites"
    references: ClassVar[dict[str, tuple[str, ...]]] = {"services": ("services",)}
    #: Fields that place the site; a map holds them as its point geometry.
    location_fields: ClassVar[tuple[str, ...]] = ("easting", "northing", "lon", "lat")
    id: Id
    name: Annotated[str, Field(min_length=1)]
    services: IdList = Field(min_length=1)
    mode: str = "in_person"
    easting: OptionalNumber = None
    northing: OptionalNumber = None
    lon: OptionalNumber = None
    lat: OptionalNumber = None
    postcode: OptionalText = None
    source: OptionalText = None

    _mode = field_validator("mode")(_vocab_one("attendance_mode"))

    @model_validator(mode="after")
    def _location(self) -> Site:
        en = (self.easting, self.northing)
        ll = (self.lon, self.lat)
        has_en, has_ll = any(v is not None for v in en), any(v is not None for v in ll)
        if has_en and has_ll:
            raise PydanticCustomError(
                "location", "gives both easting/northing and lon/lat. Keep one pair.")
        if has_en and None in en:
            raise PydanticCustomError(
                "location", "gives only one of easting and northing. Give both.")
        if has_ll and None in ll:
            raise PydanticCustomError("location", "gives only one of lon and lat. Give both.")
        if not (has_en or has_ll):
            if self.mode == "outreach":
                raise PydanticCustomError(
                    "location", "has no location but mode is 'outreach'. Give the base "
                    "its workers travel out from, as easting and northing (or lon and "
                    "lat): outreach reaches the areas within its distance of that base.")
            if self.mode == "in_person":
                raise PydanticCustomError(
                    "location", "has no location but mode is 'in_person'. Give "
                    "easting and northing (or lon and lat), or set mode to 'phone' or "
                    "'online' if nobody visits it.")
            return self
        if has_en:
            e, n = cast(tuple[float, float], en)
            if abs(e) <= 180 and abs(n) <= 90:
                raise PydanticCustomError(
                    "location", f"easting {e} and northing {n} look like longitude and "
                    "latitude. Put them in lon and lat instead.")
            if not (BNG_EXTENT[0] <= e <= BNG_EXTENT[2] and BNG_EXTENT[1] <= n <= BNG_EXTENT[3]):
                raise PydanticCustomError(
                    "location", f"easting {e}, northing {n} is outside Great Britain's "
                    "National Grid (0-700000, 0-1300000). Check the numbers and their "
                    "order.")
        else:
            lon, lat = cast(tuple[float, float], ll)
            if -9.0 <= lat <= 2.5 and 49.0 <= lon <= 61.0:
                raise PydanticCustomError(
                    "location", f"lon {lon}, lat {lat}: lon and lat look swapped. In the "
                    "UK, lat is about 50 to 60 and lon about -8 to 2.")
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise PydanticCustomError(
                    "location", f"lon {lon}, lat {lat} is not a position on Earth.")
        return self


class Pathway(Record):
    """A referral route from a service or an entry point to a service.

    Parameters
    ----------
    id : str
        Identifier.
    from_service : str, optional
        The id of the referring service; give this or ``from_entry``.
    from_entry : str, optional
        An ``entry_point`` term such as ``"police_vulnerable_persons"``.
    to_service : str
        The id of the service referred to.
    kind : str
        A ``pathway_kind`` term; ``"referral"`` by default.
    consent_basis : str
        A ``consent_basis`` term; ``"not_recorded"`` by default.
    information_sharing_agreement : bool, optional
        Whether an information-sharing agreement covers the route; empty if unknown.
    wait_days : float, optional
        Typical wait from referral to first contact, days.
    volume_per_year : float, optional
        Referrals a year along the route.

    Examples
    --------
    >>> p = Pathway(id="P1", from_entry="Police vulnerable-persons referral",
    ...             to_service="S1", consent_basis="public_task",
    ...             information_sharing_agreement="yes", wait_days=3)
    >>> p.from_entry, p.information_sharing_agreement
    ('police_vulnerable_persons', True)
    """

    table: ClassVar[str] = "pathways"
    references: ClassVar[dict[str, tuple[str, ...]]] = {
        "from_service": ("services",), "to_service": ("services",)}
    id: Id
    from_service: OptionalText = None
    from_entry: OptionalText = None
    to_service: Id
    kind: str = "referral"
    consent_basis: str = "not_recorded"
    information_sharing_agreement: Annotated[
        bool | None, BeforeValidator(_blank_to_none)] = None
    wait_days: OptionalNumber = Field(default=None, ge=0)
    volume_per_year: OptionalNumber = Field(default=None, ge=0)

    _entry = field_validator("from_entry")(_vocab_one("entry_point"))
    _kind = field_validator("kind")(_vocab_one("pathway_kind"))
    _consent = field_validator("consent_basis")(_vocab_one("consent_basis"))

    @model_validator(mode="after")
    def _one_source(self) -> Pathway:
        if (self.from_service is None) == (self.from_entry is None):
            raise PydanticCustomError(
                "source", "needs exactly one of from_service (a service id) and "
                "from_entry (an entry point such as 'police_custody').")
        return self


class Area(Record):
    """A small area: GSS code, name, parent areas, population and need.

    In a map's ``areas`` frame these become columns: ``name``, one ``<level>_code``
    column per parent level (such as ``lad_code``), ``population``, one ``pop_<group>``
    column per population group and one ``need_<need>`` column per need indicator
    (such as ``need_drug``: people estimated to need drug treatment).

    Parameters
    ----------
    code : str
        The area's code, normally an ONS or NRS GSS code such as ``"E01017453"``.
    name : str
        Its name.
    parents : dict of str to str
        Parent area codes by level, such as ``{"lad": "E06000055"}``.
    population : float, optional
        Total residents.
    population_by_group : dict of str to float
        Residents by group, such as ``{"0_15": 412}``.
    needs : dict of str to float
        People with each need, keyed by ``need`` terms.
    imd_decile : int, optional
        Index of Multiple Deprivation decile (1 = most deprived 10%).
    centroid_easting, centroid_northing : float, optional
        The area's population-weighted centroid in EPSG:27700 metres (ONS publishes
        these for LSOAs and MSOAs). Where given, distances to services are measured
        from it; otherwise from the polygon's geometric centroid.

    Examples
    --------
    >>> a = Area(code="E01017453", name="Bedford 005A", parents={"lad": "E06000055"},
    ...          population=1_650, needs={"drug": 12.5})
    >>> a.needs
    {'drug': 12.5}
    """

    table: ClassVar[str] = "areas"
    code: Id
    name: Annotated[str, Field(min_length=1)]
    parents: dict[str, str] = {}
    population: OptionalNumber = Field(default=None, ge=0)
    population_by_group: dict[str, Count] = {}
    needs: dict[str, Count] = {}
    imd_decile: OptionalInt = Field(default=None, ge=1, le=10)
    centroid_easting: OptionalNumber = Field(default=None, ge=BNG_EXTENT[0], le=BNG_EXTENT[2])
    centroid_northing: OptionalNumber = Field(default=None, ge=BNG_EXTENT[1], le=BNG_EXTENT[3])

    @model_validator(mode="after")
    def _centroid(self) -> Area:
        if (self.centroid_easting is None) != (self.centroid_northing is None):
            raise PydanticCustomError(
                "centroid", "gives only one of centroid_easting and centroid_northing. "
                "Give both, or leave both empty to use the geometric centroid.")
        return self

    @field_validator("needs")
    @classmethod
    def _need_terms(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        vocab = _context_vocabulary(info)
        for key in value:
            if vocab.match("need", key) != key:
                raise PydanticCustomError(
                    "vocabulary", f"has a column for {key!r}: "
                    + vocab.unknown_message("need", key))
        return value

    @field_validator("parents")
    @classmethod
    def _parent_levels(cls, value: dict[str, str]) -> dict[str, str]:
        for level in value:
            if not re.match(r"^[a-z][a-z0-9_]*$", level):
                raise PydanticCustomError(
                    "level", f"has parent level {level!r}; name levels in lower-case "
                    "snake_case, such as 'lad' or 'msoa'.")
        return value


RECORDS: dict[str, type[Record]] = {
    "organisations": Organisation,
    "partnerships": Partnership,
    "services": Service,
    "sites": Site,
    "pathways": Pathway,
    "areas": Area,
}
"""The record class of each table of a map."""

_AT_LEAST_ONE = {"needs", "client_groups", "services"}
_WHOLE_RECORD = {"reach": "reach", "location": "location", "source": "from_service",
                 "centroid": "centroid_easting",
                 "ages": "min_age", "capacity_unit": "capacity_unit"}
#: The problem code of each kind of pydantic error, and of the records' own checks.
_CODES = {
    "missing": "missing_value",
    "too_short": "missing_value",
    "float_parsing": "not_a_number",
    "float_type": "not_a_number",
    "finite_number": "not_a_number",
    "int_parsing": "not_a_whole_number",
    "int_type": "not_a_whole_number",
    "int_from_float": "not_a_whole_number",
    "bool_parsing": "not_yes_no",
    "bool_type": "not_yes_no",
    "string_type": "not_text",
    "greater_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "extra_forbidden": "unknown_column",
    "model_type": "wrong_type",
    "dict_type": "wrong_type",
    "model_attributes_type": "wrong_type",
    # the records' own checks (PydanticCustomError types)
    "vocabulary": "unknown_term",
    "id": "bad_id",
    "level": "bad_id",
    "duplicate": "duplicate_value",
    "separator": "bad_separator",
    "hours": "bad_hours",
    "reach": "bad_reach",
    "location": "bad_location",
    "ages": "conflicting_values",
    "source": "conflicting_values",
    "centroid": "conflicting_values",
    "capacity_unit": "missing_value",
}
_PLAIN = {
    "missing": "is required but empty. Fill it in.",
    "float_parsing": "is not a number. Write a plain number such as 40, with no units "
                     "or words.",
    "float_type": "is not a number. Write a plain number such as 40.",
    "int_parsing": "is not a whole number. Write a whole number such as 18.",
    "int_type": "is not a whole number. Write a whole number such as 18.",
    "int_from_float": "is not a whole number. Write a whole number such as 18.",
    "bool_parsing": "is not yes or no. Write yes or no (or leave it empty if unknown).",
    "bool_type": "is not yes or no. Write yes or no.",
    "string_type": "is not text. Write it as text.",
    "finite_number": "is not a finite number. Write a number such as 40.",
}


#: The unit of each measured field, and an example, for "is not a number" messages.
_UNITS = {"max_distance": ("the distance in metres", "10000 for 10 km"),
          "max_minutes": ("the travel time in minutes", "30"),
          "wait_days": ("the typical wait in days", "14")}
#: A distance written with a unit: metres per unit.
_DISTANCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km|kilometres?|kilometers?|m|metres?|"
                       r"meters?|miles?|mi)\s*$", re.IGNORECASE)
_METRES = {"km": 1000.0, "kilometre": 1000.0, "kilometer": 1000.0, "m": 1.0,
           "metre": 1.0, "meter": 1.0, "mile": 1609.344, "mi": 1609.344}


def _in_units(field: str, value: Any) -> str:
    """Say how to write a measured field as a number, converting a distance with a unit.

    Examples
    --------
    >>> _in_units("max_distance", "10km")
    'is not a number. Write the distance in metres: 10000.'
    >>> _in_units("max_minutes", "half an hour")
    'is not a number. Write the travel time in minutes as a plain number, such as 30.'
    """
    what, example = _UNITS[field]
    found = _DISTANCE.match(str(value)) if field == "max_distance" else None
    if found:
        unit = found.group(2).lower().rstrip("s")
        metres = float(found.group(1)) * _METRES[unit]
        return f"is not a number. Write {what}: {metres:g}."
    return f"is not a number. Write {what} as a plain number, such as {example}."


def problems_from_validation_error(
    exc: ValidationError,
    table: str,
    row: int | str | None,
    *,
    id: str | None = None,  # noqa: A002 - the record's id
    fields: list[str] | None = None,
    column_of: Callable[[tuple[str, ...]], str | None] | None = None,
) -> list[Problem]:
    """Turn a pydantic ValidationError into our :class:`Problem` records.

    Parameters
    ----------
    exc : pydantic.ValidationError
        The error raised when validating one record.
    table : str
        The table or sheet the record came from.
    row : int or str or None
        Where the row is, as the user sees it.
    id : str, optional
        The record's id, to help find the row.
    fields : list of str, optional
        The known fields, listed in the message for an unknown one.
    column_of : callable, optional
        Maps an error's location (field names, outermost first) to the column to name,
        where a table's columns are not the record's fields.

    Returns
    -------
    list of Problem

    Examples
    --------
    >>> try:
    ...     Organisation(id="X", name="Y", kind="council", extra=1)
    ... except ValidationError as exc:
    ...     for p in problems_from_validation_error(exc, "organisations", 4,
    ...                                             fields=Organisation.fields()):
    ...         print(p)
    table 'organisations', row 4, field 'kind': 'council' is not an organisation kind. Use ...
    table 'organisations', row 4, field 'extra': 'extra' is not a field of table \
'organisations'. Fields are: id, name, kind, illustrative, notes.
    """
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(part for part in err["loc"] if isinstance(part, str))
        field = column_of(loc) if column_of else (loc[-1] if loc else None)
        kind = err["type"]
        value = err.get("input")
        ctx = err.get("ctx") or {}
        if kind == "missing":
            value = None
            if field in _AT_LEAST_ONE:
                kind = "too_short"
        code = _CODES.get(kind, "invalid")
        if kind == "extra_forbidden":
            known = fields or []
            close = difflib.get_close_matches(str(field), known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            listed = f" Fields are: {', '.join(known)}." if known else ""
            message = f"is not a field of table '{table}'.{hint}{listed}"
            value, field_name = field, field
            out.append(Problem(table, row, field_name, value, message, id=id, code=code))
            continue
        if kind in {"float_parsing", "float_type"} and field in _UNITS:
            message = _in_units(str(field), value)
        elif kind in _PLAIN:
            message = _PLAIN[kind]
        elif kind in {"greater_than_equal", "greater_than", "less_than_equal"}:
            bound = ctx.get("ge", ctx.get("gt", ctx.get("le")))
            words = {"greater_than_equal": "below", "greater_than": "not above",
                     "less_than_equal": "above"}[kind]
            message = f"is {words} {bound:g}. Write a number in range."
        elif kind == "too_short":
            message = "is empty. Give at least one, separated by ';' if several."
            value = None
        elif kind in {"model_type", "dict_type", "model_attributes_type"}:
            message = f"is not a set of fields: {err['msg']}."
        elif kind in _WHOLE_RECORD:
            # a check across fields: name the field to fix; the message names values
            message, field, value = err["msg"], _WHOLE_RECORD[kind], None
        else:
            message = err["msg"]
            quoted = repr(value)
            if isinstance(value, str) and message.startswith(quoted):
                message = message[len(quoted):].lstrip(" ")
        if value is not None and field is None:
            value = None
        out.append(Problem(table, row, field, value, message, id=id, code=code))
    return out

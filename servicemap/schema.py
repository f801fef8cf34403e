"""The one table schema, derived from the records of :mod:`servicemap.model`.

Each table of a map (organisations, partnerships, services, sites, pathways) is one
record type; this module reads the records' fields and says, once, what the columns of
that table are, in order, and what each holds. The map's frames, the workbook's sheets,
the GeoPackage tables and the HSDS extension tables all read it, so none of them can
drift from the records.

==============  ==========================================================================
kind            what a column of that kind holds
==============  ==========================================================================
``id``          one identifier of another table's record (``provider``, ``to_service``)
``ids``         identifiers of other records, a tuple in a map (``commissioners``)
``term``        one term of a vocabulary category (``status``)
``terms``       terms of a vocabulary category, a tuple in a map (``needs``)
``text``        free text (``name``, ``notes``)
``hours``       opening hours (:class:`servicemap.OpeningHours`)
``number``      a number (``capacity``)
``whole``       a whole number (``min_age``)
``yes_no``      True, False or unknown (``information_sharing_agreement``)
==============  ==========================================================================

A service's catchment is a record of its own (:class:`servicemap.Catchment`); its
fields are columns of the services table. A site's location fields (``easting``,
``northing``, ``lon``, ``lat``) become its point geometry, so they are not columns.

The areas table is open (any indicator may be a column): :func:`area_schema` describes
an areas frame so that :func:`restore_areas` can rebuild it exactly after a file has
stored it.

Examples
--------
>>> from servicemap.schema import TABLES
>>> sorted(TABLES)
['organisations', 'partnerships', 'pathways', 'services', 'sites']
>>> TABLES["services"].column("needs")
Column(name='needs', kind='terms', category='need', references=(), required=True)
>>> TABLES["pathways"].column("to_service").references
('services',)
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import geopandas as gpd

from servicemap.hours import OpeningHours
from servicemap.model import (
    Catchment,
    Organisation,
    Partnership,
    Pathway,
    Record,
    Service,
    Site,
)

__all__ = [
    "CATCHMENT_COLUMNS",
    "KINDS",
    "LIST_KINDS",
    "NUMBER_KINDS",
    "TABLES",
    "TRAVEL_TIME_COLUMNS",
    "Column",
    "Columns",
    "Table",
    "area_schema",
    "restore_areas",
]

#: The kinds of column, in the order of the module's table.
KINDS = ("id", "ids", "term", "terms", "text", "hours", "number", "whole", "yes_no")
#: Kinds held as tuples in a map and as ``"; "``-separated text in a file.
LIST_KINDS = frozenset({"ids", "terms"})
#: Kinds held as numbers.
NUMBER_KINDS = frozenset({"number", "whole"})
#: Fields every record has, written last.
_COMMON = ("illustrative", "notes")


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        The column (and record field) name.
    kind : str
        One of :data:`KINDS`.
    category : str, optional
        The vocabulary category of a ``term`` or ``terms`` column.
    references : tuple of str
        The tables whose ids an ``id`` or ``ids`` column names (``areas`` for a
        footprint).
    required : bool
        Whether a record must give a value.
    """

    name: str
    kind: str
    category: str | None = None
    references: tuple[str, ...] = ()
    required: bool = False

    @property
    def is_list(self) -> bool:
        """Whether a map holds the column's values as tuples."""
        return self.kind in LIST_KINDS


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_C = TypeVar("_C", bound=_Named)


class Columns(Generic[_C]):
    """Columns looked up by name: what :class:`Table` and a workbook sheet share.

    A subclass, a frozen dataclass, declares ``name`` and ``columns`` (each with a
    ``name``); ``noun`` says what it is in messages.
    """

    name: str
    columns: tuple[_C, ...]
    #: What one is called in messages.
    noun: ClassVar[str] = "table"

    @property
    def names(self) -> list[str]:
        """The column names, in order.

        Examples
        --------
        >>> TABLES["organisations"].names
        ['name', 'kind', 'illustrative', 'notes']
        """
        return [c.name for c in self.columns]

    def column(self, name: str) -> _C:
        """Return the column called ``name``.

        Raises
        ------
        KeyError
            If there is no such column, listing those there are.

        Examples
        --------
        >>> TABLES["sites"].column("mode").category
        'attendance_mode'
        >>> TABLES["sites"].column("mod")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        KeyError: "table 'sites' has no column 'mod'; it has name, ..."
        """
        for c in self.columns:
            if c.name == name:
                return c
        msg = (f"{self.noun} {self.name!r} has no column {name!r}; it has "
               f"{', '.join(self.names)}.")
        raise KeyError(msg)


@dataclass(frozen=True)
class Table(Columns[Column]):
    """The columns of one table of a map, besides its ``id`` index.

    Parameters
    ----------
    name : str
        The table, such as ``"services"``.
    record : type
        The record type one row validates as.
    columns : tuple of Column
        In the order a map's frame holds them.
    """

    name: str
    record: type[Record]
    columns: tuple[Column, ...]

    def of_kind(self, *kinds: str) -> list[str]:
        """Return the names of the columns of the given kinds, in order.

        Examples
        --------
        >>> TABLES["partnerships"].of_kind("ids", "terms")
        ['members', 'footprint']
        """
        return [c.name for c in self.columns if c.kind in kinds]

    @property
    def list_columns(self) -> list[str]:
        """The columns a map holds as tuples."""
        return self.of_kind(*LIST_KINDS)


# -- deriving the columns from the records ----------------------------------------------
def _categories(record: type[Record]) -> dict[str, str]:
    """Map each field checked against a vocabulary to its category."""
    out: dict[str, str] = {}
    for dec in record.__pydantic_decorators__.field_validators.values():
        category = getattr(dec.func, "vocabulary_category", None)
        if category is not None:
            for name in dec.info.fields:
                out[name] = category
    return out


def _base_type(annotation: Any) -> Any:
    """Return ``X`` of ``X | None``, and the annotation itself otherwise."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _kind(base: Any, category: str | None, references: tuple[str, ...]) -> str:
    if typing.get_origin(base) is tuple:
        return "terms" if category else "ids"
    if base is OpeningHours:
        return "hours"
    if base is bool:
        return "yes_no"
    if base is int:
        return "whole"
    if base is float:
        return "number"
    if category:
        return "term"
    return "id" if references else "text"


def _columns(record: type[Record]) -> list[Column]:
    categories = _categories(record)
    skip = {"id", *getattr(record, "location_fields", ())}
    out: list[Column] = []
    for name, info in record.model_fields.items():
        if name in skip or name in _COMMON:
            continue
        base = _base_type(info.annotation)
        if isinstance(base, type) and issubclass(base, Record):
            out.extend(_columns(base))  # a nested record: the service's catchment
            continue
        refs = record.references.get(name, ())
        out.append(Column(name, _kind(base, categories.get(name), refs),
                          categories.get(name), refs, info.is_required()
                          or _at_least_one(info)))
    return out


def _at_least_one(info: Any) -> bool:
    return any(getattr(m, "min_length", 0) for m in info.metadata)


def _table(record: type[Record]) -> Table:
    common = [Column(n, _kind(_base_type(record.model_fields[n].annotation), None, ()))
              for n in _COMMON]
    return Table(record.table, record, tuple(_columns(record) + common))


#: The tables of a map, by name.
TABLES: dict[str, Table] = {r.table: _table(r) for r in (
    Organisation, Partnership, Service, Site, Pathway)}
#: The services table's columns that describe its catchment.
CATCHMENT_COLUMNS: list[str] = [c.name for c in _columns(Catchment)]
#: The columns of a map's travel-time table: from an area to a site, in minutes.
TRAVEL_TIME_COLUMNS: list[str] = ["area", "site", "minutes"]


# -- the areas table --------------------------------------------------------------------
def area_schema(areas: gpd.GeoDataFrame) -> dict[str, Any]:
    """Describe the areas frame so that :func:`restore_areas` can rebuild it exactly.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        A map's areas, indexed by code.

    Returns
    -------
    dict
        ``index`` (its name), ``geometry`` (the geometry column's name), ``columns``
        (in order) and ``dtypes`` (each column's dtype as text), all JSON-friendly.

    Examples
    --------
    >>> schema = area_schema(sm.datasets.bedfordshire().areas)
    >>> schema["index"], schema["geometry"], schema["dtypes"]["imd_decile"]
    ('code', 'geometry', 'int64')
    """
    return {"index": areas.index.name or "code",
            "geometry": areas.geometry.name,
            "columns": [str(c) for c in areas.columns],
            "dtypes": {str(c): str(t) for c, t in areas.dtypes.items()
                       if c != areas.geometry.name}}


def restore_areas(frame: gpd.GeoDataFrame, schema: dict[str, Any], *,
                  lenient: bool = False) -> gpd.GeoDataFrame:
    """Rebuild an areas frame written with :func:`area_schema`: dtypes, index, order.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        The areas as read back, with the index as a column.
    schema : dict
        What :func:`area_schema` returned for the areas written.
    lenient : bool, default False
        Leave a column as read when it cannot take its dtype (an integer column with
        a blank, say) and drop columns of the schema that are missing, instead of
        raising; validation then reports what is wrong.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by the schema's index, with its columns in order and their dtypes.

    Examples
    --------
    >>> areas = sm.datasets.bedfordshire().areas
    >>> read_back = areas.reset_index().astype({"imd_decile": "float64"})
    >>> restore_areas(read_back, area_schema(areas)).equals(areas)
    True
    """
    if schema["geometry"] != frame.geometry.name:
        frame = frame.rename_geometry(schema["geometry"])
    for col, dtype in schema["dtypes"].items():
        if col in frame and str(frame[col].dtype) != dtype:
            try:
                frame[col] = frame[col].astype(dtype)
            except (TypeError, ValueError):
                if not lenient:
                    raise
    columns = schema["columns"]
    if lenient:
        columns = [c for c in columns if c in frame]
    return frame.set_index(schema["index"])[columns]

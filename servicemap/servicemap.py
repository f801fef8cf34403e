"""The ServiceMap: services, sites, catchments, pathways and partnerships over areas.

A :class:`ServiceMap` holds six frames and the vocabulary they use:

=================  ==================  ===============================================
attribute          type                index and columns
=================  ==================  ===============================================
``areas``          GeoDataFrame        ``code``; ``name``, ``<level>_code`` parents,
                                       ``population``, ``pop_<group>``,
                                       ``need_<need>``, ``imd_decile``, any others;
                                       polygons in EPSG:27700
``services``       DataFrame           ``id``; :data:`SERVICE_COLUMNS`
``sites``          GeoDataFrame        ``id``; :data:`SITE_COLUMNS`; points in
                                       EPSG:27700 (empty for phone and online sites)
``pathways``       DataFrame           ``id``; :data:`PATHWAY_COLUMNS`
``organisations``  DataFrame           ``id``; ``name``, ``kind``, ...
``partnerships``   DataFrame           ``id``; ``name``, ``kind``, ``members``,
                                       ``footprint``, ...
=================  ==================  ===============================================

List fields (``needs``, ``client_groups``, ``services`` of a site, ...) are tuples.
A map never changes: the frames it returns are copies (pandas copy-on-write makes
them cheap), and :meth:`ServiceMap.replace` returns a new map.

Every row is validated as its record (:mod:`servicemap.model`) when the map is built;
:meth:`ServiceMap.validate` checks the records against each other.
"""

from __future__ import annotations

import copy
import html
import warnings
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar, cast

import geopandas as gpd
import pandas as pd

from servicemap._checks import cross_record_problems
from servicemap._frames import (
    as_records,
    check_area_frame,
    duplicate_ids,
    ordered_problems,
    records_frame,
    site_frame,
    sites_input,
    travel_time_frame,
    unknown_columns,
    validate_rows,
)
from servicemap.crs import user_stacklevel
from servicemap.errors import (
    InputError,
    Problem,
    ValidationWarning,
    plural,
    problems_frame,
)
from servicemap.model import (
    Organisation,
    Partnership,
    Pathway,
    Record,
    Service,
    Site,
)
from servicemap.schema import CATCHMENT_COLUMNS, TABLES
from servicemap.vocab import VOCABULARY, Vocabulary

__all__ = [
    "PATHWAY_COLUMNS",
    "SERVICE_COLUMNS",
    "SITE_COLUMNS",
    "ServiceMap",
    "ValidationReport",
]

#: The columns of each table besides its ``id`` index, from :mod:`servicemap.schema`.
_TABLE_COLUMNS = {name: table.names for name, table in TABLES.items()}
SERVICE_COLUMNS = _TABLE_COLUMNS["services"]
SITE_COLUMNS = _TABLE_COLUMNS["sites"]
PATHWAY_COLUMNS = _TABLE_COLUMNS["pathways"]
ORGANISATION_COLUMNS = _TABLE_COLUMNS["organisations"]
PARTNERSHIP_COLUMNS = _TABLE_COLUMNS["partnerships"]
T = TypeVar("T")



# -- the validation report ------------------------------------------------------------
@dataclass(frozen=True)
class ValidationReport:
    """Every problem found in a map, with where it is and how to fix it.

    Attributes
    ----------
    problems : tuple of Problem
        Errors first, then warnings, then notes of what was normalised on reading.

    Examples
    --------
    >>> report = ValidationReport((Problem("sites", 0, "services", "S9",
    ...                                    "is not in table 'services'."),))
    >>> report.ok, len(report.errors)
    (False, 1)
    >>> print(report)
    1 error, 0 warnings, 0 notes
      error    table 'sites', row 0, field 'services': 'S9' is not in table 'services'.
    """

    problems: tuple[Problem, ...] = ()
    source: str | None = field(default=None, compare=False)

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that stop the map from being used."""
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems reported and left alone."""
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def notes(self) -> tuple[Problem, ...]:
        """What was normalised when the map was read, such as a term's case."""
        return tuple(p for p in self.problems if p.severity == "note")

    @property
    def ok(self) -> bool:
        """Whether there is no error."""
        return not self.errors

    def to_frame(self) -> pd.DataFrame:
        """Return the problems as a DataFrame, one row each.

        Examples
        --------
        >>> ValidationReport().to_frame().columns.tolist()  # doctest: +NORMALIZE_WHITESPACE
        ['table', 'row', 'field', 'value', 'message', 'severity', 'id', 'code',
         'ref_table', 'ref_id']
        """
        return problems_frame(self.problems)

    def raise_for_errors(self) -> None:
        """Raise :class:`InputError` with every error and warning, if there is an error.

        Examples
        --------
        >>> ValidationReport().raise_for_errors()  # nothing to raise
        """
        if self.errors:
            raise InputError(self.errors + self.warnings, source=self.source)

    def __len__(self) -> int:
        return len(self.problems)

    @property
    def counts(self) -> str:
        """Say how many errors, warnings and notes there are, in words.

        Examples
        --------
        >>> sm.datasets.bedfordshire().validate().counts
        '0 errors, 0 warnings, 0 notes'
        """
        e, w, n = len(self.errors), len(self.warnings), len(self.notes)
        return (f"{e} error{'s' * (e != 1)}, {w} warning{'s' * (w != 1)}, "
                f"{n} note{'s' * (n != 1)}")

    def __str__(self) -> str:
        lines = [self.counts]
        for p in self.problems[:50]:
            lines.append(f"  {p.severity:<8} {p}")
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more (see .to_frame())")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<ValidationReport: {self.counts}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(p.severity)}</td><td>{html.escape(p.table)}</td>"
            f"<td>{html.escape(str(p.row))}</td><td>{html.escape(str(p.field))}</td>"
            f"<td>{html.escape(repr(p.value))}</td><td>{html.escape(p.message)}</td></tr>"
            for p in self.problems[:200]
        )
        head = ("<tr><th>severity</th><th>table</th><th>row</th><th>field</th>"
                "<th>value</th><th>message</th></tr>")
        return (f"<p><b>ValidationReport</b>: {html.escape(self.counts)}</p>"
                f"<table>{head}{rows}</table>")


# -- the map --------------------------------------------------------------------------
class ServiceMap:
    """Services, their sites, catchments, pathways and partnerships over areas.

    Build one with :meth:`from_frames`, or load a shipped one with
    :func:`servicemap.datasets.bedfordshire`. A map is immutable.

    Attributes
    ----------
    areas : geopandas.GeoDataFrame
        Areas indexed by code, in EPSG:27700.
    services, pathways, organisations, partnerships : pandas.DataFrame
        Indexed by id.
    sites : geopandas.GeoDataFrame
        Sites indexed by id, points in EPSG:27700.
    vocabulary : Vocabulary
        The terms the map uses, built-in and declared.
    provenance : dict
        Where the map came from: name, sources, licence, attribution.

    Examples
    --------
    >>> smap = sm.datasets.bedfordshire()
    >>> len(smap.areas), smap.areas.crs.to_epsg()
    (381, 27700)
    >>> smap.validate().ok
    True
    """

    __slots__ = ("_areas", "_services", "_sites", "_pathways", "_organisations",
                 "_partnerships", "_travel_times", "_vocabulary", "_provenance",
                 "_notes", "_rows", "_cache", "_frozen")

    def __init__(
        self,
        *,
        areas: gpd.GeoDataFrame,
        services: pd.DataFrame,
        sites: gpd.GeoDataFrame,
        pathways: pd.DataFrame,
        organisations: pd.DataFrame,
        partnerships: pd.DataFrame,
        travel_times: pd.DataFrame | None = None,
        vocabulary: Vocabulary = VOCABULARY,
        provenance: Mapping[str, Any] | None = None,
        notes: Sequence[Problem] = (),
        row_labels: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        # Internal: use ServiceMap.from_frames, which validates every row.
        self._areas = areas
        self._services = services
        self._sites = sites
        self._pathways = pathways
        self._organisations = organisations
        self._partnerships = partnerships
        self._travel_times = (travel_times if travel_times is not None
                              else travel_time_frame(None, [], [], None)[0])
        self._vocabulary = vocabulary
        self._provenance = dict(provenance or {})
        self._notes = tuple(notes)
        labels = dict(row_labels or {})
        self._rows = {
            table: dict(zip(frame.index, labels.get(table, range(len(frame))),
                            strict=False))
            for table, frame in (("areas", areas), ("services", services),
                                 ("sites", sites), ("pathways", pathways),
                                 ("organisations", organisations),
                                 ("partnerships", partnerships))}
        self._cache: dict[Hashable, Any] = {}
        self._frozen = True

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            msg = (f"a ServiceMap cannot be changed (setting {name!r}); use "
                   "smap.replace(...) to make a new one.")
            raise AttributeError(msg)
        object.__setattr__(self, name, value)

    # -- building ----------------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        *,
        areas: gpd.GeoDataFrame,
        services: Any = None,
        sites: Any = None,
        pathways: Any = None,
        organisations: Any = None,
        partnerships: Any = None,
        travel_times: pd.DataFrame | None = None,
        vocabulary: Vocabulary | Mapping[str, Mapping[str, str]] | None = None,
        provenance: Mapping[str, Any] | None = None,
        strict: bool = True,
        row_labels: Mapping[str, Sequence[Any]] | None = None,
        source: str | None = None,
    ) -> ServiceMap:
        """Build a map from (Geo)DataFrames or lists of records, validating every row.

        Parameters
        ----------
        areas : geopandas.GeoDataFrame
            Area polygons with a ``code`` column or index and a ``name`` column; see
            :class:`~servicemap.model.Area` for the other columns. Any CRS; it is
            transformed to EPSG:27700 with a warning.
        services, sites, pathways, organisations, partnerships : DataFrame or list
            Each a DataFrame with an ``id`` column (or index), or a list of records or
            dicts. Sites may be a GeoDataFrame of points instead of easting/northing
            or lon/lat columns. Omitted tables are empty.
        travel_times : DataFrame, optional
            Travel times for services that reach by ``max_minutes``: one row per area
            and site with columns ``area`` (code), ``site`` (id) and ``minutes``, the
            long form PySAL access and spopt take. A missing pair is unreachable.
        vocabulary : Vocabulary or mapping, optional
            Extra terms the map declares, as a :class:`Vocabulary` or as
            ``{"need": {"gambling": "Gambling harm"}}``.
        provenance : mapping, optional
            Where the data came from (name, sources, licence, attribution).
        strict : bool, default True
            Raise :class:`InputError` when records contradict each other (a pathway to
            an unknown service, ...). With ``False`` the map is built and
            :meth:`validate` lists them. Problems within a row always raise.
        row_labels : mapping of str to sequence, optional
            Per table, how to name each row in messages (such as Excel row numbers);
            by default its position from 0.
        source : str, optional
            What was read, such as a file name, for messages.

        Returns
        -------
        ServiceMap

        Raises
        ------
        InputError
            With every problem found, each naming table, row, field and value.

        Examples
        --------
        >>> import shapely
        >>> areas = gpd.GeoDataFrame(
        ...     {"code": ["E01000001", "E01000002"], "name": ["West", "East"],
        ...      "population": [1500, 1200], "need_drug": [10.0, 14.0]},
        ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        ...     crs=27700)
        >>> smap = sm.ServiceMap.from_frames(
        ...     areas=areas,
        ...     organisations=[{"id": "C", "name": "Council", "kind": "local_authority"}],
        ...     services=[{"id": "S1", "name": "Hub", "provider": "C", "needs": "drug",
        ...                "client_groups": "adults", "max_distance": 1500}],
        ...     sites=[{"id": "H", "name": "Hub site", "services": "S1",
        ...             "easting": 500, "northing": 500}])
        >>> smap
        <ServiceMap: 2 areas, 1 service, 1 site, 0 pathways, 1 organisation, 0 partnerships>
        >>> sm.ServiceMap.from_frames(areas=areas, services=[{"id": "S1", "name": "Hub",
        ...     "provider": "C", "needs": "drugs", "client_groups": "adults",
        ...     "max_distance": 1500}])
        Traceback (most recent call last):
        ...
        servicemap.errors.InputError: 1 problem in the input
          - table 'services', row 0 (id 'S1'), field 'needs': 'drugs' is not a need. ...
        """
        if vocabulary is None:
            vocab = VOCABULARY
        elif isinstance(vocabulary, Vocabulary):
            vocab = vocabulary
        else:
            vocab = VOCABULARY
            for category, terms in vocabulary.items():
                vocab = vocab.extend(category, terms)
        labels = dict(row_labels or {})
        notes: list[Problem] = []
        problems: list[Problem] = []

        area_frame, area_problems = check_area_frame(areas, vocab, notes,
                                                      labels.get("areas"))
        problems += area_problems

        site_input = sites_input(sites) if sites is not None else None
        tables: dict[str, tuple[Any, type[Record]]] = {
            "organisations": (organisations, Organisation),
            "partnerships": (partnerships, Partnership),
            "services": (services, Service),
            "sites": (site_input, Site),
            "pathways": (pathways, Pathway)}
        built: dict[str, list[Record]] = {}
        for table, (data, rec_cls) in tables.items():
            rows, shape_problems = as_records(table, data)
            problems += shape_problems
            fields = ["id", *_TABLE_COLUMNS[table]]
            if table == "sites":
                fields[4:4] = Site.location_fields
            rows, column_problems = unknown_columns(table, rows, fields)
            problems += column_problems
            records, row_problems = validate_rows(table, rec_cls, rows, vocab, notes,
                                                   labels.get(table), fields)
            problems += row_problems
            problems += duplicate_ids(table, [r.get("id") for r in rows],
                                       labels.get(table))
            built[table] = [r for r in records if r is not None]
        if travel_times is not None:
            codes = list(area_frame.index) if area_frame is not None else None
            site_ids = [r.get("id") for r in as_records("sites", site_input)[0]]
            times, time_problems = travel_time_frame(
                travel_times, codes, [i for i in site_ids if isinstance(i, str)],
                labels.get("travel_times"))
            problems += time_problems
        else:
            times = None
        if problems:
            raise InputError(ordered_problems(problems), source=source)

        smap = cls(
            areas=area_frame,
            services=records_frame(built["services"], SERVICE_COLUMNS),
            sites=site_frame(cast(list[Site], built["sites"]), notes,
                              labels.get("sites")),
            pathways=records_frame(built["pathways"], PATHWAY_COLUMNS),
            organisations=records_frame(built["organisations"],
                                 ORGANISATION_COLUMNS),
            partnerships=records_frame(built["partnerships"],
                                PARTNERSHIP_COLUMNS),
            travel_times=times,
            vocabulary=vocab,
            provenance=provenance,
            notes=notes,
            row_labels=labels,
        )
        report = smap.validate()
        if strict:
            report.raise_for_errors()
        elif report.errors:
            warnings.warn(
                f"the map has {plural(len(report.errors), 'error')} across its records; "
                "smap.validate() lists them.", ValidationWarning,
                stacklevel=user_stacklevel())
        return smap

    def replace(self, **frames: Any) -> ServiceMap:
        """Return a new map with some tables replaced, validated as a new map.

        Parameters
        ----------
        **frames : DataFrame
            Any of ``areas``, ``services``, ``sites``, ``pathways``,
            ``organisations``, ``partnerships``, ``travel_times``; also ``vocabulary``,
            ``provenance`` and ``strict``.

        Returns
        -------
        ServiceMap

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> fewer = smap.replace(pathways=smap.pathways.iloc[:0])
        >>> len(fewer.pathways), len(smap.pathways) > 0
        (0, True)
        """
        known = {"areas", "services", "sites", "pathways", "organisations",
                 "partnerships", "travel_times", "vocabulary", "provenance", "strict"}
        unknown = sorted(set(frames) - known)
        if unknown:
            msg = (f"replace() got {', '.join(map(repr, unknown))}; it takes "
                   f"{', '.join(sorted(known))}.")
            raise TypeError(msg)
        args: dict[str, Any] = {
            "areas": self._areas, "services": self._services,
            "sites": self._sites, "pathways": self._pathways,
            "organisations": self._organisations, "partnerships": self._partnerships,
            "travel_times": self._travel_times if len(self._travel_times) else None,
            "vocabulary": self._vocabulary, "provenance": self._provenance,
        }
        args.update(frames)
        return type(self).from_frames(**args)

    def apply(self, changes: Any) -> ServiceMap:
        """Return a new map with changes made (see :mod:`servicemap.changes`).

        Parameters
        ----------
        changes : change or list of changes
            Made from :mod:`servicemap.changes`, applied in turn.

        Returns
        -------
        ServiceMap
            Validated as a new map; this map is unchanged. ``provenance["changes"]``
            lists what was done, in plain words.

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> after = smap.apply([sm.changes.close_service("lut-yp"),
        ...                     sm.changes.update_service("bcb-yp", max_distance=15_000)])
        >>> print(after.provenance["changes"][0])  # doctest: +NORMALIZE_WHITESPACE
        close service Young people's substance use service, Luton (illustrative) (lut-yp):
        status = 'decommissioned'
        """
        items = [changes] if hasattr(changes, "apply_to") else list(changes)
        out = self
        for k, item in enumerate(items):
            if not hasattr(item, "apply_to"):
                msg = (f"change {k} is a {type(item).__name__}, not a change. Make "
                       "changes with sm.changes, such as sm.changes.close_service('hub').")
                raise TypeError(msg)
            last = k == len(items) - 1
            with warnings.catch_warnings():
                if not last:  # a list is checked as a whole, once it is all made
                    warnings.simplefilter("ignore", ValidationWarning)
                out = item.apply_to(out, strict=last)
        return out

    # -- the frames ----------------------------------------------------------------
    @property
    def areas(self) -> gpd.GeoDataFrame:
        """Areas indexed by code, in EPSG:27700 (a copy)."""
        return self._areas.copy(deep=True)

    @property
    def services(self) -> pd.DataFrame:
        """Services indexed by id (a copy)."""
        return self._services.copy(deep=True)

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """Sites indexed by id, points in EPSG:27700 (a copy)."""
        return self._sites.copy(deep=True)

    @property
    def pathways(self) -> pd.DataFrame:
        """Pathways indexed by id (a copy)."""
        return self._pathways.copy(deep=True)

    @property
    def organisations(self) -> pd.DataFrame:
        """Organisations indexed by id (a copy)."""
        return self._organisations.copy(deep=True)

    @property
    def partnerships(self) -> pd.DataFrame:
        """Partnerships indexed by id (a copy)."""
        return self._partnerships.copy(deep=True)

    @property
    def travel_times(self) -> pd.DataFrame:
        """Travel times in minutes: columns ``area``, ``site``, ``minutes`` (a copy).

        Empty unless the map was built with one; services that reach by
        ``max_minutes`` need it.
        """
        return self._travel_times.copy(deep=True)

    @property
    def catchments(self) -> pd.DataFrame:
        """Each service's catchment: ``footprint``, ``reach``, ``max_distance``, ``max_minutes``.

        Examples
        --------
        >>> sm.datasets.bedfordshire().catchments.columns.tolist()
        ['footprint', 'reach', 'max_distance', 'max_minutes']
        """
        return self._services[CATCHMENT_COLUMNS].copy()

    @property
    def vocabulary(self) -> Vocabulary:
        """The terms the map uses: the built-in vocabulary and any it declares."""
        return self._vocabulary

    @property
    def provenance(self) -> dict[str, Any]:
        """Where the map came from: name, sources, licence and attribution (a copy)."""
        return copy.deepcopy(self._provenance)

    @property
    def notes(self) -> tuple[Problem, ...]:
        """What was normalised when the map was built (term case, spaces, lon/lat)."""
        return self._notes

    @property
    def crs(self) -> Any:
        """The map's coordinate reference system: always EPSG:27700."""
        return self._areas.crs

    @property
    def parent_levels(self) -> list[str]:
        """The parent levels of the areas, from their ``<level>_code`` columns.

        Examples
        --------
        >>> sm.datasets.bedfordshire().parent_levels
        ['lad', 'msoa']
        """
        return [c[:-5] for c in self._areas.columns if c.endswith("_code")]

    @property
    def need_columns(self) -> dict[str, str]:
        """The need indicators of the areas, as ``{need: column}``.

        Examples
        --------
        >>> sm.datasets.bedfordshire().need_columns
        {'drug': 'need_drug', 'alcohol': 'need_alcohol', 'early_help': 'need_early_help'}
        """
        return {c[5:]: c for c in self._areas.columns if c.startswith("need_")}

    def row_label(self, table: str, id: str) -> Any:  # noqa: A002 - a record's id
        """Return how messages name a record's row: as given when built, else its position.

        Examples
        --------
        >>> sm.datasets.bedfordshire().row_label("pathways", "pw-01")
        'pathways.csv:2'
        """
        return self._rows.get(table, {}).get(id, id)

    def footprint_codes(self) -> set[str]:
        """Every code a footprint may name: area codes and parent codes.

        Examples
        --------
        >>> "E06000032" in sm.datasets.bedfordshire().footprint_codes()
        True
        """
        def build() -> set[str]:
            codes = set(self._areas.index)
            for level in self.parent_levels:
                codes |= set(self._areas[f"{level}_code"].dropna())
            return codes

        return set(self.cached("footprint_codes", build))

    def cached(self, key: Hashable, build: Callable[[], T]) -> T:
        """Return ``build()``, computed once per map and ``key``.

        A map never changes, so what is derived from it (the reach matrix, catchment
        fractions, validation) is computed once and kept on it. This is the one place
        that keeps such results; a new map from :meth:`replace` starts empty.

        Parameters
        ----------
        key : hashable
            Names the result and every argument it depends on, such as
            ``("reach_matrix", 10_000, None)``.
        build : callable
            Computes the result when it is not kept yet.

        Returns
        -------
        object
            What ``build`` returned, now or on an earlier call with the same key.

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> calls = []
        >>> first = smap.cached(("example", 1), lambda: calls.append(1) or len(calls))
        >>> smap.cached(("example", 1), lambda: calls.append(1) or len(calls)), calls
        (1, [1])
        """
        if key not in self._cache:
            self._cache[key] = build()
        return cast(T, self._cache[key])

    # -- validation ------------------------------------------------------------------
    def validate(self, strict: bool = False) -> ValidationReport:
        """Check the records against each other and report every problem.

        Checked: ids that are referred to but do not exist (providers, commissioners,
        members, the services of a site, both ends of a pathway); footprint codes that
        are neither an area nor a parent; services with no site to be reached from;
        sites outside every area; pathways that loop or repeat; age limits at odds with
        client groups; area indicators at odds with population. Nothing is fixed.

        Parameters
        ----------
        strict : bool, default False
            Raise :class:`InputError` if any problem is an error.

        Returns
        -------
        ValidationReport
            Errors, then warnings, then notes of what was normalised on reading.

        Examples
        --------
        >>> report = sm.datasets.bedfordshire().validate()
        >>> report.ok
        True
        """
        report = self.cached("validation", lambda: ValidationReport(
            ordered_problems([*cross_record_problems(self), *self._notes])))
        if strict:
            report.raise_for_errors()
        return report

    # -- summaries -------------------------------------------------------------------
    def service_partnerships(self) -> pd.Series:
        """Return the partnerships that commission each service, as a Series of tuples.

        Examples
        --------
        >>> s = sm.datasets.bedfordshire().service_partnerships()
        >>> s["lut-adult-hub"]
        ('lut-dap',)
        """
        known = set(self._partnerships.index)
        return pd.Series(
            [tuple(c for c in cs if c in known) for cs in self._services["commissioners"]],
            index=self._services.index, dtype=object, name="partnerships")

    def summary(self) -> dict[str, pd.DataFrame]:
        """Summarise the map in small tables, for a notebook or the command line.

        Returns
        -------
        dict of str to DataFrame
            ``areas`` (by the first parent level: areas, population, needs),
            ``services_by_need`` (need x commissioning partnership counts of active
            services; ``(single organisation)`` counts those commissioned by no
            partnership; ``total`` counts each service once, so it is less than the
            row's sum when a service has several partnership commissioners),
            ``pathways`` (routes by source and kind), ``sites`` (by mode).

        Examples
        --------
        >>> s = sm.datasets.bedfordshire().summary()
        >>> sorted(s)
        ['areas', 'pathways', 'services_by_need', 'sites']
        >>> int(s["areas"].loc["total", "areas"])
        381
        """
        areas = pd.DataFrame(self._areas.drop(columns=self._areas.geometry.name))
        levels = self.parent_levels
        numeric = [c for c in ["population", *self.need_columns.values()] if c in areas]
        if levels:
            level = "lad" if "lad" in levels else levels[0]
            key = areas[f"{level}_code"].fillna("(none)")
            names = areas.get(f"{level}_name")
            by = areas.groupby(key)
            table = by.size().to_frame("areas").join(by[numeric].sum())
            if names is not None:
                table.insert(0, "name", names.groupby(key).first())
            table.index.name = f"{level}_code"
        else:
            table = pd.DataFrame({"areas": [len(areas)]}, index=["all"])
            for c in numeric:
                table[c] = areas[c].sum()
        total = {"areas": len(areas), **{c: areas[c].sum() for c in numeric}}
        if "name" in table:
            total["name"] = "Total"
        table.loc["total"] = pd.Series(total)
        table["areas"] = table["areas"].astype(int)
        if "population" in table and (table["population"] % 1 == 0).all():
            table["population"] = table["population"].astype("int64")

        services = self._services[self._services["status"] == "active"]
        partnerships = self.service_partnerships().loc[services.index].map(
            lambda ps: ps or ("(single organisation)",))
        pairs = (services["needs"].explode().to_frame("need")
                 .join(partnerships.explode().rename("partnership")).dropna())
        by_need = (pairs.value_counts().unstack(fill_value=0) if len(pairs)
                   else pd.DataFrame())
        if len(pairs):
            order = [t for t in self._vocabulary.terms("need") if t in by_need.index]
            by_need = by_need.loc[order]
            by_need["total"] = services["needs"].explode().value_counts().reindex(
                by_need.index).astype(int)

        pw = self._pathways
        source = pw["from_entry"].where(pw["from_entry"].notna(), "(service)")
        pathways = (pd.DataFrame({"from": source, "kind": pw["kind"]})
                    .value_counts().unstack(fill_value=0) if len(pw) else pd.DataFrame())
        if len(pw):
            rows_order = [*self._vocabulary.terms("entry_point"), "(service)"]
            cols_order = self._vocabulary.terms("pathway_kind")
            pathways = pathways.loc[[r for r in rows_order if r in pathways.index],
                                    [c for c in cols_order if c in pathways.columns]]
        sites = self._sites["mode"].value_counts().rename_axis("mode").to_frame("sites")
        return {"areas": table, "services_by_need": by_need, "pathways": pathways,
                "sites": sites}

    def _counts(self) -> str:
        def n(k: int, word: str) -> str:
            return f"{k} {word}{'s' if k != 1 else ''}"
        return ", ".join([
            n(len(self._areas), "area"), n(len(self._services), "service"),
            n(len(self._sites), "site"), n(len(self._pathways), "pathway"),
            n(len(self._organisations), "organisation"),
            n(len(self._partnerships), "partnership")])

    def __repr__(self) -> str:
        name = self._provenance.get("name")
        head = f"'{name}': " if name else ""
        return f"<ServiceMap: {head}{self._counts()}>"

    def _lines(self) -> list[tuple[str, str]]:
        """Return the rows of the one-screen description shared by str() and the HTML."""
        areas = self._areas
        pop = areas["population"].sum() if "population" in areas else None
        text = f"{len(areas):,}" + (f", population {pop:,.0f}" if pop is not None else "")
        for level in self.parent_levels:
            text += f" in {plural(areas[f'{level}_code'].nunique(), level.upper())}"
            break
        lines = [("areas", text)]
        services = self._services
        active = services[services["status"] == "active"]
        needs = active["needs"].explode().value_counts()
        shown = ", ".join(f"{k} {v}" for k, v in needs.head(8).items())
        more = f", {plural(len(needs) - 8, 'other need')}" if len(needs) > 8 else ""
        lines.append(("services", f"{len(services)} ({len(active)} active, "
                      f"{int(services['illustrative'].sum())} illustrative); active by "
                      f"need: {shown}{more}"))
        modes = self._sites["mode"].value_counts()
        lines.append(("sites", f"{len(self._sites)}: "
                      + ", ".join(f"{k} {v}" for k, v in modes.items())))
        entries = self._pathways["from_entry"].dropna().nunique()
        lines.append(("pathways", f"{len(self._pathways)}, from "
                      f"{plural(entries, 'entry point')}"))
        names = list(self._partnerships["name"])
        listed = "; ".join(names[:6]) + (f"; and {len(names) - 6} more"
                                         if len(names) > 6 else "")
        lines.append(("partnerships", f"{len(names)}: {listed}" if names else "none"))
        lines.append(("organisations", str(len(self._organisations))))
        report = self.validate()
        lines.append(("validate()", report.counts))
        return lines

    def __str__(self) -> str:
        name = self._provenance.get("name", "ServiceMap")
        lines = self._lines()
        width = max(len(k) for k, _ in lines)
        body = "\n".join(f"  {k:<{width}}  {v}" for k, v in lines)
        return f"{name} (EPSG:27700)\n{body}"

    def _repr_html_(self) -> str:
        name = html.escape(str(self._provenance.get("name", "ServiceMap")))
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self._lines())
        return (f"<div><b>{name}</b> <small>ServiceMap, EPSG:27700</small>"
                f"<table>{rows}</table></div>")

    # -- files -----------------------------------------------------------------------
    def to_file(self, path: Any, *, layer: str | None = None) -> Any:
        """Write the whole map to a GeoPackage, or one layer to GeoPackage, GeoJSON or GeoParquet.

        See :func:`servicemap.io.files.write_file`; :func:`servicemap.read_file` reads
        the GeoPackage back equal.

        Parameters
        ----------
        path : str or path-like
            ``.gpkg`` for the whole map; ``.gpkg``, ``.geojson`` or ``.parquet`` for one
            layer.
        layer : {"areas", "sites"}, optional
            Write only this layer.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> smap = sm.datasets.bedfordshire()
        >>> with tempfile.TemporaryDirectory() as d:
        ...     sm.read_file(smap.to_file(pathlib.Path(d) / "map.gpkg")).equals(smap)
        True
        """
        from servicemap.io.files import write_file

        return write_file(self, path, layer=layer)

    def to_hsds(self, directory: Any) -> Any:
        """Write the map as an Open Referral (HSDS 3.0) directory, CSV and JSON.

        See :func:`servicemap.io.hsds.write_hsds` for the files and the mapping;
        :func:`servicemap.read_hsds` reads it back equal.

        Parameters
        ----------
        directory : str or path-like
            The folder to write (made if missing).

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile
        >>> smap = sm.datasets.bedfordshire()
        >>> with tempfile.TemporaryDirectory() as d:
        ...     back = sm.read_hsds(smap.to_hsds(d), areas="bedfordshire")
        >>> back.equals(smap)
        True
        """
        from servicemap.io.hsds import write_hsds

        return write_hsds(self, directory)

    # -- graphs ----------------------------------------------------------------------
    def to_networkx(self, *, max_distance: float | None = None,
                    max_minutes: float | None = None, serves: bool = True,
                    adjacency: bool | str = True) -> Any:
        """Return the map as a networkx MultiDiGraph of typed nodes and edges.

        See :func:`servicemap.graph.to_networkx`, whose module documents the nodes and
        edges; :func:`servicemap.from_networkx` turns the graph back into an equal map.

        Parameters
        ----------
        max_distance, max_minutes : float, optional
            Thresholds for the ``serves`` edges, as for :func:`servicemap.reach_matrix`.
        serves : bool, default True
            Add ``serves`` edges (area -> service) from the reach matrix.
        adjacency : bool or {"rook", "queen"}, default True
            Add ``adjacent_to`` edges between areas sharing a border (rook), or a
            point (queen).

        Returns
        -------
        networkx.MultiDiGraph

        Examples
        --------
        >>> smap = sm.datasets.bedfordshire()
        >>> sm.from_networkx(smap.to_networkx()).equals(smap)
        True
        """
        from servicemap.graph import to_networkx

        return to_networkx(self, max_distance=max_distance, max_minutes=max_minutes,
                           serves=serves, adjacency=adjacency)

    def to_kumu(self, path: Any = None, *, areas: bool = False) -> dict[str, Any]:
        """Return (and write, given a path) the map as a Kumu JSON blueprint.

        See :func:`servicemap.io.graphs.to_kumu`.

        Parameters
        ----------
        path : str or path-like, optional
            A ``.json`` file to write.
        areas : bool, default False
            Add the areas as elements, with ``serves`` connections.

        Returns
        -------
        dict
            ``{"elements": [...], "connections": [...]}``.

        Examples
        --------
        >>> blueprint = sm.datasets.bedfordshire().to_kumu()
        >>> len(blueprint["elements"]), len(blueprint["connections"])
        (81, 179)
        """
        from servicemap.io.graphs import to_kumu

        return to_kumu(self, path, areas=areas)

    def to_gexf(self, path: Any, *, serves: bool = False, adjacency: bool = False) -> Any:
        """Write the map's graph as GEXF, for Gephi.

        See :func:`servicemap.io.graphs.to_gexf`.

        Parameters
        ----------
        path : str or path-like
            The ``.gexf`` file to write.
        serves, adjacency : bool, default False
            Include the ``serves`` and ``adjacent_to`` edges.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib, networkx as nx
        >>> with tempfile.TemporaryDirectory() as d:
        ...     H = nx.read_gexf(sm.datasets.bedfordshire().to_gexf(pathlib.Path(d) / "b.gexf"))
        >>> H.number_of_nodes()
        535
        """
        from servicemap.io.graphs import to_gexf

        return to_gexf(self, path, serves=serves, adjacency=adjacency)

    # -- writing ---------------------------------------------------------------------
    def to_workbook(self, path: str | PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the map as a workshop workbook (``.xlsx``) or a folder of CSV files.

        See :func:`servicemap.io.workbook.write_workbook`; :func:`servicemap.read_workbook`
        reads it back, given the same areas, to an equal map.

        Parameters
        ----------
        path : str or path-like
            A name ending in ``.xlsx``, or a folder (no extension) for CSV files.
        overwrite : bool, default False
            Replace an existing workbook, or write into a folder that is not empty.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> with tempfile.TemporaryDirectory() as d:
        ...     path = sm.datasets.bedfordshire().to_workbook(pathlib.Path(d) / "b.xlsx")
        ...     print(path.name, path.stat().st_size > 0)
        b.xlsx True
        """
        from servicemap.io.workbook import write_workbook

        return write_workbook(self, path, overwrite=overwrite)

    # -- comparison ------------------------------------------------------------------
    def equals(self, other: object) -> bool:
        """Whether two maps hold the same records, areas and vocabulary.

        Examples
        --------
        >>> a = sm.datasets.bedfordshire()
        >>> a.equals(sm.datasets.bedfordshire()), a.equals(a.replace(pathways=a.pathways[:1]))
        (True, False)
        """
        if not isinstance(other, ServiceMap):
            return False
        pairs = [(self._areas, other._areas), (self._services, other._services),
                 (self._sites, other._sites), (self._pathways, other._pathways),
                 (self._organisations, other._organisations),
                 (self._partnerships, other._partnerships),
                 (self._travel_times, other._travel_times)]
        return (self._vocabulary == other._vocabulary
                and all(a.equals(b) for a, b in pairs))

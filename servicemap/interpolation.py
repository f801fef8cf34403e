"""Moving values between geographies: area- and population-weighted interpolation.

Counts, averages and rates held for one set of areas (the *source*, such as LSOAs) are
moved to another (the *target*: wards, a partnership's footprint, a grid). Values move
in one of three ways (tobler's vocabulary):

==============  ==================================  ====================================
kind            examples                            how it moves
==============  ==================================  ====================================
extensive       people in need, referrals, cost     split by each source's share in
                                                    each target, then summed
intensive       a score, a mean distance            averaged, weighted by the area (or
                                                    the population) of each piece
pooled rate     need per resident, referrals per    numerator and denominator moved as
                1,000 children                      extensive, then divided
==============  ==================================  ====================================

A *piece* is the intersection of one source with one target. With ``weight="area"``
a source's share in a target is the share of its area that lies there; with
``weight="population"`` it is the share of its population, estimated from finer
units (such as postcodes or output areas) when they are given.

Where a source lies in one target, the move is exact, and no geometry is needed: pass
a parent level of the source (``"lad"``, ``"msoa"``) or a lookup Series from source
code to target code.

Nothing is dropped without a word: what falls outside every target is reported in the
result's ``attrs["unallocated"]`` with an :class:`InterpolationWarning`, as are targets
that no source reaches and sources whose population falls back to area.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from servicemap.crs import to_working_crs, user_stacklevel
from servicemap.errors import (
    InputError,
    InterpolationWarning,
    Problem,
    did_you_mean,
    plural,
)
from servicemap.servicemap import ServiceMap

__all__ = ["interpolate"]

WEIGHTS = ("area", "population")
# Shares of a source that fall short of 1 by less than this are float noise of the
# overlay (about 1e-14 on real boundaries), not a gap, and are not reported.
COVER_TOLERANCE = 1e-9
_POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon
_SHOW = 10  # codes named in a message before "and n more"
_PARALLEL_PAIRS = 20_000  # intersections computed in threads above this many pairs


@dataclass(frozen=True)
class _Allocation:
    """How sources are split between targets: both matrices are targets x sources."""

    shares: Any  # scipy.sparse: the fraction of each source's extensive total per target
    weights: Any  # scipy.sparse or None: the weight of each piece in averages
    index: pd.Index  # the target codes, in output order
    geometry: Any  # the targets' GeoSeries (overlay) or None
    method: str
    reached: np.ndarray  # per target: some source reaches it
    fallback: tuple = ()  # sources whose population weights fell back to area


def interpolate(
    source: gpd.GeoDataFrame | ServiceMap,
    target: gpd.GeoDataFrame | gpd.GeoSeries | ServiceMap | str | pd.Series,
    *,
    values: pd.DataFrame | None = None,
    extensive: str | Sequence[str] = (),
    intensive: str | Sequence[str] = (),
    rates: Mapping[str, tuple[str, str]] | None = None,
    weight: str = "area",
    population: str | gpd.GeoDataFrame = "population",
) -> pd.DataFrame | gpd.GeoDataFrame:
    r"""Move counts, averages and rates from source areas to target areas.

    The arguments follow tobler's ``area_interpolate(source_df, target_df, ...)``:
    what the values come from, then where they go.

    Parameters
    ----------
    source : geopandas.GeoDataFrame or ServiceMap
        The source polygons, indexed by code, holding the columns to move; for a
        :class:`~servicemap.ServiceMap`, its ``areas``. Any CRS; frames go through
        :func:`~servicemap.crs.to_working_crs`.
    target : geopandas.GeoDataFrame, GeoSeries, ServiceMap, str or pandas.Series
        Where to move the values:

        - polygons indexed by target code (or a map, for its areas): sources are
          overlaid on them and split by area or population;
        - the name of a parent level of the source, such as ``"lad"`` or ``"msoa"``
          (its ``<level>_code`` column): an exact aggregation, no geometry needed;
        - a Series mapping source code to target code (a lookup, such as the LSOAs of
          a new board's footprint): an exact aggregation. Codes of the lookup that are
          not sources are ignored, as a lookup may cover more than the source.
    values : pandas.DataFrame, optional
        The columns to move when they are not columns of ``source``: a table indexed
        by source code. Every code of ``values`` must be a code of ``source`` and
        every source must have a row (NaN where unknown).
    extensive : str or sequence of str, optional
        Count columns: each source's total is split by its share in each target and
        the parts are summed. Values must not be negative.
    intensive : str or sequence of str, optional
        Average columns: each target gets the mean of its sources weighted by the
        area (or population) of each piece, over the part of the target that the
        sources cover.
    rates : dict of {str: (str, str)}, optional
        Pooled rates, ``{"out": ("numerator", "denominator")}``: both columns are moved
        as extensive and ``out = sum(numerator) / sum(denominator)`` in each target,
        never an average of rates. A target whose denominator is 0 gets NaN.
    weight : {"area", "population"}, default "area"
        What a source's share in a target is the share of.
    population : str or geopandas.GeoDataFrame, default "population"
        With ``weight="population"``, either

        - a column of ``source`` or ``values`` giving each source's population. A
          piece then holds ``population * area share``: averages are weighted by the
          population in each piece (tobler issue #137), while extensive shares stay
          equal to area shares, as the population is assumed even within a source;
        - or finer units with a ``"population"`` column (points such as postcodes, or
          polygons such as output areas, reduced to their representative points).
          A piece then holds the population of the finer units that fall in it; a
          source's extensive share in a target is that population over the source's
          (tobler issue #154), and averages are weighted by it. A point on a
          boundary belongs to the first polygon (in frame order) that it touches, so
          nobody is counted twice. A source with no population in the finer units is
          split by area instead, with a warning; it carries no weight in
          population-weighted averages.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        One column per extensive, intensive and rate column, in that order, as float.
        For target polygons, a GeoDataFrame indexed like ``target``, every target
        present, with the target geometry in EPSG:27700; otherwise a DataFrame indexed
        by the sorted target codes. ``attrs`` records how it was made:

        ``method``
            ``"overlay"``, ``"parent"`` or ``"lookup"``.
        ``weight``, ``population``
            The weighting, and the population column or ``"<n> finer units"``.
        ``sources``, ``targets``
            How many of each.
        ``unallocated``
            ``{column: amount}`` for each extensive column and each rate's numerator
            and denominator: what lies outside every target (0.0 when nothing does).
        ``unallocated_sources``
            The codes of sources not wholly allocated to targets.
        ``empty_targets``
            The codes of targets that no source reaches (NaN in every column).
        ``area_fallback``
            The codes of sources split by area for want of finer population.
        ``nan_sources``
            ``{column: count}`` of sources whose value is NaN.

    Raises
    ------
    InputError
        With every problem found in ``source``, ``target``, ``values`` and
        ``population`` (codes that do not match, missing or non-numeric columns,
        negative counts, missing or invalid geometry, an unknown level), each naming
        the table, row, field and value and saying how to fix it.
    CRSError
        If a frame whose geometry is used has no CRS.

    Warns
    -----
    InterpolationWarning
        When part of an extensive total lies outside every target, when a target
        receives nothing, when a source falls back from population to area, or when a
        NaN source is left out of an average; each gives the count and the codes.
    ReprojectionWarning
        When a frame was reprojected to EPSG:27700.

    See Also
    --------
    tobler.area_weighted.area_interpolate : the reference implementation of area
        weighting.

    Notes
    -----
    With ``weight="area"`` the share of source :math:`i` in target :math:`t` is
    :math:`a_{it} / a_i`, the area of the piece over the area of the source. Where the
    targets cover the source this is tobler's ``allocate_total=True``; where they do
    not, it is tobler's ``allocate_total=False``, and the remainder is reported in
    ``attrs["unallocated"]`` instead of being spread over the targets the source
    touches. Shares that fall short of 1 by less than 1e-9 are float noise of the
    overlay, not a gap, and are not reported.

    An intensive value of target :math:`t` is
    :math:`\sum_i v_i w_{it} / \sum_i w_{it}`, with :math:`w_{it}` the area (or the
    population) of piece :math:`it`: the average over the part of the target the
    sources cover. This is tobler's intensive estimate; tobler returns 0 for a target
    no source reaches, where this returns NaN.

    Missing values (NaN) are unknown, not zero. An extensive target total is NaN if
    any source with a share in it is NaN (a sum with an unknown term is unknown), and
    so is a pooled rate. An average leaves NaN sources out and averages the sources
    that are known (as ``pandas.Series.mean`` does), with a warning giving the count;
    it is NaN where no contributing source is known. Targets may overlap: each gets
    what lies in it, so their totals then add up to more than the source's.

    Pairs where one polygon covers the other need no intersection. The others are
    intersected with shapely, in threads when there are many (shapely releases the
    GIL); the result does not depend on the number of threads.

    Examples
    --------
    Two 1 km squares, need 10 and 30, moved to a rectangle over the west square and
    half of the east one:

    >>> import shapely
    >>> squares = gpd.GeoDataFrame(
    ...     {"need": [10.0, 30.0], "rate": [0.2, 0.4]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
    ...     index=pd.Index(["A", "B"], name="code"), crs=27700)
    >>> wards = gpd.GeoDataFrame(
    ...     geometry=[shapely.box(0, 0, 1500, 1000), shapely.box(1500, 0, 2000, 1000)],
    ...     index=pd.Index(["W", "E"], name="ward"), crs=27700)
    >>> out = sm.interpolate(squares, wards, extensive="need", intensive="rate")
    >>> out[["need", "rate"]].round(4)  # need W = 10 + 30/2; rate W = (0.2 + 0.4/2)/1.5
          need    rate
    ward
    W     25.0  0.2667
    E     15.0  0.4000

    An exact aggregation through a lookup, with a pooled rate, of values held in
    a table of their own:

    >>> values = pd.DataFrame({"need": [10.0, 30.0], "people": [1000, 2000]},
    ...                       index=squares.index)
    >>> board = pd.Series({"A": "north", "B": "north"})
    >>> sm.interpolate(squares, board, values=values,
    ...                rates={"per_person": ("need", "people")})
           per_person
    target
    north    0.013333
    """
    ext, inten, rate_map, problems = _options(extensive, intensive, rates, weight,
                                              population)
    src, values_table, frame, more = _inputs(values, source)
    problems += more
    if problems:
        raise InputError(problems)

    moved = list(dict.fromkeys([*ext, *[c for pair in rate_map.values() for c in pair]]))
    problems += _check_columns(frame, values_table, [*moved, *inten], negative=moved,
                               elsewhere=src.columns if values_table == "values" else ())
    pop_values = None
    if weight == "population" and isinstance(population, str):
        pop_values, pop_problems = _population_column(population, frame, values_table,
                                                      src)
        problems += pop_problems
    if problems:
        raise InputError(problems)

    pop_points = population if weight == "population" and pop_values is None else None
    allocation = _allocate(src, target, weight=weight, pop_values=pop_values,
                           pop_points=pop_points, need_weights=bool(inten))

    data = {}
    matrix = frame[moved].to_numpy(dtype=float, na_value=np.nan) if moved else None
    totals = (_extensive(allocation.shares, matrix) if matrix is not None
              else np.zeros((len(allocation.index), 0)))
    for col in ext:
        data[col] = totals[:, moved.index(col)]
    if inten:
        averages, left_out = _intensive(allocation.weights, frame[inten].to_numpy(
            dtype=float, na_value=np.nan))
        for k, col in enumerate(inten):
            data[col] = averages[:, k]
    for out, (num, den) in rate_map.items():
        n, d = totals[:, moved.index(num)], totals[:, moved.index(den)]
        with np.errstate(divide="ignore", invalid="ignore"):
            data[out] = np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan)
    columns = [*ext, *inten, *rate_map]
    empty = ~allocation.reached
    for col in columns:
        data[col] = np.where(empty, np.nan, data[col])

    if allocation.geometry is not None:

        result = gpd.GeoDataFrame(data, columns=columns, index=allocation.index,
                                  geometry=allocation.geometry.values)
    else:
        result = pd.DataFrame(data, columns=columns, index=allocation.index)

    unallocated, lost_sources = _unallocated(allocation.shares, matrix, moved)
    codes = src.index
    result.attrs.update({
        "method": allocation.method,
        "weight": weight,
        "population": (None if weight == "area" else population if pop_values is not None
                       else f"{len(population):,} finer units"),
        "sources": len(src),
        "targets": len(allocation.index),
        "unallocated": unallocated,
        "unallocated_sources": codes[lost_sources].tolist(),
        "empty_targets": allocation.index[empty].tolist(),
        "area_fallback": list(allocation.fallback),
        "nan_sources": {c: int(frame[c].isna().sum()) for c in [*moved, *inten]},
    })
    _warn(result.attrs, allocation, totals_in=_totals(matrix, moved),
          left_out=dict(zip(inten, left_out, strict=True)) if inten else {})
    return result


# -- options and inputs ----------------------------------------------------------------
def _as_names(value: Any, option: str, problems: list[Problem]) -> list[str]:
    if isinstance(value, str):
        return [value]
    try:
        names = list(value)
    except TypeError:
        names = [value]
    bad = [v for v in names if not isinstance(v, str)]
    for v in bad:
        problems.append(Problem("arguments", None, option, v,
                                "is not a column name. Pass a column name or a list "
                                "of them."))
    return [v for v in names if isinstance(v, str)]


def _options(
    extensive: Any, intensive: Any, rates: Any, weight: Any, population: Any
) -> tuple[list[str], list[str], dict[str, tuple[str, str]], list[Problem]]:
    """Check the options; return the column lists, the rates and the problems."""
    problems: list[Problem] = []
    ext = list(dict.fromkeys(_as_names(extensive, "extensive", problems)))
    inten = list(dict.fromkeys(_as_names(intensive, "intensive", problems)))
    rate_map: dict[str, tuple[str, str]] = {}
    if rates is not None and not isinstance(rates, Mapping):
        problems.append(Problem("arguments", None, "rates", None,
                                f"is a {type(rates).__name__}. Pass a dict such as "
                                "{'need_rate': ('need_drug', 'population')}."))
    for out, pair in (rates or {}).items() if isinstance(rates, Mapping) else ():
        if (not isinstance(out, str) or not isinstance(pair, (tuple, list))
                or len(pair) != 2 or not all(isinstance(c, str) for c in pair)):
            problems.append(Problem(
                "arguments", None, "rates", {out: pair},
                "is not a rate. Give each rate as 'out': ('numerator', "
                "'denominator'), two column names."))
        elif pair[0] == pair[1]:
            problems.append(Problem("arguments", None, "rates", {out: tuple(pair)},
                                    "divides a column by itself. Name a numerator and "
                                    "a different denominator."))
        else:
            rate_map[out] = (pair[0], pair[1])
    for col in sorted(set(ext) & set(inten)):
        problems.append(Problem(
            "arguments", None, "intensive", col,
            "is also extensive. A column is either a count (extensive) or an average "
            "(intensive); for a rate, use rates={'out': (numerator, denominator)}."))
    for out in rate_map:
        if out in ext or out in inten:
            problems.append(Problem("arguments", None, "rates", out,
                                    "is also the name of an extensive or intensive "
                                    "column of the result. Give the rate another name."))
    if not (ext or inten or rate_map) and not problems:
        problems.append(Problem("arguments", None, None, None,
                                "no column to move. Name columns with extensive=[...] "
                                "(counts), intensive=[...] (averages) or rates={...}."))
    if weight not in WEIGHTS:
        problems.append(Problem("arguments", None, "weight", weight,
                                f"is not a weighting.{did_you_mean(weight, WEIGHTS)} "
                                f"Use one of {', '.join(map(repr, WEIGHTS))}."))
    elif weight == "area" and not (isinstance(population, str)
                                   and population == "population"):
        shown = population if isinstance(population, str) else "<finer units>"
        problems.append(Problem("arguments", None, "population", shown,
                                "is only used with weight='population'. Pass "
                                "weight='population' as well, or drop population=."))
    if (weight == "population" and not isinstance(population, str)
            and not isinstance(population, gpd.GeoDataFrame)):
        problems.append(Problem(
            "arguments", None, "population", type(population).__name__,
            "is neither a column name nor a GeoDataFrame. Pass the name of a "
            "population column of values or source, or finer units (points or "
            "polygons) with a 'population' column."))
    return ext, inten, rate_map, problems


def _inputs(
    values: Any, source: Any
) -> tuple[gpd.GeoDataFrame, str, pd.DataFrame, list[Problem]]:
    """Return the source frame, the name of the values table and the aligned values."""
    problems: list[Problem] = []
    if isinstance(source, ServiceMap):
        src = source.areas
    elif isinstance(source, gpd.GeoDataFrame):
        src = source
    else:
        problems.append(Problem(
            "source", None, None, None,
            f"is a {type(source).__name__}. Pass a GeoDataFrame of source polygons "
            "indexed by code, or a ServiceMap (its areas are the sources), first: "
            "interpolate(source, target, ...); a table of values to move goes in "
            "values=."))
        return None, "values", None, problems
    problems += _duplicates(src.index, "source")
    if values is None:
        frame = pd.DataFrame(src.drop(columns=src.geometry.name))
        return src, "source", frame, problems
    if isinstance(values, pd.Series):
        values = values.to_frame()
    if not isinstance(values, pd.DataFrame):
        problems.append(Problem(
            "values", None, None, None,
            f"is a {type(values).__name__}. Pass a DataFrame indexed by source code, "
            "or leave values= out to take the columns from source."))
        return src, "values", None, problems
    problems += _duplicates(values.index, "values")
    if problems:
        return src, "values", None, problems
    problems += _match_codes(values, src)
    if problems:
        return src, "values", None, problems
    frame = pd.DataFrame(values).reindex(src.index)
    return src, "values", frame, problems


def _duplicates(index: pd.Index, table: str) -> list[Problem]:
    dup = index[index.duplicated()].unique()
    return [Problem(table, code, None, None,
                    f"is used by {int((index == code).sum())} rows. Give each unit one "
                    "row, with a unique code as the index.") for code in dup]


def _match_codes(values: pd.DataFrame, src: gpd.GeoDataFrame) -> list[Problem]:
    """Every code of values is a source code and vice versa."""
    extra = values.index.difference(src.index, sort=False)
    missing = src.index.difference(values.index, sort=False)
    if not len(extra) and not len(missing):
        return []
    if len(extra) == len(values.index):
        hint = next((f" The column {c!r} holds source codes: use values.set_index({c!r})."
                     for c in values.columns if values[c].isin(src.index).any()), "")
        if not hint and "code" in src.columns:
            hint = " Source has a 'code' column: use source.set_index('code')."
        shown = ", ".join(map(repr, values.index[:3].tolist()))
        return [Problem("values", None, None, None,
                        f"is indexed by {shown}..., none of which is a code of source."
                        f"{hint} Both must be indexed by the source codes.")]
    known = [str(c) for c in missing]
    problems = [Problem("values", code, None, None,
                        f"is not a code of source.{did_you_mean(code, known)} Drop the "
                        "row, or add the unit to source.") for code in extra]
    spare = [str(c) for c in extra]
    problems += [Problem("source", code, None, None,
                         f"has no row in values.{did_you_mean(code, spare)} Add a row "
                         "(NaN where unknown), or drop the unit from source.")
                 for code in missing]
    return problems


def _check_columns(frame: pd.DataFrame, table: str, columns: list[str],
                   negative: list[str], elsewhere: Sequence[Any] = ()) -> list[Problem]:
    """Check that every column exists, is numeric and finite; counts not negative."""
    problems: list[Problem] = []
    have = [str(c) for c in frame.columns]
    for col in dict.fromkeys(columns):
        if col not in frame.columns:
            there = (" It is a column of source: add it to values, or leave values= out "
                     "to take every column from source." if col in elsewhere else "")
            problems.append(Problem(
                table, None, col, None,
                f"is not a column of {table}.{did_you_mean(col, have)} Columns are: "
                f"{', '.join(have) or '(none)'}.{there}"))
            continue
        series = frame[col]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            as_number = pd.to_numeric(series, errors="coerce")
            bad = series[as_number.isna() & series.notna()]
            code, value = (bad.index[0], bad.iloc[0]) if len(bad) else (None, None)
            others = f" ({plural(len(bad) - 1, 'more row')} too)" if len(bad) > 1 else ""
            problems.append(Problem(
                table, code, col, value,
                f"is not a number{others}: column {col!r} has dtype {series.dtype}. "
                f"Convert it, for example with pd.to_numeric({table}[{col!r}]), after "
                "fixing the values that are not numbers."))
            continue
        numbers = series.to_numpy(dtype=float, na_value=np.nan)
        for i in np.flatnonzero(np.isinf(numbers)):
            problems.append(Problem(table, series.index[i], col, float(numbers[i]),
                                    "is infinite. Give a finite number, or NaN if it is "
                                    "unknown."))
        if col in negative:
            for i in np.flatnonzero(numbers < 0):
                problems.append(Problem(
                    table, series.index[i], col, float(numbers[i]),
                    "is negative, and a count (extensive) cannot be. Fix the value, or "
                    "move the column as intensive if it is an average or a score."))
    return problems


def _population_column(
    name: str, frame: pd.DataFrame, table: str, src: gpd.GeoDataFrame
) -> tuple[np.ndarray | None, list[Problem]]:
    """Each source's population, from a column of values or else of source."""
    if name in frame.columns:
        series, where = frame[name], table
    elif name in src.columns:
        series, where = src[name], "source"
    else:
        have = sorted({str(c) for c in [*frame.columns, *src.columns]}
                      - {src.geometry.name})
        return None, [Problem(
            table, None, name, None,
            f"is not a column of values or source, so it cannot give the population."
            f"{did_you_mean(name, have)} Columns are: {', '.join(have)}. Name the "
            "population column with population='...', or pass finer units with a "
            "'population' column.")]
    problems = _check_columns(series.to_frame(name), where, [name], negative=[name])
    if problems:
        return None, problems
    numbers = series.to_numpy(dtype=float, na_value=np.nan)
    problems = [Problem(where, series.index[i], name, None,
                        "is missing, and population weights need every source's "
                        "population. Fill it in (0 if nobody lives there).")
                for i in np.flatnonzero(np.isnan(numbers))]
    return (None if problems else numbers), problems


def _geometry_problems(gdf: gpd.GeoDataFrame, table: str,
                       polygons: bool = True) -> list[Problem]:
    """Missing, empty, invalid or (for polygons) non-polygonal geometry, row by row."""
    geom = gdf.geometry.values
    missing = shapely.is_missing(geom) | shapely.is_empty(geom)
    kinds = shapely.get_type_id(geom)
    polygonal = np.isin(kinds, _POLYGONAL) if polygons else np.ones(len(geom), bool)
    valid = shapely.is_valid(geom) | missing
    problems = []
    for i in np.flatnonzero(missing | ~polygonal | ~valid):
        code = gdf.index[i]
        if missing[i]:
            msg = ("is missing or empty. Every unit needs its geometry: add it, or drop "
                   "the row.")
        elif not polygonal[i]:
            msg = (f"is a {geom[i].geom_type}, not a polygon. Sources and targets must "
                   "be polygons or multipolygons (buffer points or lines first).")
        else:
            msg = (f"is not valid ({shapely.is_valid_reason(geom[i])}). Repair it, for "
                   "example with shapely.make_valid, and check the result; servicemap "
                   "does not change geometry itself.")
        problems.append(Problem(table, code, "geometry", None, msg))
    return problems


# -- the allocation: who goes where, in what share -------------------------------------
def _allocate(src: gpd.GeoDataFrame, target: Any, *, weight: str,
              pop_values: np.ndarray | None, pop_points: gpd.GeoDataFrame | None,
              need_weights: bool) -> _Allocation:


    if isinstance(target, ServiceMap):
        target = target.areas
    if isinstance(target, gpd.GeoSeries):
        target = target.to_frame()
    if isinstance(target, gpd.GeoDataFrame):
        return _overlay(src, target, weight=weight, pop_values=pop_values,
                        pop_points=pop_points)
    if isinstance(target, str):
        codes, method = _parent_codes(src, target), "parent"
        name = target if target.endswith("_code") else f"{target}_code"
    elif isinstance(target, pd.Series):
        codes, method = _lookup_codes(src, target), "lookup"
        name = target.name if target.name is not None else "target"
    else:
        msg = (f"is a {type(target).__name__}. Pass target polygons (a GeoDataFrame "
               "indexed by code), a parent level of the source such as 'lad', or a "
               "Series mapping source code to target code.")
        raise InputError([Problem("target", None, None, None, msg)])
    return _aggregate(src, codes, name, method, weight=weight, pop_values=pop_values,
                      pop_points=pop_points, need_weights=need_weights)


def _working(gdf: gpd.GeoDataFrame, table: str) -> gpd.GeoDataFrame:
    """Return the frame in EPSG:27700 with its geometry checked."""
    out = to_working_crs(gdf, table)
    problems = _geometry_problems(out, table, polygons=table != "population")
    if problems:
        raise InputError(problems)
    return out


def _points(pop_points: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return the finer units as points, and their population, checked."""
    if "population" not in pop_points.columns:
        have = [str(c) for c in pop_points.columns if c != pop_points.geometry.name]
        msg = (f"has no 'population' column.{did_you_mean('population', have)} Columns "
               f"are: {', '.join(have) or '(none)'}. Rename the column that holds each "
               "unit's population to 'population'.")
        raise InputError([Problem("population", None, "population", None, msg)])
    problems = _check_columns(_attributes(pop_points), "population", ["population"],
                              negative=["population"])
    pop = pop_points["population"].to_numpy(dtype=float, na_value=np.nan)
    problems += [Problem("population", pop_points.index[i], "population", None,
                         "is missing. Fill it in (0 if nobody lives there), or drop the "
                         "row.") for i in np.flatnonzero(np.isnan(pop))]
    if problems:
        raise InputError(problems)
    geom = np.asarray(_working(pop_points, "population").geometry.values, dtype=object)
    is_point = shapely.get_type_id(geom) == 0
    geom = np.where(is_point, geom, shapely.point_on_surface(geom))
    return geom, pop


def _attributes(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    """Return a GeoDataFrame's attribute columns as a plain DataFrame."""
    return pd.DataFrame(gdf.drop(columns=gdf.geometry.name))


def _first_hit(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Return the position of the polygon each point falls in, or -1.

    A point on a boundary shared by several polygons goes to the first of them.
    """
    tree = shapely.STRtree(polygons)
    p, g = tree.query(points, predicate="intersects")
    order = np.lexsort((g, p))  # by point, then by polygon position
    p, g = p[order], g[order]
    where = np.full(len(points), -1, dtype=np.intp)
    first = np.unique(p, return_index=True)[1]
    where[p[first]] = g[first]
    return where


def _overlay(src: gpd.GeoDataFrame, target: gpd.GeoDataFrame, *, weight: str,
             pop_values: np.ndarray | None,
             pop_points: gpd.GeoDataFrame | None) -> _Allocation:
    """Split every source between the target polygons it overlaps."""
    problems = _duplicates(target.index, "target")
    if problems:
        raise InputError(problems)
    src_w = to_working_crs(src, "source")
    tgt_w = to_working_crs(target, "target")
    problems = _geometry_problems(src_w, "source") + _geometry_problems(tgt_w, "target")
    if problems:
        raise InputError(problems)
    s_geom = np.asarray(src_w.geometry.values, dtype=object)
    t_geom = np.asarray(tgt_w.geometry.values, dtype=object)
    n_s, n_t = len(s_geom), len(t_geom)
    s_area = shapely.area(s_geom)
    t_area = shapely.area(t_geom)

    # Which pieces exist, and how big they are. Pairs where one polygon covers the
    # other need no intersection: the piece is the smaller polygon.
    tree = shapely.STRtree(t_geom)
    i_s, i_t = tree.query(s_geom, predicate="intersects")
    pair = i_s.astype(np.int64) * n_t + i_t
    in_target = np.isin(pair, _pairs(tree.query(s_geom, predicate="covered_by"), n_t))
    holds_target = ~in_target & np.isin(
        pair, _pairs(tree.query(s_geom, predicate="covers"), n_t))
    piece = np.empty(len(i_s))
    piece[in_target] = s_area[i_s[in_target]]
    piece[holds_target] = t_area[i_t[holds_target]]
    cut = ~(in_target | holds_target)
    piece[cut] = _intersection_areas(s_geom[i_s[cut]], t_geom[i_t[cut]])
    keep = piece > 0
    i_s, i_t, piece = i_s[keep], i_t[keep], piece[keep]
    reached = np.bincount(i_t, minlength=n_t) > 0

    area_share = piece / s_area[i_s]
    fallback: tuple = ()
    if weight == "area":
        shares = sparse.csr_matrix((area_share, (i_t, i_s)), shape=(n_t, n_s))
        weights = sparse.csr_matrix((piece, (i_t, i_s)), shape=(n_t, n_s))
    elif pop_values is not None:
        shares = sparse.csr_matrix((area_share, (i_t, i_s)), shape=(n_t, n_s))
        weights = sparse.csr_matrix((pop_values[i_s] * area_share, (i_t, i_s)),
                                    shape=(n_t, n_s))
    else:
        geom, pop = _points(pop_points)
        p_s = _first_hit(geom, s_geom)
        p_t = _first_hit(geom, t_geom)
        in_source = p_s >= 0
        src_pop = np.bincount(p_s[in_source], weights=pop[in_source], minlength=n_s)
        both = in_source & (p_t >= 0)
        weights = sparse.csr_matrix((pop[both], (p_t[both], p_s[both])),
                                    shape=(n_t, n_s))
        weights.sum_duplicates()
        w = weights.tocoo()
        has_pop = src_pop > 0
        from_pop = has_pop[w.col]
        by_area = ~has_pop[i_s]
        rows = np.concatenate([w.row[from_pop], i_t[by_area]])
        cols = np.concatenate([w.col[from_pop], i_s[by_area]])
        data = np.concatenate([w.data[from_pop] / src_pop[w.col[from_pop]],
                               area_share[by_area]])
        shares = sparse.csr_matrix((data, (rows, cols)), shape=(n_t, n_s))
        fallback = tuple(src.index[~has_pop].tolist())
    return _Allocation(shares=shares, weights=weights, index=target.index,
                       geometry=tgt_w.geometry, method="overlay", reached=reached,
                       fallback=fallback)


def _intersection_areas(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Return the area of each pair's intersection, in threads for many pairs.

    shapely releases the GIL in its vectorised operations, so chunks run in parallel;
    each pair is computed alone, so the result does not depend on the chunking.
    """
    workers = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                  else (os.cpu_count() or 1), 8)
    if workers == 1 or len(left) < _PARALLEL_PAIRS:
        return shapely.area(shapely.intersection(left, right))

    edges = np.linspace(0, len(left), 2 * workers + 1).astype(int)
    chunks = [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = pool.map(lambda c: shapely.area(shapely.intersection(left[c], right[c])),
                         chunks)
        return np.concatenate(list(parts))


def _pairs(query: np.ndarray, n_t: int) -> np.ndarray:
    return query[0].astype(np.int64) * n_t + query[1]


def _parent_codes(src: gpd.GeoDataFrame, level: str) -> pd.Series:
    """Return the parent code of every source for a level such as 'lad'."""
    levels = [c[:-5] for c in src.columns if str(c).endswith("_code") and c != "code"]
    name = level[:-5] if level.endswith("_code") else level
    if name not in levels:
        known = ", ".join(map(repr, levels)) or "none (no '<level>_code' column)"
        msg = (f"{level!r} is not a parent level of source.{did_you_mean(name, levels)} "
               f"Levels are: {known}. Pass one of them, target polygons, or a Series "
               "mapping source code to target code.")
        raise InputError([Problem("target", None, None, None, msg)])
    return src[f"{name}_code"]


def _lookup_codes(src: gpd.GeoDataFrame, lookup: pd.Series) -> pd.Series:
    """Return the target code of every source from a lookup (NaN for none)."""
    problems = []
    for code in lookup.index[lookup.index.duplicated()].unique():
        found = sorted(map(str, lookup.loc[[code]].unique()))
        problems.append(Problem(
            "target", code, None, None,
            f"is mapped {int((lookup.index == code).sum())} times (to "
            f"{', '.join(map(repr, found))}). A lookup maps each source to one "
            "target; to split a source between targets, pass target polygons."))
    if problems:
        raise InputError(problems)
    if not lookup.index.isin(src.index).any():
        flipped = (" Its values are source codes: it maps the other way, so invert it "
                   "with pd.Series(lookup.index, index=lookup.values)."
                   if lookup.isin(src.index).any() else "")
        shown = ", ".join(map(repr, lookup.index[:3].tolist()))
        msg = (f"is indexed by {shown}..., none of which is a code of source.{flipped} "
               "A lookup is a Series indexed by source code whose values are target "
               "codes.")
        raise InputError([Problem("target", None, None, None, msg)])
    return lookup.reindex(src.index)


def _aggregate(src: gpd.GeoDataFrame, codes: pd.Series, name: Hashable, method: str, *,
               weight: str, pop_values: np.ndarray | None,
               pop_points: gpd.GeoDataFrame | None, need_weights: bool) -> _Allocation:
    """Aggregate exactly: each source lies wholly in one target, or in none."""
    n_s = len(src)
    mapped = codes.notna().to_numpy()
    found = pd.unique(codes[mapped])
    try:
        index = pd.Index(found, name=name).sort_values()
    except TypeError:  # codes of mixed types keep their order of appearance
        index = pd.Index(found, name=name)
    rows = index.get_indexer(codes[mapped])
    cols = np.flatnonzero(mapped)
    shares = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(index), n_s))
    weights = None
    if need_weights:
        if weight == "area":

            per_source = shapely.area(np.asarray(
                _working(src, "source").geometry.values, dtype=object))
        elif pop_values is not None:
            per_source = pop_values
        else:

            geom, pop = _points(pop_points)
            s_geom = np.asarray(_working(src, "source").geometry.values, dtype=object)
            p_s = _first_hit(geom, s_geom)
            inside = p_s >= 0
            per_source = np.bincount(p_s[inside], weights=pop[inside], minlength=n_s)
        weights = sparse.csr_matrix((per_source[cols], (rows, cols)),
                                    shape=(len(index), n_s))
    return _Allocation(shares=shares, weights=weights, index=index, geometry=None,
                       method=method, reached=np.ones(len(index), dtype=bool))


# -- the arithmetic ---------------------------------------------------------------------
def _extensive(shares: Any, matrix: np.ndarray) -> np.ndarray:
    """Sum each source's share in each target; NaN where a NaN source has a share."""
    unknown = np.isnan(matrix)
    totals = np.asarray(shares @ np.where(unknown, 0.0, matrix))
    touched_by_unknown = np.asarray(shares @ unknown.astype(float)) > 0
    return np.where(touched_by_unknown, np.nan, totals)


def _intensive(weights: Any, matrix: np.ndarray) -> tuple[np.ndarray, list[tuple]]:
    """Weighted means over the known sources of each target.

    Also returns, per column, how many NaN sources were left out of an average that
    other sources made, and of how many targets.
    """
    known = ~np.isnan(matrix)
    num = np.asarray(weights @ np.where(known, matrix, 0.0))
    den = np.asarray(weights @ known.astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    unknown_weight = np.asarray(weights @ (~known).astype(float)) > 0
    partial = unknown_weight & (den > 0)
    left = (np.asarray(weights.T @ partial.astype(float)) > 0) & ~known
    return out, list(zip(left.sum(axis=0).tolist(), partial.sum(axis=0).tolist(),
                         strict=True))


def _totals(matrix: np.ndarray | None, moved: list[str]) -> dict[str, float]:
    if matrix is None:
        return {}
    return {c: float(np.nansum(matrix[:, k])) for k, c in enumerate(moved)}


def _unallocated(shares: Any, matrix: np.ndarray | None,
                 moved: list[str]) -> tuple[dict[str, float], np.ndarray]:
    """Return what of each extensive total lies in no target, and whose it is."""
    allocated = np.asarray(shares.sum(axis=0)).ravel()
    rest = np.where(allocated < 1 - COVER_TOLERANCE, 1.0 - allocated, 0.0)
    lost = rest > 0
    if matrix is None:
        return {}, lost
    amounts = np.nan_to_num(matrix) * rest[:, None]
    return {c: float(amounts[:, k].sum()) for k, c in enumerate(moved)}, lost


def _percent(share: float) -> str:
    """Return ``"12.3%"``, or two significant figures for a share under 0.1%."""
    return f"{share:.1%}" if share >= 0.001 else f"{100 * share:.2g}%"


def _codes(codes: Sequence[Any]) -> str:
    shown = ", ".join(map(repr, codes[:_SHOW]))
    more = len(codes) - _SHOW
    return shown + (f" and {more:,} more" if more > 0 else "")


def _warn(attrs: dict[str, Any], allocation: _Allocation, *, totals_in: dict[str, float],
          left_out: dict[str, Any]) -> None:
    """One warning for each thing the caller should know was not carried over."""
    level = user_stacklevel()
    lost = attrs["unallocated_sources"]
    amounts = {c: v for c, v in attrs["unallocated"].items() if v > 0}
    if lost and amounts:
        parts = []
        for col, amount in amounts.items():
            share = amount / totals_in[col] if totals_in.get(col) else float("nan")
            parts.append(f"{amount:,.6g} of {col!r} ({_percent(share)})")
        if allocation.method == "overlay":
            what = (f"target does not wholly cover {plural(len(lost), 'source unit')} "
                    f"({_codes(lost)}), so")
            fix = ("Add targets that cover the sources, or clip the sources to the "
                   "targets if the rest lies outside the study area.")
        else:
            what = (f"{plural(len(lost), 'source unit')} ({_codes(lost)}) "
                    f"{'has' if len(lost) == 1 else 'have'} no target code, so")
            fix = ("Give them a target code (add them to the lookup, or fill in "
                   "their parent code) to include them.")
        msg = (f"{what} {', '.join(parts)} went to no target. The amounts are in "
               f"result.attrs['unallocated']. {fix}")
        warnings.warn(msg, InterpolationWarning, stacklevel=level)
    empty = attrs["empty_targets"]
    if empty:
        msg = (f"{plural(len(empty), 'target')} ({_codes(empty)}) "
               f"{'overlaps' if len(empty) == 1 else 'overlap'} no source, so "
               f"{'its values are' if len(empty) == 1 else 'their values are'} NaN "
               "(unknown, not zero). They are listed in result.attrs['empty_targets'].")
        warnings.warn(msg, InterpolationWarning, stacklevel=level)
    fallback = attrs["area_fallback"]
    if fallback:
        msg = (f"{plural(len(fallback), 'source unit')} ({_codes(fallback)}) "
               f"{'has' if len(fallback) == 1 else 'have'} no population in the finer "
               "units, so their counts were split by area instead, and they carry no "
               "weight in population-weighted averages. They are listed in "
               "result.attrs['area_fallback'].")
        warnings.warn(msg, InterpolationWarning, stacklevel=level)
    for col, (n_src, n_tgt) in left_out.items():
        if n_tgt:
            msg = (f"{plural(n_src, 'source unit')} with no value (NaN) in {col!r} "
                   f"{'was' if n_src == 1 else 'were'} left out of the averages of "
                   f"{plural(n_tgt, 'target')}, which average the sources that have a "
                   "value. Fill in the values to include them.")
            warnings.warn(msg, InterpolationWarning, stacklevel=level)

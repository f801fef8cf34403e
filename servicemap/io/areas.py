"""One resolver for every reader's ``areas=``: a frame, a boundary file or a dataset name.

The workbook reader and the HSDS reader take the area polygons the same way, so a user
writes ``areas=`` once and means the same thing everywhere:

==========================  ==============================================================
``areas=``                  what is read
==========================  ==============================================================
a GeoDataFrame              the frame itself
a path to a boundary file   a GeoPackage, GeoJSON or shapefile (any file pyogrio reads):
                            its only layer, or, if it has several, the layer ``areas``
a dataset's name            the areas of :func:`servicemap.datasets.load`, such as
                            ``"bedfordshire"``
``None``                    nothing: ``None`` is returned and the reader decides whether
                            it can check its rows without areas
==========================  ==============================================================

The areas keep their order: the frame's rows, the file's features or the dataset's
areas, as given. A ``code`` index becomes a ``code`` column. Any CRS is transformed to
British National Grid (EPSG:27700) with a
:class:`~servicemap.errors.ReprojectionWarning`. Whatever is wrong is an
:class:`~servicemap.errors.InputError` naming the argument ``areas``, what was wrong
and the fix.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from servicemap.crs import to_working_crs
from servicemap.datasets import available, load
from servicemap.errors import CRSError, InputError, Problem, did_you_mean

__all__ = ["resolve_areas"]

#: The layer read from a boundary file with several layers.
LAYER = "areas"


def resolve_areas(areas: Any, *, source: str) -> gpd.GeoDataFrame | None:
    """Return the area polygons given as ``areas=``, in EPSG:27700, in the order given.

    Parameters
    ----------
    areas : GeoDataFrame, str, path-like or None
        A GeoDataFrame; a path to a GeoPackage, GeoJSON or shapefile (its only layer,
        or the layer ``areas`` of a file with several); the name of a shipped dataset,
        such as ``"bedfordshire"``; or None.
    source : str
        What the areas are read for, such as a workbook's file name: it heads the
        error's message.

    Returns
    -------
    geopandas.GeoDataFrame or None
        The areas with a ``code`` column where the input has one (or a ``code`` index),
        in EPSG:27700; None when ``areas`` is None.

    Raises
    ------
    InputError
        If ``areas`` is of another type, names neither a file nor a dataset, is a file
        that cannot be read or has several layers and none called ``areas``, or has no
        CRS. Its one problem names ``areas``, what was wrong and the fix, with a code
        of :data:`~servicemap.errors.PROBLEM_CODES`.

    Warns
    -----
    ReprojectionWarning
        When the areas were not in EPSG:27700 and were reprojected.

    Examples
    --------
    >>> areas = resolve_areas("bedfordshire", source="example")
    >>> len(areas), areas.crs.to_epsg(), areas.columns[0]
    (381, 27700, 'code')
    >>> resolve_areas("bedfordshre", source="example")
    Traceback (most recent call last):
    ...
    servicemap.errors.InputError: 1 problem in 'example'
      - table 'areas', field 'areas': 'bedfordshre' is neither a file nor a shipped \
dataset. Did you mean 'bedfordshire'? ...
    """
    if areas is None:
        return None
    if isinstance(areas, gpd.GeoDataFrame):
        gdf = areas
    elif isinstance(areas, (str, PathLike)):
        gdf = _from_name(areas, source)
    else:
        raise _error(None, f"is a {type(areas).__name__}. Give a GeoDataFrame, a file of "
                     "area polygons or a shipped dataset's name.", "wrong_type", source)
    if "code" not in gdf.columns and gdf.index.name == "code":
        gdf = gdf.reset_index()
    try:
        return to_working_crs(gdf, "areas")
    except CRSError as exc:
        raise _error(None, str(exc), "bad_crs", source) from None


def _from_name(areas: str | PathLike[str], source: str) -> gpd.GeoDataFrame:
    """Read a boundary file, or load a shipped dataset's areas."""
    path = Path(areas)
    if path.exists():
        return _read_boundaries(path, source)
    if isinstance(areas, str) and areas in available():
        return load(areas).areas
    raise _error(areas, f"is neither a file nor a shipped dataset."
                 f"{did_you_mean(areas, available())} Give a GeoPackage, GeoJSON "
                 "or shapefile of the area polygons, or one of: "
                 f"{', '.join(available())}.", "unreadable", source)


def _read_boundaries(path: Path, source: str) -> gpd.GeoDataFrame:
    """Read a file's only layer, or its layer ``areas`` if it has several."""
    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
        layer = None
        if len(layers) > 1:
            if LAYER not in layers:
                raise _error(str(path), f"has {len(layers)} layers ({', '.join(layers)}) "
                             f"and none is called '{LAYER}'. Keep the area polygons in a "
                             f"layer named '{LAYER}'.", "unreadable", source)
            layer = LAYER
        return gpd.read_file(path, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise _error(str(path), f"cannot be read as area polygons ({exc}). Give a "
                     "GeoPackage, GeoJSON or shapefile.", "unreadable", source) from None


def _error(value: Any, message: str, code: str, source: str) -> InputError:
    return InputError([Problem("areas", None, "areas", value, message, code=code)],
                      source=source)

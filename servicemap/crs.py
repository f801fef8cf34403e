"""The working coordinate reference system: British National Grid (EPSG:27700).

Every measurement in servicemap is made in British National Grid, in metres. Every frame
passed in goes through :func:`to_working_crs`:

=================  ===================================================================
input              what happens
=================  ===================================================================
no CRS             :class:`~servicemap.errors.CRSError` saying how to set one
EPSG:27700         used as is
any other CRS      reprojected, with a :class:`~servicemap.errors.ReprojectionWarning`
                   naming the frame and both CRSs
=================  ===================================================================

Accuracy of reprojection. The best transformation from WGS84 longitude/latitude to
British National Grid uses Ordnance Survey's OSTN15 grid (about 1 cm). Where PROJ has
no copy of that grid (it is a separate download, and servicemap never downloads
anything), PROJ falls back to a Helmert transformation accurate to about 2 m. Catchments
are measured in kilometres, so 2 m is immaterial; the warning says which was used. The
shipped datasets are stored in EPSG:27700 already, so loading them transforms nothing.
"""

from __future__ import annotations

import inspect
import os
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from servicemap.errors import CRSError, ReprojectionWarning

__all__ = ["WORKING_CRS", "lonlat_to_working", "to_working_crs", "user_stacklevel"]

WORKING_CRS = "EPSG:27700"
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def user_stacklevel() -> int:
    """Return the ``stacklevel`` that points a warning at the first frame outside servicemap.

    Examples
    --------
    >>> user_stacklevel() >= 1
    True
    """
    frame = inspect.currentframe()
    level = 0
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if level > 0 and not filename.startswith(_PACKAGE_DIR + os.sep):
            return level
        frame = frame.f_back
        level += 1
    return max(level - 1, 1)


def _best_transformation_note(caught: list[warnings.WarningMessage]) -> tuple[str, list]:
    """Split PROJ's 'best transformation' warnings from the others."""
    fallback, others = "", []
    for w in caught:
        if "Best transformation is not available" in str(w.message):
            fallback = (" PROJ has no OSTN15 grid here, so a Helmert transformation "
                        "(about 2 m) was used; that is immaterial for catchments "
                        "measured in kilometres.")
        else:
            others.append(w)
    return fallback, others


def to_working_crs(gdf: gpd.GeoDataFrame, name: str = "frame") -> gpd.GeoDataFrame:
    """Return a GeoDataFrame in British National Grid (EPSG:27700).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        The input, which must have a CRS.
    name : str
        What to call the frame in messages, such as ``"sites"``.

    Returns
    -------
    geopandas.GeoDataFrame
        The input itself when it is in EPSG:27700 already, else a reprojected copy.

    Raises
    ------
    CRSError
        If the frame has no CRS.

    Warns
    -----
    ReprojectionWarning
        When the frame was reprojected, naming both CRSs and the number of rows.

    Examples
    --------
    >>> import shapely
    >>> sites = gpd.GeoDataFrame(geometry=[shapely.Point(505_000, 250_000)], crs=27700)
    >>> to_working_crs(sites, "sites") is sites
    True
    >>> to_working_crs(sites.set_crs(None, allow_override=True), "sites")
    Traceback (most recent call last):
    ...
    servicemap.errors.CRSError: `sites` has no CRS...
    """
    if gdf.crs is None:
        msg = (f"`{name}` has no CRS. If its coordinates are longitude/latitude, call "
               f"`{name}.set_crs(4326)`; if they are eastings/northings, "
               f"`{name}.set_crs(27700)`.")
        raise CRSError(msg)
    if gdf.crs.to_epsg() == 27700:
        return gdf
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = gdf.to_crs(WORKING_CRS)
    fallback, others = _best_transformation_note(caught)
    for w in others:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    source = gdf.crs.to_string()
    msg = (f"`{name}` was reprojected from {source} to {WORKING_CRS} "
           f"({len(gdf)} rows).{fallback}")
    warnings.warn(msg, ReprojectionWarning, stacklevel=user_stacklevel())
    return out


def lonlat_to_working(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray, str]:
    """Convert longitude/latitude (EPSG:4326) to eastings/northings (EPSG:27700).

    Parameters
    ----------
    lon, lat : array-like of float
        Degrees.

    Returns
    -------
    easting, northing : numpy.ndarray
        Metres.
    note : str
        Empty, or a sentence saying PROJ fell back to a 2 m Helmert transformation.

    Examples
    --------
    >>> e, n, _ = lonlat_to_working([-0.47], [52.13])  # Bedford, to the nearest km
    >>> round(float(e[0]) / 1000), round(float(n[0]) / 1000)
    (505, 249)
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        transformer = Transformer.from_crs(4326, 27700, always_xy=True)
        e, n = transformer.transform(np.asarray(lon, float), np.asarray(lat, float))
    fallback, others = _best_transformation_note(caught)
    for w in others:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return np.asarray(e, float), np.asarray(n, float), fallback.strip()

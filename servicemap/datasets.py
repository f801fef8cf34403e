"""Offline loaders for the datasets shipped with servicemap.

The files live in the project's ``datasets/`` folder, which the wheel carries inside
the package, so they load with no network, from a source checkout or an installed
wheel alike. ``datasets/README.md`` gives each file's source, licence, vintage and the
attribution to keep.

Examples
--------
>>> sm.datasets.available()
['bedfordshire']
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from servicemap.errors import did_you_mean
from servicemap.servicemap import ServiceMap

__all__ = ["available", "bedfordshire", "bedfordshire_wards", "data_dir", "load"]

_TABLES = ("organisations", "partnerships", "services", "sites", "pathways")


def data_dir() -> Path:
    """Return the folder that holds the shipped datasets.

    Returns
    -------
    pathlib.Path
        Inside the installed package (``servicemap/_datasets``), or the project's
        ``datasets/`` folder when running from a source checkout.

    Examples
    --------
    >>> (data_dir() / "bedfordshire" / "areas.gpkg").is_file()
    True
    """
    packaged = resources.files("servicemap") / "_datasets"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "datasets"


def available() -> list[str]:
    """List the datasets that ship with servicemap.

    Returns
    -------
    list of str
        Names to pass to :func:`load`.

    Examples
    --------
    >>> available()
    ['bedfordshire']
    """
    root = data_dir()
    return sorted(p.parent.name for p in root.glob("*/metadata.json"))


def load(name: str) -> ServiceMap:
    """Load a shipped dataset by name as a :class:`~servicemap.ServiceMap`.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    ServiceMap

    Raises
    ------
    ValueError
        If no dataset has that name; the message lists those that exist.

    Examples
    --------
    >>> load("bedfordshire").provenance["name"]
    'Bedfordshire: real boundaries, illustrative services'
    >>> load("bedforshire")
    Traceback (most recent call last):
    ...
    ValueError: no dataset is called 'bedforshire'. Did you mean 'bedfordshire'? ...
    """
    names = available()
    if name not in names:

        msg = (f"no dataset is called {name!r}.{did_you_mean(name, names)} "
               f"Available: {', '.join(names)}.")
        raise ValueError(msg)
    return _load(name)


@cache
def _load(name: str) -> ServiceMap:


    folder = data_dir() / name
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    areas = gpd.read_file(folder / "areas.gpkg", layer="areas", engine="pyogrio")
    tables = {}
    for table in _TABLES:
        path = folder / f"{table}.csv"
        tables[table] = pd.read_csv(path, dtype=str, keep_default_na=False,
                                    encoding="utf-8")
    # Excel-style row numbers (the header is row 1) name rows in any message.
    labels = {t: [f"{t}.csv:{i + 2}" for i in range(len(df))] for t, df in tables.items()}
    return ServiceMap.from_frames(areas=areas, provenance=metadata, row_labels=labels,
                                  source=name, **tables)


def bedfordshire() -> ServiceMap:
    """Bedfordshire: real LSOAs, deprivation and population; illustrative services.

    The 381 LSOAs (2011) of Bedford, Central Bedfordshire and Luton with IMD 2019
    deciles and mid-2015 population by age; illustrative need indicators derived from
    population and deprivation; real NHS sites (NHS Choices, 2014) and probation
    contracts (Ministry of Justice); and an illustrative layer of drug and alcohol,
    early help and family services with their sites, catchments, hours, capacity, cost
    and referral pathways. Every made-up record has ``illustrative=True``.

    Returns
    -------
    ServiceMap

    Examples
    --------
    >>> smap = bedfordshire()
    >>> len(smap.areas)
    381
    >>> sorted(smap.areas["lad_name"].unique())
    ['Bedford', 'Central Bedfordshire', 'Luton']
    """
    return load("bedfordshire")


@cache
def _wards() -> gpd.GeoDataFrame:

    path = data_dir() / "bedfordshire" / "wards.gpkg"
    return gpd.read_file(path, layer="wards", engine="pyogrio").set_index("code")


def bedfordshire_wards() -> gpd.GeoDataFrame:
    """Bedfordshire's 77 electoral wards of December 2013, a second geography.

    Real ONS ward boundaries (generalised, clipped) of Bedford (27), Central
    Bedfordshire (31) and Luton (19), to move LSOA values to with
    :func:`servicemap.interpolate`. They are **out of date**: Central Bedfordshire and
    Luton have had ward reviews since 2013 (Luton's new wards date from 2019), so these
    codes will not join to current ward statistics. Wards and LSOAs do not nest: a
    ward cuts through some LSOAs, and the outer edges of the two layers differ by about
    0.03% of the county's area.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code`` (WD13CD), with ``name``, ``lad_code`` and ``lad_name``;
        polygons in EPSG:27700. A new copy on every call.

    Examples
    --------
    >>> wards = bedfordshire_wards()
    >>> len(wards), wards.crs.to_epsg()
    (77, 27700)
    >>> wards.groupby("lad_name").size().to_dict()
    {'Bedford': 27, 'Central Bedfordshire': 31, 'Luton': 19}
    """
    return _wards().copy()

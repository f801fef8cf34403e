"""Open Referral (HSDS 3.0) service directories in and out.

The Human Services Data Specification (HSDS) is the standard of service directories,
Open Referral UK's included. :func:`write_hsds` (``smap.to_hsds``) writes a map as an
HSDS 3.0 directory, both as the tabular data package (CSV files with a
``datapackage.json``) and as ``services.json``, a page of nested "service full" objects
as the HSDS API returns them. :func:`read_hsds` (``sm.read_hsds``) reads either form,
from servicemap or from any publisher, and :func:`validate_hsds` checks JSON against the
published HSDS 3.0 JSON Schemas, which ship with servicemap (``schema/``).

How the model maps (see the docs page "Open Referral (HSDS)" for the whole table):

==================  =================================================================
servicemap          HSDS 3.0
==================  =================================================================
organisation        ``organization`` (``notes`` as ``description``; ``kind`` as an
                    attribute)
service             ``service``: ``name``, ``status``, ``minimum_age``,
                    ``maximum_age``, ``description`` (our ``notes``); needs,
                    interventions, client groups and visit frequency as
                    ``attribute`` rows of ``taxonomy_term`` s of our vocabulary;
                    ``funding_sources`` as ``funding``; hours as weekly
                    ``schedule`` rows (``byday``, ``opens_at``, ``closes_at``, the
                    text in ``description``); footprint as ``service_area`` rows
                    whose ``uri`` is the area's GSS code
site                ``location`` (``physical`` or ``virtual``, latitude and
                    longitude, the postcode in an ``address``) and one
                    ``service_at_location`` per service
==================  =================================================================

What HSDS has no field for (a catchment's reach, commissioners, capacity, annual cost,
exact eastings and northings, the ``illustrative`` flag, our ids) is written in
extension fields named ``servicemap_*``; pathways, partnerships, travel times and
declared vocabulary in extension tables ``servicemap_*.csv`` (and the ``servicemap``
member of ``services.json``). HSDS 3.0 allows extra fields, so the output still
validates, and ``to_hsds`` then ``read_hsds`` gives back an equal map.

Reading a third party's directory, whatever has no field in the model (phones, fees,
languages, a monthly schedule, a service area with no GSS code, ...) is kept in the
``notes`` of the record it belongs to, never dropped, and an :class:`HSDSWarning`
counts it; ``smap.provenance["hsds_unmapped"]`` lists every such value and where it
was. Areas are not part of HSDS: pass ``areas=``.

The package reads as its three jobs: ``read`` (:func:`read_hsds`), ``write``
(:func:`write_hsds`) and ``validate`` (:func:`validate_hsds`); ``_common`` holds what
reading and writing must agree on.

Examples
--------
>>> import tempfile, pathlib
>>> smap = sm.datasets.bedfordshire()
>>> with tempfile.TemporaryDirectory() as d:
...     folder = smap.to_hsds(d)
...     checked = validate_hsds(folder / "services.json")
...     back = sm.read_hsds(folder, areas="bedfordshire")
>>> checked, back.equals(smap)
(40, True)
"""

from servicemap.io.hsds._common import HSDS_VERSION
from servicemap.io.hsds._common import uid as _uid  # noqa: F401 (the tests check UUIDs)
from servicemap.io.hsds.read import HSDSWarning, read_hsds
from servicemap.io.hsds.validate import _validator, validate_hsds  # noqa: F401 (its cache)
from servicemap.io.hsds.write import write_hsds

__all__ = ["HSDSWarning", "HSDS_VERSION", "read_hsds", "validate_hsds", "write_hsds"]

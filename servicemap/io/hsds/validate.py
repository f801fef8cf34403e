"""Checking HSDS JSON against the published HSDS 3.0 JSON Schemas, shipped with servicemap.

jsonschema and referencing are optional (``pip install 'servicemap[hsds]'``), so they are
imported when a validator is first built, not with the module.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from servicemap.errors import InputError, Problem
from servicemap.io.hsds._common import schema, schema_dir

__all__ = ["validate_hsds"]


def validate_hsds(source: str | os.PathLike[str] | Any, *, entity: str = "service") -> int:
    """Check HSDS JSON against the published HSDS 3.0 JSON Schemas; return how many passed.

    The schemas ship with servicemap (``servicemap/io/hsds/schema``, CC BY-SA 4.0,
    Open Referral), so nothing is downloaded. Identifiers are checked to be UUIDs.

    Parameters
    ----------
    source : str, path-like, dict or list
        A JSON file, or its content: one object, a list of them, or a page of them
        (an object with ``contents``, as the HSDS API returns).
    entity : str, default "service"
        The schema to check each object against, such as ``"organization"``.

    Returns
    -------
    int
        The number of objects checked, all valid.

    Raises
    ------
    InputError
        Listing every object and field that breaks the schema, and why.
    ImportError
        If jsonschema is not installed.

    Examples
    --------
    >>> validate_hsds({"id": "ac148810-d857-441c-9679-408f346de14b", "name": "Hub",
    ...                "status": "active"})
    1
    >>> validate_hsds({"id": "hub", "name": "Hub", "status": "open"})
    Traceback (most recent call last):
    ...
    servicemap.errors.InputError: 2 problems in the input
      - table 'service', row 0, field 'id': 'hub' is not a 'uuid'...
      - table 'service', row 0, field 'status': 'open' is not one of ['active', ...
    """
    name = None
    data: Any = source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = path.name
        data = json.loads(path.read_text(encoding="utf-8"))
    items = data.get("contents", [data]) if isinstance(data, dict) else list(data)
    validator = _validator(entity)
    problems = []
    for i, item in enumerate(items):
        for err in sorted(validator.iter_errors(item), key=lambda e: list(e.path)):
            where = "/".join(map(str, err.path)) or None
            problems.append(Problem(name or entity, i, where, None,
                                    f"{err.message} (HSDS 3.0 {entity} schema)."))
    if problems:
        raise InputError(problems, source=name)
    return len(items)


@cache
def _validator(entity: str) -> Any:
    """Return a validator of one HSDS entity that resolves references to the others."""
    try:
        import jsonschema
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
    except ImportError:
        msg = ("validating HSDS needs jsonschema: pip install 'servicemap[hsds]' "
               "(or pip install jsonschema).")
        raise ImportError(msg) from None
    pairs = []
    for item in schema_dir().iterdir():
        if item.name.endswith(".json"):
            contents = json.loads(item.read_text(encoding="utf-8"))
            pairs.append((item.name, Resource.from_contents(
                contents, default_specification=DRAFT202012)))
    registry = Registry().with_resources(pairs)
    return jsonschema.Draft202012Validator(
        schema(entity), registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

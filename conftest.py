"""Shared pytest set-up: the doctest namespace and a non-interactive plot backend."""

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import servicemap as sm


@pytest.fixture(autouse=True)
def _doctest_namespace(doctest_namespace):
    doctest_namespace.update({"sm": sm, "gpd": gpd, "pd": pd, "np": np})


def pytest_configure(config):
    # PySAL access 1.1.10 calls DataFrame.set_index(inplace=True), which pandas 3
    # deprecates with a Pandas4Warning on every Access(...). Ignore exactly that one.
    import pandas.errors

    if hasattr(pandas.errors, "Pandas4Warning"):
        config.addinivalue_line(
            "filterwarnings",
            "ignore:The inplace keyword in DataFrame.set_index is deprecated"
            ":pandas.errors.Pandas4Warning:access")

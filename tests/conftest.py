"""Fixtures: the toy grid and tables of toy.py."""

import pytest
from toy import grid_areas, toy_tables


@pytest.fixture
def areas():
    return grid_areas()


@pytest.fixture
def tables():
    return toy_tables()

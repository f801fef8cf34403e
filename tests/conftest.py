"""Fixtures shared by the test modules: the toy grid, tables and map of toy.py."""

import pytest
import toy

import servicemap as sm


@pytest.fixture
def areas():
    return toy.grid_areas()


@pytest.fixture
def tables():
    return toy.toy_tables()


@pytest.fixture
def toy_map(areas, tables):
    return toy.toy_map(areas, **tables)


@pytest.fixture(scope="module")
def bedfordshire():
    return sm.datasets.bedfordshire()

"""One schema: the records define it, and the map's frames and its GeoPackage agree."""

import numpy as np
import pyogrio
import pytest

import servicemap as sm
from servicemap.model import Catchment, Service, Site
from servicemap.schema import CATCHMENT_COLUMNS, KINDS, TABLES, area_schema, restore_areas

TABLE_NAMES = ["organisations", "partnerships", "services", "sites", "pathways"]


def test_the_kinds_of_the_services_table_by_hand():
    t = TABLES["services"]
    assert t.list_columns == ["commissioners", "needs", "interventions", "client_groups",
                              "funding_sources", "footprint"]
    assert t.of_kind("number") == ["capacity", "annual_cost", "max_distance", "max_minutes"]
    assert t.of_kind("whole") == ["min_age", "max_age"]
    assert t.of_kind("hours") == ["hours"]
    assert t.of_kind("term") == ["capacity_unit", "visit_frequency", "status", "reach"]
    assert t.column("provider").references == ("organisations",)
    assert t.column("commissioners").references == ("organisations", "partnerships")
    assert t.column("needs").required and not t.column("interventions").required
    assert t.names[-2:] == ["illustrative", "notes"]


def test_every_record_field_is_a_column_once():
    for name in TABLE_NAMES:
        t = TABLES[name]
        assert len(set(t.names)) == len(t.names)
        fields = set(t.record.model_fields) - {"id", "catchment"}
        fields -= set(getattr(t.record, "location_fields", ()))
        if t.record is Service:
            fields |= set(Catchment.model_fields) - {"illustrative", "notes"}
        assert set(t.names) == fields
        assert {c.kind for c in t.columns} <= set(KINDS)
    assert CATCHMENT_COLUMNS == ["footprint", "reach", "max_distance", "max_minutes"]
    assert "easting" not in TABLES["sites"].names and Site.location_fields


def test_categories_are_vocabulary_categories_and_references_are_tables():
    vocab = sm.VOCABULARY
    for t in TABLES.values():
        for c in t.columns:
            if c.kind in ("term", "terms"):
                assert c.category is not None and vocab.terms(c.category), c
            else:
                assert c.category is None, c
            assert set(c.references) <= {*TABLES, "areas"}, c


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_the_maps_frames_hold_the_schemas_columns(name):
    smap = sm.datasets.bedfordshire()
    frame = getattr(smap, name)
    t = TABLES[name]
    assert frame.columns.drop("geometry", errors="ignore").tolist() == t.names
    for c in t.columns:
        values = frame[c.name].dropna()
        if c.is_list:
            assert values.map(lambda v: isinstance(v, tuple)).all(), c.name
        elif c.kind == "number":
            assert frame[c.name].dtype == np.float64, c.name


def test_the_geopackage_stores_the_schemas_columns(tmp_path):
    smap = sm.datasets.bedfordshire()
    path = smap.to_file(tmp_path / "beds.gpkg")
    for name in TABLE_NAMES:
        stored = pyogrio.read_info(path, layer=name)["fields"].tolist()
        assert stored == ["id", *TABLES[name].names], name


def test_areas_are_restored_exactly():
    areas = sm.datasets.bedfordshire().areas
    back = areas.reset_index().astype({"imd_decile": "float64"})[::-1]
    restored = restore_areas(back, area_schema(areas))
    assert restored.sort_index().equals(areas.sort_index())
    assert restored["imd_decile"].dtype == areas["imd_decile"].dtype


def test_an_unknown_column_is_named_with_those_that_exist():
    with pytest.raises(KeyError, match="has no column 'capcity'; it has name, provider"):
        TABLES["services"].column("capcity")

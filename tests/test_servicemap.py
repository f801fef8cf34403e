"""The ServiceMap: building from frames, validation across records, immutability."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from toy import X0, Y0, grid_areas, toy_map, toy_tables

import servicemap as sm
from servicemap.errors import InputError, ValidationWarning
from servicemap.servicemap import SERVICE_COLUMNS


def test_build_from_frames():
    smap = toy_map()
    assert smap.areas.index.name == "code" and len(smap.areas) == 9
    assert smap.areas.crs.to_epsg() == 27700
    assert smap.services.columns.tolist() == SERVICE_COLUMNS
    assert smap.services.loc["HUB", "needs"] == ("drug", "alcohol")
    assert smap.services.loc["HUB", "min_age"] == 18
    assert pd.isna(smap.services.loc["OUT", "min_age"])
    assert smap.services.loc["OUT", "reach"] == "none"
    assert smap.sites.loc["HUB-1"].geometry.equals(shapely.Point(X0 + 500, Y0 + 500))
    assert smap.sites.loc["OUT-1"].geometry is None
    assert smap.pathways.loc["P1", "information_sharing_agreement"]
    assert pd.isna(smap.pathways.loc["P2", "information_sharing_agreement"])
    assert smap.parent_levels == ["lad"]
    assert smap.need_columns == {"drug": "need_drug"}
    report = smap.validate()
    assert report.ok and len(report) == 0, report


def test_build_from_records_equals_build_from_frames():
    tables = toy_tables()
    records = {name: df.to_dict("records") for name, df in tables.items()}
    a = sm.ServiceMap.from_frames(areas=grid_areas(), **tables)
    b = sm.ServiceMap.from_frames(areas=grid_areas(), **records)
    assert a.equals(b)
    # pydantic records work too
    services = [sm.Service(**{k: v for k, v in r.items() if k not in
                              {"footprint", "max_distance", "reach"}},
                           catchment={k: r.get(k) for k in
                                      ("footprint", "max_distance", "reach")
                                      if isinstance(r.get(k), (str, int, float))
                                      and not pd.isna(r.get(k))})
                for r in tables["services"].to_dict("records")]
    c = sm.ServiceMap.from_frames(areas=grid_areas(), **{**tables, "services": services})
    assert a.equals(c)


def test_frames_indexed_by_id_are_accepted():
    tables = toy_tables()
    tables = {k: v.set_index("id") for k, v in tables.items()}
    assert toy_map(**tables).equals(toy_map())


def test_row_problems_are_collected_across_tables_and_raised_once():
    tables = {k: v.astype(object) for k, v in toy_tables().items()}
    tables["services"].loc[0, "capacity"] = "about 40"
    tables["services"].loc[1, "hours"] = "9-5ish"
    tables["sites"].loc[0, "easting"] = "x"
    tables["pathways"].loc[0, "from_entry"] = "polce custody"
    with pytest.raises(InputError) as info:
        sm.ServiceMap.from_frames(areas=grid_areas(), **tables)
    got = sorted((p.table, p.row, p.field) for p in info.value.problems)
    assert got == [("pathways", 0, "from_entry"), ("services", 0, "capacity"),
                   ("services", 1, "hours"), ("sites", 0, "easting")]
    assert "4 problems in the input" in str(info.value)


def test_row_labels_name_rows_as_the_user_sees_them():
    tables = toy_tables()
    tables["services"].loc[1, "needs"] = "drugz"
    with pytest.raises(InputError, match=r"row 'Services!3' \(id 'OUT'\), field 'needs'"):
        sm.ServiceMap.from_frames(areas=grid_areas(), **tables, source="w.xlsx",
                                  row_labels={"services": ["Services!2", "Services!3"]})


def test_duplicate_ids():
    services = toy_tables()["services"]
    services = pd.concat([services, services.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match=r"row 2 \(id 'HUB'\)|row 2, field 'id'") as info:
        toy_map(services=services)
    assert "'HUB' is used by rows 0, 2. Give each record its own id." in str(info.value)


def test_unknown_column_is_an_error_with_did_you_mean():
    services = toy_tables()["services"].rename(columns={"capacity": "capactiy"})
    with pytest.raises(InputError) as info:
        toy_map(services=services)
    # one problem for the column, not one per row
    assert len(info.value.problems) == 1
    assert str(info.value.problems[0]).startswith(
        "table 'services', field 'capactiy': is not a field of table 'services'. Did you "
        "mean 'capacity'? Rename or drop the column, or put what it holds in 'notes'.")


def test_cross_record_problems_name_rows_as_given():
    tables = toy_tables()
    tables["pathways"].loc[1, "to_service"] = "NOPE"
    with pytest.warns(ValidationWarning, match="1 error across"):
        smap = sm.ServiceMap.from_frames(
            areas=grid_areas(), strict=False, **tables,
            row_labels={"pathways": ["Pathways!2", "Pathways!3"]})
    (problem,) = smap.validate().errors
    assert str(problem).startswith("table 'pathways', row 'Pathways!3' (id 'P2'), "
                                   "field 'to_service': 'NOPE' is not in table 'services'.")


def test_comma_separated_terms_get_told_to_use_semicolons():
    services = toy_tables()["services"].assign(needs=["drug, alcohol", "drug"])
    with pytest.raises(InputError, match="Separate them with ';', as 'drug; alcohol'"):
        toy_map(services=services)


# -- cross-record problems: each seeded problem is found --------------------------------
def seeded(change):
    tables = toy_tables()
    change(tables)
    with pytest.warns(ValidationWarning, match="smap.validate"):
        smap = sm.ServiceMap.from_frames(areas=grid_areas(), strict=False, **tables)
    return smap.validate()


def _set(table, row, field, value):
    def change(tables):
        tables[table].loc[row, field] = value
    return change


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        (_set("pathways", 0, "to_service", "HUBB"), ("pathways", "P1", "to_service"),
         "'HUBB' is not in table 'services'. Did you mean 'HUB'?"),
        (_set("pathways", 1, "from_service", "XX"), ("pathways", "P2", "from_service"),
         "'XX' is not in table 'services'."),
        (_set("services", 0, "provider", "TPP"), ("services", "HUB", "provider"),
         "'TPP' is not in table 'organisations'. Did you mean 'TP'?"),
        (_set("services", 0, "commissioners", "DAPP"), ("services", "HUB", "commissioners"),
         "'DAPP' is neither in table 'organisations' nor in 'partnerships'."),
        (_set("partnerships", 0, "members", "C1; NOPE"), ("partnerships", "DAP", "members"),
         "'NOPE' is not in table 'organisations'."),
        (_set("services", 0, "footprint", "E06000009"), ("services", "HUB", "footprint"),
         "'E06000009' is not an area or a parent area of this map."),
        (_set("partnerships", 0, "footprint", "E0600001"),
         ("partnerships", "DAP", "footprint"), "Did you mean 'E06000001'?"),
        (_set("sites", 0, "services", "HUB; GONE"), ("sites", "HUB-1", "services"),
         "'GONE' is not in table 'services'."),
        (_set("sites", 0, "services", "OUT"), ("services", "HUB", "reach"),
         "needs a site to measure from, but no site in table 'sites' lists this service"),
        (_set("sites", 1, "services", "OUT; HUB"), None, None),  # fine: HUB has a site
        (_set("sites", 0, "northing", Y0 + 900_000), ("sites", "HUB-1", "location"),
         "is 897 km from the nearest area, too far to serve it"),
    ],
)
def test_cross_record_errors(change, where, message):
    if where is None:
        tables = toy_tables()
        change(tables)
        assert sm.ServiceMap.from_frames(areas=grid_areas(), **tables).validate().ok
        return
    report = seeded(change)
    errors = [p for p in report.errors if (p.table, p.id, p.field) == where]
    assert len(errors) == 1, report
    assert message in str(errors[0])


def test_service_with_only_phone_sites_cannot_reach_by_distance():
    def change(tables):
        tables["sites"].loc[0, ["easting", "northing", "mode"]] = [None, None, "phone"]
    report = seeded(change)
    assert [str(p) for p in report.errors] == [
        "table 'services', row 0 (id 'HUB'), field 'reach': 'distance' needs a located "
        "in-person or outreach site, but every site of this service is phone or online. "
        "Give a site with easting and northing, or set reach to 'none'."]


def test_strict_raises_every_cross_record_error():
    tables = toy_tables()
    tables["pathways"].loc[0, "to_service"] = "HUBB"
    tables["services"].loc[0, "provider"] = "TPP"
    with pytest.raises(InputError, match="2 problems") as info:
        sm.ServiceMap.from_frames(areas=grid_areas(), **tables)
    assert {p.field for p in info.value.problems} == {"to_service", "provider"}
    smap = toy_map(strict=True)
    assert smap.validate(strict=True).ok


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (_set("sites", 0, "northing", Y0 - 2_000), "location",
         "is outside every area of the map (2.0 km from the nearest)"),
        (_set("pathways", 1, "from_service", "HUB"), "to_service",
         "the route loops on itself"),
        (_set("services", 0, "client_groups", "children"), "client_groups",
         "'children' is aged about 0-12, outside the service's ages 18-"),
        (_set("services", 0, "status", "decommissioned"), "to_service",
         "is decommissioned, so this route leads nowhere now"),
        (_set("partnerships", 0, "members", ""), "members",
         "a partnership without members"),
    ],
)
def test_cross_record_warnings(change, field, message):
    tables = toy_tables()
    change(tables)
    report = sm.ServiceMap.from_frames(areas=grid_areas(), **tables).validate()
    assert report.ok
    hits = [p for p in report.warnings if p.field == field and message in str(p)]
    # both pathways lead to the decommissioned hub; every other change makes one warning
    assert len(hits) == (2 if "decommissioned" in message else 1), report


def test_repeated_pathway_is_a_warning():
    tables = toy_tables()
    extra = tables["pathways"].iloc[[0]].assign(id="P3")
    tables["pathways"] = pd.concat([tables["pathways"], extra], ignore_index=True)
    report = sm.ServiceMap.from_frames(areas=grid_areas(), **tables).validate()
    assert [(p.row, p.id) for p in report.warnings] == [(2, "P3")]
    assert "repeats pathway 'P1'" in report.warnings[0].message


def test_areas_without_population_get_a_warning():
    report = toy_map(areas=grid_areas().drop(columns="population")).validate()
    assert [p.field for p in report.warnings] == ["population"]
    assert "analyses can count areas but not people" in report.warnings[0].message


def test_area_checks():
    areas = grid_areas()
    areas.loc[0, "need_drug"] = 5_000.0  # above the population of 1,100
    areas.loc[1, "lad_code"] = None
    areas.loc[2, "pop_0_15"] = 5_000.0
    areas.loc[3, "code"] = "LOCAL-1"
    report = toy_map(areas=areas).validate()
    got = {p.field: p.message for p in report.warnings}
    assert got["need_drug"].startswith("is above the population in 1 area (E01000001)")
    assert got["lad_code"].startswith("is empty for 1 area (E01000002)")
    assert got["population"].startswith("is below the sum of the pop_ columns in 1 area")
    assert got["code"].startswith("1 code is not in the ONS/NRS GSS form")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.drop(columns="code"), "areas need a 'code' column"),
        (lambda a: a.assign(population=["many"] + [1.0] * 8),
         "field 'population': 'many' is not a number"),
        (lambda a: a.assign(need_drugs=1.0),
         "table 'areas', field 'need_drugs': is not a need column: 'drugs' is not a need. "
         "Did you mean 'drug'?"),
        (lambda a: a.assign(imd_decile=[0] * 9), "field 'imd_decile': 0 is below 1"),
        (lambda a: a.assign(need_drug=[-1.0] + [1.0] * 8),
         "row 0 (id 'E01000001'), field 'need_drug': -1.0 is below 0"),
        (lambda a: a.assign(pop_0_15=["x"] + [1.0] * 8), "field 'pop_0_15': 'x' is not a number"),
        (lambda a: a.set_geometry([None] + list(a.geometry[1:])),
         "field 'geometry': is empty. Every area needs its polygon."),
        (lambda a: a.set_geometry([shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])]
                                  + list(a.geometry[1:])),
         "is not a valid polygon (Self-intersection"),
        (lambda a: a.set_geometry([shapely.Point(0, 0)] + list(a.geometry[1:])),
         "is a Point, not a polygon"),
    ],
)
def test_bad_areas(change, message):
    areas = change(grid_areas())
    with pytest.raises(InputError) as info:
        toy_map(areas=areas)
    assert message in str(info.value)


def test_invalid_geometry_is_never_made_valid_silently():
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    areas = grid_areas().set_geometry([bowtie] + list(grid_areas().geometry[1:]))
    with pytest.raises(InputError, match="servicemap does not change geometry"):
        toy_map(areas=areas)


def test_declared_vocabulary_terms():
    services = toy_tables()["services"].assign(needs=["chemsex", "drug"])
    with pytest.raises(InputError, match="'chemsex' is not a need"):
        toy_map(services=services)
    tables = toy_tables()
    tables["services"] = services
    smap = sm.ServiceMap.from_frames(areas=grid_areas(), **tables,
                                     vocabulary={"need": {"chemsex": "Chemsex support"}})
    assert smap.vocabulary.declared() == {"need": {"chemsex": "Chemsex support"}}


def test_lonlat_sites_are_converted_and_reported():
    sites = toy_tables()["sites"].astype(object)
    sites.loc[0, ["easting", "northing", "lon", "lat"]] = [None, None, -0.4653, 52.1540]
    smap = toy_map(sites=sites, strict=False)
    pt = smap.sites.loc["HUB-1"].geometry
    # north Bedford, on the OS map at about TL 050 517: 505 km east, 252 km north
    assert round(pt.x / 1000) == 505 and round(pt.y / 1000) == 252
    notes = [p for p in smap.validate().notes if p.field == "lon"]
    assert len(notes) == 1 and "were converted to easting" in notes[0].message


def test_sites_as_a_geodataframe():
    sites = toy_tables()["sites"]
    gsites = gpd.GeoDataFrame(
        sites.drop(columns=["easting", "northing"]),
        geometry=[shapely.Point(X0 + 500, Y0 + 500), None], crs=27700)
    assert toy_map(sites=gsites).equals(toy_map())
    with pytest.raises(InputError, match="not a point"):
        toy_map(sites=gsites.set_geometry([shapely.box(0, 0, 1, 1), None], crs=27700))


def test_map_is_immutable():
    smap = toy_map()
    with pytest.raises(AttributeError, match=r"use smap.replace"):
        smap.services = None
    services = smap.services
    services.loc["HUB", "name"] = "Changed"
    assert smap.services.loc["HUB", "name"] == "Treatment hub"
    areas = smap.areas
    areas.loc["E01000001", "population"] = 0.0
    assert smap.areas.loc["E01000001", "population"] == 1100.0


def test_replace_returns_a_new_validated_map():
    smap = toy_map()
    fewer = smap.replace(pathways=smap.pathways.drop(index="P2"))
    assert list(fewer.pathways.index) == ["P1"] and len(smap.pathways) == 2
    bad = smap.pathways.assign(to_service=["HUB", "NOPE"])
    with pytest.raises(InputError, match="'NOPE' is not in table 'services'"):
        smap.replace(pathways=bad)
    with pytest.raises(TypeError, match="replace\\(\\) got 'servces'"):
        smap.replace(servces=None)
    assert smap.replace().equals(smap)


def test_repr_and_html_escape_user_text():
    orgs = toy_tables()["organisations"]
    tables = toy_tables()
    tables["partnerships"].loc[0, "name"] = "<script>alert(1)</script>"
    smap = sm.ServiceMap.from_frames(areas=grid_areas(), **{**tables,
                                                            "organisations": orgs})
    assert repr(smap) == ("<ServiceMap: 9 areas, 2 services, 2 sites, 2 pathways, "
                          "3 organisations, 1 partnership>")
    page = smap._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page
    text = str(smap)
    assert len(text.splitlines()) <= 25
    assert "population 13,500" in text  # 9 x 1,000 + 100 x (1 + ... + 9)


def test_summary_tables():
    s = toy_map().summary()
    areas = s["areas"]
    # LAD E06000001: squares 1,2,4,5,7,8 -> 6 x 1,000 + 100 x 27 = 8,700
    assert areas.loc["E06000001", "population"] == 8_700
    assert areas.loc["E06000002", "population"] == 4_800  # 3 x 1,000 + 100 x 18
    assert areas.loc["total", "areas"] == 9
    by_need = s["services_by_need"]
    assert by_need.loc["drug", "DAP"] == 1 and by_need.loc["drug", "(single organisation)"] == 1
    assert by_need.loc["drug", "total"] == 2 and by_need.loc["alcohol", "total"] == 1
    assert s["pathways"].loc["police_vulnerable_persons", "referral"] == 1


def test_areas_in_another_crs_are_reprojected_with_a_warning():
    areas = grid_areas().to_crs(3857)
    with pytest.warns(sm.ReprojectionWarning, match="`areas` was reprojected from "
                                                    "EPSG:3857 to EPSG:27700 \\(9 rows\\)"):
        smap = toy_map(areas=areas)
    assert smap.crs.to_epsg() == 27700
    # the squares come back to within a millimetre
    back = smap.areas.geometry.values
    assert all(shapely.equals_exact(a, b, tolerance=1e-3)
               for a, b in zip(back, grid_areas().geometry.values, strict=True))


def test_frames_geometry_and_provenance_returned_cannot_change_the_map():
    import shapely

    smap = sm.datasets.bedfordshire()
    site, area = smap.sites.geometry.iloc[0], smap.areas.geometry.iloc[0]
    smap.sites.geometry.values[0] = shapely.Point(0, 0)
    smap.areas.geometry.values[0] = shapely.Point(0, 0)
    assert smap.sites.geometry.iloc[0] == site and smap.areas.geometry.iloc[0] == area
    # nor the shipped dataset, cached for the next caller
    assert sm.datasets.bedfordshire().sites.geometry.iloc[0] == site
    kept = smap.provenance
    kept["vintage"]["changed"] = "yes"
    kept["name"] = "changed"
    assert "changed" not in smap.provenance["vintage"]
    assert smap.provenance["name"] != "changed"

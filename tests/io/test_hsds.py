"""Open Referral HSDS 3.0: our own output back equal, a third party's data mapped field
by field, nothing unmapped lost, and JSON checked against the published schemas."""

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pyproj import Transformer
from toy import X0, Y0, toy_map, toy_services

import servicemap as sm
from servicemap.io import hsds
from servicemap.io.hsds import HSDSWarning, read_hsds, validate_hsds, write_hsds
from servicemap.io.hsds import read as reading
from servicemap.io.hsds._common import IN_HSDS
from servicemap.schema import TABLES

U = "00000000-0000-4000-8000-{:012d}".format  # readable UUIDs for hand-written data
LUTON = (-0.4200, 51.8787)  # lon, lat in Luton town centre
ROOT = Path(__file__).resolve().parents[2]


# -- our own output ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bedfordshire_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hsds")
    return sm.datasets.bedfordshire().to_hsds(folder)


def test_bedfordshire_round_trips_through_csv(bedfordshire_dir):
    smap = sm.datasets.bedfordshire()
    back = sm.read_hsds(bedfordshire_dir, areas="bedfordshire")
    assert back.equals(smap)
    assert "hsds_unmapped" not in back.provenance
    assert back.provenance == smap.provenance


def test_bedfordshire_round_trips_through_json(bedfordshire_dir):
    back = sm.read_hsds(bedfordshire_dir / "services.json", areas="bedfordshire")
    assert back.equals(sm.datasets.bedfordshire())


def test_written_json_validates_against_hsds_3(bedfordshire_dir):
    assert validate_hsds(bedfordshire_dir / "services.json") == 40
    page = json.loads((bedfordshire_dir / "services.json").read_text(encoding="utf-8"))
    orgs = page["servicemap"]["organizations"]
    assert validate_hsds(orgs, entity="organization") == 25
    assert validate_hsds(page["servicemap"]["locations"], entity="location") == 73
    assert page["total_items"] == 40 and len(page["contents"]) == 40


def test_written_tables_hold_the_mapped_fields(bedfordshire_dir):
    smap = sm.datasets.bedfordshire()
    services = pd.read_csv(bedfordshire_dir / "services.csv", dtype=str,
                           keep_default_na=False).set_index("servicemap_id")
    hub = smap.services.loc["lut-adult-hub"]
    row = services.loc["lut-adult-hub"]
    assert row["name"] == hub["name"] and row["status"] == "active"
    assert row["minimum_age"] == str(hub["min_age"])
    # one service area per footprint code, uri ending in the GSS code
    areas = pd.read_csv(bedfordshire_dir / "service_areas.csv", dtype=str)
    mine = areas[areas["service_id"] == row["id"]]
    assert mine["uri"].str.rsplit("/", n=1).str[-1].tolist() == list(hub["footprint"])
    # needs and client groups as attributes of our taxonomy's terms
    attrs = pd.read_csv(bedfordshire_dir / "attributes.csv", dtype=str)
    terms = pd.read_csv(bedfordshire_dir / "taxonomy_terms.csv", dtype=str).set_index("id")
    linked = attrs[attrs["link_id"] == row["id"]]
    codes = terms.loc[linked["taxonomy_term_id"], ["taxonomy", "code"]]
    assert codes[codes["taxonomy"] == "servicemap:need"]["code"].tolist() == list(
        hub["needs"])
    # identifiers are UUIDs made from our ids, the same every time
    assert row["id"] == hsds._uid("service", "lut-adult-hub")
    package = json.loads((bedfordshire_dir / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} >= {
        "services.csv", "servicemap_pathways.csv", "service_at_location.csv"}


@pytest.mark.parametrize(("table", "hsds_table"), [
    ("organisations", "organizations.csv"), ("services", "services.csv"),
    ("sites", "locations.csv")])
def test_every_column_travels_in_hsds_or_in_an_extension_field(bedfordshire_dir, table,
                                                               hsds_table):
    header = pd.read_csv(bedfordshire_dir / hsds_table, nrows=0).columns
    extension = [c.removeprefix("servicemap_") for c in header
                 if c.startswith("servicemap_")]
    columns = TABLES[table].names
    # the id, and a site's exact place, travel beside the table's columns
    beside = {"id", "easting", "northing"}
    assert set(IN_HSDS[table]) <= set(columns)  # no name the schema has lost
    assert [c for c in extension if c not in beside] == [
        c for c in columns if c not in IN_HSDS[table]]


@pytest.mark.parametrize("table", ["pathways", "partnerships"])
def test_extension_tables_have_the_schemas_columns(bedfordshire_dir, table):
    header = pd.read_csv(bedfordshire_dir / f"servicemap_{table}.csv", nrows=0).columns
    assert header.tolist() == ["id", *TABLES[table].names]


@pytest.mark.parametrize("hours", [
    ("24/7", "closed"),
    ("Fri 22:00-02:00", "Sun 23:00-01:00; Mon 09:00-17:00"),
    ("Mon-Fri 09:00-12:30, 13:30-17:00", "Daily 08:00-20:00; Wed closed"),
    (None, "Weekends 10:00-16:00"),
])
def test_hours_round_trip_exactly(tmp_path, areas, hours):
    smap = toy_map(areas, services=toy_services(hours=list(hours)))
    folder = smap.to_hsds(tmp_path)
    for source in (folder, folder / "services.json"):
        back = read_hsds(source, areas=areas)
        assert back.services["hours"].tolist() == list(hours)
        assert back.equals(smap)


def test_overnight_hours_become_weekly_schedules(tmp_path, areas):
    smap = toy_map(areas, services=toy_services(hours=["Fri 22:00-02:00",
                                                        "Sun 23:00-01:00"]))
    folder = smap.to_hsds(tmp_path)
    rows = pd.read_csv(folder / "schedules.csv", dtype=str, keep_default_na=False)
    got = sorted(zip(rows["byday"], rows["opens_at"], rows["closes_at"], strict=True))
    # Friday 22:00 to midnight (closing at 00:00, the next day) and Saturday to 02:00;
    # Sunday 23:00 to midnight and Monday to 01:00
    assert got == [("FR", "22:00", "00:00"), ("MO", "00:00", "01:00"),
                   ("SA", "00:00", "02:00"), ("SU", "23:00", "00:00")]
    assert set(rows["freq"]) == {"WEEKLY"}


def test_csv_text_cannot_run_as_a_formula_and_reads_back_exactly(tmp_path, areas):
    names = ['=HYPERLINK("http://x","y")', "'=already quoted"]
    notes = ["+44 1234 567890", "@SUM(A1)"]
    smap = toy_map(areas, services=toy_services(name=names, notes=notes))
    folder = smap.to_hsds(tmp_path)
    raw = pd.read_csv(folder / "services.csv", dtype=str, keep_default_na=False)
    assert raw["name"].tolist() == ["'" + names[0], "'" + names[1]]
    assert raw["description"].tolist() == ["'+44 1234 567890", "'@SUM(A1)"]
    for path in folder.glob("*.csv"):
        cells = pd.read_csv(path, dtype=str, keep_default_na=False).to_numpy().ravel()
        starts = {c[:1] for c in cells if isinstance(c, str) and c}
        assert not starts & {"=", "+", "@", "\t", "\r"}, path.name
        assert not any(c.startswith("-") and not _is_number(c) for c in cells), path.name
    page = json.loads((folder / "services.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in page["contents"]] == names  # JSON is not a spreadsheet
    back = read_hsds(folder, areas=areas)
    assert back.services["name"].tolist() == names
    assert back.equals(smap)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_extension_tables_carry_pathways_and_declared_terms(tmp_path, areas, tables):
    services = tables["services"].copy()
    services.loc[1, "needs"] = "drug; chemsex"
    smap = sm.ServiceMap.from_frames(
        areas=areas, **{**tables, "services": services},
        vocabulary={"need": {"chemsex": "Chemsex support: drugs and sex"}},
        travel_times=pd.DataFrame({"area": ["E01000001"], "site": ["HUB-1"],
                                   "minutes": [7.0]}))
    folder = smap.to_hsds(tmp_path)
    pathways = pd.read_csv(folder / "servicemap_pathways.csv", dtype=str)
    assert pathways["id"].tolist() == ["P1", "P2"]
    vocab = pd.read_csv(folder / "servicemap_vocabulary.csv", dtype=str)
    assert vocab.to_dict("records") == [{"category": "need", "term": "chemsex",
                                         "label": "Chemsex support",
                                         "description": "Chemsex support: drugs and sex"}]
    for source in (folder, folder / "services.json"):
        back = read_hsds(source, areas=areas)
        assert back.equals(smap)
        assert back.travel_times["minutes"].tolist() == [7.0]


def test_a_sites_order_of_services_comes_back_from_both_forms(tmp_path, areas, tables):
    # HUB-1 lists OUT before HUB, against the order of the services table. services.json
    # nests each service_at_location in its service (HUB's first), so without the
    # site's own list (servicemap_services) the JSON would give (HUB, OUT).
    sites = tables["sites"].copy()
    sites.loc[0, "services"] = "OUT; HUB"
    smap = sm.ServiceMap.from_frames(areas=areas, **{**tables, "sites": sites})
    assert smap.sites.loc["HUB-1", "services"] == ("OUT", "HUB")
    folder = smap.to_hsds(tmp_path)
    page = json.loads((folder / "services.json").read_text(encoding="utf-8"))
    nested = [s["servicemap_id"] for s in page["contents"]
              for sal in s["service_at_locations"]
              if sal["location"]["servicemap_id"] == "HUB-1"]
    assert nested == ["HUB", "OUT"]
    for source in (folder, folder / "services.json"):
        back = read_hsds(source, areas=areas)
        assert back.sites.loc["HUB-1", "services"] == ("OUT", "HUB")
        assert back.equals(smap)


@pytest.mark.parametrize(("listed", "expected"), [
    ("C; A; B", ["C", "A", "B"]),  # the same services: the site's order
    ("B; A", ["A", "B", "C"]),  # a service added since: the rows' order
    (None, ["A", "B", "C"]),  # a third party's location
])
def test_a_sites_own_list_orders_its_services_when_it_names_them_all(listed, expected):
    location = {} if listed is None else {"servicemap_services": listed}
    assert reading._in_site_order(["A", "B", "C"], location) == expected


# -- a third party's tabular data package ----------------------------------------------------
def _write(folder, name, text):
    (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def third_party(tmp_path):
    """A small HSDS 3.0 CSV package as a directory might publish it (no extensions)."""
    lon, lat = LUTON
    _write(tmp_path, "organizations.csv", f"""
        id,name,description,website
        {U(1)},Luton Recovery Trust,A local charity.,http://example.org
        """)
    _write(tmp_path, "services.csv", f"""
        id,organization_id,name,description,status,minimum_age,maximum_age,fees
        {U(10)},{U(1)},Alcohol advice,Advice and support.,temporarily closed,18,,Free
        {U(11)},{U(1)},Young carers,,active,,17,
        """)
    _write(tmp_path, "locations.csv", f"""
        id,location_type,name,latitude,longitude
        {U(20)},physical,Recovery hub,{lat},{lon}
        {U(21)},virtual,Advice line,,
        {U(22)},postal,Head office,,
        """)
    _write(tmp_path, "service_at_location.csv", f"""
        id,service_id,location_id
        {U(30)},{U(10)},{U(20)}
        {U(31)},{U(10)},{U(21)}
        {U(32)},{U(11)},{U(20)}
        """)
    _write(tmp_path, "service_areas.csv", f"""
        id,service_id,name,uri
        {U(40)},{U(10)},Luton,http://statistics.data.gov.uk/id/statistical-geography/E06000032
        {U(41)},{U(11)},Bedford,
        """)
    _write(tmp_path, "schedules.csv", f"""
        id,service_id,freq,byday,opens_at,closes_at,description
        {U(50)},{U(10)},WEEKLY,"MO,TU",09:00:00,17:00:00,
        {U(51)},{U(10)},WEEKLY,FR,22:00,02:00,
        {U(52)},{U(11)},MONTHLY,2MO,16:00,18:00,Second Monday of the month
        """)
    _write(tmp_path, "taxonomies.csv", f"""
        id,name,description
        {U(60)},Local directory terms,Terms of the directory
        """)
    _write(tmp_path, "taxonomy_terms.csv", f"""
        id,code,name,description,taxonomy_id
        {U(70)},ALC,Alcohol use,Alcohol,{U(60)}
        {U(71)},ADU,Adults,Adults,{U(60)}
        {U(72)},YC,Young carers support,Carers,{U(60)}
        {U(73)},WHEEL,Wheelchair accessible,Access,{U(60)}
        """)
    _write(tmp_path, "attributes.csv", f"""
        id,link_id,taxonomy_term_id,link_type,link_entity,value
        {U(80)},{U(10)},{U(70)},category,service,
        {U(81)},{U(10)},{U(71)},eligibility,service,
        {U(82)},{U(11)},{U(72)},category,service,
        {U(83)},{U(11)},{U(73)},accessibility,service,yes
        """)
    _write(tmp_path, "addresses.csv", f"""
        id,location_id,address_1,city,state_province,postal_code,country,address_type
        {U(90)},{U(20)},1 George Street,Luton,Bedfordshire,LU1 2BQ,GB,physical
        """)
    _write(tmp_path, "phones.csv", f"""
        id,service_id,number
        {U(95)},{U(10)},01582 000000
        {U(96)},,0800 000 000
        """)
    return tmp_path


def _read_third_party(folder, **kw):
    kw.setdefault("terms", {"Young carers support": "need:early_help"})
    kw.setdefault("defaults", {"client_groups": "families", "max_distance": 5000})
    with pytest.warns(HSDSWarning) as caught:
        smap = read_hsds(folder, areas="bedfordshire", **kw)
    return smap, [str(w.message) for w in caught]


def test_third_party_services_are_mapped_field_by_field(third_party):
    smap, _ = _read_third_party(third_party)
    a = smap.services.loc[U(10)]
    assert a["name"] == "Alcohol advice"
    assert a["provider"] == U(1)
    assert a["status"] == "paused"  # 'temporarily closed'
    assert a["needs"] == ("alcohol",)  # the term's name is the need's label
    assert a["client_groups"] == ("adults",)  # given, so the default is not used
    assert a["min_age"] == 18 and pd.isna(a["max_age"])
    # Mon and Tue 09:00-17:00; Friday 22:00 to Saturday 02:00 (closing before opening)
    assert a["hours"] == ("Mon 09:00-17:00; Tue 09:00-17:00; Fri 22:00-24:00; "
                          "Sat 00:00-02:00")
    assert sm.parse_hours(a["hours"]).hours_per_week == 8 + 8 + 4
    assert a["footprint"] == ("E06000032",)
    assert a["reach"] == "distance" and a["max_distance"] == 5000
    b = smap.services.loc[U(11)]
    assert b["needs"] == ("early_help",)  # mapped by terms=
    assert b["client_groups"] == ("families",)  # the default
    assert b["max_age"] == 17 and b["hours"] is None
    assert b["footprint"] == ("E06000055",)  # the LAD named 'Bedford'


def test_third_party_sites_and_organisations(third_party):
    smap, _ = _read_third_party(third_party)
    org = smap.organisations.loc[U(1)]
    assert org["name"] == "Luton Recovery Trust" and org["kind"] == "other"
    assert org["notes"].startswith("A local charity.\n[HSDS website] http://example.org")
    hub = smap.sites.loc[U(20)]
    assert hub["services"] == (U(10), U(11)) and hub["mode"] == "in_person"
    assert hub["postcode"] == "LU1 2BQ"
    e, n = Transformer.from_crs(4326, 27700, always_xy=True).transform(*LUTON)
    assert hub.geometry.x == pytest.approx(e, abs=0.01)
    assert hub.geometry.y == pytest.approx(n, abs=0.01)
    line = smap.sites.loc[U(21)]
    assert line["mode"] == "online" and line.geometry is None
    assert U(22) not in smap.sites.index  # a postal address serves no service


def test_nothing_unmapped_is_lost(third_party):
    smap, messages = _read_third_party(third_party)
    a = smap.services.loc[U(10)]
    assert a["notes"].splitlines()[0] == "Advice and support."
    assert "[HSDS fees] Free" in a["notes"]
    assert "[HSDS phones]" in a["notes"] and "01582 000000" in a["notes"]
    b = smap.services.loc[U(11)]
    assert "[HSDS schedule]" in b["notes"] and "2MO" in b["notes"]
    assert "Wheelchair accessible" in b["notes"]
    address = smap.sites.loc[U(20), "notes"]
    assert "1 George Street" in address
    unmapped = smap.provenance["hsds_unmapped"]
    fields = sorted(item["field"] for item in unmapped)
    # fees, website, an address, an attribute, a schedule, two phones, a location
    assert fields == ["address", "attribute", "fees", "location", "phones", "phones",
                      "schedule", "website"]
    lone = [i for i in unmapped if i["where"] == "phones.csv:3"]
    assert "0800 000 000" in lone[0]["value"] and lone[0]["kept_in"].startswith(
        "provenance only")
    assert any("8 HSDS values in" in m and "fees (1)" in m for m in messages)
    assert any("matched by name or shape" in m and "'Alcohol use' as need 'alcohol'" in m
               for m in messages)


def test_a_service_with_no_need_says_how_to_map_one(third_party):
    with pytest.raises(sm.InputError) as info:
        read_hsds(third_party, areas="bedfordshire", defaults={"max_distance": 5000})
    text = str(info.value)
    assert "services.csv:3" in text  # the second service's row, after the header
    assert "field 'needs': has no attribute that maps to a need" in text
    assert "field 'client_groups'" in text and "defaults={'client_groups'" in text


def test_reach_must_be_given_for_a_third_party(third_party):
    with pytest.raises(sm.InputError, match=r"field 'reach': is not in HSDS\. Say how far"):
        read_hsds(third_party, areas="bedfordshire",
                  terms={"Young carers support": "need:early_help"},
                  defaults={"client_groups": "families"})


def test_terms_must_name_a_category(third_party):
    with pytest.raises(ValueError, match="is not 'category:term'"):
        read_hsds(third_party, areas="bedfordshire", terms={"Alcohol use": "alcohol"})


def test_areas_are_required_and_checked(third_party):
    # the one areas= resolver every reader shares names the argument and the fix
    with pytest.raises(sm.InputError, match=r"field 'areas': 'nowhere' is neither a file "
                                            r"nor a shipped dataset"):
        read_hsds(third_party, areas="nowhere")
    with pytest.raises(sm.InputError, match=r"field 'areas': is missing. HSDS holds no "
                                            r"areas"):
        read_hsds(third_party, areas=None)


# -- a third party's nested JSON -------------------------------------------------------------
def test_service_full_json_is_mapped(tmp_path):
    lon, lat = LUTON
    service = {
        "id": U(10), "name": "Drug treatment", "status": "active", "minimum_age": 18,
        "maximum_age": 64, "description": "Treatment.", "alert": "Moved online",
        "organization": {"id": U(1), "name": "Provider", "description": "",
                         "phones": [{"id": U(2), "number": "01234"}]},
        "schedules": [{"id": U(3), "freq": "WEEKLY", "byday": "SA,SU",
                       "opens_at": "10:00Z", "closes_at": "14:00Z"}],
        "service_areas": [{"id": U(4), "extent_type": "geojson", "extent": json.dumps({
            "type": "Polygon",
            "coordinates": [[[-0.44, 51.87], [-0.40, 51.87], [-0.40, 51.89],
                             [-0.44, 51.89], [-0.44, 51.87]]]})}],
        "service_at_locations": [{"id": U(5), "location": {
            "id": U(6), "location_type": "physical", "name": "Clinic",
            "latitude": lat, "longitude": lon,
            "addresses": [{"id": U(7), "address_1": "", "city": "", "state_province": "",
                           "postal_code": "LU1 1AA", "country": "GB",
                           "address_type": "physical"}]}}],
        "attributes": [
            {"id": U(8), "taxonomy_term": {"id": U(9), "code": "drug", "name": "Drugs",
                                           "description": ""}},
            {"id": U(11), "taxonomy_term": {"id": U(12), "name": "Adults",
                                            "description": ""}}],
        "funding": [{"id": U(13), "source": "Public health grant"}],
    }
    assert validate_hsds([service]) == 1
    path = tmp_path / "services.json"
    path.write_text(json.dumps({"contents": [service], "total_items": 1}))
    with pytest.warns(HSDSWarning):
        smap = read_hsds(path, areas="bedfordshire", defaults={"max_distance": 8000})
    s = smap.services.iloc[0]
    assert s.name == U(10) and s["provider"] == U(1)
    assert s["needs"] == ("drug",) and s["client_groups"] == ("adults",)
    assert (s["min_age"], s["max_age"]) == (18, 64)
    assert s["hours"] == "Sat 10:00-14:00; Sun 10:00-14:00"
    assert s["funding_sources"] == ("Public health grant",)
    assert "[HSDS alert] Moved online" in s["notes"]
    # the extent covers central Luton: every footprint area is in Luton
    lad = smap.areas["lad_code"]
    assert len(s["footprint"]) > 5
    assert set(lad.loc[list(s["footprint"])]) == {"E06000032"}
    assert "[HSDS phones]" in smap.organisations.loc[U(1), "notes"]
    site = smap.sites.iloc[0]
    assert site["services"] == (U(10),) and site["postcode"] == "LU1 1AA"


# -- schema validation ------------------------------------------------------------------------
def test_validation_names_object_and_field():
    bad = {"id": U(1), "name": "X", "status": "active",
           "schedules": [{"id": "not-a-uuid", "freq": "DAILY"}]}
    with pytest.raises(sm.InputError) as info:
        validate_hsds([bad])
    fields = sorted(p.field for p in info.value.problems)
    assert fields == ["schedules/0/freq", "schedules/0/id"]
    assert all(p.row == 0 for p in info.value.problems)


def test_validation_needs_jsonschema_and_says_so(monkeypatch):
    hsds._validator.cache_clear()
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    try:
        with pytest.raises(ImportError, match=r"pip install 'servicemap\[hsds\]'"):
            validate_hsds({"id": U(1), "name": "X", "status": "active"})
    finally:
        hsds._validator.cache_clear()


def test_write_hsds_makes_the_folder(tmp_path, areas, tables):
    smap = sm.ServiceMap.from_frames(areas=areas, **tables)
    folder = write_hsds(smap, tmp_path / "new" / "dir")
    assert (folder / "services.csv").is_file() and (folder / "services.json").is_file()


# -- the stages of reading, one at a time -----------------------------------------------------
def test_check_source_takes_csv_first_then_services_json(tmp_path):
    (tmp_path / "services.json").write_text("[]")
    assert reading._check_source(tmp_path) == tmp_path / "services.json"
    (tmp_path / "services.csv").write_text("id\n")
    assert reading._check_source(tmp_path) == tmp_path
    with pytest.raises(FileNotFoundError, match="'.*missing' does not exist"):
        reading._check_source(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(sm.InputError, match="holds neither services.csv nor services.json"):
        reading._check_source(tmp_path / "empty")


def test_check_terms_splits_category_and_term():
    assert reading._check_terms({"Over 18s": "client_group:adults"}) == {
        "Over 18s": ("client_group", "adults")}
    assert reading._check_terms(None) == {}
    with pytest.raises(ValueError, match=r"terms\['Drugs'\] = 'drugs:drug' is not"):
        reading._check_terms({"Drugs": "drugs:drug"})


def test_csv_tables_are_rows_of_text_that_know_their_line(tmp_path):
    _write(tmp_path, "services.csv", """
        id,name,minimum_age
        S1,'=Hub,18
        S2,,
        """)
    tables, package = reading._read_csv_tables(tmp_path)
    assert package == {}
    # line 1 is the header; the quote that kept '=Hub' from running is taken off
    assert tables == {"services": [
        {"id": "S1", "name": "=Hub", "minimum_age": "18", "_where": "services.csv:2"},
        {"id": "S2", "_where": "services.csv:3"}]}


def test_nested_json_flattens_to_linked_rows_one_per_object():
    org = {"id": U(1), "name": "Provider", "phones": [{"number": "01234"}]}
    services = [
        {"id": U(10), "name": "A", "organization": org,
         "schedules": [{"id": U(3), "byday": "MO"}],
         "service_at_locations": [{"id": U(5), "location": {"id": U(6), "name": "Clinic"}}]},
        {"id": U(11), "name": "B", "organization": org},
    ]
    tables, extension = reading._flatten_json(services, "dir.json")
    assert extension == {}
    assert [r["id"] for r in tables["organizations"]] == [U(1)]  # met twice, one row
    assert [(r["id"], r["organization_id"]) for r in tables["services"]] == [
        (U(10), U(1)), (U(11), U(1))]
    assert tables["schedules"] == [{"id": U(3), "byday": "MO", "service_id": U(10),
                                    "_where": "dir.json[0].schedules[0]"}]
    [sal] = tables["service_at_location"]
    assert (sal["service_id"], sal["location_id"]) == (U(10), U(6))
    assert tables["locations"][0]["_where"] == "dir.json[0].service_at_locations[0].location"
    # the organisation's phones have no table we map: kept, linked to it
    assert tables["_nested"] == [{"table": "organizations", "field": "phones",
                                  "value": [{"number": "01234"}],
                                  "_where": "dir.json[0].organization",
                                  "organization_id": U(1)}]


def _lonlat_box(x0, y0, x1, y1):
    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True).transform
    corners = [to_lonlat(x, y) for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
    return {"type": "Polygon", "coordinates": [[list(c) for c in corners]]}


@pytest.mark.parametrize(("service_area", "codes", "guessed"), [
    ({"uri": "http://statistics.data.gov.uk/id/statistical-geography/E01000002"},
     ["E01000002"], False),
    ({"name": "SQUARE 3"}, ["E01000003"], True),  # any case
    # a box round the centre of square 5 (x0+1000..2000, y0+1000..2000) and no other
    ({"extent": json.dumps(_lonlat_box(X0 + 1400, Y0 + 1400, X0 + 1600, Y0 + 1600))},
     ["E01000005"], True),
    ({"extent": "not json", "name": "Square 10"}, [], False),  # no such square
])
def test_service_area_codes_by_uri_then_extent_then_name(areas, service_area, codes,
                                                         guessed):
    found, how = reading._area_codes(service_area, reading._names_to_codes(areas), areas)
    assert found == codes
    assert (how is not None) == guessed


def test_hsds_warnings_point_at_the_callers_line(tmp_path):
    service = {"id": U(10), "name": "Alcohol advice", "status": "active", "fees": "Free",
               "organization": {"id": U(1), "name": "Provider"},
               "attributes": [{"id": U(8), "taxonomy_term": {"id": U(9),
                                                            "name": "Alcohol use"}}]}
    (tmp_path / "services.json").write_text(json.dumps([service]))
    with pytest.warns(HSDSWarning) as caught:
        read_hsds(tmp_path, areas="bedfordshire",  # a folder holding only services.json
                  defaults={"client_groups": "adults", "reach": "none"})
    assert len(caught) == 2  # the fee kept in notes; the term matched by its name
    assert {Path(w.filename).name for w in caught} == {Path(__file__).name}


def test_wheel_ships_the_hsds_schemas(tmp_path):
    """Build the wheel, unpack it alone on sys.path, and validate with its schemas."""
    out = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d",
                    str(out)], cwd=ROOT, check=True, capture_output=True)
    wheel = next(out.glob("servicemap-*.whl"))
    shipped = {n.rsplit("/", 1)[1] for n in zipfile.ZipFile(wheel).namelist()
               if n.startswith("servicemap/io/hsds/schema/")}
    here = {p.name for p in (ROOT / "servicemap" / "io" / "hsds" / "schema").iterdir()}
    assert shipped == here and {"service.json", "LICENSE", "README.md"} <= shipped
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import pathlib; from servicemap.io.hsds import validate_hsds, _common; "
            f"print(validate_hsds({{'id': '{U(1)}', 'name': 'Hub', 'status': 'active'}}), "
            "pathlib.Path(str(_common.schema_dir())).parent.parent.parent.parent)")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True,
                         env={"PYTHONPATH": str(site), "PATH": ""})
    count, location = run.stdout.split()
    assert count == "1" and Path(location) == site


def test_an_organisation_repeated_in_each_service_is_kept_in_notes_once(tmp_path):
    # "service full" JSON repeats the organization in every service; its phones are
    # one value, kept once
    org = {"id": U(1), "name": "Provider", "phones": [{"number": "01234"}]}
    services = [{"id": U(i), "name": f"S{i}", "status": "active", "organization": org,
                 "attributes": [{"id": U(100 + i), "taxonomy_term": {
                     "id": U(9), "name": "Alcohol use"}}]} for i in (10, 11)]
    path = tmp_path / "services.json"
    path.write_text(json.dumps(services))
    with pytest.warns(HSDSWarning, match="1 HSDS value in services.json has no field"):
        smap = read_hsds(path, areas="bedfordshire", terms={"Alcohol use": "need:alcohol"},
                         defaults={"client_groups": "adults", "reach": "none"})
    assert smap.organisations.loc[U(1), "notes"] == '[HSDS phones] [{"number": "01234"}]'
    assert [i["field"] for i in smap.provenance["hsds_unmapped"]] == ["phones"]


def test_a_resource_outside_the_package_folder_is_refused(bedfordshire, tmp_path):
    import json

    feed = tmp_path / "feed"
    bedfordshire.to_hsds(feed)
    (tmp_path / "secret.csv").write_text("id,name\nx,secret\n", encoding="utf-8")
    package = json.loads((feed / "datapackage.json").read_text(encoding="utf-8"))
    package["resources"].append({"name": "secret", "path": "../secret.csv"})
    (feed / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    with pytest.raises(sm.InputError) as caught:
        sm.read_hsds(feed, areas=bedfordshire.areas)
    (problem,) = caught.value.problems
    assert (problem.table, problem.field, problem.value, problem.code) == (
        "datapackage.json", "path", "../secret.csv", "outside_folder")
    assert "inside the folder" in str(caught.value)

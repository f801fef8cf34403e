"""Records validated one at a time: each bad field gets a message naming it."""

import pytest
from pydantic import ValidationError

from servicemap.model import (
    Area,
    Catchment,
    Organisation,
    Partnership,
    Pathway,
    Service,
    Site,
    problems_from_validation_error,
)
from servicemap.vocab import VOCABULARY

GOOD_SERVICE = {
    "id": "S1", "name": "Drug and alcohol hub", "provider": "ORG1",
    "commissioners": "DAP1", "needs": "drug; alcohol",
    "interventions": "assessment; psychosocial", "client_groups": "adults",
    "min_age": 18, "max_age": None, "hours": "Mon-Fri 09:00-17:00", "capacity": 400,
    "capacity_unit": "places", "annual_cost": 1_200_000, "funding_sources": "Public health grant",
    "visit_frequency": "weekly", "status": "active",
    "catchment": {"footprint": "E06000055", "max_distance": 10_000},
}


def problems(cls, data, **ctx):
    with pytest.raises(ValidationError) as info:
        cls.model_validate(data, context=ctx or None)
    return [str(p) for p in problems_from_validation_error(
        info.value, cls.table, 7, id=data.get("id"), fields=cls.fields())]


def test_good_service():
    s = Service.model_validate(GOOD_SERVICE)
    assert s.needs == ("drug", "alcohol")
    assert s.commissioners == ("DAP1",)
    assert s.catchment.reach == "distance"
    assert s.catchment.footprint == ("E06000055",)
    assert s.hours.hours_per_week == 40.0
    assert s.model_dump()["hours"] == "Mon-Fri 09:00-17:00"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("capacity", "about 40",
         "field 'capacity': 'about 40' is not a number. Write a plain number"),
        ("capacity", -3, "field 'capacity': -3 is below 0. Write a number in range."),
        ("min_age", "eighteen", "field 'min_age': 'eighteen' is not a whole number"),
        ("min_age", 130, "field 'min_age': 130 is above 120"),
        ("needs", "drugs", "field 'needs': 'drugs' is not a need. Did you mean 'drug'?"),
        ("needs", "drug; drug", "field 'needs': 'drug; drug' names 'drug' twice"),
        ("needs", "", "field 'needs': is empty. Give at least one"),
        ("client_groups", "adult", "field 'client_groups': 'adult' is not a client group. "
                                   "Did you mean 'adults'?"),
        ("hours", "9-5ish", "field 'hours': '9-5ish' is not a time range. Write it like"),
        ("capacity_unit", "beds please", "field 'capacity_unit': 'beds please' is not a "
                                         "capacity unit"),
        ("visit_frequency", "dialy", "Did you mean 'daily'?"),
        ("status", "closed", "field 'status': 'closed' is not a service status"),
        ("provider", "a;b", "field 'provider': 'a;b' is not a usable identifier"),
        ("name", "", "field 'name'"),
        ("capactiy", 3, "field 'capactiy': 'capactiy' is not a field of table 'services'. "
                        "Did you mean 'capacity'?"),
    ],
)
def test_bad_service_field(field, value, message):
    got = problems(Service, {**GOOD_SERVICE, field: value})
    assert len(got) == 1, got
    assert got[0].startswith("table 'services', row 7 (id 'S1'), ")
    assert message in got[0]


@pytest.mark.parametrize(
    ("catchment", "message"),
    [
        ({}, "field 'reach': is missing. Give max_distance (metres)"),
        ({"reach": "distance"}, "is 'distance' but max_distance is empty"),
        ({"reach": "minutes"}, "is 'minutes' but max_minutes is empty"),
        ({"reach": "none", "max_distance": 100}, "is 'none' (whole footprint) but"),
        ({"max_distance": 100, "max_minutes": 5}, "gives both max_distance and max_minutes"),
        ({"reach": "distance", "max_distance": 100, "max_minutes": 5},
         "is 'distance' but max_minutes is given"),
        ({"max_distance": 0}, "field 'max_distance': 0 is not above 0"),
        ({"reach": "walking", "max_distance": 10}, "'walking' is not a reach"),
    ],
)
def test_bad_catchment(catchment, message):
    got = problems(Service, {**GOOD_SERVICE, "catchment": catchment})
    assert len(got) == 1 and message in got[0], got


@pytest.mark.parametrize(
    ("catchment", "reach"),
    [({"max_distance": 5000}, "distance"), ({"max_minutes": 30}, "minutes"),
     ({"reach": "none"}, "none"), ({"reach": "Whole footprint"}, "none")],
)
def test_reach_inferred_or_read(catchment, reach):
    assert Catchment.model_validate(catchment).reach == reach


def test_whole_record_checks_name_the_field_to_fix():
    got = problems(Service, {**GOOD_SERVICE, "min_age": 30, "max_age": 20})
    assert got == ["table 'services', row 7 (id 'S1'), field 'min_age': min_age 30 is "
                   "above max_age 20. Swap them or correct one."]
    got = problems(Service, {**GOOD_SERVICE, "capacity_unit": None})
    assert "field 'capacity_unit': capacity is given without capacity_unit" in got[0]


def test_every_problem_collected_not_just_the_first():
    got = problems(Service, {**GOOD_SERVICE, "capacity": "x", "needs": "drugz",
                             "hours": "soon", "colour": "red"})
    fields = sorted(g.split("field '")[1].split("'")[0] for g in got)
    assert fields == ["capacity", "colour", "hours", "needs"]


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ({"easting": 505_000}, "gives only one of easting and northing"),
        ({"lon": -0.4}, "gives only one of lon and lat"),
        ({"easting": 505_000, "northing": 249_000, "lon": -0.4, "lat": 52.1},
         "gives both easting/northing and lon/lat"),
        ({"lon": 52.13, "lat": -0.47}, "lon and lat look swapped"),
        ({"easting": -0.47, "northing": 52.13}, "look like longitude and latitude. "
                                                "Put them in lon and lat"),
        ({"easting": 249_000, "northing": 5_050_000}, "outside Great Britain's National Grid"),
        ({}, "has no location but mode is 'in_person'"),
        ({"mode": "outreach"}, "has no location but mode is 'outreach'"),
        ({"lon": 200.0, "lat": 52.0}, "is not a position on Earth"),
    ],
)
def test_bad_site_location(site, message):
    data = {"id": "X1", "name": "Site", "services": "S1", **site}
    got = problems(Site, data)
    assert len(got) == 1, got
    assert got[0].startswith("table 'sites', row 7 (id 'X1'), field 'location': ")
    assert message in got[0]


def test_phone_and_online_sites_need_no_location():
    assert Site(id="L", name="Helpline", services="S1", mode="phone").easting is None
    assert Site(id="W", name="Web", services="S1", mode="Online").mode == "online"


def test_pathway_needs_exactly_one_source():
    got = problems(Pathway, {"id": "P1", "to_service": "S1"})
    assert "field 'from_service': needs exactly one of from_service" in got[0]
    got = problems(Pathway, {"id": "P1", "to_service": "S1", "from_service": "S2",
                             "from_entry": "gp"})
    assert "needs exactly one" in got[0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("from_entry", "police", "'police' is not an entry point. Did you mean"),
        ("consent_basis", "consent", "is not a consent basis"),
        ("information_sharing_agreement", "maybe", "'maybe' is not yes or no"),
        ("wait_days", -1, "-1 is below 0"),
        ("volume_per_year", "lots", "'lots' is not a number"),
        ("kind", "refer", "Did you mean 'referral'"),
    ],
)
def test_bad_pathway_field(field, value, message):
    data = {"id": "P1", "from_entry": "gp", "to_service": "S1", field: value}
    got = problems(Pathway, data)
    assert len(got) == 1 and f"field '{field}'" in got[0] and message in got[0], got


@pytest.mark.parametrize(("text", "value"),
                         [("yes", True), ("no", False), ("TRUE", True), ("", None)])
def test_isa_reads_yes_no_and_blank(text, value):
    p = Pathway(id="P", from_entry="gp", to_service="S", information_sharing_agreement=text)
    assert p.information_sharing_agreement is value


def test_organisation_and_partnership():
    o = Organisation(id="BP", name="Bedfordshire Police", kind="police")
    assert o.kind == "police"
    p = Partnership(id="P", name="P", kind="Community safety partnership",
                    members=["BP", "LBC"], footprint="E06000032")
    assert p.kind == "community_safety_partnership" and p.members == ("BP", "LBC")
    got = problems(Partnership, {"id": "P", "name": "P", "members": "A; A"})
    assert "field 'members': 'A; A' names 'A' twice" in got[0]


def test_area_record():
    a = Area(code="E01017453", name="Bedford 005A", parents={"lad": "E06000055"},
             population=1650, population_by_group={"0_15": 300}, needs={"drug": 12.5},
             imd_decile=4)
    assert a.needs == {"drug": 12.5}
    got = problems(Area, {"code": "E01", "name": "x", "needs": {"drugs": 1.0}})
    assert "field 'needs'" in got[0] and "Did you mean 'drug'" in got[0]
    got = problems(Area, {"code": "E01", "name": "x", "imd_decile": 11})
    assert "field 'imd_decile': 11 is above 10" in got[0]


def test_declared_terms_come_from_the_context():
    vocab = VOCABULARY.extend(need={"chemsex": "Chemsex support"})
    data = {**GOOD_SERVICE, "needs": "chemsex"}
    assert Service.model_validate(data, context={"vocabulary": vocab}).needs == ("chemsex",)
    assert "'chemsex' is not a need" in problems(Service, data)[0]


def test_normalisation_is_reported_as_notes():
    notes = []
    ctx = {"vocabulary": VOCABULARY, "notes": notes, "table": "services", "row": 3,
           "id": "S1"}
    Service.model_validate({**GOOD_SERVICE, "name": " Hub ", "needs": "Drug"}, context=ctx)
    assert [str(n) for n in notes] == [
        "table 'services', row 3 (id 'S1'), field 'name': ' Hub ' had spaces around it, "
        "which were removed.",
        "table 'services', row 3 (id 'S1'), field 'needs': 'Drug' was read as the need "
        "'drug'.",
    ]
    assert {n.severity for n in notes} == {"note"}


def test_records_are_frozen():
    o = Organisation(id="BP", name="Bedfordshire Police", kind="police")
    with pytest.raises(ValidationError):
        o.name = "x"


def test_a_site_without_a_location_is_told_what_its_mode_needs():
    from pydantic import ValidationError

    from servicemap.model import Site, problems_from_validation_error

    for mode, says in (("outreach", "Give the base its workers travel out from"),
                       ("in_person", "or set mode to 'phone' or 'online' if nobody "
                                     "visits it")):
        with pytest.raises(ValidationError) as info:
            Site(id="s", name="S", services=("A",), mode=mode)
        (problem,) = problems_from_validation_error(info.value, "sites", 0)
        assert problem.code == "bad_location" and says in problem.message
        assert "'phone'" not in problem.message or mode == "in_person"
    Site(id="s", name="S", services=("A",), mode="phone")  # no location needed

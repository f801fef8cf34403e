"""Changes to a map, applied and undone, checked on the toy grid by hand."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import X0, Y0, code, toy_map

import servicemap as sm
from servicemap import changes


@pytest.fixture(scope="module")
def smap():
    return toy_map()


def _reached(smap, service):
    return sorted(sm.reach_matrix(smap).areas_reached(service).index)


def test_a_wider_reach_takes_in_the_squares_by_hand(smap):
    # HUB sits at the centre of square 1 with a 1.5 km reach inside LAD E06000001
    # (squares 1, 2, 4, 5, 7, 8): centres 0, 1 000, 1 000 and 1 414 m away
    assert _reached(smap, "HUB") == [code(k) for k in (1, 2, 4, 5)]
    wider = smap.apply(changes.update_service("HUB", max_distance=2_500))
    # 2.5 km adds squares 7 (2 000 m) and 8 (2 236 m); 3 (2 000 m) is outside the
    # footprint, 9 (2 828 m) beyond reach
    assert _reached(wider, "HUB") == [code(k) for k in (1, 2, 4, 5, 7, 8)]
    assert _reached(smap, "HUB") == [code(k) for k in (1, 2, 4, 5)]  # unchanged


def test_moving_a_site_moves_the_reach(smap):
    moved = smap.apply(changes.move_site("HUB-1", easting=X0 + 1500, northing=Y0 + 1500))
    # from the centre of square 5, 1.5 km takes every centre of the footprint
    # (1 000 or 1 414 m away)
    assert _reached(moved, "HUB") == [code(k) for k in (1, 2, 4, 5, 7, 8)]


def test_closing_a_service_keeps_its_record_and_reaches_nobody(smap):
    closed = smap.apply(changes.close_service("HUB"))
    assert closed.services.loc["HUB", "status"] == "decommissioned"
    assert len(closed.pathways) == len(smap.pathways)
    gaps = sm.find_gaps(closed, need="drug", client_group="adults")
    assert gaps.table["services"].max() == 0
    assert closed.apply(changes.reopen_service("HUB")).equals(smap)


def test_removing_a_service_takes_its_site_and_pathways_and_says_so(smap):
    change = changes.remove_service("HUB")
    words = change.describe(smap)
    assert words == ("remove service Treatment hub (HUB), with 2 pathways to or from "
                     "it and 1 site serving only it")
    after = smap.apply(change)
    assert "HUB" not in after.services.index and "HUB-1" not in after.sites.index
    assert after.pathways.empty
    assert after.provenance["changes"] == [words]
    assert after.apply(change.inverse(smap)).equals(smap)


def test_a_list_is_checked_once_it_is_all_made(smap):
    hub = dict(smap.services.loc["HUB"], name="Second hub")
    more = smap.apply([changes.add_service("HUB2", **hub),
                       changes.add_site("HUB2-1", name="Second hub", services=("HUB2",),
                                        easting=X0 + 2500, northing=Y0 + 2500),
                       changes.add_pathway("P3", from_service="OUT", to_service="HUB2",
                                           consent_basis="explicit_consent")])
    assert _reached(more, "HUB2") == [code(k) for k in (5, 8)]  # 1 414 and 1 000 m
    with pytest.raises(sm.InputError, match="needs a site"):
        smap.apply(changes.add_service("HUB2", **hub))  # alone, it has no site


def test_a_change_to_what_is_not_there_names_the_change_and_field(smap):
    with pytest.raises(sm.InputError) as err:
        smap.apply(changes.update_service("HUBB", capacity=5))
    problem = err.value.problems[0]
    assert problem.field == "service" and "HUB" in problem.message
    assert "HUBB" in problem.table
    with pytest.raises(sm.InputError) as err:
        smap.apply(changes.update_service("HUB", capacty=5))
    assert err.value.problems[0].field == "capacty"
    assert "capacity" in err.value.problems[0].message
    with pytest.raises(sm.InputError):  # a value the record refuses
        smap.apply(changes.update_service("HUB", capacity=-5))
    with pytest.raises(TypeError, match="not a change"):
        smap.apply(["close HUB"])


POOL = [
    changes.update_service("HUB", max_distance=2_500),
    changes.update_service("HUB", hours="Mon-Sat 08:00-20:00", capacity=80),
    changes.close_service("OUT"),
    changes.update_pathway("P1", consent_basis="explicit_consent", wait_days=9),
    changes.remove_pathway("P2"),
    changes.move_site("HUB-1", easting=X0 + 1500, northing=Y0 + 500),
    changes.update_partnership("DAP", footprint=("E06000001",)),
    changes.add_pathway("P9", from_entry="gp", to_service="OUT"),
]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(range(len(POOL))), min_size=1, max_size=4, unique=True))
def test_apply_then_inverse_gives_back_an_equal_map(picks):
    smap = toy_map()
    maps, inverses = [smap], []
    for k in picks:
        inverses.append(POOL[k].inverse(maps[-1]))
        maps.append(maps[-1].apply(POOL[k]))
    # the changed map equals the same map built from its frames from scratch
    last = maps[-1]
    fresh = sm.ServiceMap.from_frames(
        areas=last.areas, services=last.services, sites=last.sites,
        pathways=last.pathways, organisations=last.organisations,
        partnerships=last.partnerships, vocabulary=last.vocabulary)
    assert fresh.equals(last)
    back = last
    for inverse in reversed(inverses):
        back = back.apply(inverse)
    assert back.equals(smap)


def test_switching_to_a_monthly_injection_widens_the_reach_by_the_stated_rule():
    # OUT reaches everyone (reach none); give HUB daily supervised dosing first
    smap = toy_map().apply(changes.update_service(
        "HUB", interventions=("opioid_substitution_daily_supervised",),
        visit_frequency="daily", max_distance=1_000))
    # daily, 1 km: squares 1, 2 and 4 (centres 0 and 1 000 m away); 5 is 1 414 m away
    assert _reached(smap, "HUB") == [code(k) for k in (1, 2, 4)]
    change = changes.switch_intervention(
        "HUB", replacing="opioid_substitution_daily_supervised",
        to="long_acting_injectable_buprenorphine", visit_frequency="monthly")
    after = smap.apply(change)
    # monthly (90 minutes) over daily (20): 1 km x 4.5 = 4.5 km, the whole footprint
    assert after.services.loc["HUB", "max_distance"] == 4_500
    assert after.services.loc["HUB", "interventions"] == (
        "long_acting_injectable_buprenorphine",)
    assert _reached(after, "HUB") == [code(k) for k in (1, 2, 4, 5, 7, 8)]
    assert "x 4.50" in change.describe(smap)
    # a factor of the user's own, and a frequency with no tolerance
    halved = smap.apply(changes.switch_intervention(
        "HUB", replacing="opioid_substitution_daily_supervised", to="psychosocial",
        reach_factor=0.5))
    assert halved.services.loc["HUB", "max_distance"] == 500
    with pytest.raises(sm.InputError, match="no travel tolerance"):
        smap.apply(changes.switch_intervention(
            "HUB", replacing="opioid_substitution_daily_supervised", to="psychosocial",
            visit_frequency="as_needed"))
    with pytest.raises(sm.InputError, match="not an intervention of the service"):
        smap.apply(changes.switch_intervention("HUB", replacing="naloxone", to="x",
                                               reach_factor=1))


def test_two_partnerships_become_one(smap):
    two = smap.apply(changes.add_pathway("P5", from_entry="gp", to_service="HUB")).apply(
        changes.update_service("OUT", commissioners=("C1", "DAP")))
    second = dict(two.partnerships.loc["DAP"], name="Second", members=("POL", "TP"),
                  footprint=("E06000002",))
    two = two.apply([changes.AddRecord("partnership", "DAP2", tuple(second.items())),
                     changes.update_service("HUB", commissioners=("DAP2",))])
    change = changes.merge_partnerships(["DAP", "DAP2"], into="ONE", name="One board")
    one = two.apply(change)
    assert list(one.partnerships.index) == ["ONE"]
    merged = one.partnerships.loc["ONE"]
    assert merged["members"] == ("C1", "POL", "TP")
    assert merged["footprint"] == ("E06000001", "E06000002")
    assert one.services.loc["HUB", "commissioners"] == ("ONE",)
    assert one.services.loc["OUT", "commissioners"] == ("C1", "ONE")
    assert change.describe(two) == ("merge partnerships Drug and Alcohol Partnership "
                                    "(DAP), Second (DAP2) into One board (ONE), "
                                    "commissioning 2 services")
    assert one.apply(change.inverse(two)).equals(two)


def test_two_services_merge_by_the_stated_rules(smap):
    # a second hub in the east: square 6, 1 km, weekends, 40 places, in LAD 2
    hub = dict(smap.services.loc["HUB"], name="East hub", hours="Sat-Sun 10:00-14:00",
               capacity=40, footprint=("E06000002",), max_distance=1_000,
               min_age=21, annual_cost=None, commissioners=("C1",))
    two = smap.apply([changes.add_service("EAST", **hub),
                      changes.add_site("EAST-1", name="East", services=("EAST",),
                                       easting=X0 + 2500, northing=Y0 + 1500),
                      changes.add_pathway("P4", from_service="OUT", to_service="EAST",
                                          consent_basis="explicit_consent"),
                      changes.add_pathway("P6", from_service="HUB", to_service="EAST",
                                          consent_basis="explicit_consent")])
    change = changes.merge_services(["HUB", "EAST"], into="HUB", name="One hub")
    one = two.apply(change)
    merged = one.services.loc["HUB"]
    assert merged["name"] == "One hub" and "EAST" not in one.services.index
    assert merged["capacity"] == 140  # 100 + 40
    assert pd.isna(merged["annual_cost"])  # one of them unknown
    assert merged["footprint"] == ("E06000001", "E06000002")
    assert merged["max_distance"] == 1_500 and merged["min_age"] == 18
    assert merged["commissioners"] == ("DAP", "C1")
    assert sm.parse_hours(merged["hours"]).hours_per_week == 40 + 8  # Mon-Fri 9-5, 2x4
    assert one.sites.loc["EAST-1", "services"] == ("HUB",)
    # OUT -> HUB (P2) and OUT -> EAST (P4) become one route; HUB -> EAST is internal
    assert sorted(one.pathways.index) == ["P1", "P2"]
    assert change.describe(two).endswith("2 pathways between them or repeated removed")
    # the merged hub reaches from both sites: square 6 from EAST-1, square 1 from HUB-1
    assert code(6) in _reached(one, "HUB") and code(1) in _reached(one, "HUB")
    assert one.apply(change.inverse(two)).equals(two)
    with pytest.raises(sm.InputError, match="differs between the services"):
        two.apply(changes.merge_services(["HUB", "OUT"], into="HUB"))

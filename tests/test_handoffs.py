"""Referral hand-offs: every pathway as a row, its barriers worked out by hand.

The map is toy.every_barrier_map(): E -P1-> A -P2-> B -P3-> T and E -P4-> B, where E
is the police entry point, A and B are housing services commissioned by DAP1 (member
C1), and T, commissioned by DAP2 (member C2), takes 10 clients a year.
"""

import numpy as np
import pandas as pd
from toy import ENTRY, every_barrier_map, toy_map

from servicemap.handoffs import TURNOVER, referral_steps

BARRIERS = ["consent", "no_isa", "cross_boundary", "bottleneck"]


def test_every_barrier_by_hand():
    steps = referral_steps(every_barrier_map())
    assert steps.index.name == "pathway"
    assert steps.index.tolist() == ["P1", "P2", "P3", "P4"]
    assert steps["from"].tolist() == [ENTRY, "A", "B", ENTRY]
    assert steps["to"].tolist() == ["A", "B", "T", "B"]
    assert steps["wait_days"].tolist() == [1.0, 2.0, 3.0, 1.0]
    # P1: public task with an agreement, from an entry point (no boundary to cross).
    # P2: explicit consent; A and B share DAP1.
    # P3: agreement "no"; DAP1 + C1 and DAP2 + C2 share nobody; 12 a year into T,
    #     which takes 10 clients a year x 1 (TURNOVER) = 10: a bottleneck.
    # P4: consent basis "not_recorded" (not explicit consent), no agreement recorded.
    assert steps[BARRIERS].to_numpy().tolist() == [
        [False, False, False, False],
        [True, False, False, False],
        [False, True, True, True],
        [False, True, False, False]]
    # B is referred to by P2 and P4, neither with a volume: unknown, not 0
    np.testing.assert_array_equal(steps["referred_in_per_year"].to_numpy(),
                                  [np.nan, np.nan, 12.0, np.nan])
    np.testing.assert_array_equal(steps["capacity_per_year"].to_numpy(),
                                  [np.nan, np.nan, 10.0, np.nan])


def test_turnover_decides_the_bottleneck():
    smap = every_barrier_map()
    assert TURNOVER["clients_per_year"] == 1.0
    # two people a year per client place: 20 a year for 12 offered, no bottleneck
    steps = referral_steps(smap, turnover={"clients_per_year": 2})
    assert steps.loc["P3", "capacity_per_year"] == 20.0
    assert not steps["bottleneck"].any()
    # a unit with no turnover is not judged
    steps = referral_steps(smap, turnover={})
    assert np.isnan(steps.loc["P3", "capacity_per_year"])
    assert not steps["bottleneck"].any()


def test_the_toy_map_and_a_map_without_pathways():
    smap = toy_map()
    steps = referral_steps(smap)
    # P2: OUT (C1) -> HUB (DAP, members C1 and POL): C1 in common, no boundary
    assert steps.loc["P2", ["from", "to", "consent", "cross_boundary"]].tolist() == [
        "OUT", "HUB", True, False]
    # P1 carries 120 a year into HUB's 100 places; places have no turnover by default
    assert steps.loc["P1", "referred_in_per_year"] == 120.0
    assert not steps["bottleneck"].any()
    assert referral_steps(smap, turnover={"places": 1}).loc["P1", "bottleneck"]
    # the steps get an index of their own: the map's is left alone
    assert smap.pathways.index.name == "id"
    empty = referral_steps(toy_map(pathways=pd.DataFrame(
        columns=["id", "from_service", "to_service"])))
    assert empty.empty and empty.columns[-4:].tolist() == BARRIERS

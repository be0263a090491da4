"""Monotonic status and milestone derivation (DESIGN.md: Canonical shipment status, Milestones,
Reliability rules)."""

from __future__ import annotations

import pytest

from tracking.statuses import (
    MILESTONE_FOR_STATUS,
    STATUS_RANK,
    TERMINAL_STATUSES,
    ExceptionCause,
    Milestone,
    TrackingStatus,
    milestones_for_transition,
    status_transition_allowed,
)

S = TrackingStatus
M = Milestone
LIVE = [s for s in S if s not in TERMINAL_STATUSES and s != S.UNKNOWN]


def test_the_statuses_are_exactly_the_canonical_set():
    assert set(S.values) == {
        "pending", "in_transit", "out_for_delivery", "available_for_pickup", "delivered",
        "attempt_failed", "exception", "returned_to_sender", "cancelled", "expired", "unknown",
    }


def test_exception_causes_name_who_caused_it():
    assert set(ExceptionCause.values) == {"carrier", "retailer", "recipient", "customs", "weather",
                                          "other"}


def test_tracking_defines_the_shipment_milestones_and_no_others():
    assert set(M.values) == {
        "shipped", "in_transit", "out_for_delivery", "available_for_pickup", "delivered",
        "attempt_failed", "exception", "delayed", "stalled", "returned_to_sender",
    }


def test_every_status_has_a_rank_and_a_milestone_entry():
    assert set(STATUS_RANK) == set(S)
    assert set(MILESTONE_FOR_STATUS) == set(S)


def test_a_late_in_transit_never_undoes_delivered():
    assert not status_transition_allowed(S.DELIVERED, S.IN_TRANSIT)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
@pytest.mark.parametrize("new", list(S))
def test_no_late_event_leaves_a_terminal_state(terminal, new):
    assert not status_transition_allowed(terminal, new)


@pytest.mark.parametrize("current", LIVE)
@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATUSES))
def test_every_live_state_can_end(current, terminal):
    assert status_transition_allowed(current, terminal)


@pytest.mark.parametrize("problem", [S.EXCEPTION, S.ATTEMPT_FAILED])
@pytest.mark.parametrize("road", [S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.AVAILABLE_FOR_PICKUP])
def test_a_problem_can_resume_its_journey(problem, road):
    assert status_transition_allowed(problem, road)


@pytest.mark.parametrize("current", LIVE)
@pytest.mark.parametrize("problem", [S.EXCEPTION, S.ATTEMPT_FAILED])
def test_a_problem_can_happen_at_any_live_stage(current, problem):
    assert status_transition_allowed(current, problem) is (current != problem)


def test_a_late_in_transit_does_not_undo_out_for_delivery():
    assert not status_transition_allowed(S.OUT_FOR_DELIVERY, S.IN_TRANSIT)


def test_out_for_delivery_can_end_at_a_pickup_point():
    assert status_transition_allowed(S.OUT_FOR_DELIVERY, S.AVAILABLE_FOR_PICKUP)


@pytest.mark.parametrize("current", [s for s in LIVE if s != S.PENDING])
def test_a_late_label_event_never_undoes_movement(current):
    assert not status_transition_allowed(current, S.PENDING)


@pytest.mark.parametrize("current", [s for s in S if s != S.UNKNOWN])
def test_unknown_never_overwrites_a_known_status(current):
    assert not status_transition_allowed(current, S.UNKNOWN)


@pytest.mark.parametrize("new", [s for s in S if s != S.UNKNOWN])
def test_anything_replaces_unknown_and_a_first_status_is_always_taken(new):
    assert status_transition_allowed(S.UNKNOWN, new)
    assert status_transition_allowed(None, new)


@pytest.mark.parametrize("status", list(S))
def test_the_same_status_again_is_not_a_transition(status):
    assert not status_transition_allowed(status, status)


def test_statuses_are_accepted_as_plain_strings():
    assert status_transition_allowed("exception", "in_transit")
    with pytest.raises(ValueError):
        status_transition_allowed("in_transit", "teleported")


def test_pending_produces_no_milestone():
    assert milestones_for_transition(None, S.PENDING) == []


def test_the_first_movement_after_pending_also_produces_shipped():
    assert milestones_for_transition(S.PENDING, S.IN_TRANSIT) == [M.SHIPPED, M.IN_TRANSIT]


def test_a_parcel_first_seen_delivered_is_shipped_and_delivered():
    assert milestones_for_transition(None, S.DELIVERED) == [M.SHIPPED, M.DELIVERED]


def test_an_exception_straight_after_the_label_is_not_shipped():
    assert milestones_for_transition(S.PENDING, S.EXCEPTION) == [M.EXCEPTION]


def test_later_movements_do_not_repeat_shipped():
    assert milestones_for_transition(S.IN_TRANSIT, S.OUT_FOR_DELIVERY) == [M.OUT_FOR_DELIVERY]


def test_a_refused_transition_produces_no_milestone():
    assert milestones_for_transition(S.DELIVERED, S.IN_TRANSIT) == []


@pytest.mark.parametrize("status", [S.CANCELLED, S.EXPIRED])
def test_endings_for_the_retailer_only_produce_no_milestone(status):
    assert milestones_for_transition(S.IN_TRANSIT, status) == []


def test_a_shuffled_history_yields_each_milestone_once_and_ends_delivered():
    """Given events as a carrier might send them (late, repeated), when each is applied in turn,
    then the status only moves forward and a unique milestone set remains."""
    arriving = [S.PENDING, S.IN_TRANSIT, S.IN_TRANSIT, S.EXCEPTION, S.IN_TRANSIT,
                S.OUT_FOR_DELIVERY, S.IN_TRANSIT, S.DELIVERED, S.IN_TRANSIT, S.PENDING]
    status, recorded = None, []
    for new in arriving:
        recorded += milestones_for_transition(status, new)
        if status_transition_allowed(status, new):
            status = new
    assert status == S.DELIVERED
    assert recorded == [M.SHIPPED, M.IN_TRANSIT, M.EXCEPTION, M.IN_TRANSIT, M.OUT_FOR_DELIVERY,
                        M.DELIVERED]
    # The caller's unique (shipment, milestone) constraint keeps the repeated in_transit once.
    assert len(set(recorded)) == 5

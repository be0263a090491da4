"""The demo store's returns: a policy, 30 returns in every state a returns team meets, a mix of
reasons, one late refund told once; through the services, never messaged, idempotent."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from messaging.models import Message
from orders.demo import seed_demo
from returns.demo import SLOTS, seed_demo_returns
from returns.models import (
    CreatedVia,
    ReturnEvent,
    ReturnLine,
    ReturnMilestoneRecord,
    ReturnPolicy,
    ReturnRequest,
    ReturnStatus,
)
from tenants.context import tenant_scope
from tracking.demo import seed_demo_shipments

pytestmark = pytest.mark.django_db(transaction=False)
SEEN_STATES = set(ReturnStatus.values) - {ReturnStatus.REQUESTED, ReturnStatus.LABEL_READY}


@pytest.fixture
def store(django_capture_on_commit_callbacks):
    tenant, _ = seed_demo()
    seed_demo_shipments(tenant, live=False)
    return tenant


def test_the_demo_has_returns_in_every_state_and_none_is_messaged(
        store, django_capture_on_commit_callbacks):
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):  # announcements run, as a worker would
        result = seed_demo_returns(store)
    took = time.perf_counter() - started
    assert (result.policy, result.returns) == (1, len(SLOTS)) == (1, 30)
    with tenant_scope(store):
        returns = list(ReturnRequest.objects.all())
        assert {r.status for r in returns} == SEEN_STATES
        assert all(r.created_via == CreatedVia.DEMO for r in returns)
        assert len({r.order_id for r in returns}) == 30
        reasons = set(ReturnLine.objects.values_list("reason", flat=True))
        assert len(reasons) >= 7
        assert ReturnPolicy.objects.get().rules.count() == 2
        late = ReturnMilestoneRecord.objects.filter(milestone="refund_delayed")
        assert late.count() == 1
        assert late.get().request.status == ReturnStatus.RECEIVED
        assert ReturnEvent.objects.filter(summary__startswith="Refund late").count() == 1
        kept = ReturnRequest.objects.get(created_by="demo:refunded-4")
        assert (kept.resolution, kept.method) == ("keep_it", "none")
        # History, not news: every milestone was announced, no message was planned.
        assert not ReturnMilestoneRecord.objects.filter(announced_at=None).exists()
        assert not Message.objects.filter(return_request__isnull=False).exists()
        # The queue shows how long each has waited.
        assert all(r.created_at < timezone.now() - timedelta(days=1) for r in returns)
    assert took < 30, f"seeding the demo's returns took {took:.1f} s"


def test_a_second_run_adds_only_what_is_missing(store):
    seed_demo_returns(store)
    with tenant_scope(store):
        ReturnRequest.objects.filter(created_by="demo:credited-2").delete()
        policy_versions = ReturnPolicy.objects.count()
    again = seed_demo_returns(store, now=timezone.now() + timedelta(days=3))
    assert (again.policy, again.returns) == (0, 1)
    with tenant_scope(store):
        assert ReturnRequest.objects.count() == 30
        assert ReturnPolicy.objects.count() == policy_versions  # the retailer's policy is kept
    assert (seed_demo_returns(store).returns, seed_demo_returns(store).policy) == (0, 0)


def test_the_command_says_what_it_did(store, capsys):
    call_command("seed_demo_returns")
    call_command("seed_demo_returns")
    out = capsys.readouterr().out
    assert "a return policy and 30 returns added" in out
    assert "Demo returns are complete; nothing to change." in out

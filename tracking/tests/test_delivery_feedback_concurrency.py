"""Two first ratings of one delivery at the same moment (two tabs, a double tap): the unique
constraint decides, the loser's rating becomes a change of the winner's, nothing fails."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from orders.models import OrderEvent
from tenants.context import tenant_scope
from tracking.models import DeliveryFeedback
from tracking.services import delivery_feedback_save

from .page_support import make_parcel

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_first_ratings_at_once_leave_one_rating(personas):
    tenant = personas.tenant_a
    parcel = make_parcel(tenant, statuses=("delivered",))
    first_inserted, let_first_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with tenant_scope(tenant), transaction.atomic():
                delivery_feedback_save(tenant, parcel.shipment, rating=2, comment="Late.")
                first_inserted.set()
                let_first_commit.wait(10)  # holds its row (and the unique key) uncommitted
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def second() -> None:
        try:
            with tenant_scope(tenant):
                delivery_feedback_save(tenant, parcel.shipment, rating=4, comment="Fine.")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()  # waits on the first one's unique key
    two.join(0.5)
    assert two.is_alive(), "the second insert should wait for the first transaction"
    let_first_commit.set()
    one.join(10)
    two.join(10)
    assert errors == []
    with tenant_scope(tenant):
        [feedback] = DeliveryFeedback.objects.all()
        events = list(OrderEvent.objects.filter(kind=OrderEvent.Kind.FEEDBACK).order_by("pk"))
    assert (feedback.rating, feedback.comment, feedback.low) == (4, "Fine.", False)
    assert [e.data["previous_rating"] for e in events] == [None, 2]

"""The shopper rates a delivery: the form on the tracking page of a delivered parcel, the POST
(no JavaScript, no CSRF cookie), the 14 days it can be changed, the order's timeline, the low
rating flagged for agents, and the cached page showing the rating at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.models import OrderEvent
from tenants.context import tenant_scope
from tenants.rls import cross_tenant
from tracking.models import DeliveryFeedback

from .page_support import make_parcel

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"


@pytest.fixture
def client(client):
    client.defaults["HTTP_USER_AGENT"] = PHONE
    return client


@pytest.fixture
def delivered(personas):
    return make_parcel(personas.tenant_a, statuses=("in_transit", "delivered"))


def feedback_of(parcel) -> DeliveryFeedback | None:
    with tenant_scope(parcel.tenant):
        return DeliveryFeedback.objects.filter(shipment=parcel.shipment).first()


def timeline(parcel) -> list[OrderEvent]:
    with tenant_scope(parcel.tenant):
        return list(OrderEvent.objects.filter(order=parcel.order,
                                              kind=OrderEvent.Kind.FEEDBACK).order_by("pk"))


def rate(client, parcel, rating, comment="", **headers):
    return client.post(f"{parcel.url}feedback/", {"rating": rating, "comment": comment},
                       **headers)


def test_a_delivered_parcels_page_asks_for_a_rating_without_script(client, delivered):
    body = client.get(delivered.url).content.decode()
    assert 'id="rate"' in body and "How was your delivery?" in body
    assert f'action="/t/{delivered.shipment.public_token}/feedback/?lang=en"' in body
    assert body.count('type="radio" name="rating"') == 5
    assert "<script" not in body and "csrfmiddlewaretoken" not in body


def test_a_parcel_on_its_way_has_no_rating_form(client, personas):
    moving = make_parcel(personas.tenant_a, statuses=("in_transit",))
    assert 'id="rate"' not in client.get(moving.url).content.decode()
    response = rate(client, moving, 5)
    assert response.status_code == 409
    assert "has not arrived yet" in response.content.decode()
    assert feedback_of(moving) is None


def test_rating_a_delivery_stores_it_and_the_page_shows_it_at_once(
        client, delivered, django_capture_on_commit_callbacks):
    client.get(delivered.url)  # the page is cached now
    with django_capture_on_commit_callbacks(execute=True):
        response = rate(client, delivered, 4, "  Quick, and the driver was friendly.  ")
    assert response.status_code == 303
    assert response["Location"] == f"{delivered.url}#rate"
    feedback = feedback_of(delivered)
    assert (feedback.rating, feedback.comment, feedback.low) == (
        4, "Quick, and the driver was friendly.", False)
    body = client.get(delivered.url).content.decode()
    assert "You rated this delivery 4 out of 5" in body
    assert "Change your rating" in body and "Quick, and the driver was friendly." in body


def test_a_low_rating_is_flagged_and_lands_on_the_orders_timeline(client, delivered):
    rate(client, delivered, 1, "Left in the rain.")
    assert feedback_of(delivered).low is True
    [event] = timeline(delivered)
    assert event.actor == "shopper"
    assert event.summary.startswith("Low rating. Delivery of ")
    assert "rated 1/5" in event.summary and "Left in the rain." in event.summary
    assert event.data == {"shipment_id": delivered.shipment.pk, "rating": 1,
                          "previous_rating": None, "comment": "Left in the rain.", "low": True}


def test_the_shopper_can_change_the_rating_and_the_change_is_recorded(client, delivered):
    rate(client, delivered, 2)
    rate(client, delivered, 5, "The shop called and sorted it out.")
    rate(client, delivered, 5, "The shop called and sorted it out.")  # the same again: no change
    feedback = feedback_of(delivered)
    assert (feedback.rating, feedback.low) == (5, False)
    first, change = timeline(delivered)
    assert "changed from 2/5 to 5/5" in change.summary and change.data["previous_rating"] == 2
    with cross_tenant("a test reads across stores"):
        assert DeliveryFeedback.objects.unscoped(reason="test: one row").count() == 1


def test_after_14_days_the_rating_is_read_only(client, delivered):
    rate(client, delivered, 3, "Fine.")
    with tenant_scope(delivered.tenant):
        DeliveryFeedback.objects.filter(shipment=delivered.shipment).update(
            created_at=timezone.now() - timedelta(days=14, minutes=1))
    response = rate(client, delivered, 5)
    assert response.status_code == 409
    assert feedback_of(delivered).rating == 3
    page = client.get(f"{delivered.url}feedback/").content.decode()
    assert "You rated this delivery 3 out of 5" in page and 'name="rating"' not in page


@pytest.mark.parametrize("rating", ["", "0", "6", "five", "3.5", "-1", "9" * 40])
def test_a_rating_that_is_not_1_to_5_is_refused_in_words(client, delivered, rating):
    response = rate(client, delivered, rating, "My words stay here.")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose from 1 to 5 stars." in body and 'role="alert"' in body
    assert "My words stay here." in body  # the shopper does not type it again
    assert feedback_of(delivered) is None


def test_a_comment_too_long_is_refused_in_words(client, delivered):
    response = rate(client, delivered, 4, "x" * 2001)
    assert response.status_code == 400
    assert "2,000 characters" in response.content.decode()
    assert feedback_of(delivered) is None


def test_script_in_a_comment_is_shown_as_text(client, delivered):
    rate(client, delivered, 2, "<script>alert(1)</script>")  # before the page was cached
    body = client.get(delivered.url).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_cross_site_post_is_refused(client, delivered):
    response = rate(client, delivered, 1, HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    response = rate(client, delivered, 1, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert feedback_of(delivered) is None
    assert rate(client, delivered, 4, HTTP_SEC_FETCH_SITE="same-origin",
                HTTP_ORIGIN="http://testserver").status_code == 303


def test_unknown_and_malformed_tokens_are_the_shoppers_404(client):
    for token in ("x" * 32, "short", "bad%20token" + "a" * 20):
        response = client.post(f"/t/{token}/feedback/", {"rating": 5})
        assert response.status_code == 404
        assert "<html" in response.content.decode().lower()


@pytest.mark.parametrize(("lang", "question", "stars"), [
    ("de", "Wie war die Zustellung?", "5 Sterne"),
    ("fr", "Comment s’est passée la livraison ?", "5 étoiles"),
    ("es", "¿Qué tal fue la entrega?", "5 estrellas"),
    ("nl", "Hoe was de bezorging?", "5 sterren"),
])
def test_the_rating_speaks_the_shoppers_language(client, delivered, lang, question, stars):
    body = client.get(f"{delivered.url}?lang={lang}").content.decode()
    assert question in body and stars in body and "1 star" not in body
    response = client.post(f"{delivered.url}feedback/?lang={lang}", {"rating": "nine"})
    assert 'lang="' + lang + '"' in response.content.decode()
    assert "Choose from 1 to 5 stars." not in response.content.decode()


def test_the_rating_page_speaks_the_requested_language(client, delivered):
    body = client.get(f"{delivered.url}feedback/?lang=de").content.decode()
    assert 'lang="de"' in body
    response = client.post(f"{delivered.url}feedback/?lang=de", {"rating": 5})
    assert response["Location"] == f"{delivered.url}?lang=de#rate"


def test_the_rating_page_carries_the_shopper_privacy_headers(client, delivered):
    response = client.get(f"{delivered.url}feedback/")
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    assert "default-src 'none'" in response["Content-Security-Policy"]

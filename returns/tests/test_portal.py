"""The shopper's returns portal through HTTP: find the order (or come from the tracking page),
pick items, see the amounts, confirm, follow the status page; bad input gets a clear page,
never a 500; another store's token or grant opens nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone
from PIL import Image

from returns.models import ReturnPhoto, ReturnRequest, ReturnStatus
from tenants.context import tenant_scope
from tracking.models import Shipment
from tracking.services.page_settings import tracking_page_settings_update

from .factories import make_order, make_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()  # rate-limit windows outlive a test's database


@pytest.fixture
def store(personas):
    tenant = personas.tenant_a
    with tenant_scope(tenant):
        tracking_page_settings_update(tenant, returns_enabled=True)
    make_policy(tenant, store_credit_bonus_percent=Decimal("10"),
                return_address={"name": "Alpha Returns", "address1": "Dock 4", "city": "Berlin"})
    order = make_order(tenant, delivered_at=timezone.now() - timedelta(days=2))
    return tenant, order


def start(client, order, contact: str = "", **extra):
    return client.post("/s/alpha/returns/", {"number": order.number,
                                             "contact": contact or order.customer.email}, **extra)


def grant_url(client, order) -> str:
    response = start(client, order)
    assert response.status_code == 303
    return response["Location"]


def photo(kind: str = "JPEG", size=(40, 30)) -> io.BytesIO:
    out = io.BytesIO()
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    image.save(out, kind, exif=exif) if kind == "JPEG" else image.save(out, kind)
    out.seek(0)
    out.name = f"damage.{kind.lower()}"
    return out


def lines_of(order) -> list[int]:
    with tenant_scope(order.tenant):
        return list(order.lines.order_by("position").values_list("pk", flat=True))


def test_a_shopper_returns_a_damaged_jacket_for_store_credit(client, store):
    tenant, order = store
    url = grant_url(client, order)
    page = client.get(url)
    assert page.status_code == 200 and "Ridge Jacket" in page.content.decode()
    jacket, socks = lines_of(order)
    confirm = client.post(url, {"step": "items", f"qty_{jacket}": "1", f"reason_{jacket}": "damaged",
                                f"qty_{socks}": "0"})
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert "141.90 EUR store credit" in body and "129.00 EUR back to your original payment" in body
    picks = re.search(r'name="picks" value="([^"]+)"', body).group(1)
    done = client.post(url, {"step": "confirm", "picks": picks, "resolution": "store_credit",
                             "method": "self_ship", f"photo_{jacket}": photo()})
    assert done.status_code == 303
    status = client.get(done["Location"])
    text = status.content.decode()
    assert "Approved" in text and "Dock 4" in text and "141.90 EUR" in text
    with tenant_scope(tenant):
        request = ReturnRequest.objects.get()
        stored = ReturnPhoto.objects.get()
        assert (request.status, request.resolution) == (ReturnStatus.APPROVED, "store_credit")
        with Image.open(stored.image.open("rb")) as image:
            assert not image.getexif()  # the camera's details are gone
    photo_url = re.search(r'<img src="([^"]+/photos/\d+/)"', text).group(1)
    served = client.get(photo_url)
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"


def test_the_tracking_pages_button_opens_the_order(client, store):
    tenant, order = store
    with tenant_scope(tenant):
        token = Shipment.objects.get(order=order).public_token
    response = client.get(f"/s/alpha/returns/?t={token}")
    assert response.status_code == 303 and "/s/alpha/returns/new/" in response["Location"]
    tracking = client.get(f"/t/{token}/").content.decode()
    assert f"/s/alpha/returns/?t={token}" in tracking


def test_a_wrong_contact_says_not_found_the_same_way_and_the_limit_holds(client, store, settings):
    _, order = store
    settings.TRACKING_LOOKUP_LIMIT_PER_NUMBER = 2
    first = start(client, order, contact="someone@else.test")
    assert first.status_code == 200 and "could not find an order" in first.content.decode()
    start(client, order, contact="10999")
    assert start(client, order).status_code == 429  # the right answer waits too


@pytest.mark.parametrize(("post", "words"), [
    ({}, "Choose at least one item"),
    ({"qty_{jacket}": "2", "reason_{jacket}": "too_small"}, "more of an item"),
    ({"qty_{jacket}": "1", "reason_{jacket}": ""}, "Choose a reason"),
    ({"qty_{jacket}": "x1", "reason_{jacket}": "too_small"}, "Choose how many"),
])
def test_bad_item_choices_get_a_clear_answer(client, store, post, words):
    _, order = store
    url = grant_url(client, order)
    jacket, _socks = lines_of(order)
    data = {"step": "items", **{k.format(jacket=jacket): v for k, v in post.items()}}
    response = client.post(url, data)
    assert response.status_code == 400 and words in response.content.decode()


@pytest.mark.parametrize(("upload", "words"), [
    (None, "Add a photo"),
    (io.BytesIO(b"%PDF-1.4 not a picture"), "Send a photo"),
])
def test_a_missing_or_non_image_photo_is_refused_and_nothing_is_written(client, store, upload,
                                                                         words):
    tenant, order = store
    url = grant_url(client, order)
    jacket, _ = lines_of(order)
    body = client.post(url, {"step": "items", f"qty_{jacket}": "1",
                             f"reason_{jacket}": "damaged"}).content.decode()
    picks = re.search(r'name="picks" value="([^"]+)"', body).group(1)
    data = {"step": "confirm", "picks": picks, "resolution": "refund", "method": "self_ship"}
    if upload is not None:
        upload.name = "photo.jpg"
        data[f"photo_{jacket}"] = upload
    response = client.post(url, data)
    assert response.status_code == 400 and words in response.content.decode()
    with tenant_scope(tenant):
        assert not ReturnRequest.objects.exists()


def test_a_30_mb_photo_is_refused_before_it_is_read(client, store):
    _, order = store
    url = grant_url(client, order)
    jacket, _ = lines_of(order)
    body = client.post(url, {"step": "items", f"qty_{jacket}": "1",
                             f"reason_{jacket}": "damaged"}).content.decode()
    picks = re.search(r'name="picks" value="([^"]+)"', body).group(1)
    big = io.BytesIO(b"\xff\xd8" + b"\0" * (30 * 1024 * 1024))
    big.name = "huge.jpg"
    response = client.post(url, {"step": "confirm", "picks": picks, "resolution": "refund",
                                 "method": "self_ship", f"photo_{jacket}": big})
    assert response.status_code == 400 and "under 10 MB" in response.content.decode()


def test_an_ineligible_item_says_why_in_the_shoppers_language(client, store):
    tenant, order = store
    make_policy(tenant, non_returnable_categories=["socks"])
    page = client.get(grant_url(client, order) + "?lang=de").content.decode()
    assert "Artikel dieser Art können nicht zurückgegeben werden." in page


def test_a_forged_or_foreign_grant_and_token_open_nothing(client, store, personas):
    tenant, order = store
    url = grant_url(client, order)
    grant = url.rstrip("/").rsplit("/", 1)[1]
    foreign = client.get(f"/s/beta/returns/new/{grant}/").content.decode()
    assert "Ridge Jacket" not in foreign and order.number not in foreign
    assert client.get(f"/s/alpha/returns/new/{grant[:-2]}xx/").status_code == 410
    jacket, _ = lines_of(order)
    body = client.post(url, {"step": "items", f"qty_{jacket}": "1",
                             f"reason_{jacket}": "too_small"}).content.decode()
    picks = re.search(r'name="picks" value="([^"]+)"', body).group(1)
    done = client.post(url, {"step": "confirm", "picks": picks, "resolution": "refund",
                             "method": "self_ship"})
    token = done["Location"].rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"/s/alpha/returns/{token}/").status_code == 200
    assert client.get(f"/s/beta/returns/{token}/").status_code == 404
    assert client.get(f"/s/alpha/returns/{token[:-2]}zz/").status_code == 404


def test_a_store_without_returns_says_so(client, personas):
    page = client.get("/s/alpha/returns/")
    assert page.status_code == 200 and "does not take returns online" in page.content.decode()


def test_the_portal_answers_on_the_stores_own_domain(client, store):
    from tenants.services import brand_update

    tenant, order = store
    with tenant_scope(tenant):
        brand_update(tenant, custom_tracking_domain="track.alpha.example")
    cache.clear()
    host = {"HTTP_HOST": "track.alpha.example"}
    assert client.get("/returns/", **host).status_code == 200
    found = client.post("/returns/", {"number": order.number, "contact": "10115"}, **host)
    assert found.status_code == 303 and found["Location"].startswith("/returns/new/")
    assert client.get(found["Location"], **host).status_code == 200
    # The cached tracking page's /s/<slug>/ link works there too, for its own store only.
    assert client.get("/s/alpha/returns/", **host).status_code == 200
    assert client.get("/s/beta/returns/", **host).status_code == 404


def test_each_page_costs_a_fixed_number_of_queries(client, store, django_assert_max_num_queries):
    _, order = store
    url = grant_url(client, order)
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
    jacket, _ = lines_of(order)
    body = client.post(url, {"step": "items", f"qty_{jacket}": "1",
                             f"reason_{jacket}": "too_small"}).content.decode()
    picks = re.search(r'name="picks" value="([^"]+)"', body).group(1)
    done = client.post(url, {"step": "confirm", "picks": picks, "resolution": "refund",
                             "method": "self_ship"})
    with django_assert_max_num_queries(9):
        assert client.get(done["Location"]).status_code == 200

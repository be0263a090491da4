"""Messaging end to end, through the public doors only (issue 4, "How we will know it works").

    POST /api/v1/products/, /orders/, /shipments/  (Alice's API key)
    POST /webhooks/easypost/alpha/                 (signed as EasyPost signs)
    POST /webhooks/twilio/alpha/inbound/           (signed as Twilio signs, against the public URL)
    the periodic jobs, as beat runs them           (messages_dispatch_all, messages_sweep_all)
        ──▶ the real SendGrid and Twilio SDKs ──▶ fake SendGrid / Twilio servers on loopback

What a shopper receives is read from what the fake servers received; nothing inside the SDKs
is patched (the crash test patches one seam of ours, `dispatch._sent`). The dispatcher's clock
(`dispatch_clock`) is the only time we control: the shopper lives in a time zone where it is
about 23:00 when the test starts, so SMS deterministically wait out the night and are released
by moving the clock to the next morning.
"""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from celery.signals import task_prerun
from django.utils import timezone
from twilio.request_validator import RequestValidator

from messaging import dispatch, tasks
from messaging.models import Message, Template
from tenants import services as tenant_services
from tenants.context import tenant_scope
from tracking.carriers.signatures import easypost_signature
from tracking.models import Shipment

BASE = "https://doorstep.example"  # PUBLIC_BASE_URL: what Twilio signs, where links point
EASYPOST_SECRET = "whsec-alpha-e2e"
TWILIO_SID = "AC" + "0f" * 16
TWILIO_TOKEN = "a1" * 16
STORE_NUMBER = "+14155550100"
BRAND = {"sender_name": "Alpha Outfitters Team", "sender_email": "hallo@alpha.test",
         "reply_to": "hilfe@alpha.test"}
PRODUCTS = [
    {"external_id": "p-zelt", "title": "Trail 2 Zelt", "price": "249.00", "currency": "EUR",
     "sku": "TENT-2", "image_url": "https://cdn.alpha.test/zelt.jpg"},
    {"external_id": "p-matte", "title": "Wolken-Isomatte", "price": "39.50", "currency": "EUR",
     "sku": "MAT-C", "image_url": "https://cdn.alpha.test/matte.jpg"},
]
# Things that go with the order (other categories); one sold out, so never recommended.
COMPLEMENTARY = [
    {"external_id": "p-kocher", "title": "Gaskocher", "price": "59.00", "currency": "EUR",
     "category": "Kochen", "url": "https://shop.alpha.test/kocher"},
    {"external_id": "p-lampe", "title": "Ausverkaufte Lampe", "price": "19.00", "currency": "EUR",
     "category": "Licht", "in_stock": False, "url": "https://shop.alpha.test/lampe"},
]
ITEM_TITLES = [p["title"] for p in PRODUCTS]
IMAGE_URLS = [p["image_url"] for p in PRODUCTS]
# German subjects of the default templates (messaging/rendering/defaults/copy/de.toml).
GERMAN_SUBJECTS = {
    "order_confirmed": "Danke für deine Bestellung {number}",
    "shipped": "Deine Bestellung {number} ist unterwegs",
    "out_for_delivery": "Heute kommt deine Bestellung {number}",
    "delivered": "Deine Bestellung {number} ist angekommen",
    "review_request": "Wie war deine Bestellung {number}?",
}
RECOMMENDATIONS_HEADING = "Das könnte dir auch gefallen"  # the German promotional block
CLICK_URL = re.compile(re.escape(BASE) + r"/m/c/[^/\"\s<>]+/")
S = Message.Status


# --- helpers ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Shopper:
    key: str
    first_name: str
    email: str
    phone: str
    zone: str
    marketing_email: bool = False
    transactional_sms: bool = True


def night_zone(now: datetime) -> str:
    """An IANA zone where it is 23:xx at `now`: inside the SMS quiet hours (21:00-08:00) for at
    least eight more hours, whatever time the suite runs."""
    east = (23 - now.hour + 12) % 24 - 12  # hours east of UTC, -12..11
    return f"Etc/GMT{-east:+d}"  # POSIX sign: Etc/GMT-2 is two hours east


def local_morning(zone: str, now: datetime, *, days: int = 1, hour: int = 8, minute: int = 5
                  ) -> datetime:
    """`hour:minute` local time `days` after `now`'s local date, as an aware datetime."""
    local = now.astimezone(ZoneInfo(zone))
    return (local + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def tracker_body(tracking_number: str, scans: list[tuple[str, datetime]], *, event_id: str) -> bytes:
    """An EasyPost `tracker.updated` Event: the tracker with every scan so far, as EasyPost
    sends it (tracking/tests/test_webhook_pipeline.py builds them the same way)."""
    return json.dumps({
        "id": event_id, "object": "Event", "description": "tracker.updated", "mode": "test",
        "result": {
            "id": f"trk_{tracking_number}", "object": "Tracker", "tracking_code": tracking_number,
            "carrier": "USPS", "status": scans[-1][0], "est_delivery_date": None,
            "tracking_details": [
                {"object": "TrackingDetail", "message": f"{status} scan", "status": status,
                 "status_detail": None, "datetime": when.isoformat().replace("+00:00", "Z"),
                 "source": "USPS",
                 "tracking_location": {"city": "BERLIN", "state": "", "country": "DE"}}
                for status, when in scans],
        },
    }).encode()


def mails_by_milestone(fake_sendgrid) -> dict[str, list[dict]]:
    """The mail-send bodies the fake SendGrid accepted, by the milestone category we set."""
    found: dict[str, list[dict]] = {}
    for mail in fake_sendgrid.mails:
        found.setdefault(mail["categories"][0], []).append(mail)
    return found


def only_mail(fake_sendgrid, milestone: str) -> dict:
    [mail] = mails_by_milestone(fake_sendgrid)[milestone]
    return mail


def content(mail: dict, kind: str) -> str:
    return next(part["value"] for part in mail["content"] if part["type"] == f"text/{kind}")


def sms_sent(fake_twilio) -> list[dict[str, str]]:
    return list(fake_twilio.sent)


def sms_message_ids(fake_twilio) -> list[int]:
    """Our message ids, read back from the status callback URL each accepted SMS carried."""
    return [int(parse_qs(urlsplit(sms["StatusCallback"]).query)["m"][0])
            for sms in fake_twilio.sent]


def mail_requests(fake_sendgrid) -> int:
    return sum(1 for r in fake_sendgrid.requests if r.path == "/v3/mail/send")


def sms_requests(fake_twilio) -> int:
    return sum(1 for r in fake_twilio.requests if r.path.endswith("/Messages.json"))


class Store:
    """Alice's store as the outside world talks to it: her ERP over the API, the carrier and
    Twilio over webhooks, beat over the periodic tasks.

    With `capture_on_commit` (django_capture_on_commit_callbacks: the test's transaction never
    commits, tasks are eager), what a request queues on commit runs when it returns; without
    it (a transactional test with a real worker) requests commit and publish for real."""

    def __init__(self, tenant, api, client, *, capture_on_commit=None, clock=None):
        self.tenant = tenant
        self.api = api
        self.client = client
        self.capture_on_commit = capture_on_commit
        self.clock = clock
        self.started = timezone.now()

    def committed(self):
        return self.capture_on_commit(execute=True) if self.capture_on_commit else nullcontext()

    # the retailer's ERP
    def place_order(self, shopper: Shopper, number: str) -> dict:
        with self.committed():
            products = self.api.post("/api/v1/products/", PRODUCTS, format="json")
            assert products.status_code in (200, 201), products.content
            response = self.api.post("/api/v1/orders/", {
                "external_id": f"ord-{shopper.key}", "number": number,
                "placed_at": (self.started - timedelta(hours=6)).isoformat(), "currency": "EUR",
                "customer": {
                    "external_id": f"cus-{shopper.key}", "email": shopper.email,
                    "phone": shopper.phone, "first_name": shopper.first_name,
                    "last_name": "Muster", "locale": "de", "timezone": shopper.zone,
                    "consents": {"transactional_sms": shopper.transactional_sms,
                                 "marketing_email": shopper.marketing_email},
                },
                "lines": [
                    {"title": p["title"], "quantity": 1, "unit_price": p["price"], "sku": p["sku"],
                     "product_external_id": p["external_id"]} for p in PRODUCTS],
                "shipping": "4.90",
                "shipping_address": {"name": f"{shopper.first_name} Muster", "city": "Berlin",
                                     "postcode": "10115", "country_code": "DE"},
            }, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    def ship(self, shopper: Shopper, tracking_number: str) -> dict:
        with self.committed():
            response = self.api.post("/api/v1/shipments/", {
                "carrier": "USPS", "tracking_number": tracking_number,
                "order_external_id": f"ord-{shopper.key}",
                "items": [{"line": 1, "quantity": 1}, {"line": 2, "quantity": 1}],
            }, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    # the carrier (EasyPost)
    def carrier_update(self, body: bytes, *, times: int = 1) -> None:
        signature = easypost_signature(body, EASYPOST_SECRET)
        for _ in range(times):
            with self.committed():
                response = self.client.generic("POST", "/webhooks/easypost/alpha/", body,
                                               content_type="application/json",
                                               HTTP_X_HMAC_SIGNATURE=signature)
            assert response.status_code == 202, response.content

    # the shopper's phone (through Twilio)
    def text(self, phone: str, body: str) -> None:
        path = "/webhooks/twilio/alpha/inbound/"
        params = {"AccountSid": TWILIO_SID, "ApiVersion": "2010-04-01", "Body": body,
                  "From": phone, "To": STORE_NUMBER, "NumMedia": "0", "NumSegments": "1",
                  "MessageSid": "SM" + "5" * 32, "SmsStatus": "received"}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(f"{BASE}{path}", params)
        with self.committed():
            response = self.client.post(path, urlencode(params), HTTP_X_TWILIO_SIGNATURE=signature,
                                        content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.content

    # beat
    def beat(self, at: datetime | None = None) -> None:
        """The periodic dispatch at `at` (default: a second from now, or the clock if it is
        ahead): due messages are claimed and sent through the eager send tasks."""
        self.clock.now = at or max(self.clock.now, timezone.now() + timedelta(seconds=1))
        with self.committed():
            tasks.messages_dispatch_all.delay()

    def sweep(self, at: datetime) -> None:
        self.clock.now = at
        with self.committed():
            tasks.messages_sweep_all.delay()

    # reading back (for assertions only)
    def messages(self, **filters) -> list[Message]:
        with tenant_scope(self.tenant):
            return list(Message.objects.filter(**filters).order_by("pk"))

    def message(self, **filters) -> Message:
        [found] = self.messages(**filters)
        return found

    def public_token(self, tracking_number: str) -> str:
        with tenant_scope(self.tenant):
            return Shipment.objects.get(tracking_number=tracking_number).public_token

    def follow(self, click_url: str) -> str:
        """Where our click redirect sends the shopper (the 302's Location)."""
        response = self.client.get(urlsplit(click_url).path)
        assert response.status_code == 302, (click_url, response.status_code)
        return response["Location"]


def alice_store_configured(tenant) -> None:
    with tenant_scope(tenant):
        tenant_services.credential_set(tenant, "easypost", {"webhook_secret": EASYPOST_SECRET})
        tenant_services.credential_set(tenant, "twilio", {
            "account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "from_number": STORE_NUMBER})
        tenant_services.brand_update(tenant, **BRAND)


def scans_from(start: datetime) -> dict[str, tuple[str, datetime]]:
    """Carrier scans a few hours before the test started (in the order they happen)."""
    return {"in_transit": ("in_transit", start - timedelta(hours=4)),
            "out_for_delivery": ("out_for_delivery", start - timedelta(hours=3)),
            "delivered": ("delivered", start - timedelta(hours=2))}


class WorkerKilled(Exception):
    """Stands for the worker dying between the provider's acceptance and our record."""


def wait_for(condition, *, timeout: float = 20.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


# --- fixtures --------------------------------------------------------------------------

@pytest.fixture
def store(personas, settings, api_client, client, django_capture_on_commit_callbacks,
          dispatch_clock, fake_sendgrid, fake_twilio, no_rate_limits) -> Store:
    settings.PUBLIC_BASE_URL = BASE
    alice_store_configured(personas.tenant_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    # The dispatcher's clock starts now: nothing planned from here on is due until beat runs.
    dispatch_clock.now = timezone.now().replace(microsecond=0)
    return Store(personas.tenant_a, api_client, client,
                 capture_on_commit=django_capture_on_commit_callbacks, clock=dispatch_clock)


@pytest.fixture
def jana(store) -> Shopper:
    """Consents to SMS about her order and to marketing e-mail; it is night where she lives."""
    return Shopper("jana", "Jana", "jana@shopper.test", "+4915112345678",
                   night_zone(store.started), marketing_email=True)


@pytest.fixture
def ben(store) -> Shopper:
    """Consents to nothing beyond transactional e-mail (the default)."""
    return Shopper("ben", "Ben", "ben@shopper.test", "+4915187654321",
                   night_zone(store.started), transactional_sms=False)


# --- the journey of one order ----------------------------------------------------------

@pytest.mark.django_db
def test_an_order_and_its_carrier_updates_reach_the_shopper_as_exactly_the_default_journey(
        store, jana, fake_sendgrid, fake_twilio):
    scans = scans_from(store.started)
    morning = local_morning(jana.zone, store.started)

    # given Jana's order and its shipment
    store.place_order(jana, "#1001")
    store.beat()
    store.ship(jana, "9400100000000000000001")
    store.beat()
    # when the carrier reports it on its way
    store.carrier_update(tracker_body("9400100000000000000001", [scans["in_transit"]],
                                      event_id="evt_1"))
    store.beat()
    # then she has the order confirmation and "shipped" (the default journey has no e-mail for
    # the in_transit milestone itself) and no SMS
    assert sorted(mails_by_milestone(fake_sendgrid)) == ["order_confirmed", "shipped"]
    assert sms_sent(fake_twilio) == []

    # when it is out for delivery, late at night in her time zone
    store.carrier_update(tracker_body("9400100000000000000001",
                                      [scans["in_transit"], scans["out_for_delivery"]],
                                      event_id="evt_2"))
    store.beat()
    # then the e-mail goes at once, and the SMS waits for the end of the quiet hours
    assert "out_for_delivery" in mails_by_milestone(fake_sendgrid)
    assert sms_sent(fake_twilio) == []
    waiting = store.message(channel="sms", milestone="out_for_delivery")
    assert waiting.status == S.SCHEDULED
    assert waiting.due_at == morning.replace(minute=0)
    store.beat(at=morning)
    assert [sms["To"] for sms in sms_sent(fake_twilio)] == [jana.phone]

    # when it is delivered (the dispatcher's clock is now ahead: it goes out in the request)
    store.carrier_update(tracker_body("9400100000000000000001", list(scans.values()),
                                      event_id="evt_3"))
    store.beat()
    # and three days later, the review request (a marketing e-mail: she consented)
    store.beat(at=local_morning(jana.zone, store.started, days=4, hour=9))

    # then the fake providers received exactly the default journey, each message once
    assert sorted((m, len(mails)) for m, mails in mails_by_milestone(fake_sendgrid).items()) == [
        ("delivered", 1), ("order_confirmed", 1), ("out_for_delivery", 1),
        ("review_request", 1), ("shipped", 1)]
    assert mail_requests(fake_sendgrid) == 5
    sms_messages = store.messages(channel="sms", status=S.SENT)
    assert [m.milestone for m in sms_messages] == ["out_for_delivery", "delivered"]
    assert sms_message_ids(fake_twilio) == [m.pk for m in sms_messages]
    assert [(sms["To"], sms["From"], sms["StatusCallback"]) for sms in sms_sent(fake_twilio)] == [
        (jana.phone, STORE_NUMBER, f"{BASE}/webhooks/twilio/alpha/status/?m={m.pk}")
        for m in sms_messages]
    assert sms_requests(fake_twilio) == 2
    assert {m.status for m in store.messages()} == {S.SENT}

    # and every e-mail is in the brand's voice, to Jana, in German, about her two items
    tracking_page = f"{BASE}/t/{store.public_token('9400100000000000000001')}/"
    for milestone, [mail] in mails_by_milestone(fake_sendgrid).items():
        message = store.message(channel="email", milestone=milestone)
        assert mail["personalizations"][0]["to"] == [{"email": jana.email}]
        assert mail["from"] == {"email": BRAND["sender_email"], "name": BRAND["sender_name"]}
        assert mail["reply_to"] == {"email": BRAND["reply_to"]}
        assert mail["custom_args"]["doorstep_message_id"] == str(message.pk)
        assert mail["subject"] == GERMAN_SUBJECTS[milestone].format(number="#1001")
        html, text = content(mail, "html"), content(mail, "plain")
        assert "Hallo Jana," in html and "Hallo Jana," in text
        assert "Dein Alpha Outfitters-Team" in text
        assert 'lang="de"' in html
        destinations = {store.follow(url) for url in set(CLICK_URL.findall(html))}
        if milestone != "order_confirmed":  # the confirmation comes before any shipment
            # (the review request opens the page at its rating: #rate)
            assert any(urlsplit(d)._replace(query="", fragment="").geturl() == tracking_page
                       for d in destinations), (milestone, destinations)
        if milestone != "review_request":  # which lists the items as links to their pages
            for title, image in zip(ITEM_TITLES, IMAGE_URLS, strict=True):
                assert title in html and title in text
                assert f'src="{image}"' in html
    # the tracking link carries our UTM parameters through the redirect
    shipped_html = content(only_mail(fake_sendgrid, "shipped"), "html")
    to_page = next(d for d in (store.follow(u) for u in CLICK_URL.findall(shipped_html))
                   if d.startswith(tracking_page))
    assert parse_qs(urlsplit(to_page).query) == {
        "src": ["email"],  # the page counts its views by source (tracking/pageviews.py)
        "utm_source": ["doorstep"], "utm_medium": ["email"], "utm_campaign": ["shipped"]}

    # and the SMS are German, name the brand and carry the tracking link (through our redirect)
    for sms in sms_sent(fake_twilio):
        assert sms["Body"].startswith("Alpha Outfitters: Deine Bestellung #1001 ")
        [link] = CLICK_URL.findall(sms["Body"])
        assert store.follow(link).startswith(tracking_page)

    # and the templates with marketing content (delivered, review request) carry RFC 8058
    # one-click unsubscribe for this consenting shopper; purely transactional mail does not
    # (the recommendations block itself: see the next test)
    for milestone, [mail] in mails_by_milestone(fake_sendgrid).items():
        headers = mail.get("headers", {})
        if milestone in ("delivered", "review_request"):
            assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert headers["List-Unsubscribe"].startswith(f"<{BASE}/u/")
            assert f"<mailto:{BRAND['reply_to']}?subject=unsubscribe>" in headers["List-Unsubscribe"]
        else:
            assert "List-Unsubscribe" not in headers, milestone


@pytest.mark.django_db
def test_a_consenting_shoppers_delivered_email_shows_recommendations(store, jana, fake_sendgrid):
    # given a catalog with things that go with a tent, Jana (marketing consent) and her order
    with store.committed():
        store.api.post("/api/v1/products/", COMPLEMENTARY, format="json")
    store.place_order(jana, "#1002")
    store.ship(jana, "9400100000000000000002")
    scans = scans_from(store.started)
    # when it is delivered
    store.carrier_update(tracker_body("9400100000000000000002",
                                      [scans["in_transit"], scans["delivered"]], event_id="evt_r"))
    store.beat()
    # then the "delivered" e-mail shows her the promotional block: in stock, complementary
    html = content(only_mail(fake_sendgrid, "delivered"), "html")
    assert RECOMMENDATIONS_HEADING in html
    assert "Gaskocher" in html and "Ausverkaufte Lampe" not in html


@pytest.mark.django_db
def test_a_shopper_without_marketing_consent_gets_no_marketing_block_and_no_list_unsubscribe(
        store, ben, fake_sendgrid, fake_twilio):
    scans = scans_from(store.started)

    # given Ben's order, shipped
    store.place_order(ben, "#2001")
    store.ship(ben, "9400100000000000000003")
    store.carrier_update(tracker_body("9400100000000000000003", [scans["in_transit"]],
                                      event_id="evt_b1"))
    store.beat()
    # when it is delivered, and beat runs then and three days later
    store.carrier_update(tracker_body("9400100000000000000003",
                                      [scans["in_transit"], scans["delivered"]], event_id="evt_b2"))
    store.beat()
    store.beat(at=local_morning(ben.zone, store.started, days=4, hour=9))

    # then he gets the transactional e-mails only, none of them with marketing
    assert sorted(mails_by_milestone(fake_sendgrid)) == ["delivered", "order_confirmed", "shipped"]
    for milestone, [mail] in mails_by_milestone(fake_sendgrid).items():
        assert "List-Unsubscribe" not in mail.get("headers", {}), milestone
        assert "List-Unsubscribe-Post" not in mail.get("headers", {}), milestone
        assert RECOMMENDATIONS_HEADING not in content(mail, "html")
        assert "Hallo Ben," in content(mail, "html")
    assert store.message(channel="email", milestone="delivered").includes_marketing is False
    # and no SMS (no consent), and no review request (it is marketing)
    assert sms_sent(fake_twilio) == []
    review = store.message(milestone="review_request")
    assert review.status == S.SUPPRESSED
    assert review.status_reason == "The shopper has not consented to marketing e-mail."
    assert {m.status_reason for m in store.messages(channel="sms")} == {
        "The shopper has not consented to transactional SMS."}


@pytest.mark.django_db
def test_the_default_upsell_email_goes_a_week_after_delivery_to_consenting_shoppers_only(
        store, jana, ben, fake_sendgrid):
    # given the store's things that go with a tent, and an upsell rule a week after delivery
    # on the default upsell template (no default journey sends it: the retailer adds the rule)
    with store.committed():
        store.api.post("/api/v1/products/", COMPLEMENTARY, format="json")
    with tenant_scope(store.tenant):
        template = Template.objects.get(key="upsell-email")
    with store.committed():
        response = store.api.post("/api/v1/journeys/", {"name": "Upsell", "rules": [
            {"name": "Upsell a week after delivery", "trigger": "upsell", "channel": "email",
             "template": template.pk, "delay_minutes": 7 * 24 * 60}]}, format="json")
    assert response.status_code == 201, response.content
    # and Jana's order (marketing consent) and Ben's (none), both delivered
    scans = scans_from(store.started)
    for shopper, number, tracking in ((jana, "#1007", "9400100000000000000007"),
                                      (ben, "#1008", "9400100000000000000008")):
        store.place_order(shopper, number)
        store.ship(shopper, tracking)
        store.carrier_update(tracker_body(tracking, [scans["in_transit"], scans["delivered"]],
                                          event_id=f"evt_{number}"))
    store.beat()
    assert "upsell" not in mails_by_milestone(fake_sendgrid)  # not before its week
    # when beat runs a week later
    store.beat(at=local_morning(jana.zone, store.started, days=8, hour=10))
    # then Jana has the upsell e-mail: German, the recommendations block with what goes with
    # her tent (in stock), one-click unsubscribe
    [mail] = mails_by_milestone(fake_sendgrid)["upsell"]
    assert mail["personalizations"][0]["to"] == [{"email": jana.email}]
    assert mail["subject"] == "Passend zu deiner Bestellung #1007"
    html = content(mail, "html")
    assert "Hallo Jana," in html and RECOMMENDATIONS_HEADING in html
    assert "Gaskocher" in html and "Ausverkaufte Lampe" not in html
    assert any(store.follow(url).startswith("https://shop.alpha.test/kocher")
               for url in CLICK_URL.findall(html))
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # and Ben's upsell is suppressed: it is marketing, and he did not consent
    # (Jana's is `clicked` now: the link above was followed)
    assert [m.status for m in store.messages(milestone="upsell", recipient=jana.email)] == [
        S.CLICKED]
    [held] = store.messages(milestone="upsell", recipient=ben.email)
    assert held.status == S.SUPPRESSED
    assert held.status_reason == "The shopper has not consented to marketing e-mail."


# --- exactly once ----------------------------------------------------------------------

@pytest.mark.django_db
def test_the_same_webhook_delivered_five_times_still_sends_each_message_once(
        store, jana, fake_sendgrid, fake_twilio):
    scans = scans_from(store.started)
    morning = local_morning(jana.zone, store.started)
    store.place_order(jana, "#1003")
    store.ship(jana, "9400100000000000000004")
    updates = [
        tracker_body("9400100000000000000004", [scans["in_transit"]], event_id="evt_a"),
        tracker_body("9400100000000000000004", [scans["in_transit"], scans["out_for_delivery"]],
                     event_id="evt_b"),
        tracker_body("9400100000000000000004", list(scans.values()), event_id="evt_c"),
    ]

    # when EasyPost delivers every update five times, with beat running in between, and the
    # night passing after "out for delivery"
    for number, body in enumerate(updates):
        for _ in range(5):
            store.carrier_update(body)
            store.beat(at=morning if number >= 1 else None)

    # then each message went to the providers once
    assert sorted(mails_by_milestone(fake_sendgrid)) == [
        "delivered", "order_confirmed", "out_for_delivery", "shipped"]
    assert mail_requests(fake_sendgrid) == 4
    assert sms_requests(fake_twilio) == 2
    assert sorted(store.message(pk=pk).milestone for pk in sms_message_ids(fake_twilio)) == [
        "delivered", "out_for_delivery"]
    # and the journey planned each message once, too
    assert len(store.messages()) == len({(m.channel, m.milestone) for m in store.messages()})


@pytest.mark.django_db
def test_a_worker_killed_mid_send_leaves_the_message_uncertain_and_never_sends_it_again(
        store, jana, fake_sendgrid, monkeypatch, api_client):
    # given the worker dies right after SendGrid accepted the order confirmation, before
    # `sent` is recorded (the one seam patched: our own recording function)
    def killed(*args, **kwargs):
        raise WorkerKilled("SIGKILL")

    store.place_order(jana, "#1004")
    with monkeypatch.context() as patched:
        patched.setattr(dispatch, "_sent", killed)
        store.beat()
    assert mail_requests(fake_sendgrid) == 1  # the provider has it
    crashed = store.message(milestone="order_confirmed")
    assert crashed.status == S.SENDING

    # when the sweep runs before the timeout, nothing is decided yet
    store.sweep(at=store.clock.now + dispatch.sending_stuck_after() - timedelta(seconds=1))
    assert store.message(pk=crashed.pk).status == S.SENDING
    # when it runs after the timeout, the message is uncertain, visibly and with the reason
    store.sweep(at=store.clock.now + timedelta(seconds=2))
    uncertain = store.message(pk=crashed.pk)
    assert uncertain.status == S.UNCERTAIN
    assert uncertain.status_reason == dispatch.UNCERTAIN_REASON
    listed = api_client.get("/api/v1/messages/", {"status": "uncertain"}).json()
    assert [m["id"] for m in listed["results"]] == [crashed.pk]

    # then neither beat nor a redelivered send task (acks_late) sends it again
    store.beat(at=store.clock.now + timedelta(hours=1))
    with store.committed():
        tasks.messages_send_batch.delay(store.tenant.pk, [crashed.pk])
    store.sweep(at=store.clock.now + timedelta(hours=1))
    assert mail_requests(fake_sendgrid) == 1
    assert store.message(pk=crashed.pk).status == S.UNCERTAIN


# --- opt-out -----------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_stop_from_the_shoppers_phone_stops_the_next_sms(store, jana, fake_sendgrid, fake_twilio):
    scans = scans_from(store.started)
    store.place_order(jana, "#1005")
    store.ship(jana, "9400100000000000000005")
    # given the "out for delivery" SMS is waiting for the morning
    store.carrier_update(tracker_body("9400100000000000000005",
                                      [scans["in_transit"], scans["out_for_delivery"]],
                                      event_id="evt_s1"))
    store.beat()
    assert store.message(channel="sms", milestone="out_for_delivery").status == S.SCHEDULED

    # when Jana texts STOP
    store.text(jana.phone, "Stop")

    # then the waiting SMS is suppressed with the reason when its time comes
    store.beat(at=local_morning(jana.zone, store.started))
    stopped = store.message(channel="sms", milestone="out_for_delivery")
    assert (stopped.status, stopped.status_reason) == (
        S.SUPPRESSED, f"{jana.phone} is on the suppression list (replied stop).")
    # and so is the next one, planned after the STOP, while her e-mails keep going
    store.carrier_update(tracker_body("9400100000000000000005", list(scans.values()),
                                      event_id="evt_s2"))
    store.beat()
    later = store.message(channel="sms", milestone="delivered")
    assert (later.status, later.status_reason) == (
        S.SUPPRESSED, "The shopper has not consented to transactional SMS.")
    assert sms_sent(fake_twilio) == [] and sms_requests(fake_twilio) == 0
    assert "delivered" in mails_by_milestone(fake_sendgrid)


# --- a real worker ---------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_a_real_worker_processes_a_signed_webhook_and_sendgrid_receives_the_email_once(
        personas, settings, api_client, client, fake_sendgrid, fake_twilio, no_rate_limits, real_worker):
    ran: list[tuple[str, str]] = []  # (task, thread) of every task the worker runs

    def record(sender=None, task=None, **kwargs):
        ran.append((task.name, threading.current_thread().name))

    # given Alice's store (real clock, real broker: every task below runs in the worker)
    settings.PUBLIC_BASE_URL = BASE
    alice_store_configured(personas.tenant_a)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {personas.alice_key}")
    store = Store(personas.tenant_a, api_client, client)
    wim = Shopper("wim", "Wim", "wim@shopper.test", "+4915111111111", "Europe/Berlin",
                  transactional_sms=False)
    task_prerun.connect(record, weak=False)
    try:
        store.place_order(wim, "#3001")
        wait_for(lambda: "order_confirmed" in mails_by_milestone(fake_sendgrid),
                 what="the order confirmation")
        store.ship(wim, "9400100000000000000006")

        # when EasyPost's signed update arrives (three times, as a retrying sender would)
        body = tracker_body("9400100000000000000006", [scans_from(store.started)["in_transit"]],
                            event_id="evt_w")
        store.carrier_update(body, times=3)

        # then the worker ingests it, plans and sends "shipped", once
        wait_for(lambda: "shipped" in mails_by_milestone(fake_sendgrid), what="the shipped e-mail")
        time.sleep(1.0)  # room for a duplicate to show up
    finally:
        task_prerun.disconnect(record)
    assert sorted(mails_by_milestone(fake_sendgrid)) == ["order_confirmed", "shipped"]
    assert mail_requests(fake_sendgrid) == 2
    shipped = only_mail(fake_sendgrid, "shipped")
    assert shipped["subject"] == "Deine Bestellung #3001 ist unterwegs"
    assert shipped["personalizations"][0]["to"] == [{"email": wim.email}]
    assert store.message(channel="email", milestone="shipped").status == S.SENT
    # and it was the worker's thread that ran the pipeline, not this one
    main = threading.current_thread().name
    in_worker = {name for name, thread in ran if thread != main}
    assert {"tracking.tasks.inbound_drain", "messaging.tasks.messages_dispatch_due",
            "messaging.tasks.messages_send_batch"} <= in_worker
    assert all(thread != main for _, thread in ran)


@pytest.mark.django_db
def test_an_order_after_a_click_on_a_recommended_product_is_attributed_to_its_email(
        store, jana, fake_sendgrid):
    from recommendations.attribution import attribution_summary

    # given Jana's "delivered" e-mail recommending the stove
    with store.committed():
        store.api.post("/api/v1/products/", COMPLEMENTARY, format="json")
    store.place_order(jana, "#1004")
    store.ship(jana, "9400100000000000000004")
    scans = scans_from(store.started)
    store.carrier_update(tracker_body("9400100000000000000004",
                                      [scans["in_transit"], scans["delivered"]], event_id="evt_a"))
    store.beat()
    html = content(only_mail(fake_sendgrid, "delivered"), "html")
    # when she clicks the stove in it
    stove = next(url for url in CLICK_URL.findall(html)
                 if store.follow(url).startswith("https://shop.alpha.test/kocher"))
    assert stove
    clicked = timezone.now()

    def buy(number: str, placed_at: datetime, quantity: int) -> Decimal:
        with store.committed():
            response = store.api.post("/api/v1/orders/", {
                "external_id": f"ord-{number}", "number": number, "currency": "EUR",
                "placed_at": placed_at.isoformat(),
                "customer": {"external_id": f"cus-{jana.key}", "email": jana.email},
                "lines": [{"title": "Gaskocher", "quantity": quantity, "unit_price": "59.00",
                           "product_external_id": "p-kocher"},
                          {"title": "Trail 2 Zelt", "quantity": 1, "unit_price": "249.00",
                           "product_external_id": "p-zelt"}],
                "shipping": "4.90"}, format="json")
        assert response.status_code == 201, response.content
        return Decimal(response.json()["total"])

    # and orders two stoves (and a tent) two days later, and one more stove after the window
    total = buy("#1005", clicked + timedelta(days=2), 2)
    buy("#1006", clicked + timedelta(days=8), 1)
    # then the first order is attributed to the delivered e-mail: its whole total, and the
    # stoves' 118.00 apart; the second is not
    with tenant_scope(store.tenant):
        summary = attribution_summary(store.tenant, clicked - timedelta(days=1),
                                      clicked + timedelta(days=30))
    [placement] = summary.placements
    assert (placement.surface, placement.milestone, placement.clicks, placement.orders) == (
        "email", "delivered", 1, 1)
    assert placement.recommended_revenue == Decimal("118.00")
    assert placement.revenue == total > placement.recommended_revenue
    [stove_figures] = summary.products
    assert (stove_figures.clicks, stove_figures.orders,
            stove_figures.recommended_revenue) == (1, 1, Decimal("118.00"))

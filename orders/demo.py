"""The demo tenant: "Acme Outdoor", an outdoor-gear shop with a catalog, shoppers and orders.

    seed_demo()
        ├─ demo user demo@acme.test (verified), tenant `acme` with its owner, brand colours,
        │  an agent and a viewer (demo_logins.py)
        ├─ ~55 products in seven categories, with how-to / guide / video links, titled in
        │  en, de, fr, es (demo_translations.py), pictured by static/demo/products/
        ├─ ~200 customers across six countries, E.164 phones, a mix of consents
        └─ ~300 orders over the last 90 days: every financial × fulfillment status pair
           at least once, the rest as a real shop's would be for their age; baskets as an
           outdoor shop's (a tent with a stove and a sleeping bag, a jacket with gloves and a
           hat), so the recommender learns what goes with what

Deterministic (every random choice comes from a seeded generator, one per section, so a
change to one section does not reshuffle the others) and idempotent (rows are named by
external id and created only when missing): a second run changes nothing.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from tenants import services as tenant_services
from tenants.context import tenant_scope
from tenants.models import Membership, Tenant
from tenants.permissions import Role

from . import services
from .demo_logins import DEMO_EMAIL, DEMO_PASSWORD, demo_team_ensure, demo_user_ensure
from .demo_translations import product_translations
from .models import ConsentSource, Customer, LineItem, Order, Product
from .selectors import product_demo_picture

SEED = "doorstep-demo-1"
TENANT_SLUG = "acme"
TENANT_NAME = "Acme Outdoor"
CURRENCY = "EUR"
SHOP = "https://acme-outdoor.example"
CUSTOMER_COUNT = 200
ORDER_COUNT = 300
FIRST_ORDER_NUMBER = 1001
ORDER_WINDOW_DAYS = 90

BRAND = {
    "primary_color": "#2F5D50",  # forest green
    "accent_color": "#E07A2F",  # trail-marker orange
    "font": "helvetica",
    "sender_name": TENANT_NAME,
    "sender_email": "hello@acme-outdoor.example",
    "reply_to": "support@acme-outdoor.example",
    "sms_sender": "AcmeOutdoor",
    "footer_text": "Acme Outdoor · Bergstraße 12 · 80331 München · Gear for every trail.",
    "social_links": {"instagram": "https://www.instagram.com/acmeoutdoor",
                     "youtube": "https://www.youtube.com/@acmeoutdoor"},
}

# category → (SKU prefix, [(title, price, tags)])
CATALOG: dict[str, tuple[str, list[tuple[str, str, list[str]]]]] = {
    "Tents": ("TNT", [
        ("Ridgeline 2 Backpacking Tent", "289.00", ["2-person", "3-season"]),
        ("Ridgeline 3 Backpacking Tent", "349.00", ["3-person", "3-season"]),
        ("Basecamp 4 Family Tent", "459.00", ["4-person", "family"]),
        ("Summit UL 1 Tent", "399.00", ["1-person", "ultralight"]),
        ("Trailhead 2 Tent", "179.00", ["2-person", "budget"]),
        ("Tarp Shelter 3x3", "89.00", ["tarp", "ultralight"]),
        ("Ridgeline 2 Footprint", "39.00", ["footprint", "accessory"]),
    ]),
    "Backpacks": ("BPK", [
        ("Trailblazer 45 Backpack", "179.00", ["trekking", "45l"]),
        ("Trailblazer 65 Backpack", "229.00", ["trekking", "65l"]),
        ("Daytripper 22 Daypack", "89.00", ["daypack", "22l"]),
        ("Summit 30 Alpine Pack", "149.00", ["alpine", "30l"]),
        ("Hydro 12 Running Vest", "99.00", ["running", "hydration"]),
        ("Kids Explorer 15 Pack", "49.00", ["kids", "15l"]),
        ("Pack Rain Cover M", "19.00", ["rain", "accessory"]),
        ("Travel Duffel 60L", "119.00", ["travel", "duffel"]),
    ]),
    "Sleeping": ("SLP", [
        ("Alpine Down Sleeping Bag -5°C", "329.00", ["down", "3-season"]),
        ("Summer Synthetic Sleeping Bag +10°C", "89.00", ["synthetic", "summer"]),
        ("Self-inflating Mat 3.8", "79.00", ["mat", "comfort"]),
        ("Ultralight Air Mat", "129.00", ["mat", "ultralight"]),
        ("Inflatable Pillow", "29.00", ["pillow"]),
        ("Silk Sleeping Bag Liner", "49.00", ["liner"]),
    ]),
    "Jackets": ("JKT", [
        ("Storm Shell Jacket Men's", "249.00", ["waterproof", "men"]),
        ("Storm Shell Jacket Women's", "249.00", ["waterproof", "women"]),
        ("Featherlite Down Jacket", "199.00", ["down", "insulation"]),
        ("Fleece Midlayer Half-Zip", "79.00", ["fleece", "midlayer"]),
        ("Softshell Trail Jacket", "139.00", ["softshell"]),
        ("Insulated Winter Parka", "289.00", ["winter", "insulation"]),
        ("Packable Wind Jacket", "89.00", ["wind", "running"]),
        ("Waterproof Rain Pants", "99.00", ["waterproof", "pants"]),
    ]),
    "Footwear": ("FTW", [
        ("Ridge Mid GTX Hiking Boot", "189.00", ["boot", "waterproof"]),
        ("Trail Runner 4", "139.00", ["trail-running"]),
        ("Approach Shoe Grip", "149.00", ["approach", "climbing"]),
        ("Insulated Winter Boot", "199.00", ["winter", "boot"]),
        ("Camp Sandal", "59.00", ["sandal", "camp"]),
        ("Merino Hiking Socks (2 pack)", "29.00", ["socks", "merino"]),
        ("Trail Gaiters", "45.00", ["gaiters"]),
    ]),
    "Cooking": ("CKG", [
        ("Titan Gas Stove", "69.00", ["stove", "gas"]),
        ("Stove Gas Cartridge 230 g", "6.95", ["fuel", "consumable"]),
        ("Titanium Pot Set", "89.00", ["cookware", "titanium"]),
        ("Camp Kettle 1 L", "39.00", ["cookware"]),
        ("Titanium Spork", "12.95", ["cutlery", "titanium"]),
        ("Squeeze Water Filter", "49.00", ["water", "filter"]),
        ("Insulated Bottle 750 ml", "34.95", ["bottle"]),
        ("Trail Meals Variety Pack (6)", "54.00", ["food", "consumable"]),
    ]),
    "Accessories": ("ACC", [
        ("Headlamp 400", "49.00", ["light"]),
        ("Carbon Trekking Poles", "129.00", ["poles", "carbon"]),
        ("Trail Multitool", "79.00", ["tool"]),
        ("Trek First Aid Kit", "35.00", ["safety"]),
        ("Dry Bag Set (3)", "39.00", ["waterproof", "storage"]),
        ("Solar Power Bank", "69.00", ["power", "electronics"]),
        ("Baseplate Compass", "29.00", ["navigation"]),
        ("Sun Hat", "35.00", ["hat", "summer"]),
        ("Softshell Trail Gloves", "39.00", ["gloves", "winter"]),
        ("Merino Neck Gaiter", "24.00", ["neck", "merino"]),
        ("Merino Beanie", "29.00", ["hat", "merino", "winter"]),
    ]),
}

# Help content shown after a purchase, per category: (kind, title).
HELP_LINKS: dict[str, list[tuple[str, str]]] = {
    "Tents": [("video", "How to pitch your tent"), ("guide", "Tent care and storage")],
    "Backpacks": [("how_to", "Fitting your backpack"), ("video", "Packing for a multi-day hike")],
    "Sleeping": [("guide", "Washing and storing down"), ("how_to", "Choosing a temperature rating")],
    "Jackets": [("how_to", "Re-proofing your waterproof"), ("guide", "Layering for the mountains")],
    "Footwear": [("guide", "Breaking in your boots"), ("video", "Lacing techniques for steep trails")],
    "Cooking": [("how_to", "Using your stove safely"), ("video", "Trail recipes in one pot")],
    "Accessories": [("guide", "What to pack: the ten essentials")],
}

# What shoppers add to a tent or a jacket, product by product, and how often (each drawn on its
# own, the first when none was): a tent comes with a stove and a sleeping bag, a jacket with
# gloves and a hat. The
# recommender learns these back from the orders (orders/tests/test_demo_seed.py).
COMPANIONS: dict[str, list[tuple[str, float]]] = {
    "Tents": [("Titan Gas Stove", 0.6), ("Alpine Down Sleeping Bag -5°C", 0.4),
              ("Summer Synthetic Sleeping Bag +10°C", 0.3), ("Ultralight Air Mat", 0.2)],
    "Jackets": [("Softshell Trail Gloves", 0.6), ("Merino Beanie", 0.5), ("Sun Hat", 0.2)],
}

# What shoppers add to an anchor product of a category: complementary, not "another jacket".
COMPLEMENTS = {
    "Tents": ["Sleeping", "Accessories", "Cooking"],
    "Backpacks": ["Accessories", "Jackets", "Cooking"],
    "Sleeping": ["Tents", "Accessories"],
    "Jackets": ["Footwear", "Accessories", "Backpacks"],
    "Footwear": ["Accessories", "Jackets"],
    "Cooking": ["Cooking", "Accessories"],
    "Accessories": ["Backpacks", "Cooking"],
}

@dataclass(frozen=True)
class Country:
    locale: str
    vat: str  # prices include it; 0 for exports outside the EU
    phone: Callable[[random.Random], str]  # an E.164 number in a range kept for fiction
    zones: list[str]
    first_names: list[str]
    last_names: list[str]
    cities: list[tuple[str, str]]  # (city, postcode)
    streets: list[str]


COUNTRIES = {
    "DE": Country("de", "0.19", lambda r: f"+49{r.choice(['151', '160', '176'])}{r.randrange(10**7, 10**8)}",
                  ["Europe/Berlin"], ["Lena", "Jonas", "Mia", "Felix", "Hannah", "Lukas", "Sophie", "Paul"],
                  ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Wagner", "Hoffmann"],
                  [("München", "80331"), ("Berlin", "10115"), ("Hamburg", "20095"), ("Freiburg", "79098")],
                  ["Lindenweg", "Hauptstraße", "Bergstraße", "Am Wald"]),
    "AT": Country("de", "0.20", lambda r: f"+43664{r.randrange(10**6, 10**7)}",
                  ["Europe/Vienna"], ["Anna", "Maximilian", "Laura", "Tobias"],
                  ["Gruber", "Huber", "Bauer", "Steiner"], [("Wien", "1010"), ("Innsbruck", "6020")],
                  ["Alpenstraße", "Dorfgasse"]),
    "FR": Country("fr", "0.20", lambda r: f"+3363998{r.randrange(1000, 10000)}",
                  ["Europe/Paris"], ["Camille", "Louis", "Chloé", "Hugo", "Léa", "Arthur"],
                  ["Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Lefèvre"],
                  [("Lyon", "69001"), ("Grenoble", "38000"), ("Paris", "75004")],
                  ["Rue des Alpes", "Avenue Jean Jaurès", "Rue de la Paix"]),
    "ES": Country("es", "0.21", lambda r: f"+346{r.randrange(10**7, 10**8)}",
                  ["Europe/Madrid"], ["Lucía", "Mateo", "Martina", "Pablo", "Sofía"],
                  ["García", "Fernández", "López", "Martínez", "Sánchez"],
                  [("Madrid", "28013"), ("Barcelona", "08002"), ("Granada", "18009")],
                  ["Calle Mayor", "Calle de Alcalá", "Avenida de la Sierra"]),
    "GB": Country("en", "0", lambda r: f"+447700900{r.randrange(100, 1000)}",  # Ofcom's drama range
                  ["Europe/London"], ["Oliver", "Amelia", "George", "Isla", "Harry", "Grace"],
                  ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans"],
                  [("Manchester", "M1 1AE"), ("Edinburgh", "EH1 1YZ"), ("Bristol", "BS1 4DJ")],
                  ["High Street", "Station Road", "Church Lane"]),
    # 555-0100 to 555-0199 are reserved for fiction in every North American area code.
    "US": Country("en", "0", lambda r: f"+1{r.choice(['303', '206', '415'])}55501{r.randrange(10, 100)}",
                  ["America/Denver", "America/Los_Angeles", "America/New_York"],
                  ["Emma", "Liam", "Olivia", "Noah", "Ava", "Ethan"],
                  ["Johnson", "Miller", "Davis", "Garcia", "Rodriguez", "Anderson"],
                  [("Denver", "80202"), ("Seattle", "98101"), ("Burlington", "05401")],
                  ["Pine Ridge Road", "Main Street", "Canyon Drive"]),
}
COUNTRY_WEIGHTS = {"DE": 40, "AT": 8, "FR": 14, "ES": 10, "GB": 13, "US": 15}
ZONE_COUNTRY = {zone: code for code, country in COUNTRIES.items() for zone in country.zones}
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]

FS, FF = Order.FinancialStatus, Order.FulfillmentStatus


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values())


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _ensure_account() -> tuple[Tenant, AbstractBaseUser, bool, bool]:
    """The demo owner (verified, known password) and the tenant it owns (made, with its
    owner's membership, by `tenant_create`)."""
    user, user_changed = demo_user_ensure(DEMO_EMAIL, DEMO_PASSWORD, first_name="Dana",
                                          last_name="Demo")
    tenant = Tenant.objects.filter(slug=TENANT_SLUG).first()
    tenant_made = tenant is None
    if tenant is None:
        tenant = tenant_services.tenant_create(name=TENANT_NAME, owner=user, slug=TENANT_SLUG,
                                               timezone_name="Europe/Berlin")
    return tenant, user, user_changed, tenant_made


def _ensure_brand(tenant: Tenant) -> bool:
    brand = tenant_services.brand_get(tenant)
    stale = {k: v for k, v in BRAND.items() if getattr(brand, k) != v}
    if stale:
        tenant_services.brand_update(tenant, **stale)
    return bool(stale)


def build_products() -> list[Product]:
    products, number = [], 1
    for category, (prefix, items) in CATALOG.items():
        for index, (title, price, tags) in enumerate(items, start=1):
            slug = slugify(_ascii(title))
            sku = f"{prefix}-{index:03d}"
            links = [{"kind": kind, "title": text, "url": f"{SHOP}/help/{slugify(text)}"}
                     for kind, text in HELP_LINKS[category]]
            products.append(Product(
                external_id=f"acme-p-{number:04d}", sku=sku, title=title, category=category,
                tags=[category.lower(), *tags], url=f"{SHOP}/products/{slug}",
                image_url=product_demo_picture(category), price=Decimal(price),
                currency=CURRENCY, in_stock=(number % 9 != 0), content_links=links,
                translations=product_translations(title, links),
            ))
            number += 1
    return products


def build_customers(now: datetime) -> list[Customer]:
    rng = random.Random(f"{SEED}:customers")
    countries = list(COUNTRY_WEIGHTS)
    customers = []
    for n in range(1, CUSTOMER_COUNT + 1):
        code = rng.choices(countries, weights=list(COUNTRY_WEIGHTS.values()))[0]
        country = COUNTRIES[code]
        first, last = rng.choice(country.first_names), rng.choice(country.last_names)
        has_phone = rng.random() < 0.75
        since = now - timedelta(days=rng.randint(ORDER_WINDOW_DAYS, 700), minutes=rng.randint(0, 1440))
        # A realistic mix: nearly everyone gets order e-mail, about half of those with a phone
        # agreed to SMS updates at checkout, fewer to marketing on either channel.
        tx_email = rng.random() > 0.03
        tx_sms = has_phone and rng.random() < 0.55
        mk_email = rng.random() < 0.4
        mk_sms = has_phone and rng.random() < 0.15
        customers.append(Customer(
            external_id=f"acme-c-{n:04d}",
            email=f"{_ascii(first)}.{_ascii(last)}{n}@{rng.choice(EMAIL_DOMAINS)}",
            phone=country.phone(rng) if has_phone else "", first_name=first, last_name=last,
            locale=country.locale, timezone=rng.choice(country.zones),
            transactional_email_consent=tx_email, transactional_email_consent_at=since,
            transactional_email_consent_source=(ConsentSource.CHECKOUT if tx_email
                                                else ConsentSource.PREFERENCE_PAGE),
            transactional_sms_consent=tx_sms, transactional_sms_consent_at=since if tx_sms else None,
            transactional_sms_consent_source=ConsentSource.CHECKOUT if tx_sms else "",
            marketing_email_consent=mk_email, marketing_email_consent_at=since if mk_email else None,
            marketing_email_consent_source=(rng.choice([ConsentSource.CHECKOUT, ConsentSource.ACCOUNT])
                                            if mk_email else ""),
            marketing_sms_consent=mk_sms, marketing_sms_consent_at=since if mk_sms else None,
            marketing_sms_consent_source=ConsentSource.SMS_KEYWORD if mk_sms else "",
        ))
    return customers


def _status_for_age(rng: random.Random, age_days: float) -> tuple[str, str]:
    """What a real shop's order of this age usually looks like."""
    if age_days < 1:
        return rng.choice([(FS.PAID, FF.UNFULFILLED), (FS.AUTHORIZED, FF.UNFULFILLED),
                           (FS.PENDING, FF.UNFULFILLED)])
    if age_days < 4:
        # Fulfilled twice in the list: most orders ship within a few days.
        return rng.choice([(FS.PAID, FF.FULFILLED), (FS.PAID, FF.PARTIALLY_FULFILLED),
                           (FS.PAID, FF.UNFULFILLED), (FS.PAID, FF.FULFILLED)])
    roll = rng.random()
    if roll < 0.08:
        return FS.REFUNDED, FF.RETURNED
    if roll < 0.13:
        return FS.PARTIALLY_REFUNDED, FF.PARTIALLY_RETURNED
    if roll < 0.16:
        return rng.choice([(FS.VOIDED, FF.CANCELLED), (FS.REFUNDED, FF.CANCELLED)])
    return FS.PAID, FF.FULFILLED


def build_orders(now: datetime, customers: list[Customer],
                 products: list[Product]) -> list[tuple[Order, list[LineItem]]]:
    rng = random.Random(f"{SEED}:orders")
    by_category: dict[str, list[Product]] = {}
    for product in products:
        by_category.setdefault(product.category, []).append(product)
    by_title = {product.title: product for product in products}
    # A few loyal shoppers buy again and again; most buy once or twice.
    loyalty = [min(rng.paretovariate(2.0), 8.0) for _ in customers]
    ages = sorted((rng.uniform(0, ORDER_WINDOW_DAYS) for _ in range(ORDER_COUNT)), reverse=True)
    orders = []
    for index, age in enumerate(ages):
        number = FIRST_ORDER_NUMBER + index
        customer = rng.choices(customers, weights=loyalty)[0]
        anchor = rng.choice(products)
        picked = [anchor]
        for _ in range(rng.choice([0, 0, 0, 1] if anchor.category in COMPANIONS
                                  else [0, 0, 1, 1, 2, 3])):
            extra = rng.choice(by_category[rng.choice(COMPLEMENTS[anchor.category])])
            if extra not in picked:
                picked.append(extra)
        # A tent or a jacket in the basket, anchor or not, brings its usual companions.
        for item in list(picked):
            companions = COMPANIONS.get(item.category, [])
            chosen = [title for title, chance in companions if rng.random() < chance]
            if companions and not chosen:  # never a tent alone: its usual companion at least
                chosen = [companions[0][0]]
            picked.extend(by_title[t] for t in chosen if by_title[t] not in picked)
        lines = [LineItem(product=p, sku=p.sku, title=p.title, unit_price=p.price,
                          quantity=2 if p.price < 40 and rng.random() < 0.4 else 1)
                 for p in picked]
        subtotal = sum((line.line_total for line in lines), Decimal("0"))
        shipping = Decimal("0") if subtotal >= 100 else Decimal("4.95")
        code = ZONE_COUNTRY[customer.timezone]
        country = COUNTRIES[code]
        city, postcode = rng.choice(country.cities)
        vat = Decimal(country.vat)
        placed_at = now - timedelta(seconds=int(age * 86400))
        financial, fulfillment = _status_for_age(rng, age)
        orders.append((Order(
            external_id=f"acme-o-{number}", number=f"#{number}", customer=customer,
            placed_at=placed_at, currency=CURRENCY, subtotal=subtotal, shipping=shipping,
            # Prices include VAT, so tax is the part of the total that is VAT (0 for exports).
            tax=((subtotal + shipping) * vat / (1 + vat)).quantize(Decimal("0.01")),
            total=subtotal + shipping, source=Order.Source.DEMO,
            financial_status=financial, fulfillment_status=fulfillment,
            promised_delivery_date=(placed_at + timedelta(days=rng.choice([3, 4, 5, 7]))).date(),
            shipping_address={
                "name": customer.full_name,
                "address1": f"{rng.choice(country.streets)} {rng.randint(1, 120)}",
                "address2": "", "city": city, "postcode": postcode, "province": "",
                "country_code": code, "phone": customer.phone,
            },
        ), lines))
    # Every financial × fulfillment pair appears at least once, so every badge, filter and
    # journey branch has something to show; the other orders keep their realistic status.
    pairs = list(itertools.product(FS.values, FF.values))
    for (order, _), (financial, fulfillment) in zip(rng.sample(orders, len(pairs)), pairs,
                                                    strict=True):
        order.financial_status, order.fulfillment_status = financial, fulfillment
    return orders


def seed_demo(now: datetime | None = None) -> tuple[Tenant, SeedResult]:
    """Create whatever of the demo is missing; returns the tenant and what was created."""
    now = (now or timezone.now()).replace(microsecond=0)
    result = SeedResult()
    with transaction.atomic():
        tenant, user, user_changed, tenant_made = _ensure_account()
        with tenant_scope(tenant):  # the seeder is an operator's edge: the demo store's scope
            _, owner_made = Membership.objects.get_or_create(user=user,
                                                             defaults={"role": Role.OWNER})
            result.created["tenant"] = int(tenant_made)
            result.created["user"] = int(user_changed or owner_made)
            result.created["team"] = int(demo_team_ensure(tenant))
            result.created["brand"] = int(_ensure_brand(tenant))
            products = services.product_create_many(tenant, build_products())
            customers = services.customer_create_many(tenant, build_customers(now))
            # Orders name the saved rows (with primary keys), in the order they were built.
            saved_customers = list(customers.by_external_id.values())
            saved_products = list(products.by_external_id.values())
            orders = services.order_create_many(tenant, build_orders(now, saved_customers,
                                                                     saved_products))
            result.created.update(products=products.created, customers=customers.created,
                                  orders=orders.created)
    return tenant, result

"""Settings → Returns: the retailer edits the return policy. Saving writes a new version and an
audit entry; a problem is a readable message beside its field (or its rule), never a 500; only
those who may change settings can save."""

from __future__ import annotations

import pytest

from returns.models import ReturnPolicy
from tenants.context import tenant_scope
from tenants.models import AuditEntry

from .factories import make_order, make_policy, make_request

pytestmark = pytest.mark.django_db
URL = "/settings/returns/"


def form_data(**overrides) -> dict:
    """The editor as a retailer fills it in: everything, two rule rows (one left empty)."""
    data = {
        "window_days": "30", "category_window_days": "Socks = 14",
        "non_returnable_categories": "", "non_returnable_tags": "consumable",
        "final_sale_tags": "final-sale, outlet", "gift_returns_allowed": "on",
        "review_above_order_value": "", "reasons": ["too_small", "too_large", "damaged"],
        "default_resolutions": ["refund", "store_credit"], "store_credit_bonus_percent": "10",
        "return_shipping_fee": "4.95", "restocking_percent": "0",
        "fees_waived_for": ["store_credit"], "fraud_max_returns_90d": "5",
        "fraud_review_above_value": "", "refund_due_business_days": "5",
        "address_name": "Alpha Returns", "address_address1": "Hafenstr. 1",
        "address_address2": "", "address_city": "Hamburg", "address_postcode": "20457",
        "address_country_code": "DE", "label_carriers": "DHL, UPS",
        "rules-TOTAL_FORMS": "2", "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0", "rules-MAX_NUM_FORMS": "50",
        "rules-0-reasons": ["damaged"], "rules-0-categories": "", "rules-0-max_unit_price": "15",
        "rules-0-resolutions": ["keep_it", "refund"],
        "rules-1-categories": "", "rules-1-max_unit_price": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def versions(tenant) -> list[int]:
    with tenant_scope(tenant):
        return list(ReturnPolicy.objects.order_by("version").values_list("version", flat=True))


def test_saving_the_policy_writes_a_new_version_and_an_audit_entry(client, personas):
    tenant = personas.tenant_a
    make_order(tenant)  # the catalog: Jackets, Socks
    first = make_policy(tenant, window_days=45)
    request = make_request(tenant, make_order(tenant))
    client.force_login(personas.alice)
    page = client.get(URL).content.decode()
    assert 'value="45"' in page and "Version 1" in page
    response = client.post(URL, form_data(), follow=True)
    assert "Return policy saved as version 2" in response.content.decode()
    with tenant_scope(tenant):
        policy = ReturnPolicy.objects.get(version=2)
        rules = list(policy.rules.values_list("reasons", "resolutions", "max_unit_price"))
        entry = AuditEntry.objects.filter(action="return_policy.changed").latest("pk")
        request.refresh_from_db()
    assert (policy.window_days, policy.category_window_days) == (30, {"Socks": 14})
    assert policy.final_sale_tags == ["final-sale", "outlet"]
    assert policy.return_address["city"] == "Hamburg"
    assert policy.label_carriers == ["DHL", "UPS"]
    assert [(r[0], r[1], str(r[2])) for r in rules] == [(["damaged"], ["keep_it", "refund"],
                                                        "15.00")]
    assert entry.actor == "user:alice@alpha.test" and "window_days" in entry.summary
    assert request.policy_id == first.pk  # a return already started keeps its version


def test_the_first_save_makes_version_one(client, personas):
    make_order(personas.tenant_a)
    client.force_login(personas.alice)
    assert "Not set yet" in client.get(URL).content.decode()
    client.post(URL, form_data())
    assert versions(personas.tenant_a) == [1]


@pytest.mark.parametrize(("overrides", "message"), [
    ({"window_days": "-3"}, "greater than or equal to 0"),
    ({"category_window_days": "Socks fourteen"}, "Line 1: write a category"),
    ({"category_window_days": "Socks = 900"}, "a window is 0 to 365 days"),
    ({"category_window_days": "Swimwear = 14"}, "Unknown category Swimwear"),
    ({"non_returnable_categories": "Jackts"}, "Unknown category Jackts"),
    ({"store_credit_bonus_percent": "150"}, "less than or equal to 100"),
    ({"restocking_percent": "-1"}, "greater than or equal to 0"),
    ({"reasons": None}, "This field is required"),
    ({"rules-1-reasons": ["too_small"]}, "Rule 2 needs resolutions or review"),
    ({"rules-0-categories": "Tents"}, "Unknown category Tents"),
    ({"rules-0-max_unit_price": "lots"}, "Enter a number"),
    ({"address_country_code": "Germany"}, "two-letter code"),
    ({"rules-TOTAL_FORMS": "garbage"}, "ManagementForm data is missing or has been tampered"),
])
def test_a_problem_is_shown_beside_its_field_and_nothing_is_saved(client, personas, overrides,
                                                                  message):
    make_order(personas.tenant_a)
    make_policy(personas.tenant_a)
    client.force_login(personas.alice)
    response = client.post(URL, form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert versions(personas.tenant_a) == [1]


def test_an_agent_sees_the_policy_but_cannot_change_it(client, personas):
    make_policy(personas.tenant_a, window_days=21)
    client.force_login(personas.bob)
    page = client.get(URL).content.decode()
    assert 'value="21"' in page and "disabled" in page and "Save as a new version" not in page
    assert client.post(URL, form_data()).status_code == 403
    assert versions(personas.tenant_a) == [1]


def test_another_stores_policy_is_not_shown(client, personas):
    make_policy(personas.tenant_a, window_days=77)
    client.force_login(personas.carol)
    page = client.get(URL).content.decode()
    assert 'value="77"' not in page and "Not set yet" in page

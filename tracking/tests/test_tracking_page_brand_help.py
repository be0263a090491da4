"""The tracking page shows the brand's ways for a shopper to get help (Settings → Brand), and
hides the block when the page settings say so."""

import pytest

from tenants import services
from tenants.context import tenant_scope
from tracking.services.page_settings import tracking_page_settings_update

from .page_support import make_parcel

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148 Safari/604.1"


def test_the_tracking_page_shows_how_to_reach_the_shop(client, personas,
                                                       django_capture_on_commit_callbacks):
    with tenant_scope(personas.tenant_a):
        services.brand_update(personas.tenant_a, support_email="help@alpha.test",
                              support_phone="+49 30 1234567", help_url="https://alpha.example/help")
    parcel = make_parcel(personas.tenant_a, statuses=("in_transit",))
    body = client.get(parcel.url, HTTP_USER_AGENT=BROWSER).content.decode()
    assert 'href="mailto:help@alpha.test"' in body
    assert 'href="tel:+49301234567"' in body
    assert 'href="https://alpha.example/help"' in body
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(personas.tenant_a):
        tracking_page_settings_update(personas.tenant_a, show_help=False)
    body = client.get(parcel.url, HTTP_USER_AGENT=BROWSER).content.decode()
    assert "help@alpha.test" not in body and "alpha.example/help" not in body

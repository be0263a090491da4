"""Cross-tenant entries for the shopper tracking page. The token names its shipment and so its
tenant; the behaviour behind each reason is tested in tracking/tests/test_tracking_page.py
(a token of tenant A shows only A's parcel, never B's data; B's product through A's token is
404; a malformed or unknown token is the same 404)."""

from .harness import no_tenant_object

_TOKEN = ("the public token (unguessable, globally unique) names the shipment and its tenant and "
          "is the only authority (no session); every row the page reads is joined on the "
          "shipment's tenant (tracking/tests/test_tracking_page.py)")

no_tenant_object("tracking-page", _TOKEN)
no_tenant_object("tracking-page-click", _TOKEN + "; the product is looked up in the token's "
                 "tenant only, another tenant's product id is 404")
no_tenant_object("tracking-page-feedback", _TOKEN + "; the rating is written to the token's "
                 "shipment only (tracking/tests/test_delivery_feedback.py)")

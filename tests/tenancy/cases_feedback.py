"""Cross-tenant cases for delivery feedback (tracking/api/feedback.py): Carol never reads the
rating of Alice's parcel, by its shipment id or through the list (the list is walked by
test_nothing_carol_is_shown_belongs_to_alice, with a rating seeded in tenant A)."""

from tenants.context import tenant_scope

from .harness import cross_tenant_case


def alices_rated_parcel(p):
    from tracking.models import DeliveryFeedback, Shipment
    from tracking.tests.page_support import make_parcel

    parcel = make_parcel(p.tenant_a, statuses=("in_transit", "delivered"))
    with tenant_scope(p.tenant_a):
        DeliveryFeedback.objects.create(shipment=parcel.shipment, rating=1, low=True,
                                        comment="Alpha Secret Tent arrived wet")
        return Shipment.objects.get(pk=parcel.shipment.pk)


@cross_tenant_case("api-shipment-feedback")
def _alices_parcel_rating(p) -> dict:
    return {"shipment_id": alices_rated_parcel(p).pk}

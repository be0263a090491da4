"""What an agent marks on a parcel from the order page: "lost — reshipping" (the retailer
sends the items again) or "customer contacted". A line on the order's timeline naming the
agent; the parcel's status stays the carrier's."""

from __future__ import annotations

from config.errors import ValidationFailed
from orders.services import order_agent_action_record
from tenants.access import access_scoped
from tenants.models import Tenant

from ..models import Shipment

PARCEL_MARKS: dict[str, str] = {
    "lost_reshipping": "Marked lost — reshipping",
    "customer_contacted": "Customer contacted",
    # the agent's "Copy link" (the tracking page's address, to give to the shopper)
    "link_copied": "Tracking link copied for the shopper",
}


def shipment_agent_mark(tenant: Tenant, shipment_id: int, mark: str, *, actor: str,
                        note: str = "") -> Shipment:
    shipment = access_scoped(Shipment, tenant, shipment_id)  # first: 404 before any 400
    if mark not in PARCEL_MARKS:
        raise ValidationFailed("Choose what to mark.", details={"mark": ["Unknown mark."]})
    if shipment.order_id is None:
        raise ValidationFailed("This parcel belongs to no order.",
                               details={"shipment": ["No order."]})
    note = note.strip()[:300]
    order_agent_action_record(
        tenant, shipment.order_id,
        f"{PARCEL_MARKS[mark]}: {shipment.carrier} {shipment.tracking_number}"
        + (f" ({note})" if note else ""),
        actor=actor, data={"shipment_id": shipment.pk, "mark": mark, "note": note})
    return shipment

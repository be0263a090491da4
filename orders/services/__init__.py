"""Every write to customers, products, orders and the order timeline.

    bulk.py      idempotent bulk creation (demo seed)
    upsert.py    create-or-update by external id, for every order source (API, Shopify, CSV)
    timeline.py  the order's timeline (OrderEvent) and order milestones (order_confirmed)
    privacy.py   erasing a shopper's personal data, keeping anonymous aggregates
    agents.py    what agents do from the order page: notes, contact and consent corrections
    imports.py   storing an uploaded order file (the CSV import itself runs in tracking)
"""

from .agents import (
    customer_consent_set,
    customer_contact_correct,
    order_agent_action_record,
    order_note_add,
)
from .bulk import CreateResult, customer_create_many, order_create_many, product_create_many
from .imports import import_job_create
from .privacy import customer_redact
from .timeline import (
    order_event_record,
    order_events_record_many,
    order_milestone_record,
    order_milestones_announce,
)
from .upsert import (
    CustomerInput,
    LineInput,
    OrderInput,
    ProductInput,
    UpsertResult,
    customer_upsert,
    order_upsert,
    product_upsert_many,
)

__all__ = [
    "CreateResult", "CustomerInput", "LineInput", "OrderInput", "ProductInput", "UpsertResult",
    "customer_consent_set", "customer_contact_correct", "customer_create_many",
    "customer_redact", "customer_upsert", "import_job_create",
    "order_agent_action_record", "order_create_many", "order_note_add",
    "order_event_record", "order_events_record_many", "order_milestone_record",
    "order_milestones_announce", "order_upsert",
    "product_create_many", "product_upsert_many",
]

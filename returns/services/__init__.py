"""Every write to return policies and requests.

    policy.py     a new policy version (the retailer's edit), its rules
    requests.py   starting a return: the policy judges the lines, the request is written
    lifecycle.py  approve, reject, in transit, received, settled, cancelled; refund_delayed
    timeline.py   the request's events (also on the order's timeline) and its milestones
    labels.py     the prepaid label (EasyPost), its retries, and the return parcel's scans
"""

from .labels import (
    LABEL_RETRY_DELAYS,
    MAX_LABEL_ATTEMPTS,
    return_label_api_key,
    return_label_buy,
    return_label_queue,
    return_labels_due,
    return_parcel_milestones_process,
)
from .lifecycle import (
    return_approve,
    return_cancel,
    return_mark_in_transit,
    return_receive,
    return_reject,
    return_settle,
    returns_refund_delayed_check,
)
from .policy import RuleInput, return_policy_update
from .requests import LineRequest, ReturnRefused, return_quote, return_request_create
from .timeline import return_milestones_announce

__all__ = [
    "LABEL_RETRY_DELAYS", "MAX_LABEL_ATTEMPTS", "return_label_api_key", "return_label_buy",
    "return_label_queue", "return_labels_due", "return_parcel_milestones_process",
    "LineRequest", "ReturnRefused", "RuleInput",
    "return_approve", "return_cancel", "return_mark_in_transit", "return_milestones_announce",
    "return_policy_update", "return_quote", "return_receive", "return_reject",
    "return_request_create", "return_settle", "returns_refund_delayed_check",
]

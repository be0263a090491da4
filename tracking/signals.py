"""Signals the tracking app announces. Higher apps (messaging, analytics) connect receivers in
their AppConfig.ready(); receivers run inside the tenant scope, after the milestone committed.

    milestone_reached(sender=ShipmentMilestone, tenant, milestone: ShipmentMilestone)
"""

from django.dispatch import Signal

milestone_reached = Signal()

"""Signals the orders app announces; higher apps connect receivers in AppConfig.ready().

    order_milestone_reached(sender=OrderMilestone, tenant, milestone: OrderMilestone)
"""

from django.dispatch import Signal

order_milestone_reached = Signal()

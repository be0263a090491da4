"""Signals the orders app announces; higher apps connect receivers in AppConfig.ready().

    customer_redacted(sender=Customer, tenant, customer_id, order_ids, email, phone)
        sent inside the erasing transaction: higher apps erase what they hold of the shopper
"""

from django.dispatch import Signal

customer_redacted = Signal()

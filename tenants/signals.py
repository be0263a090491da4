"""Signals the tenants app announces; higher apps connect receivers in AppConfig.ready().

    tenant_created(sender=Tenant, tenant)  sent inside tenant_create's transaction; messaging
                                           installs the default journey and templates
"""

from django.dispatch import Signal

tenant_created = Signal()

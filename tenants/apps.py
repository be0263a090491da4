from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and accounts"

    def ready(self) -> None:
        from .rls import rls_connect
        from .webhook_tenants import webhook_tenants_connect

        webhook_tenants_connect()
        rls_connect(self)

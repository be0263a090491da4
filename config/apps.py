from django.apps import AppConfig


class PlatformConfig(AppConfig):
    """The project's own wiring below every app (no models): how connections are set up."""

    name = "config"
    label = "platform"
    verbose_name = "Platform"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from .db.internals import timestamps_fast

        connection_created.connect(timestamps_fast, dispatch_uid="config.db.internals.timestamps_fast")

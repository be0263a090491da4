from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self) -> None:
        # The shopper tracking page: what forgets its cached pages, and the task that fills
        # its recommendations (imported here so a worker registers it).
        from .public import receivers, tasks  # noqa: F401

        receivers.connect()

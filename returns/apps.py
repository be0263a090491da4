from django.apps import AppConfig


class ReturnsConfig(AppConfig):
    name = "returns"

    def ready(self) -> None:
        # What the agent console (orders/signals.py) shows of returns.
        from . import console

        console.connect()
        # What shoppers returned, for their recommendations.
        from . import recommendations

        recommendations.connect()

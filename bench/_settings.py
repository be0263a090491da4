"""Settings for benchmark servers: the app's own, plus a no-op view to measure against."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._urls"

"""Doorstep settings, split by concern; every value is read from the environment.

    core      mode, paths, apps, middleware, templates, i18n, static/media
    database  DATABASE_URL (embedded default: PostgreSQL under var/, config.embedded)
    services  REDIS_URL (embedded default: Redis under var/), cache, Celery, e-mail, providers
    security  secret key, encryption keys, cookies, hosts
    auth      django-allauth, two-factor authentication
    api       Django REST framework, OpenAPI, rate limits
    logs      structured JSON logging

Production mode refuses to start when a required value is missing (see `production`).
"""

from .api import *  # noqa: F403
from .auth import *  # noqa: F403
from .core import *  # noqa: F403
from .database import *  # noqa: F403
from .demo import *  # noqa: F403
from .logs import *  # noqa: F403
from .production import check_production
from .security import *  # noqa: F403
from .services import *  # noqa: F403

check_production()

from pathlib import Path

from config.env import env_bool, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Embedded mode keeps its state here: PostgreSQL and Redis (config.embedded), the generated
# secret, uploads, the dev outbox.
VAR_DIR = Path(env_str("DOORSTEP_VAR_DIR", str(BASE_DIR / "var")))

DOORSTEP_ENV = env_str("DOORSTEP_ENV", "development")
PRODUCTION = DOORSTEP_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)
TESTING = env_bool("DOORSTEP_TESTING", default=False)

# The site's own host names (env ALLOWED_HOSTS, with Django's patterns). Stores' tracking
# domains are added and removed at any time, so tenants.domains.TenantHostMiddleware checks
# every Host against both and refuses the rest; Django's own fixed-list check stands aside.
SITE_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
ALLOWED_HOSTS = ["*"]
# The routes a store's tracking domain serves: its shopper pages, nothing else.
SHOPPER_DOMAIN_URLCONF = "config.domain_urls"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Public base URL used in links we send (invitations, e-mails): no trailing slash.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "config",
    "tenants",
    "orders",
    "recommendations",
    "tracking",
    "returns",
    "messaging",
    "analytics",
]

MIDDLEWARE = [
    "config.logging.RequestIdMiddleware",
    "tenants.domains.TenantHostMiddleware",  # before anything reads the Host
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # outside every answer, error pages too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.middleware.DashboardTenantMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.dashboard",
                "csp.context_processors.nonce",
            ],
        },
    },
    {
        # The shopper pages (tracking page, lookup, rating): config/jinja.py says why.
        "NAME": "shopper",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja.environment"},
    },
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"),
             ("nl", "Nederlands")]
# Shopper pages' words (tracking page, lookup): gettext catalogues, compiled .mo committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Files no URL serves as they are (a return's photos): read by the views that check who asks.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None}},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Largest request body Django reads into memory (form posts); the API has its own limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
MAX_LOGO_BYTES = 1024 * 1024

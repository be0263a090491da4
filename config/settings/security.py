import base64
import hashlib
import secrets

from csp.constants import NONCE

from config.env import env_bool, env_int, env_list, env_str

from .core import PRODUCTION, VAR_DIR


def _dev_secret() -> str:
    """A secret generated once per checkout and kept under var/, for embedded mode only."""
    path = VAR_DIR / "dev-secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY", "") or ("" if PRODUCTION else _dev_secret())

# Credential encryption: Fernet keys, newest first. The first encrypts; all decrypt, so a
# key is rotated by putting a new one in front and running `manage.py rotate_credentials`.
DOORSTEP_ENCRYPTION_KEYS = env_list("DOORSTEP_ENCRYPTION_KEYS", [])
if not DOORSTEP_ENCRYPTION_KEYS and not PRODUCTION and SECRET_KEY:
    _derived = hashlib.sha256(("doorstep-credentials:" + SECRET_KEY).encode()).digest()
    DOORSTEP_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(_derived).decode()]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", PRODUCTION) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS only in production: plain HTTP is redirected (except /healthz, which load balancers
# probe over HTTP) and browsers are told to stay on HTTPS for a year. Behind a proxy that
# redirects itself, SECURE_SSL_REDIRECT=0; before the domain is HTTPS-only, SECURE_HSTS_SECONDS=0.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
# Subdomains of Doorstep's own host only (stores' tracking domains are theirs, not ours).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
# HSTS preloading is a promise to browsers that is slow to take back: the operator's decision
# (SECURE_HSTS_PRELOAD=1), so `check --deploy` is not asked to warn about it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
X_FRAME_OPTIONS = "DENY"
# The Content-Security-Policy of every page without one of its own (django-csp; config/csp.py
# for the shopper pages' own). Nothing inline: a <style> that must be made per request carries
# the nonce. A view the dashboard frames replaces frame-ancestors with 'self' (csp_replace).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:", "blob:"],  # blob: a chosen logo, previewed before upload
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
INTERNAL_IPS = env_list("INTERNAL_IPS", [])

# Proxies in front of web that each append the address they received from to
# X-Forwarded-For (config.ratelimit.client_address): 0 trusts none and uses the socket's peer.
TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
# Django's admin at /admin/ (signing in through allauth): on in embedded mode, off in
# production unless turned on.
ADMIN_ENABLED = env_bool("DOORSTEP_ADMIN_ENABLED", not PRODUCTION)
# Links in messages (/m/): opens and clicks recorded per message per minute; past it the
# pixel and the redirect still answer, but record nothing (bounded writes per link).
MESSAGE_LINK_EVENTS_PER_MINUTE = env_int("MESSAGE_LINK_EVENTS_PER_MINUTE", 30)
# The preferences page (/u/): saves and one-click unsubscribes per link per hour (429 past it).
PREFERENCES_CHANGES_PER_HOUR = env_int("PREFERENCES_CHANGES_PER_HOUR", 20)
# The shopper's tracking lookup (/s/<slug>/track/): attempts per window per client address and
# per order or tracking number, so neither numbers nor e-mails/postcodes can be enumerated.
TRACKING_LOOKUP_WINDOW_SECONDS = env_int("TRACKING_LOOKUP_WINDOW_SECONDS", 900)
TRACKING_LOOKUP_LIMIT_PER_ADDRESS = env_int("TRACKING_LOOKUP_LIMIT_PER_ADDRESS", 20)
TRACKING_LOOKUP_LIMIT_PER_NUMBER = env_int("TRACKING_LOOKUP_LIMIT_PER_NUMBER", 5)

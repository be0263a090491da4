from config.env import env_int

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api.permissions.HasTenantPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["tenants.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_PARSER_CLASSES": ["config.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
# Largest API request body, in bytes (a 1,000-item batch fits comfortably).
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 1024 * 1024)
# Largest inbound webhook body we keep and process (carriers send whole histories).
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 1024 * 1024)
# Seconds a web process keeps which store and secret a webhook URL names (tenants/
# webhook_tenants.py); changes made elsewhere reach it within this time. 0 turns it off.
WEBHOOK_TENANT_CACHE_SECONDS = env_int("WEBHOOK_TENANT_CACHE_SECONDS", 5)
# Bodies that fail verification (wrong or missing signature, unknown source, too large) are
# kept for inspection up to this many per store and source per hour; past it they are counted,
# not kept, and answered 429 with Retry-After (tenants/inbound.py).
WEBHOOK_UNVERIFIED_KEPT_PER_HOUR = env_int("WEBHOOK_UNVERIFIED_KEPT_PER_HOUR", 100)
# Days stored webhook bodies are kept (a daily purge): verified ones, and unverified ones.
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)
WEBHOOK_UNVERIFIED_RETENTION_DAYS = env_int("WEBHOOK_UNVERIFIED_RETENTION_DAYS", 7)
# Drain tasks applying one store's queued webhook and API bodies at once (tracking/drain.py):
# a second one starts only while bodies keep waiting.
INGEST_DRAINS_PER_TENANT = env_int("INGEST_DRAINS_PER_TENANT", 2)
# Requests per key per window; both from the environment so operators can tune them.
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 1200)
API_RATE_WINDOW_SECONDS = env_int("API_RATE_WINDOW_SECONDS", 60)

SPECTACULAR_SETTINGS = {
    "TITLE": "Doorstep API",
    "DESCRIPTION": (
        "Push orders and shipments, read tracking and messages, and script your Doorstep "
        "set-up. Authenticate with `Authorization: Bearer <api key>` (create keys under "
        "Settings → API keys). Every error has one shape: "
        '`{"error": {"code": "...", "message": "...", "details": {...}}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per vocabulary where a field name (`status`) is shared by several.
    "ENUM_NAME_OVERRIDES": {"TrackingStatusEnum": "tracking.statuses.TrackingStatus",
                            "ReturnStatusEnum": "returns.models.ReturnStatus",
                            "ReturnReasonEnum": "returns.models.ReturnReason",
                            "ReturnResolutionEnum": "returns.models.Resolution"},
    # The error responses every operation can give, in the one error shape (config/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "config.api.schema.document_errors"],
}

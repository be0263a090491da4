from config.env import env_str

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "tenants.accounts.AccountAdapter"
ACCOUNT_FORMS = {"signup": "tenants.accounts.SignupForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# "mandatory": a new account confirms its address before it can log in. An invitee who
# arrives through the invitation link has proved the address already.
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Doorstep] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if env_str("DOORSTEP_ENV") == "production" else "http"
# Sign-in, sign-up and password reset, limited by allauth (its cache: Redis). Per client
# address the limits tighten with time (a minute, an hour, a day), so guessing slows down
# without end; per account (the e-mail) 5 failures lock sign-in for 5 minutes, and a password
# reset by e-mail clears that count, so an attacker cannot keep the owner out.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,60/h/ip,300/d/ip,5/5m/key",
    "signup": "10/m/ip,50/h/ip",
    "reset_password": "10/m/ip,50/h/ip,3/m/key,10/d/key",
    "reset_password_from_key": "20/m/ip",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Doorstep"

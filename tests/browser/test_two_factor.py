"""Turning on an authenticator app, then logging in with it."""

import time

import pyotp
import pytest

from tenants.tests.factories import DEFAULT_PASSWORD

from .conftest import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fresh_code(secret: str) -> str:
    """A code with time left to use it: never one about to roll over mid-request."""
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 3:
        time.sleep(3.5)
    return totp.now()


def open_totp_activation(page) -> None:
    """Turning 2FA on asks for the password again first (allauth's reauthentication)."""
    page.goto("/accounts/2fa/totp/activate/")
    if "/accounts/reauthenticate/" in page.url:
        page.fill("#id_password", DEFAULT_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url("**/accounts/2fa/totp/activate/")


def test_enrol_an_authenticator_then_log_in_with_a_code(page, personas):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    open_totp_activation(page)
    assert page.locator("img.qr").is_visible()
    screenshot(page, "totp-activate")
    secret = page.input_value("#authenticator_secret")
    page.fill("#id_code", fresh_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_url("**/accounts/2fa/recovery-codes/")
    screenshot(page, "recovery-codes")

    page.click("#user-menu summary")
    page.click("#user-menu >> text=Log out")
    page.wait_for_url("**/accounts/login/")

    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    page.wait_for_url("**/accounts/2fa/authenticate/")
    screenshot(page, "totp-authenticate")
    page.fill("#id_code", fresh_code(secret))
    page.click("main button[type=submit]")
    page.wait_for_selector("h1:has-text('Alpha Outfitters')")


def test_a_wrong_code_is_refused(page, personas):
    log_in(page, "alice@alpha.test", DEFAULT_PASSWORD)
    open_totp_activation(page)
    page.fill("#id_code", "000000")
    page.click("main button[type=submit]")
    assert page.locator(".errorlist").is_visible()

"""Signature schemes against the vectors in shared/reference/wire-formats.md: every [VERIFIED]
vector for EasyPost and Shopify, our [OURS] vectors for AfterShip and Shippo, and the ways a
forged or damaged request must fail."""

from __future__ import annotations

import pytest

from tracking.carriers import get_adapter
from tracking.carriers.signatures import (
    easypost_signature,
    hmac_sha256_b64,
    hmac_sha256_hex,
    shippo_signature,
    verify_aftership,
    verify_easypost,
    verify_shippo_hmac,
    verify_shippo_token,
    verify_shopify,
)
from tracking.tests.support import fixture_bytes

EASYPOST_BODY = fixture_bytes("easypost", "tracker_updated_published_vector.json")
EASYPOST_SECRET = "s\u00e9cret"  # "sécret" as typed (NFC); EasyPost keys with its NFKD form
EASYPOST_SIGNATURE = "hmac-sha256-hex=38f3f53c103713df81616a0a186d77141957323ec21d5fe9363db93840f527db"
EASYPOST_UNNORMALISED = "hmac-sha256-hex=7f1669d6699d0b937cc1e69402423bdd2be0a8bcf571d34a8116765f1741219b"
EASYPOST_SMALL_BODY = fixture_bytes("easypost", "tracker_updated_regression_vector.json")

AFTERSHIP_BODY = fixture_bytes("aftership", "tracking_update_signed_vector.json")
AFTERSHIP_SECRET = "aftership-test-secret"
AFTERSHIP_SIGNATURE = "cM1oHChK0vD1BGQAkH+zoPN5NX4zNucZ/Zi9WKfEdFk="

SHIPPO_BODY = fixture_bytes("shippo", "track_updated_hmac_vector.json")
SHIPPO_SECRET = "shippo-test-secret"
SHIPPO_SIGNATURE = "t=1714672860,v1=81d36c4a1f905607b85c7d66bb16d7198613765137ff8a4ab7e616fd2c99a785"

SHOPIFY_ORDER = (
    b'{"id":450789469,"name":"#1001","email":"bob.norman@example.com","customer":{"id":207119551,'
    b'"first_name":"Bob","last_name":"Norman"},"line_items":[{"id":466157049,"product_id":632910392,'
    b'"variant_id":39072856,"sku":"IPOD2008GREEN","title":"IPod Nano - 8gb","quantity":1,'
    b'"price":"199.00"}]}'
)


def test_the_vector_bodies_are_stored_byte_for_byte():
    import hashlib

    for body, size, sha in [
        (EASYPOST_BODY, 3550, "c312298bbffb5cf2fc1dd9d310b59e687179d65deca3a630671a0a83dbb531b1"),
        (EASYPOST_SMALL_BODY, 305, "d7d281fba2589f9fb32c970ac47afe3c3a12b5bfbdbdcc5fc6b35976cebf54dd"),
        (AFTERSHIP_BODY, 565, "f2072b2513f9ce6ddd8ec8cb0414c412086cd47623160517d2925eeb0267938f"),
        (SHIPPO_BODY, 250, "3701f68343ded6b19effe4d20656c0cae9dad80a61c643392ce223f862e69d41"),
        (SHOPIFY_ORDER, 287, "c7a51da14e2a2acf99d70377161db9ba033273ca980900841f497d654748329a"),
    ]:
        assert (len(body), hashlib.sha256(body).hexdigest()) == (size, sha)


def test_hmac_helpers_encode_as_the_providers_do():
    assert hmac_sha256_hex("key", b"msg") == (
        "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628")
    assert hmac_sha256_b64("hush", b'""') == "ZAZ6P4c14f6v798OCPYCodtdf9g8Z+GfthdfCgyhUYg="


# EasyPost -----------------------------------------------------------------------------------

def test_easypost_published_vector_verifies():
    assert easypost_signature(EASYPOST_BODY, EASYPOST_SECRET) == EASYPOST_SIGNATURE
    assert verify_easypost(EASYPOST_BODY, EASYPOST_SIGNATURE, EASYPOST_SECRET)


def test_easypost_secret_is_nfkd_normalised_before_keying():
    assert hmac_sha256_hex(EASYPOST_SECRET, EASYPOST_BODY) == EASYPOST_UNNORMALISED.split("=")[1]
    assert easypost_signature(EASYPOST_BODY, EASYPOST_SECRET) != EASYPOST_UNNORMALISED
    assert not verify_easypost(EASYPOST_BODY, EASYPOST_UNNORMALISED, EASYPOST_SECRET)
    assert verify_easypost(EASYPOST_BODY, EASYPOST_SIGNATURE, "se\u0301cret")  # already decomposed


def test_easypost_regression_vectors_verify():
    assert verify_easypost(EASYPOST_SMALL_BODY, "hmac-sha256-hex=1e62e687f9e97dfed239f7e547fd33ee"
                           "39870dfa9e80c22e427489303153ce4e", EASYPOST_SECRET)
    assert verify_easypost(EASYPOST_SMALL_BODY, "hmac-sha256-hex=2523816fc94137bd2741278a82e674ad"
                           "cb425cb2b1556e5546a2af0a4e06b098", "easypost-test-secret")


@pytest.mark.parametrize(("body", "header", "secret"), [
    (EASYPOST_BODY, EASYPOST_SIGNATURE, "secret"),  # wrong secret
    (EASYPOST_BODY + b"\n", EASYPOST_SIGNATURE, EASYPOST_SECRET),  # trailing newline
    (EASYPOST_BODY.replace(b"614.4", b"614.5"), EASYPOST_SIGNATURE, EASYPOST_SECRET),  # tampered
    (EASYPOST_BODY, None, EASYPOST_SECRET),  # missing header
    (EASYPOST_BODY, "", EASYPOST_SECRET),
    (EASYPOST_BODY, EASYPOST_SIGNATURE.split("=")[1], EASYPOST_SECRET),  # no prefix
    (EASYPOST_BODY, EASYPOST_SIGNATURE.upper(), EASYPOST_SECRET),
    (EASYPOST_BODY, "hmac-sha256-hex=\u00e9\u00e9", EASYPOST_SECRET),  # non-ASCII garbage
    (EASYPOST_BODY, EASYPOST_SIGNATURE, ""),  # tenant has no secret
])
def test_easypost_refuses_forged_or_damaged_requests(body, header, secret):
    assert not verify_easypost(body, header, secret)


def test_easypost_adapter_reads_the_header_case_insensitively():
    adapter = get_adapter("easypost")
    secrets = {"webhook_secret": EASYPOST_SECRET}
    assert adapter.verify(EASYPOST_BODY, {"x-hmac-signature": EASYPOST_SIGNATURE}, {}, secrets)
    assert adapter.verify(EASYPOST_BODY, {"X-Hmac-Signature": EASYPOST_SIGNATURE}, {}, secrets)
    assert not adapter.verify(EASYPOST_BODY, {}, {}, secrets)
    assert not adapter.verify(EASYPOST_BODY, {"X-Hmac-Signature": EASYPOST_SIGNATURE}, {}, {})


def test_easypost_v2_header_alone_is_not_enough():
    adapter = get_adapter("easypost")
    headers = {"x-hmac-signature-v2": "anything", "x-timestamp": "Tue, 19 Aug 2025 20:37:09 -0000"}
    assert not adapter.verify(EASYPOST_BODY, headers, {}, {"webhook_secret": EASYPOST_SECRET})


# AfterShip ----------------------------------------------------------------------------------

def test_aftership_vector_verifies():
    assert hmac_sha256_b64(AFTERSHIP_SECRET, AFTERSHIP_BODY) == AFTERSHIP_SIGNATURE
    assert verify_aftership(AFTERSHIP_BODY, AFTERSHIP_SIGNATURE, AFTERSHIP_SECRET)


@pytest.mark.parametrize(("body", "header", "secret"), [
    (AFTERSHIP_BODY, AFTERSHIP_SIGNATURE, "another-secret"),
    (AFTERSHIP_BODY.replace(b"BROOKLYN", b"QUEENS"), AFTERSHIP_SIGNATURE, AFTERSHIP_SECRET),
    (AFTERSHIP_BODY, None, AFTERSHIP_SECRET),
    (AFTERSHIP_BODY, "not base64 at all", AFTERSHIP_SECRET),
    (AFTERSHIP_BODY, "hmac-sha256=" + AFTERSHIP_SIGNATURE, AFTERSHIP_SECRET),  # a Returns-style prefix
    (AFTERSHIP_BODY, AFTERSHIP_SIGNATURE, ""),
])
def test_aftership_refuses_forged_or_damaged_requests(body, header, secret):
    assert not verify_aftership(body, header, secret)


def test_aftership_adapter_accepts_either_spelling_of_the_header():
    adapter = get_adapter("aftership")
    secrets = {"webhook_secret": AFTERSHIP_SECRET}
    for name in ("aftership-hmac-sha256", "Aftership-Hmac-Sha256"):
        assert adapter.verify(AFTERSHIP_BODY, {name: AFTERSHIP_SIGNATURE}, {}, secrets)


# Shopify ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "signature"), [
    (b'"my secret message"', "hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI="),
    (b'""', "ZAZ6P4c14f6v798OCPYCodtdf9g8Z+GfthdfCgyhUYg="),
    (SHOPIFY_ORDER, "7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo="),
])
def test_shopify_vectors_verify(body, signature):
    assert hmac_sha256_b64("hush", body) == signature
    assert verify_shopify(body, signature, ["hush"])


def test_shopify_negative_vectors_differ_from_the_quoted_body():
    assert hmac_sha256_b64("hush", b"my secret message") == "7/WDe43pNWxHoCMD7ukeWbZMtWEMfYQy8wPrdA6jiwc="
    assert not verify_shopify(b"my secret message", "hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI=", ["hush"])
    assert hmac_sha256_b64("hush", b"") == "Knm8rWjeSXNIt2H0AOMT7DQ8/YSy8sQi/pEjbuUmGMs="


def test_shopify_accepts_the_old_secret_during_a_rotation():
    signature = "hMTq0K2x7oyOjoBwGYeTj5oxfnaVYXzbanUG9aajpKI="
    assert verify_shopify(b'"my secret message"', signature, ["new-client-secret", "hush"])
    assert not verify_shopify(b'"my secret message"', signature, ["new-client-secret"])


@pytest.mark.parametrize(("body", "header", "secrets"), [
    (SHOPIFY_ORDER, "7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo=", ["wrong"]),
    (SHOPIFY_ORDER.replace(b"199.00", b"1.00"), "7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo=", ["hush"]),
    (SHOPIFY_ORDER, None, ["hush"]),
    (SHOPIFY_ORDER, "%%%", ["hush"]),
    (SHOPIFY_ORDER, "7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo=", []),
    (SHOPIFY_ORDER, "7dMdTnJ3mqUE908ir0+sRPWXY1LYWMGXJ10B/C35CBo=", [""]),
])
def test_shopify_refuses_forged_or_damaged_requests(body, header, secrets):
    assert not verify_shopify(body, header, secrets)


# Shippo -------------------------------------------------------------------------------------

def test_shippo_token_is_compared_exactly():
    assert verify_shippo_token("tok_3f9a", "tok_3f9a")
    assert not verify_shippo_token("tok_3f9b", "tok_3f9a")
    assert not verify_shippo_token(None, "tok_3f9a")
    assert not verify_shippo_token("", "")  # an unset token never matches an absent one
    assert not verify_shippo_token("t\u00f6k", "tok")


def test_shippo_hmac_vector_verifies():
    assert shippo_signature(SHIPPO_BODY, SHIPPO_SECRET, 1714672860) == SHIPPO_SIGNATURE
    assert verify_shippo_hmac(SHIPPO_BODY, SHIPPO_SIGNATURE, SHIPPO_SECRET)


@pytest.mark.parametrize(("body", "header", "secret"), [
    (SHIPPO_BODY, SHIPPO_SIGNATURE, "other-secret"),
    (SHIPPO_BODY.replace(b"DELIVERED", b"TRANSIT", 1), SHIPPO_SIGNATURE, SHIPPO_SECRET),
    (SHIPPO_BODY, SHIPPO_SIGNATURE.replace("t=1714672860", "t=1714672861"), SHIPPO_SECRET),
    (SHIPPO_BODY, SHIPPO_SIGNATURE.split(",")[1], SHIPPO_SECRET),  # no timestamp
    (SHIPPO_BODY, "t=abc," + SHIPPO_SIGNATURE.split(",")[1], SHIPPO_SECRET),
    (SHIPPO_BODY, None, SHIPPO_SECRET),
])
def test_shippo_hmac_refuses_forged_or_damaged_requests(body, header, secret):
    assert not verify_shippo_hmac(body, header, secret)


def test_shippo_hmac_can_enforce_a_replay_window():
    assert verify_shippo_hmac(SHIPPO_BODY, SHIPPO_SIGNATURE, SHIPPO_SECRET,
                              tolerance_seconds=300, now=1714672860 + 299)
    assert not verify_shippo_hmac(SHIPPO_BODY, SHIPPO_SIGNATURE, SHIPPO_SECRET,
                                  tolerance_seconds=300, now=1714672860 + 301)


def test_shippo_adapter_needs_the_url_token_and_the_hmac_only_when_configured():
    adapter = get_adapter("shippo")
    token_only = {"webhook_token": "tok_3f9a"}
    assert adapter.verify(SHIPPO_BODY, {}, {"token": "tok_3f9a"}, token_only)
    assert not adapter.verify(SHIPPO_BODY, {}, {}, token_only)
    assert not adapter.verify(SHIPPO_BODY, {"Shippo-Auth-Signature": SHIPPO_SIGNATURE}, {},
                              {**token_only, "webhook_hmac_secret": SHIPPO_SECRET})
    with_hmac = {**token_only, "webhook_hmac_secret": SHIPPO_SECRET}
    assert adapter.verify(SHIPPO_BODY, {"shippo-auth-signature": SHIPPO_SIGNATURE},
                          {"token": "tok_3f9a"}, with_hmac)
    assert not adapter.verify(SHIPPO_BODY, {}, {"token": "tok_3f9a"}, with_hmac)

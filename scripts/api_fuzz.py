#!/usr/bin/env python
"""The API against its own OpenAPI schema, through a real server: schemathesis sends valid
and invalid requests to every operation and fails the run on any 5xx, any response that its
schema does not describe (status code, content type, body), any schema-invalid request
accepted, or a deleted object still served.

    throwaway tenant + read-write key + data ──► gunicorn (loopback, free port, 2 workers)
                                                     ▲
    st run /api/v1/schema/ ── examples, coverage, fuzzing (positive and negative), stateful
                              (the schema's links: create → read → change → delete), 2 workers

A script, not a test in `make test`: the run takes minutes and a server of its own, so CI runs
it as its own step with its own time budget, and it leaves pytest's process alone (hypothesis
settings, the test database). Each finding it made has a regression test that replays the
request through the test client (tests/test_api_contract.py).

Runs against the configured PostgreSQL and Redis (DATABASE_URL / REDIS_URL, else the embedded
ones under var/), migrating first; the tenant it creates is deleted at the end. Bounded by
`--max-examples` per operation and `--max-time` in all.

    .venv/bin/python scripts/api_fuzz.py [--max-examples 30] [--max-time 180] [--seed N]

About 3.5 minutes on a 2-core machine (2,600 to 7,000 requests, by how fast the server is).
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _harness as h  # noqa: E402  (free ports, child processes that always stop)

# What fails the run. Left out: positive_data_acceptance (a schema cannot say "an order
# number that exists" or "a cursor we issued", so some schema-valid requests are rightly 400)
# and the auth checks (tests/tenancy/ owns who may see what). The stateful ones
# (use_after_free, ensure_resource_availability) run in the stateful phase.
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "use_after_free",
    "ensure_resource_availability",
])


def seed() -> tuple[int, int, str]:
    """Migrate, then make a throwaway tenant with a read-write key and one of each thing the
    API shows (customer, order, shipment with events, rating, message, journey, template,
    return policy and return), so reads of existing objects answer 200 and their bodies are
    checked too."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from messaging import services as messaging_services
    from messaging.rendering import template_version_save
    from messaging.tests.factories import make_message, make_order, make_shipment
    from returns import services as return_services
    from tenants import services
    from tenants.context import tenant_scope
    from tenants.permissions import ApiKeyScope
    from tracking.models import TrackingEvent
    from tracking.services.feedback import delivery_feedback_save

    call_command("migrate", "--noinput", verbosity=0)
    suffix = secrets.token_hex(4)
    owner = get_user_model().objects.create_user(username=f"fuzz-{suffix}",
                                                 email=f"fuzz-{suffix}@fuzz.invalid")
    tenant = services.tenant_create(name=f"Fuzz {suffix}", owner=owner, slug=f"fuzz-{suffix}")
    with tenant_scope(tenant):
        _, key = services.api_key_create(tenant, name="fuzz", scope=ApiKeyScope.READ_WRITE,
                                         actor=owner)
    order = make_order(tenant)
    delivered_at = timezone.now() - timedelta(hours=2)
    shipment = make_shipment(tenant, order, status="delivered", delivered_at=delivered_at)
    make_shipment(tenant, order, with_items=False)  # no rating, no events
    with tenant_scope(tenant):
        TrackingEvent.objects.create(
            shipment=shipment, source="api", carrier=shipment.carrier,
            tracking_number=shipment.tracking_number, occurred_at=delivered_at,
            status="delivered", message="Delivered", dedup_key=f"fuzz:{suffix}")
        delivery_feedback_save(tenant, shipment, rating=4, comment="Quick, thanks")
        make_message(tenant, shipment=shipment)
        template = messaging_services.template_create(tenant, key="shipped", name="Shipped",
                                                      channel="sms")
        template_version_save(tenant, template, locale="en", subject="", preheader="",
                              body="Hi {{ customer.first_name }}, it is on its way.")
        journey = messaging_services.journey_create(tenant, name="Shipping")
        messaging_services.journey_rule_create(tenant, journey.pk, name="Shipped",
                                               trigger="shipped", channel="sms",
                                               template_id=template.pk)
        # A return policy and a return of the delivered order: its steps answer 200 or 409.
        return_services.return_policy_update(tenant, actor="fuzz")
        return_services.return_request_create(
            tenant, order.pk, [return_services.LineRequest(order.lines.order_by("position")[0].pk,
                                                           1, "too_small")],
            resolution="refund", method="self_ship", created_via="api", actor="fuzz")
    return tenant.pk, owner.pk, key


def teardown(tenant_id: int, owner_id: int) -> None:
    from django.contrib.auth import get_user_model

    from tenants.services import tenant_delete

    tenant_delete(tenant_id)  # in the store's scope: the cascade sees every row it owns
    get_user_model().objects.filter(pk=owner_id).delete()


def schemathesis_args(port: int, key: str, args: argparse.Namespace) -> list[str]:
    return [
        str(h.BIN / "st"), "run", f"http://127.0.0.1:{port}/api/v1/schema/?format=json",
        "--header", f"Authorization: Bearer {key}",
        "--checks", CHECKS,
        "--mode", "all",  # valid and invalid data alike
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", str(args.max_examples),
        "--max-time", str(args.max_time),
        "--workers", "2",
        "--request-timeout", "30",
        "--seed", str(args.seed),
        "--generation-database", "none",  # the seed replays a run; nothing kept in the tree
        "--no-color",
        "--continue-on-failure",
        "--suppress-health-check", "too_slow,filter_too_much",
        "--warnings", "off",
        "--report", "junit", "--report-dir", str(args.report_dir),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=30,
                        help="generated requests per operation and phase")
    parser.add_argument("--max-time", type=int, default=180,
                        help="seconds for the phases (fuzzing and stateful repeat until spent)")
    parser.add_argument("--seed", type=int, default=15,
                        help="same seed, same requests: a failure replays")
    parser.add_argument("--report-dir", type=Path, default=ROOT / "test-artifacts" / "api-fuzz",
                        help="the JUnit report (and schemathesis's cache)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    h.sigterm_as_interrupt()
    from config import embedded
    from config.settings.core import VAR_DIR

    stack = embedded.start_for_process(VAR_DIR, log=lambda text: print(text, file=sys.stderr))
    try:
        tenant_id, owner_id, key = seed()
        try:
            return fuzz(key, args)
        finally:
            teardown(tenant_id, owner_id)
    finally:
        if stack is not None:
            stack.stop()


def fuzz(key: str, args: argparse.Namespace) -> int:
    port = h.free_port()
    env = {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING",
           # Thousands of requests from one key: the per-key limit would answer 429s.
           "API_RATE_LIMIT": str(10**9)}
    with h.Children() as children:
        server = children.spawn(h.gunicorn_args(port), env=env)
        h.wait_http_ready(port, server)
        command = schemathesis_args(port, key, args)  # our own arguments, no shell
        # Run from the report folder: schemathesis keeps a probe cache (.schemathesis/) there,
        # out of the tree (test-artifacts/ is ignored).
        args.report_dir.mkdir(parents=True, exist_ok=True)
        return subprocess.run(command, cwd=args.report_dir, check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())

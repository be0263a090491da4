#!/usr/bin/env python
"""What the API layer costs per request: `GET /api/v1/tenant/` with an API key (key lookup,
permission, rate-limit counter, serializer) against a no-op view behind the same middleware
(the baseline), in the same gunicorn, measured in the same run. `/healthz` (one `SELECT 1`
and a broker round trip) is measured alongside for scale.

    bench tenant + key ──► gunicorn (loopback, free port) ◄── N keep-alive client threads
                           bench/_settings.py: app + /bench/noop    noop, healthz, api, noop…

Runs against the configured PostgreSQL and Redis (DATABASE_URL / REDIS_URL, else the embedded
ones under var/, started for the run or already running under `make demo`),
migrating it first; the bench tenant it creates is deleted at the end. Bounded: a few
seconds per round, loopback only. Prints `scenario value baseline ratio` lines.

    .venv/bin/python bench/api_overhead.py [--seconds 3] [--rounds 3] [--clients 4]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
from pathlib import Path

import _harness as h

ROOT = h.ROOT


def setup_tenant() -> tuple[int, int, str, str]:
    """Migrate the configured database and make a throwaway tenant with a read key."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from tenants import services
    from tenants.permissions import ApiKeyScope

    call_command("migrate", "--noinput", verbosity=0)
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # whitenoise warns without it
    suffix = secrets.token_hex(4)
    owner = get_user_model().objects.create_user(username=f"bench-{suffix}",
                                                 email=f"bench-{suffix}@bench.invalid")
    tenant = services.tenant_create(name=f"Bench {suffix}", owner=owner, slug=f"bench-{suffix}")
    from tenants.context import tenant_scope

    with tenant_scope(tenant):
        _, raw = services.api_key_create(tenant, name="bench", scope=ApiKeyScope.READ, actor=owner)
    from django.db import connection

    where = connection.settings_dict["HOST"] or "localhost"
    return tenant.pk, owner.pk, raw, f"PostgreSQL {connection.pg_version // 10000} at {where}"


def teardown_tenant(tenant_id: int, owner_id: int) -> None:
    from django.contrib.auth import get_user_model

    from tenants.services import tenant_delete

    tenant_delete(tenant_id)  # in the store's scope: the cascade sees every row it owns
    get_user_model().objects.filter(pk=owner_id).delete()


def gunicorn_env() -> dict[str, str]:
    return {**os.environ, "DEBUG": "0", "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "bench._settings",
            # One key hammers the API here; the per-key limit would turn the bench into 429s.
            "API_RATE_LIMIT": str(10**9)}


def load(port: int, path: str, headers: dict, seconds: float, clients: int) -> h.Sample:
    """`clients` threads, each with one keep-alive connection, for `seconds`."""
    return h.load(port, lambda client, n: (("GET", path, None, headers), 1),
                  seconds=seconds, clients=clients)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per scenario and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    from config import embedded
    from config.settings.core import VAR_DIR

    stack = embedded.start_for_process(VAR_DIR, log=lambda text: print(text, file=sys.stderr))
    try:
        return run(args)
    finally:
        if stack is not None:
            stack.stop()


def run(args: argparse.Namespace) -> int:
    tenant_id, owner_id, key, database = setup_tenant()
    port = h.free_port()
    children = h.Children()
    proc = children.spawn(h.gunicorn_args(port), env=gunicorn_env())
    scenarios = {
        "noop": ("/bench/noop", {}),
        "healthz": ("/healthz", {}),
        "api_tenant": ("/api/v1/tenant/", {"Authorization": f"Bearer {key}"}),
    }
    results: dict[str, list[h.Sample]] = {name: [] for name in scenarios}
    try:
        h.wait_http_ready(port, proc)
        for path, headers in scenarios.values():  # warm-up: imports, connections
            load(port, path, headers, 0.5, args.clients)
        # Interleaved rounds, so drift (other load, CPU boost) touches both alike.
        for _ in range(args.rounds):
            for name, (path, headers) in scenarios.items():
                results[name].append(load(port, path, headers, args.seconds, args.clients))
    finally:
        children.stop_all()
        teardown_tenant(tenant_id, owner_id)

    errors = {name: sum(s.errors for s in samples) for name, samples in results.items()}
    if any(errors.values()):
        print(f"non-200 answers: {errors}", file=sys.stderr)
        return 1

    def rps(name: str) -> float:
        return statistics.median(s.requests / args.seconds for s in results[name])

    def p50_ms(name: str) -> float:
        return statistics.median(lat for s in results[name] for lat in s.latencies) * 1000

    print(f"# {args.rounds} rounds x {args.seconds:g} s, {args.clients} clients, "
          f"gunicorn 2 workers, database: {database}")
    print("scenario value baseline ratio")
    base_rps, base_p50 = rps("noop"), p50_ms("noop")
    for name in scenarios:
        print(f"{name}_rps {rps(name):.1f} {base_rps:.1f} {rps(name) / base_rps:.3f}")
    for name in scenarios:
        print(f"{name}_p50_ms {p50_ms(name):.2f} {base_p50:.2f} {p50_ms(name) / base_p50:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The reusable cross-tenant harness.

Every URL that names an object in its path must be registered here, with a function that
makes such an object in Alice's tenant (A) and returns the URL kwargs; Carol (owner of tenant
B) must then get 404 for it with every listed method, from the dashboard (her session) or the
API (her key). A URL with path parameters that names no tenant object goes on
`NO_TENANT_OBJECT` with the reason. A new URL in neither place fails `test_cross_tenant.py`,
so isolation is checked for every endpoint that exists, not only the ones someone remembered.

Each area keeps its cases in its own module `tests/tenancy/cases_<area>.py`:

    @cross_tenant_case("dashboard:api-key-revoke", methods=("POST",))
    def _(p: Personas) -> dict:
        key, _ = services.api_key_create(p.tenant_a, name="x", actor=p.alice)
        return {"key_id": key.pk}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    url_name: str
    make_kwargs: Callable[..., dict]
    methods: tuple[str, ...]


CASES: dict[str, Case] = {}

# URL name → why it has path parameters but no tenant object to protect.
NO_TENANT_OBJECT: dict[str, str] = {}


def cross_tenant_case(url_name: str, *, methods: tuple[str, ...] = ("GET",)):
    def register(func: Callable[..., dict]) -> Callable[..., dict]:
        if url_name in CASES:
            raise ValueError(f"cross-tenant case {url_name!r} registered twice")
        CASES[url_name] = Case(url_name, func, methods)
        return func

    return register


def no_tenant_object(url_name: str, reason: str) -> None:
    NO_TENANT_OBJECT[url_name] = reason


def load_all_cases() -> None:
    """Import every `cases_*.py` module beside this one."""
    import importlib
    import pkgutil
    from pathlib import Path

    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if module.name.startswith("cases_"):
            importlib.import_module(f"tests.tenancy.{module.name}")

"""Cross-tenant entries for the shopper's returns portal. The slug (or the store's own domain)
names the store on purpose; the grant and the return's token are the authority, and each is
checked against that store (returns/tests/test_portal.py: another store's grant opens nothing,
another store's return token is 404, as is a photo of another request)."""

from .harness import cross_tenant_case, no_tenant_object

_SLUG = ("the slug names the store whose public returns portal this is; orders are looked up "
         "in that store's scope only, with the tracking lookup's rules and budget")
_GRANT = ("the grant is signed by us and names its store and order; a grant of another store, "
          "forged or expired opens nothing (returns/tests/test_portal.py)")
_TOKEN = ("the return's public token (unguessable, globally unique) names the request and its "
          "store, and must be the slug's (or the domain's) store, else 404")

# The same names on a store's own domain (/returns/…, returns/domain_urls.py).
no_tenant_object("returns-new", _GRANT)
no_tenant_object("returns-status", _TOKEN)
no_tenant_object("returns-photo", _TOKEN + "; the photo must belong to that request's lines")
no_tenant_object("returns-authorization", _TOKEN + " (tests/test_return_labels.py)")
no_tenant_object("returns-start", _SLUG)


# --- the retailer's Returns area (returns/views.py): ids of Alice's returns ---------------

def _alices_return(p):
    """A return of Alice's with a photo (a damaged jacket)."""
    from returns.tests.factories import make_order, make_policy, make_request

    make_policy(p.tenant_a)
    return make_request(p.tenant_a, make_order(p.tenant_a), reason="damaged")


def _alices_return_id(p) -> dict:
    return {"request_id": _alices_return(p).pk}


for _name, _methods in (("returns:detail", ("GET",)), ("returns:approve", ("POST",)),
                        ("returns:reject", ("POST",)), ("returns:receive", ("POST",)),
                        ("returns:settle", ("POST",)), ("returns:authorization", ("GET",))):
    cross_tenant_case(_name, methods=_methods)(_alices_return_id)


@cross_tenant_case("returns:photo")
def _alices_return_photo(p) -> dict:
    from returns.models import ReturnPhoto
    from tenants.context import tenant_scope

    request = _alices_return(p)
    with tenant_scope(p.tenant_a):
        photo = ReturnPhoto.objects.get(line__request=request)
    return {"request_id": request.pk, "photo_id": photo.pk}


# --- the API (/api/v1/returns/…): Alice's return, through Carol's key -------------------

def _alices_return_api(p) -> dict:
    return {"return_id": _alices_return(p).pk}


for _name in ("api-return-approve", "api-return-reject", "api-return-receive",
              "api-return-settle", "api-return-cancel"):
    cross_tenant_case(_name, methods=("POST",))(_alices_return_api)
cross_tenant_case("api-return-detail")(_alices_return_api)

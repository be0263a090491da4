"""A transactions export (one row per invoice line) becomes orders, products and customers:
cancellations, write-offs and non-product codes skipped, twice the same as once."""

import gzip
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from orders.models import Customer, LineItem, Order, Product
from tenants.context import tenant_scope

EXPORT = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom
536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom
536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom
C536379,71053,WHITE METAL LANTERN,-1,2010-12-01 09:41:00,3.39,17850,United Kingdom
536380,DCGS0003,BOXED GLASS ASHTRAY,1,2010-12-01 09:45:00,2.51,,United Kingdom
536381,22139,,-5,2010-12-01 09:50:00,0,,United Kingdom
A563185,B,Adjust bad debt,1,2011-08-12 14:50:00,-11062.06,,United Kingdom
536382,71053,"WHITE METAL LANTERN, LARGE",2,2011-01-04 10:00:00,3.50,12583,France
"""


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(EXPORT.encode()))
    return path


@pytest.mark.django_db
def test_invoices_become_orders_and_the_rest_is_skipped(personas, export):
    call_command("import_transactions", tenant="alpha", data=str(export), timezone="UTC")
    with tenant_scope(personas.tenant_a):
        orders = {o.number: o for o in Order.objects.select_related("customer")}
        assert set(orders) == {"536365", "536366", "536382"}
        first = orders["536365"]
        assert first.customer.external_id == "17850"
        assert first.placed_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
        assert first.total == Decimal("6") * Decimal("2.55") + Decimal("6") * Decimal("3.39")
        assert [ln.sku for ln in first.lines.order_by("position")] == ["85123A", "71053"]
        assert orders["536366"].customer is None and orders["536366"].lines.count() == 2
        lantern = Product.objects.get(external_id="71053")
        assert lantern.title == "WHITE METAL LANTERN" and lantern.price == Decimal("3.50")
        assert not Product.objects.filter(external_id__in=["POST", "DCGS0003", "B", "22139"])
        assert Customer.objects.count() == 2


@pytest.mark.django_db
def test_importing_the_same_export_twice_changes_nothing(personas, export):
    call_command("import_transactions", tenant="alpha", data=str(export))
    call_command("import_transactions", tenant="alpha", data=str(export))
    with tenant_scope(personas.tenant_a):
        assert (Order.objects.count(), LineItem.objects.count()) == (3, 5)


@pytest.mark.django_db
def test_only_invoices_before_a_day_and_never_into_another_store(personas, tmp_path):
    plain = tmp_path / "export.csv"  # not compressed: told by its bytes, not its name
    plain.write_text(EXPORT)
    call_command("import_transactions", tenant="alpha", data=str(plain), before="2011-01-01")
    with tenant_scope(personas.tenant_a):
        assert set(Order.objects.values_list("number", flat=True)) == {"536365", "536366"}
    with tenant_scope(personas.tenant_b):
        assert not Order.objects.exists() and not Product.objects.exists()


@pytest.mark.django_db
def test_a_file_of_another_shape_is_refused_clearly(personas, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("order,sku\n1,2\n")
    with pytest.raises(CommandError, match="no column 'InvoiceNo'"):
        call_command("import_transactions", tenant="alpha", data=str(other))
    with pytest.raises(CommandError, match="No store"):
        call_command("import_transactions", tenant="nobody", data=str(other))

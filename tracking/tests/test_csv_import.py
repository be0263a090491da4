"""CSV order import: good orders are imported, bad rows are reported by line with the reason,
a re-upload duplicates nothing, and tracking numbers become shipments."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from orders.models import Customer, ImportJob, LineItem, Order
from tenants.context import tenant_scope
from tracking.csv_import import orders_csv_import_run
from tracking.csv_rows import COLUMNS, MAX_ROWS, CsvFileError, csv_groups, template_csv
from tracking.models import Shipment

ROW = {"placed_at": "2026-03-02T10:15:00+01:00", "currency": "EUR", "title": "Tent",
       "quantity": "1", "unit_price": "249.00"}


def csv_bytes(*rows: dict, columns=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**ROW, **row})
    return out.getvalue().encode()


def run(tenant, content: bytes, captured) -> ImportJob:
    """Upload through the service the view uses, then run the queued task's work."""
    from tracking.csv_import import orders_csv_import_start

    with tenant_scope(tenant):
        with captured(execute=False):
            job = orders_csv_import_start(tenant, filename="orders.csv", content=content)
        done = orders_csv_import_run(tenant, job.pk)
    assert done is not None  # the job was just stored
    return done


@pytest.fixture
def captured(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


# --- reading the file ------------------------------------------------------------------

def test_the_template_reads_as_one_valid_order_with_two_lines_and_a_shipment():
    groups, rows = csv_groups(template_csv().encode())
    assert rows == 2 and len(groups) == 1
    group = groups[0]
    assert not group.errors and group.lines == [2, 3]
    assert group.order.external_id == "1001" and len(group.order.lines) == 2
    assert group.order.customer.consents == {"transactional_sms": True, "marketing_email": False}
    assert [(s.carrier, s.tracking_number) for s in group.shipments] == [
        ("DHL", "00340434161234567890")]


def test_a_header_without_required_columns_is_refused_as_a_whole():
    with pytest.raises(CsvFileError, match="order_number"):
        csv_groups(b"title,quantity\nTent,1\n")


def test_a_file_that_is_not_utf8_is_refused_with_advice():
    with pytest.raises(CsvFileError, match="UTF-8"):
        csv_groups("order_number,title\n1,Caf\xe9\n".encode("latin-1"))


def test_too_many_rows_are_refused(monkeypatch):
    monkeypatch.setattr("tracking.csv_rows.MAX_ROWS", 2)
    with pytest.raises(CsvFileError, match="more than 2"):
        csv_groups(csv_bytes(*({"order_number": str(n)} for n in range(3))))
    assert MAX_ROWS == 50_000


def test_every_bad_row_is_reported_by_its_line_with_the_reason():
    groups, _ = csv_groups(csv_bytes(
        {"order_number": "1"},
        {"order_number": "2", "quantity": "two"},
        {"order_number": "2", "unit_price": "-1"},
        {"order_number": "", "title": "Orphan"},
        {"order_number": "3", "carrier": "DHL"},
        {"order_number": "4", "email": "not-an-email"},
        {"order_number": "1", "currency": "USD"},
    ))
    errors = sorted(e for g in groups for e in g.errors)
    assert [line for line, _ in errors] == [3, 4, 5, 6, 7, 8]
    reasons = dict(errors)
    assert "quantity" in reasons[3] and "unit_price" in reasons[4]
    assert "order_number is empty" in reasons[5]
    assert "tracking_number" in reasons[6] and "e-mail" in reasons[7]
    assert "differs from line 2" in reasons[8]


# --- importing -------------------------------------------------------------------------

@pytest.mark.django_db
def test_good_orders_are_imported_while_a_group_with_a_bad_row_is_reported(personas, captured):
    content = csv_bytes(
        {"order_number": "A1", "email": "ana@example.test", "carrier": "usps",
         "tracking_number": "9400100"},
        {"order_number": "A1", "title": "Pegs", "quantity": "2", "unit_price": "5.50"},
        {"order_number": "B2", "quantity": "0"},
        {"order_number": "B2", "title": "Fine line"},
    )
    job = run(personas.tenant_a, content, captured)
    assert job.status == ImportJob.Status.DONE
    assert (job.total_rows, job.processed_rows, job.created_rows, job.error_count) == (4, 4, 2, 1)
    assert job.errors == [{"line": 4, "reason": "quantity must be 1 or more."}]
    with tenant_scope(personas.tenant_a):
        order = Order.objects.get()
        assert order.number == "A1" and order.source == Order.Source.CSV
        assert LineItem.objects.filter(order=order).count() == 2
        assert Customer.objects.get().email == "ana@example.test"
        shipment = Shipment.objects.get()
        assert (shipment.carrier, shipment.tracking_number, shipment.order_id) == (
            "USPS", "9400100", order.pk)


@pytest.mark.django_db
def test_uploading_the_same_file_again_creates_no_duplicates(personas, captured):
    content = template_csv().encode()
    first = run(personas.tenant_a, content, captured)
    second = run(personas.tenant_a, content, captured)
    assert (first.created_rows, first.skipped_rows) == (2, 0)
    assert (second.created_rows, second.skipped_rows) == (0, 2)
    assert "already imported" in second.message
    with tenant_scope(personas.tenant_a):
        assert Order.objects.count() == 1 and Shipment.objects.count() == 1
        assert LineItem.objects.count() == 2


@pytest.mark.django_db
def test_a_number_taken_by_another_order_is_reported_not_raised(personas, captured):
    run(personas.tenant_a, csv_bytes({"order_number": "N1", "order_id": "x-1"}), captured)
    job = run(personas.tenant_a, csv_bytes({"order_number": "N1", "order_id": "x-2"}), captured)
    assert job.status == ImportJob.Status.DONE and job.error_count == 1
    assert job.errors[0]["line"] == 2 and "N1" in job.errors[0]["reason"]


@pytest.mark.django_db
def test_a_file_that_cannot_be_read_fails_the_job_with_the_reason(personas, captured):
    job = run(personas.tenant_a, b"just,some\nwords,here\n", captured)
    assert job.status == ImportJob.Status.FAILED and "order_number" in job.message


# --- the pages -------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_template_downloads_as_csv(client, personas):
    client.force_login(personas.bob)
    response = client.get(reverse("tracking:orders-import-template"))
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == ",".join(COLUMNS) and len(lines) == 3


@pytest.mark.django_db
def test_an_upload_is_stored_queued_on_commit_and_its_progress_polled(
        client, personas, captured, monkeypatch):
    queued = []
    monkeypatch.setattr("tracking.tasks.orders_csv_import.apply_async",
                        lambda args, **options: queued.append(args))
    client.force_login(personas.bob)
    upload = io.BytesIO(template_csv().encode())
    upload.name = "spring.csv"
    with captured(execute=True):
        response = client.post(reverse("tracking:orders-import"), {"file": upload})
    with tenant_scope(personas.tenant_a):
        job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/import/{job.pk}/")
    assert bytes(job.content) == template_csv().encode() and job.created_by == personas.bob
    assert queued == [(personas.tenant_a.pk, job.pk)]

    fragment = client.get(reverse("tracking:orders-import-progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "Waiting to start" in fragment
    with tenant_scope(personas.tenant_a):
        orders_csv_import_run(personas.tenant_a, job.pk)
    fragment = client.get(reverse("tracking:orders-import-progress", args=[job.pk])).content.decode()
    assert "hx-trigger" not in fragment and "Import finished" in fragment
    page = client.get(reverse("tracking:orders-import")).content.decode()
    assert "spring.csv" in page


@pytest.mark.django_db
def test_a_viewer_cannot_upload(client, personas):
    from tenants.permissions import Role
    from tenants.tests.factories import UserFactory, add_member

    viewer = UserFactory(email="vic@alpha.test")
    add_member(personas.tenant_a, viewer, Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("tracking:orders-import")).status_code == 200
    upload = io.BytesIO(b"x")
    upload.name = "x.csv"
    assert client.post(reverse("tracking:orders-import"), {"file": upload}).status_code == 403


@pytest.mark.django_db
def test_the_orders_list_finds_an_order_by_number(client, personas, captured,
                                                  django_assert_max_num_queries):
    run(personas.tenant_a, csv_bytes(*({"order_number": f"L{n}", "email": f"s{n}@x.test"}
                                       for n in range(30))), captured)
    client.force_login(personas.bob)
    with django_assert_max_num_queries(8):
        body = client.get(reverse("orders:list")).content.decode()
    assert body.count("<tr>") == 31
    found = client.get(reverse("orders:list"), {"q": "L7"}).content.decode()
    # The numbers as the table shows them: a bare "L8" could be part of a random token.
    assert "<strong>L7</strong>" in found and "<strong>L8</strong>" not in found
    assert found.count("<tr>") == 2

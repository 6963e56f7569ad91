"""The dashboard and the report pages in a real Chromium: on a desktop and on a phone,
nothing scrolls sideways and every chart is drawn at a visible size."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from referral_engine import clock
from tests.agency import Agency
from tests.conftest import at
from tests.reports.scenario import build
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

NOW = "2026-11-20T12:00:00Z"
PAGES = ["/", "/reports", "/reports/sources", "/reports/funnel", "/reports/roi"]
SIZES = [(1280, 900), (390, 844)]

CHART_SIZES = """() => Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const box = svg.getBoundingClientRect();
  return [svg.id, box.width, box.height];
})"""


@pytest.fixture
def quarter(agency: Agency) -> Iterator[Agency]:
    build(agency)
    clock.pin(at(NOW))
    yield agency
    clock.pin(None)


def test_the_dashboard_and_reports_fit_a_desktop_and_a_phone_with_charts_drawn(  # type: ignore[no-untyped-def]
    live_server, page, quarter
) -> None:
    sign_in(page, live_server.url)
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for path in PAGES:
            response = page.goto(live_server.url + path)
            assert response is not None and response.status == 200, path
            fits = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
            assert page.evaluate(fits), f"{path} scrolls sideways at {width} px"
            sizes = page.evaluate(CHART_SIZES)
            if path != "/reports":
                assert sizes, f"{path} draws a chart"
            for ident, drawn_width, drawn_height in sizes:
                assert drawn_width > 0 and drawn_height > 0, (path, ident, width)
                assert drawn_width <= width, (path, ident, width)

"""The Asks list on a phone-sized screen: search, then the next page, without sideways
scrolling."""

from __future__ import annotations

import pytest

from tests.agency import Agency
from tests.web.test_lists_pages import many_asks  # noqa: F401 - the fixture
from tests.web.test_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_asks_list_searches_and_pages_at_390_pixels(  # type: ignore[no-untyped-def]
    live_server,
    page,
    agency: Agency,
    many_asks: dict[str, list[int]],  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url)
    page.click("button.menu-toggle")  # the phone menu is folded
    page.click("nav >> text=Asks")
    page.wait_for_url("**/asks")
    assert "Showing 1–50 of 55" in page.locator(".pager .count").first.inner_text()
    assert page.evaluate(NO_SIDEWAYS), "the list fits a phone's width"
    page.fill("form[role=search] input[name=q]", "tester")
    page.click("form[role=search] button:has-text('Search')")
    page.wait_for_url("**/asks?q=tester*")
    assert "Showing 1–28 of 28 for “tester”" in page.locator(".pager .count").first.inner_text()
    page.fill("form[role=search] input[name=q]", "client0")
    page.click("form[role=search] button:has-text('Search')")
    page.wait_for_url("**/asks?q=client0*")
    page.locator("a[rel=next]").first.click()
    page.wait_for_url("**/asks?q=client0&page=2")
    assert "Showing 51–55 of 55" in page.locator(".pager .count").first.inner_text()
    assert page.locator("tbody tr").count() == 5
    assert page.evaluate(NO_SIDEWAYS), "page 2 fits too"
    page.locator("a[rel=prev]").first.click()
    page.wait_for_url("**/asks?q=client0")

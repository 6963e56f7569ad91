"""Errors on a person's pages answer an HTML page in the app's layout with a link home;
the API keeps problem+json."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from referral_engine.web.app import create_app
from tests.web.forms_helpers import signed_in, soup


@pytest.mark.parametrize(
    "path", ["/asks/abc", "/referrals/99999999999999999999", "/nope", "/referrals/424242"]
)
def test_a_page_that_does_not_exist_is_a_404_page_with_a_link_home(api, path) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(api).get(path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = soup(response)
    assert page.h1.get_text() == "Page not found"
    assert page.find("a", href="/", string="Go to the dashboard")
    assert page.find("nav", attrs={"aria-label": "Main"}), "the app's layout, signed in"


def test_the_api_keeps_problem_json_for_a_bad_id(api) -> None:  # type: ignore[no-untyped-def]
    response = api.get("/api/v1/asks/abc")
    assert response.status_code in (404, 405, 422)
    assert response.headers["content-type"] == "application/problem+json"
    out_of_range = api.get("/api/v1/referrals/99999999999999999999")
    assert out_of_range.status_code == 422
    assert out_of_range.headers["content-type"] == "application/problem+json"
    missing = api.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_wrong_method_on_a_page_is_an_html_page(api) -> None:  # type: ignore[no-untyped-def]
    response = signed_in(api).delete("/settings")
    assert response.status_code == 405
    assert soup(response).h1.get_text() == "Not available this way"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_bug_on_a_page_is_an_html_500_page_without_details(ready_db: str) -> None:
    app = create_app(ready_db)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a secret detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Something went wrong on our side" in response.text
    assert "a secret detail" not in response.text
    assert "content-security-policy" in response.headers


def test_a_page_for_a_signed_out_visitor_still_has_a_link_home(api) -> None:  # type: ignore[no-untyped-def]
    response = TestClient(api.app).get("/nope")
    assert response.status_code == 404
    assert soup(response).find("a", href="/")

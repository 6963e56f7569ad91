"""Lists people can work: search (phones in any format, policy numbers), sort, pages with
counts, bad parameters answered in plain words; times on the agency's clock."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.agency import Agency
from tests.conftest import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.factories import event
from tests.queries import statements

IMPORTED = "2026-11-25T22:00:00Z"
BATCHES = ("2026-11-26T15:00:00Z", "2026-11-27T15:00:00Z", "2026-11-28T15:00:00Z")


def client_bind(n: int, **client: Any) -> dict[str, Any]:
    """A bind for client number ``n`` (a distinct person, number and policy)."""
    person = {
        "external_id": f"C-{n:04d}",
        "first_name": f"Client{n:03d}",
        "last_name": "Tester" if n % 2 else "Sample",
        "email": f"client{n}@example.com",
        "mobile": f"+1312555{n:04d}",
        **client,
    }
    document = event(id=f"bind-{n}")
    document["client"].update(person)
    document["policy"]["number"] = f"PA-{700000 + n}"
    return document


def signed_in(agency: Agency) -> Any:
    response = agency.api.post(
        "/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303
    return agency.api


def rows(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [tr.get("id", "") for tr in soup.select("tbody tr[id]")]


def pager(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    return " ".join(soup.select_one(".pager").get_text(" ").split())


@pytest.fixture
def many_asks(agency: Agency) -> dict[str, list[int]]:
    """55 asks made at three stated instants: 20, 20, then 15 clients; ask ids by batch."""
    made: dict[str, list[int]] = {}
    numbers = iter(range(1, 56))
    for batch, size in zip(BATCHES, (20, 20, 15), strict=True):
        agency.feed(*(client_bind(next(numbers)) for _ in range(size)), now=batch)
        agency.tick(batch)
        seen = {i for ids in made.values() for i in ids}
        made[batch] = sorted(a["id"] for a in agency.asks() if a["id"] not in seen)
    return made


def test_asks_page_two_shows_the_oldest_five_with_counts_newest_first(
    agency: Agency, many_asks: dict[str, list[int]]
) -> None:
    page = signed_in(agency)
    first = page.get("/asks")
    assert first.status_code == 200
    assert "Showing 1–50 of 55" in pager(first.text)
    shown = rows(first.text)
    newest = [f"ask-{i}" for i in sorted(many_asks[BATCHES[2]], reverse=True)]
    assert shown[:15] == newest, "the newest batch first"
    second = page.get("/asks?page=2")
    assert "Showing 51–55 of 55" in pager(second.text)
    oldest = sorted(many_asks[BATCHES[0]], reverse=True)[-5:]
    assert rows(second.text) == [f"ask-{i}" for i in oldest]
    soup = BeautifulSoup(second.text, "html.parser")
    assert soup.select_one("a[rel=prev]")["href"] == "/asks"
    assert soup.select_one("a[rel=next]") is None


@pytest.fixture
def dana(agency: Agency) -> int:
    """Dana Reyes (+13125550010, policy PA-778812) among two other clients; her id."""
    agency.feed(
        client_bind(1, first_name="Dana", last_name="Reyes", mobile="+13125550010"),
        client_bind(2, first_name="Noor", last_name="Haddad"),
        client_bind(3, first_name="Lee", last_name="Park"),
        now=IMPORTED,
    )
    found = signed_in(agency).get("/contacts?q=Reyes")
    return int(rows(found.text)[0].removeprefix("client-"))


@pytest.mark.parametrize("typed", ["(312) 555-0010", "312.555.0010", "+1 312 555 0010", "0010"])
def test_a_phone_number_in_any_format_finds_the_client(
    agency: Agency, dana: int, typed: str
) -> None:
    found = signed_in(agency).get("/contacts", params={"q": typed})
    assert found.status_code == 200
    assert rows(found.text) == [f"client-{dana}"]
    assert "Showing 1 of 1" in pager(found.text)


def test_a_policy_number_finds_its_holder_and_its_ask(agency: Agency, dana: int) -> None:
    page = signed_in(agency)
    assert rows(page.get("/contacts?q=pa-700001").text) == [f"client-{dana}"]
    agency.tick("2026-11-25T23:00:00Z")
    asks = rows(page.get("/asks?q=PA-700001").text)
    assert len(asks) == 1
    assert asks[0] == f"ask-{agency.asks(client_external_id='C-0001')[0]['id']}"


def test_contacts_sort_by_name_turns_on_a_second_click(agency: Agency, dana: int) -> None:
    page = signed_in(agency)
    names = [f"client-{dana}"]
    ascending = rows(page.get("/contacts").text)
    assert ascending.index(names[0]) == 2, "Haddad, Park, Reyes"
    soup = BeautifulSoup(page.get("/contacts").text, "html.parser")
    header = soup.select_one("th[aria-sort] a")
    assert header is not None and "dir=desc" in header["href"]
    descending = rows(page.get(header["href"]).text)
    assert descending == list(reversed(ascending))


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("page=abc", "is not a page number"),
        ("page=0", "is not a page number"),
        ("page=99", "There is no page 99"),
        ("sort=bogus", "cannot be sorted by"),
        ("dir=sideways", "neither asc nor desc"),
        ("status=bogus&channel=fax&who=nobody", "Showing 1–3 of 3"),
        ("since=9999-12-31&until=0001-01-01", "is not a date"),
        ("page=1000000000", "is not a page number"),
    ],
)
@pytest.mark.parametrize("path", ["/asks", "/contacts"])
def test_bad_list_parameters_fall_back_and_say_so(
    agency: Agency, dana: int, path: str, query: str, said: str
) -> None:
    agency.tick("2026-11-25T23:00:00Z")
    answer = signed_in(agency).get(f"{path}?{query}")
    assert answer.status_code == 200
    assert said in answer.text
    assert len(rows(answer.text)) == 3


def test_phones_on_the_contact_list_and_page_are_tap_to_call_and_text(
    agency: Agency, dana: int
) -> None:
    page = signed_in(agency)
    for shown in (page.get("/contacts?q=reyes").text, page.get(f"/contacts/{dana}").text):
        soup = BeautifulSoup(shown, "html.parser")
        assert soup.select_one("a[href='tel:+13125550010']").get_text() == "(312) 555-0010"
        assert soup.select_one("a[href='sms:+13125550010']") is not None


EVERY_LIST = ["/asks", "/review", "/tasks", "/referrals", "/contacts", "/outbox", "/inputs"]
EVERY_LIST += ["/team", "/webhooks"]


@pytest.mark.parametrize("path", EVERY_LIST)
def test_every_list_searches_pages_and_refuses_bad_parameters_in_plain_words(
    agency: Agency, dana: int, path: str
) -> None:
    agency.tick("2026-11-25T23:00:00Z")
    page = signed_in(agency)
    plain = page.get(path)
    assert plain.status_code == 200
    soup = BeautifulSoup(plain.text, "html.parser")
    assert soup.select_one("form[role=search] input[name=q]") is not None
    assert soup.select_one(".pager .count") is not None
    bad = page.get(path, params={"page": "abc", "sort": "bogus", "dir": "up", "q": "%_'"})
    assert bad.status_code == 200
    assert "is not a page number" in bad.text and "cannot be sorted by" in bad.text
    found = page.get(path, params={"q": "(312) 555-0010", "page": "7"})
    assert found.status_code == 200


def test_referrals_search_by_the_prospects_phone_in_any_format(agency: Agency, dana: int) -> None:
    for n, mobile in ((1, "+13125550044"), (2, "+13125550055")):
        made = agency.post(
            "/api/v1/referrals",
            {
                "prospect": {"first_name": f"Prospect{n}", "last_name": "Lin", "mobile": mobile},
                "referred_by": {"kind": "client", "external_id": "C-0001"},
            },
            now=f"2026-11-2{6 + n}T15:00:00Z",
        )
        assert made.status_code == 201, made.text
    page = signed_in(agency)
    everyone = BeautifulSoup(page.get("/referrals").text, "html.parser")
    names = [h.get_text(" ") for h in everyone.select(".referral h2 a")]
    assert names[:2] == ["Prospect2 Lin", "Prospect1 Lin"], "newest first"
    found = BeautifulSoup(page.get("/referrals?q=312-555-0044").text, "html.parser")
    assert [h.get_text(" ") for h in found.select(".referral h2 a")] == ["Prospect1 Lin"]
    assert "Showing 1 of 1" in pager(str(found))
    by_referrer = BeautifulSoup(page.get("/referrals?q=reyes").text, "html.parser")
    assert len(by_referrer.select(".referral")) == 2, "the referring client's name"
    api = agency.api.get("/api/v1/referrals", params={"q": "(312) 555-0044"})
    assert [r["prospect"]["first_name"] for r in api.json()] == ["Prospect1"]


def test_asks_sort_by_client_turns_with_a_second_click(agency: Agency, dana: int) -> None:
    agency.tick("2026-11-25T23:00:00Z")
    page = signed_in(agency)
    soup = BeautifulSoup(page.get("/asks").text, "html.parser")
    by_client = next(a for a in soup.select("thead a") if a.get_text().startswith("Client"))
    ascending = BeautifulSoup(page.get(str(by_client["href"])).text, "html.parser")
    names = [a.get_text() for a in ascending.select("tbody td:first-child a")]
    assert names == ["Noor Haddad", "Lee Park", "Dana Reyes"]
    header = ascending.select_one("th[aria-sort=ascending] a")
    descending = BeautifulSoup(page.get(str(header["href"])).text, "html.parser")
    assert [a.get_text() for a in descending.select("tbody td:first-child a")] == names[::-1]
    assert descending.select_one("th[aria-sort=descending]") is not None


def test_the_asks_api_searches_as_the_page_does(agency: Agency, dana: int) -> None:
    agency.tick("2026-11-25T23:00:00Z")
    for typed in ("(312) 555-0010", "PA-700001"):
        found = agency.api.get("/api/v1/asks", params={"q": typed})
        assert found.status_code == 200
        assert [a["client_external_id"] for a in found.json()] == ["C-0001"]
    assert len(agency.api.get("/api/v1/asks").json()) == 3


def test_the_tasks_api_searches_and_pages_as_the_page_does(agency: Agency, dana: int) -> None:
    """A referral's contact task is found by the referred person's number or the referring
    client's (any format), in the API and on the Tasks page alike."""
    referred = (("C-0001", "+13125550044", "2026-11-26T15:00:00Z"),)
    referred += (("C-0002", "+13125550055", "2026-11-27T15:00:00Z"),)
    for n, (referrer, mobile, when) in enumerate(referred, start=1):
        prospect = {"first_name": f"Prospect{n}", "last_name": "Lin", "mobile": mobile}
        made = agency.post(
            "/api/v1/referrals",
            {"prospect": prospect, "referred_by": {"kind": "client", "external_id": referrer}},
            now=when,
        )
        assert made.status_code == 201, made.text
    every = agency.api.get("/api/v1/tasks").json()
    assert [t["title"] for t in every] == [
        "Contact Prospect1 Lin within 24 hours",
        "Contact Prospect2 Lin within 24 hours",
    ], "soonest due first"
    for typed in ("(312) 555-0010", "312.555.0010", "+1 312 555 0044", "Dana Reyes"):
        found = agency.api.get("/api/v1/tasks", params={"q": typed}).json()
        assert [t["title"] for t in found] == [every[0]["title"]], typed
    page = signed_in(agency).get("/tasks", params={"who": "all", "q": "312-555-0055"})
    assert "Prospect2 Lin" in page.text and "Prospect1 Lin" not in page.text
    assert agency.api.get("/api/v1/tasks", params={"offset": 1}).json() == every[1:]
    nobody = agency.api.get("/api/v1/tasks", params={"assignee": "nobody@example.com"})
    assert nobody.status_code == 200 and nobody.json() == []
    assert agency.api.get("/api/v1/tasks", params={"q": "x" * 201}).status_code == 422


@pytest.mark.parametrize("path", ["/asks", "/review"])
def test_a_full_page_of_asks_costs_no_more_queries_than_three(agency: Agency, path: str) -> None:
    """Sensitive clients: each ask waits for review, so both lists show them all."""
    agency.feed(*(client_bind(n, sensitive=True) for n in range(1, 4)), now=IMPORTED)
    agency.tick("2026-11-25T23:00:00Z")
    page = signed_in(agency)
    with statements(agency.url) as few:
        assert len(asks_shown(page.get(path).text)) == 3
    agency.feed(*(client_bind(n, sensitive=True) for n in range(4, 54)), now=BATCHES[0])
    agency.tick(BATCHES[0])
    with statements(agency.url) as many:
        shown = page.get(path).text
    assert len(asks_shown(shown)) == 50 and "of 53" in pager(shown)
    assert len(many) <= len(few) + 2, "\n".join(many)


def asks_shown(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [str(e["id"]) for e in soup.select("[id^=ask-]") if e["id"][4:].isdigit()]


@pytest.mark.parametrize("listed", [5_000, 2, 0])
def test_an_ask_search_finds_the_same_asks_however_many_clients_it_matches(
    agency: Agency, many_asks: dict[str, list[int]], monkeypatch: pytest.MonkeyPatch, listed: int
) -> None:
    """The clients a search finds are listed by id up to a bound; past it, the few left
    out are excluded instead, or the clients are looked up inside the query."""
    monkeypatch.setattr("referral_engine.asks.repository.LISTED_CLIENTS", listed)
    page = signed_in(agency)
    everyone = page.get("/asks", params={"q": "example.com"})
    assert "Showing 1–50 of 55" in pager(everyone.text)
    testers = page.get("/asks", params={"q": "tester"})  # the odd-numbered clients
    assert "Showing 1–28 of 28" in pager(testers.text)
    both = page.get("/asks", params={"q": "tester client001"})
    assert "Showing 1 of 1" in pager(both.text)
    nobody = page.get("/asks", params={"q": "zzyzx"})
    assert "None found" in pager(nobody.text)
    second = page.get("/asks", params={"q": "example.com", "page": "2"})
    assert sorted(rows(second.text)) == sorted(f"ask-{i}" for i in many_asks[BATCHES[0]][:5])


def test_a_date_range_on_the_agencys_clock_narrows_the_asks(
    agency: Agency, many_asks: dict[str, list[int]]
) -> None:
    page = signed_in(agency)
    middle = page.get("/asks", params={"since": "2026-11-27", "until": "2026-11-27"})
    assert "Showing 1–20 of 20" in pager(middle.text)
    assert sorted(rows(middle.text)) == sorted(f"ask-{i}" for i in many_asks[BATCHES[1]])
    later = page.get("/asks", params={"since": "2026-11-27", "q": "client0"})
    assert "Showing 1–35 of 35" in pager(later.text)
    bad = page.get("/asks", params={"since": "yesterday"})
    assert bad.status_code == 200 and "is not a date" in bad.text
    assert "Showing 1–50 of 55" in pager(bad.text)

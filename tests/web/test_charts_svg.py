"""The SVG charts themselves: escaped labels, the numbers as given, colours that meet
WCAG AA on the app's backgrounds, and a plain word when there is nothing to draw."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from referral_engine.web.pages import charts
from referral_engine.web.pages.charts import Datum

BACKGROUNDS = ("#ffffff", "#f6f8fb")  # cards and the page (app.css)


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


DATA = [Datum("Oak <Street> & Co", 3), Datum("Net", -2.5, "-2.50 USD"), Datum("Zero", 0)]
DRAW = [
    ("bar_chart", "rect.bar"),
    ("trend_chart", "circle.point"),
    ("funnel_chart", "rect.step"),
]


@pytest.mark.parametrize(("name", "shape"), DRAW)
def test_a_chart_keeps_the_numbers_and_escapes_the_labels(name: str, shape: str) -> None:
    svg = str(getattr(charts, name)(ident="c", title="T <1>", desc="D & d", data=DATA))
    assert "<Street>" not in svg and "Oak &lt;Street&gt; &amp; Co" in svg
    soup = BeautifulSoup(svg, "html.parser")
    drawn = [(s["data-label"], s["data-value"]) for s in soup.select(shape)]
    assert drawn == [("Oak <Street> & Co", "3"), ("Net", "-2.5"), ("Zero", "0")]
    root = soup.svg
    assert root is not None and root["role"] == "img"
    assert root["aria-labelledby"] == "c-title c-desc"
    assert soup.select_one("#c-title").text == "T <1>"  # type: ignore[union-attr]
    assert "style=" not in svg and "<script" not in svg


@pytest.mark.parametrize(("name", "shape"), DRAW)
def test_every_colour_on_a_chart_meets_aa_on_the_apps_backgrounds(name: str, shape: str) -> None:
    svg = str(getattr(charts, name)(ident="c", title="t", desc="d", data=DATA))
    colours = set(re.findall(r'(?:fill|stroke)="(#[0-9a-fA-F]{6})"', svg)) - {"#ffffff"}
    assert colours, "the chart names its colours as presentation attributes"
    for colour in colours:
        for background in BACKGROUNDS:
            assert contrast(colour, background) >= 4.5, (colour, background)
    # White numbers sit only on the bars' blue.
    assert contrast("#ffffff", charts.BAR) >= 4.5


def test_a_negative_value_is_drawn_left_of_zero_in_red() -> None:
    soup = BeautifulSoup(
        str(charts.bar_chart(ident="c", title="t", desc="d", data=DATA)), "html.parser"
    )
    positive, negative, _ = soup.select("rect.bar")
    assert negative["fill"] == charts.BAD and positive["fill"] == charts.BAR
    assert float(str(negative["x"])) < float(str(positive["x"]))


@pytest.mark.parametrize("name", ["bar_chart", "trend_chart", "funnel_chart"])
def test_a_chart_with_nothing_to_draw_says_so(name: str) -> None:
    svg = str(getattr(charts, name)(ident="c", title="t", desc="d", data=[]))
    assert "Nothing to show yet." in svg and 'role="img"' in svg

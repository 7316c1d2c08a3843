"""The server-made SVG charts: well-formed, accessible, with the bars and points the data has."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter

from app.stats import charts

from .test_stats import DAYS, HI, LO, N, api, history, stats_db, stats_template

__all__ = ["api", "history", "stats_db", "stats_template"]  # fixtures shared with test_stats

SVG = "{http://www.w3.org/2000/svg}"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    root = ET.fromstring(response.content)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 800 ")
    assert root.get("width") is None  # sized by its box, not in pixels
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text and desc is not None and desc.text
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return root


def having_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def test_series_chart_has_a_line_and_a_point_per_day_and_category(api) -> None:
    root = parse(api("/api/stats/charts/series.svg", lang="en", **{"from": LO, "to": HI}))
    assert root.find(f"{SVG}title").text.startswith("Incidents per day")
    assert len(having_class(root, "line")) == 4
    assert len(having_class(root, "point")) == 4 * DAYS
    series = [g.get("data-series") for g in having_class(root, "series")]
    assert series == ["Crime and public order", "Traffic accident", "Fire or explosion", "Other emergency"]
    # Told apart without colour: every line has its own dash pattern.
    assert len({e.get("stroke-dasharray") for e in having_class(root, "line")}) == 4
    desc = root.find(f"{SVG}desc").text
    assert f"Total {N}" in desc


def test_series_as_stacked_areas_filled_with_patterns(api) -> None:
    root = parse(api("/api/stats/charts/series.svg", kind="area", bucket="week",
                     **{"from": LO, "to": HI}))
    areas = having_class(root, "area")
    assert len(areas) == 4
    assert sum(a.get("fill", "").startswith("url(#") for a in areas) == 3  # and one solid


def test_wards_chart_draws_a_bar_per_ward_with_its_vietnamese_name(api, history) -> None:
    root = parse(api("/api/stats/charts/wards.svg", **{"from": LO, "to": HI}))
    bars = having_class(root, "bar")
    assert len(bars) == 20  # the default top 20; the CSV has them all
    busiest = Counter(i["ward_code"] for i in history.incidents).most_common(1)[0][1]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert str(busiest) in texts
    assert any(t and (t.startswith("Phường ") or t.startswith("Xã ")) for t in texts)
    widths = [float(b.get("width")) for b in bars]
    assert widths == sorted(widths, reverse=True)
    shares = parse(api("/api/stats/charts/wards.svg", measure="share_60s", top=5))
    assert len(having_class(shares, "bar")) <= 5
    assert any("%" in (t.text or "") for t in shares.iter(f"{SVG}text"))


def test_histogram_chart_has_its_bins_and_both_markers(api) -> None:
    root = parse(api("/api/stats/charts/histogram.svg", stage="unit_acknowledge", bins=12,
                     lang="en", **{"from": LO, "to": HI}))
    assert len(having_class(root, "bar")) == 13  # 12 bins and the open one
    markers = having_class(root, "marker")
    assert len(markers) == 2
    labels = [t.text for m in markers for t in m.iter(f"{SVG}text")]
    assert labels[0].startswith("Median: ") and labels[1].startswith("P90: ")
    dashes = [line.get("stroke-dasharray") for m in markers for line in m.iter(f"{SVG}line")]
    assert dashes[0] != dashes[1]


def test_every_text_is_escaped(api, svc) -> None:
    svc.db.write_sync(lambda tx: tx.execute(
        "UPDATE wards SET name = ? WHERE code = (SELECT ward_code FROM incidents"
        " WHERE ward_code IS NOT NULL GROUP BY ward_code ORDER BY count(*) DESC LIMIT 1)",
        ('Phường <script>alert("x")</script> & Co',)))
    response = api("/api/stats/charts/wards.svg", **{"from": LO, "to": HI})
    root = parse(response)
    assert b"<script>" not in response.content
    assert any("<script>" in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_chart_functions_escape_and_survive_no_data() -> None:
    for svg in (
        charts.line_chart("<T&>", "d", [], [("a", [])], "y"),
        charts.bar_chart("t", "<d>", [], "x"),
        charts.histogram_chart("t", "d", [(0, 10, 0), (10, None, 0)], [("m", float("nan"))], "x", "y"),
        charts.bar_chart("t", "d", [('"quoted" & <b>', 3.0, "3")], "x"),
    ):
        ET.fromstring(svg)


def test_a_series_with_one_day_of_data_is_a_column_not_a_line_from_the_day_before() -> None:
    days = ["01/12", "02/12", "03/12"]
    for area in (False, True):
        svg = charts.line_chart("t", "d", days, [("Cháy nổ", [0, 0, 4]), ("Khác", [0, 0, 1])], "y", area=area)
        root = ET.fromstring(svg)
        assert having_class(root, "line") == [] and having_class(root, "area") == []
        bars = having_class(root, "bar")
        assert [b.find(f"{SVG}title").text for b in bars] == ["Cháy nổ, 03/12: 4", "Khác, 03/12: 1"]
        assert len({b.get("x") for b in bars}) == 1
    # Two days of data: still a line (the fall back is for a lone day only).
    root = ET.fromstring(charts.line_chart("t", "d", days, [("a", [0, 2, 4])], "y"))
    assert len(having_class(root, "line")) == 1


def test_series_as_stacked_columns(api) -> None:
    root = parse(api("/api/stats/charts/series.svg", kind="bars", **{"from": LO, "to": HI}))
    assert having_class(root, "line") == [] and having_class(root, "area") == []
    series = having_class(root, "series")
    assert len(series) == 4
    total = sum(int(b.find(f"{SVG}title").text.rsplit(": ", 1)[1]) for b in having_class(root, "bar"))
    assert total == N

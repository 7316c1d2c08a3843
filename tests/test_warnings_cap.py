"""CAP 1.2 for relays (issue 24): every document validates against the OASIS schema vendored in
tests/cap/, capparselib (PyPI) reads the feed, and the public page reads with no script."""

from __future__ import annotations

from pathlib import Path

import pytest
from capparselib.parsers import CAPParser
from lxml import etree
from starlette.testclient import TestClient

from app.services import Services

from .warnings_helpers import PHU_MY, TAN_PHU, body, police, publish

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).resolve().parent / "cap" / "CAP-v1.2.xsd")))


@pytest.fixture
def people(login) -> dict[str, dict[str, str]]:
    return police(login)


NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2", "atom": "http://www.w3.org/2005/Atom"}


def valid_cap(client: TestClient, warning_id: str) -> etree._Element:
    r = client.get(f"/warnings/{warning_id}.cap.xml")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/cap+xml")
    doc = etree.fromstring(r.content)
    SCHEMA.assertValid(doc)
    return doc


def text(doc: etree._Element, path: str) -> list[str]:
    return [e.text for e in doc.xpath(path, namespaces=NS)]


def test_an_alert_its_update_and_its_cancel_are_valid_cap(
    client: TestClient, svc: Services, people: dict[str, dict[str, str]]
) -> None:
    tricky = 'Cháy <chợ> & "kho" hàng'
    first = publish(client, people, wards=[TAN_PHU, PHU_MY], headline=tricky, headline_en="Fire at the market",
                    description_en="The fire is spreading.", instruction_en="Keep away.")
    doc = valid_cap(client, first)
    assert text(doc, "/cap:alert/cap:identifier") == [first]
    assert text(doc, "/cap:alert/cap:status") == ["Actual"]
    assert text(doc, "/cap:alert/cap:msgType") == ["Alert"]
    assert text(doc, "/cap:alert/cap:scope") == ["Public"]
    assert text(doc, "/cap:alert/cap:sent")[0].endswith("+07:00")  # the city's clock, CAP's format
    assert text(doc, "//cap:info/cap:language") == ["vi-VN", "en-US"]
    assert text(doc, "//cap:info/cap:category") == ["Fire", "Fire"]
    assert text(doc, "//cap:info[1]/cap:headline") == [tricky]  # escaped by the library, read back whole
    assert text(doc, "//cap:info[2]/cap:headline") == ["Fire at the market"]
    assert text(doc, "//cap:info[1]/cap:severity") == ["Severe"]
    areas = doc.xpath("//cap:info[1]/cap:area", namespaces=NS)
    assert [a.findtext("cap:areaDesc", namespaces=NS) for a in areas] == ["Phường Phú Mỹ", "Phường Tân Phú"]
    for area, code in zip(areas, (PHU_MY, TAN_PHU), strict=True):
        assert area.findtext("cap:geocode/cap:valueName", namespaces=NS) == "ward"
        assert area.findtext("cap:geocode/cap:value", namespaces=NS) == str(code)
        polygon = area.findtext("cap:polygon", namespaces=NS)  # the sample boundaries have one
        points = polygon.split(" ")
        assert len(points) >= 4 and points[0] == points[-1]
        lat, lon = map(float, points[0].split(","))
        assert 10 < lat < 11.5 and 106 < lon < 107.5  # lat first: Ho Chi Minh City, not the sea

    new = client.post(f"/api/warnings/{first}/update", json=body(), headers=people["dispatcher"]).json()["id"]
    client.post(f"/api/warnings/{new}/approve", headers=people["supervisor"])
    update = valid_cap(client, new)
    assert text(update, "/cap:alert/cap:msgType") == ["Update"]
    (refs,) = text(update, "/cap:alert/cap:references")
    sender, ident, sent = refs.split(",")
    assert (sender, ident) == (svc.settings.cap_sender, first) and sent == text(doc, "/cap:alert/cap:sent")[0]
    assert text(update, "//cap:info/cap:language") == ["vi-VN"]  # no English given this time

    cancel_id = client.post(f"/api/warnings/{new}/cancel", headers=people["supervisor"]).json()["cancel_id"]
    cancel = valid_cap(client, cancel_id)
    assert text(cancel, "/cap:alert/cap:msgType") == ["Cancel"]
    assert [r.split(",")[1] for r in text(cancel, "/cap:alert/cap:references")[0].split(" ")] == [first, new]

    # A draft has no CAP document; the whole city is one area without a geocode; exercises say so.
    draft = client.post("/api/warnings", json=body(), headers=people["dispatcher"]).json()["id"]
    assert client.get(f"/warnings/{draft}.cap.xml").status_code == 404
    city = valid_cap(client, publish(client, people, wards="all", exercise=True))
    assert text(city, "/cap:alert/cap:status") == ["Exercise"]
    assert text(city, "//cap:area/cap:areaDesc") == ["Thành phố Hồ Chí Minh"]
    assert text(city, "//cap:area/cap:geocode/cap:value") == ["79"]


def test_capparselib_reads_the_feed(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    live = publish(client, people, category="crime", severity="Moderate")
    gone = publish(client, people, wards=[PHU_MY])
    cancel_id = client.post(f"/api/warnings/{gone}/cancel", headers=people["dispatcher"]).json()["cancel_id"]
    client.post("/api/warnings", json=body(), headers=people["dispatcher"])  # a draft: not in the feed
    r = client.get("/warnings/cap.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = etree.fromstring(r.content)
    for alert in feed.xpath("//atom:entry/atom:content/cap:alert", namespaces=NS):
        SCHEMA.assertValid(etree.fromstring(etree.tostring(alert)))
    alerts = CAPParser(r.text).as_dict()
    found = {str(a["cap_id"]): a for a in alerts}
    assert set(found) == {live, cancel_id}
    assert str(found[live]["cap_message_type"]) == "Alert"
    assert str(found[live]["cap_info"][0]["cap_category"]) == "Security"
    assert str(found[cancel_id]["cap_message_type"]) == "Cancel"
    # And each entry's own link gives the same alert, which capparselib reads too.
    for href in feed.xpath("//atom:entry/atom:link[@rel='alternate']/@href", namespaces=NS):
        path = "/" + href.split("/", 3)[3]
        (one,) = CAPParser(client.get(path).text).as_dict()
        assert str(one["cap_id"]) in found


def test_the_public_page_reads_without_script(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    empty = client.get("/warnings/")
    assert empty.status_code == 200 and "Hiện không có cảnh báo nào" in empty.text
    publish(client, people, headline="Ngập sâu <đường> Lũy Bán Bích", headline_en="Deep flooding",
            instruction="Đi đường khác.", category="Met")
    publish(client, people, headline="Diễn tập: không hiển thị", exercise=True)
    r = client.get("/warnings/")
    assert "Ngập sâu &lt;đường&gt; Lũy Bán Bích" in r.text and "Deep flooding" in r.text
    assert "Diễn tập: không hiển thị" not in r.text
    assert 'href="tel:113"' in r.text and 'href="tel:114"' in r.text and 'href="tel:115"' in r.text
    assert "<script" not in r.text and "style=" not in r.text
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'none': no script at all
    assert client.get("/warnings/warnings.css").headers["content-type"].startswith("text/css")
    # The gravest first, whatever came last.
    publish(client, people, headline="Nguy hiểm nhất", severity="Extreme")
    publish(client, people, headline="Nhẹ nhất, mới nhất", severity="Minor")
    text = client.get("/warnings/").text
    assert text.index("Nguy hiểm nhất") < text.index("Ngập sâu") < text.index("Nhẹ nhất, mới nhất")

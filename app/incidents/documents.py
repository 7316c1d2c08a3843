"""The shapes of the four document kinds, and the writer rules checked on every incoming update.

Each check compares the document before and after an update (both pycrdt Docs; `after` is the shadow
copy with the update applied) and raises `Invalid` with a reason a developer can act on. The rules
keep one writer class per document (DESIGN §3) and make the logs append-only, so that an honest
client is never refused and a dishonest one changes nothing.

Layouts (root types):
    report/<id>   Map "report": category, description, lat, lon, accuracy, created_at,
                  media (Array of ids), contact {name, phone}, messages (Array of {id, text, at}),
                  danger (optional bool: someone is hurt or a life is in danger),
                  warning (optional: the id of the public warning whose "need help" made it),
                  silent (optional bool: made without a sound; P1 whatever the category),
                  track (optional Array of {lat, lon, accuracy, at}: the author's live location,
                  appended while the incident is open; docs/silent.md)
    incident/<id> Map "incident": info (server), dispatch (Array, dispatchers' entries),
                  timeline (Array, assigned officers' entries)
    reply/<id>    Map "reply": status, stage (en_route/on_scene/resolved/closed, optional), reason,
                  merged_into, updated_at, messages (Array)
    inbox/<unit>  Map "incidents": incident id -> summary
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from pycrdt import Array, Doc, Map

CATEGORIES = ("crime", "traffic", "fire", "other")
DEFAULT_PRIORITY = {"crime": 1, "fire": 1, "traffic": 2, "other": 3}


def default_priority(category: str, danger: bool = False, silent: bool = False) -> int:
    """A life in danger is P1 whatever the category: a drowning filed under "other" is not P3.
    So is a silent report: whoever cannot speak may be in danger (issue 29)."""
    return 1 if danger or silent else DEFAULT_PRIORITY[category]
MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
ENTRY_ID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
MAX_RECIPIENTS = 100  # reports merged into one incident that one message may name
WARNING_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
UNIT_CODE = re.compile(r"^(center|ward-\d{1,6}|dept-[a-z0-9-]{1,32})$")
PHONE = re.compile(r"^\+?[0-9 .\-]{6,20}$")

MAX_DESCRIPTION = 4000
MAX_MESSAGE = 1000
MAX_MEDIA = 20
MAX_MESSAGES = 200
MAX_NOTE = 2000
MAX_LOG = 500
# The live location of a silent report (issue 29): a fix every 10 s for five and a half hours.
MAX_TRACK = 2000
MAX_TRACK_ACCURACY = 5000  # metres; worse says nothing about which street (as officers' fixes)
TRACK_SKEW_MS = 120_000  # a phone's clock a little ahead of the server's, or of its own report

REPORT_FIELDS = {
    "category", "description", "lat", "lon", "accuracy", "created_at", "media", "contact", "messages",
    "danger", "warning", "silent", "track",
}
# Once received, what the citizen first said is evidence: later details go in `messages`.
REPORT_FROZEN = (
    "category", "description", "lat", "lon", "accuracy", "created_at", "danger", "warning", "silent",
)

DISPATCH_ACTIONS = {"verify", "reject", "merge", "dispatch", "withdraw", "message", "note", "close", "reopen"}
TIMELINE_TYPES = ("acknowledged", "en_route", "on_scene", "resolved", "need_support", "note")
OUTCOMES = ("handled", "arrested", "warned", "transferred", "false_alarm", "no_action")
REJECT_REASONS = ("spam", "false", "not_police", "other")


class Invalid(ValueError):
    """The update breaks a schema or writer rule; the message says which (in English, for logs and
    developers), `code` says it for the apps, which translate it with `params` (docs/sync.md,
    "Refusal codes"). A rule without a code of its own says `invalid`."""

    def __init__(self, message: str, code: str = "invalid", **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


# Text fields the citizen types, with codes of their own: the app can say "the description is
# 4,005 characters; at most 4,000" in the citizen's language and lead back to the field.
TEXT_CODES = {"description": "description", "message text": "message", "contact.name": "contact_name"}


# -- helpers ------------------------------------------------------------------------------------
def roots(doc: Doc) -> set[str]:
    return set(doc.keys())


def only_roots(doc: Doc, allowed: Iterable[str]) -> None:
    extra = roots(doc) - set(allowed)
    if extra:
        raise Invalid(f"unexpected top-level type(s): {', '.join(sorted(extra))}")


def root_map(doc: Doc, name: str) -> Map:
    return doc.get(name, type=Map)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def text(value: Any, field: str, limit: int, required: bool = False) -> str:
    if value is None and not required:
        return ""
    name = TEXT_CODES.get(field, "text")
    if not isinstance(value, str):
        raise Invalid(f"{field} must be text")
    if len(value) > limit:
        raise Invalid(f"{field} is {len(value)} characters; the limit is {limit}", f"{name}_too_long",
                      field=field, length=len(value), limit=limit)
    if "\x00" in value:  # no text may hold one: PostgreSQL refuses it (issue 18)
        raise Invalid(f"{field} holds a NUL character", "text_nul", field=field)
    if required and not value.strip():
        raise Invalid(f"{field} must not be empty", f"{name}_empty", field=field)
    return value


def timestamp_ms(value: Any, field: str) -> float:
    # Phones' clocks are often wrong; accept any plausible time, the server keeps its own too.
    if not is_number(value) or not 0 < value < 1e14:
        raise Invalid(f"{field} must be a time in milliseconds since 1970")
    return float(value)


def log_entries(container: Map, key: str) -> list[Any]:
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, Array):
        raise Invalid(f"{key} must be a Y.Array")
    return list(value.to_py())


def new_entries(before: list[Any], after: list[Any], field: str) -> list[dict[str, Any]]:
    """Entries added by the update. Logs are append-only: nothing removed, nothing edited.

    Concurrent appends from several devices may interleave (CRDT order), so identity is the
    entry's `id`, not its position.
    """
    if len(after) > MAX_LOG:
        raise Invalid(f"{field} has more than {MAX_LOG} entries")
    for entry in after:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise Invalid(f"every {field} entry must be an object with an id")
        if not ENTRY_ID.match(entry["id"]):
            raise Invalid(f"{field} entry id {entry['id']!r} is not a valid id")
    after_by_id: dict[str, dict[str, Any]] = {}
    for entry in after:
        if entry["id"] in after_by_id:
            raise Invalid(f"{field} entry id {entry['id']!r} appears twice")
        after_by_id[entry["id"]] = entry
    before_ids = set()
    for entry in before:
        before_ids.add(entry["id"])
        if after_by_id.get(entry["id"]) != entry:
            raise Invalid(f"{field} is append-only: entry {entry['id']!r} was changed or removed")
    return [e for e in after if e["id"] not in before_ids]


# -- report/<id>: written by the citizen device that created it ----------------------------------
def validate_report(before: Doc | None, after: Doc, now_ms: float | None = None) -> dict[str, Any]:
    """Check a citizen's update; returns the report as plain data. `now_ms`: the server's clock,
    against which a live-location fix may not be in the future."""
    only_roots(after, ["report"])
    report = root_map(after, "report")
    data = report.to_py() or {}
    unknown = set(data) - REPORT_FIELDS
    if unknown:
        raise Invalid(f"unknown report field(s): {', '.join(sorted(unknown))}")
    if data.get("category") not in CATEGORIES:
        raise Invalid(f"category must be one of {', '.join(CATEGORIES)}", "category_unknown")
    text(data.get("description"), "description", MAX_DESCRIPTION)
    if "danger" in data and not isinstance(data["danger"], bool):
        raise Invalid("danger must be true or false")
    if "silent" in data and not isinstance(data["silent"], bool):
        raise Invalid("silent must be true or false")
    if "warning" in data and not (isinstance(data["warning"], str) and WARNING_ID.match(data["warning"])):
        raise Invalid("warning must be a warning id")
    timestamp_ms(data.get("created_at"), "created_at")
    has_lat, has_lon = "lat" in data, "lon" in data
    if has_lat != has_lon:
        raise Invalid("lat and lon come together, or neither", "location_invalid")
    if has_lat:
        lat, lon = data["lat"], data["lon"]
        if not (is_number(lat) and is_number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise Invalid("lat/lon must be WGS84 degrees (lat within ±90, lon within ±180)", "location_invalid")
        accuracy = data.get("accuracy")
        if accuracy is not None and not (is_number(accuracy) and 0 <= accuracy <= 1e6):
            raise Invalid("accuracy must be metres (0 to 1,000,000)", "location_invalid")
    elif "accuracy" in data:
        raise Invalid("accuracy without a location", "location_invalid")
    media = log_entries(report, "media") if "media" in data else []
    if len(media) > MAX_MEDIA:
        raise Invalid(f"at most {MAX_MEDIA} photos or videos per report", "too_many_media", limit=MAX_MEDIA)
    if not all(isinstance(m, str) and MEDIA_ID.match(m) for m in media):
        raise Invalid("media must hold media ids")
    if len(set(media)) != len(media):
        raise Invalid("a media id appears twice")
    contact = data.get("contact")
    if contact is not None:
        if not isinstance(contact, dict) or set(contact) - {"name", "phone"}:
            raise Invalid("contact must be {name, phone}")
        text(contact.get("name"), "contact.name", 100)
        phone = contact.get("phone")
        if phone not in (None, "") and (not isinstance(phone, str) or not PHONE.match(phone)):
            raise Invalid("contact.phone must be a phone number", "contact_phone_invalid")
    messages = log_entries(report, "messages") if "messages" in data else []
    if len(messages) > MAX_MESSAGES:
        raise Invalid(f"at most {MAX_MESSAGES} messages", "too_many_messages", limit=MAX_MESSAGES)
    if before is not None:
        old = root_map(before, "report").to_py() or {}
        for field in REPORT_FROZEN:
            if old.get(field) != data.get(field):
                raise Invalid(f"{field} cannot change once the report is sent; add a message instead",
                              "report_frozen", field=field)
        old_media = list(old.get("media") or [])
        if media[: len(old_media)] != old_media:
            raise Invalid("media is append-only")
        added = new_entries(list(old.get("messages") or []), messages, "messages")
        old_track = list(old.get("track") or [])
    else:
        added = new_entries([], messages, "messages")
        old_track = []
    track = log_entries(report, "track") if "track" in data else []
    if track[: len(old_track)] != old_track:
        raise Invalid("track is append-only", "track_invalid")
    if len(track) > MAX_TRACK:
        raise Invalid(f"at most {MAX_TRACK} location fixes", "track_full", limit=MAX_TRACK)
    for fix in track[len(old_track):]:
        check_fix(fix, data["created_at"], now_ms)
    for message in added:
        if set(message) - {"id", "text", "at"}:
            raise Invalid("a message is {id, text, at}")
        text(message.get("text"), "message text", MAX_MESSAGE, required=True)
        timestamp_ms(message.get("at"), "message at")
    return data


def check_fix(fix: Any, created_at: float, now_ms: float | None) -> None:
    """One fix of a report's live location: where the phone was, how sure, and when (its clock)."""
    if not isinstance(fix, dict) or set(fix) != {"lat", "lon", "accuracy", "at"}:
        raise Invalid("a track fix is {lat, lon, accuracy, at}", "track_invalid")
    lat, lon, accuracy, at = fix["lat"], fix["lon"], fix["accuracy"], fix["at"]
    if not (is_number(lat) and is_number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid("a track fix's lat/lon must be WGS84 degrees", "track_invalid")
    if not (is_number(accuracy) and 0 <= accuracy <= MAX_TRACK_ACCURACY):
        raise Invalid(f"a track fix's accuracy is 0 to {MAX_TRACK_ACCURACY} metres", "track_invalid")
    if not is_number(at) or at < created_at - TRACK_SKEW_MS:
        raise Invalid("a track fix cannot be older than its report", "track_invalid")
    if now_ms is not None and at > now_ms + TRACK_SKEW_MS:
        raise Invalid("a track fix cannot be in the future", "track_invalid")


# -- incident/<id>: police with access ---------------------------------------------------------
def validate_incident(
    before: Doc | None,
    after: Doc,
    user_id: str,
    role: str,
    unit: str | None,
    active_units: set[str],
) -> dict[str, list[dict[str, Any]]]:
    """Check a police update; returns the new entries by log. `active_units`: units assigned now."""
    if before is None:
        raise Invalid("an incident is created by the server when its report arrives")
    only_roots(after, ["incident"])
    old, new = root_map(before, "incident"), root_map(after, "incident")
    new_keys = set(new.to_py() or {})
    if new_keys - {"info", "dispatch", "timeline"}:
        extra = ", ".join(sorted(new_keys - {"info", "dispatch", "timeline"}))
        raise Invalid(f"unknown incident field(s): {extra}")
    if (old.to_py() or {}).get("info") != (new.to_py() or {}).get("info"):
        raise Invalid("info is written by the server only")
    added_dispatch = new_entries(log_entries(old, "dispatch"), log_entries(new, "dispatch"), "dispatch")
    added_timeline = new_entries(log_entries(old, "timeline"), log_entries(new, "timeline"), "timeline")
    if added_dispatch and role != "dispatcher":
        raise Invalid(f"only a dispatcher triages and dispatches; you are {role}", "dispatcher_only")
    for entry in added_dispatch:
        check_dispatch_entry(entry, user_id)
    if added_timeline:
        if role != "officer":
            raise Invalid("timeline entries are written by the officers of an assigned unit", "officer_only")
        if unit not in active_units:
            raise Invalid(f"your unit {unit} is not assigned to this incident", "unit_not_assigned", unit=unit)
    for entry in added_timeline:
        check_timeline_entry(entry, user_id, unit)
    return {"dispatch": added_dispatch, "timeline": added_timeline}


def _author(entry: dict[str, Any], user_id: str, log: str) -> None:
    if str(entry.get("by")) != user_id:
        raise Invalid(f"a {log} entry must be written in your own name (by = {user_id})")
    timestamp_ms(entry.get("at"), f"{log} at")


def check_dispatch_entry(entry: dict[str, Any], user_id: str) -> None:
    _author(entry, user_id, "dispatch")
    action = entry.get("action")
    allowed = {"id", "action", "by", "by_name", "at"}
    if action not in DISPATCH_ACTIONS:
        raise Invalid(f"dispatch action must be one of {', '.join(sorted(DISPATCH_ACTIONS))}")
    if action == "verify":
        allowed |= {"category", "priority"}
        if entry.get("category") not in CATEGORIES:
            raise Invalid("verify needs a category")
        if entry.get("priority") not in (1, 2, 3, 1.0, 2.0, 3.0):
            raise Invalid("priority is 1 (highest), 2 or 3")
    elif action == "reject":
        allowed |= {"reason", "note"}
        if entry.get("reason") not in REJECT_REASONS:
            raise Invalid(f"reject needs a reason: {', '.join(REJECT_REASONS)}")
        text(entry.get("note"), "note", MAX_NOTE)
    elif action == "merge":
        allowed |= {"into"}
        if not isinstance(entry.get("into"), str) or not ENTRY_ID.match(entry["into"]):
            raise Invalid("merge needs the id of the main incident in `into`")
    elif action in ("dispatch", "withdraw"):
        allowed |= {"unit", "instructions"}
        if not isinstance(entry.get("unit"), str) or not UNIT_CODE.match(entry["unit"]):
            raise Invalid(f"{action} needs a unit code")
        text(entry.get("instructions"), "instructions", MAX_NOTE)
    elif action in ("message", "note"):
        allowed |= {"text"} | ({"to"} if action == "message" else set())
        text(entry.get("text"), "text", MAX_MESSAGE if action == "message" else MAX_NOTE, required=True)
        if "to" in entry:
            check_recipients(entry["to"])
    elif action == "close":
        allowed |= {"outcome", "note"}
        if entry.get("outcome") not in OUTCOMES:
            raise Invalid(f"close needs an outcome: {', '.join(OUTCOMES)}")
        text(entry.get("note"), "note", MAX_NOTE)
    extra = set(entry) - allowed
    if extra:
        raise Invalid(f"unexpected field(s) in a {action} entry: {', '.join(sorted(extra))}")


def check_recipients(to: Any) -> None:
    """A message's `to`: the reports (by id) whose citizens read it. Absent: the incident's own
    report only. The server delivers to a report named here only if it is this incident's own or
    merged into it (app/incidents/fanout.py), so naming another report reaches nobody."""
    if (
        not isinstance(to, list) or not 1 <= len(to) <= MAX_RECIPIENTS
        or not all(isinstance(r, str) and ENTRY_ID.match(r) for r in to) or len(set(to)) != len(to)
    ):
        raise Invalid(f"a message's `to` is a list of 1 to {MAX_RECIPIENTS} distinct report ids")


def check_timeline_entry(entry: dict[str, Any], user_id: str, unit: str | None) -> None:
    _author(entry, user_id, "timeline")
    if entry.get("type") not in TIMELINE_TYPES:
        raise Invalid(f"timeline type must be one of {', '.join(TIMELINE_TYPES)}")
    if entry.get("unit") != unit:
        raise Invalid(f"a timeline entry names your own unit ({unit})")
    text(entry.get("note"), "note", MAX_NOTE, required=entry["type"] == "note")
    media = entry.get("media", [])
    if not isinstance(media, list) or len(media) > MAX_MEDIA or not all(
        isinstance(m, str) and MEDIA_ID.match(m) for m in media
    ):
        raise Invalid("timeline media must be a list of media ids")
    for key in ("lat", "lon"):
        if key in entry and not is_number(entry[key]):
            raise Invalid(f"{key} must be a number")
    extra = set(entry) - {"id", "type", "by", "by_name", "unit", "at", "note", "media", "lat", "lon"}
    if extra:
        raise Invalid(f"unexpected field(s) in a timeline entry: {', '.join(sorted(extra))}")

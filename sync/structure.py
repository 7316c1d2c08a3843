"""A Yjs v1 update read for its shape, before pycrdt sees it: how deep it nests.

pycrdt (yrs) decodes lib0 `Any` values (arrays, objects) recursively in Rust, and turns nested
shared types into JSON recursively too. A 60 KB update of `[[[[…]]]]` 30,000 deep overflows the
native stack: not an exception but a segmentation fault that takes the whole server down. So
every update a client sends is walked here first, iteratively, and refused (`ProtocolError`, a
400) if its values nest deeper than `MAX_VALUE_DEPTH` or its shared types (a map in a map in a
map…) more than `MAX_TYPE_DEPTH` levels within the update. Honest documents nest a handful of
levels; the kinds' own validation bounds the depth across updates.

    >>> from pycrdt import Doc, Map
    >>> doc = Doc(); doc.get("note", type=Map)["tags"] = ["a", ["b"]]
    >>> reach = check_update(doc.get_update())   # raises ProtocolError when too deep

The walk follows Yjs's `readClientsStructRefs` and lib0's `readAny` (v1 encoding). Anything it
cannot read is malformed and refused, as pycrdt would refuse it.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from .protocol import MAX_SAFE_INTEGER, Decoder, ProtocolError, decode_delete_set

MAX_VALUE_DEPTH = 64
MAX_TYPE_DEPTH = 64

# Content refs of an Item (the low 5 bits of its info byte); 0 is GC and 10 Skip, not Items.
_GC, _DELETED, _JSON, _BINARY, _STRING, _EMBED, _FORMAT, _TYPE, _ANY, _DOC, _SKIP = range(11)
_XML_ELEMENT, _XML_HOOK = 3, 5  # type refs that carry a name
_MAX_TYPE_REF = 6
_ANY_ARRAY, _ANY_OBJECT = 117, 118
_FIXED = {124: 4, 123: 8, 122: 8}  # float32, float64, bigint64
_JSON_BRACKETS = re.compile(r"[\[\]{}]")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


class Reach(NamedTuple):
    """What an update needs of a document to be whole in it: per client, the clock its structs
    end at (Skips, which are gaps, not content, excepted), and the ranges it deletes."""

    ends: dict[int, int]
    deletes: dict[int, list[tuple[int, int]]]


def check_update(update: bytes) -> Reach:
    """Raise `ProtocolError` if `update` is not a readable v1 update or nests too deep; else
    return its `Reach` (read on the way: the pending check needs no second parse)."""
    dec = Decoder(update)
    items = _Items()
    ends: dict[int, int] = {}
    for _ in range(dec.varuint()):
        structs = dec.varuint()
        client = dec.varuint()
        clock = dec.varuint()
        for _ in range(structs):
            length, depth, skip = _struct(dec, items)
            if depth is not None:
                items.add(client, clock, clock + length, depth)
            clock += length
            if clock > MAX_SAFE_INTEGER:
                raise ProtocolError("clock out of range")
            if not skip and clock > ends.get(client, 0):
                ends[client] = clock
    deletes = decode_delete_set(dec)
    dec.finish()
    return Reach(ends, deletes)


class _Items:
    """The Items read so far, by client, in clock order (as an update lists them): so that a
    child naming its parent by id, or sharing its neighbour's parent, finds its depth."""

    def __init__(self) -> None:
        self.starts: dict[int, list[int]] = {}
        self.spans: dict[int, list[tuple[int, int]]] = {}  # (end, depth of the content)

    def add(self, client: int, start: int, end: int, depth: int) -> None:
        self.starts.setdefault(client, []).append(start)
        self.spans.setdefault(client, []).append((end, depth))

    def depth_of(self, item_id: tuple[int, int]) -> int:
        """The depth of the Item covering `item_id` in this update; 1 for one outside it."""
        client, clock = item_id
        starts = self.starts.get(client)
        if starts:
            k = bisect.bisect_right(starts, clock) - 1
            if k >= 0 and clock < self.spans[client][k][0]:
                return self.spans[client][k][1]
        return 1


def _struct(dec: Decoder, items: _Items) -> tuple[int, int | None, bool]:
    """Read one struct: its length in clock units, for an Item the depth of its content, and
    whether it is a Skip."""
    info = dec.byte()
    ref = info & 0x1F
    if ref in (_GC, _SKIP):
        return dec.varuint(), None, ref == _SKIP
    depth = 1
    left = (dec.varuint(), dec.varuint()) if info & 0x80 else None
    right = (dec.varuint(), dec.varuint()) if info & 0x40 else None
    if info & 0xC0 == 0:  # no neighbour to copy the parent from: it is written out
        if dec.varuint() == 1:
            dec.varstring()  # a root type, by name
        else:
            depth = items.depth_of((dec.varuint(), dec.varuint())) + 1
        if info & 0x20:
            dec.varstring()  # the key in a parent map
    else:
        # Same parent as a neighbour: as deep as it.
        depth = max(items.depth_of(n) for n in (left, right) if n is not None)
    if depth > MAX_TYPE_DEPTH:
        raise ProtocolError(f"shared types nested more than {MAX_TYPE_DEPTH} levels deep")
    return _content(dec, ref), depth, False


def _content(dec: Decoder, ref: int) -> int:
    """Read an Item's content; its length in clock units."""
    if ref == _DELETED:
        return dec.varuint()
    if ref == _JSON:
        count = dec.varuint()
        for _ in range(count):
            _json_text(dec.varstring())
        return count
    if ref == _BINARY:
        dec.varuint8array()
        return 1
    if ref == _STRING:
        # Yjs counts a string in UTF-16 code units.
        return len(dec.varstring().encode("utf-16-le")) // 2
    if ref == _EMBED:
        _json_text(dec.varstring())
        return 1
    if ref == _FORMAT:
        dec.varstring()
        _json_text(dec.varstring())
        return 1
    if ref == _TYPE:
        type_ref = dec.varuint()
        if type_ref > _MAX_TYPE_REF:
            raise ProtocolError(f"unknown shared type {type_ref}")
        if type_ref in (_XML_ELEMENT, _XML_HOOK):
            dec.varstring()
        return 1
    if ref == _ANY:
        count = dec.varuint()
        for _ in range(count):
            _any(dec)
        return count
    if ref == _DOC:
        dec.varstring()
        _any(dec)
        return 1
    raise ProtocolError(f"unknown content type {ref}")


def _any(dec: Decoder) -> None:
    """Skip one lib0 `Any`, keeping a stack of [values left, is an object] per open level
    instead of recursing."""
    stack = [[1, False]]
    while stack:
        level = stack[-1]
        if level[0] == 0:
            stack.pop()
            continue
        level[0] -= 1
        if level[1]:
            dec.varstring()  # an object's entry: its key, then its value
        tag = dec.byte()
        if tag in (_ANY_ARRAY, _ANY_OBJECT):
            if len(stack) > MAX_VALUE_DEPTH:
                raise ProtocolError(f"values nested more than {MAX_VALUE_DEPTH} levels deep")
            stack.append([dec.varuint(), tag == _ANY_OBJECT])
        elif tag == 125:
            _varint(dec)
        elif tag in _FIXED:
            dec.raw(_FIXED[tag])
        elif tag == 119:
            dec.varstring()
        elif tag == 116:
            dec.varuint8array()
        elif tag not in (127, 126, 121, 120):  # undefined, null, false, true
            raise ProtocolError(f"unknown value type {tag}")


def _varint(dec: Decoder) -> None:
    """lib0 signed varint: 6 bits and a sign in the first byte, 7 bits in each next one."""
    byte = dec.byte()
    num, shift = byte & 0x3F, 6
    while byte & 0x80:
        byte = dec.byte()
        num |= (byte & 0x7F) << shift
        shift += 7
        if num > MAX_SAFE_INTEGER:
            raise ProtocolError("integer out of range")


def _json_text(text: str) -> None:
    """A JSON value Yjs keeps as text (ContentJSON, embeds, formats): bounded like an `Any`.
    Whether it is JSON at all is pycrdt's to judge."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub('""', text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_VALUE_DEPTH:
            raise ProtocolError(f"values nested more than {MAX_VALUE_DEPTH} levels deep")

"""The report categories' names and colours on the server: the Python copy of the one vocabulary
every app reads (pwa/src/core/categories.json), for what leaves the server as text or pictures —
push notifications, CSV exports, SVG charts. tests/test_category_vocabulary.py checks that the two
are equal, so an edit to one without the other fails the suite.
"""

from __future__ import annotations

NAMES = {
    "vi": {"crime": "An ninh trật tự", "traffic": "Tai nạn giao thông", "fire": "Cháy nổ", "other": "Sự cố khác"},
    "en": {"crime": "Crime and public order", "traffic": "Traffic accident", "fire": "Fire or explosion",
           "other": "Other emergency"},
}
COLOURS = {"crime": "#2563d9", "traffic": "#a86400", "fire": "#d0312d", "other": "#7c4dcc"}

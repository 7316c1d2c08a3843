"""Words for the statistics' CSV headers, chart texts and JSON labels, in Vietnamese and English.

The page translates codes itself; these are for what leaves the app as a file (CSV, SVG) and for
the `label` fields, so that an export opened in Excel or printed reads as the page does.
"""

from __future__ import annotations

from app.categories import COLOURS, NAMES

# The one vocabulary of every app (app/categories.py, pwa/src/core/categories.json), so that a CSV
# or chart names categories as the apps do.
CATEGORY = NAMES
CATEGORY_COLOUR = COLOURS
STATUS = {
    "vi": {
        "new": "Mới", "triaged": "Đã phân loại", "dispatched": "Đã điều động",
        "acknowledged": "Đơn vị đã nhận", "en_route": "Đang đến", "on_scene": "Có mặt",
        "resolved": "Đã giải quyết", "closed": "Đã đóng", "rejected": "Từ chối",
        "merged": "Trùng, đã gộp",
    },
    "en": {
        "new": "New", "triaged": "Triaged", "dispatched": "Dispatched",
        "acknowledged": "Acknowledged", "en_route": "En route", "on_scene": "On scene",
        "resolved": "Resolved", "closed": "Closed", "rejected": "Rejected", "merged": "Merged",
    },
}
STAGE = {
    "vi": {
        "triage": "Tiếp nhận → phân loại",
        "dispatch": "Tiếp nhận → điều động",
        "acknowledge": "Tiếp nhận → đơn vị nhận lệnh",
        "en_route": "Tiếp nhận → lên đường",
        "on_scene": "Tiếp nhận → có mặt",
        "resolve": "Tiếp nhận → giải quyết xong",
        "unit_acknowledge": "Điều động → đơn vị nhận lệnh",
        "unit_en_route": "Điều động → lên đường",
        "unit_on_scene": "Điều động → có mặt",
        "unit_resolve": "Điều động → giải quyết xong",
        "unit_travel": "Lên đường → có mặt (di chuyển)",
    },
    "en": {
        "triage": "Arrival → triage",
        "dispatch": "Arrival → dispatch",
        "acknowledge": "Arrival → acknowledged",
        "en_route": "Arrival → en route",
        "on_scene": "Arrival → on scene",
        "resolve": "Arrival → resolved",
        "unit_acknowledge": "Dispatch → acknowledged",
        "unit_en_route": "Dispatch → en route",
        "unit_on_scene": "Dispatch → on scene",
        "unit_resolve": "Dispatch → resolved",
        "unit_travel": "En route → on scene (travel)",
    },
}
WORDS = {
    "vi": {
        "all": "Tất cả", "unknown_ward": "Không xác định phường", "period": "Kỳ",
        "date": "Ngày", "week": "Tuần từ", "ward_code": "Mã phường", "ward": "Phường, xã",
        "category": "Loại vụ việc", "status": "Trạng thái", "unit": "Đơn vị", "count": "Số vụ",
        "total": "Tổng", "group": "Nhóm", "key": "Mã", "incidents": "Số vụ",
        "within": "Điều động trong 60 giây", "of": "Trên tổng số", "share": "Tỷ lệ",
        "median": "trung vị (giây)", "p90": "phân vị 90 (giây)", "n": "số mẫu",
        "from_s": "Từ (giây)", "to_s": "Đến (giây)", "id": "Mã vụ việc", "lat": "Vĩ độ",
        "lon": "Kinh độ", "section": "Mục", "open": "Đang xử lý", "today": "Hôm nay",
        "so_far": "Đến cùng giờ", "full_day": "Cả ngày", "mean": "Trung bình 4 tuần",
        "dispatch_median": "Điều động: trung vị (giây)", "at": "Thời điểm",
        "actor": "Người thực hiện", "role": "Vai trò", "action": "Hành động", "target": "Đối tượng",
        "detail": "Chi tiết", "cell": "Ô lưới", "south": "Nam", "west": "Tây", "north": "Bắc",
        "east": "Đông", "seconds": "giây", "incidents_axis": "số vụ", "time_axis": "thời gian",
        "series_title": "Số vụ việc theo ngày", "series_title_week": "Số vụ việc theo tuần",
        "wards_title": "Số vụ việc theo phường, xã", "wards_share_title":
        "Tỷ lệ điều động trong 60 giây theo phường, xã",
        "wards_median_title": "Thời gian điều động (trung vị) theo phường, xã",
        "hist_title": "Phân bố thời gian", "median_short": "Trung vị", "p90_short": "P90",
        "no_data": "Không có dữ liệu", "filters": "Bộ lọc",
    },
    "en": {
        "all": "All", "unknown_ward": "Unknown ward", "period": "Period", "date": "Date",
        "week": "Week from", "ward_code": "Ward code", "ward": "Ward", "category": "Category",
        "status": "Status", "unit": "Unit", "count": "Incidents", "total": "Total",
        "group": "Group", "key": "Key", "incidents": "Incidents",
        "within": "Dispatched within 60 s", "of": "Of", "share": "Share",
        "median": "median (s)", "p90": "90th percentile (s)", "n": "count",
        "from_s": "From (s)", "to_s": "To (s)", "id": "Incident", "lat": "Latitude",
        "lon": "Longitude", "section": "Section", "open": "Open", "today": "Today",
        "so_far": "Same time of day", "full_day": "Whole day", "mean": "Mean of 4 weeks",
        "dispatch_median": "Dispatch median (s)", "at": "Time", "actor": "Actor",
        "role": "Role", "action": "Action", "target": "Target", "detail": "Detail",
        "cell": "Cell", "south": "South", "west": "West", "north": "North", "east": "East",
        "seconds": "seconds", "incidents_axis": "incidents", "time_axis": "time",
        "series_title": "Incidents per day", "series_title_week": "Incidents per week",
        "wards_title": "Incidents by ward", "wards_share_title":
        "Share dispatched within 60 s by ward", "wards_median_title":
        "Time to dispatch (median) by ward", "hist_title": "Distribution of",
        "median_short": "Median", "p90_short": "P90", "no_data": "No data",
        "filters": "Filters",
    },
}


def word(lang: str, key: str) -> str:
    return WORDS[lang][key]

"""The console's admin screens (issue 25), in a real headless Chromium against the real server: users
by unit with search and filters, an account created by hand (a weak password refused with its
reason), a CSV import refused whole for a bad row and then accepted with its set-up links offered
as a file, and the per-account steps (disable and enable, reset password, end sessions) with
their effect on the person's own tokens. Other roles never see the screen. Screenshots (1440×900,
vi and en) go to /tmp/sos-shots/admin-*.png."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .center_helpers import open_console, report, tan_phu
from .conftest import PASSWORD, LiveServer
from .server_checks import bearer_for

if TYPE_CHECKING:
    from tests.browser import NewContext

pytestmark = pytest.mark.browser

DESK = {"width": 1440, "height": 900}
SHOTS = Path("/tmp/sos-shots")
PHU_MY_UNIT = "ward-26704"
TAN_PHU_UNIT = "ward-27031"


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SHOTS / f"admin-{name}.png")


def add_user(server: LiveServer, admin: dict[str, str], **fields: str) -> int:
    r = httpx.post(f"{server.url}/api/admin/users", json={"password": PASSWORD, **fields}, headers=admin)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def login(server: LiveServer, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(f"{server.url}/api/auth/login", json={"username": username, "password": password})


def token_of(server: LiveServer, username: str) -> dict[str, str]:
    r = login(server, username)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def me(server: LiveServer, headers: dict[str, str]) -> int:
    return httpx.get(f"{server.url}/api/auth/me", headers=headers).status_code


def fits(page: Page) -> None:
    """Nothing spills sideways and the top bar stays one line (with the screens' links in it)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    assert page.locator(".topbar").bounding_box()["height"] < 70


def open_admin(server: LiveServer, new_context: NewContext, **options: Any) -> Page:
    page = open_console(server, new_context, username="quan.tri", role="admin", viewport=DESK, **options)
    fits(page)
    page.get_by_role("link", name="Tài khoản").click()
    expect(page.get_by_role("heading", name="Tài khoản người dùng")).to_be_visible()
    return page


def rows(page: Page):
    return page.locator(".a-table tbody tr[data-user]")


def row(page: Page, username: str):
    return page.locator(f'.a-table tr[data-user="{username}"]')


def open_user(page: Page, username: str) -> None:
    row(page, username).get_by_role("button").click()
    expect(page.locator('[data-panel="user"]')).to_contain_text(username)


@pytest.fixture
def staff(live_server: LiveServer) -> dict[str, str]:
    """Three accounts in three units, made by an admin over HTTP; that admin's header."""
    admin = bearer_for(live_server, "api.admin", "admin")
    add_user(live_server, admin, username="nguyen.lan", display_name="Nguyễn Thị Lan", role="officer",
             unit=PHU_MY_UNIT, phone="0903111222")
    add_user(live_server, admin, username="tran.binh", display_name="Trần Văn Bình", role="officer",
             unit=TAN_PHU_UNIT, phone="0912345678")
    add_user(live_server, admin, username="le.chi", display_name="Lê Minh Chí", role="dispatcher",
             unit="center", phone="0987000111")
    return admin


def test_users_by_unit_search_and_filters(
    live_server: LiveServer, new_context: NewContext, watch_console, staff: dict[str, str]
) -> None:
    page = open_admin(live_server, new_context)
    errors = watch_console(page)
    expect(row(page, "nguyen.lan")).to_be_visible()
    expect(row(page, "nguyen.lan")).to_contain_text("0903111222")
    expect(row(page, "nguyen.lan")).to_contain_text("Công an phường Phú Mỹ")
    expect(row(page, "nguyen.lan")).to_contain_text("Đang hoạt động")
    expect(row(page, "nguyen.lan")).to_contain_text("Chưa có")  # no second factor yet
    shoot(page, "list-vi")
    fits(page)

    # The 168 wards narrowed by name, without accents; a ward shows only its people.
    units = page.locator(".a-units")
    expect(units.locator('[data-unit^="ward-"]')).to_have_count(168)
    units.get_by_label("Lọc theo tên đơn vị").fill("phu my")
    expect(units.locator('[data-unit^="ward-"]')).to_have_count(1)
    phu_my = units.locator(f'[data-unit="{PHU_MY_UNIT}"]')
    expect(phu_my.locator(".a-unit__n")).to_have_text("1")
    phu_my.click()
    expect(phu_my).to_have_attribute("aria-pressed", "true")
    expect(rows(page)).to_have_count(1)
    expect(row(page, "nguyen.lan")).to_be_visible()
    units.get_by_role("button", name="Tất cả đơn vị").click()

    # Search by name without accents, by phone; filter by role and by state.
    search = page.get_by_label("Tìm theo tên đăng nhập, họ tên, số điện thoại")
    search.fill("tran van")
    expect(rows(page)).to_have_count(1)
    expect(row(page, "tran.binh")).to_be_visible()
    search.fill("0987")
    expect(rows(page)).to_have_count(1)
    expect(row(page, "le.chi")).to_be_visible()
    search.fill("")
    page.get_by_label("Vai trò", exact=True).select_option("officer")
    expect(rows(page)).to_have_count(2)
    page.get_by_label("Trạng thái", exact=True).select_option("disabled")
    expect(page.locator(".a-empty")).to_have_text("Không có tài khoản nào khớp với bộ lọc.")
    # Among the active ones, one disabled leaves the list; their panel still says what they are now.
    page.get_by_label("Trạng thái", exact=True).select_option("active")
    open_user(page, "tran.binh")
    panel = page.locator('[data-panel="user"]')
    panel.get_by_role("button", name="Khóa tài khoản").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Khóa tài khoản").click()
    expect(row(page, "tran.binh")).to_have_count(0)
    expect(panel).to_contain_text("Đã khóa")
    expect(panel.get_by_role("button", name="Mở khóa tài khoản")).to_be_visible()
    assert errors == []


def test_create_refuses_a_weak_password_with_its_reason(
    live_server: LiveServer, new_context: NewContext, watch_console, staff: dict[str, str]
) -> None:
    page = open_admin(live_server, new_context)
    errors = watch_console(page)
    page.get_by_role("button", name="+ Tạo tài khoản").click()
    form = page.locator('[data-panel="create"]')
    form.get_by_label("Tên đăng nhập").fill("pham.hoa")
    form.get_by_label("Họ và tên").fill("Phạm Thị Hoa")
    form.get_by_label("Vai trò").select_option("officer")
    form.get_by_label("Đơn vị").select_option(TAN_PHU_UNIT)
    form.get_by_label("Số điện thoại").fill("0977 222 333")
    password = form.get_by_label("Mật khẩu ban đầu")
    password.fill("password1")
    form.get_by_role("button", name="Tạo tài khoản", exact=True).click()
    error = form.locator("#a-new-password-error")
    expect(error).to_contain_text("Mật khẩu quá yếu")
    expect(error).not_to_have_text("Mật khẩu quá yếu, hãy chọn mật khẩu khác.")  # the server's reason follows
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_be_focused()
    shoot(page, "create-weak-vi")
    r = httpx.get(f"{live_server.url}/api/admin/users", params={"q": "pham.hoa"}, headers=staff)
    assert r.json()["total"] == 0

    password.fill("mưa rào chiều thứ bảy")
    expect(error).to_have_count(0)
    form.get_by_role("button", name="Tạo tài khoản", exact=True).click()
    expect(page.locator(".a-status")).to_have_text("Đã tạo tài khoản pham.hoa.")
    expect(row(page, "pham.hoa")).to_contain_text("Công an phường Tân Phú")
    assert login(live_server, "pham.hoa", "mưa rào chiều thứ bảy").status_code == 200
    assert errors == []


def pick_csv(page: Page, text: str) -> None:
    page.get_by_label("Chọn tệp CSV").set_input_files(
        {"name": "phuong.csv", "mimeType": "text/csv", "buffer": text.encode()}
    )
    page.get_by_role("button", name="Tải lên và kiểm tra").click()


def test_import_refused_whole_then_links_offered(
    live_server: LiveServer, new_context: NewContext, watch_console, staff: dict[str, str]
) -> None:
    page = open_admin(live_server, new_context)
    errors = watch_console(page)
    page.get_by_role("button", name="Nhập từ tệp CSV").click()
    good = [f"tp.cb{i},Cán bộ {i},officer,{TAN_PHU_UNIT},09000000{i:02d}" for i in range(1, 6)]
    bad = [*good[:2], f"tp.x,Cán bộ X,general,{TAN_PHU_UNIT},0900000099", *good[2:], "tp.y,Cán bộ Y,officer,ward-1,0900000098"]
    pick_csv(page, "username,display_name,role,unit,phone\n" + "\n".join(bad) + "\n")
    refused = page.locator('[data-outcome="invalid"]')
    expect(refused).to_contain_text("KHÔNG tài khoản nào được tạo")
    expect(refused.locator("tbody tr")).to_have_count(2)
    expect(refused.locator('tr[data-line="4"]')).to_contain_text("role")
    expect(refused.locator('tr[data-line="8"]')).to_contain_text("unit")
    shoot(page, "import-errors-vi")
    r = httpx.get(f"{live_server.url}/api/admin/users", params={"q": "tp."}, headers=staff)
    assert r.json()["total"] == 0

    # Whatever the upload's speed, its progress is shown while it goes (recorded as it appears).
    page.evaluate("""() => new MutationObserver((changes, observer) => {
        if (document.querySelector('.a-progress progress')) { window.sawProgress = true; observer.disconnect(); }
    }).observe(document.body, {childList: true, subtree: true})""")
    pick_csv(page, "username,display_name,role,unit,phone\n" + "\n".join(good) + "\n")
    done = page.locator('[data-outcome="created"]')
    expect(done).to_contain_text("Đã tạo 5 tài khoản.")
    assert page.evaluate("window.sawProgress") is True
    expect(page.locator(".a-progress")).to_have_count(0)
    expect(done).to_contain_text("máy chủ không lưu lại")
    shoot(page, "import-done-vi")
    with page.expect_download() as info:
        done.get_by_role("link", name="Tải về 5 đường dẫn (CSV)").click()
    download = info.value
    assert download.suggested_filename == "sos-setup-links.csv"
    links = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert [x["username"] for x in links] == [f"tp.cb{i}" for i in range(1, 6)]
    assert all("/officer/#/setup/" in x["setup_url"] and x["expires"] for x in links)
    expect(done).to_contain_text("Đã tải về")
    # The accounts are there, waiting for their links, and the list behind the panel shows them.
    r = httpx.get(f"{live_server.url}/api/admin/users", params={"q": "tp.cb"}, headers=staff)
    assert r.json()["total"] == 5
    page.get_by_label("Tìm theo tên đăng nhập, họ tên, số điện thoại").fill("tp.cb")
    expect(rows(page)).to_have_count(5)
    expect(row(page, "tp.cb1")).to_contain_text("Phải đổi mật khẩu")
    assert errors == []


def test_disable_enable_reset_and_end_sessions(
    live_server: LiveServer, new_context: NewContext, watch_console, staff: dict[str, str]
) -> None:
    lan = token_of(live_server, "nguyen.lan")
    page = open_admin(live_server, new_context, permissions=["clipboard-read", "clipboard-write"])
    errors = watch_console(page)
    open_user(page, "nguyen.lan")
    panel = page.locator('[data-panel="user"]')
    expect(panel.locator(".a-session")).to_have_count(1)

    # Disable: asked first; "no" changes nothing.
    panel.get_by_role("button", name="Khóa tài khoản").click()
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("đăng xuất NGAY")
    shoot(page, "disable-confirm-vi")
    dialog.get_by_role("button", name="Không, quay lại").click()
    expect(dialog).to_have_count(0)
    assert me(live_server, lan) == 200
    panel.get_by_role("button", name="Khóa tài khoản").click()
    dialog.get_by_role("button", name="Khóa tài khoản").click()
    expect(panel.locator('[data-result="disable"]')).to_be_visible()
    expect(panel.locator(".a-said")).to_be_focused()  # its button is gone: the focus is on what was done
    expect(row(page, "nguyen.lan")).to_contain_text("Đã khóa")
    assert me(live_server, lan) == 401
    assert login(live_server, "nguyen.lan").status_code in (401, 403)
    expect(panel.locator(".a-session")).to_have_count(0)

    # Enable: at once (it cuts nobody off); the person signs in again.
    panel.get_by_role("button", name="Mở khóa tài khoản").click()
    expect(panel.locator('[data-result="enable"]')).to_be_visible()
    expect(row(page, "nguyen.lan")).to_contain_text("Đang hoạt động")
    lan = token_of(live_server, "nguyen.lan")
    other = token_of(live_server, "nguyen.lan")

    # End all sessions: says how many; both tokens are dead.
    panel.get_by_role("button", name="Đăng xuất mọi thiết bị").click()
    expect(panel.locator('[data-result="end"]')).to_have_text("Đã đăng xuất Nguyễn Thị Lan khỏi 2 phiên.")
    assert me(live_server, lan) == 401 and me(live_server, other) == 401

    # Reset password: asked first, the new one shown once; it signs in, and must be changed.
    panel.get_by_role("button", name="Đặt lại mật khẩu").click()
    dialog.get_by_role("button", name="Đặt lại mật khẩu").click()
    secret = panel.locator('[data-result="password"] code')
    expect(secret).to_be_visible()
    expect(panel).to_contain_text("Chỉ hiện MỘT lần")
    shoot(page, "reset-vi")
    new_password = secret.inner_text()
    panel.get_by_role("button", name="Sao chép").click()
    expect(panel.get_by_role("button", name="Đã sao chép ✓")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == new_password
    assert login(live_server, "nguyen.lan").status_code == 401
    assert login(live_server, "nguyen.lan", new_password).status_code == 200
    r = httpx.get(f"{live_server.url}/api/admin/users", params={"q": "nguyen.lan"}, headers=staff)
    assert r.json()["users"][0]["must_change_password"] is True
    expect(row(page, "nguyen.lan")).to_contain_text("Phải đổi mật khẩu")
    assert errors == []


def test_an_admin_cannot_disable_themselves_and_new_reports_still_reach_them(
    live_server: LiveServer, new_context: NewContext, watch_console
) -> None:
    page = open_admin(live_server, new_context)
    errors = watch_console(page)
    open_user(page, "quan.tri")
    panel = page.locator('[data-panel="user"]')
    expect(panel).to_contain_text("bạn không thể tự khóa mình")
    panel.get_by_role("button", name="Khóa tài khoản").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Khóa tài khoản").click()
    expect(panel.get_by_role("alert")).to_have_text(
        "Bạn không thể khóa tài khoản của chính mình. Nhờ một quản trị viên khác.")
    expect(row(page, "quan.tri")).to_contain_text("Đang hoạt động")
    # A report arriving meanwhile is announced here too; "Mở" leads to it on the queue's screen,
    # and Back returns to the accounts.
    _, incident = report(live_server, "fire", "Cháy nhà dân, khói đen", where=tan_phu())
    page.locator('[data-alert="new"]').get_by_role("button", name="Mở").click()
    expect(page.locator(f'.detail[data-incident="{incident}"]')).to_be_visible()
    expect(page.locator(".a-screen")).to_have_count(0)
    page.go_back()
    expect(row(page, "quan.tri")).to_be_visible()
    assert errors == []


def test_english_screens(live_server: LiveServer, new_context: NewContext, staff: dict[str, str]) -> None:
    """The same screens in English, photographed: the list, the create form, an import refused
    and one done, a password reset."""
    page = open_admin(live_server, new_context)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="User accounts")).to_be_visible()
    expect(row(page, "tran.binh")).to_contain_text("Tân Phú Ward Police")
    shoot(page, "list-en")
    fits(page)
    page.get_by_role("button", name="+ New account").click()
    page.get_by_label("Username", exact=True).fill("vo.an")
    page.get_by_label("Full name").fill("Võ An")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#a-new-unit-error")).to_have_text("An officer must belong to a unit.")
    page.get_by_label("Unit", exact=True).select_option(PHU_MY_UNIT)
    page.get_by_label("Initial password").fill("12345678")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#a-new-password-error")).to_contain_text("This password is too weak")
    shoot(page, "create-weak-en")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Import from CSV").click()
    page.get_by_label("Choose the CSV file").set_input_files({"name": "x.csv", "mimeType": "text/csv", "buffer": (
        f"username,display_name,role,unit,phone\nen.a,A,officer,{PHU_MY_UNIT},0901234567\nen.b,B,chief,,\n").encode()})
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator('[data-outcome="invalid"]')).to_contain_text("NO account was created")
    shoot(page, "import-errors-en")
    page.get_by_label("Choose the CSV file").set_input_files({"name": "x.csv", "mimeType": "text/csv", "buffer": (
        f"username,display_name,role,unit,phone\nen.a,A,officer,{PHU_MY_UNIT},0901234567\n").encode()})
    page.get_by_role("button", name="Upload and check").click()
    expect(page.locator('[data-outcome="created"]')).to_contain_text("Accounts created: 1.")
    shoot(page, "import-done-en")
    # Closed before the links were downloaded: they stay offered above the list until they are.
    page.get_by_role("button", name="Close").click()
    pending = page.locator('[data-outcome="pending"]')
    expect(pending).to_contain_text("Set-up links NOT downloaded yet: 1.")
    with page.expect_download():
        pending.get_by_role("link", name="Download the set-up links (1, CSV)").click()
    expect(pending).to_have_count(0)
    open_user(page, "tran.binh")
    page.get_by_role("button", name="Reset password").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Reset password").click()
    expect(page.locator('[data-result="password"] code')).to_be_visible()
    shoot(page, "reset-en")


def test_other_roles_do_not_see_the_admin_screen(
    live_server: LiveServer, new_context: NewContext, watch_console
) -> None:
    page = open_console(live_server, new_context, username="chi.huy", role="supervisor", viewport=DESK)
    errors = watch_console(page)
    expect(page.get_by_role("link", name="Cảnh báo")).to_be_visible()
    expect(page.get_by_role("link", name="Tài khoản")).to_have_count(0)
    page.goto(f"{live_server.url}/center/#/admin")
    expect(page.locator(".queue__list")).to_be_visible()
    expect(page.locator(".a-screen")).to_have_count(0)
    supervisor = token_of(live_server, "chi.huy")
    assert httpx.get(f"{live_server.url}/api/admin/users", headers=supervisor).status_code == 403
    assert errors == []


def test_a_ward_of_many_is_paged(live_server: LiveServer, new_context: NewContext, staff: dict[str, str]) -> None:
    """60 more accounts in Tân Phú (imported over HTTP): the ward's list comes 50 at a time."""
    lines = "".join(f"tp.many{i:02d},Cán bộ {i},officer,{TAN_PHU_UNIT},\n" for i in range(60))
    r = httpx.post(f"{live_server.url}/api/admin/users/import", content=f"username,display_name,role,unit,phone\n{lines}",
                   headers={**staff, "Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    page = open_admin(live_server, new_context)
    tan_phu = page.locator(f'.a-units [data-unit="{TAN_PHU_UNIT}"]')
    expect(tan_phu.locator(".a-unit__n")).to_have_text("61")
    tan_phu.click()
    caption = page.locator(".a-table__caption")
    expect(caption).to_have_text("Tài khoản 1–50 trong 61")
    expect(rows(page)).to_have_count(50)
    pager = page.get_by_role("navigation", name="Trang")
    expect(pager.get_by_role("button", name="← Trang trước")).to_be_disabled()
    pager.get_by_role("button", name="Trang sau →").click()
    expect(caption).to_have_text("Tài khoản 51–61 trong 61")
    expect(rows(page)).to_have_count(11)
    expect(pager).to_contain_text("Trang 2/2")
    expect(pager.get_by_role("button", name="Trang sau →")).to_be_disabled()
    # A new filter starts again at the first page.
    page.get_by_label("Vai trò", exact=True).select_option("officer")
    expect(caption).to_have_text("Tài khoản 1–50 trong 61")

"""The security console driven in headless Chromium against the aggregator."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from console_fixtures import (  # noqa: F401  (pytest fixtures, used by name)
    page_fixture,
    seeded_fixture,
    server_fixture,
)
from console_harness import ADMIN, GUARD, SECURITY, Server, face_photo, shoot
from console_seed import Seeded

from hw_sim.datasets import faces_dir, identity_images

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
Page = sync_api.Page
expect = sync_api.expect


def sign_in(page: Page, account: tuple[str, str] = ADMIN, lang: str | None = None) -> None:
    page.goto("/")
    if lang:
        page.locator("#lang-select").select_option(lang)
    page.locator("#login-username").fill(account[0])
    page.locator("#login-password").fill(account[1])
    page.locator("#login-form button[type=submit]").click()
    expect(page.locator("#app-view")).to_be_visible()


def rows(page: Page, table: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#{table} tbody tr")


def test_wrong_password_is_refused_with_a_message_in_chinese(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#login-form h2")).to_have_text("登录")
    page.locator("#login-username").fill("admin")
    page.locator("#login-password").fill("wrong")
    page.keyboard.press("Enter")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误。")
    expect(page.locator("#app-view")).to_be_hidden()


def open_granted_event(page: Page) -> None:
    page.locator("#f-decision").select_option("granted")
    page.get_by_role("button", name="查询").click()
    expect(rows(page, "events-table").first).to_contain_text("放行")
    rows(page, "events-table").first.locator("a").click()


def test_signed_in_admin_sees_todays_events_and_filters_denials(page: Page, seeded: Seeded) -> None:
    sign_in(page)
    expect(rows(page, "events-table")).to_have_count(seeded.event_rows)
    page.locator("#f-decision").select_option("denied")
    page.locator("#f-gate").fill("gate-a")
    page.get_by_role("button", name="查询").click()
    expect(rows(page, "events-table")).to_have_count(seeded.denied_at_gate_a)
    for text in rows(page, "events-table").all_inner_texts():
        assert "拒绝" in text and "gate-a" in text and "人脸未识别" in text


def test_event_detail_shows_snapshot_and_evidence(page: Page) -> None:
    sign_in(page)
    open_granted_event(page)
    snapshot = page.locator("#snapshot")
    expect(snapshot).to_be_visible()
    assert snapshot.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    expect(page.locator("#policy-checks li")).to_have_count(3)
    body = page.locator("main").inner_text()
    assert "0.3100" in body and "0.1200" in body and "真人" in body


def test_csv_export_holds_exactly_the_filtered_events(page: Page, seeded: Seeded) -> None:
    sign_in(page)
    page.locator("#f-decision").select_option("granted")
    page.get_by_role("button", name="查询").click()
    expect(rows(page, "events-table")).to_have_count(seeded.granted)
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == seeded.granted
    assert {r["decision"] for r in records} == {"granted"}
    assert {r["display_name"] for r in records} == {"张伟", "李娜"}


def test_chart_draws_entries_and_denials_per_gate(page: Page, seeded: Seeded) -> None:
    sign_in(page)
    page.get_by_role("link", name="每小时统计").click()
    expect(page.locator("figure.chart-card")).to_have_count(2)
    counts = page.locator("rect.bar.entries").evaluate_all(
        "bars => bars.reduce((s, b) => s + Number(b.dataset.count), 0)")
    denials = page.locator("rect.bar.denials").evaluate_all(
        "bars => bars.reduce((s, b) => s + Number(b.dataset.count), 0)")
    assert (counts, denials) == (seeded.granted, seeded.denials)


def test_acknowledging_an_alarm_moves_it_to_the_acknowledged_list(page: Page,
                                                                 seeded: Seeded) -> None:
    sign_in(page)
    page.get_by_role("link", name="告警").click()
    alarm = page.locator("#alarms-table tbody tr[data-kind=door_forced]")
    expect(alarm).to_have_count(1)
    expect(page.locator("#alarm-badge")).to_have_text(str(seeded.open_alarms))
    alarm.get_by_role("button").click()
    expect(alarm).to_have_count(0)
    expect(page.locator("#toast")).to_have_text("告警已确认。")
    expect(page.locator("#alarm-badge")).to_have_text(str(seeded.open_alarms - 1))
    page.locator("#alarm-state").select_option("acked")
    expect(alarm.locator(".acked-by")).to_have_text("admin")


def test_gate_status_shows_online_state_and_sequence_gaps(page: Page) -> None:
    sign_in(page)
    page.get_by_role("link", name="门禁状态").click()
    gate_a = page.locator("#gate-status-table tr[data-gate=gate-a]")
    expect(gate_a).to_contain_text("在线")
    expect(gate_a).to_contain_text("3–4")
    expect(page.locator("#gate-status-table tr[data-gate=gate-b] td").last).to_have_text("无")


def test_language_switch_relabels_the_console_and_is_remembered(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_role("link", name="通行记录")).to_be_visible()
    page.locator("#lang-select").select_option("en")
    expect(page.get_by_role("link", name="Events")).to_be_visible()
    expect(page.locator("#events-table thead")).to_contain_text("Decision")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    expect(page.get_by_role("link", name="Hourly chart")).to_be_visible()


def test_guard_sees_masked_names_and_no_management_pages(page: Page, seeded: Seeded) -> None:
    sign_in(page, GUARD)
    expect(rows(page, "events-table")).to_have_count(seeded.event_rows)
    names = page.locator("#events-table td.person").all_inner_texts()
    assert "张*" in names and "李*" in names
    assert not {"张伟", "李娜"} & set(names)
    expect(page.locator("#export-csv")).to_be_hidden()
    expect(page.get_by_role("link", name="住户")).to_be_hidden()
    page.goto("/#/residents")
    expect(page.locator("#events-table")).to_be_visible()


def test_face_enrolment_needs_a_photo_and_the_consent_box(page: Page) -> None:
    photo = face_photo()
    if photo is None:
        pytest.skip("shared face data absent (set GATE_SHARED_DATA)")
    sign_in(page)
    page.get_by_role("link", name="住户").click()
    page.locator("#residents-table tr[data-id=p1]").get_by_role("button", name="录入人脸").click()
    submit = page.locator("#enrol-form button[type=submit]")
    expect(submit).to_be_disabled()
    page.locator("#enrol-photo").set_input_files(str(photo))
    expect(submit).to_be_disabled()
    page.get_by_label("我确认已取得住户同意").check()
    expect(submit).to_be_enabled()
    submit.click()
    expect(page.locator("#enrol-form")).to_have_count(0, timeout=30000)  # loads the model
    expect(page.locator("#toast")).to_have_text("人脸已录入。")
    expect(page.locator("#residents-table tr[data-id=p1]")).to_contain_text("1")


def _enrol_lookalike_twins(base_url: str) -> bool:
    """Two photos of one person enrolled as residents twin-a and twin-b; False without data."""
    root = faces_dir()
    if root is None:
        return False
    photos = identity_images(root)["ea_d01"]
    with httpx.Client(base_url=base_url, timeout=60) as admin:
        login = admin.post("/api/v1/auth/login", json={"username": ADMIN[0],
                                                       "password": ADMIN[1]})
        login.raise_for_status()
        admin.headers["Cookie"] = f"agg_session={login.cookies['agg_session']}"
        for person_id, photo in (("twin-a", photos[0]), ("twin-b", photos[2])):
            admin.post("/api/v1/residents", json={"person_id": person_id,
                                                  "display_name": "双胞胎", "unit": "9-901"}
                       ).raise_for_status()
            admin.post(f"/api/v1/residents/{person_id}/faces", data={"consent": "true"},
                       files={"photo": (photo.name, photo.read_bytes(), "image/jpeg")}
                       ).raise_for_status()
    return True


def test_lookalike_residents_show_a_second_factor_badge_in_both_languages(
        page: Page, server: Server) -> None:
    if not _enrol_lookalike_twins(server.url):
        pytest.skip("shared face data absent (set GATE_SHARED_DATA)")
    sign_in(page)
    page.locator("#nav-list a[data-route=residents]").click()
    for lang, badge in (("zh-CN", "需第二因素"), ("en", "Needs 2nd factor")):
        if lang != "zh-CN":
            page.locator("#lang-select").select_option(lang)
        for person_id in ("twin-a", "twin-b"):
            flag = page.locator(f"#residents-table tr[data-id={person_id}] .lookalike-badge")
            expect(flag).to_be_visible()
            expect(flag).to_have_text(badge)
        expect(page.locator("#residents-table tr[data-id=twin-a]")).to_contain_text("twin-b")
        expect(page.locator("#residents-table tr[data-id=p2] .lookalike-badge")).to_have_count(0)
        shoot(page, f"{lang}-residents-lookalike")
        # The extra column must not push the row actions out of sight at 1366 px.
        assert page.locator(".table-wrap").evaluate("e => e.scrollWidth <= e.clientWidth")


def _register_gate(page: Page, gate_id: str, name: str) -> str:
    """Sign in, register a gate on the gates page; the credential the dialog shows once."""
    sign_in(page)
    page.get_by_role("link", name="门禁设备").click()
    page.locator("#register-gate").click()
    page.get_by_label("门禁编号").fill(gate_id)
    page.get_by_label("名称").fill(name)
    page.get_by_role("button", name="保存").click()
    return page.locator("#gate-credential").input_value()


def test_registering_a_gate_shows_its_credential_once_and_it_can_be_revoked(page: Page) -> None:
    credential = _register_gate(page, "gate-new", "北门")
    assert len(credential) >= 20
    page.get_by_role("button", name="我已保存").click()
    expect(page.locator("#gate-credential")).to_have_count(0)
    row = page.locator("#gates-table tr[data-gate=gate-new]")
    expect(row).to_contain_text("有效")
    assert credential not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="吊销门禁 gate-new").click()
    expect(row.locator(".gate-state")).to_have_text("已吊销")


def test_a_new_credential_readmits_a_revoked_gate_and_is_shown_once(page: Page) -> None:
    first = _register_gate(page, "gate-lost", "西门")
    page.get_by_role("button", name="我已保存").click()
    row = page.locator("#gates-table tr[data-gate=gate-lost]")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="吊销门禁 gate-lost").click()
    expect(row.locator(".gate-state")).to_have_text("已吊销")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="为门禁 gate-lost 签发新凭证").click()
    second = page.locator("#gate-credential").input_value()
    assert len(second) >= 20 and second != first
    page.get_by_role("button", name="我已保存").click()
    expect(page.locator("#gate-credential")).to_have_count(0)
    expect(row.locator(".gate-state")).to_have_text("有效")
    assert second not in page.content()


def test_admin_adds_and_deletes_a_vehicle(page: Page) -> None:
    sign_in(page)
    page.get_by_role("link", name="车辆").click()
    expect(page.locator("main")).to_contain_text("暂无记录")
    page.locator("#create-item").click()
    page.get_by_label("车牌").fill("京A12345")
    page.get_by_label("人员编号").fill("p1")
    page.get_by_label("房号").fill("1-101")
    page.get_by_role("button", name="保存").click()
    row = page.locator("#vehicles-table tr[data-id=京A12345]")
    expect(row).to_contain_text("1-101")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="删除").click()
    expect(row).to_have_count(0)


def test_security_role_reads_management_pages_but_cannot_edit(page: Page) -> None:
    sign_in(page, SECURITY)
    page.get_by_role("link", name="住户").click()
    expect(page.locator("#residents-table tr[data-id=p2]")).to_contain_text("李娜")
    expect(page.locator("main")).to_contain_text("当前角色只读")
    expect(page.locator("#create-item")).to_have_count(0)
    expect(page.locator("#residents-table button")).to_have_count(0)
    expect(page.get_by_role("link", name="门禁设备")).to_be_hidden()


def test_console_is_usable_from_the_keyboard(page: Page) -> None:
    page.goto("/")
    expect(page.locator("#login-username")).to_be_focused()
    page.keyboard.type(ADMIN[0])
    page.keyboard.press("Tab")
    page.keyboard.type(ADMIN[1])
    page.keyboard.press("Enter")
    expect(page.locator("#app-view")).to_be_visible()
    page.locator("#f-decision").focus()
    page.keyboard.press("Enter")  # submits the search form
    first_link = page.locator("#events-table tbody a").first
    first_link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#policy-checks, .no-snapshot, #snapshot").first).to_be_visible()


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_renders_at_1366x768(page: Page, lang: str, seeded: Seeded) -> None:
    """The screenshot tour: each page shows its content in `lang` without horizontal scroll."""
    page.goto("/")
    page.locator("#lang-select").select_option(lang)
    expect(page.locator("#login-form h2")).to_have_text("登录" if lang == "zh-CN" else "Sign in")
    shoot(page, f"{lang}-login")
    sign_in(page, lang=lang)
    expect(rows(page, "events-table")).to_have_count(seeded.event_rows)
    shoot(page, f"{lang}-events")
    page.locator("#events-table tbody tr:has(.icon) a").first.click()
    assert page.locator("#snapshot").evaluate("i => i.decode().then(() => i.naturalWidth)") > 0
    shoot(page, f"{lang}-event-detail")
    page.locator("#nav-list a[data-route=alarms]").click()
    page.locator("#alarm-state").select_option("all")
    expect(rows(page, "alarms-table")).to_have_count(seeded.open_alarms)
    shoot(page, f"{lang}-alarms")
    page.locator("#nav-list a[data-route=chart]").click()
    expect(page.locator("figure.chart-card")).to_have_count(2)
    shoot(page, f"{lang}-chart")
    page.locator("#nav-list a[data-route=residents]").click()
    page.locator("#residents-table tbody tr").first.get_by_role("button").first.click()
    expect(page.locator("#enrol-consent")).to_be_visible()
    shoot(page, f"{lang}-residents-enrol")
    page.keyboard.press("Escape")
    page.locator("#nav-list a[data-route=gates]").click()
    expect(rows(page, "gates-table")).not_to_have_count(0)
    shoot(page, f"{lang}-gates")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

"""The guard's touch UI driven in headless Chromium at 1024x600, in Chinese and English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import cv2
import numpy as np
import pytest
from guard_harness import (  # noqa: F401  (rig_fixture: pytest fixture)
    GUARD,
    HOST_UNIT,
    KIOSK,
    LARGE,
    GuardRig,
    face_image,
    rig_fixture,
    shoot,
)

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
Page = sync_api.Page
expect = sync_api.expect
LANGS = ["zh-CN", "en"]
TEXT = {
    "zh-CN": {"wrong": "密码错误。", "required": "必填。", "no_face": "未检测到人脸",
              "reason": "请填写开门原因。", "opened": "已开门一次，已记录。",
              "phone": "请输入以1开头的11位手机号", "done": "访客已登记", "ack": "确认",
              "acked": "已由g-wang确认", "consent": "请先勾选访客同意。"},
    "en": {"wrong": "Wrong PIN.", "required": "Required.", "no_face": "No face found.",
           "reason": "Say why the door is opened.", "opened": "Door opened once; recorded.",
           "phone": "Enter an 11-digit mobile number", "done": "Visitor registered",
           "ack": "Acknowledge", "acked": "Acknowledged by g-wang",
           "consent": "Tick the visitor's consent first."},
}


@pytest.fixture(name="page")
def page_fixture(browser, rig: GuardRig) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=KIOSK, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=rig.url)
    context.set_default_timeout(8000)
    opened = context.new_page()
    yield opened
    context.close()


def open_ui(page: Page, lang: str) -> None:
    page.goto("/")
    # The guard list appears once the catalogues are loaded: only then switch the language.
    expect(page.locator("#guard-select option")).to_have_count(1)
    page.locator("#lang-select").select_option(lang)
    expect(page.locator("#sign-in-view")).to_be_visible()


def sign_in(page: Page, lang: str) -> None:
    open_ui(page, lang)
    for digit in GUARD[2]:
        page.locator("#keypad button", has_text=digit).first.click()
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#app-view")).to_be_visible()


@pytest.mark.parametrize("lang", LANGS)
def test_wrong_pin_is_refused_in_the_ui_language_then_the_right_one_signs_in(
        page: Page, rig: GuardRig, lang: str) -> None:
    open_ui(page, lang)
    expect(page.locator("#guard-select option")).to_have_text([GUARD[1]])
    page.locator("#pin-input").fill("9999")
    page.locator("#sign-in-form button[type=submit]").click()
    expect(page.locator("#sign-in-error")).to_have_text(TEXT[lang]["wrong"])
    shoot(page, f"sign-in-wrong-pin-{lang}")
    sign_in(page, lang)
    expect(page.locator("#who")).to_contain_text(GUARD[1])


@pytest.mark.parametrize("lang", LANGS)
def test_live_view_shows_the_camera_and_recent_decisions(page: Page, rig: GuardRig,
                                                         lang: str) -> None:
    rig.show(face_image())
    rig.ctx.event_log.append("manual_open", decision="granted", reason="manual_open",
                             evidence={"guard_id": GUARD[0], "note": "seed"})
    sign_in(page, lang)
    expect(page.locator("#decisions li").first).to_be_visible()
    page.wait_for_function("document.getElementById('camera').naturalWidth > 0")
    shoot(page, f"live-{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_empty_visitor_form_is_refused_in_place(page: Page, rig: GuardRig, lang: str) -> None:
    sign_in(page, lang)
    page.locator(".tabs button[data-tab=visitor]").click()
    page.locator("#v-phone").fill("12345")
    page.locator("#register").click()
    expect(page.locator('.field-error[data-for="name"]')).to_have_text(TEXT[lang]["required"])
    expect(page.locator('.field-error[data-for="phone"]')).to_contain_text(TEXT[lang]["phone"])
    expect(page.locator('.field-error[data-for="consent"]')).to_have_text(TEXT[lang]["consent"])
    shoot(page, f"visitor-refused-{lang}")
    assert rig.events("visitor_registered") == []


@pytest.mark.parametrize("lang", LANGS)
def test_capture_without_a_face_asks_for_another(page: Page, rig: GuardRig, lang: str) -> None:
    rig.show_nobody()
    sign_in(page, lang)
    page.locator(".tabs button[data-tab=visitor]").click()
    page.locator("#v-consent").check()
    page.locator("#capture").click()
    expect(page.locator('.field-error[data-for="capture"]')).to_contain_text(
        TEXT[lang]["no_face"])
    expect(page.locator("#capture-preview")).to_be_hidden()
    shoot(page, f"capture-no-face-{lang}")


def _fill_visitor(page: Page, name: str) -> None:
    page.locator(".tabs button[data-tab=visitor]").click()
    page.locator("#v-name").fill(name)
    page.locator("#v-phone").fill("13812345678")
    page.locator("#v-unit").fill(HOST_UNIT)
    page.locator("#v-purpose").fill("探亲")
    page.locator("#v-entries").fill("2")


@pytest.mark.parametrize("lang", LANGS)
def test_face_visitor_is_registered_after_consent_and_capture(page: Page, rig: GuardRig,
                                                              lang: str) -> None:
    rig.show(face_image())
    sign_in(page, lang)
    _fill_visitor(page, f"访客{lang}")
    page.locator("#v-consent").check()
    page.locator("#capture").click()
    expect(page.locator("#capture-preview")).to_be_visible()
    shoot(page, f"visitor-captured-{lang}")
    page.locator("#register").click()
    expect(page.locator("#visitor-done h2")).to_have_text(TEXT[lang]["done"])
    expect(page.locator("#visitor-summary")).to_contain_text("138****5678")
    shoot(page, f"visitor-registered-{lang}")
    registered = rig.events("visitor_registered")[-1]
    assert registered.evidence["credential"] == "face"
    assert rig.ctx.store.consent_for(registered.subject) is not None
    rig.ctx.directory.delete_person(registered.subject)  # the same face again next language


@pytest.mark.parametrize("lang", LANGS)
def test_pass_visitor_gets_a_pin_on_screen(page: Page, rig: GuardRig, lang: str) -> None:
    sign_in(page, lang)
    _fill_visitor(page, f"通行证{lang}")
    page.locator("input[name=credential][value=pass]").check()
    expect(page.locator("#face-block")).to_be_hidden()
    page.locator("#register").click()
    expect(page.locator("#pass-pin")).to_have_text(re.compile(r"^[0-9]{6}$"))
    expect(page.locator("#pass-qr")).to_be_visible()
    shoot(page, f"visitor-pass-{lang}")
    # The code on screen, as a scanner would see it, reads back as the PIN shown beside it.
    png = page.locator("#pass-qr").screenshot()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    decoded, _points, _straight = cv2.QRCodeDetector().detectAndDecode(image)
    assert decoded == page.locator("#pass-pin").inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_manual_open_needs_a_reason_and_is_recorded(page: Page, rig: GuardRig,
                                                    lang: str) -> None:
    before = len(rig.events("manual_open"))
    sign_in(page, lang)
    page.locator(".tabs button[data-tab=open]").click()
    page.locator("#open-form button[type=submit]").click()
    expect(page.locator('#open-form .field-error[data-for="reason"]')).to_have_text(
        TEXT[lang]["reason"])
    assert len(rig.events("manual_open")) == before
    page.locator("#open-reason").fill("快递员送大件")
    page.locator("#open-form button[type=submit]").click()
    expect(page.locator("#open-result")).to_have_text(TEXT[lang]["opened"])
    shoot(page, f"manual-open-{lang}")
    latest = rig.events("manual_open")[-1]
    assert latest.evidence == {"guard_id": GUARD[0], "note": "快递员送大件"}


@pytest.mark.parametrize("lang", LANGS)
def test_alarm_is_acknowledged_from_the_screen(page: Page, rig: GuardRig, lang: str) -> None:
    alarm = rig.ctx.event_log.append("door_forced")
    sign_in(page, lang)
    expect(page.locator("#alarm-badge")).to_be_visible()
    page.locator(".tabs button[data-tab=alarms]").click()
    page.locator("#alarms button.ack").first.click()
    expect(page.locator("#alarms li").first).to_contain_text(TEXT[lang]["acked"])
    shoot(page, f"alarms-{lang}")
    acks = [e for e in rig.events("alarm_acknowledged")
            if e.evidence["alarm_sequence"] == alarm.sequence]
    assert [e.evidence["guard_id"] for e in acks] == [GUARD[0]]


@pytest.mark.parametrize("lang", LANGS)
def test_muster_list_shows_who_is_inside_and_prints(page: Page, rig: GuardRig,
                                                    lang: str) -> None:
    from gate.policy.model import Decision
    from gate.policy.reasons import ReasonCode

    rig.sim.gate.controller.executor.execute(Decision(
        granted=True, reason=ReasonCode.GRANTED_RESIDENT, subject="r-host", alarm=False,
        evidence={}))
    sign_in(page, lang)
    page.locator(".tabs button[data-tab=muster]").click()
    expect(page.locator("#muster-table tbody tr", has_text="陈静")).to_have_count(1)
    shoot(page, f"muster-{lang}")
    page.emulate_media(media="print")
    shoot(page, f"muster-print-{lang}")


SCOPE = {"zh-CN": {"offline": "离线：仅本门岗（无法连接中心服务器）。",
                   "community": "全小区各门岗。"},
         "en": {"offline": "Offline: this gate only (the aggregator cannot be reached).",
                "community": "All gates of the community."}}


@pytest.mark.parametrize("lang", LANGS)
def test_muster_list_says_offline_or_community_wide(page: Page, rig: GuardRig,
                                                   lang: str) -> None:
    from gate.uplink.client import AggregatorClient

    offline = AggregatorClient("http://127.0.0.1:9", "unused", timeout_seconds=1.0)
    # Later than this gate's own entries of r-host (earlier tests): the community's wins.
    since = (rig.ctx.clock.now() + timedelta(seconds=1)).isoformat()
    try:
        rig.ctx.community_muster = offline.muster  # nothing listens on port 9
        sign_in(page, lang)
        page.locator(".tabs button[data-tab=muster]").click()
        expect(page.locator("#muster-scope.warn")).to_have_text(SCOPE[lang]["offline"])
        shoot(page, f"muster-offline-{lang}")
        rig.ctx.community_muster = lambda hours: {"people": [
            {"person_id": "r-host", "inside": True, "at": since, "gate_id": "gate-east"}]}
        page.locator(".tabs button[data-tab=live]").click()
        page.locator(".tabs button[data-tab=muster]").click()
        expect(page.locator("#muster-scope")).to_have_text(SCOPE[lang]["community"])
        expect(page.locator("#muster-scope.warn")).to_have_count(0)
        expect(page.locator("#muster-table tbody tr", has_text="gate-east")).to_have_count(1)
        shoot(page, f"muster-community-{lang}")
    finally:
        rig.ctx.community_muster = None
        offline.close()


def test_screen_signs_out_after_inactivity(page: Page, rig: GuardRig) -> None:
    page.clock.install()
    sign_in(page, "zh-CN")
    page.clock.fast_forward(rig.ctx.config.idle_sign_out_seconds * 1000 + 1000)
    expect(page.locator("#sign-in-view")).to_be_visible()
    assert rig.events("guard_signed_out")[-1].evidence["why"] == "idle"


def test_large_screen_layout(browser, rig: GuardRig) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=LARGE, base_url=rig.url, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, "zh-CN")
        page.locator(".tabs button[data-tab=visitor]").click()
        shoot(page, "visitor-1280x800-zh-CN")
        target = page.locator("#register").bounding_box()
        assert target is not None and target["height"] >= 48
    finally:
        context.close()

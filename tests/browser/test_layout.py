"""Layout: the header at 1280 px, space above the footer, the progress bar, the results slip, the service and
error pages (each checked with axe, screenshots kept)."""

import datetime as dt
import io
import re
from typing import Any

from django.test import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import DEFAULT_PASSWORD
from centres.models import EntryImport, StaffMember
from centres.services import certification_entry_create, unit_entries_set
from centres.tests.factories import EntryFactory, StaffMemberFactory
from results.imports import RESULT_COLUMNS, results_import
from results.tests.factories import UK, unitised_qualification, unitised_series

from .helpers import BROWSER_DB, Journey, centre_log_in, overflowing_elements

pytestmark = [BROWSER_DB]

LANGUAGES = [("", "en"), ("/es", "es"), ("/zh-hans", "zh-hans")]
BRAND = (0x0B, 0x3D, 0x6E)  # --brand in static/css/portal.css


def _centre_login(page: Page, *, role: str = StaffMember.Role.EXAMS_OFFICER) -> Any:
    staff = StaffMemberFactory(role=role)
    device = TOTPDevice.objects.create(user=staff.user, name="phone", confirmed=True)
    centre_log_in(page, email=staff.user.email, password=DEFAULT_PASSWORD, device=device)
    expect(page.get_by_role("link", name="Staff")).to_be_visible()
    return staff


def test_the_header_fits_on_one_line_at_1280_in_every_language(
    page: Page, journey: Journey, live_server: LiveServer
) -> None:
    _centre_login(page)  # an exams officer: the header with the most links
    for prefix, language in LANGUAGES:
        page.goto(f"{prefix}/centre/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        header: dict[str, Any] = page.evaluate(
            """() => {
                const header = document.querySelector('.site-header');
                const items = [...header.querySelectorAll('nav li')].map((li) => li.getBoundingClientRect().top);
                const brand = header.querySelector('.brand').getBoundingClientRect();
                const language = header.querySelector('form.language').getBoundingClientRect();
                const wrap = header.querySelector('.wrap');
                const padding = parseFloat(getComputedStyle(wrap).paddingRight);
                const contentRight = wrap.getBoundingClientRect().right - padding;
                const rights = [...header.querySelectorAll('nav li')].map((li) => li.getBoundingClientRect().right);
                const navRight = Math.max(...rights);
                return {height: header.getBoundingClientRect().height, rows: new Set(items.map(Math.round)).size,
                        items: items.length, brandTop: brand.top, languageTop: language.top,
                        navRight, contentRight,
                        scroll: document.documentElement.scrollWidth};
            }"""
        )
        journey.step(page, f"centre home header {language}")
        assert header["items"] == 8, header  # Enquiries included
        assert header["rows"] == 1, f"the navigation wraps in {language}: {header}"
        # Two rows by design: the brand and the switcher, then the navigation.
        assert header["height"] <= 110, f"the header is {header['height']}px high in {language}"
        assert abs(header["languageTop"] - header["brandTop"]) < 20, f"the switcher fell to a second line: {header}"
        assert header["navRight"] <= header["contentRight"] + 0.5, f"the navigation overflows in {language}: {header}"
        assert header["scroll"] <= 1280, header
        assert overflowing_elements(page, width=1280) == []


def test_the_last_button_stands_clear_of_the_footer_rule(
    page: Page, journey: Journey, live_server: LiveServer
) -> None:
    for url in ["/centre/login/", "/results/password-reset/", "/es/results/password-reset/"]:
        page.goto(url)
        gap = page.evaluate(
            """() => {
                const buttons = document.querySelectorAll('main button');
                const last = buttons[buttons.length - 1].getBoundingClientRect();
                return document.querySelector('.site-footer').getBoundingClientRect().top - last.bottom;
            }"""
        )
        journey.step(page, f"footer gap {url}")
        assert gap >= 24, f"{url}: the last button is {gap}px above the footer rule"


def _bar_colour(page: Page) -> tuple[int, int, int]:
    """Return the colour of the filled part of the progress bar (a pixel a little inside its left end)."""
    image = Image.open(io.BytesIO(page.locator("progress").screenshot())).convert("RGB")
    return image.getpixel((6, image.height // 2))  # type: ignore[return-value]


def test_the_progress_bar_is_in_the_portal_colours_and_never_full_for_a_rejected_import(
    page: Page, journey: Journey, live_server: LiveServer
) -> None:
    staff = _centre_login(page)
    running = EntryImport.objects.create(
        centre=staff.centre,
        uploaded_by=staff.user,
        filename="running.csv",
        source="",
        status=EntryImport.Status.RUNNING,
        total=10,
        done=4,
        started_at=timezone.now(),
    )
    rejected = EntryImport.objects.create(
        centre=staff.centre,
        uploaded_by=staff.user,
        filename="rejected.csv",
        source="",
        status=EntryImport.Status.REJECTED,
        total=10,
        done=10,
        errors=["line 2, column exam_code: 'XYZ' is not an exam"],
        finished_at=timezone.now(),
    )
    page.goto(f"/centre/imports/{running.public_id}/")
    expect(page.locator("progress")).to_have_attribute("value", "40")
    journey.step(page, "running import")
    red, green, blue = _bar_colour(page)
    assert max(abs(red - BRAND[0]), abs(green - BRAND[1]), abs(blue - BRAND[2])) < 24, (red, green, blue)

    page.goto(f"/centre/imports/{rejected.public_id}/")
    expect(page.get_by_role("heading", level=2)).to_contain_text("nothing was imported")
    journey.step(page, "rejected import")
    expect(page.locator("progress")).to_have_count(0)
    expect(page.get_by_role("main")).not_to_contain_text("100")
    expect(page.get_by_role("main")).to_contain_text("Rejected")


def test_the_results_slip_is_readable(page: Page, journey: Journey, live_server: LiveServer) -> None:
    staff = _centre_login(page)
    year = timezone.localdate().year - 1  # a series whose results are out, on any day
    exam = unitised_qualification()
    series = unitised_series(exam, year=year)
    entry = EntryFactory(session=series, person__centre=staff.centre)
    unit_entries_set(entry=entry, unit_codes=["F240", "F241", "F242"], actor=None)
    before = dt.datetime(year, 8, 1, 9, 0, tzinfo=UK)
    rows = [
        f"{entry.candidate_id},{exam.code},{series.date},{unit},{raw}"
        for unit, raw in [("F240", 45), ("F241", 8), ("F242", 30)]
    ]
    results_import(text="\n".join([",".join(RESULT_COLUMNS), *rows]) + "\n", now=before)
    certification_entry_create(entry=entry, actor=None, now=before)

    page.goto(f"/centre/unitised/entries/{entry.public_id}/slip/")
    table = page.get_by_role("table")
    expect(table).to_contain_text("F241")
    journey.step(page, "results slip")
    layout: dict[str, Any] = page.evaluate(
        """() => {
            const table = document.querySelector('main table');
            const lineHeight = parseFloat(getComputedStyle(table).lineHeight);
            const rows = [...table.querySelectorAll('tbody tr, tfoot tr')]
                .map((tr) => tr.getBoundingClientRect().height);
            const cells = [...table.querySelectorAll('td:first-of-type')].map((td) => getComputedStyle(td).textAlign);
            return {width: table.getBoundingClientRect().width, lineHeight, tallest: Math.max(...rows), cells};
        }"""
    )
    assert layout["width"] >= 560, layout  # room for the unit names
    assert layout["tallest"] < 2.5 * layout["lineHeight"] + 16, f"a row wraps onto several lines: {layout}"
    assert layout["cells"] == ["right"] * 4, f"the UMS figures are not aligned: {layout}"


def test_help_privacy_and_accessibility_pages_in_every_language(
    page: Page, journey: Journey, live_server: LiveServer
) -> None:
    page.goto("/")
    footer = page.locator("footer")
    for name in ["Help and contact", "Privacy notice", "Accessibility statement"]:
        footer.get_by_role("link", name=name).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        page.go_back()
    for prefix, language in LANGUAGES:
        for path in ["help", "privacy", "accessibility"]:
            page.goto(f"{prefix}/{path}/")
            expect(page.locator("html")).to_have_attribute("lang", language)
            journey.step(page, f"{path} {language}")


@override_settings(DEBUG=False)
def test_error_pages_in_every_language(page: Page, journey: Journey, live_server: LiveServer) -> None:
    for prefix, language in LANGUAGES:
        response = page.goto(f"{prefix}/verify/s/no-such-link")
        assert response is not None and response.status == 404
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(".site-footer")).to_be_visible()
        journey.step(page, f"withdrawn share link {language}")
    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page).to_have_title(re.compile("^Page not found"))
    journey.step(page, "unknown page")

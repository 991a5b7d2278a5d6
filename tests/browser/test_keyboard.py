"""Keyboard only: the skip link, a visible focus, and the registration and login forms without a mouse."""

import re

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from centres.tests.factories import DEFAULT_SECRET, EntryFactory

from .helpers import BROWSER_DB, Journey, emailed_link, focused

pytestmark = [BROWSER_DB]

PASSWORD = "violet-harbour-1987"
EMAIL = "kim.lee@example.org"

FOCUS_STYLE = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    // The colour the outline is drawn on: the first ancestor with an opaque background (else white).
    let behind = 'rgb(255, 255, 255)';
    for (let node = el.parentElement; node; node = node.parentElement) {
        const colour = getComputedStyle(node).backgroundColor;
        if (colour && colour !== 'transparent' && !colour.startsWith('rgba(0, 0, 0, 0')) { behind = colour; break; }
    }
    return {style: style.outlineStyle, width: parseFloat(style.outlineWidth), colour: style.outlineColor,
            behind: behind, shadow: style.boxShadow};
}"""


def _luminance(colour: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+(?:\.\d+)?", colour)[:3])

    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    """Return the WCAG contrast ratio of two CSS ``rgb()`` colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _tab_to_main_by_skip_link(page: Page) -> None:
    """Press Tab once: the first stop is the skip link; Enter on it moves the focus to the main content."""
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content", focused(page)
    expect(page.get_by_role("link", name="Skip to main content")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main", focused(page)


def _tab(page: Page, *, to: str) -> None:
    """Press Tab and check the focus lands on the element with id ``to`` (the next field in reading order)."""
    page.keyboard.press("Tab")
    assert focused(page)["id"] == to, f"Tab went to {focused(page)}, not #{to}"


def test_register_and_log_in_with_the_keyboard_only(page: Page, journey: Journey, live_server: LiveServer) -> None:
    entry = EntryFactory()

    page.goto("/results/register/")
    _tab_to_main_by_skip_link(page)
    journey.step(page, "skip link followed")
    _tab(page, to="id_candidate_id")
    page.keyboard.type(entry.candidate_id)
    _tab(page, to="id_secret_number")
    page.keyboard.type(DEFAULT_SECRET)
    _tab(page, to="id_date_of_birth")
    page.keyboard.type(entry.person.date_of_birth.strftime("%d/%m/%Y"))
    _tab(page, to="id_email")
    page.keyboard.type(EMAIL)
    _tab(page, to="id_password")
    page.keyboard.type(PASSWORD)
    _tab(page, to="id_confirm_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page)["tag"] == "button" and focused(page)["text"] == "Register", focused(page)
    journey.step(page, "register button focused", check=False)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    journey.step(page, "registered")

    page.goto(emailed_link(live_server.url, to=EMAIL, containing="/confirm/"))
    expect(page).to_have_url(re.compile(r"/results/login/(#.*)?$"))
    _tab_to_main_by_skip_link(page)
    _tab(page, to="id_candidate_id")
    page.keyboard.type(entry.candidate_id)
    _tab(page, to="id_password")
    page.keyboard.type(PASSWORD)
    journey.step(page, "login form filled")
    page.keyboard.press("Enter")  # submits the form from its last field, as people do

    expect(page).to_have_url(re.compile(r"/results/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    journey.step(page, "dashboard")


def test_focus_on_an_input_is_clearly_visible(page: Page, journey: Journey, live_server: LiveServer) -> None:
    page.goto("/results/login/")
    _tab_to_main_by_skip_link(page)
    _tab(page, to="id_candidate_id")
    journey.step(page, "candidate id focused")

    focus = page.evaluate(FOCUS_STYLE)
    assert focus["style"] not in {"none", "hidden"} and focus["width"] >= 2, focus
    # WCAG 1.4.11 (non-text contrast): a focus indicator needs 3:1 against the colours next to it.
    ratio = contrast(focus["colour"], focus["behind"])
    assert ratio >= 3, (
        f"The focus outline ({focus['colour']}) has a contrast of {ratio:.2f}:1 against the page behind it "
        f"({focus['behind']}); WCAG 1.4.11 needs at least 3:1"
    )

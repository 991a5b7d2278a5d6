"""A visitor switches the portal to Spanish with the language switcher."""

import re

from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def test_switch_to_spanish(page: Page, journey: Journey, live_server: LiveServer) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam results")
    journey.step(page, "home in English")

    switcher = page.get_by_label("Language")
    expect(switcher.locator('option[value="es"]')).to_have_text(re.compile("^español$", re.IGNORECASE))
    switcher.select_option(value="es")
    page.get_by_role("button", name="Change").click()

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page).to_have_url(re.compile(r"/es/(#.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Resultados de exámenes")
    expect(page.get_by_role("heading", name="Empiece aquí")).to_be_visible()
    expect(page.get_by_label("Idioma")).to_have_value("es")
    journey.step(page, "home in Spanish")


def test_switch_from_spanish_and_from_chinese(page: Page, journey: Journey, live_server: LiveServer) -> None:
    page.goto("/es/results/login/")
    page.get_by_label("Idioma").select_option(value="zh-hans")
    page.get_by_role("button", name="Cambiar").click()
    expect(page).to_have_url(re.compile(r"/zh-hans/results/login/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    journey.step(page, "login from Spanish to Chinese")

    switcher = page.locator("#language-select")
    switcher.select_option(value="en")
    page.locator("form.language button").click()
    expect(page).to_have_url(re.compile(r"/results/login/$"))
    expect(page).not_to_have_url(re.compile(r"/zh-hans/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    journey.step(page, "login from Chinese to English")

    page.goto("/es/verify/")
    page.get_by_label("Idioma").select_option(value="en")
    page.get_by_role("button", name="Cambiar").click()
    expect(page).to_have_url(re.compile(r"/verify/$"))
    expect(page).not_to_have_url(re.compile(r"/es/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.goto("/zh-hans/")
    page.locator("#language-select").select_option(value="es")
    page.locator("form.language button").click()
    expect(page).to_have_url(re.compile(r"/es/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Resultados de exámenes")
    journey.step(page, "home from Chinese to Spanish")

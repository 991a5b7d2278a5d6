"""Forms report every problem at once, in a summary at the top linked to each field, with messages that name it."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuthFailure
from candidates.models import CandidateAccount
from centres.tests.factories import EntryFactory
from web.candidate.tests.test_accounts import _link_from, _registered

pytestmark = pytest.mark.django_db

REGISTRATION_FIELDS = ["candidate_id", "secret_number", "date_of_birth", "email", "password", "confirm_password"]


def _summary(html: str) -> str:
    match = re.search(r'<div class="form-errors error-summary".*?</div>', html, re.S)
    assert match, "no error summary on the page"
    return match.group(0)


def test_an_empty_registration_lists_every_field_in_one_summary_linked_to_it(client: Client) -> None:
    response = client.post("/results/register/", dict.fromkeys(REGISTRATION_FIELDS, ""))

    html = response.content.decode()
    summary = _summary(html)
    assert 'tabindex="-1"' in summary and "There is a problem" in summary
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links == [f"id_{name}" for name in REGISTRATION_FIELDS]
    for name in REGISTRATION_FIELDS:
        assert f'id="id_{name}"' in html
    assert "Candidate ID: This field is required." in summary
    assert "Confirm password: This field is required." in summary
    assert 'src="/static/js/error-summary.js"' in html
    assert "<script>" not in html  # no inline script: the summary loads its static file


def test_every_problem_of_a_registration_is_reported_at_once(client: Client) -> None:
    entry = EntryFactory()

    response = client.post(
        "/results/register/",
        {
            "candidate_id": entry.candidate_id,
            "secret_number": "123",
            "date_of_birth": "31/02/2006",
            "email": "not-an-address",
            "password": "password",
            "confirm_password": "something else",
        },
    )

    summary = _summary(response.content.decode())
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links[:4] == ["id_secret_number", "id_date_of_birth", "id_email", "id_password"]
    assert "id_confirm_password" in links
    assert "Secret number: The secret number has exactly 4 digits." in summary
    assert "This password is too common." in summary
    assert "The two passwords are not the same." in summary
    assert not CandidateAccount.objects.exists()
    assert not AuthFailure.objects.exists()  # nothing reached the secret-number check


def test_a_weak_password_is_reported_with_the_other_fields_not_after_them(client: Client) -> None:
    entry = EntryFactory()

    response = client.post(
        "/results/register/",
        {
            "candidate_id": entry.candidate_id,
            "secret_number": "12",
            "date_of_birth": "17/05/2006",
            "email": "ana@example.org",
            "password": "12345678",
            "confirm_password": "12345678",
        },
    )

    summary = _summary(response.content.decode())
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["id_secret_number", "id_password", "id_password"]
    assert "This password is entirely numeric." in summary


@pytest.mark.parametrize("secret", ["123", "12345", "12a4", "abcd", "١٢٣٤"])
@pytest.mark.parametrize("path", ["/results/register/", "/verify/"])
def test_every_wrong_secret_number_gets_the_message_that_names_the_field(
    client: Client, path: str, secret: str
) -> None:
    response = client.post(path, {"candidate_id": "ABC123456", "secret_number": secret})

    html = response.content.decode()
    assert "The secret number has exactly 4 digits." in html
    assert "Ensure this value has" not in html
    assert "The 4-digit number on your Confirmation of Entry" not in html.split('class="field"')[0]


def test_the_password_reset_page_labels_have_no_colons(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    mail.outbox.clear()
    client.post("/results/password-reset/", {"candidate_id": entry.candidate_id})

    html = client.get(_link_from(mail.outbox[0]), follow=True).content.decode()

    assert re.search(r">New password</label>", html)
    assert re.search(r">New password confirmation</label>", html)
    assert ":</label>" not in html

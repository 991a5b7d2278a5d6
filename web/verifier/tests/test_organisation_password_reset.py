"""A verifier organisation that forgot its password gets a single-use link at its registered address."""

import re
from unittest import mock

import pytest
from django.core import mail
from django.test import Client

from verification.tests.conftest import PASSWORD, organisation

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-long-password-2026"
DONE = "If an organisation is registered with that address"


def _ask(client: Client, email: str) -> str:
    """Return the answer page, without its CSRF tokens (masked afresh for every page)."""
    page = client.post("/verify/organisations/password-reset/", {"email": email}).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def _link(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_the_login_page_links_to_it_and_the_link_sets_a_new_password_once(client: Client) -> None:
    org = organisation()
    assert "/verify/organisations/password-reset/" in client.get("/verify/organisations/login/").content.decode()

    assert DONE in _ask(client, org.email.upper())

    assert [m.to for m in mail.outbox] == [[org.email]]
    assert "University of Testing" in mail.outbox[0].body and PASSWORD not in mail.outbox[0].body
    form_url = client.get(_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    changed = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert "Your password has been changed" in changed.content.decode()
    old = client.post("/verify/organisations/login/", {"email": org.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session and old.status_code == 200
    new = client.post("/verify/organisations/login/", {"email": org.email, "password": NEW_PASSWORD})
    assert new.status_code == 302
    again = Client().get(_link(mail.outbox[0]), follow=True).content.decode()
    assert "This link is not valid" in again


def test_unknown_and_unconfirmed_addresses_get_the_same_answer_and_no_email(client: Client) -> None:
    unconfirmed = organisation(name="Not Confirmed", confirmed=False)

    answers = {_ask(client, "nobody@nowhere.example"), _ask(client, unconfirmed.email)}

    assert len(answers) == 1 and DONE in answers.pop()
    assert mail.outbox == []


def test_one_email_per_address_per_ten_minutes(client: Client) -> None:
    org = organisation()

    for _ in range(3):
        assert DONE in _ask(client, org.email)

    assert len(mail.outbox) == 1


def test_a_reset_lifts_the_login_lock(client: Client) -> None:
    org = organisation()
    for _ in range(5):
        client.post("/verify/organisations/login/", {"email": org.email, "password": "wrong-password-1"})
    assert client.post("/verify/organisations/login/", {"email": org.email, "password": PASSWORD}).status_code == 429

    _ask(client, org.email)
    form_url = client.get(_link(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert (
        client.post("/verify/organisations/login/", {"email": org.email, "password": NEW_PASSWORD}).status_code == 302
    )


def test_known_and_unknown_addresses_do_the_same_work_in_the_request(client: Client) -> None:
    """The look-up is the task's: the request queues the same task either way, so its timing tells nothing."""
    org = organisation()

    with mock.patch("verification.tasks.organisation_password_reset_send.delay") as queued:
        _ask(client, org.email)
        _ask(client, "nobody@nowhere.example")

    assert [call.kwargs["email"] for call in queued.call_args_list] == [org.email, "nobody@nowhere.example"]

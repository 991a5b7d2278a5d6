"""Verifier organisations: register, confirm, log in (guarded, session rotated), history, API keys."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from centres.tests.factories import DEFAULT_SECRET
from verification.models import ApiKey, VerifierOrganisation
from verification.services import WRONG_ORGANISATION_LOGIN
from verification.tests.conftest import PASSWORD, organisation, released_entry

pytestmark = pytest.mark.django_db


def _register(client: Client, email: str = "admissions@uni.example", password: str = PASSWORD) -> Any:
    return client.post(
        "/verify/organisations/register/",
        {
            "name": "Universidad de Ejemplo",
            "country": "Spain",
            "email": email,
            "password": password,
            "confirm_password": password,
        },
    )


def _link(message: mail.EmailMessage) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_register_confirm_then_log_in_with_a_new_session(client: Client) -> None:
    page = client.get("/verify/organisations/register/").content.decode()
    for label in ("Organisation name", "Country", "Email", "Password", "Confirm password"):
        assert f">{label}</label>" in page

    response = _register(client, email="Admissions@Uni.example")

    assert response.status_code == 200 and "Check your email" in response.content.decode()
    org = VerifierOrganisation.objects.get()
    assert org.email == "admissions@uni.example" and not org.is_confirmed
    assert org.user.password.startswith("md5$")  # the project's first hasher (Argon2id outside tests)
    early = client.post("/verify/organisations/login/", {"email": org.email, "password": PASSWORD})
    assert "Confirm your email address first" in early.content.decode()

    assert client.get(_link(mail.outbox[0])).status_code == 302
    client.get("/verify/")
    before = client.session.session_key
    login = client.post("/verify/organisations/login/", {"email": "ADMISSIONS@uni.example", "password": PASSWORD})

    assert login.status_code == 302 and login["Location"] == "/verify/organisations/"
    assert client.session.session_key != before
    home = client.get("/verify/organisations/").content.decode()
    assert "Universidad de Ejemplo" in home
    assert client.post("/verify/organisations/logout/").status_code == 302
    assert client.get("/verify/organisations/").status_code == 302


def test_registering_a_taken_address_answers_the_same_and_warns_its_owner(client: Client) -> None:
    org = organisation()

    response = _register(client, email=org.email)

    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert VerifierOrganisation.objects.count() == 1
    assert mail.outbox[-1].to == [org.email] and "already registered" in mail.outbox[-1].subject


def test_a_weak_password_is_refused(client: Client) -> None:
    response = _register(client, password="password")

    assert response.status_code == 200 and "too common" in response.content.decode()
    assert not VerifierOrganisation.objects.exists()


def test_a_tampered_confirmation_link_is_refused(client: Client) -> None:
    _register(client)
    link = _link(mail.outbox[0])

    assert client.get(link.rstrip("/") + "x/").status_code == 400
    assert not VerifierOrganisation.objects.get().is_confirmed


def test_login_is_guarded_and_answers_unknown_and_wrong_alike(client: Client) -> None:
    org = organisation()

    wrong = client.post("/verify/organisations/login/", {"email": org.email, "password": "wrong-password-1"})
    unknown = client.post(
        "/verify/organisations/login/", {"email": "nobody@x.example", "password": "wrong-password-1"}
    )

    assert str(WRONG_ORGANISATION_LOGIN) in wrong.content.decode()
    assert str(WRONG_ORGANISATION_LOGIN) in unknown.content.decode()
    for _ in range(4):
        client.post("/verify/organisations/login/", {"email": org.email, "password": "wrong-password-1"})
    locked = client.post("/verify/organisations/login/", {"email": org.email, "password": PASSWORD})
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 800
    assert "Too many unsuccessful attempts to log in with this email address" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_ignores_a_foreign_next(client: Client) -> None:
    org = organisation()

    response = client.post(
        "/verify/organisations/login/?next=https://evil.example/", {"email": org.email, "password": PASSWORD}
    )

    assert response["Location"] == "/verify/organisations/"


def test_organisation_pages_need_a_login_and_csrf(db: None) -> None:
    anonymous = Client()
    for path in (
        "/verify/organisations/",
        "/verify/organisations/history/",
        "/verify/organisations/keys/",
        "/verify/organisations/bulk/",
    ):
        response = anonymous.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/verify/organisations/login/?next=")
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(organisation().user)
    assert strict.post("/verify/organisations/keys/", {"name": "x"}).status_code == 403


def test_history_lists_the_organisations_own_lookups(org_client: Client) -> None:
    entry = released_entry()
    org_client.post("/verify/", {"candidate_id": entry.candidate_id, "secret_number": DEFAULT_SECRET})
    other = released_entry()
    Client().post("/verify/", {"candidate_id": other.candidate_id, "secret_number": DEFAULT_SECRET})

    html = org_client.get("/verify/organisations/history/").content.decode()

    assert entry.candidate_id in html and entry.person.full_name in html
    assert other.candidate_id not in html


def test_api_keys_are_made_shown_once_stored_hashed_and_revoked(org_client: Client) -> None:
    response = org_client.post("/verify/organisations/keys/", {"name": "Admissions"}, follow=True)

    html = response.content.decode()
    key = re.search(r"(rpv_[A-Za-z0-9_\-]{20,})", html)
    assert key is not None
    stored = ApiKey.objects.get()
    assert key.group(1) not in stored.key_digest and len(stored.key_digest) == 64
    assert key.group(1) not in org_client.get("/verify/organisations/keys/").content.decode()

    api = Client()
    body = {"candidate_id": "NOPE1", "secret_number": "1234"}
    headers = {"Authorization": f"Bearer {key.group(1)}"}
    assert api.post("/api/v1/verifications", body, content_type="application/json", headers=headers).status_code == 404

    org_client.post(f"/verify/organisations/keys/{stored.public_id}/revoke/")
    assert api.post("/api/v1/verifications", body, content_type="application/json", headers=headers).status_code == 401


def test_an_organisation_cannot_revoke_anothers_key(org_client: Client) -> None:
    from verification.services import api_key_create

    theirs, _secret = api_key_create(organisation=organisation(name="Other Org"), name="theirs")

    assert org_client.post(f"/verify/organisations/keys/{theirs.public_id}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None

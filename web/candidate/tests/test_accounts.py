"""Candidate journeys: register before the exam, confirm, log in, reset a password, link a retake, change email."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.guard import WRONG_DETAILS
from accounts.models import AuthFailure
from candidates.models import CandidateAccount, LinkedEntry
from centres.tests.factories import DEFAULT_SECRET, EntryFactory
from conftest import CommittingClient

pytestmark = pytest.mark.django_db

PASSWORD = "violet-harbour-1987"
BORN = "2006-05-17"  # the factories' date of birth


def _register(
    client: Client, entry_id: str, secret: str = DEFAULT_SECRET, email: str = "ana@example.org", born: str = BORN
) -> object:
    return client.post(
        "/results/register/",
        {
            "candidate_id": entry_id,
            "secret_number": secret,
            "date_of_birth": born,
            "email": email,
            "password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )


def _link_from(message: mail.EmailMessage) -> str:
    match = re.search(r"http://127\.0\.0\.1:8000(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def _registered(client: Client, entry: object) -> None:
    _register(client, entry.candidate_id)
    client.get(_link_from(mail.outbox[-1]))


def test_register_page_has_the_contract_labels(client: Client) -> None:
    html = client.get("/results/register/").content.decode()

    for label in ("Candidate ID", "Secret number", "Date of birth", "Email", "Password", "Confirm password"):
        assert f">{label}</label>" in html


def test_registration_before_the_exam_then_confirm_then_log_in(client: Client) -> None:
    entry = EntryFactory()
    assert entry.session.date > timezone.localdate()

    response = _register(client, entry.candidate_id.lower())

    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    assert mail.outbox[0].alternatives  # HTML part too
    assert DEFAULT_SECRET not in mail.outbox[0].body and PASSWORD not in mail.outbox[0].body

    early = client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": PASSWORD})
    assert "Confirm your email address first" in early.content.decode()

    confirmed = client.get(_link_from(mail.outbox[0]))
    assert confirmed.status_code == 302
    login = client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/results/"
    dashboard = client.get("/results/")
    assert entry.session.exam.name in dashboard.content.decode()


def test_wrong_secret_and_unknown_id_answer_identically(client: Client) -> None:
    entry = EntryFactory()

    wrong = _register(client, entry.candidate_id, secret="0000" if DEFAULT_SECRET != "0000" else "1111")
    unknown = _register(client, "ZZZ999999")

    assert wrong.status_code == unknown.status_code == 200
    assert str(WRONG_DETAILS) in wrong.content.decode()
    assert _error_block(wrong) == _error_block(unknown)
    assert AuthFailure.objects.filter(purpose="register").count() == 2
    assert not CandidateAccount.objects.exists()


def _without_csrf(response: object) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _error_block(response: object) -> str:
    html = response.content.decode()
    start = html.index('class="form-errors')
    return html[start : html.index("</div>", start)]


def test_registration_locks_after_five_wrong_secrets_even_for_the_right_one(client: Client) -> None:
    entry = EntryFactory()
    for _ in range(5):
        _register(client, entry.candidate_id, secret="9999")

    response = _register(client, entry.candidate_id)

    assert response.status_code == 429
    assert "ask the exam centre" in response.content.decode()
    assert not CandidateAccount.objects.exists()


def test_an_unconfirmed_registration_can_be_made_again(client: Client) -> None:
    entry = EntryFactory()
    _register(client, entry.candidate_id, email="typo@exmaple.org")
    _register(client, entry.candidate_id, email="right@example.org")

    assert CandidateAccount.objects.count() == 1
    assert CandidateAccount.objects.get().user.email == "right@example.org"


def test_a_confirmed_registration_cannot_be_taken_over(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)

    response = _register(CommittingClient(), entry.candidate_id, email="thief@example.org")

    assert "already registered" in response.content.decode()
    assert CandidateAccount.objects.get().user.email == "ana@example.org"


def test_password_reset_link_is_single_use(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    mail.outbox.clear()

    answer = CommittingClient().post("/results/password-reset/", {"candidate_id": entry.candidate_id})
    unknown = CommittingClient().post("/results/password-reset/", {"candidate_id": "QQQ222222"})
    assert _without_csrf(answer) == _without_csrf(unknown)
    assert len(mail.outbox) == 1 and "password" in mail.outbox[0].subject.lower()
    assert PASSWORD not in mail.outbox[0].body

    link = _link_from(mail.outbox[0])
    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    new = "quiet-meadow-2468"
    done = client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": new}).status_code == 302

    again = CommittingClient().get(link, follow=True)
    assert "not valid" in again.content.decode()


def test_password_reset_link_expires(client: Client, settings: object) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    mail.outbox.clear()
    client.post("/results/password-reset/", {"candidate_id": entry.candidate_id})
    link = _link_from(mail.outbox[0])

    settings.PASSWORD_RESET_TIMEOUT = -1  # the link's hour is over
    response = CommittingClient().get(link, follow=True)

    assert "not valid" in response.content.decode()


def test_link_a_second_entry_from_the_dashboard(client: Client) -> None:
    first = EntryFactory()
    retake = EntryFactory(person=first.person, secret="7310")
    _registered(client, first)
    client.post("/results/login/", {"candidate_id": first.candidate_id, "password": PASSWORD})

    response = client.post(
        "/results/link/", {"candidate_id": retake.candidate_id, "secret_number": "7310", "date_of_birth": BORN}
    )

    assert response.status_code == 302
    account = CandidateAccount.objects.get()
    assert set(account.links.values_list("entry__candidate_id", flat=True)) == {
        first.candidate_id,
        retake.candidate_id,
    }
    # Either Candidate ID logs in to the same account.
    other = CommittingClient()
    assert (
        other.post("/results/login/", {"candidate_id": retake.candidate_id, "password": PASSWORD}).status_code == 302
    )


def test_an_entry_of_someone_else_cannot_be_linked_twice(client: Client) -> None:
    mine, theirs = EntryFactory(), EntryFactory(secret="5555")
    _registered(client, mine)
    LinkedEntry.objects.create(account=CandidateAccount.objects.create(user=_other_user()), entry=theirs)
    client.post("/results/login/", {"candidate_id": mine.candidate_id, "password": PASSWORD})

    response = client.post(
        "/results/link/", {"candidate_id": theirs.candidate_id, "secret_number": "5555", "date_of_birth": BORN}
    )

    assert "already linked to another" in response.content.decode()


def _other_user() -> object:
    from accounts.tests.factories import UserFactory

    return UserFactory()


def test_change_email_takes_effect_only_from_the_new_address(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": PASSWORD})
    mail.outbox.clear()

    client.post("/results/email/", {"new_email": "new@example.org", "password": PASSWORD})

    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "new@example.org"]
    account = CandidateAccount.objects.select_related("user").get()
    assert account.user.email == "ana@example.org"
    to_new = next(m for m in mail.outbox if m.to == ["new@example.org"])
    client.get(_link_from(to_new))
    account.user.refresh_from_db()
    assert account.user.email == "new@example.org"
    assert client.get(_link_from(to_new)).status_code == 400  # used once


def test_change_email_needs_the_current_password(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": PASSWORD})

    response = client.post("/results/email/", {"new_email": "x@example.org", "password": "wrong-one-123"})

    assert "current password is not correct" in response.content.decode()


def test_login_locks_after_five_wrong_passwords(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    for _ in range(5):
        client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": "not-it-000"})

    response = client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_dashboard_needs_a_login(client: Client) -> None:
    response = client.get("/results/")

    assert response.status_code == 302 and response["Location"].startswith("/results/login/")


def test_dashboard_query_count_does_not_grow_with_entries(client: Client, django_assert_max_num_queries: Any) -> None:
    first = EntryFactory()
    _registered(client, first)
    account = CandidateAccount.objects.get()
    for _ in range(6):
        LinkedEntry.objects.create(account=account, entry=EntryFactory(person=first.person))
    client.post("/results/login/", {"candidate_id": first.candidate_id, "password": PASSWORD})

    with django_assert_max_num_queries(8):
        response = client.get("/results/")

    assert response.content.decode().count('class="entry"') == 7


def test_logout(client: Client) -> None:
    entry = EntryFactory()
    _registered(client, entry)
    client.post("/results/login/", {"candidate_id": entry.candidate_id, "password": PASSWORD})

    client.post("/results/logout/")

    assert client.get("/results/").status_code == 302


# --- Entries belong to people --------------------------------------------------------------------------------
def _link(client: Client, entry: Any, secret: str, born: str = BORN) -> Any:
    return client.post(
        "/results/link/", {"candidate_id": entry.candidate_id, "secret_number": secret, "date_of_birth": born}
    )


def test_a_wrong_date_of_birth_answers_as_a_wrong_secret_and_counts(client: Client) -> None:
    entry = EntryFactory()

    wrong_birth = _register(client, entry.candidate_id, born="2006-05-18")
    wrong_secret = _register(client, entry.candidate_id, secret="0000" if DEFAULT_SECRET != "0000" else "1111")

    assert wrong_birth.status_code == wrong_secret.status_code == 200
    assert str(WRONG_DETAILS) in wrong_birth.content.decode()
    assert _error_block(wrong_birth) == _error_block(wrong_secret)
    assert AuthFailure.objects.filter(identifier=entry.candidate_id).count() == 2
    assert not CandidateAccount.objects.exists() and not mail.outbox


def test_a_leaked_id_and_secret_of_another_person_cannot_be_linked(client: Client) -> None:
    """Person A holds B's Candidate ID, secret number and even date of birth (B gave them to a university)."""
    mine = EntryFactory(person__first_name="Ana", person__last_name="López")
    theirs = EntryFactory(secret="5555", person__first_name="Bea", person__last_name="Smith")
    _registered(client, mine)
    client.post("/results/login/", {"candidate_id": mine.candidate_id, "password": PASSWORD})
    mail.outbox.clear()

    response = _link(client, theirs, "5555")

    assert "This entry is for someone else" in response.content.decode()
    assert not LinkedEntry.objects.filter(entry=theirs).exists() and not mail.outbox
    # B can still register with their own details.
    other = CommittingClient()
    assert (
        "Check your email"
        in _register(other, theirs.candidate_id, secret="5555", email="bea@example.org").content.decode()
    )


def test_my_own_entry_from_another_centre_links_and_both_addresses_are_told(client: Client) -> None:
    mine = EntryFactory(person__first_name="Ana María", person__last_name="López")
    # Another centre recorded the same person with other case, accents and spacing, and an address of its own.
    elsewhere = EntryFactory(
        secret="7310", person__first_name="ana  maria", person__last_name="LOPEZ", person__email="ana@school.example"
    )
    _registered(client, mine)
    client.post("/results/login/", {"candidate_id": mine.candidate_id, "password": PASSWORD})
    mail.outbox.clear()

    response = _link(client, elsewhere, "7310")

    assert response.status_code == 302
    assert LinkedEntry.objects.filter(entry=elsewhere).exists()
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.org", "ana@school.example"]
    assert all(elsewhere.candidate_id in m.body for m in mail.outbox)


def test_an_entry_can_be_removed_but_not_the_last(client: Client) -> None:
    first = EntryFactory()
    retake = EntryFactory(person=first.person, secret="7310")
    _registered(client, first)
    client.post("/results/login/", {"candidate_id": first.candidate_id, "password": PASSWORD})
    _link(client, retake, "7310")
    assert "Remove this entry from my account" in client.get("/results/").content.decode()

    client.post(f"/results/entries/{retake.public_id}/remove/")
    last = client.post(f"/results/entries/{first.public_id}/remove/", follow=True)

    assert list(LinkedEntry.objects.values_list("entry_id", flat=True)) == [first.pk]
    assert "only entry in your account" in last.content.decode()
    assert "Remove this entry from my account" not in last.content.decode()


def test_an_entry_of_another_account_cannot_be_removed(client: Client) -> None:
    mine, theirs = EntryFactory(), EntryFactory()
    LinkedEntry.objects.create(account=CandidateAccount.objects.create(user=_other_user()), entry=theirs)
    _registered(client, mine)
    client.post("/results/login/", {"candidate_id": mine.candidate_id, "password": PASSWORD})

    assert client.post(f"/results/entries/{theirs.public_id}/remove/").status_code == 404
    assert LinkedEntry.objects.filter(entry=theirs).exists()

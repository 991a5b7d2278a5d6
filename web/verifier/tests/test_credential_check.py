"""The public "check a credential" page: the board's signature, the credential's status, what it states."""

import copy
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from centres.models import Entry
from results.models import Result
from results.services import result_hold, result_unhold
from verification import status_lists
from verification.credentials import credential_for_result
from verification.status_lists import status_lists_invalidate
from verification.tests.conftest import old_form_credential, released_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def credential() -> dict[str, Any]:
    return credential_for_result(result=Result.objects.get(entry=released_entry()))


def _check(client: Client, **data: Any) -> str:
    response = client.post("/verify/credential/", data)
    assert response.status_code == 200
    return response.content.decode()


def test_a_pasted_credential_is_valid_and_shows_what_it_states(client: Client, credential: dict[str, Any]) -> None:
    page = _check(client, text=json.dumps(credential))

    assert "Valid: signed by the board and in force" in page
    assert "<dd>B2 First</dd>" in page and "<dd>Grade B</dd>" in page and "<dd>176</dd>" in page


def test_an_uploaded_file_with_a_bom_is_read(client: Client, credential: dict[str, Any]) -> None:
    file = SimpleUploadedFile("credential.json", ("\ufeff" + json.dumps(credential)).encode(), "application/json")

    assert "Valid: signed by the board and in force" in _check(client, file=file)


def test_a_changed_credential_is_refused_and_states_nothing(client: Client, credential: dict[str, Any]) -> None:
    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["result"][0]["value"] = "Grade A"

    page = _check(client, text=json.dumps(changed))

    assert "Not valid: the signature does not match" in page
    assert "<dt>Qualification</dt>" not in page and "<dd>Grade A</dd>" not in page  # nothing it states is shown


def test_a_held_result_reads_as_suspended(client: Client, credential: dict[str, Any]) -> None:
    result_hold(result=Result.objects.get(), actor=None, reason="marking query")

    assert "Suspended: the result is under review" in _check(client, text=json.dumps(credential))


@pytest.mark.parametrize("form", ["one message entry", "two entries, issued before 2026-12-06"])
def test_the_page_reads_the_status_of_new_and_older_credentials(
    client: Client, credential: dict[str, Any], form: str
) -> None:
    result = Result.objects.get()
    shown = credential if form == "one message entry" else old_form_credential(result)
    assert isinstance(shown["credentialStatus"], dict if form == "one message entry" else list)
    assert "Valid: signed by the board and in force" in _check(client, text=json.dumps(shown))

    result_hold(result=result, actor=None, reason="marking query")
    status_lists_invalidate()
    assert "Suspended: the result is under review" in _check(client, text=json.dumps(shown))

    result_unhold(result=result, actor=None, reason="query closed")
    status_lists_invalidate()
    assert "Valid: signed by the board and in force" in _check(client, text=json.dumps(shown))

    Entry.objects.filter(pk=result.entry_id).update(status=Entry.Status.WITHDRAWN)
    status_lists_invalidate()
    page = _check(client, text=json.dumps(shown))
    assert "Revoked by the board" in page and "Valid:" not in page and "Suspended:" not in page


def test_a_status_value_the_board_never_sets_reads_as_unknown(
    client: Client, credential: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = int(credential["credentialStatus"]["statusListIndex"])
    built = status_lists._bitstrings

    def with_value_3(*, number: int, now: Any) -> dict[str, bytearray]:
        bits = built(number=number, now=now)
        bits["message"][index // 4] |= 0xC0 >> (index % 4 * 2)  # both bits of the entry: 0x3, "undefined"
        return bits

    monkeypatch.setattr(status_lists, "_bitstrings", with_value_3)
    cache.clear()

    assert "Signed by the board, status unknown" in _check(client, text=json.dumps(credential))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "Paste the credential, or choose its file."),
        ({"text": "{not json"}, "This is not a credential file"),
        ({"text": "[1, 2]"}, "This is not a credential file"),
        ({"text": "x" * (256 * 1024 + 1)}, "A credential file is at most 256 KB."),
    ],
)
def test_bad_input_is_named(client: Client, data: dict[str, str], message: str) -> None:
    assert message in _check(client, **data)


def test_the_page_is_linked_from_the_verification_form(client: Client) -> None:
    assert 'href="/verify/credential/"' in client.get("/verify/").content.decode()

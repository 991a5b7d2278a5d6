"""The public "check a credential" page: the board's signature, the credential's status, what it states."""

import copy
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from results.models import Result
from results.services import result_hold
from verification.credentials import credential_for_result
from verification.tests.conftest import released_entry

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

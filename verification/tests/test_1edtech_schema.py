"""Fresh credentials — a scale-score exam, A2 Key and a unitised qualification — against the 1EdTech JSON Schema
for AchievementCredential (Open Badges 3.0, VC Data Model 2.0 version), kept in ``data/`` with its source, formats
(date-time) checked. The schema is 1EdTech's, not ours: it is the independent judge of the shape.

No exception: a credential validates with no error at all. Its ``credentialStatus`` is one object (one W3C
Bitstring Status List entry of purpose ``message``, docs/decisions/0008-credential-status.md), as the Open Badges
3.0 data model's cardinality of 0..1 (``ob_v3p0/common_credentials.lines``) and so the schema require; the two
entries (revocation and suspension) credentials carried until 2026-12-06 failed it."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft201909Validator

from results.models import Result
from verification.tests.conftest import (
    credential_download,
    old_form_credential,
    released_entry,
    released_key_entry,
    released_unitised_entry,
)

pytestmark = pytest.mark.django_db

KEPT: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "1edtech-ob-v3p0-achievementcredential-schema.json").read_text()
)
SCHEMA = KEPT["schema"]
VALIDATOR = Draft201909Validator(SCHEMA, format_checker=Draft201909Validator.FORMAT_CHECKER)


def _errors(credential: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in VALIDATOR.iter_errors(credential)
    ]


def test_the_kept_schema_is_the_vc_2_0_version() -> None:
    Draft201909Validator.check_schema(SCHEMA)
    assert "validFrom" in SCHEMA["required"] and "issuanceDate" not in SCHEMA["properties"]
    assert SCHEMA["properties"]["proof"]["type"] == "array"
    assert "date-time" in Draft201909Validator.FORMAT_CHECKER.checkers  # formats are checked, not only named


@pytest.mark.parametrize(
    "make_entry", [released_entry, released_key_entry, released_unitised_entry], ids=["scale-score", "key", "unitised"]
)
def test_a_downloaded_credential_validates_with_no_error(client: Client, make_entry: Callable[[], Any]) -> None:
    credential = credential_download(client, make_entry())

    assert _errors(credential) == []
    assert isinstance(credential["credentialStatus"], dict)
    assert credential["credentialStatus"]["statusPurpose"] == "message"
    assert credential["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"


def test_the_two_entries_of_older_credentials_are_what_the_schema_refused() -> None:
    credential = old_form_credential(Result.objects.get(entry=released_entry()))

    assert _errors(credential) == [f"credentialStatus: {credential['credentialStatus']!r} is not of type 'object'"]


@pytest.mark.parametrize(
    ("alter", "path"),
    [
        (lambda c: c.update(proof=c["proof"][0]), "proof"),  # one proof, not a list: VC 2.0 allows it, 1EdTech not
        (lambda c: c.pop("validFrom"), ""),
        (lambda c: c.update(validFrom="6 December 2026"), "validFrom"),
        (lambda c: c["credentialSubject"]["achievement"].pop("criteria"), "credentialSubject/achievement"),
        (lambda c: c["credentialSubject"]["identifier"][0].pop("hashed"), "credentialSubject/identifier/0"),
        (lambda c: c["credentialSubject"]["result"][0].pop("type"), "credentialSubject/result/0"),
        (lambda c: c.update({"@context": c["@context"][1:]}), "@context/0"),
    ],
)
def test_the_schema_refuses_what_1edtech_does_not_allow(client: Client, alter: Any, path: str) -> None:
    credential = copy.deepcopy(credential_download(client, released_entry()))

    alter(credential)

    assert any(error.startswith(f"{path}:") for error in _errors(credential)), _errors(credential)

"""Fresh credentials — a scale-score exam and a unitised qualification — against the 1EdTech JSON Schema for
AchievementCredential (Open Badges 3.0, VC Data Model 2.0 version), kept in ``data/`` with its source, formats
(date-time) checked. The schema is 1EdTech's, not ours: it is the independent judge of the shape.

One documented difference, asserted here rather than hidden: the Open Badges 3.0 data model gives
``credentialStatus`` a cardinality of 0..1 (``ob_v3p0/common_credentials.lines``), so the schema takes one
``CredentialStatus`` object, while our credentials carry two ``BitstringStatusListEntry`` items (revocation and
suspension, docs/decisions/0008-credential-status.md), a list as VC 2.0 allows. The credential therefore fails the
schema on that property alone, and with either entry on its own it validates with no error at all."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from jsonschema import Draft201909Validator

from verification.tests.conftest import credential_download, released_entry, released_unitised_entry

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


@pytest.mark.parametrize("make_entry", [released_entry, released_unitised_entry], ids=["scale-score", "unitised"])
def test_a_downloaded_credential_validates_but_for_its_two_status_entries(
    client: Client, make_entry: Callable[[], Any]
) -> None:
    credential = credential_download(client, make_entry())

    revocation, suspension = credential["credentialStatus"]
    assert _errors({**credential, "credentialStatus": revocation}) == []
    assert _errors({**credential, "credentialStatus": suspension}) == []
    assert _errors(credential) == [f"credentialStatus: {credential['credentialStatus']!r} is not of type 'object'"]
    assert credential["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"


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
    credential["credentialStatus"] = credential["credentialStatus"][0]  # the one documented difference aside

    alter(credential)

    assert any(error.startswith(f"{path}:") for error in _errors(credential)), _errors(credential)

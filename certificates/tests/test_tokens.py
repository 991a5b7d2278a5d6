"""The signed token in each QR code: the document's UUID under a salted HMAC, nothing else, nothing guessable."""

import uuid

import pytest
from django.core import signing
from django.test import override_settings

from certificates.tokens import SALT, document_token, document_token_uuid, document_verify_url


def test_a_token_names_its_document_and_nothing_else() -> None:
    document_uuid = uuid.uuid4()

    token = document_token(document_uuid=document_uuid)

    assert document_token_uuid(token=token) == document_uuid
    assert str(document_uuid) not in token and document_uuid.hex not in token


@pytest.mark.parametrize("position", [0, 5, 21, 23, 40, -1])
def test_an_altered_token_is_refused(position: int) -> None:
    token = document_token(document_uuid=uuid.uuid4())
    swapped = "A" if token[position] != "A" else "B"
    altered = token[:position] + swapped + (token[position + 1 :] if position != -1 else "")

    assert document_token_uuid(token=altered) is None


@pytest.mark.parametrize(
    "token",
    ["", "nonsense", "1", "1:abc", ":", "%%%:%%%", signing.Signer(salt="another.salt").sign("AAAAAAAAAAAAAAAAAAAAAA")],
)
def test_forged_tokens_are_refused(token: str) -> None:
    assert document_token_uuid(token=token) is None


def test_a_token_signed_with_another_key_is_refused() -> None:
    document_uuid = uuid.uuid4()
    with override_settings(SECRET_KEY="another-key-entirely-" * 3):
        foreign = document_token(document_uuid=document_uuid)

    assert document_token_uuid(token=foreign) is None


def test_tokens_survive_a_secret_key_rotation_kept_in_the_fallbacks() -> None:
    document_uuid = uuid.uuid4()
    with override_settings(SECRET_KEY="the-old-key-" * 4):
        printed = document_token(document_uuid=document_uuid)

    with override_settings(SECRET_KEY="the-new-key-" * 4, SECRET_KEY_FALLBACKS=["the-old-key-" * 4]):
        assert document_token_uuid(token=printed) == document_uuid


def test_a_dedicated_signing_key_takes_precedence() -> None:
    document_uuid = uuid.uuid4()
    with override_settings(DOCUMENT_SIGNING_KEY="documents-only-key-" * 3):
        token = document_token(document_uuid=document_uuid)
        assert document_token_uuid(token=token) == document_uuid
    assert document_token_uuid(token=token) is None


def test_the_salt_is_specific_to_document_tokens() -> None:
    assert SALT == "certificates.document.verify"


def test_the_verify_url_is_on_the_site_and_language_neutral() -> None:
    from django.utils import translation

    document_uuid = uuid.uuid4()
    with translation.override("es"):
        url = document_verify_url(document_uuid=document_uuid)

    assert url == f"https://results.example.org/verify/v/{document_token(document_uuid=document_uuid)}"

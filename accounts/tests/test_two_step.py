"""Two-step verification's services: passkeys checked against a software authenticator, recovery codes, the guard."""

import hashlib
import json
import secrets

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ValidationError
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

from accounts import passkeys, two_step
from accounts.guard import GuardFailure
from accounts.models import AuthFailure, CredentialLock, Passkey, RecoveryCode
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

RP_ID = "results.example.org"
ORIGIN = "https://results.example.org"


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


class SoftAuthenticator:
    """A passkey in memory (ES256, no attestation), answering as a browser passes an authenticator's answer on."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(16)
        self.count = 0

    def _client_data(self, kind: str, options: str, origin: str) -> bytes:
        challenge = json.loads(options)["challenge"]
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}).encode()

    def create(self, options: str, *, origin: str = ORIGIN, rp_id: str = RP_ID) -> str:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([0x45])  # user present, user verified, attested credential data
            + self.count.to_bytes(4, "big")
            + bytes(16)
            + len(self.credential_id).to_bytes(2, "big")
            + self.credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options, origin)
        return json.dumps(
            {
                "id": _b64(self.credential_id),
                "rawId": _b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": _b64(client_data),
                    "attestationObject": _b64(attestation),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {},
            }
        )

    def get(self, options: str, *, origin: str = ORIGIN, rp_id: str = RP_ID) -> str:
        self.count += 1
        auth_data = hashlib.sha256(rp_id.encode()).digest() + bytes([0x05]) + self.count.to_bytes(4, "big")
        client_data = self._client_data("webauthn.get", options, origin)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return json.dumps(
            {
                "id": _b64(self.credential_id),
                "rawId": _b64(self.credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": _b64(client_data),
                    "authenticatorData": _b64(auth_data),
                    "signature": _b64(signature),
                },
                "clientExtensionResults": {},
            }
        )


def _add(user: object, authenticator: SoftAuthenticator) -> tuple[Passkey, list[str] | None]:
    options, challenge = passkeys.registration_options(user=user, rp_id=RP_ID)
    return two_step.passkey_add(
        user=user,
        credential=authenticator.create(options),
        challenge=challenge,
        rp_id=RP_ID,
        origin=ORIGIN,
        name="Phone",
        language="en",
    )


def test_a_passkey_is_added_then_logs_in_and_its_counter_moves_on() -> None:
    user = UserFactory()
    authenticator = SoftAuthenticator()

    passkey, codes = _add(user, authenticator)

    assert passkey.transports == ["internal"] and codes is not None and len(codes) == 10
    user.refresh_from_db()
    assert user.two_step_enabled
    options, challenge = passkeys.authentication_options(user=user, rp_id=RP_ID)
    assert json.loads(options)["allowCredentials"][0]["id"] == passkey.credential_id
    step = two_step.second_step_passkey(
        user=user, credential=authenticator.get(options), challenge=challenge, rp_id=RP_ID, origin=ORIGIN, ip="1.2.3.4"
    )
    assert step.method == "passkey"
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_an_answer_for_another_origin_site_or_challenge_is_refused() -> None:
    user = UserFactory()
    authenticator = SoftAuthenticator()
    options, challenge = passkeys.registration_options(user=user, rp_id=RP_ID)

    for credential, expected in (
        (authenticator.create(options, origin="https://phish.example.net"), challenge),
        (authenticator.create(options, rp_id="phish.example.net"), challenge),
        (authenticator.create(options), b"another challenge"),
        ("not json", challenge),
    ):
        with pytest.raises(ValidationError):
            passkeys.registration_verify(credential=credential, challenge=expected, rp_id=RP_ID, origin=ORIGIN)
    assert not Passkey.objects.exists()


def test_a_replayed_or_foreign_passkey_answer_counts_as_a_wrong_code() -> None:
    user, other = UserFactory(), UserFactory()
    authenticator = SoftAuthenticator()
    _add(user, authenticator)
    _add(other, SoftAuthenticator())
    options, challenge = passkeys.authentication_options(user=user, rp_id=RP_ID)
    answer = authenticator.get(options)
    two_step.second_step_passkey(
        user=user, credential=answer, challenge=challenge, rp_id=RP_ID, origin=ORIGIN, ip="1.2.3.4"
    )

    with pytest.raises(GuardFailure):  # the same answer again: its counter did not move on
        two_step.second_step_passkey(
            user=user, credential=answer, challenge=challenge, rp_id=RP_ID, origin=ORIGIN, ip="1.2.3.4"
        )
    options, challenge = passkeys.authentication_options(user=other, rp_id=RP_ID)
    with pytest.raises(GuardFailure):  # user's passkey for the other account
        two_step.second_step_passkey(
            user=other, credential=authenticator.get(options), challenge=challenge, rp_id=RP_ID, origin=ORIGIN, ip="1"
        )
    assert AuthFailure.objects.filter(kind="code", purpose="second_step").count() == 2


def test_recovery_codes_are_stored_salted_and_work_once_in_any_case_or_spacing() -> None:
    user = UserFactory()
    _passkey, codes = _add(user, SoftAuthenticator())
    rows = list(RecoveryCode.objects.filter(user=user))

    assert len({row.salt for row in rows}) == 10
    assert all(code.replace("-", "") not in row.digest for code in codes for row in rows)
    step = two_step.second_step_code(user=user, code=f" {codes[0].lower()} ", ip="1.2.3.4", language="en")
    assert step.method == "recovery" and step.recovery_codes_left == 9
    with pytest.raises(GuardFailure):
        two_step.second_step_code(user=user, code=codes[0], ip="1.2.3.4", language="en")


def test_a_locked_second_step_leaves_the_password_lock_alone() -> None:
    user = UserFactory()
    _add(user, SoftAuthenticator())

    for _ in range(5):
        with pytest.raises(GuardFailure):
            two_step.second_step_code(user=user, code="000000", ip="1.2.3.4", language="en")

    assert set(CredentialLock.objects.values_list("kind", flat=True)) == {"code"}
    assert CredentialLock.objects.get().locked_until is not None


def test_removing_a_passkey_needs_the_password_and_the_last_one_turns_it_off() -> None:
    user = UserFactory()
    first, _codes = _add(user, SoftAuthenticator())
    second, no_codes = _add(user, SoftAuthenticator())
    assert no_codes is None  # only the first factor brings codes

    with pytest.raises(ValidationError):
        two_step.factor_remove(user=user, kind="passkey", pk=first.pk, password="wrong", language="en")
    two_step.factor_remove(user=user, kind="passkey", pk=first.pk, password=DEFAULT_PASSWORD, language="en")
    user.refresh_from_db()
    assert user.two_step_enabled and RecoveryCode.objects.filter(user=user).count() == 10
    two_step.factor_remove(user=user, kind="passkey", pk=second.pk, password=DEFAULT_PASSWORD, language="en")
    user.refresh_from_db()
    assert not user.two_step_enabled and not RecoveryCode.objects.filter(user=user).exists()


def test_the_credential_id_is_stored_as_the_browser_names_it() -> None:
    user = UserFactory()
    authenticator = SoftAuthenticator()

    passkey, _codes = _add(user, authenticator)

    assert base64url_to_bytes(passkey.credential_id) == authenticator.credential_id

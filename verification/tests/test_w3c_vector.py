"""The W3C eddsa-jcs-2022 test vector (vc-di-eddsa): our proof code reproduces its proofValue exactly and
verifies it, so our signatures are the ones every conforming verifier computes — not only our own verifier."""

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verification.credentials import base58btc_decode, proof_create, proof_verify

VECTOR: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "w3c-eddsa-jcs-2022.json").read_text())


def _keys() -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    private = base58btc_decode(VECTOR["keyPair"]["privateKeyMultibase"][1:])
    public = base58btc_decode(VECTOR["keyPair"]["publicKeyMultibase"][1:])
    assert private[:2] == b"\x80\x26" and public[:2] == b"\xed\x01"  # multicodec ed25519-priv / ed25519-pub
    return Ed25519PrivateKey.from_private_bytes(private[2:]), Ed25519PublicKey.from_public_bytes(public[2:])


def test_signing_the_vector_reproduces_its_proof_exactly() -> None:
    private, _public = _keys()
    expected = VECTOR["proof"]

    proof = proof_create(
        VECTOR["unsecuredDocument"],
        private_key=private,
        verification_method=expected["verificationMethod"],
        created=dt.datetime.fromisoformat(expected["created"]),
    )

    assert proof == expected  # @context in the proof, and the same proofValue byte for byte


def test_the_vector_verifies_and_any_change_breaks_it() -> None:
    _private, public = _keys()
    signed = {**VECTOR["unsecuredDocument"], "proof": VECTOR["proof"]}
    assert proof_verify(signed, public_key=public) is True
    assert proof_verify({**signed, "proof": [VECTOR["proof"]]}, public_key=public) is True

    for change in (
        lambda d: d.update(name="Another Credential"),
        lambda d: d["proof"].update(created="2024-01-01T00:00:00Z"),
        lambda d: d["proof"].update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        lambda d: d.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
    ):
        altered = copy.deepcopy(signed)
        change(altered)
        assert proof_verify(altered, public_key=public) is False


@pytest.mark.parametrize("proofs", [[], [VECTOR["proof"], VECTOR["proof"]]])
def test_a_proof_set_of_other_than_one_is_not_ours_to_accept(proofs: list[Any]) -> None:
    _private, public = _keys()

    assert proof_verify({**VECTOR["unsecuredDocument"], "proof": proofs}, public_key=public) is False

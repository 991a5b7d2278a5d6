"""The W3C vc-di-eddsa test vectors (eddsa-jcs-2022 and eddsa-rdfc-2022): our proof code reproduces each
proofValue exactly and verifies it, so our signatures are the ones every conforming verifier computes — not only
our own verifier. The RDF vector also fixes the canonical N-Quads and both hashes, step by step."""

import copy
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from verification import linked_data
from verification.credentials import base58btc_decode, proof_create, proof_verify

DATA = Path(__file__).parent / "data"
JCS_VECTOR: dict[str, Any] = json.loads((DATA / "w3c-eddsa-jcs-2022.json").read_text())
RDFC_VECTOR: dict[str, Any] = json.loads((DATA / "w3c-eddsa-rdfc-2022.json").read_text())
EXAMPLES = RDFC_VECTOR["contexts"]  # the W3C examples context the vectors name, besides the VC 2.0 one we keep


def _keys(vector: dict[str, Any]) -> tuple[Ed25519PrivateKey, Ed25519PublicKey]:
    private = base58btc_decode(vector["keyPair"]["privateKeyMultibase"][1:])
    public = base58btc_decode(vector["keyPair"]["publicKeyMultibase"][1:])
    assert private[:2] == b"\x80\x26" and public[:2] == b"\xed\x01"  # multicodec ed25519-priv / ed25519-pub
    return Ed25519PrivateKey.from_private_bytes(private[2:]), Ed25519PublicKey.from_public_bytes(public[2:])


@pytest.mark.parametrize("vector", [JCS_VECTOR, RDFC_VECTOR], ids=["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_signing_the_vector_reproduces_its_proof_exactly(vector: dict[str, Any]) -> None:
    private, _public = _keys(vector)
    expected = vector["proof"]

    proof = proof_create(
        vector["unsecuredDocument"],
        cryptosuite=expected["cryptosuite"],
        private_key=private,
        verification_method=expected["verificationMethod"],
        created=dt.datetime.fromisoformat(expected["created"]),
        extra_contexts=EXAMPLES,
    )

    assert proof == expected  # the same options (@context in the JCS proof only) and proofValue byte for byte


def test_the_rdf_canonical_forms_and_hashes_are_the_vectors() -> None:
    document = linked_data.canonical_nquads(RDFC_VECTOR["unsecuredDocument"], extra_contexts=EXAMPLES)
    config = linked_data.canonical_nquads(RDFC_VECTOR["proofConfig"], extra_contexts=EXAMPLES)

    assert document == RDFC_VECTOR["canonicalDocument"]
    assert config == RDFC_VECTOR["canonicalProofConfig"]
    assert hashlib.sha256(document.encode()).hexdigest() == RDFC_VECTOR["documentHash"]
    assert hashlib.sha256(config.encode()).hexdigest() == RDFC_VECTOR["proofConfigHash"]


@pytest.mark.parametrize("vector", [JCS_VECTOR, RDFC_VECTOR], ids=["eddsa-jcs-2022", "eddsa-rdfc-2022"])
def test_the_vector_verifies_and_any_change_breaks_it(vector: dict[str, Any]) -> None:
    _private, public = _keys(vector)
    signed = {**vector["unsecuredDocument"], "proof": vector["proof"]}
    assert proof_verify(signed, vector["proof"], public_key=public, extra_contexts=EXAMPLES) is True

    for change in (
        lambda d, p: d.update(name="Another Credential"),
        lambda d, p: d["credentialSubject"].update(alumniOf="Another School"),
        lambda d, p: p.update(created="2024-01-01T00:00:00Z"),
        lambda d, p: p.update(proofPurpose="authentication"),
        lambda d, p: p.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        lambda d, p: d.update({"@context": ["https://www.w3.org/ns/credentials/v2"]}),
        lambda d, p: p.update(expires="2030-01-01T00:00:00Z"),  # an option we do not make is not checked
    ):
        document, proof = copy.deepcopy(signed), copy.deepcopy(vector["proof"])
        change(document, proof)
        assert proof_verify(document, proof, public_key=public, extra_contexts=EXAMPLES) is False


def test_a_context_that_is_not_kept_here_is_never_fetched() -> None:
    _private, public = _keys(RDFC_VECTOR)
    signed = {**RDFC_VECTOR["unsecuredDocument"], "proof": RDFC_VECTOR["proof"]}

    # without the examples context in hand, the document cannot be canonicalised, so the proof does not verify
    assert proof_verify(signed, RDFC_VECTOR["proof"], public_key=public) is False
    with pytest.raises(linked_data.ContextNotAvailableError):
        linked_data.expand(RDFC_VECTOR["unsecuredDocument"])

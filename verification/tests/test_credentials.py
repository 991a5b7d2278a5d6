"""Open Badges 3.0 credentials: signed with the board's Ed25519 key (eddsa-rdfc-2022 and eddsa-jcs-2022),
tamper-evident."""

import copy
import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from results.tests.factories import account_for
from verification import credentials
from verification.credentials import base58btc, base58btc_decode, credential_verify, jcs

from .conftest import released_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def downloaded(client: Client) -> tuple[Any, dict[str, Any]]:
    entry = released_entry()
    client.force_login(account_for(entry).user)
    response = client.get(f"/results/{entry.public_id}/share/credential.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert response["Cache-Control"] == "private, no-store"
    return entry, json.loads(response.content)


def test_the_credential_is_an_open_badge_with_the_result(downloaded: tuple[Any, dict[str, Any]]) -> None:
    entry, credential = downloaded

    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",  # defines 1EdTechJsonSchemaValidator2019
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"]["id"] == "http://127.0.0.1:8000/"  # plain http and an IP address: no did:web
    subject = credential["credentialSubject"]
    assert subject["achievement"]["name"] == "B2 First"
    [identity] = subject["identifier"]
    salted = (entry.person.full_name + identity["salt"]).encode()
    assert identity["identityHash"] == "sha256$" + hashlib.sha256(salted).hexdigest()  # as a verifier checks it
    assert (identity["hashed"], identity["identityType"]) == (True, "name")
    assert entry.person.last_name not in json.dumps(credential)  # the name itself is not in the credential
    assert credential["credentialSchema"] == [
        {
            "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "type": "1EdTechJsonSchemaValidator2019",
        }
    ]
    values = {r["resultDescription"].rsplit("#", 1)[1]: r["value"] for r in subject["result"]}
    assert values == {
        "result": "Grade B",
        "overall_score": "176",
        "cefr_level": "B2",
        "reading": "176",
        "use_of_english": "181",
        "writing": "169",
        "listening": "172",
        "speaking": "180",
    }
    assert subject["activityEndDate"].startswith(entry.session.date.isoformat())
    rdfc, jcs_proof = credential["proof"]
    for proof, cryptosuite in ((rdfc, "eddsa-rdfc-2022"), (jcs_proof, "eddsa-jcs-2022")):
        assert (proof["type"], proof["cryptosuite"], proof["proofPurpose"]) == (
            "DataIntegrityProof",
            cryptosuite,
            "assertionMethod",
        )
        assert proof["verificationMethod"] == "http://127.0.0.1:8000/verify/keys/board.json"
    assert rdfc["created"] == jcs_proof["created"]
    assert jcs_proof["@context"] == credential["@context"] and "@context" not in rdfc  # as the W3C vectors
    assert entry.candidate_id not in json.dumps(credential)


def test_the_signature_verifies(downloaded: tuple[Any, dict[str, Any]]) -> None:
    assert credential_verify(downloaded[1]) is True
    jcs_alone = {**downloaded[1], "proof": [downloaded[1]["proof"][1]]}
    assert credential_verify(jcs_alone) is True  # a holder may keep one proof of the set (any one verifies)
    assert credential_verify({**jcs_alone, "proof": jcs_alone["proof"][0]}) is True  # a proof, not a list


@pytest.mark.parametrize(
    "alter",
    [
        lambda c: c["credentialSubject"]["result"][0].update(value="Grade A"),
        lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Someone Else"),
        lambda c: c["credentialSubject"]["achievement"].update(name="C2 Proficiency"),
        lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
        lambda c: c["issuer"].update(id="did:web:evil.example"),
        lambda c: c["proof"][0].update(created="2020-01-01T00:00:00Z"),
        lambda c: c["proof"][1].update(created="2020-01-01T00:00:00Z"),
        lambda c: c["proof"][0].update(proofValue=c["proof"][0]["proofValue"][:-2] + "zz"),
        lambda c: c["proof"][1].update(proofValue=c["proof"][1]["proofValue"][:-2] + "zz"),
        lambda c: c["proof"][0].update(proofValue=c["proof"][1]["proofValue"]),
        lambda c: c["proof"][1].update(cryptosuite="eddsa-rdfc-2022"),
        lambda c: c["proof"][0].update(cryptosuite="eddsa-jcs-2022"),
        lambda c: c["proof"][0].update(proofPurpose="authentication"),
        lambda c: c["proof"].append(c["proof"][1]),
        lambda c: c["proof"].append("proof"),
        lambda c: c.update(proof=[c["proof"][0]]),  # the RDF proof alone: checked only after the JCS one
        lambda c: c.update(proof=[]),
        lambda c: c.pop("proof"),
        lambda c: c["credentialSubject"].update(extra=1),
        lambda c: c["@context"].pop(),
    ],
)
def test_any_altered_field_fails(downloaded: tuple[Any, dict[str, Any]], alter: Any) -> None:
    credential = copy.deepcopy(downloaded[1])

    alter(credential)

    assert credential_verify(credential) is False


def test_the_rdf_proof_is_checked_only_after_the_jcs_proof_holds(
    downloaded: tuple[Any, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    canonicalised: list[Any] = []
    monkeypatch.setattr(credentials.linked_data, "canonical_nquads", lambda *args, **_: canonicalised.append(args))
    forged = copy.deepcopy(downloaded[1])
    forged["credentialSubject"]["result"][0]["value"] = "Grade A"  # anyone can paste anything on the check page

    assert credential_verify(forged) is False
    assert credential_verify({**forged, "proof": [forged["proof"][0]]}) is False  # the RDF proof alone
    assert canonicalised == []  # the pasted document was never canonicalised as RDF


def test_another_key_does_not_verify(downloaded: tuple[Any, dict[str, Any]]) -> None:
    assert credential_verify(downloaded[1], public_key=Ed25519PrivateKey.generate().public_key()) is False


def test_the_published_key_verifies_the_credential(client: Client, downloaded: tuple[Any, dict[str, Any]]) -> None:
    document = client.get("/verify/keys/board.json").json()

    raw = base58btc_decode(document["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01" and document["publicKeyMultibase"].startswith("z6Mk")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert credential_verify(downloaded[1], public_key=Ed25519PublicKey.from_public_bytes(raw[2:])) is True
    assert set(document) == {"@context", "id", "type", "controller", "publicKeyMultibase"}  # one form of the key
    assert (
        document["id"]
        == downloaded[1]["proof"][0]["verificationMethod"]
        == downloaded[1]["proof"][1]["verificationMethod"]
        == "http://127.0.0.1:8000/verify/keys/board.json"
    )
    assert client.get("/verify/keys/board.json")["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("site_url", "did"),
    [
        ("https://results.example.org", "did:web:results.example.org"),
        ("https://results.example.org:8443", "did:web:results.example.org%3A8443"),
        ("https://example.org/portal/", "did:web:example.org:portal"),
        ("https://example.org/exam%20results", "did:web:example.org:exam%20results"),
        ("http://results.example.org", None),
        ("https://192.0.2.10", None),
        ("https://[2001:db8::1]", None),
    ],
)
def test_did_web_only_for_an_https_domain_and_it_keeps_the_path(site_url: str, did: str | None) -> None:
    assert credentials.did_web_for(site_url) == did


def test_with_a_did_the_proof_names_a_did_url_found_in_the_did_documents_assertion_method(
    client: Client, settings: Any
) -> None:
    settings.SITE_URL = "https://results.example.org"
    entry = released_entry()
    client.force_login(account_for(entry).user)
    credential = client.get(f"/results/{entry.public_id}/share/credential.json").json()
    did = client.get("/.well-known/did.json")

    [method] = {proof["verificationMethod"] for proof in credential["proof"]}
    assert credential["issuer"]["id"] == "did:web:results.example.org"
    assert method == "did:web:results.example.org#board-signing-key"
    document = did.json()
    assert document["id"] == "did:web:results.example.org" and did["Access-Control-Allow-Origin"] == "*"
    assert document["assertionMethod"] == [method]
    [key] = document["verificationMethod"]
    assert (key["id"], key["controller"]) == (method, "did:web:results.example.org")
    assert set(key) == {"id", "type", "controller", "publicKeyMultibase"}
    raw = base58btc_decode(key["publicKeyMultibase"][1:])
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    assert credential_verify(credential, public_key=Ed25519PublicKey.from_public_bytes(raw[2:])) is True
    assert client.get("/did.json").json() == document  # did:web with a path resolves to <path>/did.json


def test_a_configured_pem_key_is_used(settings: Any, downloaded: tuple[Any, dict[str, Any]]) -> None:
    key = Ed25519PrivateKey.generate()
    settings.BOARD_SIGNING_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

    assert not credentials.signing_key_is_derived()
    assert credential_verify(downloaded[1]) is False  # signed with the development key
    resigned = credentials.credential_sign(downloaded[1])
    assert credential_verify(resigned, public_key=key.public_key()) is True


def test_the_development_key_is_derived_from_secret_key_and_logged(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.BOARD_SIGNING_KEY = ""
    settings.SECRET_KEY = "another-secret-key-for-this-test"  # noqa: S105
    credentials._private_key.cache_clear()

    first = credentials.public_key_multibase()

    assert credentials.signing_key_is_derived()
    assert first == credentials.public_key_multibase()  # deterministic
    assert "BOARD_SIGNING_KEY is not set" in caplog.text
    settings.SECRET_KEY = "yet-another-secret-key"  # noqa: S105
    assert credentials.public_key_multibase() != first


def test_jcs_is_sorted_compact_utf8() -> None:
    assert jcs({"b": [1, "é"], "a": {"d": None, "c": True}}) == '{"a":{"c":true,"d":null},"b":[1,"é"]}'.encode()
    with pytest.raises(TypeError):
        jcs({"a": 1.5})


@pytest.mark.parametrize("data", [b"", b"\0\0abc", bytes(range(64))])
def test_base58_round_trip(data: bytes) -> None:
    assert base58btc_decode(base58btc(data)) == data


def test_an_unknown_exam_achievement_is_a_404(client: Client) -> None:
    assert client.get("/verify/achievements/FCE").json()["name"] == "B2 First"
    assert client.get("/verify/achievements/NOPE").status_code == 404


def test_the_achievement_published_at_its_id_is_the_one_in_the_credential(
    client: Client, downloaded: tuple[Any, dict[str, Any]]
) -> None:
    _entry, credential = downloaded
    embedded = credential["credentialSubject"]["achievement"]
    path = embedded["id"].removeprefix("http://127.0.0.1:8000")

    published = client.get(path)

    assert published["Access-Control-Allow-Origin"] == "*"
    assert {k: v for k, v in published.json().items() if k != "@context"} == embedded
    described = {d["id"] for d in embedded["resultDescription"]}
    assert {r["resultDescription"] for r in credential["credentialSubject"]["result"]} <= described
    assert embedded["criteria"]["narrative"] and embedded["description"]


def test_an_amended_result_keeps_its_awarded_date(downloaded: tuple[Any, dict[str, Any]]) -> None:
    import datetime as dt

    from django.utils import timezone

    from results.models import Result

    entry, first = downloaded
    result = Result.objects.get(entry=entry)
    Result.objects.filter(pk=result.pk).update(amended_at=timezone.now() + dt.timedelta(minutes=5))
    result.refresh_from_db()

    again = credentials.credential_build(result=result)

    assert again["awardedDate"] == first["awardedDate"]
    assert again["validFrom"] != first["validFrom"]

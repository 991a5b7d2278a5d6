"""Open Badges 3.0 credentials of released results, signed by the board (docs/decisions/0007-verification.md).

A credential is a JSON-LD ``OpenBadgeCredential`` (W3C Verifiable Credentials Data Model 2.0 + Open Badges
3.0 contexts) secured with a set of two ``DataIntegrityProof``s by the board's Ed25519 key (vc-di-eddsa):

- ``eddsa-rdfc-2022``, first: the proof options (type, cryptosuite, created, verificationMethod, proofPurpose,
  with the credential's ``@context``) and the credential without its proof are each expanded with the contexts
  kept in ``verification/contexts/`` and canonicalised as RDF datasets (RDFC-1.0, ``linked_data``); the one
  the Open Badges 3.0 conformance tests accept. The emitted proof has no ``@context`` (as the W3C test vector);
- ``eddsa-jcs-2022``: the same options, with the ``@context``, which this emitted proof carries, and the
  credential are each canonicalised with JCS (RFC 8785).

For each, the two canonical forms are hashed with SHA-256, the two hashes (options first) concatenated, the 64
bytes signed, and ``proofValue`` is the signature in multibase base58-btc. Open Badges 3.0 lets a verifier use
any one proof of a set; both proofs cover the same credential.

Our JCS is the simple form that is exact for the JSON we produce: objects with keys sorted (our keys are
ASCII, so code-point order equals RFC 8785's UTF-16 order), no whitespace, UTF-8 text, strings escaped as
``json.dumps`` does, integers only — a float raises ``TypeError`` rather than risk RFC 8785's number form.

The key is ``BOARD_SIGNING_KEY`` (an Ed25519 private key in PEM). Without it a key is derived from
``SECRET_KEY`` — for development only: anyone who knows ``SECRET_KEY`` can then sign credentials, and
rotating ``SECRET_KEY`` invalidates every credential issued. The first signature made with it logs a warning.
"""

import datetime as dt
import hashlib
import ipaddress
import json
import logging
import secrets
import urllib.parse
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from exams.models import Component, Exam
from grading.legacy import legacy_standardised
from results.models import Result
from results.presentation import component_label, grade_as_awarded, result_view

from . import linked_data

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
# Neither the VC 2.0 nor the Open Badges 3.0.3 context defines the type Open Badges asks ``credentialSchema`` to have
# (jsonld.js in safe mode and the 1EdTech validator refuse the undefined term); 1EdTech defines it in this one.
OB_EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
RDFC = "eddsa-rdfc-2022"
JCS = "eddsa-jcs-2022"
CRYPTOSUITES = (RDFC, JCS)  # the proofs of every credential, in this order
KEY_FRAGMENT = "board-signing-key"
DEFAULT_BOARD_NAME = "Results Portal awarding body"
# Multicodec prefix of an Ed25519 public key (0xed, varint-encoded) in a Multikey's publicKeyMultibase.
_ED25519_PUB_MULTICODEC = b"\xed\x01"
_BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

logger = logging.getLogger(__name__)


# --- Canonical JSON and encodings ------------------------------------------------------------------
def _check_jcs_values(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats are not canonicalised here: use integers or strings")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
            _check_jcs_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_jcs_values(item)


def jcs(value: Any) -> bytes:
    """Return ``value`` as canonical JSON (JCS, RFC 8785, for strings, integers, booleans, null, lists, dicts)."""
    _check_jcs_values(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def base58btc(data: bytes) -> str:
    """Return ``data`` in base58 (Bitcoin alphabet), leading zero bytes as '1's."""
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, remainder = divmod(number, 58)
        text = _BASE58_ALPHABET[remainder] + text
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def base58btc_decode(text: str) -> bytes:
    """Return the bytes of a base58 (Bitcoin alphabet) text; raise ``ValueError`` on a foreign character."""
    number = 0
    for char in text:
        index = _BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


# --- The board's key and identity --------------------------------------------------------------------
@lru_cache(maxsize=4)
def _private_key(pem: str, secret_key: str) -> Ed25519PrivateKey:
    if pem:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("BOARD_SIGNING_KEY must be an Ed25519 private key")
        return key
    # Development only (see the module docstring): a key that follows from SECRET_KEY.
    logger.warning(
        "BOARD_SIGNING_KEY is not set: credentials are signed with a development key derived from SECRET_KEY. "
        "Set BOARD_SIGNING_KEY to an Ed25519 private key (PEM) in production."
    )
    seed = hashlib.sha256(f"results_portal.verification.board-signing-key:{secret_key}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def board_private_key() -> Ed25519PrivateKey:
    """Return the board's signing key: ``BOARD_SIGNING_KEY`` (PEM), else one derived from ``SECRET_KEY``."""
    return _private_key(settings.BOARD_SIGNING_KEY or "", settings.SECRET_KEY)


def board_public_key() -> Ed25519PublicKey:
    """Return the public half of the board's signing key."""
    return board_private_key().public_key()


def signing_key_is_derived() -> bool:
    """Return whether the board signs with the development key derived from ``SECRET_KEY``."""
    return not settings.BOARD_SIGNING_KEY


def _public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)


def did_web_for(site_url: str) -> str | None:
    """Return the ``did:web`` identifier of a site, or None when it cannot have one.

    The did:web method resolves ``did:web:<host>[%3A<port>][:<path>…]`` to ``https://<host>[:<port>]/<path>/did.json``
    (``/.well-known/did.json`` without a path), so only an https address with a domain name can have one: plain
    http and IP addresses cannot (a development server then names its key by URL instead).
    """
    parts = urllib.parse.urlsplit(site_url)
    host = parts.hostname or ""
    if parts.scheme != "https" or not host:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return None
    did = "did:web:" + host + (f"%3A{parts.port}" if parts.port else "")
    path = [urllib.parse.quote(urllib.parse.unquote(part), safe="") for part in parts.path.split("/") if part]
    return ":".join([did, *path])


def board_did() -> str | None:
    """Return the board's DID: ``BOARD_ISSUER_ID`` when it is a DID, else ``did:web`` of ``SITE_URL`` (or None)."""
    configured: str = settings.BOARD_ISSUER_ID or ""
    if configured:
        return configured if configured.startswith("did:") else None
    return did_web_for(settings.SITE_URL)


def board_issuer_id() -> str:
    """Return the board's identifier as issuer: ``BOARD_ISSUER_ID``, else its did:web, else ``SITE_URL/``."""
    configured: str = settings.BOARD_ISSUER_ID or ""
    return configured or board_did() or settings.SITE_URL + "/"


def board_name() -> str:
    """Return the board's name as credentials print it (``BOARD_NAME``)."""
    return str(settings.BOARD_NAME or DEFAULT_BOARD_NAME)


def _absolute(view: str, **kwargs: Any) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return settings.SITE_URL + reverse(view, kwargs=kwargs)


def verification_method_id() -> str:
    """Return the id of the board's key that every proof names as its verification method.

    With a DID it is a DID URL (``<did>#board-signing-key``), found in the DID document's ``assertionMethod``
    by the controlled-identifier procedure; without one it is the URL of the published key document.
    """
    did = board_did()
    return f"{did}#{KEY_FRAGMENT}" if did else _absolute("verification:board_key")


def public_key_multibase(key: Ed25519PublicKey | None = None) -> str:
    """Return a public key as a Multikey ``publicKeyMultibase`` ('z' + base58-btc of 0xed01 + key)."""
    return "z" + base58btc(_ED25519_PUB_MULTICODEC + _public_bytes(key or board_public_key()))


def public_key_document() -> dict[str, Any]:
    """Return the board's public key as a Multikey document (one form of the key only: CID 1.0 §2.2.1)."""
    return {
        "@context": [MULTIKEY_CONTEXT],
        "id": verification_method_id(),
        "type": "Multikey",
        "controller": board_issuer_id(),
        "publicKeyMultibase": public_key_multibase(),
    }


def did_document() -> dict[str, Any]:
    """Return the DID document naming the board's key for assertions (credentials), its id a DID URL."""
    did = board_did() or board_issuer_id()
    method = {
        "id": f"{did}#{KEY_FRAGMENT}",
        "type": "Multikey",
        "controller": did,
        "publicKeyMultibase": public_key_multibase(),
    }
    return {
        "@context": ["https://www.w3.org/ns/did/v1", MULTIKEY_CONTEXT],
        "id": did,
        "verificationMethod": [method],
        "assertionMethod": [method["id"]],
    }


# --- Credentials -----------------------------------------------------------------------------------
def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"


def _descriptions(exam: Exam) -> list[tuple[str, str, str]]:
    """Return (key, name, OB 3.0 resultType) of every part of a result of ``exam`` a credential may state.

    From the exam alone, so the achievement published at its id and the one inside each credential are the same
    document: a unitised qualification's total on the uniform mark scale and its units' raw marks and UMS, a
    scale-score exam's Cambridge English Scale scores and CEFR level.
    """
    unitised = exam.family == Exam.Family.UNITISED
    lines = [("result", "Result", "LetterGrade")]
    if legacy_standardised(exam.code):  # sittings graded from raw papers (docs/domain.md §7.4)
        lines.append(("standardised_score", "Standardised score (out of 100)", "ScaledScore"))
    if exam.family == Exam.Family.LEGACY:  # the result and its CEFR level, never a mark per paper (§7.1)
        return [*lines, ("cefr_level", "CEFR level", "PerformanceLevel")]
    if unitised:
        lines.append(("overall_score", "Total uniform mark (UMS)", "ScaledScore"))
    elif exam.family == Exam.Family.SCALE:
        lines.append(("overall_score", "Overall score (Cambridge English Scale)", "ScaledScore"))
        lines.append(("cefr_level", "CEFR level", "PerformanceLevel"))
    else:
        lines.append(("overall_score", "Overall score", "RawScore"))
    components = exam.components.order_by("order", "code")
    if exam.family == Exam.Family.SCALE:  # a scale exam's legacy papers are not its scale achievement
        components = components.exclude(kind=Component.Kind.PAPER)
    for component in components:
        label = component_label(family=exam.family, code=component.code, name=component.name)
        if unitised:
            lines.append((component.code, f"{label} (raw mark)", "RawScore"))
            lines.append((f"{component.code}_ums", f"{label} (UMS)", "ScaledScore"))
        else:
            kind = "ScaledScore" if exam.family == Exam.Family.SCALE else "RawScore"
            lines.append((component.code, label, kind))
    return lines


def achievement_document(exam: Exam) -> dict[str, Any]:
    """Return the Open Badges 3.0 Achievement of an exam, as published at its id and embedded in credentials."""
    achievement_id = _absolute("verification:achievement", exam_code=exam.code)
    unitised = exam.family == Exam.Family.UNITISED
    if unitised:
        description = f"{exam.certificate_name}, a unitised qualification graded on the uniform mark scale (UMS)."
        criteria = (
            "Awarded on the total uniform mark (UMS) of the units that count for certification, against the "
            "qualification's fixed grade boundaries; each unit's raw mark is converted to UMS."
        )
    else:
        description = f"{exam.certificate_name}, an English language qualification" + (
            f" targeted at CEFR level {exam.cefr_target}." if exam.cefr_target else "."
        )
        criteria = "Awarded on the overall score, the mean of the skill scores on the Cambridge English Scale."
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Certificate",
        "name": exam.certificate_name,
        "description": description,
        "criteria": {"narrative": criteria},
        "creator": {"id": board_issuer_id(), "type": ["Profile"], "name": board_name()},
        "resultDescription": [
            {"id": f"{achievement_id}#{key}", "type": ["ResultDescription"], "name": name, "resultType": kind}
            for key, name, kind in _descriptions(exam)
        ],
    }


def _result_values(result: Result) -> list[tuple[str, str]]:
    """Return (key, value) for each part of a result the credential states, from the one presentation of it."""
    view = result_view(result=result)
    # As awarded, in no reader's language, as files write it: the grade, X/Z/Pending/Withheld, 'Merit #'…
    values = [("result", grade_as_awarded(family=view.family, grade=result.grade, qualification=result.qualification))]
    if view.legacy:  # an old-style result: its standardised score, never a mark per paper (docs/domain.md §7.1)
        if view.overall_score is not None:
            values.append(("standardised_score", str(view.overall_score)))
        return [*values, ("cefr_level", view.cefr_level)] if view.cefr_level else values
    if view.overall_score is not None:
        values.append(("overall_score", str(view.overall_score)))
    if view.cefr_level:
        values.append(("cefr_level", view.cefr_level))
    for line in view.components:
        values.append((line.code, str(line.score)))
        if line.ums is not None:
            values.append((f"{line.code}_ums", str(line.ums)))
    return values


def name_identity(name: str, *, salt: str | None = None) -> dict[str, Any]:
    """Return the Open Badges identity object of a person's name, hashed with a salt (``sha256$`` + hex).

    A verifier who is told the name checks it by hashing the name followed by the salt.
    """
    salt = salt or secrets.token_hex(16)
    return {
        "type": "IdentityObject",
        "identityHash": "sha256$" + hashlib.sha256((name + salt).encode()).hexdigest(),
        "identityType": "name",
        "hashed": True,
        "salt": salt,
    }


def credential_build(*, result: Result) -> dict[str, Any]:
    """Return the unsigned Open Badges 3.0 credential of a released result (read through the visibility selector).

    The credential states the exam, the result, the overall score, the CEFR level, the component scores and the
    exam date, and identifies the candidate by their name, hashed with a salt; no Candidate ID and no secret
    number. ``awardedDate`` is the first release and stays across amendments; ``validFrom`` moves with them.
    """
    entry = result.entry
    exam = entry.session.exam
    achievement = achievement_document(exam)
    values = _result_values(result)
    known = {description["id"] for description in achievement["resultDescription"]}
    results = [
        {"type": ["Result"], "resultDescription": f"{achievement['id']}#{key}", "value": value}
        for key, value in values
        if f"{achievement['id']}#{key}" in known
    ]
    issued = result.amended_at or result.released_at or result.ready_at
    awarded = result.released_at or result.ready_at
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT],
        "id": f"urn:uuid:{result.public_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{exam.certificate_name}: {values[0][1]}",
        "issuer": {
            "id": board_issuer_id(),
            "type": ["Profile"],
            "name": board_name(),
            "url": settings.SITE_URL + "/",
        },
        "validFrom": _utc(issued),
        "awardedDate": _utc(awarded),
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [name_identity(entry.person.full_name)],
            "activityEndDate": f"{entry.session.date.isoformat()}T00:00:00Z",
            "achievement": achievement,
            "result": results,
        },
    }


def _proof_hash(
    *, document: dict[str, Any], options: dict[str, Any], extra_contexts: Mapping[str, Any] | None = None
) -> bytes:
    """Return the 64 bytes a proof signs: SHA-256 of the canonical proof options, then of the canonical document.

    The options carry the document's ``@context`` (vc-di-eddsa §3.3.1 step 2 / §3.2.1): an eddsa-jcs-2022 proof
    shows it, so a verifier hashes exactly what the proof contains (§3.3.2, §3.3.5); eddsa-rdfc-2022 takes it from
    the document. JCS hashes the JSON; RDFC hashes the canonical RDF dataset (``linked_data.canonical_nquads``).
    """
    if options["cryptosuite"] == JCS:
        return hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(document)).digest()
    config = {**options, "@context": document["@context"]}
    canonical = [linked_data.canonical_nquads(part, extra_contexts=extra_contexts) for part in (config, document)]
    return b"".join(hashlib.sha256(text.encode()).digest() for text in canonical)


def proof_create(
    document: dict[str, Any],
    *,
    cryptosuite: str,
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: dt.datetime,
    extra_contexts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a ``DataIntegrityProof`` (eddsa-rdfc-2022 or eddsa-jcs-2022) of ``document`` (without a proof).

    ``extra_contexts`` ({URL: document}) are context documents to use besides those kept in the repository
    (the W3C test vectors name the W3C examples context); the portal's own credentials need none.
    """
    if cryptosuite not in CRYPTOSUITES:
        raise ValueError(f"unknown cryptosuite {cryptosuite!r}")
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": _utc(created),
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    if cryptosuite == JCS:
        options["@context"] = document["@context"]
    signed = _proof_hash(document=document, options=options, extra_contexts=extra_contexts)
    return {**options, "proofValue": "z" + base58btc(private_key.sign(signed))}


def credential_sign(credential: dict[str, Any], *, created: dt.datetime | None = None) -> dict[str, Any]:
    """Return the credential with two ``DataIntegrityProof``s made with the board's key: eddsa-rdfc-2022, then
    eddsa-jcs-2022, created at the same instant.

    ``proof`` is a list: VC 2.0 allows a proof or a set of them, and the 1EdTech JSON Schema for Open Badges 3.0
    accepts only the list. Raises ``linked_data.UndefinedTermError`` if the credential uses a term its contexts do
    not define (it would not be signed by the RDF proof).
    """
    unsecured = {key: value for key, value in credential.items() if key != "proof"}
    moment = created or dt.datetime.now(dt.UTC)
    proofs = [
        proof_create(
            unsecured,
            cryptosuite=cryptosuite,
            private_key=board_private_key(),
            verification_method=verification_method_id(),
            created=moment,
        )
        for cryptosuite in CRYPTOSUITES
    ]
    return {**unsecured, "proof": proofs}


def credential_for_result(*, result: Result) -> dict[str, Any]:
    """Return the signed Open Badges 3.0 credential of a released result, revocable through its status list.

    ``credentialStatus`` is one object, as Open Badges 3.0 allows: the credential's two bits in the board's
    message list (valid, suspended or revoked; ``verification.status_lists``, allocated here on first issue of
    this version of the result). The VC 2.0 context, first in ``@context``, defines ``BitstringStatusListEntry``
    and its terms, ``statusSize`` and ``statusMessage`` included.
    """
    from .status_lists import credential_status_entry  # that module signs its lists with this one

    return credential_sign(
        {**credential_build(result=result), "credentialStatus": credential_status_entry(result=result)}
    )


_PROOF_KEYS = {"type", "cryptosuite", "created", "verificationMethod", "proofPurpose", "proofValue"}


def credential_proofs(credential: Any) -> list[Any]:
    """Return a credential's proofs, whether ``proof`` is one proof or a list of them (empty if it has none)."""
    proof = credential.get("proof") if isinstance(credential, dict) else None
    if proof is None:
        return []
    return list(proof) if isinstance(proof, list) else [proof]


def proof_verify(
    document: Any,
    proof: Any,
    *,
    public_key: Ed25519PublicKey,
    extra_contexts: Mapping[str, Any] | None = None,
) -> bool:
    """Return whether one eddsa-rdfc-2022 or eddsa-jcs-2022 proof of ``document`` verifies with ``public_key``.

    The document is taken without its ``proof`` (vc-di-eddsa §3.2.2 / §3.3.2). The proof options are the proof
    as given without ``proofValue``; its ``@context``, when present, must be the document's. Only the options we
    make are accepted (no ``expires``, ``domain``, ``challenge``, ``previousProof``…), all of them strings.
    """
    if not isinstance(document, dict) or not isinstance(proof, dict) or "@context" not in document:
        return False
    options = dict(proof)
    context = options.pop("@context", document["@context"])
    proof_value = options.pop("proofValue", None)
    if (
        set(options) | {"proofValue"} != _PROOF_KEYS
        or not all(isinstance(value, str) for value in options.values())
        or options["type"] != "DataIntegrityProof"
        or options["cryptosuite"] not in CRYPTOSUITES
        or context != document["@context"]
        or not isinstance(proof_value, str)
        or not proof_value.startswith("z")
    ):
        return False
    if options["cryptosuite"] == JCS and "@context" in proof:
        options["@context"] = context
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    try:
        signature = base58btc_decode(proof_value[1:])
        public_key.verify(signature, _proof_hash(document=unsecured, options=options, extra_contexts=extra_contexts))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def credential_verify(credential: Any, *, public_key: Ed25519PublicKey | None = None) -> bool:
    """Return whether a credential carries the board's proofs and each verifies with its key (or ``public_key``).

    The proofs are ours when there is an eddsa-jcs-2022 proof, at most one eddsa-rdfc-2022 proof beside it, and
    nothing else. The JCS proof is checked first: the RDF proof is checked only on a credential the board signed,
    because canonicalising an RDF dataset can be made to take factorial time (many identical blank nodes), and
    this check runs on credentials anyone pastes. Any change to any field of the credential or of a proof (other
    than ``proofValue`` itself) makes it fail. This is the signature only: ``verification.status_lists.
    credential_check`` adds whether the credential is revoked or suspended.
    """
    key = public_key or board_public_key()
    proofs = credential_proofs(credential)
    suites = [proof.get("cryptosuite") if isinstance(proof, dict) else None for proof in proofs]
    if sorted(suites, key=str) not in ([JCS], sorted(CRYPTOSUITES)):
        return False
    proofs.sort(key=lambda proof: proof["cryptosuite"] != JCS)
    return all(proof_verify(credential, proof, public_key=key) for proof in proofs)

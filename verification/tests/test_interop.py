"""Credentials as independent verifiers see them: Digital Bazaar's libraries (npm, run with node) verify both
proofs of a credential downloaded as a candidate downloads it — a scale-score exam and a unitised qualification —
expand it in jsonld.js safe mode (no undefined term), and refuse one changed after signing. The script also checks
the credential's status as W3C Bitstring Status List v1.0 §3.2 gives it (the list's proofs by Digital Bazaar's
libraries, the bits by the script: see its header), for the message entry of new credentials and the two entries
of older ones. Run by ``make test``, which installs the libraries with ``npm ci`` as it installs axe-core; never
skipped."""

import base64
import copy
import gzip
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from centres.models import Entry
from results.models import Result
from results.services import result_hold
from verification.credentials import credential_sign
from verification.status_lists import status_lists_invalidate
from verification.tests.conftest import (
    credential_download,
    old_form_credential,
    released_entry,
    released_unitised_entry,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "interop" / "verify_credential.mjs"
LIBRARY = ROOT / "node_modules" / "@digitalbazaar" / "eddsa-jcs-2022-cryptosuite"
BOTH = {"eddsa-rdfc-2022": {"verified": True, "error": None}, "eddsa-jcs-2022": {"verified": True, "error": None}}


def _digital_bazaar(
    tmp_path: Path, credential: dict[str, Any], published: dict[str, Any], lists: dict[str, Any] | None = None
) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not LIBRARY.exists():
        pytest.fail("node and the npm packages are needed: run `make test` (it runs `npm ci`)", pytrace=False)
    (tmp_path / "credential.json").write_text(json.dumps(credential))
    (tmp_path / "published.json").write_text(json.dumps(published))
    files = [tmp_path / "credential.json", tmp_path / "published.json"]
    if lists is not None:
        (tmp_path / "lists.json").write_text(json.dumps(lists))
        files.append(tmp_path / "lists.json")
    ran = subprocess.run(  # noqa: S603 - our own script on files we wrote
        [node, str(SCRIPT), *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.stdout, ran.stderr
    outcome: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
    checked = all(result["error"] is None for result in outcome.get("status", []))
    assert (ran.returncode == 0) == (outcome["verified"] and outcome["expanded"] and checked)
    return outcome


def _lists(client: Client, credential: dict[str, Any]) -> dict[str, Any]:
    """Return what dereferencing each status list a credential names gives, by URL (as a verifier fetches them)."""
    entries = credential["credentialStatus"]
    urls = {entry["statusListCredential"] for entry in (entries if isinstance(entries, list) else [entries])}
    return {url: client.get(url.removeprefix("http://127.0.0.1:8000")).json() for url in urls}


def _proof(credential: dict[str, Any], cryptosuite: str) -> dict[str, Any]:
    [proof] = [proof for proof in credential["proof"] if proof["cryptosuite"] == cryptosuite]
    return proof


@pytest.mark.parametrize("make_entry", [released_entry, released_unitised_entry], ids=["scale-score", "unitised"])
def test_digital_bazaar_verifies_both_proofs_of_a_downloaded_credential_with_the_published_key(
    client: Client, tmp_path: Path, make_entry: Callable[[], Any]
) -> None:
    credential = credential_download(client, make_entry())
    key = client.get("/verify/keys/board.json").json()

    outcome = _digital_bazaar(tmp_path, credential, key)

    assert outcome["proofs"] == BOTH
    assert outcome["verified"] is True and outcome["expanded"] is True, outcome

    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["result"][0]["value"] = "Grade A"
    assert _digital_bazaar(tmp_path, changed, key)["proofs"] == {
        "eddsa-rdfc-2022": {"verified": False, "error": "Error: Invalid signature."},
        "eddsa-jcs-2022": {"verified": False, "error": "Error: Invalid signature."},
    }


def test_each_proof_is_checked_on_its_own(client: Client, tmp_path: Path) -> None:
    credential = credential_download(client, released_entry())
    key = client.get("/verify/keys/board.json").json()

    forged = copy.deepcopy(credential)
    rdfc, jcs = _proof(forged, "eddsa-rdfc-2022"), _proof(forged, "eddsa-jcs-2022")
    rdfc["proofValue"] = jcs["proofValue"]  # a signature, but not of this proof
    outcome = _digital_bazaar(tmp_path, forged, key)
    assert outcome["proofs"]["eddsa-rdfc-2022"]["verified"] is False
    assert outcome["proofs"]["eddsa-jcs-2022"]["verified"] is True
    assert outcome["verified"] is False

    unsigned_context = copy.deepcopy(credential)
    del _proof(unsigned_context, "eddsa-jcs-2022")["@context"]  # the JCS proof as this portal used to emit it
    assert _digital_bazaar(tmp_path, unsigned_context, key)["proofs"]["eddsa-jcs-2022"]["verified"] is False


def test_an_undefined_term_fails_the_safe_mode_expansion(client: Client, tmp_path: Path) -> None:
    credential = credential_download(client, released_entry())
    key = client.get("/verify/keys/board.json").json()
    credential["@context"] = credential["@context"][:2]  # without the context that defines the schema's type

    outcome = _digital_bazaar(tmp_path, credential, key)

    assert outcome["expanded"] is False and "1EdTechJsonSchemaValidator2019" in outcome["expansionError"]


@pytest.mark.parametrize("make_entry", [released_entry, released_unitised_entry], ids=["scale-score", "unitised"])
def test_digital_bazaar_finds_the_key_through_the_did_document(
    client: Client, tmp_path: Path, settings: Any, make_entry: Callable[[], Any]
) -> None:
    settings.SITE_URL = "https://results.example.org"
    credential = credential_download(client, make_entry())
    did = client.get("/.well-known/did.json").json()

    assert {proof["verificationMethod"] for proof in credential["proof"]} == {
        "did:web:results.example.org#board-signing-key"
    }
    outcome = _digital_bazaar(tmp_path, credential, did)
    assert outcome["proofs"] == BOTH and outcome["expanded"] is True


def _message(status: int, message: str) -> list[dict[str, Any]]:
    return [{"purpose": "message", "status": status, "valid": status == 0, "message": message, "error": None}]


def test_digital_bazaar_and_the_spec_s_algorithm_read_the_message_entry(client: Client, tmp_path: Path) -> None:
    entry = released_entry()
    credential = credential_download(client, entry)
    key = client.get("/verify/keys/board.json").json()

    assert _digital_bazaar(tmp_path, credential, key, _lists(client, credential))["status"] == _message(0, "valid")
    result_hold(result=entry.result, actor=None, reason="malpractice investigation")
    status_lists_invalidate()
    assert _digital_bazaar(tmp_path, credential, key, _lists(client, credential))["status"] == _message(1, "suspended")
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)
    status_lists_invalidate()
    outcome = _digital_bazaar(tmp_path, credential, key, _lists(client, credential))
    assert outcome["status"] == _message(2, "revoked")
    assert outcome["verified"] is True  # a revoked credential's proofs still hold: the status says the rest


def test_the_two_entries_of_an_older_credential_are_read_too(client: Client, tmp_path: Path) -> None:
    entry = released_entry()
    credential = old_form_credential(Result.objects.get(entry=entry))
    key = client.get("/verify/keys/board.json").json()
    result_hold(result=entry.result, actor=None, reason="malpractice investigation")
    status_lists_invalidate()

    outcome = _digital_bazaar(tmp_path, credential, key, _lists(client, credential))

    assert outcome["status"] == [
        {"purpose": "revocation", "status": 0, "valid": True, "error": None},
        {"purpose": "suspension", "status": 1, "valid": False, "error": None},
    ]


def test_a_status_list_that_cannot_be_trusted_is_an_error_not_a_status(client: Client, tmp_path: Path) -> None:
    credential = credential_download(client, released_entry())
    key = client.get("/verify/keys/board.json").json()
    lists = _lists(client, credential)
    [(url, listed)] = lists.items()
    # Another list's bits under this list's proofs: the revocation list of the same number, all zero too.
    swapped = copy.deepcopy(listed)
    other = client.get("/credentials/status/revocation/1").json()["credentialSubject"]["encodedList"]
    swapped["credentialSubject"]["encodedList"] = other

    # A list the board signed with 16 KB of bits: 65,536 entries of two bits, fewer than the spec's minimum.
    short = {key: value for key, value in listed.items() if key != "proof"}
    encoded = base64.urlsafe_b64encode(gzip.compress(bytes(16_384))).rstrip(b"=").decode()
    short = credential_sign(
        {**short, "credentialSubject": {**short["credentialSubject"], "encodedList": "u" + encoded}}
    )

    outcomes = {
        "changed": _digital_bazaar(tmp_path, credential, key, {url: swapped}),
        "short": _digital_bazaar(tmp_path, credential, key, {url: short}),
        "missing": _digital_bazaar(tmp_path, credential, key, {}),
        "other purpose": _digital_bazaar(
            tmp_path, credential, key, {url: client.get("/credentials/status/suspension/1").json()}
        ),
    }

    assert {name: [r["error"] for r in outcome["status"]] for name, outcome in outcomes.items()} == {
        "changed": ["STATUS_VERIFICATION_ERROR"],
        "short": ["STATUS_LIST_LENGTH_ERROR"],
        "missing": ["STATUS_RETRIEVAL_ERROR"],
        "other purpose": ["STATUS_VERIFICATION_ERROR"],
    }

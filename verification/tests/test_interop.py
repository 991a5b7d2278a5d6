"""Credentials as independent verifiers see them: Digital Bazaar's libraries (npm, run with node) verify both
proofs of a credential downloaded as a candidate downloads it — a scale-score exam and a unitised qualification —
expand it in jsonld.js safe mode (no undefined term), and refuse one changed after signing. Run by ``make test``,
which installs the libraries with ``npm ci`` as it installs axe-core; never skipped."""

import copy
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from verification.tests.conftest import credential_download, released_entry, released_unitised_entry

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "interop" / "verify_credential.mjs"
LIBRARY = ROOT / "node_modules" / "@digitalbazaar" / "eddsa-jcs-2022-cryptosuite"
BOTH = {"eddsa-rdfc-2022": {"verified": True, "error": None}, "eddsa-jcs-2022": {"verified": True, "error": None}}


def _digital_bazaar(tmp_path: Path, credential: dict[str, Any], published: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not LIBRARY.exists():
        pytest.fail("node and the npm packages are needed: run `make test` (it runs `npm ci`)", pytrace=False)
    (tmp_path / "credential.json").write_text(json.dumps(credential))
    (tmp_path / "published.json").write_text(json.dumps(published))
    ran = subprocess.run(  # noqa: S603 - our own script on files we wrote
        [node, str(SCRIPT), str(tmp_path / "credential.json"), str(tmp_path / "published.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.stdout, ran.stderr
    outcome: dict[str, Any] = json.loads(ran.stdout.strip().splitlines()[-1])
    assert (ran.returncode == 0) == (outcome["verified"] and outcome["expanded"])
    return outcome


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

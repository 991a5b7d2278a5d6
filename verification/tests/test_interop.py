"""Credentials as independent verifiers see them: Digital Bazaar's Data Integrity libraries (npm, run with node)
verify a credential downloaded as a candidate downloads it, and refuse one changed after signing. Run by
``make test``, which installs the libraries with ``npm ci`` as it installs axe-core; never skipped."""

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from results.tests.factories import account_for
from verification.tests.conftest import released_entry

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "interop" / "verify_credential.mjs"
LIBRARY = ROOT / "node_modules" / "@digitalbazaar" / "eddsa-jcs-2022-cryptosuite"


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
    assert (ran.returncode == 0) == outcome["verified"]
    return outcome


def _download(client: Client) -> dict[str, Any]:
    entry = released_entry()
    client.force_login(account_for(entry).user)
    response = client.get(f"/results/{entry.public_id}/share/credential.json")
    assert response.status_code == 200
    downloaded: dict[str, Any] = json.loads(response.content)
    return downloaded


def test_digital_bazaar_verifies_a_downloaded_credential_with_the_published_key(
    client: Client, tmp_path: Path
) -> None:
    credential = _download(client)
    key = client.get("/verify/keys/board.json").json()

    assert _digital_bazaar(tmp_path, credential, key) == {"verified": True, "error": None}

    changed = copy.deepcopy(credential)
    changed["credentialSubject"]["result"][0]["value"] = "Grade A"
    assert _digital_bazaar(tmp_path, changed, key)["verified"] is False
    unsigned_context = copy.deepcopy(credential)
    del unsigned_context["proof"][0]["@context"]  # the proof as this portal used to emit it
    assert _digital_bazaar(tmp_path, unsigned_context, key)["verified"] is False


def test_digital_bazaar_finds_the_key_through_the_did_document(client: Client, tmp_path: Path, settings: Any) -> None:
    settings.SITE_URL = "https://results.example.org"
    credential = _download(client)
    did = client.get("/.well-known/did.json").json()

    assert credential["proof"][0]["verificationMethod"] == "did:web:results.example.org#board-signing-key"
    assert _digital_bazaar(tmp_path, credential, did) == {"verified": True, "error": None}

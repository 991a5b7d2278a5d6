"""Revocable credentials: W3C Bitstring Status List v1.0 (docs/decisions/0008-credential-status.md)."""

import base64
import gzip
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.db import IntegrityError
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from candidates.models import LinkedEntry
from centres.models import Entry
from results.imports import RESULT_COLUMNS, results_import
from results.models import Result
from results.services import result_hold, result_unhold
from results.tests.factories import FCE_SCORES, account_for
from verification import status_lists
from verification.credentials import credential_for_result, credential_verify
from verification.models import CredentialStatus
from verification.status_lists import credential_check, credential_status, status_lists_invalidate

from .conftest import old_form_credential, released_entry

pytestmark = pytest.mark.django_db

SITE = "http://127.0.0.1:8000"


def _download(client: Client, entry: Entry) -> dict[str, Any]:
    link = LinkedEntry.objects.filter(entry=entry).first()
    client.force_login((link.account if link else account_for(entry)).user)
    response = client.get(f"/results/{entry.public_id}/share/credential.json")
    assert response.status_code == 200
    return json.loads(response.content)


def _bitstring(client: Client, url: str) -> bytes:
    """Fetch a status list and decode its encodedList here, independently of the portal's decoder."""
    assert url.startswith(SITE)
    response = client.get(url.removeprefix(SITE))
    assert response.status_code == 200
    encoded = response.json()["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"  # multibase base64url, no padding
    body = encoded[1:]
    assert "=" not in body
    return gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _bit(bits: bytes, position: int) -> int:
    return bits[position // 8] >> (7 - position % 8) & 1  # position 0 is the left-most bit


def _message(client: Client, credential: dict[str, Any]) -> int:
    """Return the two-bit value a credential's message entry names: bits 2 × index and 2 × index + 1."""
    entry = credential["credentialStatus"]
    assert (entry["statusPurpose"], entry["statusSize"]) == ("message", 2)
    bits = _bitstring(client, entry["statusListCredential"])
    index = int(entry["statusListIndex"])
    return _bit(bits, 2 * index) * 2 + _bit(bits, 2 * index + 1)


def _bits(client: Client, credential: dict[str, Any]) -> tuple[bool, bool]:
    """Return the revocation and suspension bits an older credential's two entries name."""
    found = {}
    for entry in credential["credentialStatus"]:
        bits = _bitstring(client, entry["statusListCredential"])
        found[entry["statusPurpose"]] = bool(_bit(bits, int(entry["statusListIndex"])))
    return found["revocation"], found["suspension"]


def _old(entry: Entry) -> dict[str, Any]:
    return old_form_credential(Result.objects.get(entry=entry))


def _amend(entry: Entry) -> None:
    lines = [",".join(RESULT_COLUMNS)] + [
        f"{entry.candidate_id},{entry.session.exam.code},{entry.session.date},{component},{score}"
        for component, score in {**FCE_SCORES, "reading": 190, "speaking": 190}.items()
    ]
    assert results_import(text="\n".join(lines) + "\n", reason="clerical check").amended == 1


MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "suspended"},
    {"status": "0x2", "message": "revoked"},
    {"status": "0x3", "message": "undefined"},
]


def test_the_issued_credential_names_two_random_bits_of_the_message_list(client: Client) -> None:
    entry = released_entry()

    credential = _download(client, entry)

    place = CredentialStatus.objects.get()
    assert (place.result, place.result_version, place.list_number) == (entry.result, 1, 1)
    assert credential["credentialStatus"] == {
        "id": f"{SITE}/credentials/status/message/1#{place.index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "message",
        "statusListIndex": str(place.index),
        "statusSize": 2,
        "statusMessage": MESSAGES,
        "statusListCredential": f"{SITE}/credentials/status/message/1",
    }
    # The VC 2.0 context, first, defines credentialStatus and BitstringStatusListEntry; the proof is unchanged.
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert credential_verify(credential) is True
    for change in ({"statusListIndex": "0"}, {"statusMessage": MESSAGES[:3]}):
        assert (
            credential_verify({**credential, "credentialStatus": {**credential["credentialStatus"], **change}})
            is False
        )
    assert _download(client, entry)["credentialStatus"] == credential["credentialStatus"]  # same index again
    spanish = client.get(f"/es/results/{entry.public_id}/share/credential.json").json()
    assert spanish["credentialStatus"] == credential["credentialStatus"]  # no language prefix in the lists' URLs
    assert CredentialStatus.objects.count() == 1


def test_the_message_list_is_a_signed_32_kb_bitstring_served_to_any_site(client: Client) -> None:
    credential = _download(client, released_entry())
    url = credential["credentialStatus"]["statusListCredential"]

    response = client.get(url.removeprefix(SITE))

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Content-Type"].startswith("application/ld+json")
    listed = response.json()
    assert listed["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == url and listed["issuer"] == credential["issuer"]["id"]
    assert listed["credentialSubject"]["type"] == "BitstringStatusList"
    assert listed["credentialSubject"]["statusPurpose"] == "message"
    suites = ["eddsa-rdfc-2022", "eddsa-jcs-2022"]  # signed like the credentials
    assert (
        [proof["cryptosuite"] for proof in listed["proof"]]
        == [p["cryptosuite"] for p in credential["proof"]]
        == suites
    )
    assert credential_verify(listed) is True
    # 131,072 entries of 2 bits: the spec's minimum number of entries (bitstring length ÷ statusSize).
    assert len(_bitstring(client, url)) * 8 == 262_144
    assert _message(client, credential) == 0


def test_the_lists_of_older_credentials_are_still_served(client: Client) -> None:
    credential = _old(released_entry())

    for purpose in ("revocation", "suspension"):
        listed = client.get(f"/credentials/status/{purpose}/1").json()
        assert listed["credentialSubject"]["statusPurpose"] == purpose
        assert credential_verify(listed) is True
        assert len(_bitstring(client, f"{SITE}/credentials/status/{purpose}/1")) * 8 == 131_072
    assert _bits(client, credential) == (False, False)


def test_the_lists_of_a_number_are_built_together_and_cached(client: Client, django_assert_num_queries: Any) -> None:
    _download(client, released_entry())
    cache.clear()

    with django_assert_num_queries(2):  # the list numbers, then one row per credential of the list
        assert client.get("/credentials/status/message/1").status_code == 200
    with django_assert_num_queries(0):  # built at the same time, from the same rows
        for purpose in ("revocation", "suspension", "message"):
            assert client.get(f"/credentials/status/{purpose}/1").status_code == 200


def test_a_hold_suspends_the_credential_and_a_release_again_clears_it(client: Client) -> None:
    entry = released_entry()
    credential, old = _download(client, entry), _old(entry)
    assert (_message(client, credential), _bits(client, old)) == (0, (False, False))

    result_hold(result=entry.result, actor=None, reason="malpractice investigation")
    status_lists_invalidate()

    assert (_message(client, credential), _bits(client, old)) == (1, (False, True))
    result_unhold(result=entry.result, actor=None, reason="investigation closed")
    status_lists_invalidate()
    assert (_message(client, credential), _bits(client, old)) == (0, (False, False))


def test_without_invalidation_a_hold_shows_once_the_cached_list_expires(client: Client) -> None:
    entry = released_entry()
    credential = _download(client, entry)
    assert _message(client, credential) == 0  # now cached

    result_hold(result=entry.result, actor=None, reason="malpractice investigation")

    assert _message(client, credential) == 0  # served from the cache, at most CACHE_SECONDS old
    assert status_lists.CACHE_SECONDS == 60
    cache.clear()  # as when CACHE_SECONDS have passed: no event needed
    assert _message(client, credential) == 1


def test_the_hold_event_publishes_the_suspension_at_once(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    entry = released_entry()
    credential, old = _download(client, entry), _old(entry)
    assert (_message(client, credential), _bits(client, old)) == (0, (False, False))  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        result_hold(result=entry.result, actor=None, reason="malpractice investigation")

    assert (_message(client, credential), _bits(client, old)) == (1, (False, True))  # the event dropped them all
    with django_capture_on_commit_callbacks(execute=True):
        result_unhold(result=entry.result, actor=None, reason="cleared")
    assert (_message(client, credential), _bits(client, old)) == (0, (False, False))


def test_an_amended_result_revokes_the_old_credential_and_not_the_new_one(client: Client) -> None:
    entry = released_entry()
    old, older_form = _download(client, entry), _old(entry)

    _amend(entry)
    new = _download(client, entry)

    assert new["credentialStatus"] != old["credentialStatus"]
    assert sorted(CredentialStatus.objects.values_list("result_version", flat=True)) == [1, 2]
    assert (_message(client, old), _bits(client, older_form)) == (2, (True, False))
    assert _message(client, new) == 0
    assert (credential_status(old), credential_status(older_form), credential_status(new)) == (
        "revoked",
        "revoked",
        "valid",
    )


def test_a_withdrawn_entry_revokes_its_credential(client: Client) -> None:
    entry = released_entry()
    credential, old = _download(client, entry), _old(entry)

    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)
    status_lists_invalidate()

    assert (_message(client, credential), _bits(client, old)) == (2, (True, False))
    assert (credential_status(credential), credential_status(old)) == ("revoked", "revoked")


def test_a_deleted_result_revokes_its_credential(client: Client) -> None:
    entry = released_entry()
    credential, old = _download(client, entry), _old(entry)

    Result.objects.filter(entry=entry).delete()
    status_lists_invalidate()

    assert CredentialStatus.objects.get().result is None
    assert (_message(client, credential), _bits(client, old)) == (2, (True, False))


def test_the_status_lists_hold_no_personal_data(client: Client) -> None:
    entries = [released_entry() for _ in range(3)]
    issued = [_download(client, entry) for entry in entries]
    result_hold(result=entries[0].result, actor=None, reason="malpractice investigation")
    status_lists_invalidate()

    for purpose in ("message", "revocation", "suspension"):
        response = client.get(f"/credentials/status/{purpose}/1")
        body = response.content.decode()
        listed = response.json()
        assert set(listed) == {"@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof"}
        assert set(listed["credentialSubject"]) == {"id", "type", "statusPurpose", "encodedList", "ttl"}
        for entry, credential in zip(entries, issued, strict=True):
            for secret in (
                entry.candidate_id,
                entry.person.first_name,
                entry.person.last_name,
                str(entry.public_id),
                str(entry.result.public_id),
                credential["id"],
                entry.result.grade,
            ):
                assert secret not in body
        # The same list for everyone, logged in or not: shared caches may keep it.
        assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")


def test_no_two_credentials_share_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    results = [released_entry().result for _ in range(25)]

    for result in results:
        credential_for_result(result=result)

    indexes = list(CredentialStatus.objects.order_by("pk").values_list("list_number", "index"))
    assert len(indexes) == len(set(indexes)) == 25
    assert sorted(indexes) != indexes  # drawn at random, not in issuance order (sorted by chance: 1 in 25!)
    # A drawn index already taken is drawn again.
    taken = indexes[0][1]
    draws = iter([taken, taken, 7])
    monkeypatch.setattr(status_lists, "_random_index", lambda: next(draws))
    assert status_lists.credential_status_allocate(result=released_entry().result).index == 7
    # And the database refuses a second credential on one index.
    with pytest.raises(IntegrityError):
        CredentialStatus.objects.create(result=released_entry().result, result_version=1, list_number=1, index=7)


def test_a_full_list_opens_the_next_one(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(status_lists, "LIST_FILL_LIMIT", 2)

    places = [status_lists.credential_status_allocate(result=released_entry().result) for _ in range(3)]

    assert [place.list_number for place in places] == [1, 1, 2]
    assert client.get("/credentials/status/suspension/2").status_code == 200
    assert client.get("/credentials/status/message/2").status_code == 200
    assert client.get("/credentials/status/message/3").status_code == 404
    assert client.get("/credentials/status/suspension/3").status_code == 404
    assert client.get("/credentials/status/suspension/0").status_code == 404
    assert client.get("/credentials/status/expiry/1").status_code == 404
    assert client.get("/es/credentials/status/suspension/1").status_code == 404  # outside the language prefixes


@pytest.mark.parametrize("form", ["message entry", "two older entries"])
def test_the_verifier_reports_valid_suspended_and_revoked(client: Client, form: str) -> None:
    entry = released_entry()
    credential = _download(client, entry) if form == "message entry" else _old(entry)
    assert credential_check(credential).valid is True
    assert credential_status(credential) == "valid"

    result_hold(result=entry.result, actor=None, reason="malpractice investigation")
    status_lists_invalidate()
    check = credential_check(credential)
    assert (check.signature_valid, check.status, check.valid) == (True, "suspended", False)

    result_unhold(result=entry.result, actor=None, reason="investigation closed")
    status_lists_invalidate()
    assert credential_status(credential) == "valid"

    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.WITHDRAWN)
    status_lists_invalidate()
    assert credential_status(credential) == "revoked"


def test_the_verifier_says_unknown_for_a_status_it_cannot_read(client: Client) -> None:
    credential = _download(client, released_entry())
    entry = credential["credentialStatus"]
    no_status = {key: value for key, value in credential.items() if key != "credentialStatus"}
    foreign = {**credential, "credentialStatus": {**entry, "statusListCredential": "https://elsewhere.example/1"}}
    # Not what the board's entries commit to: another purpose, size or set of messages for the message list.
    unlike_ours = [
        {**entry, "statusPurpose": "revocation"},
        {**entry, "statusSize": 1},
        {**entry, "statusSize": True},
        {key: value for key, value in entry.items() if key != "statusSize"},
        {**entry, "statusMessage": MESSAGES[:3]},
        {**entry, "statusMessage": [*MESSAGES[:1], MESSAGES[2], MESSAGES[1], MESSAGES[3]]},
    ]

    assert credential_status(no_status) == "unknown"
    assert credential_status(foreign) == "unknown"
    assert credential_check(foreign).signature_valid is False  # and the proof no longer holds
    for changed in unlike_ours:
        assert credential_status({**credential, "credentialStatus": changed}) == "unknown", changed
    assert credential_status(credential) == "valid"  # the credential itself reads


def test_a_message_value_the_board_never_sets_reads_as_unknown(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    credential = _download(client, released_entry())
    index = int(credential["credentialStatus"]["statusListIndex"])
    built = status_lists._bitstrings

    def with_value_3(*, number: int, now: Any) -> dict[str, bytearray]:
        bits = built(number=number, now=now)
        bits["message"][index // 4] |= 0xC0 >> (index % 4 * 2)  # both bits of the entry: 0x3, "undefined"
        return bits

    monkeypatch.setattr(status_lists, "_bitstrings", with_value_3)
    cache.clear()

    assert _message(client, credential) == 3
    assert credential_status(credential) == "unknown"

"""JSON-LD expansion of fresh credentials — a scale-score exam and a unitised qualification — with pyld and the
contexts kept in ``verification/contexts/``: every term is defined. Checked two ways: our ``expand`` refuses a
dropped term, and, independently of that, every value the credential states is found again in the expansion
(each scalar becomes exactly one ``@value``, absolute ``@id`` or absolute node ``@type``; a term no context
defines would vanish, an undefined type or a relative identifier would stay relative and be lost as RDF).
The status lists are expanded too, and the status entry's ``statusSize`` and ``statusMessage`` are shown defined by
the VC 2.0 context. Nothing is fetched: a context that is not kept here fails."""

import copy
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from pyld import jsonld

from verification import linked_data
from verification.tests.conftest import credential_download, released_entry, released_unitised_entry

pytestmark = pytest.mark.django_db

OB = "https://purl.imsglobal.org/spec/vc/ob/vocab.html#"
STATUS = "https://www.w3.org/ns/credentials/status#"


def _compact_scalars(node: Any) -> int:
    """Count the scalar values of a compact JSON-LD document (its ``@context`` aside)."""
    if isinstance(node, dict):
        return sum(_compact_scalars(value) for key, value in node.items() if key != "@context")
    if isinstance(node, list):
        return sum(_compact_scalars(item) for item in node)
    return 1


def _absolute(iri: str) -> bool:
    return bool(urllib.parse.urlsplit(iri).scheme)


def _expanded_scalars(node: Any) -> int:
    """Count the values an expanded document keeps: ``@value``s, absolute ``@id``s, absolute ``@type``s of nodes."""
    if isinstance(node, list):
        return sum(_expanded_scalars(item) for item in node)
    if not isinstance(node, dict):
        return 0
    if "@value" in node:
        return 1
    count = int(_absolute(node.get("@id", ""))) + sum(map(_absolute, node.get("@type", [])))
    return count + sum(_expanded_scalars(value) for key, value in node.items() if key not in ("@id", "@type"))


def _plain_expansion(document: dict[str, Any]) -> list[Any]:
    """pyld's own expansion, which silently drops what it cannot expand, with the kept contexts only."""
    documents = linked_data.vendored_contexts()

    def load(url: str, _options: Any = None) -> dict[str, Any]:
        return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(documents[url])}

    expanded: list[Any] = jsonld.expand(document, {"documentLoader": load, "base": None})
    return expanded


@pytest.mark.parametrize("make_entry", [released_entry, released_unitised_entry], ids=["scale-score", "unitised"])
def test_every_value_of_a_downloaded_credential_survives_expansion(
    client: Client, make_entry: Callable[[], Any]
) -> None:
    credential = credential_download(client, make_entry())
    unsecured = {key: value for key, value in credential.items() if key != "proof"}

    expanded = linked_data.expand(unsecured)  # raises on any undefined term

    assert _expanded_scalars(_plain_expansion(unsecured)) == _compact_scalars(unsecured)
    assert expanded == _plain_expansion(unsecured)
    [node] = expanded
    subject = node["https://www.w3.org/2018/credentials#credentialSubject"][0]
    results = subject[OB + "result"]
    assert len(results) == len(credential["credentialSubject"]["result"])
    assert {r[OB + "resultDescription"][0]["@value"] for r in results} == {
        r["resultDescription"] for r in credential["credentialSubject"]["result"]
    }
    schema = node["https://www.w3.org/2018/credentials#credentialSchema"][0]
    assert schema["@type"] == ["https://purl.imsglobal.org/spec/vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019"]


def test_the_proofs_and_the_status_lists_expand_too(client: Client) -> None:
    credential = credential_download(client, released_entry())
    listed = [client.get(f"/credentials/status/{purpose}/1") for purpose in ("message", "revocation", "suspension")]

    for document in (credential, *(response.json() for response in listed)):
        linked_data.expand(document)
        assert _expanded_scalars(_plain_expansion(document)) == _compact_scalars(document)


def test_the_vc_2_0_context_defines_the_message_entry_terms(client: Client) -> None:
    credential = credential_download(client, released_entry())
    unsecured = {key: value for key, value in credential.items() if key != "proof"}

    [node] = linked_data.expand(unsecured)

    [entry] = node["https://www.w3.org/2018/credentials#credentialStatus"]
    assert entry["@type"] == [STATUS + "BitstringStatusListEntry"]
    assert entry[STATUS + "statusPurpose"] == [{"@value": "message"}]
    # The datatype is the one the W3C context gives, "https://…/XMLSchema#integer" (not the http:// of XML Schema):
    # as every verifier expands with the same context, the signed RDF is the same for all.
    assert entry[STATUS + "statusSize"] == [{"@value": 2, "@type": "https://www.w3.org/2001/XMLSchema#integer"}]
    assert [(m[STATUS + "status"], m[STATUS + "message"]) for m in entry[STATUS + "statusMessage"]] == [
        ([{"@value": f"0x{value}"}], [{"@value": message}])
        for value, message in enumerate(["valid", "suspended", "revoked", "undefined"])
    ]
    # The context the credential names first is the W3C VC 2.0 one, kept byte for byte (checked by its SHA-256).
    assert credential["@context"][0] == "https://www.w3.org/ns/credentials/v2"


def test_status_size_and_messages_are_not_defined_on_the_list(client: Client) -> None:
    """Why the message list's subject carries neither (w3c/vc-bitstring-status-list#175): the VC 2.0 context
    scopes statusSize and statusMessage to BitstringStatusListEntry, so on a BitstringStatusList they are
    undefined terms (and the ``statusMessages`` §2.2 of the spec still names is defined nowhere)."""
    credential_download(client, released_entry())
    listed = client.get("/credentials/status/message/1").json()
    unsigned = {key: value for key, value in listed.items() if key != "proof"}

    for term, value in (("statusSize", 2), ("statusMessage", []), ("statusMessages", [])):
        changed = copy.deepcopy(unsigned)
        changed["credentialSubject"][term] = value
        with pytest.raises(linked_data.UndefinedTermError, match=term):
            linked_data.expand(changed)


@pytest.mark.parametrize(
    ("alter", "message"),
    [
        (lambda c: c["credentialSubject"].update(candidateNumber="1234"), "candidateNumber"),
        (lambda c: c["credentialSubject"]["result"][0].update(type=["Mark"]), "resultDescription"),
        (lambda c: c["@context"].pop(), "1EdTechJsonSchemaValidator2019"),
        (lambda c: c.update(id="results/1"), "'results/1'"),
        (lambda c: c["credentialSubject"].update(id="_:subject"), "blank node identifier"),
    ],
)
def test_an_undefined_term_is_refused_not_dropped(client: Client, alter: Any, message: str) -> None:
    credential = copy.deepcopy(credential_download(client, released_entry()))
    alter(credential)

    with pytest.raises(linked_data.UndefinedTermError, match=message):
        linked_data.expand(credential)
    if message != "blank node identifier":  # pyld keeps those; they are refused for the cost of cycles of them
        assert _expanded_scalars(_plain_expansion(credential)) < _compact_scalars(credential)  # pyld alone drops it


def test_a_context_not_kept_here_is_refused(client: Client) -> None:
    credential = credential_download(client, released_entry())
    credential["@context"].append("https://example.org/contexts/extra.json")

    with pytest.raises(linked_data.ContextNotAvailableError, match="example.org"):
        linked_data.expand(credential)

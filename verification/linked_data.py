"""JSON-LD processing of credentials with pyld, offline: expansion that refuses undefined terms, and RDF dataset
canonicalisation (RDFC-1.0, the algorithm pyld names URDNA2015) for ``eddsa-rdfc-2022`` proofs.

Contexts are never fetched from the network: the document loader serves only the context documents kept in
``verification/contexts/`` (``index.json`` names each one's URL, file, source and SHA-256, checked on loading),
and fails for any other URL. The contexts pyld resolves are cached in caches of this module's own (one per
thread), so that nothing another caller of pyld loaded can stand in for them.

A term no context defines would be dropped silently by JSON-LD processing, and a signature over the canonical
form would then not cover it. ``expand`` refuses such a document instead (like the "safe mode" of Digital
Bazaar's jsonld.js): a property that expands to no absolute IRI, a ``type`` that is not a term or an absolute
IRI, a relative ``id``. It also refuses blank node identifiers (``"id": "_:x"``), which credentials have no use
for: only they can tie blank nodes into cycles, and canonicalising a clique of them takes factorial time (pyld
took 18 s for seven nodes), where a tree of blank nodes stays fast.
"""

import copy
import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from pyld import jsonld
from pyld.context_resolver import ContextResolver

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"
_RESOLVED = threading.local()  # each thread its own cache of resolved contexts (an LRUCache is not thread-safe)


class UndefinedTermError(ValueError):
    """A document uses a term, type or identifier that its contexts do not turn into an absolute IRI."""


class ContextNotAvailableError(ValueError):
    """A document names a context that is not one of the documents kept in the repository."""


@lru_cache(maxsize=1)
def vendored_contexts() -> dict[str, Any]:
    """Return {URL: context document} of the contexts kept in ``verification/contexts/``, each checked by SHA-256."""
    index = json.loads((CONTEXTS_DIR / "index.json").read_text(encoding="utf-8"))
    documents = {}
    for url, entry in index["contexts"].items():
        raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
        if hashlib.sha256(raw).hexdigest() != entry["sha256"]:
            raise ValueError(f"{entry['file']} is not the context published at {url} (SHA-256 differs)")
        documents[url] = json.loads(raw)
    return documents


def _loader(documents: Mapping[str, Any]) -> Callable[[str, Any], dict[str, Any]]:
    def load(url: str, _options: Any = None) -> dict[str, Any]:
        if url not in documents:
            raise jsonld.JsonLdError(
                f"The context {url} is not available offline.",
                "jsonld.LoadDocumentError",
                code="loading document failed",
            )
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": copy.deepcopy(documents[url]),
            "contentType": "application/ld+json",
        }

    return load


def _options(extra_contexts: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return pyld options with the offline loader (and, for tests only, context documents besides ours)."""
    if extra_contexts:
        documents = {**vendored_contexts(), **extra_contexts}
        loader = _loader(documents)
        resolver = ContextResolver(LRUCache(maxsize=16), loader)  # not shared: the extras go with this call
    else:
        loader = _loader(vendored_contexts())
        if not hasattr(_RESOLVED, "cache"):
            _RESOLVED.cache = LRUCache(maxsize=16)
        resolver = ContextResolver(_RESOLVED.cache, loader)
    return {"documentLoader": loader, "contextResolver": resolver, "base": None}


def _absolute(iri: Any) -> bool:
    return isinstance(iri, str) and ":" in iri.split("/", 1)[0] and not iri.startswith("_:")


def _check_expanded(node: Any, path: str) -> None:
    """Raise ``UndefinedTermError`` on a relative IRI left in an expanded document (keys, types, ids)."""
    if isinstance(node, list):
        for position, item in enumerate(node):
            _check_expanded(item, f"{path}[{position}]")
        return
    if not isinstance(node, dict) or "@value" in node:
        return
    for key, value in node.items():
        if key == "@type":
            for kind in value if isinstance(value, list) else [value]:
                if not _absolute(kind):
                    raise UndefinedTermError(f"{path}: the type {kind!r} is not defined by the document's contexts")
        elif key == "@id":
            if isinstance(value, str) and value.startswith("_:"):
                raise UndefinedTermError(f"{path}: a blank node identifier ({value!r}) is not accepted")
            if not _absolute(value):
                raise UndefinedTermError(f"{path}: the identifier {value!r} is not an absolute IRI")
        elif key.startswith("@"):
            _check_expanded(value, path)
        elif not _absolute(key):
            raise UndefinedTermError(f"{path}: the term {key!r} is not defined by the document's contexts")
        else:
            _check_expanded(value, f"{path}/{key}")


def expand(document: Any, *, extra_contexts: Mapping[str, Any] | None = None) -> list[Any]:
    """Return the JSON-LD expansion of ``document`` with the offline contexts; refuse a term that is not defined.

    Raises ``UndefinedTermError`` for a property, type or identifier that does not become an absolute IRI (pyld
    would drop it without a word), ``ContextNotAvailableError`` for a context that is not kept here, and
    ``ValueError`` for a document that is not JSON-LD.
    """
    dropped: list[str | None] = []
    try:
        expanded: list[Any] = jsonld.expand(document, _options(extra_contexts), on_property_dropped=dropped.append)
    except jsonld.JsonLdError as error:
        if "not available offline" in str(_root_cause(error)):
            raise ContextNotAvailableError(str(_root_cause(error))) from error
        raise ValueError(f"not a JSON-LD document: {_root_cause(error)}") from error
    if dropped:
        raise UndefinedTermError(f"terms not defined by the document's contexts: {sorted(map(str, dropped))}")
    _check_expanded(expanded, "")
    return expanded


def _root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def canonical_nquads(document: Any, *, extra_contexts: Mapping[str, Any] | None = None) -> str:
    """Return the RDF dataset of ``document`` canonicalised with RDFC-1.0 (URDNA2015), as N-Quads.

    The document is first expanded with ``expand``, so a term no context defines raises rather than being left
    out of what is signed.
    """
    expanded = expand(document, extra_contexts=extra_contexts)
    options = {**_options(extra_contexts), "algorithm": "URDNA2015", "format": "application/n-quads"}
    try:
        nquads: str = jsonld.normalize(expanded, options)
    except jsonld.JsonLdError as error:
        raise ValueError(f"cannot canonicalise the document: {_root_cause(error)}") from error
    return nquads

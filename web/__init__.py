"""The web layer: one package per audience over the domain apps (docs/architecture.md).

``candidate`` (/results/), ``centre`` (/centre/), ``verifier`` (/verify/), ``api`` (/api/v1/) and ``public``
(home, tools, statistics, health checks, did.json), with what two of them share in ``common``. The web layer
imports the domain apps; no domain app imports it.
"""

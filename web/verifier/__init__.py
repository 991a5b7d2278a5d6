"""The verifier area: everything under /verify/ (the verification form, share links, the QR target of printed
documents, the organisations' pages and bulk checks). One gate: ``access.organisation_required``."""

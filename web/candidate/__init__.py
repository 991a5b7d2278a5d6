"""The candidate area: everything under /results/ (Results Online). One gate: ``access.candidate_required``."""

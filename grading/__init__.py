"""Grading rules of the Results Portal as plain Python (no Django).

Modules:
- ``grading.scale``: Cambridge English Scale overall scores, result bands and extended certification.
- ``grading.aggregate``: raw-mark papers weighted to 40 and added into an aggregate.
- ``grading.standardised``: old-style standardised scores, paper profiles and the score converter.
- ``grading.legacy``: legacy formats (ICFE, ILEC, Delta Module One, First before 2015) graded from raw papers.
- ``grading.ums``: unitised qualifications on the uniform mark scale (UMS).
- ``grading.rounding``: the one rounding rule every module uses.

The rules and their public sources are in docs/domain.md §5 to §8 and docs/decisions/0002-grading-rules.md.
"""

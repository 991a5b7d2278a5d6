"""Verification of results by universities and employers: form, bulk CSV, API, share links, audit."""

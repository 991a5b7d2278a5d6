"""The centre area's views: ``area`` (login, entries, imports, results), ``unitised`` (unitised qualifications)
and ``certificates`` (the certificate desk)."""

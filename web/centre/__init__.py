"""The centre area: everything under /centre/, including the unitised pages and the certificate desk. One gate:
``access.centre_staff_required``."""

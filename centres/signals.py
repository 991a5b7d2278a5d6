"""What the centres app announces to the apps after it (docs/architecture.md): they listen, it never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that makes a certification entry ('cash-in'), with ``entry``, ``actor``, ``now`` and
# ``reason``: results work the qualification result out (``results.receivers``) in the same transaction.
certification_entry_made = Signal()

"""What the centres app announces to the apps after it (docs/architecture.md): they listen, it never imports them."""

from django.dispatch import Signal

# Sent inside the transaction that makes a certification entry ('cash-in'), with ``entry``, ``actor``, ``now`` and
# ``reason``: results work the qualification result out (``results.receivers``) in the same transaction.
certification_entry_made = Signal()

# Sent inside the transaction that reissues an entry's secret number, with ``entry``, ``actor``, ``reason`` and
# ``detach`` (the centre also asked to take the entry out of the Results Online account it is linked to):
# ``candidates.receivers`` does that, in the same transaction.
entry_reissued = Signal()

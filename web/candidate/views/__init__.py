"""The candidate area's views: ``account`` (register, log in, dashboard, link an entry, email), ``statement``
(the Statement of Results page), ``documents`` (its PDF), ``share`` (share links and the credential) and
``security`` (two-step verification)."""

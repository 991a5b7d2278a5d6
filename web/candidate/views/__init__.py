"""The candidate area's views: ``account`` (register, log in, dashboard, link an entry, email), ``statement``
(the Statement of Results page), ``documents`` (its PDF) and ``share`` (share links and the credential)."""

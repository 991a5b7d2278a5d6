"""SMTP command pipelining (RFC 2920) for the outbox's send loop: MAIL, RCPT and DATA in one write.

smtplib sends each command of a message and waits for its reply: four round trips per email (MAIL FROM, RCPT TO,
DATA, the message), each a write and a read for us and a read and a write for the server. When the server
advertises PIPELINING (Postfix, Exim and Mailpit do), the envelope and DATA go together and their three replies
are read afterwards: two round trips. The message itself is still sent only after the server has answered DATA
with 354, and the next message only after the server has answered this one, so the send loop writes down each
accepted email before the next is sent, as before (docs/decisions/0005-results-email-outbox.md).

Every reply is checked, as RFC 2920 asks, and the errors raised are smtplib's for the same replies, so the
caller cannot tell the two apart: a refused sender ``SMTPSenderRefused``, a refused recipient
``SMTPRecipientsRefused`` (the connection reset with RSET and usable for the next email), a refused DATA or
message ``SMTPDataError``, a 421 or a closed connection ``SMTPServerDisconnected`` or the refusal with the
connection closed.
"""

import smtplib
from functools import cache

# The replies smtplib takes for an accepted recipient.
_RECIPIENT_ACCEPTED = (250, 251)


def pipelining_offered(smtp: smtplib.SMTP) -> bool:
    """Greet the server if that was not done yet; return whether it advertised PIPELINING in its EHLO reply."""
    smtp.ehlo_or_helo_if_needed()
    return bool(smtp.does_esmtp and smtp.has_extn("pipelining"))


def sendmail_pipelined(smtp: smtplib.SMTP, *, sender: str, recipient: str, data: bytes, size: int) -> None:
    """Send one message to one recipient with MAIL, RCPT and DATA in one write; return once the server accepted it.

    ``sender`` is what ``smtp.sendmail`` would be given; ``recipient`` a plain address (``a@b``: no name, no
    brackets, nothing to quote), which smtplib would write as ``<a@b>``; ``data`` is the message
    with its leading periods already doubled and its terminating ``CRLF.CRLF``; ``size`` is the message's length
    before that, which smtplib gives in ``SIZE=`` when the server advertised SIZE. Raise what ``smtp.sendmail``
    raises for the same replies. Only to be called once ``pipelining_offered(smtp)`` said so.
    """
    size_option = f" size={size}" if smtp.has_extn("size") else ""
    commands = f"mail FROM:{_quoted(sender)}{size_option}\r\nrcpt TO:<{recipient}>\r\ndata\r\n"
    smtp.send(commands.encode("ascii"))
    mail_code, mail_reply = smtp.getreply()
    if mail_code == 421:
        smtp.close()
        raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
    rcpt_code, rcpt_reply = smtp.getreply()
    if rcpt_code == 421:
        smtp.close()
        raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
    data_code, data_reply = smtp.getreply()
    if data_code == 421:
        smtp.close()
        raise smtplib.SMTPDataError(data_code, data_reply)
    if mail_code != 250 or rcpt_code not in _RECIPIENT_ACCEPTED or data_code != 354:
        if data_code == 354:
            # The server took DATA although the envelope failed (RFC 2920, 3.1). With no recipient accepted, a lone
            # "." ends the message and nothing can be delivered; otherwise only closing the connection is sure to.
            if rcpt_code in _RECIPIENT_ACCEPTED:
                smtp.close()
                raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
            smtp.send(b".\r\n")
            smtp.getreply()
        _reset(smtp)
        if mail_code != 250:
            raise smtplib.SMTPSenderRefused(mail_code, mail_reply, sender)
        if rcpt_code not in _RECIPIENT_ACCEPTED:
            raise smtplib.SMTPRecipientsRefused({recipient: (rcpt_code, rcpt_reply)})
        raise smtplib.SMTPDataError(data_code, data_reply)
    smtp.send(data)
    code, reply = smtp.getreply()
    if code != 250:
        if code == 421:
            smtp.close()
        else:
            _reset(smtp)
        raise smtplib.SMTPDataError(code, reply)


@cache
def _quoted(address: str) -> str:
    return smtplib.quoteaddr(address)


def _reset(smtp: smtplib.SMTP) -> None:
    """RSET, ignoring a connection the server closed, as smtplib's ``sendmail`` does after a refusal."""
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass

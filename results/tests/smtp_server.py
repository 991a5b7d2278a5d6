"""A small real SMTP server on 127.0.0.1 for the send loop's tests: it may advertise PIPELINING, and can refuse.

It speaks enough of RFC 5321 for smtplib and ``results.smtp_pipelining`` over a real TCP connection, in a
thread of its own, and records each read it made from the client (``reads``: the commands that arrived
together) and each message it accepted. Like Postfix it answers the commands of one read in one write, in
order; with ``pipelining=False`` it does not advertise PIPELINING, and a client that honours that sends one
command per read.
"""

import socket
import threading
from dataclasses import dataclass, field


@dataclass
class Accepted:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class _Session:
    mail_from: str | None = None
    rcpt_tos: list[str] = field(default_factory=list)


def _address(argument: bytes) -> str:
    start, end = argument.find(b"<"), argument.find(b">")
    return argument[start + 1 : end].decode()


class SMTPTestServer:
    """Listen on 127.0.0.1 (a free port); one thread per connection. ``stop`` closes everything."""

    def __init__(self, *, pipelining: bool) -> None:
        self.pipelining = pipelining
        self.reads: list[bytes] = []
        self.accepted: list[Accepted] = []
        self.connections = 0
        # address → reply to RCPT TO (e.g. b"550 5.1.1 no such user"); b"421 …" also closes the connection.
        self.refuse_recipient: dict[str, bytes] = {}
        # reply to MAIL FROM instead of 250, once
        self.refuse_sender: bytes | None = None
        # reply to the end of the message instead of 250 (the message is then not accepted), once
        self.refuse_message: bytes | None = None
        # answer DATA with 354 even when no recipient was accepted (a server RFC 2920 warns about)
        self.data_without_recipients = False
        # messages ended with a lone "." after a 354 for a transaction without recipients
        self.empty_messages = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._stopped = False
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            client.settimeout(10)
            client.sendall(b"220 test.local ESMTP\r\n")
            session, buffer, in_data = _Session(), b"", False
            while True:
                try:
                    chunk = client.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                with self._lock:
                    self.reads.append(chunk)
                buffer += chunk
                replies: list[bytes] = []
                while True:
                    if in_data:
                        end = (b"\r\n" + buffer).find(b"\r\n.\r\n")
                        if end < 0:
                            break
                        content, buffer = (b"\r\n" + buffer)[2:end] if end >= 2 else b"", buffer[end + 3 :]
                        in_data = False
                        replies.append(self._message(session, content))
                        session = _Session()
                        continue
                    newline = buffer.find(b"\r\n")
                    if newline < 0:
                        break
                    line, buffer = buffer[:newline], buffer[newline + 2 :]
                    reply, in_data = self._command(session, line)
                    replies.append(reply)
                    if reply.startswith((b"221", b"421")):
                        client.sendall(b"".join(replies))
                        return
                if replies:
                    client.sendall(b"".join(replies))

    def _command(self, session: _Session, line: bytes) -> tuple[bytes, bool]:
        verb = line[:4].upper()
        if verb == b"EHLO":
            extensions = [b"250-test.local", b"250-SIZE 10485760"] + ([b"250-PIPELINING"] if self.pipelining else [])
            return b"\r\n".join([*extensions, b"250 8BITMIME"]) + b"\r\n", False
        if verb == b"HELO":
            return b"250 test.local\r\n", False
        if verb == b"MAIL":
            if session.mail_from is not None:
                return b"503 5.5.1 nested MAIL command\r\n", False
            with self._lock:
                refused, self.refuse_sender = self.refuse_sender, None
            if refused is not None:
                return refused + b"\r\n", False
            session.mail_from = _address(line[4:])
            return b"250 2.1.0 Ok\r\n", False
        if verb == b"RCPT":
            if session.mail_from is None:
                return b"503 5.5.1 need MAIL command\r\n", False
            address = _address(line[4:])
            refused = self.refuse_recipient.get(address)
            if refused is not None:
                return refused + b"\r\n", False
            session.rcpt_tos.append(address)
            return b"250 2.1.5 Ok\r\n", False
        if verb == b"DATA":
            if not session.rcpt_tos and not self.data_without_recipients:
                return b"554 5.5.1 no valid recipients\r\n", False
            return b"354 End data with <CR><LF>.<CR><LF>\r\n", True
        if verb == b"RSET":
            session.mail_from, session.rcpt_tos = None, []
            return b"250 2.0.0 Ok\r\n", False
        if verb == b"NOOP":
            return b"250 2.0.0 Ok\r\n", False
        if verb == b"QUIT":
            return b"221 2.0.0 Bye\r\n", False
        return b"502 5.5.2 command not recognized\r\n", False

    def _message(self, session: _Session, content: bytes) -> bytes:
        if not session.rcpt_tos:
            with self._lock:
                self.empty_messages += 1
            return b"554 5.5.1 no valid recipients\r\n"
        with self._lock:
            refused, self.refuse_message = self.refuse_message, None
            if refused is not None:
                return refused + b"\r\n"
            data = content.replace(b"\r\n..", b"\r\n.")
            self.accepted.append(Accepted(str(session.mail_from), list(session.rcpt_tos), data))
        return b"250 2.0.0 Ok: queued\r\n"

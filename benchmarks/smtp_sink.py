"""Local SMTP sinks for the benchmarks and fault tests: accept every message, write one line per recipient.

``python -m benchmarks.smtp_sink --port 2525 --log sink.log [--impl fast|aiosmtpd]`` listens on 127.0.0.1.
Each line of the log is ``<recipient>\\t<Message-ID>``, flushed at once, so a benchmark counts delivered
emails by counting lines and a fault test finds duplicates (a recipient twice) and whether they share a
Message-ID.

Two implementations speak the same SMTP to the client:

- ``aiosmtpd``: the reference server. It spends about 2 ms of CPU per message on this machine (address
  parsing, per-command coroutines), so it caps at 250–400 messages/s and would be the bottleneck of both our
  figure and its floor: 100 000 messages would take 5–7 minutes each.
- ``fast`` (the default for throughput figures): a minimal asyncio protocol that answers EHLO/HELO, MAIL,
  RCPT, DATA, RSET, NOOP and QUIT with the same replies and no parsing beyond the line, like a real MTA's
  front end (Postfix accepts thousands of messages per second). It is what lets the benchmark measure our
  code and not the sink. Like Postfix it advertises PIPELINING (RFC 2920; ``--no-pipelining`` leaves it out)
  and answers the commands of one read in one write: it always took the commands of one read in order, so
  a client that sends MAIL, RCPT and DATA together gets the same three replies as one that waits for each.
"""

import argparse
import asyncio
import logging
import re
import signal
from typing import Any, TextIO

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(.+?)\r?$", re.IGNORECASE | re.MULTILINE)
END_OF_DATA = b"\r\n.\r\n"


def message_id_of(content: bytes) -> str:
    """Return the Message-ID header of a raw message, or ``-``."""
    headers = content.split(b"\r\n\r\n", 1)[0]
    found = MESSAGE_ID.search(headers)
    return found.group(1).decode(errors="replace").strip() if found else "-"


def line_count(path: str) -> int:
    """Return how many messages (recipient lines) the sink has written to ``path`` so far."""
    try:
        with open(path, "rb") as log:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: log.read(1 << 20), b""))
    except FileNotFoundError:
        return 0


def _address(argument: bytes) -> str:
    """Return the address inside ``<…>`` of a MAIL FROM / RCPT TO argument."""
    start, end = argument.find(b"<"), argument.find(b">")
    value = argument[start + 1 : end] if 0 <= start < end else argument.split(b":", 1)[-1]
    return value.strip().decode(errors="replace")


class FastSMTP(asyncio.Protocol):
    """A minimal SMTP server: enough of RFC 5321 for smtplib and Django's SMTP backend, nothing checked."""

    def __init__(self, log: TextIO, *, pipelining: bool = True) -> None:
        self.log = log
        self.pipelining = pipelining
        self.replies: list[bytes] = []
        self.reading = False
        self.buffer = b""
        self.in_data = False
        self.recipients: list[str] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._reply(b"220 sink.local ESMTP ready")

    def _reply(self, line: bytes) -> None:
        self.replies.append(line + b"\r\n")
        if not self.reading:  # the banner
            self._flush()

    def _flush(self) -> None:
        """Send the replies to what was read so far in one write (Postfix flushes when its input is drained)."""
        if self.replies and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(self.replies))
        self.replies = []

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.reading = True
        try:
            self._handle()
        finally:
            self.reading = False
            self._flush()

    def _handle(self) -> None:
        while True:
            if self.in_data:
                # The terminating line may be the first line of the data (empty message).
                probe = b"\r\n" + self.buffer
                end = probe.find(END_OF_DATA)
                if end < 0:
                    return
                content = probe[2:end] if end >= 2 else b""
                self.buffer = probe[end + len(END_OF_DATA) :]
                self._message(content)
                continue
            newline = self.buffer.find(b"\r\n")
            if newline < 0:
                return
            line, self.buffer = self.buffer[:newline], self.buffer[newline + 2 :]
            self._command(line)

    def _message(self, content: bytes) -> None:
        message_id = message_id_of(content.replace(b"\r\n..", b"\r\n."))
        self.log.write("".join(f"{rcpt}\t{message_id}\n" for rcpt in self.recipients))
        self.log.flush()
        self.in_data = False
        self.recipients = []
        self._reply(b"250 2.0.0 Message accepted for delivery")

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            pipelining = b"250-PIPELINING\r\n" if self.pipelining else b""
            self._reply(b"250-sink.local\r\n" + pipelining + b"250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760")
        elif verb == b"HELO":
            self._reply(b"250 sink.local")
        elif verb == b"MAIL":
            self.recipients = []
            self._reply(b"250 2.1.0 OK")
        elif verb == b"RCPT":
            self.recipients.append(_address(line[4:]))
            self._reply(b"250 2.1.5 OK")
        elif verb == b"DATA":
            if not self.recipients:
                self._reply(b"503 5.5.1 RCPT first")
                return
            self.in_data = True
            self._reply(b"354 End data with <CR><LF>.<CR><LF>")
        elif verb == b"RSET":
            self.recipients = []
            self._reply(b"250 2.0.0 OK")
        elif verb == b"NOOP":
            self._reply(b"250 2.0.0 OK")
        elif verb == b"QUIT":
            self._reply(b"221 2.0.0 Bye")
            self._flush()
            if self.transport is not None:
                self.transport.close()
        else:
            self._reply(b"502 5.5.2 Command not implemented")


class AiosmtpdHandler:
    """aiosmtpd handler: write ``recipient<TAB>Message-ID`` per recipient of every message, answer 250."""

    def __init__(self, log: TextIO) -> None:
        self.log = log

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message_id = message_id_of(content)
        self.log.write("".join(f"{rcpt}\t{message_id}\n" for rcpt in envelope.rcpt_tos))
        self.log.flush()
        return "250 Message accepted for delivery"


async def serve(*, host: str, port: int, log_path: str, impl: str, pipelining: bool = True) -> None:
    with open(log_path, "a", encoding="utf-8") as log:
        loop = asyncio.get_running_loop()
        factory: Any
        if impl == "aiosmtpd":
            from aiosmtpd.smtp import SMTP

            logging.getLogger("mail.log").setLevel(logging.WARNING)
            handler = AiosmtpdHandler(log)

            def factory() -> Any:
                return SMTP(handler, hostname="sink.local", data_size_limit=10 * 1024 * 1024, enable_SMTPUTF8=True)

        else:

            def factory() -> Any:
                return FastSMTP(log, pipelining=pipelining)

        server = await loop.create_server(factory, host=host, port=port, backlog=512)
        stopped = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopped.set)
        print(f"smtp sink ({impl}) listening on {host}:{port}", flush=True)
        await stopped.wait()
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--impl", choices=("fast", "aiosmtpd"), default="fast")
    parser.add_argument("--no-pipelining", action="store_true", help="fast: do not advertise PIPELINING")
    args = parser.parse_args()
    asyncio.run(
        serve(host=args.host, port=args.port, log_path=args.log, impl=args.impl, pipelining=not args.no_pipelining)
    )


if __name__ == "__main__":
    main()

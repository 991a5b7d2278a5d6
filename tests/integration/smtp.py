"""A real SMTP server for the integration tests (aiosmtpd on 127.0.0.1) that records messages and can misbehave.

The worker's Django SMTP backend talks to it over TCP. A test tells it how to fail (``refuse``, ``drop``,
``answer_slowly``) and reads what it accepted (``received``); ``reset`` puts it back to accepting everything.
"""

import asyncio
import email
import email.policy
import logging
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    """A message the server accepted: the SMTP envelope and the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Failure:
    """How the next ``times`` messages (or recipients) fail: a reply to RCPT, a dropped DATA, a slow DATA."""

    kind: str
    times: int | None
    reply: str = ""
    seconds: float = 0.0


class RecordingHandler:
    """aiosmtpd handler: accept and record every message unless told to fail."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._refused: dict[str, _Failure] = {}
        self._data_failure: _Failure | None = None

    # --- what a test calls ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget what was received and every failure: accept everything again."""
        with self._lock:
            self._received.clear()
            self._refused.clear()
            self._data_failure = None

    def refuse(self, address: str, *, reply: str, times: int | None = None) -> None:
        """Answer RCPT TO ``address`` with ``reply`` (e.g. ``550 5.1.1 …``) the next ``times`` times (None: always)."""
        with self._lock:
            self._refused[address.lower()] = _Failure("refuse", times, reply=reply)

    def drop(self, *, times: int | None = None) -> None:
        """Close the connection after a message's data arrives, before answering it (not accepted)."""
        with self._lock:
            self._data_failure = _Failure("drop", times)

    def answer_slowly(self, *, seconds: float, times: int | None = None) -> None:
        """Take a message (it is recorded: a real server has queued it) and answer 250 only after ``seconds``."""
        with self._lock:
            self._data_failure = _Failure("slow", times, seconds=seconds)

    def behave(self) -> None:
        """Stop failing (what was received is kept)."""
        with self._lock:
            self._refused.clear()
            self._data_failure = None

    def received(self, *, to: str | None = None) -> list[Received]:
        """Return the messages accepted so far, those with ``to`` among their recipients if given."""
        with self._lock:
            messages = list(self._received)
        return [m for m in messages if to is None or to.lower() in (r.lower() for r in m.rcpt_tos)]

    # --- aiosmtpd hooks ---------------------------------------------------------------------------------
    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self._lock:
            failure = self._refused.get(address.lower())
            if failure is not None and self._spend(failure):
                if failure.times is not None and failure.times <= 0:
                    del self._refused[address.lower()]
                return failure.reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        content = envelope.original_content or envelope.content
        received = Received(
            mail_from=str(envelope.mail_from),
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=email.message_from_bytes(content, policy=email.policy.default),  # type: ignore[arg-type]
        )
        with self._lock:
            failure = self._data_failure
            if failure is not None and not self._spend(failure):
                failure = None
            if failure is None or failure.kind == "slow":
                self._received.append(received)
        if failure is not None and failure.kind == "drop":
            server.transport.close()
            return "421 4.4.2 Connection dropped"  # never reaches the client: the connection is closed
        if failure is not None and failure.kind == "slow":
            await asyncio.sleep(failure.seconds)
        return "250 2.0.0 Message accepted for delivery"

    @staticmethod
    def _spend(failure: _Failure) -> bool:
        """Return whether ``failure`` applies to this message, counting it down (caller holds the lock)."""
        if failure.times is None:
            return True
        if failure.times <= 0:
            return False
        failure.times -= 1
        return True


class SMTPServer:
    """aiosmtpd on 127.0.0.1:``port`` with a ``RecordingHandler``, in a thread of its own."""

    def __init__(self, *, port: int) -> None:
        self.handler = RecordingHandler()
        self.port = port
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=port, ready_timeout=10)

    def start(self) -> None:
        # aiosmtpd logs every command at INFO: a failing test's output would be mostly that.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

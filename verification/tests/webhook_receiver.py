"""A real webhook receiver for the tests: an HTTP server on 127.0.0.1 in a thread that checks every signature
with the ``standardwebhooks`` library, as an organisation's server would, and keeps what it accepted."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Receiver:
    """What the server accepted (``received``: (webhook-id, body) in arrival order) and how it answers now."""

    url: str = ""
    secret: str = ""
    failing: bool = False
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # the Host header of each request accepted
    connections: set[int] = field(default_factory=set)  # the client port of each connection a POST came on
    refused: int = 0
    bad_signatures: int = 0
    hang: threading.Event | None = None
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def unique(self) -> list[dict[str, Any]]:
        """Return the bodies accepted, each webhook-id once (a receiver deduplicates on it), in arrival order."""
        seen: set[str] = set()
        bodies = []
        for message_id, body in self.received:
            if message_id not in seen:
                seen.add(message_id)
                bodies.append(body)
        return bodies

    def types(self) -> list[str]:
        return [body["type"] for body in self.unique()]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as most servers answer

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.connections.add(self.client_address[1])
            receiver.arrived.set()
            if receiver.hang is not None:
                receiver.hang.wait(30)
            if receiver.failing:
                with receiver.lock:
                    receiver.refused += 1
                self._answer(503)
                return
            try:
                payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
            except WebhookVerificationError:
                with receiver.lock:
                    receiver.bad_signatures += 1
                self._answer(400)
                return
            with receiver.lock:
                receiver.received.append((self.headers["webhook-id"], payload))
                receiver.hosts.append(self.headers["Host"])
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    """Run a receiver on a free port of 127.0.0.1 for the block; its ``secret`` is set by the test."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hang is not None:
            receiver.hang.set()
        server.shutdown()
        server.server_close()
        thread.join(5)

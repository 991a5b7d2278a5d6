"""A minimal asyncio HTTP/1.1 client for the load scenarios: one connection per request, timed on this clock.

The client and the server run on the same machine, so the client's ``time.time()`` and the server's clock are
the same clock: a response received before an instant was produced before it.
"""

import asyncio
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """One request: when it was sent and answered (epoch seconds, this machine's clock), status, headers, body."""

    sent: float
    received: float
    status: int
    headers: dict[str, list[str]]
    body: str
    error: str = ""

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower(), [])
        return values[0] if values else ""


async def request(
    port: int, method: str, path: str, *, headers: dict[str, str] | None = None, body: str = "", timeout: float = 30
) -> Answer:
    """Send one request to 127.0.0.1:``port`` and read the whole answer (``Connection: close``)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    payload = body.encode()
    if payload:
        lines.append(f"Content-Length: {len(payload)}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    sent = time.time()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
    except (OSError, TimeoutError) as error:
        return Answer(sent, time.time(), 0, {}, "", f"{type(error).__name__}: {error}")
    received = time.time()
    head, _, content = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(head_lines[0].split()[1])
    except (IndexError, ValueError):
        return Answer(sent, received, 0, {}, "", f"malformed answer: {head_lines[:1]}")
    parsed: dict[str, list[str]] = {}
    for line in head_lines[1:]:
        name, _, value = line.partition(":")
        parsed.setdefault(name.strip().lower(), []).append(value.strip())
    return Answer(sent, received, status, parsed, content.decode(errors="replace"))

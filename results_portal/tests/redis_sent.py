"""What this process sends to Redis, for tests that count round trips."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from redis.connection import AbstractConnection


@contextmanager
def redis_round_trips() -> Iterator[list[bytes]]:
    """Record what this process sends to Redis while inside: one packed message per round trip (a command, or a
    pipeline's commands together)."""
    sent: list[bytes] = []
    send = AbstractConnection.send_packed_command

    def recorded(connection: Any, command: Any, check_health: bool = True) -> None:
        sent.append(b"".join(command) if isinstance(command, list) else command)
        send(connection, command, check_health)

    with mock.patch.object(AbstractConnection, "send_packed_command", recorded):
        yield sent


def commands(message: bytes) -> list[list[bytes]]:
    """Return the commands (each its words) of one packed message: ``*<count>``, then ``$<length>`` and each word."""
    lines = message.split(b"\r\n")
    found: list[list[bytes]] = []
    index = 0
    while index < len(lines) and lines[index].startswith(b"*"):
        count = int(lines[index][1:])
        found.append([lines[index + 2 + 2 * n] for n in range(count)])
        index += 1 + 2 * count
    return found

"""``make run``: the address it prints follows HOST and PORT, and the scheduled jobs start with the server."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def _recipe(*args: str) -> list[str]:
    command = ["make", "-n", "run", *args]  # noqa: S607
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return [line for line in out.splitlines() if "manage.py" in line]


@pytest.mark.parametrize(
    ("args", "site_url", "address"),
    [
        ((), "http://127.0.0.1:8000", "127.0.0.1:8000"),
        (("PORT=8100",), "http://127.0.0.1:8100", "127.0.0.1:8100"),
        (("HOST=localhost", "PORT=9000"), "http://localhost:9000", "localhost:9000"),
        (("PORT=8100", "SITE_URL=https://results.example.org"), "https://results.example.org", "127.0.0.1:8100"),
    ],
)
def test_make_run_prints_the_address_it_serves(args: tuple[str, ...], site_url: str, address: str) -> None:
    lines = "\n".join(_recipe(*args))

    assert f"SITE_URL={site_url} .venv/bin/python manage.py load_demo" in lines
    assert f"SITE_URL={site_url} .venv/bin/python manage.py run_schedule &" in lines
    assert f"SITE_URL={site_url} .venv/bin/python manage.py runserver {address}" in lines

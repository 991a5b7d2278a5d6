"""QR codes on pages are scanned as a person would: the element as the browser shows it, read by zbarimg."""

import base64
import shutil
import subprocess
import tempfile
from pathlib import Path

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Locator, Page, expect

from centres.services import staff_setup_path
from centres.tests.factories import StaffMemberFactory

from .helpers import BROWSER_DB, Journey

pytestmark = [BROWSER_DB]


def scanned(element: Locator) -> str:
    """Return what a QR scanner (zbarimg) reads from a screenshot of ``element`` at the size the page shows it."""
    assert shutil.which("zbarimg"), "zbarimg is missing: `make system-deps` installs it (Debian package zbar-tools)"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "qr.png"
        element.screenshot(path=str(path))
        result = subprocess.run(  # noqa: S603
            ["zbarimg", "--raw", "-q", str(path)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.returncode == 0, f"zbarimg read no QR code from the element (status {result.returncode})"
    return result.stdout.strip()


def test_the_centre_set_up_qr_code_is_whole_and_scans_to_the_authenticator_url(page: Page, journey: Journey) -> None:
    member = StaffMemberFactory(user__email="officer@school.example")

    page.goto(staff_setup_path(user=member.user))
    qr = page.locator(".qr svg")
    expect(qr).to_be_visible()
    journey.step(page, "set-up page with its QR code")

    device = TOTPDevice.objects.get(user=member.user, confirmed=False)
    box = qr.bounding_box()
    assert box is not None and box["width"] == box["height"] == 200
    # The whole code is drawn inside its box: the SVG scales to it (viewBox), nothing is cut off.
    assert qr.evaluate("(svg) => svg.getAttribute('viewBox')") is not None
    url = scanned(qr)
    assert url.startswith("otpauth://totp/")
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert f"secret={secret}&" in url
    assert "officer%40school.example" in url

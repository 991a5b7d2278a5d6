"""QR codes shown on web pages: an authenticator's set-up code, a share link.

Drawn as SVG with a ``viewBox`` and no fixed size, so the stylesheet decides how large it shows and the whole code
scales into that box (an SVG with only ``width``/``height`` is clipped by a smaller box, and a clipped code cannot
be scanned). The printed documents draw theirs as a PNG (``certificates.pdf``).
"""

import segno


def qr_svg(*, url: str, title: str) -> str:
    """Return the QR code of ``url`` as inline SVG that scales to its box, named ``title`` for screen readers.

    Error correction M, with the standard quiet zone of four light modules (a white background on any page).
    """
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(
        scale=1, border=4, omitsize=True, title=title, svgclass="qr-code", lineclass=None, light="#fff"
    )
    return str(svg).replace("<svg ", '<svg role="img" preserveAspectRatio="xMidYMid meet" ', 1)

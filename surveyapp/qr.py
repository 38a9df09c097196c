"""QR codes of survey links: PNG and SVG bytes, and data: URIs for printable pages.

No Flask and no database: a URL goes in, bytes come out. Error correction level M (15 %)
survives a scuffed or partly covered poster; the 4-module quiet zone is what scanners need.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage

#: error correction M: ~15 % of the code may be damaged and it still reads
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4  #: modules of blank margin required around the code (ISO/IEC 18004)


def _code(url: str) -> qrcode.QRCode:
    if not url:
        raise ValueError("a QR code needs a non-empty URL")
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, border=QUIET_ZONE, box_size=10)
    code.add_data(url)
    code.make(fit=True)
    return code


def png_bytes(url: str, box_size: int = 10) -> bytes:
    """Render the URL as a black-on-white PNG, box_size pixels per module."""
    code = _code(url)
    code.box_size = max(1, int(box_size))
    image = code.make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def svg_bytes(url: str) -> bytes:
    """Render the URL as a scalable SVG (one path; prints sharp at any size)."""
    code = _code(url)
    image = code.make_image(image_factory=SvgPathImage)
    buf = io.BytesIO()
    image.save(buf)
    return buf.getvalue()


def data_uri(url: str, kind: str = "svg") -> str:
    """A data: URI of the code (svg or png), to embed in a page under a CSP allowing data: images."""
    if kind == "svg":
        return "data:image/svg+xml;base64," + base64.b64encode(svg_bytes(url)).decode("ascii")
    if kind == "png":
        return "data:image/png;base64," + base64.b64encode(png_bytes(url, 6)).decode("ascii")
    raise ValueError(f"unknown QR image kind {kind!r}: use svg or png")


def min_print_size_mm(distance_mm: float) -> float:
    """Smallest printed side of a code readable from a distance: the usual 10:1 rule of thumb."""
    return distance_mm / 10

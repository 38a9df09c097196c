"""QR codes of survey links: PNG and SVG bytes, and data: URIs for printable pages.

No Flask and no database: a URL goes in, bytes come out. Error correction level M (15 %)
survives a scuffed or partly covered poster; the 4-module quiet zone is what scanners need.
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.constants
from PIL import Image

#: error correction M: ~15 % of the code may be damaged and it still reads
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M
QUIET_ZONE = 4  #: modules of blank margin required around the code (ISO/IEC 18004)
#: Every mask pattern gives a valid, decodable code; the library's default tries all eight and
#: keeps the lowest-penalty one, which is ~80 % of the cost of a code. A fixed mask makes a
#: 1,000-code sheet ~6× faster (tests/unit/test_qr.py decodes the result).
MASK_PATTERN = 0


def _matrix(url: str) -> list[list[bool]]:
    """The code's modules, quiet zone included: True = dark."""
    if not url:
        raise ValueError("a QR code needs a non-empty URL")
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECTION, border=QUIET_ZONE, mask_pattern=MASK_PATTERN
    )
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def png_bytes(url: str, box_size: int = 10) -> bytes:
    """Render the URL as a black-on-white PNG, box_size pixels per module."""
    matrix = _matrix(url)
    size = len(matrix)
    box = max(1, int(box_size))
    # one byte per module (0 = black, 255 = white), then scaled up without smoothing
    raw = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), raw).convert("1")
    if box > 1:
        image = image.resize((size * box, size * box), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def svg_path(matrix: list[list[bool]]) -> str:
    """SVG path data of the dark modules: one rectangle per horizontal run of dark modules."""
    parts: list[str] = []
    for y, row in enumerate(matrix):
        x, n = 0, len(row)
        while x < n:
            if row[x]:
                start = x
                while x < n and row[x]:
                    x += 1
                parts.append(f"M{start},{y}h{x - start}v1h{start - x}z")
            else:
                x += 1
    return "".join(parts)


def svg_bytes(url: str) -> bytes:
    """Render the URL as a scalable SVG (one path; prints sharp at any size)."""
    matrix = _matrix(url)
    size = len(matrix)
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<svg width="{size}mm" height="{size}mm" version="1.1" viewBox="0 0 {size} {size}"'
        ' xmlns="http://www.w3.org/2000/svg">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{svg_path(matrix)}" fill="#000"/></svg>'
    ).encode("ascii")


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

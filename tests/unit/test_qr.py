"""QR codes: the PNG decodes back to the URL; SVG and data: URIs are well formed."""

import base64
import io
import re
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from PIL import Image

from surveyapp import qr

URL = "https://survey.example.cn/s/" + "Ab3_-" * 8 + "xyz"


def decode(png: bytes) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_png_decodes_back_to_the_url():
    png = qr.png_bytes(URL)
    assert png.startswith(b"\x89PNG")
    assert decode(png) == [URL]


def test_small_modules_still_decode():
    assert decode(qr.png_bytes(URL, box_size=3)) == [URL]


def test_svg_is_an_svg_document():
    svg = qr.svg_bytes(URL)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert b"<path" in svg


def test_data_uris():
    uri = qr.data_uri(URL, "svg")
    assert uri.startswith("data:image/svg+xml;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]).lstrip().startswith(
        b"<?xml"
    ) or b"<svg" in base64.b64decode(uri.split(",", 1)[1])
    png = base64.b64decode(qr.data_uri(URL, "png").split(",", 1)[1])
    assert decode(png) == [URL]
    with pytest.raises(ValueError):
        qr.data_uri(URL, "gif")


def test_empty_url_refused_and_print_size_rule():
    with pytest.raises(ValueError):
        qr.png_bytes("")
    assert qr.min_print_size_mm(1000) == 100  # a metre away: at least 10 cm


def _rasterize_svg(svg: bytes, scale: int = 6) -> bytes:
    """Paint the SVG's path (runs written as M x,y h w v1 h -w z) into a PNG, to decode it."""
    root = ET.fromstring(svg)
    size = int(root.get("viewBox").split()[2])
    image = Image.new("L", (size * scale, size * scale), 255)
    path = next(el for el in root.iter() if el.tag.endswith("path")).get("d")
    runs = re.findall(r"M(\d+),(\d+)h(\d+)v1h-(\d+)z", path)
    assert "".join(f"M{x},{y}h{w}v1h-{w2}z" for x, y, w, w2 in runs) == path  # nothing else in it
    for x, y, w, w2 in runs:
        assert w == w2
        x, y, w = int(x), int(y), int(w)
        image.paste(0, (x * scale, y * scale, (x + w) * scale, (y + 1) * scale))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("url", [URL, "https://s.example.cn/s/x", URL + "?q=" + "9" * 120])
def test_svg_path_decodes_back_to_the_url(url):
    assert decode(_rasterize_svg(qr.svg_bytes(url))) == [url]


def test_svg_and_png_draw_the_same_modules_with_a_quiet_zone():
    svg_png = Image.open(io.BytesIO(_rasterize_svg(qr.svg_bytes(URL), scale=1))).convert("1")
    png = Image.open(io.BytesIO(qr.png_bytes(URL, box_size=1))).convert("1")
    assert svg_png.size == png.size
    assert svg_png.tobytes() == png.tobytes()
    # the quiet zone (4 modules) is blank on every side
    side = png.size[0]
    for i in range(side):
        for j in range(qr.QUIET_ZONE):
            for x, y in ((i, j), (j, i), (i, side - 1 - j), (side - 1 - j, i)):
                assert png.getpixel((x, y)) == 255

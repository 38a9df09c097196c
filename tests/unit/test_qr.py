"""QR codes: the PNG decodes back to the URL; SVG and data: URIs are well formed."""

import base64
import io
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
    assert base64.b64decode(uri.split(",", 1)[1]).lstrip().startswith(b"<?xml") or b"<svg" in base64.b64decode(uri.split(",", 1)[1])
    png = base64.b64decode(qr.data_uri(URL, "png").split(",", 1)[1])
    assert decode(png) == [URL]
    with pytest.raises(ValueError):
        qr.data_uri(URL, "gif")


def test_empty_url_refused_and_print_size_rule():
    with pytest.raises(ValueError):
        qr.png_bytes("")
    assert qr.min_print_size_mm(1000) == 100  # a metre away: at least 10 cm

"""Chinese first, English complete: every message in the code has an English translation."""

from pathlib import Path

from babel.messages.pofile import read_po

from surveyapp.i18n_catalogues import extract
from tests.helpers import CJK, catalogue_english

ROOT = Path(__file__).resolve().parents[2]


def extracted() -> dict[str, str]:
    return extract(ROOT)


def english() -> dict[str, str]:
    return catalogue_english()


def test_every_message_has_english():
    en = english()
    missing = {m: f for m, f in extracted().items() if m not in en}
    assert not missing, "no English for:\n" + "\n".join(
        f"{f}: {m}" for m, f in sorted(missing.items(), key=lambda x: x[1])
    )


def test_catalogues_agree():
    """Feature catalogues are merged, so one message must not get two translations."""
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for po in sorted((ROOT / "surveyapp" / "translations").glob("*/en/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            for m in read_po(f):
                mid = m.id if isinstance(m.id, str) else (m.id or ("",))[0]
                if not mid:
                    continue
                feature = po.parts[-4]
                if mid in seen and seen[mid][1] != m.string:
                    conflicts.append(f"{mid!r}: {seen[mid]} vs {(feature, m.string)}")
                seen.setdefault(mid, (feature, m.string))
    assert not conflicts, "\n".join(conflicts)


def test_catalogues_compile():
    from surveyapp.i18n import compile_catalogues

    compile_catalogues()
    assert list((ROOT / "surveyapp" / "translations").glob("*/en/LC_MESSAGES/messages.mo"))


def test_every_scheme_title_is_a_message_with_english():
    """The scheme files stay Chinese only (finalized results name their sha256): each part,
    group and item title is extracted from them as a message and has English without Chinese."""
    from surveyapp.schemes import list_schemes

    code, en = extracted(), english()
    for scheme in list_schemes():
        for node in (*scheme.parts, *scheme.groups, *scheme.items):
            where = f"{scheme.id} {node.id} {node.title}"
            assert code.get(node.title, "").startswith("schemes/"), f"not extracted: {where}"
            assert en.get(node.title), f"no English for {where}"
            assert not CJK.search(en[node.title]), f"Chinese left in the English of {where}"
    # the clause titles auditors know, worded once for every scheme that uses them
    assert en["售后服务网点"] == "After-sales service outlets"
    assert en["配送服务"] == "Delivery service"
    assert en["技术支持"] == "Technical support"
    assert en["维修、保养"] == "Repair and maintenance"

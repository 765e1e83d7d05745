"""SMS length: GSM-7 septets vs UCS-2 units, segments at the boundaries, GSM look-alikes."""

from __future__ import annotations

import pytest

from voipdesk.core.segments import gsm_replacement, is_gsm, measure

CYR = "ж"  # forces UCS-2, one UTF-16 unit


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments", "per_segment", "remaining"),
    [
        ("", "GSM-7", 0, 0, 160, 160),
        ("a", "GSM-7", 1, 1, 160, 159),
        ("a" * 160, "GSM-7", 160, 1, 160, 0),
        ("a" * 161, "GSM-7", 161, 2, 153, 145),
        ("a" * 153 * 2, "GSM-7", 306, 2, 153, 0),
        ("a" * (153 * 2 + 1), "GSM-7", 307, 3, 153, 152),
        (CYR * 70, "UCS-2", 70, 1, 70, 0),
        (CYR * 71, "UCS-2", 71, 2, 67, 63),
        (CYR * 67 * 2, "UCS-2", 134, 2, 67, 0),
        (CYR * (67 * 2 + 1), "UCS-2", 135, 3, 67, 66),
    ],
)
def test_boundaries(text, encoding, units, segments, per_segment, remaining):
    m = measure(text)
    assert (m.encoding, m.units, m.segments, m.per_segment, m.remaining) == (
        encoding,
        units,
        segments,
        per_segment,
        remaining,
    )
    assert m.characters == len(text)


@pytest.mark.parametrize("ext", ["€", "[", "]", "{", "}", "~", "^", "\\", "|"])
def test_extension_characters_count_two_septets(ext):
    assert is_gsm(ext)
    m = measure(ext * 80)
    assert (m.encoding, m.characters, m.units, m.segments) == ("GSM-7", 80, 160, 1)
    m = measure(ext * 81)
    assert (m.encoding, m.characters, m.units, m.segments) == ("GSM-7", 81, 162, 2)


def test_basic_gsm_characters_beyond_ascii_are_one_septet():
    text = "£¥èéùìòÇØøÅåΔΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà@$"
    m = measure(text)
    assert (m.encoding, m.units) == ("GSM-7", len(text))


def test_emoji_is_two_utf16_units():
    m = measure("😀" * 35)
    assert (m.encoding, m.characters, m.units, m.segments, m.remaining) == ("UCS-2", 35, 70, 1, 0)
    m = measure("😀" * 36)
    assert (m.encoding, m.characters, m.units, m.segments) == ("UCS-2", 36, 72, 2)
    m = measure("a😀")
    assert (m.encoding, m.characters, m.units) == ("UCS-2", 2, 3)


def test_one_non_gsm_character_turns_the_whole_text_ucs2():
    m = measure("a" * 100 + "ł")
    assert (m.encoding, m.units, m.segments) == ("UCS-2", 101, 2)


def test_an_escape_pair_is_never_split_across_segments():
    # 152 septets fill segment 1 but for one septet; "€" needs two, so it opens segment 2,
    # which then overflows into a third.
    m = measure("a" * 152 + "€" + "a" * 152)
    assert (m.encoding, m.units, m.segments) == ("GSM-7", 306, 3)


def test_a_surrogate_pair_is_never_split_across_segments():
    m = measure(CYR * 66 + "😀" + CYR * 66)
    assert (m.encoding, m.units, m.segments) == ("UCS-2", 134, 3)


@pytest.mark.parametrize(
    ("text", "replaced"),
    [
        ("“Hi” — there", '"Hi" - there'),
        ("it’s ok", "it's ok"),
        ("a – b", "a - b"),
        ("naïve café", "naive café"),  # é is GSM, ï is not
        ("…", "..."),
    ],
)
def test_gsm_replacement(text, replaced):
    assert not is_gsm(text)
    out = gsm_replacement(text)
    assert out == replaced
    assert is_gsm(out)
    assert measure(out).encoding == "GSM-7"


@pytest.mark.parametrize("text", ["hello", "", "price €5"])
def test_gsm_replacement_is_none_when_nothing_to_replace(text):
    assert gsm_replacement(text) is None


@pytest.mark.parametrize("text", ["hi 😀", "привет", "你好", "Ωmega ω", "ok ✓"])
def test_gsm_replacement_is_none_without_a_gsm_look_alike(text):
    # Transliterating another script ("privet", "Ni Hao") changes the words, not their look.
    assert gsm_replacement(text) is None

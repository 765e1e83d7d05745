"""Phone numbers: what people type becomes E.164; E.164 is shown the way people read it."""

from __future__ import annotations

import pytest

from voipdesk.core.phone import InvalidNumber, display, normalize


@pytest.mark.parametrize(
    ("typed", "country", "e164"),
    [
        ("07700 900100", "GB", "+447700900100"),  # national GB mobile (the fictional range)
        ("07700900100", "gb", "+447700900100"),  # country code in lower case
        ("020 7946 0018", "GB", "+442079460018"),  # national GB landline
        ("+44 7700 900123", "GB", "+447700900123"),
        ("+44 (0)7700 900123", "GB", "+447700900123"),  # the (0) people write in the UK
        ("0044 7700 900123", "GB", "+447700900123"),  # 00 international prefix
        ("  +447700900123  ", "GB", "+447700900123"),
        ("(202) 555-0123", "US", "+12025550123"),  # national US with country US
        ("202.555.0123", "US", "+12025550123"),
        ("+1 202 555 0123", "GB", "+12025550123"),  # international ignores the default country
        ("001 202 555 0123", "GB", "+12025550123"),
    ],
)
def test_normalize_accepts_what_people_type(typed, country, e164):
    assert normalize(typed, country) == e164


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_empty_input_asks_for_a_number(typed):
    with pytest.raises(InvalidNumber) as err:
        normalize(typed)  # type: ignore[arg-type]
    assert str(err.value) == "Enter a phone number."


@pytest.mark.parametrize("typed", ["hello", "+44", "call me", "+"])
def test_garbage_is_not_a_phone_number(typed):
    with pytest.raises(InvalidNumber) as err:
        normalize(typed)
    text = str(err.value)
    assert f"“{typed.strip()}”" in text and text.endswith(".")


@pytest.mark.parametrize(("typed", "hint"), [("123", "GB"), ("0770", "GB"), ("+4412", "digits")])
def test_too_short_is_a_clear_sentence(typed, hint):
    with pytest.raises(InvalidNumber) as err:
        normalize(typed, "GB")
    text = str(err.value)
    assert typed in text and hint in text and text.endswith(".")
    assert "Traceback" not in text and "NumberParseException" not in text


def test_a_national_number_of_another_country_says_how_to_fix_it():
    with pytest.raises(InvalidNumber, match=r"start with \+ and its code"):
        normalize("555-0123", "US")


def test_invalid_number_is_a_value_error():
    assert issubclass(InvalidNumber, ValueError)


@pytest.mark.parametrize(
    ("e164", "country", "shown"),
    [
        ("+447700900123", "GB", "07700 900123"),  # home country: national format
        ("+442079460018", "GB", "020 7946 0018"),
        ("+12025550123", "GB", "+1 202-555-0123"),  # abroad: international format
        ("+12025550123", "US", "(202) 555-0123"),
        ("+447700900123", "US", "+44 7700 900123"),
        ("not a number", "GB", "not a number"),  # left alone rather than raising
        ("", "GB", ""),
    ],
)
def test_display(e164, country, shown):
    assert display(e164, country) == shown


def test_display_and_normalize_round_trip():
    for e164 in ("+447700900123", "+12025550123", "+33612345678"):
        assert normalize(display(e164, "GB"), "GB") == e164

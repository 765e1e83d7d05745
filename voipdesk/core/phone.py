"""Phone numbers: parse what people type into E.164, and show E.164 the way people read it."""

from __future__ import annotations

import functools

import phonenumbers


class InvalidNumber(ValueError):
    """Text that is not a usable phone number; the message says why in plain words."""


def normalize(text: str, default_country: str = "GB") -> str:
    """E.164 for a number typed in international or national format for default_country."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidNumber("Enter a phone number.")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, (default_country or "GB").upper())
    except phonenumbers.NumberParseException:
        raise InvalidNumber(
            f"“{text.strip()}” is not a phone number. Use a full number like +44 7700 900123."
        ) from None
    # Valid numbers pass; so do well-formed ones outside the metadata's ranges (e.g. the fictional
    # 07700 900xxx range the demo uses), which the provider itself will judge.
    plausible = phonenumbers.is_possible_number(parsed) and len(str(parsed.national_number)) >= 8
    if not (phonenumbers.is_valid_number(parsed) or plausible):
        raise InvalidNumber(
            f"“{text.strip()}” is not a valid phone number"
            + (
                f" in {default_country.upper()}. For another country, start with + and its code."
                if not raw.startswith("+")
                else ". Check the digits."
            )
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=8192)  # painted rows call it several times per row and frame
def display(e164: str, default_country: str = "GB") -> str:
    """A stored number formatted for people: national within default_country, else international."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.country_code_for_region((default_country or "").upper())
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)

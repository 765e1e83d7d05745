"""Phone numbers: parse what people type into E.164, and show E.164 the way people read it.

phonenumbers is imported when first needed: importing it (its metadata of some 250 regions)
takes 15-20 ms, as long as building the window. At start the window shows the numbers as
phonenumbers showed them in the last run (core/phone_memo.py), so a start whose numbers it
remembers paints without it."""

from __future__ import annotations

import functools

# As phonenumbers answered in the last run, when the same phonenumbers is installed
# (phone_memo.recall): (E.164, country) -> the number shown, and the regions it knows.
remembered: dict[tuple[str, str], str] = {}
remembered_regions: frozenset[str] = frozenset()
# What the window asked to show since the start (up to ASKED_LIMIT), for the next start.
asked: set[tuple[str, str]] = set()
ASKED_LIMIT = 400


class InvalidNumber(ValueError):
    """Text that is not a usable phone number; the message says why in plain words."""


def normalize(text: str, default_country: str = "GB") -> str:
    """E.164 for a number typed in international or national format for default_country."""
    import phonenumbers

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
    key = (e164, (default_country or "").upper())
    if len(asked) < ASKED_LIMIT:
        asked.add(key)
    shown = remembered.get(key)
    if shown is not None:
        return shown
    return formatted(*key)


def formatted(e164: str, country: str) -> str:
    """display() as phonenumbers answers it (country: upper case, or empty)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.country_code_for_region(country)
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def supported_region(code: str) -> bool:
    """Whether phonenumbers knows the region `code` (upper case), e.g. GB or US."""
    if remembered_regions:
        return code in remembered_regions
    import phonenumbers

    return code in phonenumbers.SUPPORTED_REGIONS

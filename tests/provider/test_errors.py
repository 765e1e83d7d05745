"""Every provider error code reaches the user as a sentence that says what to do."""

from __future__ import annotations

import pytest

from voipdesk.provider.errors import KNOWN_CODES, Category, ProviderError

DOCUMENTED = (
    "USER_ACCOUNT_MISSING",
    "API_TOKEN_MISSING",
    "USER_NOT_FOUND",
    "API_TOKEN_INVALID",
    "NUMBER_NOT_FOUND",
    "NUMBER_OWNERSHIP",
    "MESSAGE_INVALID",
)


def test_all_seven_documented_codes_are_known():
    assert set(KNOWN_CODES) == set(DOCUMENTED)


@pytest.mark.parametrize("code", DOCUMENTED)
def test_each_code_has_a_sentence(code):
    exc = ProviderError(code, "provider words", sender="+447700900001")
    assert exc.category is not Category.OTHER
    assert len(exc.sentence) > 40 and exc.sentence.endswith(".")
    assert "{" not in exc.sentence  # every template placeholder filled
    assert ("Settings" in exc.sentence) or ("Edit" in exc.sentence)


@pytest.mark.parametrize("code", ["NUMBER_NOT_FOUND", "NUMBER_OWNERSHIP"])
def test_sender_sentences_name_the_number(code):
    assert "+44 7700 900001" in ProviderError(code, "", sender="+447700900001").sentence
    assert "+1 202-555-0143" in ProviderError(code, "", sender="+12025550143").sentence
    assert "this number" in ProviderError(code, "").sentence


def test_categories():
    cats = {code: ProviderError(code, "").category for code in DOCUMENTED}
    assert cats == {
        "USER_ACCOUNT_MISSING": Category.CREDENTIALS,
        "API_TOKEN_MISSING": Category.CREDENTIALS,
        "USER_NOT_FOUND": Category.CREDENTIALS,
        "API_TOKEN_INVALID": Category.CREDENTIALS,
        "NUMBER_NOT_FOUND": Category.SENDER,
        "NUMBER_OWNERSHIP": Category.SENDER,
        "MESSAGE_INVALID": Category.MESSAGE,
    }


def test_an_unknown_code_keeps_the_providers_text():
    exc = ProviderError("SOMETHING_NEW", "Your balance is too low")
    assert exc.category is Category.OTHER
    assert (
        exc.sentence == "VoIP Number refused the message: Your balance is too low (SOMETHING_NEW)."
    )
    assert "no reason given" in ProviderError("SOMETHING_NEW", "").sentence

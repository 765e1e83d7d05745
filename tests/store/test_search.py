"""Search: every word as a prefix, newest first, and user input never becomes FTS5 syntax."""

from __future__ import annotations

import pytest

from voipdesk.store.search import fts_query

from .conftest import PEER, PEER2, inbound


@pytest.fixture
def filled(store):
    bodies = [
        "Hello, are we still meeting for lunch?",
        "Running late, train delayed",
        "hello again: the parcel arrived",
        "Café at noon? NEAR the station (the usual)",
        'She said "don\'t be late" -- twice*',
        "C++ and A-level results",
        "Ünïcödé façade",
    ]
    for i, body in enumerate(bodies):
        store.add_inbound(inbound(body, frm=PEER2 if i % 2 else PEER))
    return store


def bodies(found):
    return [m.body for m in found]


def test_words_match_as_prefixes_and_are_anded(filled):
    store = filled
    assert bodies(store.search("hel")) == [
        "hello again: the parcel arrived",
        "Hello, are we still meeting for lunch?",
    ]
    assert bodies(store.search("hello lun")) == ["Hello, are we still meeting for lunch?"]
    assert bodies(store.search("LATE")) == [
        'She said "don\'t be late" -- twice*',
        "Running late, train delayed",
    ]
    assert store.search("hello zebra") == []


def test_results_are_newest_first_and_page_by_id(filled):
    store = filled
    for i in range(5):
        store.add_inbound(inbound(f"hello number {i}"))
    found = store.search("hello", limit=3)
    assert bodies(found) == ["hello number 4", "hello number 3", "hello number 2"]
    rest = store.search("hello", limit=10, before_id=found[-1].id)
    assert bodies(rest) == [
        "hello number 1",
        "hello number 0",
        "hello again: the parcel arrived",
        "Hello, are we still meeting for lunch?",
    ]


def test_diacritics_and_case_are_ignored(filled):
    store = filled
    assert bodies(store.search("cafe")) == ["Café at noon? NEAR the station (the usual)"]
    assert bodies(store.search("unicode facade")) == ["Ünïcödé façade"]


def test_results_carry_their_conversation(filled):
    store = filled
    [msg] = store.search("parcel")
    assert (msg.own_number, msg.peer_number) == ("+447700900001", "+447700900100")


@pytest.mark.parametrize(
    "text",
    [
        '"',
        '"unbalanced',
        "*",
        "late*",
        "-late",
        "late -train",
        "NEAR",
        "NEAR(late train)",
        "NEAR(late train, 2)",
        "(",
        ")",
        "(late",
        "late OR train",
        "late AND NOT train",
        "NOT",
        "AND",
        "body:late",
        "^late",
        "{body}: late",
        "'",
        "\\",
        "C++",
        "a-level",
        "don't",
        '"" "" ""',
        "-- /* */ ;",
        "\x00",
        "late " * 40,
    ],
)
def test_fts_syntax_in_user_input_never_raises(filled, text):
    store = filled
    found = store.search(text)
    assert isinstance(found, list)
    for word in ("late", "train"):
        if text.strip().lower() in (word, f"{word}*", f"-{word}", f"^{word}"):
            assert found and all(word in m.body.lower() for m in found)


def test_operators_are_plain_words(filled):
    store = filled
    assert bodies(store.search("NEAR")) == ["Café at noon? NEAR the station (the usual)"]
    assert bodies(store.search("a-level")) == ["C++ and A-level results"]
    assert bodies(store.search("\"don't be")) == ['She said "don\'t be late" -- twice*']


@pytest.mark.parametrize("text", ["", "   ", "!!!", "*** --- ((("])
def test_no_words_no_results(filled, text):
    store = filled
    assert store.search(text) == []
    assert fts_query(text) == ""


def test_fts_query_quotes_every_word():
    assert fts_query('he said "NEAR(x)" -y*') == '"he"* "said"* "NEAR"* "x"* "y"*'


def test_search_words_is_the_one_token_rule():
    from voipdesk.store.search import search_words

    text = "it's café-time " + " ".join(f"w{i}" for i in range(20))
    words = search_words(text)
    assert words[:4] == ["it", "s", "café", "time"] and len(words) == 16
    assert fts_query(text) == " ".join(f'"{w}"*' for w in words)

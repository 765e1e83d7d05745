"""Opt-out keywords: a person who texts STOP (or UNSUBSCRIBE, CANCEL, END, QUIT) asks not to be
texted any more, until they text START (or UNSTOP). The whole message, trimmed, in any case."""

from __future__ import annotations

STOP_WORDS = frozenset({"STOP", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
START_WORDS = frozenset({"START", "UNSTOP"})


def opt_out_change(body: str) -> bool | None:
    """True: the message opts its sender out; False: back in; None: neither."""
    word = body.strip().upper()
    if word in STOP_WORDS:
        return True
    if word in START_WORDS:
        return False
    return None

"""The open conversation: links and status lines (text), the Qt-free paging window (window), the
model that maps it (model), text layout (layout), the bubble delegate (delegate), the list view
(listview) and the header and states around it (view)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voipdesk.ui.thread.model import MessageRole, RenderInfo, ThreadModel
    from voipdesk.ui.thread.text import find_links, meta_text, safe_url, status_text
    from voipdesk.ui.thread.view import LIVE_PAGES, ThreadView

# Imported when first asked for, so that voipdesk.ui.thread.window loads without Qt.
_HOMES = {
    "LIVE_PAGES": "view",
    "MessageRole": "model",
    "RenderInfo": "model",
    "ThreadModel": "model",
    "ThreadView": "view",
    "find_links": "text",
    "meta_text": "text",
    "safe_url": "text",
    "status_text": "text",
}

__all__ = [
    "LIVE_PAGES",
    "MessageRole",
    "RenderInfo",
    "ThreadModel",
    "ThreadView",
    "find_links",
    "meta_text",
    "safe_url",
    "status_text",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)

"""The open conversation: links and status lines (text), the paged model (model), the bubble
delegate (delegate), the list view (listview) and the header and states around it (view)."""

from voipdesk.ui.thread.model import MessageRole, RenderInfo, ThreadModel
from voipdesk.ui.thread.text import find_links, meta_text, safe_url, status_text
from voipdesk.ui.thread.view import LIVE_PAGES, ThreadView

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

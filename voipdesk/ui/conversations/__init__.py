"""The conversation list: the paged model (model), the row painter (delegate) and the left pane
around them with search and the empty state (view)."""

from voipdesk.ui.conversations.delegate import ConversationDelegate
from voipdesk.ui.conversations.model import ConversationListModel, ConversationRole, preview_text
from voipdesk.ui.conversations.view import ConversationList

__all__ = [
    "ConversationDelegate",
    "ConversationList",
    "ConversationListModel",
    "ConversationRole",
    "preview_text",
]

"""The window of a desk on the shared inbox (issue #11, item 5): what the shared inbox's events
(services/shared_inbox.py, through the bridge) change in it. Every read goes through the
window's reads worker, never the GUI thread.

- reload (changes were pruned while the desk was away): the conversation list and the open
  thread are read again;
- conversations changed on another desk (read marks, last message, flags): those rows are read
  again, and the open thread's header;
- the shared store cannot be reached: one line above the thread says so, and that voipdesk
  keeps trying; it goes when the store answers again."""

from __future__ import annotations

from typing import TYPE_CHECKING

from voipdesk.ui.banner import Banner

if TYPE_CHECKING:
    from voipdesk.ui.bridge import ServicesBridge
    from voipdesk.ui.main_window import MainWindow

KEEPS_TRYING = "voipdesk keeps trying; what you see here may be out of date until it is back."


def unreachable_line(sentence: str) -> str:
    return f"{sentence.rstrip()} {KEEPS_TRYING}"


class SharedDesk:
    """Connects the shared inbox's signals to the window (made by MainWindow.attach)."""

    def __init__(self, window: MainWindow, bridge: ServicesBridge) -> None:
        self.window = window
        self.line = Banner()  # the shared store cannot be reached
        self.line.setAccessibleName("Shared inbox unreachable")
        self.line.button.hide()
        window.banners.insertWidget(0, self.line)
        bridge.sharedReload.connect(self.reload)
        bridge.sharedConversationsChanged.connect(self.conversations_changed)
        bridge.sharedStateChanged.connect(self.state_changed)

    def reload(self) -> None:
        window = self.window
        window.conversation_model.refresh()
        if window.conversation_id is not None:
            window.thread.reload()

    def conversations_changed(self, conversation_ids: list[int]) -> None:
        window = self.window
        window.conversation_model.update_conversations(conversation_ids)
        if window.conversation_id in conversation_ids:
            window.thread.refresh_header()

    def state_changed(self, sentence: str | None) -> None:
        if sentence:
            self.line.apply_colors()
            self.line.label.setText(unreachable_line(sentence))
            self.line.show()
        else:
            self.line.hide()

"""What the running services tell the main window, and how it shows it: messages stored,
arrived or removed, a send that failed in another conversation, contacts renamed, sending
paused, and the app-level notices in the status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from voipdesk.core.phone import display
from voipdesk.ui.hidden_banners import built
from voipdesk.ui.notice_bar import ICON_SIZE

if TYPE_CHECKING:
    from voipdesk.core.models import Message
    from voipdesk.services import SendingState, Services
    from voipdesk.services.send_refused import SendRefused
    from voipdesk.ui.reading import Reader


class WindowEvents:
    """MainWindow's part that takes in the services' events (connected in attach())."""

    def _messages_changed(self, messages: list[Message]) -> None:
        self.conversation_model.apply(messages)
        self.thread.apply(messages)
        open_id = self.conversation_id
        if (
            open_id is not None
            and not self.thread.opening  # (the list shows the one on its way)
            and self.conversations.selected_conversation_id() != open_id
        ):
            # a conversation opened before its first message put it in the list (a new
            # conversation, or the same person from another own number): highlight it now
            self.conversations.select(open_id)
        settings = self.settings
        # (Not settings.configured: that reads the keyring, on the GUI thread, per message.)
        if self.showing_welcome() and settings.effective_account_id:
            self.show_welcome(False)

    def _messages_removed(self, messages: list[Message]) -> None:
        # The conversation's preview now comes from a message the list was not given: read it.
        self.conversation_model.update_conversations({m.conversation_id for m in messages})
        for message in messages:
            self.thread.remove_message(message.id)

    def _send_failed(self, message: Message) -> None:
        # The open thread already says it under the bubble; saying it twice only adds noise.
        if message.conversation_id == self.conversation_id:
            return
        reason = message.error_text or "The message was not sent."
        with_title(
            self.thread.reads,
            self.services,
            message,
            lambda who: self.show_notice("warning", f"Not sent to {who}: {reason}"),
        )

    def _send_refused(self, refused: SendRefused) -> None:
        """A message the store did not take (services/send_refused.py): said, and its text back
        in its conversation's box (before anything typed since), kept as its draft."""
        self.show_notice("warning", refused.sentence)
        model, open_one = self.conversation_model, self.thread.conversation
        rows = [open_one] + [model.conversation(r) for r in range(model.rowCount())]
        found = next(
            (
                c
                for c in rows
                if c is not None and (c.own_number, c.peer_number) == refused.peer_pair
            ),
            None,
        )
        if found is None:
            return
        typed = (
            self.compose.draft()
            if found.id == self.conversation_id
            else model.drafts.get(found.id, "")
        )
        kept = refused.body + (f"\n{typed}" if typed.strip() else "")
        if found.id == self.conversation_id:
            self.compose.set_draft(kept)
        self._save_draft(found.id, kept)

    def is_reading(self, conversation_id: int) -> bool:
        """The user has this thread in front of them right now."""
        return (
            self.conversation_id == conversation_id
            and self.isVisible()
            and self.isActiveWindow()
            and not self.isMinimized()
        )

    def _incoming(self, messages: list[Message]) -> None:
        self.read_marker.incoming(messages)

    def _contacts_changed(self) -> None:
        self.conversations.set_contacts_changed()
        self.thread.refresh_header()  # (one on its way brings its own header)

    def _sending_changed(self, state: SendingState) -> None:
        if state.paused:
            self.banner.show_text(f"Sending is paused. {state.paused_because}", "Open Settings")
        elif built(self, "banner"):  # (built when first shown: ui/hidden_banners.py)
            self.banner.hide()
        if state.waiting or built(self, "offline_banner"):
            self.offline_banner.set_state(state)  # messages waiting for VoIP Number

    def show_notice(self, level: str, text: str, timeout: int = 12000) -> None:
        """An app-level notice (the services' one channel): in the status bar, for a while, with
        its level's icon and colour, shortened with “…” to the room it has (the whole sentence
        in its tooltip) rather than cut off mid-word by the receiving status."""
        bar = self.statusBar()
        room = bar.width() - self.receiving_button.sizeHint().width() - 48 - 2 * ICON_SIZE
        shown = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 120))
        bar.show_notice(level, shown, timeout)
        bar.setToolTip(text if shown != text else "")


def with_title(reads: Reader, services: Services, message: Message, then) -> None:
    """then(the other person's name, else their number): the name is read on the reads worker
    (a notification or a notice comes a moment later, never holding up the window)."""
    store, number = services.store, message.peer_number
    shown = display(number, services.settings.effective_country)
    reads.request(
        lambda: store.contact_name(number),
        lambda name: then(name or shown),
        lambda _exc: then(shown),
    )

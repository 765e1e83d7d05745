"""Opening a conversation in the ThreadView, and moving to a message in it: what is shown is read
on a worker (ui/reading.py) in one go (the header, the newest page, the draft for the compose
box under it) and shown when it arrives; until then the conversation before stays shown."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel
from PySide6.QtWidgets import QAbstractItemView

from voipdesk.core.models import Conversation, Message
from voipdesk.store.store import Store
from voipdesk.ui.thread.model import ThreadModel


def read_opening(
    store: Store, conversation_id: int, page: int
) -> tuple[Conversation | None, list[Message], str]:
    """(the conversation, its newest `page` messages oldest first, its draft); (None, [], "")
    when there is no such conversation."""
    conversation = store.conversation(conversation_id)
    if conversation is None:
        return None, [], ""
    return conversation, store.messages(conversation_id, limit=page), store.draft(conversation_id)


class ThreadOpening:
    """ThreadView's opening of conversations and moving to messages (a mixin: it works on the
    view's own widgets and state)."""

    _opening_id: int | None = None  # the conversation last asked for
    _empty_words: str | None = None  # the empty page's words, while it is kept blank

    def say_nothing_yet(self) -> None:
        """Keep the empty page blank until a conversation is shown, or set_conversation(None)
        says there is none: a window whose first conversation is read over the network (a desk
        on the shared inbox) would say "Pick a conversation" for a moment before it opens."""
        if self._empty_words is None:
            self._empty_words = self.empty_label.text()
        self.empty_label.setText("")

    @property
    def opening(self) -> bool:
        """Whether a conversation asked for is on its way (what is shown is the one before)."""
        return self._opening.pending

    def set_conversation(self, conversation_id: int | None) -> None:
        """Open a conversation at its newest message (None shows the empty state). It is read
        (header, newest page, draft) and shown when it arrives, in one go, and `opened` says so;
        until then the conversation shown stays. Opening the one already open only refreshes
        the header (e.g. after a rename)."""
        if conversation_id is not None and conversation_id == self.conversation_id:
            self._opening.drop()  # back to the open one before another arrived: it stays
            self._show_when_open = None
            self.refresh_header()
            return
        self._heard, self._show_when_open = [], None
        if conversation_id is None:
            self._opening.drop()
            self._show(None, [])
            return
        store, page = self._store, self._page
        self._opening_id = conversation_id
        self._opening.ask(
            self.reads,
            lambda: read_opening(store, conversation_id, page),
            lambda opened: self._show(*opened),
        )

    def _show(self, conversation: Conversation | None, messages: list[Message], draft="") -> None:
        """Show the conversation as read (None: the empty state) and what was told meanwhile."""
        heard, self._heard = self._heard, []
        if self._empty_words is not None:  # (blank no longer)
            self.empty_label.setText(self._empty_words)
            self._empty_words = None
        old = self._model
        self._model = None
        if conversation is not None:
            self._model = ThreadModel(
                self._store,
                conversation.id,
                page=self._page,
                first=messages,
                reader=self.reads,
                parent=self,
            )
            self._model.pageArrived.connect(self._page_arrived)
        self.list_view.stick_to_bottom()
        self._proxy.setSourceModel(self._model)
        if old is not None:
            old.close()
            old.deleteLater()
        self.pages.setCurrentWidget(self._thread_page if self._model else self.empty_label)
        self._set_header(conversation)
        for kind, value in heard:
            self.apply(value) if kind == "apply" else self.remove_message(value)
        if self._model is not None and self.list_view.isVisible():
            # (Not yet shown, at start-up: the first paint lays it out once, at its real width.)
            self.list_view.doItemsLayout()
            self.load_older()
        if conversation is not None:
            self.opened.emit(conversation, draft)
        message_id, self._show_when_open = self._show_when_open, None
        if message_id is not None:
            self.show_message(message_id)

    def _page_arrived(self) -> None:
        if self.sender() is self._model:
            self.list_view.doItemsLayout()  # keeps the place (anchor) and loads on near an edge

    def reload(self) -> None:
        """Read the open conversation again (a desk on the shared inbox: it starts following
        the store's changes, or the ones it missed were pruned): its header and newest page,
        put in when they arrive. What is shown stays until then: the thread never goes blank,
        and nothing moves when nothing changed."""
        if self._opening.pending:  # the answer on its way may have been read before the change
            self.set_conversation(self._opening_id)  # asked again
        elif self._model is not None:
            self.refresh_header()
            self._model.window.read_newest_again()

    def refresh_header(self) -> None:
        """Read the open conversation again for the header (names, own numbers changed)."""
        conversation_id, store = self.conversation_id, self._store
        if conversation_id is None:
            return

        def arrived(conversation: Conversation | None) -> None:
            if conversation_id == self.conversation_id:
                self._set_header(conversation)

        self._header_read.ask(self.reads, lambda: store.conversation(conversation_id), arrived)

    def show_message(self, message_id: int) -> bool:
        """Scroll to a message (loading the pages it is in as needed) and highlight it briefly,
        once they have arrived. Returns whether it is shown already on return."""
        if self._opening.pending:
            self._show_when_open = message_id
            return False
        model = self._model
        if model is None:
            return False
        shown = False

        def loaded(found: bool) -> None:
            nonlocal shown
            if found and model is self._model:
                shown = True
                self._scroll_to(message_id)

        model.ensure_loaded(message_id, loaded)
        return shown

    def _scroll_to(self, message_id: int) -> None:
        view = self.list_view
        view.doItemsLayout()
        index = self._proxy.index(self._model.row_for(message_id), 0)
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        view.record_anchor()
        self.delegate.highlight_id = message_id
        view.viewport().update()
        self._highlight_timer.start()

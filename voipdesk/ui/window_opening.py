"""Which conversation the main window shows: opening one (by the person or at start, from a
search hit, on another of their numbers), waiting until it is shown, and the compose box that
follows it with its draft and sends to it (after asking when the person texted STOP)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from voipdesk.core.models import Conversation


class WindowOpening:
    """MainWindow's part that opens conversations and keeps the compose box on the open one."""

    _compose_for: int | None  # the conversation the compose box writes to
    _opened_by_person: bool  # how the conversation being opened was asked for
    _wanted: int | None  # the conversation asked for last
    _waiting: list[tuple[int, Any]]  # opened() waiting: (id, asyncio.Future)

    def open_newest(self, store: Any, waits: bool, current: Callable[[], bool]) -> None:
        """At start: open the newest conversation once the store says which it is (on the
        window's reads), unless this window is no longer `current` (the app switched to or
        from the demo) or one is open already. `waits`: the answer comes later, so the pane
        stays blank until then instead of saying "Pick a conversation"; with none to open,
        the empty page says so."""
        if waits:
            self.thread.say_nothing_yet()

        def newest(conversations: list) -> None:
            if not current() or self.conversation_id is not None:
                return
            if conversations:
                self.open_conversation(conversations[0].id, by_person=False)
            elif not self.thread.opening:
                self.thread.set_conversation(None)

        self.reads.request(lambda: store.conversations(limit=1), newest, lambda _e: newest([]))

    @property
    def conversation_id(self) -> int | None:
        """The open conversation (the thread's: it is the one owner)."""
        return self.thread.conversation_id

    @property
    def wanted_conversation_id(self) -> int | None:
        """The conversation on its way while one is being opened, else the open one (what a
        step to the next conversation starts from)."""
        return self._wanted if self.thread.opening else self.conversation_id

    def open_conversation(self, conversation_id: int, *, by_person: bool = True) -> None:
        """Open a conversation: the thread reads it and shows it when it arrives, and then
        (_conversation_opened) the compose box follows, with its draft. `by_person` False when
        the app opens it for them (at start): then it is not read until they act in the window."""
        again = conversation_id == self.conversation_id
        self._opened_by_person, self._wanted = by_person, conversation_id
        if not again:
            self.thread.delegate.match = (None, "")
        self.thread.set_conversation(conversation_id)
        if again and self.thread.conversation is not None:
            self._conversation_opened(self.thread.conversation, None)

    def _conversation_opened(self, conversation: Conversation, draft: str | None) -> None:
        """The thread shows `conversation`: the compose box is for it now (`draft` not None:
        a newly opened one, whose draft the list keeps; None keeps the text being written)."""
        conversation_id = conversation.id
        for wanted, shown in self._waiting:  # (start_conversation waits for it)
            if not shown.done():
                shown.set_result(conversation if wanted == conversation_id else None)
        previous, self._compose_for = self._compose_for, conversation_id
        if previous not in (None, conversation_id) and self.services is not None:
            self._save_draft(previous, self.compose.draft())
        self.scheduled.set_conversation(conversation_id)
        self.compose.set_numbers([conversation.own_number], conversation.own_number)
        if draft is not None:
            self.compose.set_draft(self.conversation_model.drafts.get(conversation_id, ""))
        self.compose.setEnabled(True)
        self.compose.show()
        self.compose.focus_editor()
        self.conversations.select(conversation_id)
        self.read_marker.opened(conversation.unread_count, by_person=self._opened_by_person)

    def _open_search_hit(self, conversation_id: int, message_id: int) -> None:
        self.open_conversation(conversation_id)
        # The words searched for are marked in the bubble while the conversation stays open.
        self.thread.delegate.match = (message_id, self.conversations.search_model.query)
        self.thread.show_message(message_id)

    def _send(self, sender: str, text: str) -> None:
        conversation = self.thread.conversation
        if conversation is None:
            return
        if self.controls.ask_before_sending(conversation, conversation.own_number, text):
            return  # they texted STOP: sent only if the person says so
        self.conversation_model.set_draft(conversation.id, "")  # (the list: no "Draft: …")
        # Always from the thread's own number: nothing in the thread changes it. The stored
        # draft goes in the same write as the message: one write before the request leaves,
        # and a crash between two writes cannot lose the text.
        self.services.send(
            conversation.own_number, conversation.peer_number, text, clear_draft=True
        )

    def _draft_changed(self, text: str) -> None:
        if self.conversation_id is not None:
            self._save_draft(self.conversation_id, text)

    def _save_draft(self, conversation_id: int, text: str) -> None:
        self.conversation_model.set_draft(conversation_id, text)  # "Draft: …" in the list
        self.services.set_draft(conversation_id, text)

    async def start_conversation(self, own: str, peer: str, text: str) -> None:
        conversation_id = await self.services.open_conversation(own, peer)
        # Open it first, then send: the bubble appears at once and its status follows, instead
        # of the window waiting for the provider's answer.
        self.show_welcome(False)
        opened = await self._opened(conversation_id)
        if not text.strip():
            return
        if opened is not None and self.controls.ask_before_sending(opened, own, text):
            return  # they texted STOP: sent only if the person says so
        self.services.send(own, peer, text)

    async def _opened(self, conversation_id: int) -> Conversation | None:
        """Open a conversation and wait until it is shown (None: another was asked for
        meanwhile, or it did not come)."""
        import asyncio  # (not before the first paint: start-up imports it later)

        shown = asyncio.get_running_loop().create_future()
        self._waiting.append((conversation_id, shown))
        self.open_conversation(conversation_id)
        try:
            return await asyncio.wait_for(shown, 10)
        except TimeoutError:
            return None
        finally:
            self._waiting = [(c, f) for c, f in self._waiting if f is not shown]

    def text_from_another_number(self, own: str) -> None:
        """Open (or create) the conversation with the open thread's person on another of the
        user's numbers; text typed and not sent moves along with the user."""
        conversation = self.thread.conversation
        if conversation is None or self.services is None or own == conversation.own_number:
            return
        typed = self.compose.draft()
        self.compose.set_draft("")  # (the thread being left keeps no copy of it)
        self.services.spawn(self._open_other(own, conversation.peer_number, typed))

    async def _open_other(self, own: str, peer: str, typed: str) -> None:
        conversation_id = await self.services.open_conversation(own, peer)
        if typed.strip() and not self.conversation_model.drafts.get(conversation_id, "").strip():
            self._save_draft(conversation_id, typed)  # (it opens with it: nothing flickers)
        self.show_welcome(False)
        await self._opened(conversation_id)

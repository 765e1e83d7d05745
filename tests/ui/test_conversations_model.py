"""The conversation list model: order, paging, moves in place, contact names."""

from PySide6.QtCore import QModelIndex, Qt

from tests.ui.conversations_support import ALICE, BOB, CAROL, ids
from voipdesk.core.models import Status
from voipdesk.ui.conversations import ConversationListModel, ConversationRole


def test_model_passes_modeltester(qtmodeltester, seed, three, clock):
    model = ConversationListModel(seed.store)
    qtmodeltester.check(model)
    clock.advance(60)
    model.apply([seed.inbound(ALICE, "back on top")])
    clock.advance(60)
    model.apply([seed.inbound("+447700900444", "a new conversation")])
    seed.store.mark_read(three[ALICE])
    model.refresh()
    model.set_contacts_changed()
    qtmodeltester.check(model)


def test_newest_first_and_paged(seed, clock):
    for i in range(12):
        clock.advance(60)
        seed.inbound(f"+4477009005{i:02d}", f"message {i}")

    class Small(ConversationListModel):
        PAGE = 5

    model = Small(seed.store)
    assert model.rowCount() == 5
    stamps = [model.index(r, 0).data(ConversationRole.Timestamp) for r in range(5)]
    assert stamps == sorted(stamps, reverse=True)
    assert model.index(0, 0).data(ConversationRole.LastBody) == "message 11"
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 12
    assert ids(model) == [c.id for c in seed.store.conversations(limit=100)]


def test_inbound_message_moves_its_conversation_to_the_top_with_unread(qtbot, seed, three, clock):
    model = ConversationListModel(seed.store)
    assert ids(model) == [three[CAROL], three[BOB], three[ALICE]]
    clock.advance(60)
    message = seed.inbound(ALICE, "are you there?")
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.rowsMoved):
        model.apply([message])
    assert ids(model) == [three[ALICE], three[CAROL], three[BOB]]
    top = model.index(0, 0)
    assert top.data(ConversationRole.Unread) == 1
    assert top.data(ConversationRole.LastBody) == "are you there?"

    clock.advance(60)
    sent = seed.outgoing(BOB, "on my way", status=Status.SENDING)  # local echo
    model.apply([sent])
    assert ids(model) == [three[BOB], three[ALICE], three[CAROL]]
    assert model.index(0, 0).data(ConversationRole.Unread) == 0


def test_a_message_stored_by_a_clock_set_back_keeps_its_conversation_in_place(seed, three, clock):
    """The list follows the store's rule: a conversation's time only moves forward, so a
    reply stored by a clock set back shows as its preview without sending it down the list."""
    model = ConversationListModel(seed.store)
    clock.advance(60)
    model.apply([seed.inbound(ALICE, "are you there?")])
    top = model.index(0, 0).data(ConversationRole.Timestamp)
    reply = seed.outgoing(ALICE, "yes", at=clock.now - 300)
    model.apply([reply])
    assert ids(model) == [three[ALICE], three[CAROL], three[BOB]]
    assert model.index(0, 0).data(ConversationRole.LastBody) == "yes"
    assert model.index(0, 0).data(ConversationRole.Timestamp) == top
    assert seed.store.conversation(three[ALICE]).last_timestamp == top  # as the store has it


def test_contact_names_show_after_set_contacts_changed(seed, three):
    model = ConversationListModel(seed.store)
    index = model.index_for(three[ALICE])
    assert index.data(ConversationRole.DisplayName) == "07700 900111"
    seed.store.set_contact(ALICE, "Alice Martin")
    model.set_contacts_changed()
    assert index.data(ConversationRole.DisplayName) == "Alice Martin"
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Alice Martin"


def test_a_message_for_a_loaded_conversation_is_applied_without_reading_the_store(
    seed, three, clock, monkeypatch
):
    model = ConversationListModel(seed.store)
    clock.advance(60)
    message = seed.inbound(BOB, "straight from the message")
    sent = seed.outgoing(CAROL, "a status change later", status=Status.SENDING)
    model.apply([sent])
    truth = {c.id: c for c in seed.store.conversations(limit=10)}

    def no_reads(*_args):
        raise AssertionError("read the store for a conversation it has")

    monkeypatch.setattr(seed.store, "conversation", no_reads)
    monkeypatch.setattr(seed.store, "conversations", no_reads)
    model.apply([message])
    model.apply([seed.store.update_outgoing(sent.id, status=Status.QUEUED)])
    assert ids(model) == [three[CAROL], three[BOB], three[ALICE]]
    for row in range(3):
        shown = model.index(row, 0).data(ConversationRole.Conversation)
        assert shown == truth[shown.id]


def test_marked_read_follows_the_store_whichever_is_told_first(seed, three, clock):
    model = ConversationListModel(seed.store)
    clock.advance(60)
    first = seed.inbound(ALICE, "one")
    model.apply([first])  # told before the mark-read
    second = seed.inbound(ALICE, "two")  # stored before the mark-read, told after it
    cleared, upto = seed.store.mark_read(three[ALICE])
    assert upto == second.id and cleared >= 2
    model.mark_read(three[ALICE], cleared, upto)
    model.apply([second])
    third = seed.inbound(ALICE, "three")  # after it: unread
    model.apply([third])
    index = model.index_for(three[ALICE])
    assert seed.store.conversation(three[ALICE]).unread_count == 1
    assert index.data(ConversationRole.Unread) == 1
    assert index.data(ConversationRole.LastBody) == "three"

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


def test_contact_names_show_after_set_contacts_changed(seed, three):
    model = ConversationListModel(seed.store)
    index = model.index_for(three[ALICE])
    assert index.data(ConversationRole.DisplayName) == "07700 900111"
    seed.store.set_contact(ALICE, "Alice Martin")
    model.set_contacts_changed()
    assert index.data(ConversationRole.DisplayName) == "Alice Martin"
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Alice Martin"

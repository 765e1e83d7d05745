"""What the conversation list tests share: three peers and a shown list."""

from voipdesk.ui.conversations import ConversationList, ConversationListModel, ConversationRole

ALICE = "+447700900111"
BOB = "+447700900222"
CAROL = "+447700900333"


def ids(model) -> list[int]:
    return [model.index(r, 0).data(ConversationRole.Id) for r in range(model.rowCount())]


def make_list(qtbot, store) -> ConversationList:
    widget = ConversationList(ConversationListModel(store), store)
    qtbot.addWidget(widget)
    widget.resize(330, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget

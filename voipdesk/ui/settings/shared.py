"""Settings → Shared inbox: the shared PostgreSQL database's address (settings.json, never with a
password), its password (the keyring, like the API token), "Your name", and Test connection,
which opens the shared store on the dialog's worker (never on the GUI thread) and says in plain
words what is wrong. The app uses what is saved here from its next start."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from voipdesk.settings import Settings
from voipdesk.settings.database import PASSWORD, database_problem, with_password
from voipdesk.settings.model import computer_user_name
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label
from voipdesk.ui.settings.form import Form
from voipdesk.ui.settings.pages import secret_field

INTRO = (
    "To share your numbers' messages with your team, give the address of the PostgreSQL "
    "database your team's voipdesk server uses. Leave it empty to keep your messages on this "
    "computer only. A change of the address takes effect the next time voipdesk starts."
)
EMPTY = "Without an address, your messages stay on this computer only: there is nothing to test."
TESTING = "Connecting…"

# Runs work() off the GUI thread, then then(result) on it (the dialog's _off_gui_thread).
Worker = Callable[[Callable[[], Any], Callable[[Any], None]], None]


def test_connection(url: str, password: str | None, settings: Settings) -> tuple[bool, str]:
    """Open the shared store at `url` as the app would, read from it, close it: (worked, a
    sentence). On a worker thread: it talks to the server, and reads the keyring when
    `password` is None. The sentences never hold the password."""
    from voipdesk.store import StoreError, open_store
    from voipdesk.store.location import redacted

    if password is None:
        password = settings.secret(PASSWORD)
    where = redacted(url)
    connect = with_password(url, password)
    try:
        store = open_store(connect, sends=False)
        try:
            store.unread_total()
        finally:
            store.close()
    except StoreError as exc:  # said with the address as typed (not with "password=***")
        return False, str(exc).replace(redacted(connect), where)
    except Exception as exc:  # an address psycopg cannot read, or an error not foreseen
        from voipdesk.store.pg.unavailable import unavailable

        return False, str(unavailable(where, exc))
    return True, (
        "Connected: the shared database answers to this address and password. voipdesk uses "
        "it from its next start (press OK to keep it)."
    )


class SharedInboxPage(QWidget):
    """The shared inbox's fields and the Test connection button."""

    def __init__(self, form: Form, settings: Settings, worker: Worker) -> None:
        super().__init__()
        self.settings = settings
        self._worker = worker
        self._form = form
        form.start(self)
        form.intro(INTRO)
        self.database_edit = QLineEdit(settings.database_url)
        self.database_edit.setPlaceholderText("postgresql://you@server/voipdesk")
        self.database_edit.textChanged.connect(lambda _t: form.set_error("database_url", None))
        self.database_edit.textChanged.connect(self._forget_test)
        form.row(
            "Database &address",
            self.database_edit,
            # (a word joiner after the ?, so the line never breaks inside the option)
            "Without the password. For a server outside your own network, add "
            "?\u2060sslmode=verify-full at the end.",
            key="database_url",
        )
        self.password_field = secret_field(form, PASSWORD, "database password")
        form.row(
            "Pass&word",
            self.password_field,
            "The database password for that user. It is kept in your keyring, never in a file.",
            key=PASSWORD,
            focus=self.password_field.edit,
        )
        self.name_edit = QLineEdit(settings.your_name)
        # What an empty field means: the name this computer knows the user by, a lookup in the
        # password database (a network directory on some computers): on the worker.
        worker(computer_user_name, self.name_edit.setPlaceholderText)
        form.row(
            "Your &name",
            self.name_edit,
            "Shown to your team on what you send (“Sent by …”). Leave it empty to use the "
            "name this computer knows you by.",
            key="your_name",
        )
        self.test_button = QPushButton("&Test connection")
        self.test_button.setAutoDefault(False)
        self.test_button.clicked.connect(self.test)
        self.test_result = plain_label(wrap=True, name="Connection test result")
        self.test_result.hide()
        # (Laid out as the Receiving page's regenerate button: a layout nested two deep in the
        # form's rows crashed on deletion, its items' widgets gone first.)
        self.test_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        box = QVBoxLayout()
        box.setSpacing(6)
        box.addWidget(self.test_button)
        box.addWidget(self.test_result)
        form.row("Connection", box, "", focus=self.test_button)
        self.password_field.edit.textChanged.connect(self._forget_test)
        self.secret_fields = {PASSWORD: (self.password_field, "database password")}
        self._testing = False
        self._worked: bool | None = None

    def typed(self) -> dict[str, object]:
        """The values as typed, for the dialog's OK."""
        return {
            "database_url": self.database_edit.text().strip(),
            "your_name": self.name_edit.text().strip(),
        }

    def is_testing(self) -> bool:
        return self._testing

    def test(self) -> None:
        """Test the address and password as typed (the stored password when none is typed), on
        the worker; the outcome is said under the button."""
        if self._testing:
            return
        url = self.database_edit.text().strip()
        problem = database_problem(url)
        if problem:
            self._form.set_error("database_url", problem)
            self._say(None, "")
            return
        if not url:
            self._say(None, EMPTY)
            return
        changed, typed = self.password_field.change()
        password = typed if changed or typed else None  # None: the stored one (keyring)
        if changed and typed is None:
            password = ""  # shown and cleared: test without one
        self._testing = True
        self.test_button.setEnabled(False)
        self._say(None, TESTING)
        settings = self.settings
        self._worker(lambda: test_connection(url, password, settings), self._tested)

    def _forget_test(self, _text: str = "") -> None:
        """What was tested is no longer what is typed: its outcome no longer applies."""
        if not self._testing:
            self._say(None, "")

    def _tested(self, outcome: tuple[bool, str]) -> None:
        self._testing = False
        self.test_button.setEnabled(True)
        worked, sentence = outcome
        self._say(worked, sentence)

    def _say(self, worked: bool | None, sentence: str) -> None:
        """Under the button: muted while testing, green when it worked, red when it failed."""
        self._worked = worked
        self.test_result.setText(sentence)
        self.test_result.setVisible(bool(sentence))
        self._color()

    def _color(self) -> None:
        palette = self.palette()
        if self._worked is None:
            color = theme.muted_text(palette)
        else:
            color = theme.success_text(palette) if self._worked else theme.error_text(palette)
        theme.set_text_color(self.test_result, color)

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._color()

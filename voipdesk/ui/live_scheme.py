"""Following the desktop when it switches between light and dark while voipdesk runs.

Under an application style sheet (resources/style.qss) Qt resolves each widget's palette once,
when the style sheet polishes it, from the application palette of that moment, and never again:
a palette change (QApplication.setPalette, or the desktop's own switch, which Qt 6 delivers as
QEvent.ApplicationPaletteChange with QStyleHints.colorSchemeChanged) reaches the top-level
windows but not the widgets inside them (QWidgetPrivate::propagatePaletteChange skips widgets
carrying Qt::WA_StyleSheet), and the sheet's own palette(...) colours stay as first parsed. A
label in a dialog kept black text on a window gone dark.

Setting the same style sheet again makes Qt re-parse it and repolish every widget against the
palette now in force. It is done once for the whole app, just after Qt has handed the new
palette to the windows (its own delivery is posted); then every widget is told the palette
changed, so the app's own colours (bubbles, notice tints, the status dot, muted and error
text) are worked out again from the palette they now have.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

_PROPERTY = "voipdeskFollowsScheme"


class _SchemeFollower(QObject):
    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        self._pending = False
        # The palette the style hands out when the desktop gives none (Fusion's, say).
        self._standard = app.style().standardPalette()
        app.paletteChanged.connect(self._schedule)  # setPalette and the desktop's switch
        app.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    def _scheme_changed(self, *_args: object) -> None:
        # A desktop that says only "dark" or "light" (the XDG portal, no palette of its own):
        # Qt 6.11 changes the scheme but keeps the palette it started with, the style's default
        # for the old scheme. Then the style's default for the new one is put in its place. A
        # palette the desktop (or the person) chose is left alone.
        app = self._app
        standard = app.style().standardPalette()
        if app.palette() == self._standard and standard != self._standard:
            QApplication.setPalette(standard)
        self._standard = standard
        self._schedule()

    def _schedule(self, *_args: object) -> None:
        if not self._pending:  # one repolish for a burst (palette and scheme arrive together)
            self._pending = True
            QTimer.singleShot(0, self._follow)  # after Qt's own (posted) delivery to windows

    def _follow(self) -> None:
        self._pending = False
        app = self._app
        sheet = app.styleSheet()
        if sheet:
            app.setStyleSheet(sheet)  # re-parsed; every widget repolished on the new palette
        for widget in app.allWidgets():  # the app's own colours follow what each one now has
            if isValid(widget):  # (one's handler may have deleted another)
                QCoreApplication.sendEvent(widget, QEvent(QEvent.Type.PaletteChange))


def follow_color_scheme(app: QApplication) -> None:
    """Make the whole app follow palette and colour-scheme switches at run time (once per app)."""
    if app.property(_PROPERTY):
        return
    app.setProperty(_PROPERTY, True)
    _SchemeFollower(app)

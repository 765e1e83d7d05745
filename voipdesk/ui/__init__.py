"""The PySide6 desktop interface: main window, conversation list, thread, compose, dialogs, tray."""

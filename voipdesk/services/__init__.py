"""The running app without Qt: outbox, provider, store and receiver together, told through
events; `voipdesk listen` and the GUI (through ui/bridge.py) both run it."""

from voipdesk.services.events import ERROR, INFO, WARNING, Event
from voipdesk.services.sending import SendingState
from voipdesk.services.services import Services

__all__ = ["ERROR", "INFO", "WARNING", "Event", "SendingState", "Services"]

"""The embedded VoIP Number stand-in, for `voipdesk --demo` and for tests."""

from voipdesk.sandbox.background import SandboxThread
from voipdesk.sandbox.faults import KINDS as FAULT_KINDS
from voipdesk.sandbox.server import (
    DEMO_ACCOUNT,
    ERROR_TEXTS,
    SEND_PATH,
    Account,
    DeliveryRecord,
    Sandbox,
    SentRecord,
)

__all__ = [
    "DEMO_ACCOUNT",
    "ERROR_TEXTS",
    "FAULT_KINDS",
    "SEND_PATH",
    "Account",
    "DeliveryRecord",
    "Sandbox",
    "SandboxThread",
    "SentRecord",
]

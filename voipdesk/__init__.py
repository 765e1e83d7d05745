"""voipdesk: a desktop SMS/MMS client for VoIP Number accounts."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("voipdesk")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"

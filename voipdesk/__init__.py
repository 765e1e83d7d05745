"""voipdesk: a desktop SMS/MMS client for VoIP Number accounts."""

# Kept equal to pyproject.toml's version by tests/test_version.py. Not read from the installed
# metadata: importing importlib.metadata and scanning sys.path cost every start about 20 ms.
__version__ = "0.1.0"

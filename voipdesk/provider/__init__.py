"""The VoIP Number API: wire format, client and errors."""

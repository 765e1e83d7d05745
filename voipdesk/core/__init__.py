"""Domain objects with no Qt and no I/O: messages, phone numbers, SMS segments."""

"""Receiving: the webhook listener (off the GUI thread) and the public tunnel."""

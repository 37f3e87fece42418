"""Tests of the web side (chat, console, feedback form, payment page) against the real server."""

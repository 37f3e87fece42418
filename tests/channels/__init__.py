"""Tests of the messenger channels (Telegram, VK, Viber) against the real server and a fake platform API."""

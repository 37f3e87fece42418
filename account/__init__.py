"""account package."""

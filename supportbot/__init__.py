"""supportbot package."""

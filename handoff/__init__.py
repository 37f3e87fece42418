"""handoff package."""

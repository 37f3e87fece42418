"""Time for the understanding modules; it lives in the kernel (`kernel.clock`)."""

from kernel.clock import MOSCOW, parse_now, to_moscow, utcnow

__all__ = ["MOSCOW", "parse_now", "to_moscow", "utcnow"]

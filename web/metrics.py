"""Prometheus metrics: messages, intents matched, fallbacks, handoffs, queue length, wait times, latency.

Each application has its own registry (no global state); counters are fed from the core's
turn events, gauges are read from the database when scraped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from supportbot.runtime import Runtime

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)
WAIT_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1200, 3600)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter("supportbot_messages", "Messages from users", ["channel"], registry=r)
        self.intents = Counter("supportbot_intents_matched", "Turns answered from the knowledge base or an action",
                               ["intent"], registry=r)
        self.fallbacks = Counter("supportbot_fallbacks", "Turns the bot did not understand", ["channel"], registry=r)
        self.handoffs = Counter("supportbot_handoffs", "Conversations sent to the operator queue", ["channel"], registry=r)
        self.turn_latency = Histogram("supportbot_turn_seconds", "Time to answer one message", ["channel"],
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.http_latency = Histogram("supportbot_http_seconds", "HTTP request latency", buckets=LATENCY_BUCKETS,
                                      registry=r)
        self.queue_length = Gauge("supportbot_queue_length", "Conversations waiting for an operator", registry=r)
        self.agents_online = Gauge("supportbot_agents_online", "Agents with the console open", registry=r)
        self.wait = Histogram("supportbot_queue_wait_seconds", "Time from joining the queue to an operator",
                              buckets=WAIT_BUCKETS, registry=r)
        self.ws_sessions = Gauge("supportbot_webchat_sessions", "Open web chat connections", registry=r)

    def attach(self, runtime: Runtime) -> None:
        """Count turns as the core announces them."""
        metrics = self

        class Observer:
            async def turn(self, channel: str, outcome: str, intent: str | None, seconds: float) -> None:
                metrics.messages.labels(channel).inc()
                metrics.turn_latency.labels(channel).observe(seconds)
                if outcome == "fallback" or outcome == "oos":
                    metrics.fallbacks.labels(channel).inc()
                elif intent:
                    metrics.intents.labels(intent).inc()
                if outcome == "handoff":
                    metrics.handoffs.labels(channel).inc()

        runtime.core.observers.append(Observer())

    async def render(self, runtime: Runtime | None) -> tuple[bytes, str]:
        if runtime is not None:
            from kernel.clock import utcnow

            self.queue_length.set(await runtime.handoff.waiting_count())
            self.agents_online.set(len(await runtime.agents.online(utcnow())))
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def observe_wait(self, seconds: Any) -> None:
        self.wait.observe(float(seconds))

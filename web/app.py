"""`supportbot serve`: one aiohttp application for everything on the web side.

    app = create_app(config, db_path)      # the factory; one setup_* per concern
    web.run_app(app, host=..., port=...)

The runtime (database, knowledge, core, services) is opened and closed by a cleanup
context; shared objects live under typed `AppKey`s. Nothing is global.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from kernel.clock import utcnow
from kernel.ids import instance_id
from storage.db import storage_failure
from storage.health import write_problem
from storage.instances import Instances, every, stop
from supportbot.config import Config
from supportbot.runtime import IndexCache, Runtime, open_runtime

from .keys import CONFIG, DB_PATH, HEALTH, INDEX_CACHE, INSTANCE, METRICS, RUNTIME
from .metrics import Metrics

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 256 * 1024


@web.middleware
async def security_headers(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                           ) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith(("/chat", "/widget")):  # the chat page may be framed by the widget
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "frame-ancestors " + ("*" if request.path.startswith("/chat") else "'none'"))
    return response


@web.middleware
async def failures(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                   ) -> web.StreamResponse:
    """What a handler did not answer itself: a database that cannot be written → 503 (retry later,
    nothing was acknowledged); text that is not UTF-8 → 400; anything else → a 500 without details."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except UnicodeError:
        return web.json_response({"error": "the request is not valid UTF-8"}, status=400)
    except Exception as exc:
        if storage_failure(exc):
            log.warning("%s %s: storage unavailable: %s: %s", request.method, request.path, type(exc).__name__, exc)
            health = request.app.get(HEALTH)
            if health is not None:
                health.failed()
            return web.json_response({"error": "storage_unavailable", "retry": True}, status=503,
                                     headers={"Retry-After": "5"})
        log.exception("%s %s failed", request.method, request.path)
        return web.json_response({"error": "internal error"}, status=500)


@web.middleware
async def timing(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        metrics = request.app.get(METRICS)
        if metrics is not None and request.path != "/metrics":
            metrics.http_latency.observe(time.perf_counter() - started)


async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = await open_runtime(app[CONFIG], app[DB_PATH], cache=app.get(INDEX_CACHE))
    app[RUNTIME] = runtime
    app[METRICS].attach(runtime)
    try:
        yield
    finally:
        await runtime.close()


async def background_ctx(app: web.Application) -> AsyncIterator[None]:
    """Heartbeats (work a dead instance took is taken again) and background jobs that must run
    once across instances (autopayment), each under a lease."""
    runtime = app[RUNTIME]
    instances = Instances(runtime.db, app[INSTANCE])
    await instances.beat(utcnow())
    if app[CONFIG].bus.backend == "local":  # one instance by design: whatever others took is ours now
        await instances.forget_others()

    async def beat() -> None:
        await instances.beat(utcnow())

    sandbox = runtime.sandbox

    async def autopay() -> None:  # the sandbox's job (a real billing runs autopayment itself)
        if sandbox is not None and await instances.lease("autopay", timedelta(seconds=90), utcnow()):
            done = await sandbox.run_autopay(utcnow())
            if done:
                log.info("autopayment: %d top-ups", done)

    tasks = [asyncio.create_task(every(app[CONFIG].storage.heartbeat_seconds, beat, "heartbeat"))]
    if sandbox is not None:
        tasks.append(asyncio.create_task(every(60.0, autopay, "autopay")))
    yield
    for task in tasks:
        await stop(task)
    await instances.leave()


def create_app(config: Config, db_path: str | None = None, cache: IndexCache | None = None) -> web.Application:
    """The whole web side of the product. `cache` shares built knowledge indexes between apps
    in one process (the tests build many apps on the same knowledge)."""
    from .analytics import setup_analytics
    from .channels import setup_channels
    from .chat import setup_chat
    from .console import setup_console
    from .editor import setup_editor
    from .feedback import setup_feedback
    from .greeting import setup_greeting
    from .payments import setup_payments

    app = web.Application(middlewares=[timing, security_headers, failures], client_max_size=MAX_BODY)
    app[CONFIG] = config
    app[DB_PATH] = db_path
    app[INSTANCE] = instance_id()
    app[METRICS] = Metrics()
    if cache is not None:
        app[INDEX_CACHE] = cache
    app.cleanup_ctx.append(runtime_ctx)
    app.cleanup_ctx.append(background_ctx)
    setup_health(app)
    setup_chat(app)
    setup_greeting(app)
    setup_feedback(app)
    setup_console(app)
    setup_payments(app)
    setup_editor(app)
    setup_analytics(app)
    setup_channels(app)
    setup_static(app)
    return app


class Health:
    """Whether the database takes writes, probed with a real write at most every CACHE seconds (not
    on every request); a storage failure seen anywhere makes the next check probe again."""

    CACHE = 3.0

    def __init__(self) -> None:
        self.checked = -1e9
        self.problem: str | None = None

    def failed(self) -> None:
        self.checked = -1e9

    async def check(self, runtime: Runtime, instance: str) -> str | None:
        if time.monotonic() - self.checked < self.CACHE:
            return self.problem
        try:
            self.problem = await asyncio.wait_for(write_problem(runtime.db, instance, utcnow()), timeout=5)
        except (TimeoutError, Exception) as exc:  # the database is the one thing we cannot work without
            self.problem = f"database unavailable ({type(exc).__name__})"
        self.checked = time.monotonic()
        return self.problem


def setup_health(app: web.Application) -> None:
    app[HEALTH] = Health()

    async def healthz(request: web.Request) -> web.Response:
        runtime: Runtime | None = request.app.get(RUNTIME)
        if runtime is None:
            return web.json_response({"status": "starting"}, status=503)
        problem = await request.app[HEALTH].check(runtime, request.app[INSTANCE])
        if problem is not None:
            return web.json_response({"status": "database unavailable", "error": problem}, status=503)
        return web.json_response({"status": "ok", "instance": request.app[INSTANCE],
                                  "kb_revision": runtime.knowledge.kb.revision})

    async def metrics(request: web.Request) -> web.Response:
        body, content_type = await request.app[METRICS].render(request.app.get(RUNTIME))
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)


def setup_static(app: web.Application) -> None:
    async def index(request: web.Request) -> web.Response:
        raise web.HTTPFound("/chat")

    async def favicon(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_get("/", index)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_static("/static/", STATIC, append_version=True)

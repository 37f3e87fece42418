"""What every messenger channel shares.

A channel is one module (`bots/telegram.py`, `bots/vk.py`, `bots/viber.py`) with three parts:

- its settings (`[channels.<name>]`, a `ChannelSettings` model);
- its adapter, which translates and holds no business logic: platform update → `Incoming`s,
  channel-neutral `Reply`s → the platform's native messages (JSON-ready dicts kept in the
  outbox until sent);
- its `Channel`: built from the settings and the environment (`from_config`), it offers the
  web app its routes (the webhook under /webhooks/<name>, with the platform's secret check)
  and stores each update through its runner (`bots.delivery.ChannelRunner`) before answering.

`bots/channels.py` lists the channels; the web app mounts the routes of those configured.
Also here: splitting long texts, the Markdown subset as plain text, recognising button
payloads sent back as text, and reading a webhook's JSON body.

The channel modules import aiohttp and the platforms' SDKs where they use them: the
configuration (read by every command) includes the channels' settings and stays light.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from intents.replies import Incoming, Reply
from kernel import jsonsafe

if TYPE_CHECKING:
    from aiohttp import web

    from .delivery import ChannelRunner

MAX_UPDATE = 1024 * 1024
Secrets = Callable[[str], str | None]  # an environment variable's name → its value (None: unset)

# Button payloads as the core's router (intents.payloads) knows them: a test keeps the two in step.
PAYLOAD_RE = re.compile(r"^(?:kb|act|op|rate|auth|url):[\w:./?=&%+\-]{1,200}$|^(?:menu|operator)$")


class BadUpdate(ValueError):
    """A request that is not a valid update of the platform (answered 400)."""


@dataclass
class Parsed:
    """What a platform update means for us."""

    messages: list[Incoming] = field(default_factory=list)
    # something to do at once, before the turn (answer a callback query / a message event)
    ack: dict[str, Any] | None = None


class ChannelConfigError(ValueError):
    """A half-configured channel (its token is set, something it needs is not)."""


class ChannelSettings(BaseModel):
    """What every channel's `[channels.<name>]` section has."""

    model_config = ConfigDict(extra="forbid")

    token_env: str
    api_url: str
    per_second: float = Field(gt=0)  # the platform's limit on sends
    timeout_seconds: float = Field(10.0, gt=0)

    def chat_rate(self) -> float | None:
        """Sends per second to one chat, on top of the global limit (None: no such limit)."""
        return None


class Adapter(Protocol):
    name: str

    def update_key(self, update: dict[str, Any]) -> str:
        """The platform's id of an update, for deduplication (update_id, event_id, message_token)."""

    def parse(self, update: dict[str, Any]) -> Parsed: ...

    def render(self, chat_id: str, reply: Reply, lang: str) -> list[dict[str, Any]]:
        """Native send requests for one reply (several when a text is split)."""

    async def send(self, request: dict[str, Any], dedupe: int, text: str | None = None) -> None:
        """Perform one native send request; raises `RetryLater` or `SendFailed`. `text` is the
        request as the outbox keeps it (JSON), for an adapter that can post it as it is."""


    async def close(self) -> None: ...


class Channel:
    """A configured channel on the web app: its adapter and routes, and its runner once started.

    Subclasses set `name`, build themselves in `from_config` (None when the channel's token is
    not in the environment; `ChannelConfigError` when it is but something else it needs is not)
    and list their `routes`."""

    name: ClassVar[str]

    def __init__(self, adapter: Any, polling: bool = False) -> None:
        self.adapter = adapter
        self.polling = polling
        self.runner: ChannelRunner | None = None
        self.tasks: set[asyncio.Task[None]] = set()  # work started by a request that outlives it (acks)

    def routes(self) -> list[web.RouteDef]:
        return []

    def attach(self, runner: ChannelRunner) -> None:
        self.runner = runner

    def _runner(self) -> ChannelRunner:
        """The runner, or 404 while the channel is not started."""
        from aiohttp import web

        if self.runner is None:
            raise web.HTTPNotFound()
        return self.runner

    def spawn(self, work: Any) -> None:
        """Run `work` (a coroutine) after the response, keeping a reference to its task."""
        task = asyncio.get_running_loop().create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def parse(self, update: dict[str, Any]) -> Parsed | None:
        try:
            return self.adapter.parse(update)
        except Exception:  # stored all the same; marked failed when processed
            return None

    async def accept(self, update: dict[str, Any], raw: str | None = None, parsed: Parsed | None = None) -> bool:
        """Store the update before answering; False for a redelivery."""
        from aiohttp import web

        try:
            self.adapter.update_key(update)  # an update without its platform's shape is refused, not stored
        except BadUpdate as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc
        except (AttributeError, TypeError, KeyError, ValueError) as exc:
            raise web.HTTPBadRequest(text="malformed update") from exc
        try:
            return await self._runner().accept(update, raw, parsed)
        except BadUpdate as exc:
            raise web.HTTPBadRequest(text=str(exc)) from exc


async def read_json(request: web.Request) -> tuple[dict[str, Any], str]:
    """A webhook request's JSON object and its text (400 for anything else, 413 when too large)."""
    from aiohttp import web

    if request.content_length is not None and request.content_length > MAX_UPDATE:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPDATE, actual_size=request.content_length)
    body = await request.read()
    if len(body) > MAX_UPDATE:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_UPDATE, actual_size=len(body))
    try:  # bounded: no platform nests deeper or sends integers beyond 64 bits
        data = jsonsafe.loads(body)
    except jsonsafe.JsonRefused as exc:
        raise web.HTTPBadRequest(text=f"not acceptable JSON: {exc}") from exc
    text = body.decode("utf-8")
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data, text


def same_secret(given: str | bytes | None, expected: str | None) -> bool:
    """A secret from a request (a header, a body field) equals ours, in constant time; False for
    anything missing or not even text (a header that is not UTF-8 arrives with escapes)."""
    if not expected or given is None:
        return False
    if isinstance(given, str):
        given = given.encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, expected.encode())


class RetryLater(Exception):
    def __init__(self, seconds: float, reason: str) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.reason = reason


class SendFailed(Exception):
    """A send the platform refused for good (blocked by the user, bad request)."""


def is_payload(text: str) -> bool:
    return bool(PAYLOAD_RE.match(text.strip()))


def plain(text: str) -> str:
    """The Markdown subset as plain text: **bold** → bold, [label](url) → label (url)."""
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return re.sub(r"\[([^\]]+)\]\((https?://[^\s)]+)\)", r"\1 (\2)", text)


def split_text(text: str, limit: int) -> list[str]:
    """Split a long text at paragraph, line, sentence or word boundaries, each part ≤ limit."""
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), -1)
        if cut < limit // 3:
            cut = window.rfind("\n")
        if cut < limit // 3:
            cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
            cut = cut + 1 if cut > 0 else cut
        if cut < limit // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts or [""]

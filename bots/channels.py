"""The messenger channels the product knows, and their part of the configuration.

Adding a channel: its module (settings, adapter, `Channel` with its routes), a line in
`ChannelsConfig` and one in `CHANNELS`, a fake of its platform in `tests/fakes.py`, its tests.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from .base import Channel, ChannelSettings, Secrets
from .telegram import TelegramChannel, TelegramSettings
from .viber import ViberChannel, ViberSettings
from .vk import VkChannel, VkSettings


class ChannelsConfig(BaseModel):
    """`[channels.*]`: one section per channel."""

    model_config = ConfigDict(extra="forbid")

    telegram: TelegramSettings = TelegramSettings()
    vk: VkSettings = VkSettings()
    viber: ViberSettings = ViberSettings()


CHANNELS: tuple[type[TelegramChannel] | type[VkChannel] | type[ViberChannel], ...] = (
    TelegramChannel, VkChannel, ViberChannel)


def settings_of(config: ChannelsConfig, name: str) -> ChannelSettings:
    settings: ChannelSettings = getattr(config, name)
    return settings


def build_channels(config: ChannelsConfig, secret_of: Secrets) -> dict[str, Channel]:
    """The channels whose tokens are in the environment; `ChannelConfigError` for a half-configured one."""
    channels: dict[str, Channel] = {}
    for kind in CHANNELS:
        channel = kind.from_config(settings_of(config, kind.name), secret_of)  # type: ignore[arg-type]
        if channel is not None:
            channels[kind.name] = channel
    return channels

"""The channel registry: folder name -> ChannelSpec (docs/channels.md)."""

from __future__ import annotations

from importlib import import_module

from xinfang.intake.base import ChannelSpec

PETITION_CHANNELS: tuple[str, ...] = ("letter", "visit", "online", "hotline", "referral")
"""Channels whose rows become intake items; ``progress`` is applied after deduplication."""
ALL_CHANNELS: tuple[str, ...] = (*PETITION_CHANNELS, "progress")


def spec(channel: str) -> ChannelSpec:
    if channel not in ALL_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; expected one of {ALL_CHANNELS}")
    return import_module(f"xinfang.intake.{channel}").SPEC

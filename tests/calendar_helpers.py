"""What the calendar tests share: a configuration with given ``calendar:`` settings."""

from __future__ import annotations

from xinfang.config import Config, build, load_raw


def config_with(**calendar) -> Config:
    """The shipped configuration with only these calendar overrides (none by default)."""
    raw = load_raw()
    raw["calendar"] = {"holidays": [], "workdays": [], "years": [], **calendar}
    return build(raw)

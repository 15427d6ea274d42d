"""Risk screening (隐患排查): threat words, group visits, repeats, many channels, referrals."""

from xinfang.risk.screen import KEY_KINDS, KINDS, key_dates, key_dates_sql, screen
from xinfang.risk.threat import ThreatHit, detect_threat

__all__ = [
    "KEY_KINDS",
    "KINDS",
    "ThreatHit",
    "detect_threat",
    "key_dates",
    "key_dates_sql",
    "screen",
]

"""Risk screening (隐患排查): threat words, group visits, repeats, many channels, referrals."""

from xinfang.risk.screen import KINDS, screen
from xinfang.risk.threat import ThreatHit, detect_threat

__all__ = ["KINDS", "ThreatHit", "detect_threat", "screen"]

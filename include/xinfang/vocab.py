"""The contract's closed vocabularies: codes as stored, with the names people read.

Dispositions are the "five batches" (五个一批, docs/progress.md) in their reporting
order; statuses are a case's (`ledger_case.status`, docs/data_dictionary.md); channels are the
intake channels (docs/channels.md). The Python side (parsers, reports, dashboard) takes
them from here; the analyst views spell the same names out in SQL.
"""

from __future__ import annotations

DISPOSITION_NAMES: dict[str, str] = {
    "review": "依法评查",
    "procedure": "依法导入程序",
    "resolved": "依法化解",
    "aid": "依法救助",
    "terminated": "依法终结",
}
DISPOSITIONS: tuple[str, ...] = tuple(DISPOSITION_NAMES)

STATUS_NAMES: dict[str, str] = {"open": "办理中", "paused": "中止", "closed": "已销号"}

CHANNEL_NAMES: dict[str, str] = {
    "letter": "来信",
    "visit": "来访",
    "online": "网上信访",
    "hotline": "12368热线",
    "referral": "上级交办",
}
CHANNELS: tuple[str, ...] = tuple(CHANNEL_NAMES)

"""The drop-folder lifecycle of CONTRACT §2: incoming -> archive/<date>/ or quarantine/.

Files are only ever moved, never deleted or overwritten: a name already taken
in the target folder gets a numeric suffix.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

INCOMING, ARCHIVE, QUARANTINE = "incoming", "archive", "quarantine"


def channel_dir(landing: Path, channel: str, part: str) -> Path:
    return landing / channel / part


def ensure_folders(landing: Path, channels: tuple[str, ...]) -> None:
    for channel in channels:
        for part in (INCOMING, ARCHIVE, QUARANTINE):
            channel_dir(landing, channel, part).mkdir(parents=True, exist_ok=True)


def incoming_files(landing: Path, channel: str) -> list[Path]:
    """Files waiting in the channel's incoming folder, oldest name first.

    Hidden files and the temporary files of copies still in progress
    (``~$x.xlsx``, ``*.tmp``, ``*.part``) are left for a later sweep.
    """
    folder = channel_dir(landing, channel, INCOMING)
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith((".", "~$"))
        and p.suffix.lower() not in (".tmp", ".part", ".crdownload")
    )


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while target.exists():
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


def archive(path: Path, landing: Path, channel: str, day: dt.date) -> Path:
    folder = channel_dir(landing, channel, ARCHIVE) / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(str(path), target)
    return target


def quarantine(path: Path, landing: Path, channel: str, reason: str) -> Path:
    folder = channel_dir(landing, channel, QUARANTINE)
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(str(path), target)
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target

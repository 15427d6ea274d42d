"""The drop-folder lifecycle of docs/channels.md: incoming -> archive/<date>/ or quarantine/.

Files are only ever moved, never deleted or overwritten: a name already taken
in the target folder gets a numeric suffix.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

INCOMING, ARCHIVE, QUARANTINE = "incoming", "archive", "quarantine"


def channel_dir(landing: Path, channel: str, part: str) -> Path:
    return landing / channel / part


def ensure_folders(landing: Path, channels: tuple[str, ...]) -> None:
    for channel in channels:
        for part in (INCOMING, ARCHIVE, QUARANTINE):
            channel_dir(landing, channel, part).mkdir(parents=True, exist_ok=True)


def _waiting(name: str) -> bool:
    """A name the sweep never takes: hidden files and copies still in progress
    (``~$x.xlsx``, ``*.tmp``, ``*.part``, ``*.crdownload``)."""
    return name.startswith((".", "~$")) or Path(name).suffix.lower() in TEMPORARY_SUFFIXES


TEMPORARY_SUFFIXES = (".tmp", ".part", ".crdownload")


@dataclass(frozen=True)
class Incoming:
    """What waits in an incoming folder: regular files to load, and entries that are not
    regular files (symbolic links, folders, pipes), which are quarantined unread."""

    files: list[Path]
    strays: list[tuple[Path, str]]


def scan_incoming(landing: Path, channel: str) -> Incoming:
    """The channel's incoming folder, oldest file first (a corrected file after the one
    it corrects), without following any link."""
    folder = channel_dir(landing, channel, INCOMING)
    files: list[tuple[int, str, Path]] = []
    strays: list[tuple[Path, str]] = []
    if not folder.is_dir():
        return Incoming([], strays)
    for path in sorted(folder.iterdir()):
        if _waiting(path.name):
            continue
        try:
            st = path.lstat()
        except FileNotFoundError:  # taken by a concurrent sweep
            continue
        if stat.S_ISREG(st.st_mode):
            files.append((st.st_mtime_ns, path.name, path))
        else:
            strays.append((path, _kind(st.st_mode)))
    return Incoming([path for *_, path in sorted(files)], strays)


def incoming_files(landing: Path, channel: str) -> list[Path]:
    """Regular files waiting in the channel's incoming folder, oldest first."""
    return scan_incoming(landing, channel).files


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    return "not a regular file"


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns


def settled(
    paths: list[Path], settle_seconds: float, sleep: Callable[[float], None] = time.sleep
) -> tuple[list[Path], list[Path]]:
    """(files that have stopped changing, files still changing) among ``paths``.

    A file is settled when its size and times have not changed for ``settle_seconds``:
    the change time (ctime, which no copying tool can set back) is that old already,
    or the size and times are the same before and after waiting that long. One wait
    serves all files. ``settle_seconds`` 0 takes every file as it is.
    """
    if settle_seconds <= 0 or not paths:
        return list(paths), []
    before = {p: _signature(p) for p in paths}
    now_ns = time.time_ns()
    settle_ns = int(settle_seconds * 1e9)
    young = [p for p, sig in before.items() if sig and now_ns - max(sig[1], sig[2]) < settle_ns]
    if young:
        newest = max(max(before[p][1], before[p][2]) for p in young)
        sleep(max(0.0, (newest + settle_ns - now_ns) / 1e9))
    ready, changing = [], []
    for path, sig in before.items():
        if sig is None:
            continue  # gone: a concurrent sweep took it
        (ready if path not in young or _signature(path) == sig else changing).append(path)
    return ready, changing


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    n = 1
    while os.path.lexists(target):
        target = folder / f"{Path(name).stem}.{n}{Path(name).suffix}"
        n += 1
    return target


def archive(path: Path, landing: Path, channel: str, day: dt.date) -> Path:
    folder = channel_dir(landing, channel, ARCHIVE) / day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(str(path), target)  # a link moves as the link
    return target


def quarantine(path: Path, landing: Path, channel: str, reason: str) -> Path:
    """Move ``path`` (a link itself, never its target) to quarantine with its reason."""
    folder = channel_dir(landing, channel, QUARANTINE)
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    shutil.move(str(path), target)  # a link moves as the link
    target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
    return target

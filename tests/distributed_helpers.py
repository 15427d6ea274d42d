"""What the distributed test needs to run Airflow's components as real processes.

Each component runs in its own session (process group), logging to its own file, so
the test can stop every process it started, grandchildren included, and show each
component's log when something goes wrong.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest

STOP_GRACE_SECONDS = 20
LOG_TAIL_CHARS = 6_000


def free_port() -> int:
    """A TCP port nobody listens on now (parallel runs must not share the defaults)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_redis(url: str) -> None:
    """Fail, never skip, when the broker is not there (the CI rule for missing services)."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required for the Celery test and is not reachable at {url}: {exc}")


def forget_queue(url: str, queue: str) -> None:
    """Remove the keys the broker kept for this run's queue (other runs share the server)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        keys = list(client.scan_iter(match=f"*{queue}*"))
        if keys:
            client.delete(*keys)
    except redis.RedisError:
        pass  # the broker went away: nothing of ours is left on it to remove
    finally:
        client.close()


@dataclass
class Component:
    """One long-running Airflow command, started in a session of its own."""

    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return text[-chars:]


@dataclass
class Components:
    """The processes a test started; ``stop_all`` ends every one of them and their children."""

    log_dir: Path
    env: dict[str, str]
    cwd: Path
    started: list[Component] = field(default_factory=list)

    def start(self, name: str, args: list[str]) -> Component:
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                args,
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        component = Component(name, process, log)
        self.started.append(component)
        return component

    def check_alive(self) -> None:
        for component in self.started:
            code = component.process.poll()
            if code is not None:
                pytest.fail(f"airflow {component.name} exited with code {code} (logs below)")

    def wait_for(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ``ready`` until it holds, failing early when a component died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if ready():
                return
            time.sleep(2)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (logs below)")

    def stop_all(self) -> None:
        """SIGTERM each session and every descendant, then SIGKILL what is left."""
        survivors: list[psutil.Process] = []
        for component in self.started:
            survivors += _family(component.process.pid)
            _signal_group(component.process.pid, signal.SIGTERM)
        for process in survivors:
            _signal(process, signal.SIGTERM)
        _, alive = psutil.wait_procs(survivors, timeout=STOP_GRACE_SECONDS)
        for process in alive:
            _signal(process, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=5)
        for component in self.started:
            _signal_group(component.process.pid, signal.SIGKILL)
            component.process.wait(timeout=5)

    def log_of(self, name: str) -> str:
        component = next(c for c in self.started if c.name == name)
        return component.log.read_text(encoding="utf-8", errors="replace")

    def print_log_tails(self, task_logs: list[Path]) -> None:
        """Shown by pytest only when the test failed (captured output of a passing test is not)."""
        for component in self.started:
            print(f"\n===== airflow {component.name}: end of {component.log} =====")
            print(component.tail())
        for path in task_logs:
            print(f"\n===== task log: end of {path} =====")
            print(path.read_text(encoding="utf-8", errors="replace")[-LOG_TAIL_CHARS // 4 :])


def _family(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _signal(process: psutil.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        process.send_signal(sig)


def run_airflow(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 600) -> str:
    """One Airflow CLI command to completion; its output on failure."""
    done = subprocess.run(
        args, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"{' '.join(args[1:3])} failed ({done.returncode}):\n"
            f"{done.stdout[-LOG_TAIL_CHARS:]}\n{done.stderr[-LOG_TAIL_CHARS:]}"
        )
    return done.stdout

"""The Airflow UI in headless Chromium: login, the three DAGs without import errors, the dashboard.

Starts a real ``airflow api-server`` and ``airflow dag-processor`` on a free
localhost port with a temporary AIRFLOW_HOME (SQLite metadata database), the
project's dags/ and plugins/, SimpleAuthManager with a known user and password,
and a seeded ledger (``AIRFLOW_CONN_XINFANG_LEDGER``). Drives Debian's Chromium
(/usr/bin/chromium) through Playwright. Every wait is bounded; the processes are
killed (their whole process groups) at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_plugins_dashboard import AS_OF, ID_A, PHONE_A, seed

pytestmark = [pytest.mark.browser, pytest.mark.airflow]

REPO = Path(__file__).resolve().parents[1]
DAGS = REPO / "dags"
PLUGINS = REPO / "plugins"
CHROMIUM = os.environ.get("XINFANG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
USER, PASSWORD = "admin", "xinfang-browser-test"
EXPECTED_DAGS = {"intake_sweep", "escalation_sweep", "monthly_disposition"}
START_TIMEOUT = 180  # seconds for the api-server to answer
PARSE_TIMEOUT = 180  # seconds for the dag-processor to register the DAGs
UI_TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _airflow_env(home: Path) -> dict[str, str]:
    """The environment of the Airflow processes: nothing inherited from another Airflow setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({USER: PASSWORD}))
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PLUGINS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__LAZY_LOAD_PLUGINS": "False",
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__API_AUTH__JWT_SECRET": "xinfang-browser-test-secret-0123456789",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO / "include"), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
    )
    return env


class Airflow:
    """The Airflow processes of one test, each in its own process group."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.env = env
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def run(self, *args: str, timeout: int) -> None:
        log = self.home / f"{args[0]}.log"
        with log.open("w") as out:
            done = subprocess.run(
                [sys.executable, "-m", "airflow", *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{self.tail(log)}"

    def start(self, name: str, *args: str) -> None:
        out = (self.home / f"{name}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "airflow", *args],
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.append((name, proc))

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                pytest.fail(f"airflow {name} exited ({proc.returncode}):\n{self.log(name)}")

    def log(self, name: str) -> str:
        return self.tail(self.home / f"{name}.log")

    @staticmethod
    def tail(path: Path, lines: int = 60) -> str:
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        for _name, proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for _name, proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # uvicorn workers and DAG-parsing children share the group: end them all.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _wait_http(url: str, airflow: Airflow, timeout: float) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        airflow.check_alive()
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    pytest.fail(f"{url} did not answer within {timeout}s:\n{airflow.log('api-server')}")


@pytest.fixture
def airflow_ui(engine, tmp_path: Path) -> Iterator[str]:
    """A running api-server + dag-processor over the project's DAGs; yields the base URL."""
    seed(engine)  # the ledger the dashboard reads (AIRFLOW_CONN_XINFANG_LEDGER is set)
    home = tmp_path / "airflow_home"
    home.mkdir()
    airflow = Airflow(home, _airflow_env(home))
    port = _free_port()
    try:
        airflow.run("db", "migrate", timeout=300)
        airflow.start("dag-processor", "dag-processor")
        airflow.start(
            "api-server", "api-server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"
        )
        base = f"http://127.0.0.1:{port}"
        _wait_http(f"{base}/api/v2/monitor/health", airflow, START_TIMEOUT)
        yield base
    finally:
        airflow.stop()


def _launch(playwright):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is required at {CHROMIUM}: run scripts/setup-system.sh (apt chromium)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def test_ui_login_dags_and_dashboard(airflow_ui: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = airflow_ui
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)

            # Login through the SimpleAuthManager form.
            page.goto(f"{base}/")
            expect(page).to_have_url(re.compile(r"/auth/login"))
            page.get_by_label("Username").fill(USER)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/(\?.*)?$"))

            # The dag-processor registers the DAGs; the API answers with the session cookie.
            deadline = time.monotonic() + PARSE_TIMEOUT
            dag_ids: set[str] = set()
            while time.monotonic() < deadline:
                resp = page.request.get(f"{base}/api/v2/dags?limit=100")
                assert resp.ok, resp.text()
                dag_ids = {d["dag_id"] for d in resp.json()["dags"]}
                if dag_ids >= EXPECTED_DAGS:
                    break
                time.sleep(2)
            errors = page.request.get(f"{base}/api/v2/importErrors").json()
            assert errors["total_entries"] == 0, errors["import_errors"]
            assert dag_ids >= EXPECTED_DAGS, f"DAGs registered: {sorted(dag_ids)}"

            # The DAG list shows the three DAGs; the home page shows no import error.
            page.goto(f"{base}/dags")
            for dag_id in sorted(EXPECTED_DAGS):
                expect(page.get_by_role("link", name=dag_id, exact=True).first).to_be_visible()
            page.goto(f"{base}/")
            expect(page.get_by_text("Active Dags").first).to_be_visible()
            expect(page.get_by_text(re.compile("Import Error"))).to_have_count(0)

            # The dashboard from the navigation, embedded in the UI.
            page.get_by_role("link", name=re.compile("信访看板")).first.click()
            expect(page).to_have_url(re.compile(r"/plugin/campaign-dashboard"))
            frame = page.frame_locator("iframe").first
            expect(frame.locator("h1")).to_contain_text("信访台账 Dashboard")
            expect(frame.locator('[data-figure="cases"] b')).to_have_text("6")
            # Today has no activity in the seeded July 2023 ledger: go to the last active day.
            frame.get_by_role("link", name=AS_OF.isoformat()).click()
            expect(frame.locator('[data-figure="escalations_today"] b')).to_have_text("1")
            expect(frame.locator('[data-figure="warnings_today"] b')).to_have_text("1")
            expect(frame.locator('[data-figure="overdue"] b')).to_have_text("2")
            expect(frame.locator('[data-figure="closed_this_month"] b')).to_have_text("2")
            expect(frame.locator("#by-court")).to_contain_text("广阳区人民法院")
            expect(frame.locator("#overdue")).to_contain_text("XF2023-0002")
            expect(frame.locator("#escalations")).to_contain_text("131002********123X")
            html = frame.locator("body").inner_html()
            assert ID_A not in html and PHONE_A not in html
            assert "138****5678" in html

            # The JSON endpoint with the same session.
            data = page.request.get(
                f"{base}/xinfang/api/summary", params={"as_of": AS_OF.isoformat()}
            ).json()
            assert data["headline"]["overdue"] == 2 and data["headline"]["cases"] == 6

            # Past the holiday package's last year: the provisional calendar, said in Chinese
            # first above the figures; a date the dashboard cannot use is a 400 with the reason.
            page.goto(f"{base}/xinfang/dashboard?as_of=2027-01-11")
            expect(page.locator("#calendar-provisional")).to_contain_text(
                "2027年工作日历为临时日历（仅法定节假日，无调休）"
            )
            expect(page.locator('[data-figure="cases"] b')).to_have_text("6")
            page.screenshot(
                path=str(
                    Path(os.environ.get("XINFANG_BROWSER_ARTIFACTS", "/tmp"))
                    / "xinfang_dashboard_provisional.png"
                )
            )
            bad = page.goto(f"{base}/xinfang/dashboard?as_of=9999-12-31")
            assert bad is not None and bad.status == 400
            expect(page.locator("#error")).to_contain_text("9999-12-31")
        except Exception:
            shot = (
                Path(os.environ.get("XINFANG_BROWSER_ARTIFACTS", "/tmp"))
                / "xinfang_browser_failure.png"
            )
            # The screenshot is a diagnostic; the original failure is what matters.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot))
            raise
        finally:
            browser.close()


def test_chromium_is_installed() -> None:
    """The browser test needs Debian's Chromium: fail loudly (never skip) when it is missing."""
    assert Path(CHROMIUM).exists() or shutil.which("chromium"), (
        "Debian's chromium is missing: run scripts/setup-system.sh"
    )

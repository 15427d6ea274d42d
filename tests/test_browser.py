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
import sqlalchemy as sa
from test_console import SECRETS, seed_console
from test_plugins_dashboard import AS_OF, ID_A, PHONE_A

from xinfang.schema import intake_item, ledger_case

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
VIEWER, VIEWER_PASSWORD = "reader", "xinfang-browser-viewer"
ARTIFACTS = Path(os.environ.get("XINFANG_BROWSER_ARTIFACTS", "/tmp"))
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
    passwords.write_text(json.dumps({USER: PASSWORD, VIEWER: VIEWER_PASSWORD}))
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
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin,{VIEWER}:viewer",
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
    seed_console(engine)  # the ledger the dashboard reads (AIRFLOW_CONN_XINFANG_LEDGER is set)
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


def _login(page, base: str, user: str, password: str) -> None:
    """Log in through the SimpleAuthManager form."""
    from playwright.sync_api import expect

    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/(\?.*)?$"))


def _item_ids(engine, ledger_no: str) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(intake_item.c.item_id)
                .join(ledger_case, ledger_case.c.case_id == intake_item.c.case_id)
                .where(ledger_case.c.ledger_no == ledger_no)
                .order_by(intake_item.c.item_id)
            ).scalars()
        )


def _console_as_admin(page, base: str, engine) -> str:
    """Search, open a case, merge an item into it through the form; returns the form token."""
    from playwright.sync_api import expect

    # Search from the dashboard's box (embedded in the UI), by the last digits of a phone.
    frame = page.frame_locator("iframe").first
    page.goto(f"{base}/plugin/campaign-dashboard")
    frame.get_by_role("searchbox").first.fill("5678")
    frame.get_by_role("button", name="查询").first.click()
    expect(frame.locator("#results")).to_contain_text("XF2023-0001")
    expect(frame.locator("#result-summary")).to_contain_text("共 2 件")

    # The search page on its own, filtered: court and tier, then open the case.
    page.goto(f"{base}/xinfang/cases")
    page.get_by_role("searchbox", name="查询内容 search").fill("张伟")
    page.get_by_label("法院 court").select_option("冀1003")
    page.get_by_role("button", name="查询 search").click()
    expect(page.locator("#results tr[data-ledger-no]")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("131002********123X")
    page.screenshot(path=str(ARTIFACTS / "console-search.png"), full_page=True)
    assert not any(secret in page.content() for secret in SECRETS)
    page.get_by_role("link", name="XF2023-0001").click()
    expect(page).to_have_url(re.compile(r"/xinfang/case/XF2023-0001$"))
    expect(page.locator("#workflow")).to_contain_text("基本满意")
    expect(page.locator("#history")).to_contain_text("刘法官")
    expect(page.locator("#items tr[data-item]")).to_have_count(2)

    # Merge the item of XF2023-0003 into this case through the form.
    [lone] = _item_ids(engine, "XF2023-0003")
    merge = page.locator("#form-merge")
    merge.get_by_label("并入的事项编号 item id").fill(str(lone))
    merge.get_by_label("理由 reason").fill("同一事项，浏览器测试")
    token = merge.locator('input[name="csrf_token"]').input_value()
    merge.get_by_role("button", name="合并 merge").click()
    expect(page.locator("#action-result")).to_contain_text(
        f"merged item {lone} into case XF2023-0001"
    )
    expect(page.locator("#items tr[data-item]")).to_have_count(3)
    expect(page.locator(f'#items tr[data-item="{lone}"]')).to_be_visible()
    assert lone in _item_ids(engine, "XF2023-0001")
    page.screenshot(path=str(ARTIFACTS / "console-case.png"), full_page=True)
    return token


def _console_as_viewer(page, base: str, engine, admin_token: str) -> None:
    """A viewer sees the case without forms; a forged POST is refused and changes nothing."""
    from playwright.sync_api import expect

    page.goto(f"{base}/xinfang/case/XF2023-0001")
    expect(page.locator("#case-fields")).to_be_visible()
    expect(page.locator("nav.top")).to_contain_text("只读 read-only")
    expect(page.locator("form[method=post]")).to_have_count(0)
    expect(page.locator("#actions")).to_have_count(0)
    before = _item_ids(engine, "XF2023-0001")
    for token in ("", admin_token):
        resp = page.request.post(
            f"{base}/xinfang/case/XF2023-0001/action",
            form={
                "action": "split",
                "item_id": str(before[-1]),
                "reason": "x",
                "csrf_token": token,
            },
            headers={"Origin": base},
        )
        assert resp.status == 403, resp.text()
    assert _item_ids(engine, "XF2023-0001") == before


def test_ui_login_dags_and_dashboard(airflow_ui: str, engine) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = airflow_ui
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(UI_TIMEOUT_MS)
            expect.set_options(timeout=UI_TIMEOUT_MS)

            _login(page, base, USER, PASSWORD)

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

            # The case console: an admin searches, opens a case and merges; a viewer cannot.
            admin_token = _console_as_admin(page, base, engine)
            viewer = browser.new_context(viewport={"width": 1400, "height": 900})
            page = viewer.new_page()
            page.set_default_timeout(UI_TIMEOUT_MS)
            _login(page, base, VIEWER, VIEWER_PASSWORD)
            _console_as_viewer(page, base, engine, admin_token)
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

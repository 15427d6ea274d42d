"""The task failure alert (``xinfang_dags.notify_failure``): no full ID or phone in the log
line or the e-mail, the exception text cut short and HTML-escaped."""

from __future__ import annotations

import logging
import re
import sys
from types import SimpleNamespace
from typing import ClassVar

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO / "dags"))

import xinfang_dags

FULL_ID = "110101199003074514"
FULL_PHONE = "13812345678"
ERROR = (
    'duplicate key value violates unique constraint "uq_item"\n'
    f"DETAIL:  Key (phone)=({FULL_PHONE}) already exists. "
    f"<script>alert('x')</script> 身份证 {FULL_ID[:6]} {FULL_ID[6:]} "
    "{{ conn.smtp_default.password }} & (2023)冀1003民初1234号 2023-07-03"
)


class FakeNotifier:
    sent: ClassVar[list[dict]] = []

    def __init__(self, **kwargs) -> None:
        self.kwargs = kwargs

    def notify(self, context) -> None:
        FakeNotifier.sent.append({**self.kwargs, "context": context})


@pytest.fixture
def smtp(monkeypatch):
    from airflow.providers.smtp.notifications import smtp as module

    FakeNotifier.sent = []
    monkeypatch.setattr(module, "SmtpNotifier", FakeNotifier)
    monkeypatch.setenv("XINFANG_ALERT_EMAIL", "ops@court.example")
    return FakeNotifier.sent


def _context(exc: BaseException) -> dict:
    ti = SimpleNamespace(dag_id="intake_sweep", task_id="load_letter")
    return {"task_instance": ti, "run_id": "scheduled__2023-07-03T00:00:00", "exception": exc}


def test_alert_mail_and_log_are_masked_and_escaped(smtp, caplog):
    caplog.set_level(logging.ERROR, logger="xinfang.dags")
    xinfang_dags.notify_failure(_context(RuntimeError(ERROR)))

    assert len(smtp) == 1
    mail = smtp[0]
    assert mail["to"] == "ops@court.example"
    assert mail["subject"] == "[xinfang] intake_sweep.load_letter failed"
    body = mail["html_content"]
    assert body.startswith("<p>intake_sweep.load_letter failed in run scheduled__2023-07-03")
    # masked
    assert FULL_PHONE not in body and FULL_ID[6:] not in body
    assert "Key (phone)=(138****5678)" in body and "身份证 110101********4514" in body
    assert "(2023)冀1003民初1234号 2023-07-03" in body  # case number and date stay
    # escaped: the only markup is the notifier's own, and no template syntax from the data
    assert "<script>" not in body and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "&amp; (2023)" in body
    assert "{" not in body and "&#123;&#123; conn.smtp_default.password &#125;&#125;" in body
    assert re.findall(r"<[^>]+>", body) == ["<p>", "</p>", "<pre>", "</pre>"]
    assert "RuntimeError: duplicate key value" in body

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "intake_sweep.load_letter" in logged and "138****5678" in logged
    assert FULL_PHONE not in logged and FULL_ID[6:] not in logged


def test_a_long_error_is_cut_to_2000_characters(smtp, caplog):
    caplog.set_level(logging.ERROR, logger="xinfang.dags")
    long = "x" * 5_000 + FULL_PHONE + "y" * 100_000
    xinfang_dags.notify_failure(_context(ValueError(long)))
    detail = re.search(r"<pre>(.*)</pre>", smtp[0]["html_content"], re.S).group(1)
    assert len(detail) == 2_000 and detail.endswith("…")
    assert detail.startswith("ValueError: xxx")
    logged = caplog.records[-1].getMessage()
    assert len(logged) < 2_200 and FULL_PHONE not in logged


def test_without_recipients_only_the_masked_log_line(smtp, caplog, monkeypatch):
    monkeypatch.delenv("XINFANG_ALERT_EMAIL")
    caplog.set_level(logging.ERROR, logger="xinfang.dags")
    xinfang_dags.notify_failure(_context(RuntimeError(f"phone {FULL_PHONE}")))
    assert smtp == []
    assert "phone 138****5678" in caplog.records[-1].getMessage()


def test_a_failing_mail_does_not_raise(monkeypatch, caplog):
    from airflow.providers.smtp.notifications import smtp as module

    class Broken(FakeNotifier):
        def notify(self, context) -> None:
            raise OSError("smtp down")

    monkeypatch.setattr(module, "SmtpNotifier", Broken)
    monkeypatch.setenv("XINFANG_ALERT_EMAIL", "ops@court.example")
    caplog.set_level(logging.ERROR, logger="xinfang.dags")
    xinfang_dags.notify_failure(_context(RuntimeError(FULL_ID)))
    messages = [r.getMessage() for r in caplog.records]
    assert any("could not e-mail the failure alert" in m for m in messages)
    assert not any(FULL_ID in m for m in messages)

"""Notifications e-mailed through Airflow's SMTP provider, only where SMTP is configured."""

from __future__ import annotations

import email
import logging
import socketserver
import threading
from email.header import decode_header, make_header

import pytest
import sqlalchemy as sa
from escalation_helpers import D, add_progress, new_case

from xinfang import escalation, notify
from xinfang.config import get_config
from xinfang.schema import notification


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP to receive messages (no TLS, no auth)."""

    def handle(self) -> None:
        self.wfile.write(b"220 test ESMTP\r\n")
        data_mode, lines, rcpt = False, [], []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            if data_mode:
                if line in (b".\r\n", b".\n"):
                    self.server.messages.append((rcpt, b"".join(lines)))
                    data_mode, lines, rcpt = False, [], []
                    self.wfile.write(b"250 OK\r\n")
                else:
                    lines.append(line)
                continue
            cmd = line.decode(errors="replace").strip().upper()
            if cmd.startswith("EHLO"):
                self.wfile.write(b"250-test\r\n250 8BITMIME\r\n")
            elif cmd.startswith("RCPT"):
                rcpt.append(line.decode().split(":", 1)[1].strip().strip("<>"))
                self.wfile.write(b"250 OK\r\n")
            elif cmd == "DATA":
                data_mode = True
                self.wfile.write(b"354 go ahead\r\n")
            elif cmd == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 OK\r\n")


@pytest.fixture
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.messages = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _unsent(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count())
            .select_from(notification)
            .where(notification.c.sent_at.is_(None))
        ).scalar_one()


def test_without_smtp_nothing_is_sent(engine, monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_SMTP_DEFAULT", raising=False)
    monkeypatch.setattr(notify, "smtp_configured", lambda conn_id="smtp_default": False)
    new_case(engine, D("2023-07-03"))
    escalation.sweep(engine, D("2023-07-12"))
    before = _unsent(engine)
    assert before == 2
    with caplog.at_level(logging.INFO, logger="xinfang.notify"):
        out = notify.send_pending(engine)
    assert out["sent"] == 0 and out["pending"] == 2
    assert _unsent(engine) == 2
    assert "no SMTP connection" in caplog.text


def test_with_smtp_notifications_are_mailed_once(engine, smtp_server, monkeypatch, tmp_path):
    port = smtp_server.server_address[1]
    monkeypatch.setenv(
        "AIRFLOW_CONN_SMTP_DEFAULT",
        f"smtp://127.0.0.1:{port}/?disable_ssl=true&disable_tls=true&retry_limit=0"
        "&from_email=xinfang%40court.example",
    )
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(
        "notify:\n  addresses: {王法官: wang@court.example}\n  default_to: office@court.example\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XINFANG_CONFIG", str(cfg))
    assert get_config().raw["notify"]["default_to"] == "office@court.example"
    cid = new_case(engine, D("2023-07-03"))
    with engine.begin() as conn:
        add_progress(conn, cid, D("2023-07-04"), judge="王法官")
    escalation.sweep(engine, D("2023-07-12"))
    out = notify.send_pending(engine)
    assert out["sent"] == 2 and out["no_address"] == 0
    assert _unsent(engine) == 0
    rcpts = sorted(r[0] for r, _ in smtp_server.messages)
    assert rcpts == ["office@court.example", "wang@court.example"]
    subjects = sorted(
        str(make_header(decode_header(email.message_from_bytes(m)["Subject"])))
        for _, m in smtp_server.messages
    )
    assert any("升级" in s and "第2级" in s for s in subjects)
    # nothing is sent twice
    assert notify.send_pending(engine)["sent"] == 0
    assert len(smtp_server.messages) == 2

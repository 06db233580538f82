"""`appcomply serve --workers N`: every worker's socket is TCP (so accepted connections get TCP_NODELAY and
keep-alive answers do not wait ~40 ms for a delayed ACK), the workers share the port, and SIGTERM stops them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from appcomply.web.serving import listening_socket


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_worker_sockets_are_tcp_and_share_the_port() -> None:
    port = _free_port()
    first, second = listening_socket("127.0.0.1", port), listening_socket("127.0.0.1", port)
    try:
        assert first.proto == socket.IPPROTO_TCP
        first.listen()
        second.listen()
        with socket.create_connection(("127.0.0.1", port)):
            pass
    finally:
        first.close()
        second.close()


@pytest.mark.slow
def test_two_workers_serve_and_stop_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ, "APPCOMPLY_DATABASE__URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "APPCOMPLY_NOTICES__DRAIN_IN_PROCESS": "false",
    }  # fmt: skip
    executable = str(Path(sys.executable).with_name("appcomply"))
    command = [executable, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
                    answers = [client.get("/healthz").status_code for _ in range(20)]
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else b""
                assert time.monotonic() < deadline, "the workers did not start"
                time.sleep(0.2)
        assert answers == [200] * 20
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()
    assert code == 0

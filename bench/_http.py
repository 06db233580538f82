"""Real HTTP for the benchmarks: `appcomply serve --workers N` in a subprocess on loopback, loaded by wrk when it is
installed (`apt-get install wrk`) or else by a Python load generator (which then shares the two cores with the
server; its figures are a floor). Every figure is printed beside GET /healthz measured the same way."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True, slots=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str

    def line(self, name: str) -> str:
        return (
            f"{name:<34} {self.requests_per_second:8,.0f} req/s   p50 {self.p50_ms:6.2f} ms   p99 {self.p99_ms:6.2f} ms"
            f"   errors {self.errors}   ({self.tool})"
        )


def server_arguments(parser: argparse.ArgumentParser, *, seconds: float = 10) -> None:
    """The options every HTTP benchmark takes: the database, the load duration, the server's worker processes."""
    parser.add_argument("--database-url", help="run on this database (schema reset!); default a temp SQLite file")
    parser.add_argument("--seconds", type=float, default=seconds, help="load duration per figure")
    parser.add_argument("--workers", type=int, default=2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(database_url: str, *, workers: int = 2, env: dict[str, str] | None = None) -> Iterator[str]:
    """`appcomply serve` with `workers` processes on a free loopback port; yields the base URL."""
    port = _free_port()
    environment = {
        **os.environ, "APPCOMPLY_DATABASE__URL": database_url, "APPCOMPLY_NOTICES__DRAIN_IN_PROCESS": "false",
        "APPCOMPLY_LOG_LEVEL": "WARNING", **(env or {}),
    }  # fmt: skip
    executable = str(Path(sys.executable).with_name("appcomply"))
    command = [executable, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with _running(command, environment, port) as base:
        yield base


@contextmanager
def serve_bare(*, workers: int = 2) -> Iterator[str]:
    """A bare Starlette app answering GET /healthz, served by the same multi-process server as `appcomply serve`:
    the reference that tells whether appcomply's own /healthz costs what serving costs."""
    port = _free_port()
    code = (
        "from appcomply.web.serving import serve_workers; "
        f"raise SystemExit(serve_workers('127.0.0.1', {port}, workers={workers}, factory='bench._bare:create_app'))"
    )
    root = str(Path(__file__).resolve().parents[1])
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
    with _running([sys.executable, "-c", code], environment, port) as base:
        yield base


@contextmanager
def _running(command: list[str], environment: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


_WRK_SCRIPT = """
local bodies, sources = {}, {}
local i, j = 0, 0
for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
for line in io.lines("%(sources)s") do sources[#sources + 1] = line end
wrk.method = "%(method)s"
wrk.headers["Content-Type"] = "application/json"
%(headers)s
request = function()
  i = i %% #bodies + 1
  local headers = nil
  if #sources > 0 then
    j = j %% #sources + 1
    headers = {}  -- wrk.format takes these instead of wrk.headers, not as well
    for k, v in pairs(wrk.headers) do headers[k] = v end
    headers["X-Forwarded-For"] = sources[j]
  end
  if wrk.method == "GET" then return wrk.format(nil, bodies[i], headers) end
  return wrk.format(nil, "%(path)s", headers, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "JSON{\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50\\": %%f, \\"p99\\": %%f, \\"errors\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def load(
    base: str,
    method: str,
    path: str,
    payloads: Sequence[str],
    *,
    headers: dict[str, str] | None = None,
    seconds: float = 10,
    connections: int = 16,
    sources: Sequence[str] = (),
) -> Load:
    """Load `method path` for `seconds`: for POST each request sends the next payload (a JSON body); for GET each
    payload is the path to get. With `sources`, each request comes from the next address in turn, as a reverse proxy
    tells it (`X-Forwarded-For`, which the server trusts from 127.0.0.1, uvicorn's default). Non-2xx answers count as
    errors."""
    run = _Run(base, method, path, payloads, headers or {}, seconds, connections, sources)
    return _wrk(run) if shutil.which("wrk") else _python(run)


@dataclass(frozen=True, slots=True)
class _Run:
    base: str
    method: str
    path: str
    payloads: Sequence[str]
    headers: dict[str, str]
    seconds: float
    conns: int
    sources: Sequence[str]


def _wrk(run: _Run) -> Load:
    base, method, path, payloads, headers, seconds, conns, sources = (
        run.base, run.method, run.path, run.payloads, run.headers, run.seconds, run.conns, run.sources
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        bodies, addresses, script = Path(tmp) / "bodies.txt", Path(tmp) / "sources.txt", Path(tmp) / "load.lua"
        bodies.write_text("\n".join(payloads) + "\n", encoding="utf-8")
        addresses.write_text("".join(f"{a}\n" for a in sources), encoding="utf-8")
        header_lines = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
        values = {"bodies": bodies, "sources": addresses, "method": method, "path": path, "headers": header_lines}
        script.write_text(_WRK_SCRIPT % values, encoding="utf-8")
        wrk = shutil.which("wrk") or "wrk"
        out = subprocess.run(  # noqa: S603 - our own arguments
            [wrk, "-t", "2", "-c", str(conns), "-d", f"{seconds:.0f}s", "--latency", "-s", str(script), base],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    figures = json.loads(out[out.index("JSON") + 4 :].splitlines()[0])
    return Load(figures["requests"] / figures["seconds"], figures["p50"], figures["p99"], int(figures["errors"]), "wrk")


def _python(run: _Run) -> Load:
    base, method, path, payloads, headers, seconds, conns, sources = (
        run.base, run.method, run.path, run.payloads, run.headers, run.seconds, run.conns, run.sources
    )  # fmt: skip
    samples: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(offset: int) -> None:
        local: list[float] = []
        failed = 0
        with httpx.Client(base_url=base, headers=headers) as client:
            i = offset
            while time.monotonic() < stop:
                payload = payloads[i % len(payloads)]
                extra = {"X-Forwarded-For": sources[i % len(sources)]} if sources else {}
                started = time.perf_counter()
                if method == "GET":
                    response = client.get(payload, headers=extra)
                else:
                    response = client.request(method, path, content=payload,
                                              headers={"Content-Type": "application/json", **extra})  # fmt: skip
                local.append((time.perf_counter() - started) * 1000)
                failed += not response.is_success
                i += conns
        with lock:
            samples.extend(local)
            errors[0] += failed

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(conns)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(samples, n=100)
    return Load(len(samples) / elapsed, cuts[49], cuts[98], errors[0], "python load generator")

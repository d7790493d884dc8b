"""Start real Comptoir processes (API server, workers) for multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def comptoir_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env.update(
        {
            "COMPTOIR_DATABASE_URL": database_url,
            "COMPTOIR_ENV": "test",
            "COMPTOIR_SECRET_KEY": "test-secret-key-0123456789-0123456789",
            "COMPTOIR_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


def start(
    args: list[str], env: dict[str, str], log: Path, *, launcher: Sequence[str] = ("comptoir.cli",)
) -> subprocess.Popen[bytes]:
    """``python -m <launcher…> <args…>``: the ``comptoir`` command, or a test wrapper that prepares the
    process before running it (e.g. ``tests.support.paused_checkout``)."""
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", *launcher, *args],
        env=env,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def launch_server(
    database_url: str,
    log: Path,
    *,
    workers: int = 1,
    launcher: Sequence[str] = ("comptoir.cli",),
    **extra: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """``comptoir serve --no-dispatcher`` on a free port, not waiting for it (see ``wait_ready``)."""
    port = free_port()
    proc = start(
        ["serve", "--port", str(port), "--workers", str(workers), "--no-dispatcher"],
        comptoir_env(database_url, **extra),
        log,
        launcher=launcher,
    )
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(proc: subprocess.Popen[bytes], base: str, log: Path, wait_seconds: float = 180) -> None:
    """Wait for ``/readyz``: a busy shared machine can take minutes to import every domain."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def start_server(
    database_url: str,
    log: Path,
    *,
    workers: int = 1,
    wait_seconds: float = 180,
    launcher: Sequence[str] = ("comptoir.cli",),
    **extra: str,
) -> tuple[subprocess.Popen[bytes], str]:
    proc, base = launch_server(database_url, log, workers=workers, launcher=launcher, **extra)
    wait_ready(proc, base, log, wait_seconds)
    return proc, base


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

"""Real processes for tests: free ports, a server or worker on a data directory, HTTP waits."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from tests.databases import database_uri, on_postgres

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def archive_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a real archive process on its own data directory."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    env.update(
        ARCHIVE_DATA_DIR=str(data_dir),
        SECRET_KEY="test-secret-for-processes",
        PYTHONPATH=str(ROOT),
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    if on_postgres():  # the directory's own database (empty unless a test's app made it)
        env["DATABASE_URL"] = database_uri(data_dir, tables=False).replace("+psycopg", "", 1)
    env.update(extra)
    return env


def flask(data_dir: Path, *args: str, input: str | None = None, **env: str):
    """Run `flask --app wsgi …` to completion."""
    return subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=archive_env(data_dir, **env),
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


def wait_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until the URL answers (any HTTP status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before serving {url}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15.0) -> None:
    """Stop a process started in its own session, with its children."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)


@contextmanager
def running(cmd: list[str], env: dict[str, str], log: Path):
    """A process in its own session, logging to a file, stopped at the end."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield proc
        finally:
            stop(proc)


def gunicorn(data_dir: Path, port: int, log: Path, *, workers: int = 2, **env: str):
    """gunicorn serving wsgi:app on 127.0.0.1:port."""
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--timeout",
        "120",
        "wsgi:app",
    ]
    return running(cmd, archive_env(data_dir, **env), log)


def get(url: str, headers: dict | None = None, timeout: float = 30):
    """(status, body bytes) of a GET; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def post_multipart(url: str, fields: dict[str, str], file_name: str, content: bytes, headers: dict):
    """POST a multipart form with one file in field `file`; returns (status, body bytes)."""
    import uuid

    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    request = urllib.request.Request(
        url,
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def post_json(url: str, body: dict, headers: dict):
    import json

    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()

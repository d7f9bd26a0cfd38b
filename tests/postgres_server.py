"""A throwaway PostgreSQL server for one command: `python tests/postgres_server.py -- pytest …`.

Installs Debian's `postgresql` package when no initdb is found, creates a cluster in a
temporary directory (owned by the `postgres` user when run as root: the server refuses
root), starts it on a free loopback port with its unix socket in that directory, runs the
command with ARCHIVE_TEST_DATABASE set to the server's maintenance database, and removes
the cluster afterwards, whatever happened. The exit status is the command's.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

INITDB_GLOB = "/usr/lib/postgresql/*/bin/initdb"
#: durability is pointless for a cluster that is deleted afterwards; speed is not
SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "300",
    "shared_buffers": "64MB",
}


def _bin_dir() -> Path:
    found = sorted(glob.glob(INITDB_GLOB))
    if not found:
        print("postgres_server: installing Debian's postgresql package", flush=True)
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        found = sorted(glob.glob(INITDB_GLOB))
    if not found:
        sys.exit("postgres_server: no initdb after installing postgresql")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_owner(cmd: list[str]) -> list[str]:
    """Run as the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _raise_on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def main(argv: list[str]) -> int:
    if "--" in argv:
        argv = argv[argv.index("--") + 1 :]
    if not argv:
        sys.exit("usage: postgres_server.py -- COMMAND [ARGS…]")
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="archive-pg-"))
    data, log = root / "data", root / "server.log"
    started = False
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_on_signal)
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = _free_port()
        options = " ".join(
            [f"-p {port}", "-h 127.0.0.1", f"-k {root}"]
            + [f"-c {name}={value}" for name, value in SETTINGS.items()]
        )
        subprocess.run(
            _as_owner(
                [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options]
                + ["-w", "-t", "60", "start"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        print(f"postgres_server: PostgreSQL ({bin_dir.parent.name}) at {url}", flush=True)
        began = time.monotonic()
        result = subprocess.run(argv, env=os.environ | {"ARCHIVE_TEST_DATABASE": url})
        print(f"postgres_server: command took {time.monotonic() - began:.1f} s", flush=True)
        return result.returncode
    except subprocess.CalledProcessError as err:
        if log.exists():
            print(log.read_text()[-3000:], file=sys.stderr)
        print(f"postgres_server: {err}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if started:
            with contextlib.suppress(Exception):
                subprocess.run(
                    _as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate"])
                    + ["-w", "stop"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=60,
                )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Starting, finding and stopping a consortium's node processes.

Promises: ``start`` launches a node detached from the terminal, its output appended to
its log file, and records its pid; ``running`` trusts a pid file only while that
process is alive and is a provledger node of this folder (a stale or reused pid is
ignored and its file removed); ``stop`` sends SIGTERM, waits, and only then SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nodes.consortium.layout import Layout

NODE_COMMAND = (sys.executable, "-m", "nodes.cli", "node", "run")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def running(layout: Layout, name: str) -> int | None:
    """The pid of node ``name`` if it is running, else None."""
    path = layout.pid(name)
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        path.unlink(missing_ok=True)
        return None
    if exited(pid) or str(layout.config(name).resolve()) not in _cmdline(pid):
        path.unlink(missing_ok=True)  # gone, a zombie, or a reused pid
        return None
    return pid


def start(layout: Layout, name: str) -> int:
    """Launch node ``name`` in the background; its pid."""
    layout.log(name).parent.mkdir(parents=True, exist_ok=True)
    layout.pid(name).parent.mkdir(parents=True, exist_ok=True)
    with open(layout.log(name), "ab") as log:
        proc = subprocess.Popen(
            [*NODE_COMMAND, "--config", str(layout.config(name).resolve())],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=layout.root.resolve(),
        )
    layout.pid(name).write_text(f"{proc.pid}\n")
    return proc.pid


def exited(pid: int) -> bool:
    """True once process ``pid`` is gone (reaping it if it is our child)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return True
    return Path(f"/proc/{pid}/stat").exists() and " Z " in Path(f"/proc/{pid}/stat").read_text()


def stop(layout: Layout, name: str, timeout: float = 15.0) -> bool:
    """Stop node ``name`` gracefully (SIGKILL after ``timeout`` s); False if it was not up."""
    pid = running(layout, name)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while not exited(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            while not exited(pid):
                time.sleep(0.05)
            break
        time.sleep(0.05)
    layout.pid(name).unlink(missing_ok=True)
    return True

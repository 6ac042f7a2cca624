"""A real consortium on loopback for tests: node processes started and stopped through
the real CLI (``python -m nodes.cli consortium ...``), with short consensus timeouts.

Promises: ports are free when chosen; every process a cluster ever started is gone
after ``close()`` (``consortium down``, then SIGKILL by pid for anything left); no
product behaviour is worked around here: helpers only observe and wait. The one
exception is ``start_node``, which starts one node with a test's own command line
(e.g. ``tests/divergent_node.py``) where ``consortium up`` would start the real one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ledger.keys import SigningKey, read_key_file
from ledger.model.block import BlockHeader
from ledger.model.genesis import Genesis
from ledger.model.transaction import SignedTransaction, Transaction
from nodes.bootstrap import load_genesis

REPO = Path(__file__).resolve().parent.parent
FAST_TIMEOUTS = {
    "propose_timeout": 0.4,
    "propose_delta": 0.2,
    "vote_timeout": 0.2,
    "vote_delta": 0.1,
}
T = TypeVar("T")


def cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``provledger ARGS`` as a real process; its completed process."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PROVLEDGER_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "nodes.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=timeout,
    )


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_base_port(n: int) -> int:
    """A port P such that P .. P+n-1 are all free on 127.0.0.1 right now, below
    Linux's default ephemeral range (32768-60999) so that no outgoing connection
    takes one of them before the nodes bind."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 32_000 - n)
        if all(_port_free(base + i) for i in range(n)):
            return base
    raise RuntimeError(f"no {n} consecutive free ports found")


def wait_until(predicate: Callable[[], T], timeout: float, what: str, every: float = 0.1) -> T:
    """Poll ``predicate`` until it returns something truthy; that value. AssertionError
    naming ``what`` (and the last value) after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = predicate()
        except httpx.TransportError as exc:
            last = exc
        else:
            if last:
                return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last: {last}")
        time.sleep(every)


def pid_alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Cluster:
    """A consortium folder at ``root`` with ``n`` nodes, driven through the CLI."""

    def __init__(
        self,
        root: Path,
        n: int = 3,
        *,
        timeouts: dict[str, float] | None = None,
        limits: dict[str, int] | None = None,
    ) -> None:
        self.root = Path(root)
        self.n = n
        self.timeouts = dict(FAST_TIMEOUTS if timeouts is None else timeouts)
        self.limits = dict(limits or {})
        self.base_port = 0
        self.http = httpx.Client(timeout=httpx.Timeout(15.0, connect=2.0))
        self._pids: set[int] = set()
        self._own_command: set[int] = set()  # pids started by ``start_node``
        self._genesis: Genesis | None = None

    # ---- life cycle --------------------------------------------------------------

    def init(self) -> subprocess.CompletedProcess[str]:
        """``consortium init`` on free ports, then shorten timeouts and set limits."""
        self.base_port = free_base_port(self.n)
        done = cli(
            "consortium",
            "init",
            self.root,
            "--nodes",
            str(self.n),
            "--base-port",
            str(self.base_port),
            "--json",
        )
        assert done.returncode == 0, done.stderr
        for name in self.names:
            path = self.config_path(name)
            obj = json.loads(path.read_text())
            obj["timeouts"] = dict(self.timeouts)
            obj["limits"].update(self.limits)
            path.write_text(json.dumps(obj, indent=2) + "\n")
        return done

    def up(self, timeout: float = 40) -> dict[str, Any]:
        """``consortium up --json``; its answer (the status rows)."""
        done = cli("consortium", "up", self.root, "--json", "--timeout", str(timeout))
        self._remember_pids()
        assert done.returncode == 0, f"consortium up failed: {done.stderr}\n{self.log_tails()}"
        return json.loads(done.stdout)

    def down(self) -> subprocess.CompletedProcess[str]:
        """``consortium down --json``."""
        self._remember_pids()
        return cli("consortium", "down", self.root, "--json", timeout=90)

    def status(self) -> subprocess.CompletedProcess[str]:
        """``consortium status --json``."""
        return cli("consortium", "status", self.root, "--json")

    def close(self) -> None:
        """Stop everything; as a last resort SIGKILL every pid this cluster started."""
        with contextlib.suppress(Exception):
            self.down()
        self._remember_pids()
        for pid in self._pids:
            if pid_alive(pid) and self._is_ours(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for pid in self._pids:
            with contextlib.suppress(AssertionError):
                wait_until(lambda p=pid: not pid_alive(p), 5, f"pid {pid} to exit")
        self.http.close()

    def start_node(self, name: str, command: Iterable[str]) -> int:
        """Start node ``name`` as ``COMMAND --config DIR/nodes/<name>/node.json``, as
        ``consortium up`` starts ``python -m nodes.cli node run`` (detached, output
        appended to DIR/logs/<name>.log, pid in DIR/run/<name>.pid, cwd DIR); its pid.

        ``consortium up`` then counts the node as running (its command line names its
        node.json), waits for it with the others, and ``down``/``close`` stop it."""
        config = self.config_path(name).resolve()
        log = self.root / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        (self.root / "run").mkdir(parents=True, exist_ok=True)
        env = {**os.environ}
        env.pop("PROVLEDGER_DEBUG", None)
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [*command, "--config", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.root.resolve(),
                env=env,
            )
        (self.root / "run" / f"{name}.pid").write_text(f"{proc.pid}\n")
        self._pids.add(proc.pid)
        self._own_command.add(proc.pid)
        return proc.pid

    def _is_ours(self, pid: int) -> bool:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"node.json" in cmd and (b"nodes.cli" in cmd or pid in self._own_command)

    def _remember_pids(self) -> None:
        for name in self.names:
            pid = self.pid(name)
            if pid is not None:
                self._pids.add(pid)

    # ---- layout ------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """Node names, sorted (as the CLI lists them)."""
        return sorted(p.parent.name for p in (self.root / "nodes").glob("*/node.json"))

    def config_path(self, name: str) -> Path:
        return self.root / "nodes" / name / "node.json"

    def db_path(self, name: str) -> Path:
        return self.root / "nodes" / name / "ledger.sqlite"

    def url(self, name: str) -> str:
        return json.loads(self.config_path(name).read_text())["url"]

    def pid(self, name: str) -> int | None:
        """The pid recorded in DIR/run/<name>.pid, if any."""
        try:
            return int((self.root / "run" / f"{name}.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def log_tails(self, lines: int = 15) -> str:
        out = []
        for path in sorted((self.root / "logs").glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)

    @property
    def genesis(self) -> Genesis:
        if self._genesis is None:
            self._genesis = load_genesis(self.root / "genesis.json")
        return self._genesis

    @property
    def chain_id(self) -> str:
        return self.genesis.chain_id

    @property
    def orgs(self) -> list[str]:
        return [o.name for o in self.genesis.organisations]

    def member_key(self, org: str) -> SigningKey:
        return read_key_file(self.root / "keys" / f"{org}.member.pem")

    def node_key(self, org: str) -> SigningKey:
        return read_key_file(self.root / "keys" / f"{org}.node.pem")

    # ---- processes ---------------------------------------------------------------

    def kill(self, *names: str, reaped: bool = True) -> list[int]:
        """SIGKILL nodes ``names`` by their pid files and wait until they are dead;
        their pids.

        With ``reaped`` also wait (up to 10 s) until their zombies are reaped by
        whoever inherited them, as an operator's next command normally finds them.
        Tests of what the CLI says right after a crash pass ``reaped=False``."""
        pids = []
        for name in names:
            pid = self.pid(name)
            assert pid is not None, f"{name} has no pid file"
            self._pids.add(pid)
            os.kill(pid, signal.SIGKILL)
            pids.append(pid)
        for name, pid in zip(names, pids, strict=True):
            wait_until(lambda p=pid: not pid_alive(p), 10, f"{name} (pid {pid}) to die")
        if reaped:
            for pid in pids:
                with contextlib.suppress(AssertionError):
                    wait_until(lambda p=pid: not Path(f"/proc/{p}").exists(), 10, f"{pid} reaped")
        return pids

    # ---- HTTP --------------------------------------------------------------------

    def get(self, name: str, path: str, **params: Any) -> httpx.Response:
        return self.http.get(self.url(name) + path, params=params or None)

    def post(self, name: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.post(self.url(name) + path, **kwargs)

    def head(self, name: str) -> dict[str, Any]:
        resp = self.get(name, "/v1/head")
        assert resp.status_code == 200, resp.text
        return resp.json()

    def heads(self, names: Iterable[str] | None = None) -> dict[str, tuple[int, str | None]]:
        out = {}
        for name in names or self.names:
            h = self.head(name)
            out[name] = (h["height"], h["block_hash"])
        return out

    def wait_agree(
        self, names: Iterable[str] | None = None, min_height: int = 1, timeout: float = 30
    ) -> tuple[int, str]:
        """Wait until ``names`` (default all) report the same head at >= ``min_height``
        twice in a row 0.3 s apart; that head."""
        names = list(names or self.names)

        def same() -> tuple[int, str] | None:
            heads = set(self.heads(names).values())
            if len(heads) != 1:
                return None
            ((height, block_hash),) = heads
            if height < min_height:
                return None
            time.sleep(0.3)
            return (height, block_hash) if set(self.heads(names).values()) == heads else None

        return wait_until(same, timeout, f"{names} to agree at height >= {min_height}")

    # ---- transactions ------------------------------------------------------------

    def anchor_tx(self, key: SigningKey, digest: str | None = None) -> SignedTransaction:
        args = {"sha256": digest or os.urandom(32).hex(), "size": random.randrange(1, 10**6)}
        return Transaction.new(key, self.chain_id, "evidence", "anchor", args).sign(key)

    def make_txs(self, count: int) -> list[SignedTransaction]:
        """``count`` anchors signed by the member keys of every organisation in turn."""
        keys = [self.member_key(o) for o in self.orgs]
        return [self.anchor_tx(keys[i % len(keys)]) for i in range(count)]

    def submit_batch(self, name: str, txs: list[SignedTransaction]) -> dict[str, Any]:
        body = {"transactions": [tx.to_dict() for tx in txs]}
        resp = self.post(name, "/v1/transactions/batch", json=body)
        assert resp.status_code == 200, resp.text
        answer = resp.json()
        assert answer["refused"] == 0, answer
        return answer

    def tx_status(self, name: str, tx_id: str, wait: float = 0) -> dict[str, Any]:
        resp = self.get(name, f"/v1/transactions/{tx_id}", **({"wait": wait} if wait else {}))
        assert resp.status_code == 200, resp.text
        return resp.json()

    def wait_committed(
        self, name: str, tx_ids: Iterable[str], timeout: float = 60
    ) -> dict[str, dict[str, Any]]:
        """Wait until each of ``tx_ids`` is ``committed`` on node ``name``; statuses."""
        deadline = time.monotonic() + timeout
        out = {}
        for tx_id in tx_ids:
            while True:
                left = deadline - time.monotonic()
                st = self.tx_status(name, tx_id, wait=max(0.1, min(5.0, left)))
                if st["status"] == "committed":
                    out[tx_id] = st
                    break
                assert st["status"] == "pending", st
                assert left > 0, f"{tx_id[:16]} not committed on {name} in {timeout:g} s: {st}"
        return out

    def blocks(self, name: str, top: int) -> Iterator[dict[str, Any]]:
        for height in range(1, top + 1):
            resp = self.get(name, f"/v1/blocks/{height}")
            assert resp.status_code == 200, f"{name} block {height}: {resp.text}"
            yield resp.json()

    def ledger_map(self, name: str, top: int) -> tuple[list[str], dict[str, tuple[int, int]]]:
        """Node ``name``'s block hashes 1..top and where each transaction sits:
        tx id -> (height, log index)."""
        hashes, where = [], {}
        for item in self.blocks(name, top):
            header = item["block"]["header"]
            hashes.append(BlockHeader.from_dict(header).block_hash)
            first = header["log_size"] - header["tx_count"]
            for i, tx in enumerate(item["block"]["transactions"]):
                where[SignedTransaction.from_dict(tx).tx_id] = (header["height"], first + i)
        return hashes, where

    def audit(self) -> subprocess.CompletedProcess[str]:
        return cli("audit", "--consortium", self.root, "--json")


@contextlib.contextmanager
def running(root: Path, n: int = 3, **options: Any) -> Iterator[Cluster]:
    """A cluster at ``root`` initialised and up; always closed (no process left)."""
    cluster = Cluster(root, n, **options)
    try:
        cluster.init()
        cluster.up()
        yield cluster
    finally:
        cluster.close()

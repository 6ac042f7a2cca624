"""Real node processes on loopback under load and crashes: they commit and agree,
survive ``kill -9`` of one node without losing anything committed, stop committing
without a quorum, and resume when it returns. Audited at the end."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from ledger.model.transaction import SignedTransaction
from tests.cluster import Cluster, pid_alive, running, wait_until

BATCH = 100


@pytest.fixture
def cluster3(tmp_path) -> Iterator[Cluster]:
    with running(tmp_path / "c3", 3) as c:
        yield c


@pytest.fixture
def cluster4(tmp_path) -> Iterator[Cluster]:
    with running(tmp_path / "c4", 4) as c:
        yield c


class Load:
    """Background batches of fresh anchors submitted to ``targets`` in turn."""

    def __init__(self, cluster: Cluster, targets: list[str], batch: int = 25) -> None:
        self.cluster, self.targets, self.batch = cluster, targets, batch
        self.sent: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            txs = self.cluster.make_txs(self.batch)
            target = self.targets[i % len(self.targets)]
            i += 1
            try:
                self.cluster.submit_batch(target, txs)
            except Exception as exc:  # recorded and asserted on by the test
                self.errors.append(f"{target}: {exc!r}")
                return
            self.sent.extend(tx.tx_id for tx in txs)
            time.sleep(0.05)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)


def _submit(cluster: Cluster, txs: list[SignedTransaction], targets: list[str]) -> None:
    for i in range(0, len(txs), BATCH):
        cluster.submit_batch(targets[(i // BATCH) % len(targets)], txs[i : i + BATCH])


def _assert_agree_and_kept(
    cluster: Cluster, committed: dict[str, tuple[int, int]], top: int
) -> None:
    """Every node holds the same blocks 1..top, and every transaction in ``committed``
    at its recorded height and log index."""
    maps = {name: cluster.ledger_map(name, top) for name in cluster.names}
    hashes = {name: m[0] for name, m in maps.items()}
    first = next(iter(hashes.values()))
    assert all(h == first for h in hashes.values()), "nodes hold different blocks"
    for name, (_, where) in maps.items():
        lost = {t: w for t, w in committed.items() if where.get(t) != w}
        assert not lost, f"{name}: {len(lost)} committed txs moved or lost, e.g. {lost}"


@pytest.mark.slow
def test_three_nodes_commit_survive_kill_and_quorum_loss(cluster3: Cluster):
    c = cluster3
    a, b, victim = c.names  # cetc-node, sasac-node, sinochem-node

    # 1. 1,000 transactions from all three organisations, through all three nodes.
    t0 = time.monotonic()
    txs = c.make_txs(1000)
    _submit(c, txs, c.names)
    statuses = c.wait_committed(a, [tx.tx_id for tx in txs], timeout=60)
    committed = {t: (s["height"], s["log_index"]) for t, s in statuses.items()}
    assert sorted(w[1] for w in committed.values()) == list(range(1000))
    height, _ = c.wait_agree(min_height=max(h for h, _ in committed.values()))
    print(f"1000 txs committed in {time.monotonic() - t0:.1f} s, {height} blocks")
    _assert_agree_and_kept(c, committed, height)

    # 2. kill -9 one node under load: commits continue on the other two.
    with Load(c, [a, b]) as load:
        wait_until(lambda: len(load.sent) >= 100, 20, "load to start")
        before = c.heads([a])[a][0]
        sent = list(load.sent)
        for tx_id in sent:
            st = c.tx_status(a, tx_id)
            if st["status"] == "committed":
                committed[tx_id] = (st["height"], st["log_index"])
        (killed_pid,) = c.kill(victim)
        kill_height = c.heads([a])[a][0]
        wait_until(lambda: len(load.sent) >= len(sent) + 150, 20, "load after the kill")
    assert not load.errors, load.errors
    assert not pid_alive(killed_pid)
    wait_until(lambda: "provledger_peers_up 1" in c.get(a, "/metrics").text, 5, "peers_up 1")
    statuses = c.wait_committed(a, load.sent, timeout=60)
    assert max(s["height"] for s in statuses.values()) > kill_height >= before
    committed.update({t: (s["height"], s["log_index"]) for t, s in statuses.items()})
    height, _ = c.wait_agree([a, b], min_height=kill_height + 1)

    # 3. restart: `up` starts only the missing node; it catches up to the same head.
    pids = {n: c.pid(n) for n in (a, b)}
    c.up()
    assert {n: c.pid(n) for n in (a, b)} == pids, "up restarted a running node"
    assert c.pid(victim) not in (None, killed_pid)
    assert c.wait_agree(min_height=height)[0] >= height
    _assert_agree_and_kept(c, committed, height)
    for tx_id in list(committed)[::50]:  # the restarted node reports them committed too
        st = c.tx_status(victim, tx_id, wait=5)
        assert st["status"] == "committed", st
        assert (st["height"], st["log_index"]) == committed[tx_id]

    # 4. two nodes down: nothing commits, nothing diverges.
    height, _ = c.wait_agree()
    c.kill(b, victim)
    time.sleep(0.5)  # anything decided before the kill lands now
    frozen = c.heads([a])[a]
    stalled = c.make_txs(20)
    c.submit_batch(a, stalled)
    time.sleep(2.0)  # several rounds at the short timeouts
    assert c.heads([a])[a] == frozen
    assert frozen[0] <= height + 1
    for tx in stalled:
        assert c.tx_status(a, tx.tx_id)["status"] == "pending"

    # 5. both back: progress resumes, the stalled transactions commit everywhere.
    c.up()
    statuses = c.wait_committed(a, [tx.tx_id for tx in stalled], timeout=60)
    committed.update({t: (s["height"], s["log_index"]) for t, s in statuses.items()})
    top, _ = c.wait_agree(min_height=frozen[0] + 1)
    _assert_agree_and_kept(c, committed, top)

    for name in c.names:  # nobody signed two conflicting votes across the crashes
        assert c.get(name, "/v1/misbehaviour").json() == {"evidence": [], "divergences": []}

    # 6. stopped cleanly, every store audits clean and all agree.
    down = c.down()
    assert down.returncode == 0, down.stderr
    audit = c.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] and report["divergence"] is None
    assert {n["head_height"] for n in report["nodes"]} == {top}


def test_four_nodes_tolerate_one_crash(cluster4: Cluster):
    c = cluster4
    assert len(c.names) == 4
    *live, victim = c.names
    txs = c.make_txs(200)
    _submit(c, txs, c.names)
    statuses = c.wait_committed(live[0], [tx.tx_id for tx in txs])
    committed = {t: (s["height"], s["log_index"]) for t, s in statuses.items()}
    height, _ = c.wait_agree(min_height=max(h for h, _ in committed.values()))

    c.kill(victim)
    more = c.make_txs(100)
    _submit(c, more, live)
    statuses = c.wait_committed(live[1], [tx.tx_id for tx in more])
    committed.update({t: (s["height"], s["log_index"]) for t, s in statuses.items()})
    assert max(s["height"] for s in statuses.values()) > height

    c.up()
    top, _ = c.wait_agree(min_height=max(h for h, _ in committed.values()))
    _assert_agree_and_kept(c, committed, top)
    assert c.down().returncode == 0
    audit = c.audit()
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_backlog_larger_than_one_request_still_commits(tmp_path):
    """Transactions admitted one request at a time must commit even when together
    they exceed the body limit: a proposal is a peer request under the same limit."""
    c = Cluster(tmp_path / "backlog", 3, limits={"max_body_bytes": 20_000})
    try:
        c.init()
        c.up()
        a, b, d = c.names
        c.kill(b, d)
        backlog = c.make_txs(60)
        for i in range(0, 60, 20):  # each request ~11 KB, under the limit; ~33 KB in all
            c.submit_batch(a, backlog[i : i + 20])
        assert c.head(a)["height"] == 0
        c.up()
        c.wait_committed(a, [tx.tx_id for tx in backlog], timeout=15)
        c.wait_agree(min_height=1)
    finally:
        c.close()

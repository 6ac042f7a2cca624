"""A client of a consortium: talks to any live node and fails over when one is down.

Promises: a request goes to the node that answered last; on a connection failure or
timeout it tries the next, and raises ``Unreachable`` only when no node answers
(naming the consortium folder, if known, and how to start it). A node's refusal
(4xx) is raised as ``ApiProblem`` with the node's problem detail and is not retried
elsewhere.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx

from ledger.errors import LedgerError
from ledger.model.transaction import SignedTransaction

if TYPE_CHECKING:
    from pathlib import Path

    from nodes.consortium.layout import Layout


class Unreachable(LedgerError):
    """No node of the consortium answered."""


class ApiProblem(LedgerError):
    """A node refused the request (RFC 9457 problem)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        detail = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        super().__init__(f"{detail} (HTTP {status})")
        self.status, self.problem = status, problem


class ConsortiumClient:
    """Requests to the nodes at ``urls``."""

    def __init__(self, urls: list[str], timeout: float = 10.0, folder: Path | None = None) -> None:
        if not urls:
            raise LedgerError("no node URLs to talk to")
        self.urls = urls
        self.folder = folder
        self._current = 0
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=2.0))

    @classmethod
    def of(cls, layout: Layout) -> ConsortiumClient:
        """A client of every node of the consortium folder ``layout``."""
        return cls([c.url for c in layout.configs()], folder=layout.root)

    def close(self) -> None:
        """Close connections."""
        self._http.close()

    def __enter__(self) -> ConsortiumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """The decoded JSON answer of the first node that answers."""
        tried = []
        for step in range(len(self.urls)):
            i = (self._current + step) % len(self.urls)
            try:
                resp = self._http.request(method, self.urls[i] + path, **kwargs)
            except httpx.TransportError as exc:
                tried.append(f"{self.urls[i]} ({type(exc).__name__})")
                continue
            if resp.status_code >= 500 and step < len(self.urls) - 1:
                tried.append(f"{self.urls[i]} (HTTP {resp.status_code})")
                continue
            self._current = i
            if resp.status_code >= 400:
                try:
                    problem = resp.json()
                except ValueError:
                    problem = {"detail": resp.text[:200]}
                raise ApiProblem(resp.status_code, problem if isinstance(problem, dict) else {})
            return resp.json()
        if self.folder is None:
            raise Unreachable(f"no node answers: {', '.join(tried)}")
        raise Unreachable(
            f"no node of the consortium in {self.folder} answers ({', '.join(tried)}); "
            f"start it with: provledger consortium up {self.folder}"
        )

    @property
    def url(self) -> str:
        """The node answering now."""
        return self.urls[self._current]

    def submit(self, tx: SignedTransaction) -> str:
        """Submit ``tx``; its id (an already pending or committed tx is not an error)."""
        try:
            return self.request("POST", "/v1/transactions", json=tx.to_dict())["tx_id"]
        except ApiProblem as exc:
            if exc.status == 409:
                return tx.tx_id
            raise

    def submit_batch(self, txs: list[SignedTransaction]) -> dict[str, Any]:
        """Submit a batch; the node's per-item answer."""
        body = {"transactions": [tx.to_dict() for tx in txs]}
        return self.request("POST", "/v1/transactions/batch", json=body)

    def wait_committed(self, tx: SignedTransaction, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until ``tx`` is committed (stored on a quorum) or rejected; its status.
        If the node answering now never saw it (the one that had it died), submit it
        again there. Raises ``LedgerError`` on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LedgerError(f"transaction {tx.tx_id[:16]}… not committed in {timeout:g} s")
            try:
                status = self.request(
                    "GET", f"/v1/transactions/{tx.tx_id}", params={"wait": min(5.0, left)}
                )
            except ApiProblem as exc:
                if exc.status != 404:
                    raise
                self.submit(tx)
                continue
            if status.get("status") in ("committed", "rejected"):
                return status

"""An HTTP client for one peer node: signed POSTs and plain GETs, with timeouts and
retries, remembering whether the peer answered last time.

Promise: no call raises on network trouble; it returns None after its retries and
marks the peer down, so a dead peer slows nothing but its own queue.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx

from ledger.keys import SigningKey
from nodes.peer.envelope import sign_request

log = logging.getLogger("provledger.peer")

TIMEOUT = httpx.Timeout(10.0, connect=1.0)
RETRY_DELAYS = (0.05, 0.25, 1.0)


class PeerClient:
    """Talks to the peer named ``name`` at ``url``."""

    def __init__(self, name: str, url: str, key: SigningKey, chain_id: str) -> None:
        self.name, self.url = name, url
        self._key, self._chain_id = key, chain_id
        self._http = httpx.AsyncClient(base_url=url, timeout=TIMEOUT)
        self.up = False
        self.height = 0

    async def post(self, path: str, payload: Any, *, retries: int = len(RETRY_DELAYS)) -> Any:
        """POST ``payload`` as signed JSON; the decoded answer, or None on failure."""
        return await self.post_raw(path, _encode(payload), retries=retries)

    async def post_raw(self, path: str, body: bytes, *, retries: int = len(RETRY_DELAYS)) -> Any:
        """POST already encoded JSON ``body``, signed; the decoded answer, or None."""
        for attempt in range(retries + 1):
            headers = sign_request(self._key, self._chain_id, path, body)
            headers["content-type"] = "application/json"
            try:
                resp = await self._http.post(path, content=body, headers=headers)
            except httpx.HTTPError as exc:
                self._down(f"POST {path}: {type(exc).__name__}")
            else:
                if resp.status_code < 300:
                    self.up = True
                    return resp.json() if resp.content else None
                if resp.status_code < 500:  # the peer refused it: retrying will not help
                    self.up = True
                    log.warning("peer %s refused POST %s: %s", self.name, path, resp.text[:300])
                    return None
                self._down(f"POST {path}: HTTP {resp.status_code}")
            if attempt < retries:
                await asyncio.sleep(RETRY_DELAYS[attempt])
        return None

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path``; the decoded JSON, or None on failure."""
        try:
            resp = await self._http.get(path, params=params)
        except httpx.HTTPError as exc:
            self._down(f"GET {path}: {type(exc).__name__}")
            return None
        self.up = True
        if resp.status_code != 200:
            return None
        try:
            return resp.json()
        except ValueError:
            return None

    def _down(self, why: str) -> None:
        if self.up:
            log.warning("peer %s unreachable (%s)", self.name, why)
        self.up = False

    async def close(self) -> None:
        """Close connections."""
        await self._http.aclose()


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()

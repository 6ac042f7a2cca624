"""An HTTP client for one peer node: signed POSTs and plain GETs, with timeouts and
retries, remembering whether the peer answered last time.

Promise: no call raises on network trouble or a strange answer (not JSON, nested too
deeply, larger than ``MAX_RESPONSE_BYTES``); it returns None after its retries and marks
the peer down, so a dead or broken peer slows nothing but its own queue.
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
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a page of catch-up blocks fits well within


class PeerClient:
    """Talks to the peer named ``name`` (its validator name in genesis) at ``url``; every
    POST is addressed to that name and signed afresh, so each attempt has its own nonce."""

    def __init__(self, name: str, url: str, key: SigningKey, chain_id: str) -> None:
        self.name, self.url = name, url
        self._key, self._chain_id = key, chain_id
        self._http = httpx.AsyncClient(base_url=url, timeout=TIMEOUT)
        self.up = False
        self.height = 0

    async def post_raw(self, path: str, body: bytes, *, retries: int = len(RETRY_DELAYS)) -> Any:
        """POST already encoded JSON ``body``, signed; the decoded answer, or None."""
        for attempt in range(retries + 1):
            headers = sign_request(self._key, self._chain_id, self.name, path, body)
            headers["content-type"] = "application/json"
            try:
                status, content = await self._send("POST", path, content=body, headers=headers)
            except (httpx.HTTPError, _TooLarge) as exc:
                self._down(f"POST {path}: {type(exc).__name__}")
            else:
                if status < 300:
                    self.up = True
                    return _decode(content)
                if status < 500:  # the peer refused it: retrying will not help
                    self.up = True
                    text = content[:300].decode("utf-8", "replace")
                    log.warning("peer %s refused POST %s: %s", self.name, path, text)
                    return None
                self._down(f"POST {path}: HTTP {status}")
            if attempt < retries:
                await asyncio.sleep(RETRY_DELAYS[attempt])
        return None

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET ``path``; the decoded JSON, or None on failure or a non-JSON answer."""
        try:
            status, content = await self._send("GET", path, params=params)
        except (httpx.HTTPError, _TooLarge) as exc:
            self._down(f"GET {path}: {type(exc).__name__}")
            return None
        self.up = True
        return _decode(content) if status == 200 else None

    async def _send(self, method: str, path: str, **kwargs: Any) -> tuple[int, bytes]:
        """Status and body, reading at most ``MAX_RESPONSE_BYTES``."""
        async with self._http.stream(method, path, **kwargs) as resp:
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise _TooLarge
                chunks.append(chunk)
            return resp.status_code, b"".join(chunks)

    def _down(self, why: str) -> None:
        if self.up:
            log.warning("peer %s unreachable (%s)", self.name, why)
        self.up = False

    def use(self, transport: httpx.AsyncBaseTransport) -> None:
        """Talk to the peer through ``transport`` from now on (an in-process
        application, or a stand-in that answers as a broken peer would)."""
        self._http = httpx.AsyncClient(base_url=self.url, transport=transport, timeout=TIMEOUT)

    async def close(self) -> None:
        """Close connections."""
        await self._http.aclose()


class _TooLarge(Exception):
    """A peer's answer exceeded ``MAX_RESPONSE_BYTES``."""


def _decode(content: bytes) -> Any:
    """JSON of a peer's answer, or None when it is empty or not JSON (of any kind)."""
    if not content:
        return None
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None

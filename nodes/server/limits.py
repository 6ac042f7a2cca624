"""The HTTP edge of a node: what a request body must be before the application reads it.

Promises, for every request whose body the application reads:

- larger than ``max_bytes``: answered 413 (by ``Content-Length`` before reading, else
  while streaming);
- not all arrived within ``read_seconds`` of the first read: answered 408 and the
  connection closed, so a slow client cannot hold a request open indefinitely;
- a POST, PUT or PATCH whose ``Content-Type`` is not JSON (``application/json`` or
  ``application/*+json``): answered 415;
- a client that hangs up before sending the whole body costs one short log line;
- an unexpected error costs one traceback in the log and a 500 problem answer.

Each refusal is problem details (``nodes.server.problems``). Requests whose body is
never read (GET routes, unknown paths, 405s) pass untouched.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nodes.server.problems import HTTP_TITLES, MEDIA_TYPE, problem_body

log = logging.getLogger("provledger.api")

READ_SECONDS = 20.0
"""Default bound on the time to receive a whole request body."""
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_json_media_type(content_type: bytes | None) -> bool:
    """Whether a ``Content-Type`` header value names JSON (parameters ignored)."""
    if not content_type:
        return False
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class EdgeRefusal(HTTPException):
    """A request refused at the edge, answered as problem details with its connection
    closed. An ``HTTPException``, so that whatever reads the body (a route, or FastAPI
    decoding a body model) lets it through to the problem handlers."""

    def __init__(self, status: int, detail: str, *, close: bool = True) -> None:
        super().__init__(status, detail, {"connection": "close"} if close else None)
        self.status, self.title = status, HTTP_TITLES.get(status, "error")


@dataclass
class _Body:
    """How much of one request's body has arrived."""

    seen: int = 0
    complete: bool = False
    hung_up: bool = False
    deadline: float | None = None
    response_started: bool = False


class BodyLimit:
    """ASGI middleware keeping the promises of this module."""

    def __init__(self, app: ASGIApp, max_bytes: int, read_seconds: float = READ_SECONDS) -> None:
        self.app, self.max_bytes, self.read_seconds = app, max_bytes, read_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._answer(scope, send, self._too_large())
            return
        wants_json = scope["method"] in BODY_METHODS
        json_typed = is_json_media_type(headers.get(b"content-type"))
        body = _Body()

        async def guarded() -> Message:
            if body.complete or body.hung_up:  # after the body: waiting for a disconnect
                return await receive()
            if wants_json and not json_typed:
                raise EdgeRefusal(415, _media_detail(headers))
            if body.deadline is None:
                body.deadline = asyncio.get_running_loop().time() + self.read_seconds
            try:
                async with asyncio.timeout_at(body.deadline):
                    message = await receive()
            except TimeoutError:
                raise EdgeRefusal(
                    408,
                    f"the request body did not arrive within {self.read_seconds:g} s "
                    f"({body.seen} bytes received); send it at once",
                ) from None
            if message["type"] == "http.request":
                body.seen += len(message.get("body", b""))
                if body.seen > self.max_bytes:
                    raise self._too_large()
                body.complete = not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                body.hung_up = True
            return message

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                body.response_started = True
            await send(message)

        try:
            await self.app(scope, guarded, tracking_send)
        except EdgeRefusal as refusal:
            if not body.response_started:
                await self._answer(scope, send, refusal)
        except Exception:
            if not body.hung_up:  # else the client is gone: the one line below says it all
                log.exception("unexpected error on %s", _target(scope))
                if not body.response_started:
                    await self._answer(scope, send, _internal_error())
        if body.hung_up:
            client = scope.get("client") or ("?", 0)
            log.info(
                "client %s hung up during %s after %d of %s body bytes",
                client[0],
                _target(scope),
                body.seen,
                (length or b"?").decode("latin-1")[:20],
            )

    def _too_large(self) -> EdgeRefusal:
        return EdgeRefusal(
            413,
            f"request body exceeds {self.max_bytes} bytes; send smaller batches",
        )

    async def _answer(self, scope: Scope, send: Send, refusal: EdgeRefusal) -> None:
        """Send ``refusal`` as problem details, with its headers."""
        raw = json.dumps(
            problem_body(refusal.status, refusal.title, refusal.detail, scope.get("path", ""))
        ).encode()
        headers = [
            (b"content-type", MEDIA_TYPE.encode()),
            (b"content-length", str(len(raw)).encode()),
        ]
        headers += [(k.lower().encode(), v.encode()) for k, v in (refusal.headers or {}).items()]
        await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
        await send({"type": "http.response.body", "body": raw})


def _internal_error() -> EdgeRefusal:
    return EdgeRefusal(500, "the node failed unexpectedly; the error is in its log", close=False)


def _media_detail(headers: dict[bytes, bytes]) -> str:
    given = headers.get(b"content-type")
    what = f"Content-Type {given.decode('latin-1')!r}" if given else "no Content-Type"
    return f"the body must be JSON sent as Content-Type application/json; got {what}"


def _target(scope: Scope) -> str:
    return f"{scope.get('method', '?')} {scope.get('path', '?')}"

"""Errors as RFC 9457 problem details (``application/problem+json``).

Promise: every error a node answers is a JSON object with ``type``, ``title``,
``status`` and a ``detail`` a person can act on; never a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ledger.errors import (
    CorruptionError,
    LedgerError,
    NotFoundError,
    SignatureError,
    ValidationError,
)
from nodes.mempool import Refused
from nodes.refusals import RefusalKind

log = logging.getLogger("provledger.api")
MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://provledger.dev/problems/"


class ProblemDetails(BaseModel):
    """The body of every error answer (RFC 9457); routes may add members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="a URI naming the kind of problem")
    title: str = Field(description="a short summary of the kind of problem")
    status: int = Field(ge=400, le=599, description="the HTTP status code")
    detail: str = Field(description="what went wrong here, and what to do next")
    instance: str | None = Field(None, description="the path that was asked for")


_STATUS_TEXT = {
    400: "malformed or invalid request",
    403: "not signed by a member or validator, or not permitted",
    404: "no such object",
    405: "method not allowed (the Allow header lists the methods the path takes)",
    408: "the request body did not arrive in time",
    409: "already pending or committed",
    413: "request too large",
    415: "body is not application/json",
    422: "well-formed but refused",
    500: "internal error or a damaged store (the node's log has it)",
    503: "temporarily unable (mempool full, node not ready)",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a route that may answer each of ``statuses`` with
    problem details."""
    return {
        s: {
            "model": ProblemDetails,
            "description": _STATUS_TEXT.get(s, "error"),
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
        }
        for s in statuses
    }


class Problem(Exception):
    """An error to answer as problem details."""

    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


def problem_body(
    status: int, title: str, detail: str, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The problem-details object."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return body


def problem_response(
    status: int,
    title: str,
    detail: str,
    instance: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """The problem-details response (with ``headers`` when given)."""
    body = problem_body(status, title, detail, instance, **extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


REFUSAL_STATUS: dict[RefusalKind, int] = {
    RefusalKind.MALFORMED: 400,
    RefusalKind.NOT_MEMBER: 403,
    RefusalKind.NOT_PERMITTED: 403,
    RefusalKind.BAD_SIGNATURE: 403,
    RefusalKind.DUPLICATE: 409,
    RefusalKind.WRONG_CHAIN: 422,
    RefusalKind.REJECTED: 422,
    RefusalKind.OUT_OF_TIME: 422,
    RefusalKind.FULL: 503,
}
"""The one table from a refusal's kind to the HTTP status a client sees."""


def refused_problem(refused: Refused) -> dict[str, Any]:
    """A mempool refusal as a problem object (for batch answers)."""
    return problem_body(REFUSAL_STATUS[refused.kind], refused.title, refused.detail)


# The core's typed errors, most specific first: (class, status, title).
_LEDGER_ERRORS: tuple[tuple[type[LedgerError], int, str], ...] = (
    (NotFoundError, 404, "not found"),
    (SignatureError, 403, "bad signature"),
    (ValidationError, 400, "invalid request"),
    (LedgerError, 422, "unprocessable"),
)


HTTP_TITLES = {
    404: "not found",
    405: "method not allowed",
    408: "request timeout",
    413: "request too large",
    415: "unsupported media type",
    500: "internal error",
}
"""Titles of the problems the HTTP layer itself answers."""

DAMAGED_STATUS = 500
DAMAGED_TITLE = "store damaged"


def damaged_detail(exc: CorruptionError) -> str:
    """What a client is told when a stored row failed its check: what failed, that it
    is not served, and that the operator must run ``provledger audit``."""
    detail = f"not served: {exc}"
    if "provledger audit" not in detail:
        detail += "; the store is damaged: the operator must run `provledger audit` on it"
    return detail + " (another node may serve it)"


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods for which some route of the application takes the path of
    ``request`` (asked of the routes themselves, however they are nested)."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def install(app: FastAPI, on_damage: Callable[[], None] | None = None) -> None:
    """Answer every error of ``app`` as problem details; a damaged stored row
    (``CorruptionError``) is answered 500 "store damaged", counted by calling
    ``on_damage``, and logged once per distinct failure (the first thousand)."""
    logged: set[str] = set()

    @app.exception_handler(CorruptionError)
    async def _damaged(request: Request, exc: CorruptionError) -> JSONResponse:
        if on_damage is not None:
            on_damage()
        if str(exc) not in logged and len(logged) < 1000:
            logged.add(str(exc))
            log.error("store damaged (run `provledger audit`): %s", exc)
        detail = damaged_detail(exc)
        return problem_response(DAMAGED_STATUS, DAMAGED_TITLE, detail, request.url.path)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.title, exc.detail, request.url.path, **exc.extra)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> JSONResponse:
        status = REFUSAL_STATUS[exc.kind]
        return problem_response(status, exc.title, exc.detail, request.url.path)

    @app.exception_handler(LedgerError)
    async def _ledger(request: Request, exc: LedgerError) -> JSONResponse:
        status, title = next((s, t) for cls, s, t in _LEDGER_ERRORS if isinstance(exc, cls))
        return problem_response(status, title, str(exc), request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        detail = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
        return problem_response(400, "invalid request", detail, request.url.path)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        title = HTTP_TITLES.get(exc.status_code, "error")
        detail = str(exc.detail) if exc.status_code != 404 else f"no route {request.url.path}"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allow = ", ".join(allowed_methods(request))
            detail = f"{request.method} is not allowed on {request.url.path}; use {allow}"
        return problem_response(
            exc.status_code, title, detail, request.url.path, headers=headers or None
        )

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(
            500,
            "internal error",
            "the node failed unexpectedly; the error is in its log",
            request.url.path,
        )

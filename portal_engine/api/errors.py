"""Every error the API answers is JSON ``{"error": ..., "status": ...}``; none is a bare 500."""

from __future__ import annotations

from typing import Any

import redis.exceptions
import structlog
from quart import Quart, ResponseReturnValue
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from portal_engine.errors import ApiError

log = structlog.get_logger(__name__)

#: Seconds a client should wait before retrying when a dependency is down.
RETRY_AFTER = "5"


def error(message: str, status: int, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """The JSON error answer."""
    return {"error": message, "status": status}, status, headers or {}


def _validation_message(exc: RequestSchemaValidationError) -> str:
    detail = str(exc.validation_error)
    return f"invalid request: {detail}" if detail else "invalid request"


def register_error_handlers(app: Quart) -> None:
    """Turn every exception a request can raise into a JSON answer."""

    @app.errorhandler(ApiError)
    async def api_error(exc: ApiError) -> ResponseReturnValue:
        headers = {"Retry-After": RETRY_AFTER} if exc.status == 503 else None
        body: dict[str, Any] = {"error": exc.message, "status": exc.status, **exc.extra}
        return body, exc.status, headers or {}

    @app.errorhandler(RequestSchemaValidationError)
    async def schema_error(exc: RequestSchemaValidationError) -> ResponseReturnValue:
        return error(_validation_message(exc), 400)

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException) -> ResponseReturnValue:
        status = exc.code or 500
        allowed = ", ".join(getattr(exc, "valid_methods", None) or [])
        messages = {
            400: "the request is malformed (is the body valid JSON?)",
            404: "no such endpoint; the API lives under /api/v1 and is documented at /docs",
            405: f"method not allowed here; allowed: {allowed}",
            413: "the request body is too large",
        }
        return error(messages.get(status, exc.description or exc.name), status)

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    async def redis_down(exc: Exception) -> ResponseReturnValue:
        log.error("redis unavailable", error=str(exc))
        return error(
            "the store (Redis) is unavailable; try again shortly", 503, {"Retry-After": RETRY_AFTER}
        )

    @app.errorhandler(Exception)
    async def unexpected(exc: Exception) -> ResponseReturnValue:
        log.exception("unhandled error")
        return error("internal error; the server log has the details", 500)

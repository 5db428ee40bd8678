"""Every error the API answers is JSON ``{"error": ..., "status": ...}``; none is a bare 500."""

from __future__ import annotations

import re
from typing import Any

import redis.exceptions
import structlog
from quart import Quart, ResponseReturnValue, current_app, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

from portal_engine.api.schemas import FIELD_RULES
from portal_engine.errors import ApiError

log = structlog.get_logger(__name__)

#: Seconds a client should wait before retrying when a dependency is down.
RETRY_AFTER = "5"

_JSON_ONLY = "the body must be JSON: send it with 'Content-Type: application/json'"


def error(message: str, status: int, headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """The JSON error answer."""
    return {"error": message, "status": status}, status, headers or {}


#: msgspec names the field at fault as "`$.limit`" or "missing required field `user_id`".
_FIELD = re.compile(r"`\$\.(\w+)|required field `(\w+)`")


def _validation_message(exc: RequestSchemaValidationError) -> str:
    # msgspec says what it expected ("Expected `str` matching regex '^[^\\x00-...'"), which
    # is precise but not what a person can act on; lead with the field's rule in words.
    detail = str(exc.validation_error)
    found = _FIELD.search(detail)
    field = next((name for name in found.groups() if name), "") if found else ""
    if field in FIELD_RULES:
        return f"invalid request: {FIELD_RULES[field]} ({detail})"
    if detail.startswith("Expected `object`"):
        return f"invalid request: the body must be a JSON object, e.g. {{}} ({detail})"
    return f"invalid request: {detail}" if detail else "invalid request"


def _body_limit() -> int:
    limit: int = current_app.config["MAX_CONTENT_LENGTH"]
    return limit


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
        methods = getattr(exc, "valid_methods", None) or []
        allowed = ", ".join(methods)
        messages = {
            400: "the request is malformed (is the body valid JSON?)",
            404: "no such endpoint; the API lives under /api/v1 and is documented at /docs",
            405: f"method not allowed here; allowed: {allowed}",
            413: f"the request body is too large; the limit is {_body_limit()} bytes",
            415: _JSON_ONLY,
        }
        # RFC 9110 requires a 405 to say which methods the resource has; the JSON body alone
        # left clients (and Schemathesis) without the Allow header.
        headers = {"Allow": allowed} if status == 405 and methods else None
        return error(messages.get(status, exc.description or exc.name), status, headers)

    @app.errorhandler(UnicodeDecodeError)
    async def undecodable(exc: UnicodeDecodeError) -> ResponseReturnValue:
        # Quart decodes a JSON body as UTF-8 without catching the error, so a body with a
        # stray byte (e.g. Latin-1 text) used to answer 500. Only the body is answered as the
        # client's fault; a decoding error anywhere else is a bug and stays one.
        if exc.object != await request.get_data():
            return _internal_error()
        return error("the request body is not valid UTF-8; send JSON encoded as UTF-8", 400)

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    async def redis_down(exc: Exception) -> ResponseReturnValue:
        log.error("redis unavailable", error=str(exc))
        return error(
            "the store (Redis) is unavailable; try again shortly", 503, {"Retry-After": RETRY_AFTER}
        )

    @app.errorhandler(Exception)
    async def unexpected(exc: Exception) -> ResponseReturnValue:
        return _internal_error()


def _internal_error() -> ResponseReturnValue:
    """Log the exception being handled; answer a 500 that gives nothing of it away."""
    log.exception("unhandled error")
    return error("internal error; the server log has the details", 500)

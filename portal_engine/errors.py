"""Every error Portal Engine raises on purpose.

The tree::

    PortalError                      base of everything below
    ├── ConfigurationError           settings that cannot work (raised at start-up)
    ├── PluginError                  a plugin failed to load or broke a rule
    ├── ApiError                     carries the HTTP status the API answers with
    │   ├── BadRequest               400: the request is malformed
    │   ├── NotFound                 404: unknown type, task, user or notification
    │   ├── PayloadTooLarge          413: the body is over the limit
    │   └── ServiceUnavailable       503: Redis or the broker is down
    └── PipelineError                a refresh could not produce a set
        ├── UpstreamError            an external service failed after its retries
        │   └── UpstreamNotFound     a service answered 404 (e.g. it does not know the user)
        └── InvalidAnswer            the LLM answer failed parsing or validation

Messages are written for the person who reads them: they say what is wrong and what to do.
"""

from __future__ import annotations

from typing import ClassVar


class PortalError(Exception):
    """Base class of every error Portal Engine raises on purpose."""


class ConfigurationError(PortalError):
    """The settings cannot work; raised at start-up with what to change."""


class PluginError(PortalError):
    """A plugin failed to load or broke a rule of the plugin API."""


class ApiError(PortalError):
    """An error the API turns into a JSON answer with :attr:`status`."""

    status: ClassVar[int] = 400

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class BadRequest(ApiError):
    """400: the request is malformed."""

    status = 400


class NotFound(ApiError):
    """404: the thing asked about does not exist (or is not the caller's)."""

    status = 404


class PayloadTooLarge(ApiError):
    """413: the request body is over the configured limit."""

    status = 413


class ServiceUnavailable(ApiError):
    """503: a dependency (Redis, the broker) cannot be reached; try again later."""

    status = 503


class PipelineError(PortalError):
    """A refresh could not produce a recommendation set."""


class UpstreamError(PipelineError):
    """An external service failed after its retries."""

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service


class UpstreamNotFound(UpstreamError):
    """An external service answered 404: it does not know the user or the thing asked for."""


class InvalidAnswer(PipelineError):
    """The LLM answer could not be parsed or did not pass validation."""

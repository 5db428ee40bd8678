"""The Quart app factory: blueprints under ``/api/v1``, OpenAPI docs, clients per process."""

from __future__ import annotations

import re
import uuid

import structlog
from quart import Quart, Response, ResponseReturnValue, g, request
from quart_schema import Info, QuartSchema, security_scheme_blueprint

from portal_engine import __version__
from portal_engine.api import health, notifications, recommendations
from portal_engine.api.auth import (
    SECURITY,
    Authenticator,
    Principal,
    Unauthorized,
    anonymous,
    authorize,
    is_protected,
    security_schemes,
)
from portal_engine.api.converters import CONVERTERS
from portal_engine.api.errors import error, register_error_handlers
from portal_engine.api.ratelimit import RateLimiter, TooManyRequests
from portal_engine.api.schemas import OpenAPI
from portal_engine.api.state import EXTENSION, ApiState, store
from portal_engine.redis_client import connect
from portal_engine.registry import Plugins, load_plugins
from portal_engine.settings import Settings, load_settings
from portal_engine.store import Store
from portal_engine.worker.celery_app import create_celery
from portal_engine.worker.embedded import EmbeddedWorker

API_PREFIX = "/api/v1"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger(__name__)


def create_app(settings: Settings | None = None, plugins: Plugins | None = None) -> Quart:
    """Build the API for ``settings`` (from the environment when ``None``) and ``plugins``.

    Redis is opened in ``before_serving`` and closed in ``after_serving``. In embedded mode
    (no broker configured) a Celery worker runs in a thread of this process. Every ``/api/v1``
    request but health checks is authenticated (when credentials are configured), rate limited
    per client and authorised for the user it is about, before its view runs.
    """
    settings = settings or load_settings()
    plugins = plugins or load_plugins(settings)
    app = Quart("portal_engine")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    # Before QuartSchema and the blueprints: routes and the OpenAPI generator both use them.
    app.url_map.converters.update(CONVERTERS)
    QuartSchema(
        app,
        conversion_preference="msgspec",
        info=Info(
            title="Portal Engine",
            version=__version__,
            description="Personalised, LLM-generated recommendations; one plugin per type.",
        ),
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path="/redoc",
        scalar_ui_path=None,
        # Declared only when enforced, so the docs never promise checks that do not happen.
        security_schemes=security_schemes() if settings.auth_enabled else None,
        security=SECURITY if settings.auth_enabled else None,
        openapi_provider_class=OpenAPI,
    )
    # Health checks are for load balancers and orchestrators, which carry no credentials.
    security_scheme_blueprint(health.bp, [])
    api = ApiState(settings=settings, plugins=plugins, celery=create_celery(settings, plugins))
    app.extensions[EXTENSION] = api
    for blueprint in (recommendations.bp, notifications.bp, health.bp):
        app.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
    register_error_handlers(app)
    authenticator = Authenticator(settings)
    limiter = RateLimiter(settings)

    @app.errorhandler(Unauthorized)
    @app.errorhandler(TooManyRequests)
    async def refused(exc: Unauthorized | TooManyRequests) -> ResponseReturnValue:
        return error(exc.message, exc.status, exc.headers)

    @app.before_serving
    async def open_clients() -> None:
        if not authenticator.enabled:
            log.warning(
                "authentication is OFF: every /api/v1 endpoint is open to anyone who can reach "
                "this server; set PORTAL_API_KEYS, PORTAL_JWT_SECRET or PORTAL_JWT_JWKS_URL to "
                "require credentials"
            )
        api.store = Store(connect(settings), settings)
        limiter.open()
        if settings.broker_url is None:
            api.embedded_worker = EmbeddedWorker(api.celery)
            api.embedded_worker.start()

    @app.after_serving
    async def close_clients() -> None:
        if api.embedded_worker is not None:
            api.embedded_worker.stop()
        if api.store is not None:
            await api.store.close()
        await limiter.close()

    @app.before_request
    async def bind_request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.before_request
    async def guard() -> None:
        if not is_protected(request.path, API_PREFIX):
            return
        try:
            principal = await authenticator.authenticate(request.headers, request.remote_addr)
        except Unauthorized as exc:
            # Failed attempts count against the address, so keys cannot be guessed at speed.
            log.info("authentication failed", reason=exc.message)
            await limiter.hit(anonymous(request.remote_addr).client)
            raise
        await limiter.hit(principal.client)
        g.principal = principal
        authorize(principal, await _users_asked_about(principal))

    @app.after_request
    async def add_request_id(response: Response) -> Response:
        request_id = getattr(g, "request_id", None)
        if request_id:
            response.headers["X-Request-ID"] = request_id
        return response

    return app


async def _users_asked_about(principal: Principal) -> list[str]:
    """The users this request reads or changes: ``user_id`` in the path and query string, or
    the owner of the task whose status a bearer-token user asks for."""
    users = request.args.getlist("user_id")
    view_args = request.view_args or {}
    if "user_id" in view_args:
        users.append(str(view_args["user_id"]))
    if principal.kind == "user" and request.endpoint == "recommendations.task_status":
        status = await store().get_status(str(view_args["task_id"]))
        if status is not None:  # an unknown task is the view's 404
            users.append(status.user_id)
    return users

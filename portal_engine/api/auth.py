"""Who is asking: API keys for service clients, bearer JWTs for end users.

Service clients send ``X-API-Key``; a valid key may act for any user. End users send
``Authorization: Bearer <JWT>``, signed HS256 with ``PORTAL_JWT_SECRET`` or RS256 by a key from
``PORTAL_JWT_JWKS_URL``; a token acts only for the user in its ``sub`` claim. Endpoints name the
user they are about as ``user_id`` in the path or the query string, which is what
:func:`authorize` compares with ``sub``; a task's status names its user itself.

Every ``/api/v1`` endpoint but ``/api/v1/health/*`` needs credentials once any are configured
(:func:`is_protected`); with none configured the API is open, which only development allows.
Keys and tokens never reach a log line or an error message.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any, Literal

import attrs
import jwt
import structlog
from quart_schema import APIKeySecurityScheme, HttpSecurityScheme

from portal_engine.errors import ApiError, ServiceUnavailable
from portal_engine.keys import encode
from portal_engine.settings import Settings

log = structlog.get_logger(__name__)

API_KEY_HEADER = "X-API-Key"
#: The OpenAPI names of the two schemes; either one satisfies an endpoint.
SECURITY: list[dict[str, list[str]]] = [{"ApiKeyAuth": []}, {"BearerAuth": []}]
#: Seconds of clock difference allowed between the token issuer and this server.
LEEWAY = 30
#: The algorithm each kind of key verifies; a token's ``alg`` must be one of the configured.
_HS256 = "HS256"
_RS256 = "RS256"

Kind = Literal["service", "user", "anonymous"]


class Unauthorized(ApiError):
    """401: no credentials, or ones that do not verify; the message says what to fix."""

    status = 401

    def __init__(self, message: str, error: str | None = "invalid_token") -> None:
        super().__init__(message)
        self.error = error

    @property
    def headers(self) -> dict[str, str]:
        """The RFC 6750 challenge, with its error code when credentials were sent."""
        challenge = 'Bearer realm="portal-engine"'
        if self.error:
            challenge += f', error="{self.error}"'
        return {"WWW-Authenticate": challenge}


class Forbidden(ApiError):
    """403: valid credentials that may not act for the user asked about."""

    status = 403


@attrs.frozen
class Principal:
    """The caller of one request.

    Attributes:
        kind: ``service`` (an API key), ``user`` (a bearer token) or ``anonymous`` (auth off).
        subject: the token's ``sub`` for users, else ``None``.
        client: who the rate limit counts; no secret, and no ``/`` (it is part of a key).
    """

    kind: Kind
    subject: str | None
    client: str


def is_protected(path: str, api_prefix: str) -> bool:
    """True for the paths that need credentials: the API's, but not its health checks."""
    health = f"{api_prefix}/health"
    return path.startswith(f"{api_prefix}/") and not (
        path == health or path.startswith(f"{health}/")
    )


def security_schemes() -> dict[str, Any]:
    """The two schemes, for ``QuartSchema(security_schemes=...)`` and so ``/openapi.json``."""
    return {
        # A service client's key: may act for any user.
        "ApiKeyAuth": APIKeySecurityScheme(name=API_KEY_HEADER, in_="header"),
        # An end user's token (HS256 or RS256): may act only for the user in its 'sub'.
        "BearerAuth": HttpSecurityScheme(scheme="bearer", bearer_format="JWT"),
    }


def anonymous(remote_addr: str | None) -> Principal:
    """The caller when no credentials are needed (or before they are checked)."""
    return Principal("anonymous", None, f"addr:{encode(remote_addr or 'unknown')}")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()


class Authenticator:
    """Checks the credentials of a request against the configured keys and token issuers."""

    def __init__(self, settings: Settings) -> None:
        # Only digests are kept: comparing fixed-length digests with compare_digest takes the
        # same time whatever the key sent, and no key sits in this object's memory.
        self._key_digests = tuple(_digest(key) for key in settings.api_keys)
        self._secret = settings.jwt_secret
        self._jwks = (
            jwt.PyJWKClient(settings.jwt_jwks_url, lifespan=300, timeout=5)
            if settings.jwt_jwks_url
            else None
        )
        self._audience = settings.jwt_audience
        self._issuer = settings.jwt_issuer
        self._algorithms = [a for a, on in ((_HS256, self._secret), (_RS256, self._jwks)) if on]
        #: True when credentials are configured, so protected paths need them.
        self.enabled = settings.auth_enabled

    def _accepted(self) -> str:
        ways = []
        if self._key_digests:
            ways.append(f"an API key in {API_KEY_HEADER}")
        if self._algorithms:
            ways.append("a bearer token in 'Authorization: Bearer <JWT>'")
        return " or ".join(ways)

    async def authenticate(self, headers: Any, remote_addr: str | None) -> Principal:
        """The caller named by ``headers`` (a request's headers).

        Raises:
            Unauthorized: credentials are missing, malformed or do not verify.
            ServiceUnavailable: the JWKS endpoint cannot be reached to check a token.
        """
        if not self.enabled:
            return anonymous(remote_addr)
        key = headers.get(API_KEY_HEADER)
        if key is not None:
            return self._service(key)
        authorization = headers.get("Authorization")
        if authorization is None:
            raise Unauthorized(f"authentication required: send {self._accepted()}", None)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or " " in token:
            raise Unauthorized(
                "the Authorization header must read 'Bearer <token>'", "invalid_request"
            )
        if not self._algorithms:
            raise Unauthorized(
                f"bearer tokens are not accepted here; send an API key in {API_KEY_HEADER}"
            )
        return await self._user(token)

    def _service(self, key: str) -> Principal:
        if not self._key_digests:
            raise Unauthorized("API keys are not accepted here; send 'Authorization: Bearer <JWT>'")
        presented = _digest(key)
        valid = False
        for known in self._key_digests:  # no early exit: every key costs the same
            valid |= hmac.compare_digest(presented, known)
        if not valid:
            raise Unauthorized(f"the key in {API_KEY_HEADER} is not valid; check the key you use")
        # A digest prefix names the key in rate-limit counts without revealing it.
        return Principal("service", None, f"key:{presented.hex()[:32]}")

    async def _user(self, token: str) -> Principal:
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.PyJWTError:
            raise Unauthorized("the bearer token is not a well-formed JWT") from None
        if algorithm not in self._algorithms:
            raise Unauthorized(
                f"the bearer token is signed with {str(algorithm)[:16]!r}; this service "
                f"accepts {' or '.join(self._algorithms)} tokens"
            )
        key: Any = self._secret if algorithm == _HS256 else await self._jwks_key(token)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the bearer token has expired; get a new one") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized(
                "the bearer token's signature does not verify: it was not issued for this service"
            ) from None
        except jwt.InvalidAudienceError:
            raise Unauthorized(
                f"the bearer token's audience (aud) must be {self._audience!r}"
            ) from None
        except jwt.InvalidIssuerError:
            raise Unauthorized(
                f"the bearer token's issuer (iss) must be {self._issuer!r}"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"the bearer token has no {exc.claim!r} claim") from None
        except jwt.PyJWTError:
            raise Unauthorized("the bearer token is not valid; get a new one") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthorized("the bearer token's 'sub' claim must be the user's id")
        return Principal("user", subject, f"user:{encode(subject)}")

    async def _jwks_key(self, token: str) -> Any:
        assert self._jwks is not None
        try:
            # PyJWKClient fetches with urllib (blocking) on a cache miss: keep it off the loop.
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as exc:
            log.warning("JWKS endpoint unreachable", error=type(exc).__name__)
            raise ServiceUnavailable(
                "cannot fetch the token issuer's signing keys (PORTAL_JWT_JWKS_URL); "
                "try again shortly"
            ) from None
        except jwt.PyJWTError:
            raise Unauthorized(
                "the bearer token is signed by a key the issuer does not publish; get a new one"
            ) from None
        return signing_key.key


def authorize(principal: Principal, user_ids: list[str]) -> None:
    """Allow ``principal`` to act for every user in ``user_ids``, or refuse.

    Raises:
        Forbidden: a bearer token's subject is not one of ``user_ids``.
    """
    if principal.kind != "user":
        return
    if any(user_id != principal.subject for user_id in user_ids):
        raise Forbidden(
            "this bearer token may act only for its own user (its 'sub' claim), not for the "
            "user_id asked about; service clients use an API key"
        )

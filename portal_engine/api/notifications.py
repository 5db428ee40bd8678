"""``/api/v1/notifications``: a user's notifications, newest first; mark read; delete."""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue
from quart_schema import document_response, validate_querystring, validate_response

from portal_engine.api.schemas import (
    COMMON_ERRORS,
    NoContent,
    NotificationList,
    NotificationsQuery,
    SchemaResponse,
    UserQuery,
    document_errors,
    require_utf8_ids,
)
from portal_engine.api.state import store
from portal_engine.errors import NotFound
from portal_engine.models import Notification

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
bp.before_request(require_utf8_ids)


def _not_found(notification_id: str) -> NotFound:
    return NotFound(f"no notification {notification_id[:64]!r} for this user")


@bp.get("/")
@validate_querystring(NotificationsQuery)
@validate_response(NotificationList, 200)
@document_errors(*COMMON_ERRORS)
async def list_notifications(query_args: NotificationsQuery) -> NotificationList:
    """The user's newest notifications and the number unread."""
    notes, unread = await store().list_notifications(query_args.user_id, query_args.limit)
    return NotificationList(user_id=query_args.user_id, unread=unread, notifications=notes)


@bp.post("/<notification_id>/read")
@validate_querystring(UserQuery)
@validate_response(Notification, 200)
@document_errors(404, *COMMON_ERRORS)
async def mark_read(notification_id: str, query_args: UserQuery) -> SchemaResponse:
    """Mark one of the user's notifications read."""
    note = await store().mark_read(query_args.user_id, notification_id)
    if note is None:
        raise _not_found(notification_id)
    return note, 200


@bp.delete("/<notification_id>")
@validate_querystring(UserQuery)
@document_response(NoContent, 204)
@document_errors(404, *COMMON_ERRORS)
async def delete(notification_id: str, query_args: UserQuery) -> ResponseReturnValue:
    """Delete one of the user's notifications."""
    if not await store().delete_notification(query_args.user_id, notification_id):
        raise _not_found(notification_id)
    return "", 204

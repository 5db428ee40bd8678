"""Redis key names: namespaced, and built so that no two (type, user) pairs can collide.

User ids and task ids are percent-encoded (every byte outside ``[A-Za-z0-9_.~-]``), so ``:``,
``*``, ``?`` and the rest cannot forge another key's shape or act as glob characters in a scan.
Type names are already restricted to ``[a-z][a-z0-9_]*`` by :class:`RecommendationType`.
"""

from __future__ import annotations

from urllib.parse import quote

import attrs


def encode(part: str) -> str:
    """Percent-encode one key part; injective, so distinct parts give distinct keys."""
    return quote(part, safe="", errors="surrogatepass")


@attrs.frozen
class Keys:
    """Every key Portal Engine writes, under one namespace."""

    namespace: str

    def recommendation_set(self, type_name: str, user_id: str) -> str:
        """The cached set of one (type, user)."""
        return f"{self.namespace}:set:{type_name}:{encode(user_id)}"

    def refresh_lock(self, type_name: str, user_id: str) -> str:
        """The single-flight lock of one (type, user); holds the running task's id."""
        return f"{self.namespace}:lock:{type_name}:{encode(user_id)}"

    def deliveries(self, task_id: str) -> str:
        """How many times the broker delivered one task (to stop a task that kills workers)."""
        return f"{self.namespace}:deliveries:{encode(task_id)}"

    def unknown_user(self, type_name: str, user_id: str) -> str:
        """Set when an upstream answered 404 for the user; reads then answer 404 too."""
        return f"{self.namespace}:unknown:{type_name}:{encode(user_id)}"

    def task_status(self, task_id: str) -> str:
        """The status of one refresh task."""
        return f"{self.namespace}:task:{encode(task_id)}"

    def notifications(self, user_id: str) -> str:
        """One user's notifications, a hash of id → JSON."""
        return f"{self.namespace}:notif:{encode(user_id)}"

    def notification_index(self, user_id: str) -> str:
        """One user's notification ids ordered by time (a sorted set)."""
        return f"{self.namespace}:notif-index:{encode(user_id)}"

    def dismissed(self, type_name: str, user_id: str) -> str:
        """The ids of items one user dismissed for one type (a set)."""
        return f"{self.namespace}:dismissed:{type_name}:{encode(user_id)}"

    def active_users(self, type_name: str) -> str:
        """Users who asked for a type recently, scored by when (for ``beat``)."""
        return f"{self.namespace}:active:{type_name}"

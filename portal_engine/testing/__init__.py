"""Tools for testing recommendation types: the kit plugin authors use.

Installed with ``portal-engine``; its pytest fixtures load through the ``pytest11`` entry point
(see :mod:`portal_engine.testing.plugin`). The pieces:

* :class:`Upstreams` answers the engine's calls to User Profile, LIE, CIS and the LLM on
  pytest-httpx, with helpers for each service;
* :mod:`~portal_engine.testing.samples` holds sample answers of those services (a profile, the
  user's home and work, a place, an event, a customer record) to start a test from;
* :func:`run_type` runs one type's whole pipeline for one user, without a broker;
* :func:`assert_type_conforms` checks a type against the plugin contract.
"""

from portal_engine.testing import samples
from portal_engine.testing.conformance import assert_type_conforms
from portal_engine.testing.runner import TEST_SETTINGS, run_type
from portal_engine.testing.upstreams import Upstreams, chat_completion

__all__ = [
    "TEST_SETTINGS",
    "Upstreams",
    "assert_type_conforms",
    "chat_completion",
    "run_type",
    "samples",
]

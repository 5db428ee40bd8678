"""``python -m portal_engine`` is the ``portal-engine`` command."""

from portal_engine.cli import main

main()

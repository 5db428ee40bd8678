"""The ASGI app built from the environment: ``hypercorn portal_engine.api.asgi:app``."""

from portal_engine.api.app import create_app
from portal_engine.logs import configure_logging
from portal_engine.settings import load_settings

settings = load_settings()
configure_logging(settings)
app = create_app(settings)

"""The REST API: a Quart app built by :func:`portal_engine.api.app.create_app`."""

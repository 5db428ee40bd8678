"""Development tools for running Portal Engine on one machine, with no external services.

``portal-engine demo`` serves :func:`~portal_engine.demo.standins.create_standins_app`: stand-ins
for the User Profile, location (LIE), customer (CIS) and LLM (Prefetch) services, answering from
real public sample data (:mod:`portal_engine.demo.dataset`) and made-up users
(:mod:`portal_engine.demo.users`). Production deployments point the ``PORTAL_*_URL`` settings at
the real services instead.
"""

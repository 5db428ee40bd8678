"""The pytest plugin plugin authors get with ``portal-engine`` (entry point ``pytest11``)."""

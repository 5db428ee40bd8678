"""Tools for testing Portal Engine and its plugins; the pytest plugin is :mod:`.plugin`."""

"""The baseline: the same stack (Quart on Hypercorn) answering fixed bytes from memory."""

from __future__ import annotations

import sys

from quart import Quart, Response

from portal_engine.server import hypercorn_config, run_asgi


def main() -> None:
    """Serve ``GET /set`` with the body read from the file named on the command line."""
    port, body_file = int(sys.argv[1]), sys.argv[2]
    body = open(body_file, "rb").read()  # noqa: SIM115 - read once at start-up
    app = Quart("baseline")

    @app.get("/set")
    async def fixed() -> Response:
        return Response(body, content_type="application/json")

    run_asgi(app, hypercorn_config("127.0.0.1", port))


if __name__ == "__main__":
    main()

"""A small HTTP/1.1 keep-alive load generator on raw asyncio streams.

It is much cheaper per request than an HTTP client library, so on a small machine it is the
server, not the load generator, that limits the rate.
"""

from __future__ import annotations

import asyncio
import time

import attrs


@attrs.frozen
class Result:
    """Requests per second and latency percentiles of one run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds


async def _connection(
    host: str, port: int, request: bytes, until: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if status != 200:
                errors.append(status)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def run_load(
    host: str, port: int, path: str, seconds: float, connections: int = 32
) -> Result:
    """Send ``GET path`` over ``connections`` keep-alive connections for ``seconds``."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    until = started + seconds
    await asyncio.gather(
        *(_connection(host, port, request, until, latencies, errors) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(int(q * len(latencies)), len(latencies) - 1)] * 1000  # noqa: E731
    return Result(len(latencies), elapsed, pick(0.5), pick(0.99), len(errors))

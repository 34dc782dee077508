"""What the benchmarks share: interleaved timing of tools side by side in one process."""

from __future__ import annotations

import time
from collections.abc import Callable


def timed(tools: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Seconds per call of each tool, `runs` rounds, the tools interleaved within each round (so
    that a busy neighbour slows all alike)."""
    times: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(runs):
        for name, tool in tools.items():
            start = time.perf_counter()
            tool()
            times[name].append(time.perf_counter() - start)
    return times

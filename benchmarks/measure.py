"""Memory readings shared by the benchmarks (Linux /proc)."""

from __future__ import annotations

from pathlib import Path


def rss_mib(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's resident memory (``VmRSS``) or its peak (``VmHWM``), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")

"""What machine a benchmark ran on, printed at the top of its output."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def describe(packages: tuple[str, ...]) -> list[str]:
    cpuinfo = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{p} {_version(p)}" for p in packages)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return [f"machine: {model}, {os.cpu_count()} cores ({usable} usable), {platform.system()} {platform.release()}, "
            f"load average {load}",
            f"python: {platform.python_version()} ({sys.executable})", f"packages: {versions}"]

"""Read one file at reader level in a fresh process and say what it cost.

`python -m tests.material.probe FILE` prints one JSON line: the outcome (`read`, a project error's
class, or `internal` for any other exception), its reason, the seconds `read_grid` took and the
process's peak resident memory (VmHWM). Tests run it in a subprocess so each file's memory is its own.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def probe(path: Path) -> dict[str, Any]:
    from extractors.exceptions import SelfevalError
    from extractors.inputs import read_grid

    start = time.perf_counter()
    try:
        grid = read_grid(path)
        outcome, reason, rows, pages = "read", "", len(grid.rows), grid.pages
    except SelfevalError as exc:
        outcome, reason, rows, pages = type(exc).__name__, exc.reason, 0, 0
    except Exception as exc:  # noqa: BLE001 - what the probe reports
        outcome, reason, rows, pages = "internal", f"{type(exc).__name__}: {exc}".splitlines()[0], 0, 0
    return {"file": path.name, "outcome": outcome, "reason": reason, "rows": rows, "pages": pages,
            "seconds": round(time.perf_counter() - start, 2),
            "peak_mib": round(peak_resident_kib() / 1024)}


def peak_resident_kib() -> int:
    """This process's peak resident memory since it began (VmHWM). `ru_maxrss` is no use here: it keeps
    the parent's peak across fork and exec, so a probe started from a large test process reads high."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def probe_in_subprocess(path: Path, *, env: dict[str, str] | None = None, timeout: float = 300) -> dict[str, Any]:
    """`probe` in a fresh interpreter: its peak memory is this file's alone (imports included)."""
    done = subprocess.run([sys.executable, "-m", "tests.material.probe", str(path)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=Path(__file__).parents[2], check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(probe(Path(sys.argv[1])), ensure_ascii=False))

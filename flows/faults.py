"""One test hook: `SELFEVAL_FAULT=<point>:<action>` makes the process fail at a named point.

Actions: `kill` (SIGKILL this process: a run killed there, or a worker crashing), `pause` (wait
a minute, or `pause=N` seconds: a file that reads slowly, a run to kill from outside), `memory` (fill 1 GB:
a file that fills a worker's memory). Points: `after-claim`, `before-commit`, `after-commit`,
`while-moving`, `before-publish`, `during-publish` in the run; `read:<file name>` in the process
reading that file. Unset, it costs one dictionary look-up.
"""

from __future__ import annotations

import os
import signal
import time

FAULT_ENV = "SELFEVAL_FAULT"
_hold: list[bytes] = []


def fault_point(name: str) -> None:
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    point, _, action = wanted.rpartition(":")
    if point != name:
        return
    if action.startswith("pause"):
        time.sleep(float(action.partition("=")[2] or 60))
    elif action == "memory":
        _hold.append(b"\1" * (1 << 30))
        time.sleep(60)
    else:
        os.kill(os.getpid(), signal.SIGKILL)

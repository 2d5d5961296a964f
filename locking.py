"""Whether another process holds a file's flock: the publisher's and the first-run build's locks, seen from outside."""

from __future__ import annotations

import fcntl
from pathlib import Path


def is_held(lock: Path) -> bool:
    """True if some process holds an exclusive flock on `lock` (a missing file is not held). The check takes the
    lock for an instant and lets it go, so it must not be called by the holder's own process on another handle
    while it means to keep it."""
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False

"""Where a result came from: git commit, package versions."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path


@functools.cache
def git_sha(cwd: str | None = None) -> str:
    """Commit of the working tree (``-dirty`` appended when it has changes), or ``unknown``."""
    where = cwd or str(Path(__file__).resolve().parent)
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=where,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"

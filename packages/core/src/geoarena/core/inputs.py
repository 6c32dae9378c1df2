"""Input checks the packages themselves need (the tools' boundary checks live in ``geoarena.cli``):
a file that must exist, be readable and non-empty, and the one error shape for bad input."""

from __future__ import annotations

from pathlib import Path

from geoarena.core.errors import DataError


def bad_input(what: str, problem: str, path: str | Path) -> DataError:
    """``DataError`` reading ``<option> <path>: <problem>`` (the option tells which input)."""
    err = DataError(problem, path)
    err.args = (f"{what} {path}: {problem}",)
    return err


def check_input_file(path: str | Path, what: str = "input", min_bytes: int = 1) -> Path:
    """``path`` exists, is a file, is readable and holds at least ``min_bytes``."""
    p = Path(path)
    if not p.exists():
        raise bad_input(what, "no such file", p)
    if p.is_dir():
        raise bad_input(what, "is a folder, expected a file", p)
    try:
        with open(p, "rb") as fh:
            head = fh.read(max(min_bytes, 1))
    except OSError as exc:
        raise bad_input(what, f"not readable ({exc.strerror})", p) from None
    if len(head) < min_bytes:
        raise bad_input(
            what, f"{'empty file' if not head else f'truncated ({len(head)} bytes)'}", p
        )
    return p

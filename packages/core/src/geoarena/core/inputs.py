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


def one_line(exc: BaseException | str, limit: int = 200) -> str:
    """An error's text on one line (library messages span lines), at most ``limit`` characters."""
    return " ".join(str(exc).split())[:limit] or type(exc).__name__


def load_skops(path: str | Path, what: str, trusted: tuple[str, ...]) -> object:
    """The object in the skops file ``path``, rebuilt from skops' default trusted types plus
    ``trusted`` only. Any other type the file names is refused before anything is constructed
    (a pickle would call whatever its author chose); every failure is one line naming the file.
    ``skops`` is imported here, on first use, by the leaves that save estimators with it."""
    import skops.io

    p = Path(path)
    try:
        untrusted = skops.io.get_untrusted_types(file=p)
    except Exception as exc:  # BadZipFile, KeyError, JSON errors: not a skops archive
        raise bad_input(what, f"not a skops model file ({one_line(exc)})", p) from None
    refused = sorted(set(untrusted) - set(trusted))
    if refused:
        raise bad_input(
            what, f"refused: the file names untrusted types {', '.join(refused[:4])}", p
        )
    try:
        return skops.io.load(p, trusted=list(trusted))
    except Exception as exc:  # damaged content inside a valid archive
        raise bad_input(what, f"unreadable skops model ({one_line(exc)})", p) from None

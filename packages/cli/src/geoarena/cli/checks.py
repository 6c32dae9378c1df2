"""Input checks at the boundary of every tool: fail before any work, in one line, exit code 2.

A tool wraps its ``main`` with :func:`cli_entry` and calls the ``check_*`` helpers right after
parsing its arguments, so a wrong path, an existing output, an unreachable tracking server or a
malformed URL is reported as ``error: <file or option>: <problem>`` before a model loads or a
cell trains. Secrets never reach the terminal: every message passes through :func:`mask_secrets`.
Storage and tracking URLs may come from an environment variable, a ``*_FILE`` variable naming a
file (docker/k8s secrets) or ``@PATH`` on the command line, so the password is not in ``ps``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import socket
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from geoarena.core.errors import ConfigError, GeoArenaError
from geoarena.core.inputs import bad_input, check_input_file

#: seconds a tracking/storage server gets to accept a TCP connection (``GEOARENA_CONNECT_TIMEOUT``)
DEFAULT_CONNECT_TIMEOUT_S = 3.0
EXIT_USAGE = 2

# scheme://user:password@host  →  scheme://user:***@host (anywhere in a text)
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][\w+.-]*://[^\s:/@]*:)[^\s@/]+@")
# password=… / pwd=… / secret=… key-value pairs (query strings, DSNs, error messages)
_KV_SECRET = re.compile(
    r"(\b(?:password|passwd|pwd|secret|token)\s*[=:]\s*)('[^']*'|\"[^\"]*\"|[^\s&;,]+)", re.I
)


def mask_secrets(text: str) -> str:
    """``text`` with URL passwords and ``password=…`` values replaced by ``***``."""
    return _KV_SECRET.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", str(text)))


def one_line(exc: BaseException | str) -> str:
    """An exception (or text) as one masked line: whitespace runs collapsed, at most 600 chars."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    text = mask_secrets(text)
    return text if len(text) <= 600 else text[:597] + "..."


def fail(message: str, code: int = EXIT_USAGE) -> int:
    """Print ``error: message`` (one masked line) to stderr and return ``code``."""
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)
    return code


# the tool entry ---------------------------------------------------------------------------------
class ToolParser(argparse.ArgumentParser):
    """argparse whose usage errors are one line (``error: …; see --help``, exit 2) and which
    knows ``--debug`` (print the traceback of an error)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_argument(
            "--debug", action="store_true", help="show the traceback of an error (for bug reports)"
        )

    def error(self, message: str):  # argparse's own prints the usage block first
        fail(f"{message} (see {self.prog} --help)")
        raise SystemExit(EXIT_USAGE)


def cli_entry(main: Callable[[list[str]], int]) -> Callable[[list[str] | None], int]:
    """Wrap a tool's ``main(argv)``: a ``GeoArenaError`` is one line and exit 2, any other
    exception one line and exit 1 (with the traceback only under ``--debug`` or
    ``GEOARENA_DEBUG=1``); ``SystemExit`` from argparse becomes the return value."""

    @functools.wraps(main)
    def wrapper(argv: list[str] | None = None) -> int:
        args = list(sys.argv[1:] if argv is None else argv)
        debug = "--debug" in args or os.environ.get("GEOARENA_DEBUG") == "1"
        try:
            return main(args)
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except KeyboardInterrupt:
            return fail("interrupted", 130)
        except GeoArenaError as exc:
            if debug:
                traceback.print_exc()
            return fail(str(exc))
        except MemoryError:
            return fail("out of memory; use a smaller input or window", 1)
        except Exception as exc:  # the last line of defence: never a bare library traceback
            if debug:
                traceback.print_exc()
            return fail(
                f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", 1
            )

    return wrapper


# numeric options --------------------------------------------------------------------------------
def in_range(
    typ: type = float, lo: float | None = None, hi: float | None = None, lo_open: bool = False
) -> Callable[[str], float]:
    """An argparse ``type=`` that parses ``typ`` and checks ``lo <= x <= hi`` (``lo < x``)."""

    def parse(text: str):
        try:
            value = typ(text)
        except ValueError:
            kind = {int: "an integer", float: "a number"}.get(typ, typ.__name__)
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        low_bad = lo is not None and (value <= lo if lo_open else value < lo)
        if low_bad or (hi is not None and value > hi):
            left = "(" if lo_open else "["
            raise argparse.ArgumentTypeError(
                f"{value} is outside {left}{'-inf' if lo is None else lo}, "
                f"{'inf' if hi is None else hi}]"
            )
        return value

    parse.__name__ = typ.__name__  # argparse names the type in its message
    return parse


positive_int = in_range(int, 1)
nonneg_int = in_range(int, 0)
positive_float = in_range(float, 0, lo_open=True)
unit_interval = in_range(float, 0.0, 1.0)


# paths --------------------------------------------------------------------------------------------
def _probe_folder(folder: Path, what: str, target: Path) -> None:
    """Create and delete a file in ``folder``: the only test that also catches read-only mounts."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".geoarena-write-probe-", dir=folder)
    except OSError as exc:
        raise bad_input(what, f"folder {folder} is not writable ({exc.strerror})", target) from None
    os.close(fd)
    os.unlink(probe)


def check_output_file(path: str | Path, what: str = "output", overwrite: bool = False) -> Path:
    """``path`` can be written: its folder exists and is writable, it is not a folder, and it
    does not exist yet unless ``overwrite``. Nothing is created."""
    p = Path(path)
    if p.is_dir():
        raise bad_input(what, "is a folder, expected a file path", p)
    if p.exists() and not overwrite:
        raise bad_input(what, "already exists; pass --overwrite to replace it", p)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        problem = "is a file" if parent.exists() else "does not exist"
        raise bad_input(what, f"folder {parent} {problem}", p)
    _probe_folder(parent, what, p)
    return p


def check_output_dir(
    path: str | Path,
    what: str = "--out",
    overwrite: bool = True,
    guarded: tuple[str, ...] = (),
) -> Path:
    """``path`` is (or can be created as) a writable folder. With ``overwrite=False`` a folder
    already holding one of the ``guarded`` file names is refused. The folder is not created."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise bad_input(what, "is a file, expected a folder", p)
    existing = p
    while not existing.exists():  # the nearest existing ancestor must be a writable folder
        existing = existing.parent
    if not existing.is_dir():
        raise bad_input(what, f"{existing} is a file, cannot create a folder under it", p)
    if not overwrite:
        taken = [g for g in guarded if (p / g).exists()]
        if taken:
            raise bad_input(what, f"already holds {', '.join(taken)}; pass --overwrite", p)
    _probe_folder(existing, what, p)
    return p


@contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix, so writers pick the same format) that
    replaces ``path`` only when the block succeeds: a failed or killed tool leaves no partial
    output behind, and an existing file is untouched until the new one is complete."""
    p = Path(path)
    tmp = p.with_name(f".{p.stem}.partial-{os.getpid()}{p.suffix}")
    try:
        yield tmp
        os.replace(tmp, p)
    finally:
        tmp.unlink(missing_ok=True)


# URLs and secrets -------------------------------------------------------------------------------
def url_from(value: str | None, env: str, what: str) -> str | None:
    """A storage/tracking URL from ``value`` (``@PATH`` reads it from a file), else ``$env``,
    else the file named by ``$env_FILE``; ``None`` when none is set."""
    if value is not None and value.startswith("@"):
        return _read_secret_file(Path(value[1:]), what)
    if value is not None:
        return value
    if os.environ.get(env):
        return os.environ[env]
    if os.environ.get(f"{env}_FILE"):
        return _read_secret_file(Path(os.environ[f"{env}_FILE"]), f"${env}_FILE")
    return None


def _read_secret_file(path: Path, what: str) -> str:
    check_input_file(path, what)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        raise bad_input(what, "not UTF-8 text", path) from None
    if not text or "\n" in text:
        raise bad_input(what, "expected exactly one line holding the URL", path)
    return text


def connect_timeout_s() -> float:
    """``$GEOARENA_CONNECT_TIMEOUT`` seconds (default 3)."""
    try:
        return float(os.environ.get("GEOARENA_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT_S))
    except ValueError:
        raise ConfigError("$GEOARENA_CONNECT_TIMEOUT must be a number of seconds") from None


_DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "http": 80, "https": 443}


def check_url(url: str, what: str, timeout_s: float | None = None) -> str:
    """Parse a tracking/storage URL and reach its server within ``timeout_s``.

    ``sqlite:///PATH`` and ``journal:PATH``/plain paths need an existing folder (and a SQLite
    file when the database exists); ``postgresql://``/``mysql://``/``http(s)://`` need the host to
    accept a TCP connection. Returns ``url``; raises ``ConfigError`` naming ``what`` and the
    masked URL."""
    timeout = connect_timeout_s() if timeout_s is None else timeout_s
    shown = mask_secrets(url)
    if url in ("", "memory"):
        return url
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:").lstrip("/")
        if not url.startswith("sqlite:///") or not path:
            raise ConfigError(f"{what} {shown}: expected sqlite:///PATH")
        _check_db_file(Path("/" + path if url.startswith("sqlite:////") else path), what)
        return url
    if "://" not in url:  # a journal file or a plain path (MLflow treats it as a file store)
        path = Path(url.removeprefix("journal:")).expanduser()
        if path.exists() and path.is_dir() and url.startswith("journal:"):
            raise ConfigError(f"{what} {shown}: is a folder, expected a journal file")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise ConfigError(f"{what} {shown}: folder {parent} does not exist")
        return url
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0].lower()
    if scheme not in _DEFAULT_PORTS and scheme not in ("file",):
        raise ConfigError(
            f"{what} {shown}: unsupported scheme {parts.scheme!r} "
            "(sqlite:///, postgresql://, mysql://, http(s)://, journal:PATH)"
        )
    if scheme == "file":
        return url
    try:
        host, port = parts.hostname, parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise ConfigError(f"{what} {shown}: malformed URL ({exc})") from None
    if not host:
        raise ConfigError(f"{what} {shown}: no host in the URL")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise ConfigError(
            f"{what} {shown}: cannot reach {host}:{port} within {timeout:g} s ({reason}); "
            "is the server running?"
        ) from None
    if scheme in ("postgresql", "postgres"):
        _check_postgres_login(url, what, shown, timeout)
    return url


def _check_db_file(path: Path, what: str) -> None:
    if path.is_dir():
        raise ConfigError(f"{what} sqlite:///{path}: is a folder, expected a database file")
    if not path.parent.is_dir():
        raise ConfigError(f"{what} sqlite:///{path}: folder {path.parent} does not exist")
    if path.exists() and path.stat().st_size:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise ConfigError(f"{what} sqlite:///{path}: exists but is not a SQLite database")


def _check_postgres_login(url: str, what: str, shown: str, timeout: float) -> None:
    """Log in once with the URL's credentials and database (a missing database or a wrong
    password is a one-line error now, not a stall inside the first ORM query)."""
    try:
        import psycopg2
        from sqlalchemy.engine import make_url
    except ImportError:
        return
    try:
        u = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for malformed URLs
        raise ConfigError(f"{what} {shown}: malformed URL ({one_line(exc)})") from None
    try:
        conn = psycopg2.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            dbname=u.database,
            connect_timeout=max(1, round(timeout)),
        )
    except psycopg2.Error as exc:
        raise ConfigError(f"{what} {shown}: {one_line(exc)}") from None
    conn.close()


def with_url_timeouts() -> None:
    """Bound MLflow's HTTP client: by default it retries an unreachable server for minutes."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")

"""The tool-boundary checks: one-line errors, outputs never overwritten silently, URLs parsed and
reached within the connect timeout, secrets masked, URLs from env vars and secret files."""

from __future__ import annotations

import socket
import sqlite3
import time

import pytest

from geoarena.cli.checks import (
    ToolParser,
    atomic_output,
    check_input_file,
    check_output_dir,
    check_output_file,
    check_url,
    cli_entry,
    in_range,
    mask_secrets,
    url_from,
)
from geoarena.core.errors import ConfigError, DataError


def _closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "postgresql+psycopg2://geo:s3cr%40t@db:5432/optuna",
            "postgresql+psycopg2://geo:***@db:5432/optuna",
        ),
        ("http://u:pw@host/x and https://a:b@c", "http://u:***@host/x and https://a:***@c"),
        ("dsn host=db password=hunter2 dbname=x", "dsn host=db password=*** dbname=x"),
        ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
        ("http://user@host:5000", "http://user@host:5000"),
    ],
)
def test_mask_secrets(text, masked):
    assert mask_secrets(text) == masked


def test_cli_entry_one_line_errors_and_exit_codes(capsys):
    @cli_entry
    def main(argv):
        p = ToolParser(prog="t.py")
        p.add_argument("--n", type=in_range(int, 1, 10), default=1)
        p.add_argument("--kind", default="data")
        args = p.parse_args(argv)
        if args.kind == "data":
            raise DataError("bad\nthing at postgresql://u:pw@h/db", "x.tif")
        raise RuntimeError("deep library failure")

    assert main(["--n", "0"]) == 2
    err = capsys.readouterr().err
    assert err == "error: argument --n: 0 is outside [1, 10] (see t.py --help)\n"
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err == "error: x.tif: bad thing at postgresql://u:***@h/db\n"
    assert main(["--kind", "bug"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected RuntimeError: deep library failure" in err
    assert main(["--kind", "bug", "--debug"]) == 1
    assert "Traceback" in capsys.readouterr().err
    assert main(["--n", "nan"]) == 2
    assert "'nan' is not an integer" in capsys.readouterr().err


def test_paths(tmp_path):
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="empty file"):
        check_input_file(empty, "--input")
    with pytest.raises(DataError, match="no such file"):
        check_input_file(tmp_path / "nope", "--input")
    with pytest.raises(DataError, match="is a folder"):
        check_input_file(tmp_path, "--input")
    out = tmp_path / "out.tif"
    assert check_output_file(out) == out and not out.exists()
    out.write_text("x")
    with pytest.raises(DataError, match="already exists; pass --overwrite"):
        check_output_file(out)
    check_output_file(out, overwrite=True)
    with pytest.raises(DataError, match=r"folder .* is a file"):
        check_output_file(out / "x.tif")
    with pytest.raises(DataError, match="does not exist"):
        check_output_file(tmp_path / "no" / "x.tif")
    with pytest.raises(DataError, match="is a file, cannot create"):
        check_output_dir(out / "sub")
    (tmp_path / "rep").mkdir()
    (tmp_path / "rep" / "report.md").write_text("x")
    with pytest.raises(DataError, match=r"already holds report\.md"):
        check_output_dir(tmp_path / "rep", overwrite=False, guarded=("report.md",))
    assert list(tmp_path.glob(".geoarena-write-probe-*")) == []


def test_unreachable_server_fails_within_the_timeout():
    port = _closed_port()
    for url in (
        f"http://127.0.0.1:{port}",
        f"postgresql+psycopg2://geo:topsecret@127.0.0.1:{port}/optuna",
    ):
        t0 = time.perf_counter()
        with pytest.raises(ConfigError) as info:
            check_url(url, "--tracking-uri", timeout_s=2)
        assert time.perf_counter() - t0 < 3
        assert f"cannot reach 127.0.0.1:{port}" in str(info.value)
        assert "topsecret" not in str(info.value)


def test_url_shapes(tmp_path):
    with pytest.raises(ConfigError, match="unsupported scheme 'ftp'"):
        check_url("ftp://host/x", "--storage")
    with pytest.raises(ConfigError, match="malformed URL"):
        check_url("postgresql://h:notaport/db", "--storage")
    with pytest.raises(ConfigError, match="does not exist"):
        check_url(f"sqlite:///{tmp_path}/no/such/mlflow.db", "--tracking-uri")
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite")
    with pytest.raises(ConfigError, match="not a SQLite database"):
        check_url(f"sqlite:///{junk}", "--tracking-uri")
    good = tmp_path / "good.db"
    sqlite3.connect(good).execute("create table t (x)").connection.close()
    assert check_url(f"sqlite:///{good}", "--tracking-uri")
    assert check_url(f"journal:{tmp_path}/j.log", "--storage")


def test_url_from_env_and_secret_file(tmp_path, monkeypatch):
    monkeypatch.delenv("GEOARENA_TEST_URL", raising=False)
    monkeypatch.delenv("GEOARENA_TEST_URL_FILE", raising=False)
    assert url_from(None, "GEOARENA_TEST_URL", "--storage") is None
    secret = tmp_path / "storage.url"
    secret.write_text("postgresql://u:pw@h/db\n")
    monkeypatch.setenv("GEOARENA_TEST_URL_FILE", str(secret))
    assert url_from(None, "GEOARENA_TEST_URL", "--storage") == "postgresql://u:pw@h/db"
    monkeypatch.setenv("GEOARENA_TEST_URL", "sqlite:///x.db")
    assert url_from(None, "GEOARENA_TEST_URL", "--storage") == "sqlite:///x.db"
    assert url_from(f"@{secret}", "GEOARENA_TEST_URL", "--storage") == "postgresql://u:pw@h/db"
    assert url_from("memory", "GEOARENA_TEST_URL", "--storage") == "memory"
    secret.write_text("a\nb\n")
    with pytest.raises(DataError, match="exactly one line"):
        url_from(f"@{secret}", "GEOARENA_TEST_URL", "--storage")


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "classes.laz"
    out.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(out) as partial:
        assert partial.suffix == ".laz" and partial.parent == tmp_path
        partial.write_text("half")
        raise RuntimeError("killed mid-write")
    assert out.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    with atomic_output(out) as partial:
        partial.write_text("new")
    assert out.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == [out.name]

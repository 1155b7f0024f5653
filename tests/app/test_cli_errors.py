"""Operator mistakes get one line and the right exit status: bad --db URLs, a read-only command on a missing
archive, a crawl that could read nothing."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from nianbao.cli import main
from tests.support.commands import PG_URL, run_cmd


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: --db: ")
    return lines[0]


@pytest.mark.parametrize(("url", "says"), [
    ("notaurl", "is not a database URL: use sqlite:///"),
    ("foo://bar", "not 'foo': use sqlite:///"),
    ("mysql://user@localhost/nianbao", "on SQLite or PostgreSQL, not 'mysql'"),
    ("postgresql+psycopg2://user@localhost/nianbao", "driver 'psycopg2' is not installed"),
    # the port is picked when the test runs: in the test id it would differ between pytest-xdist workers
    ("postgresql://postgres@127.0.0.1:{free_port}/nianbao", "Connection refused; is the database server running"),
])
@pytest.mark.parametrize("command", [["runs"], ["search", "年报"], ["portals", "list"], ["crawl"]])
def test_bad_database_urls_are_one_line_and_exit_2(url: str, says: str, command: list[str]) -> None:
    line = one_line_error([*command, "--db", url.format(free_port=free_port())])
    assert says in line


def test_a_missing_postgresql_database_says_how_to_create_it() -> None:
    if not PG_URL:
        pytest.skip("NIANBAO_TEST_PG_URL is not set")
    name = f"nianbao_missing_{uuid.uuid4().hex[:8]}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    line = one_line_error(["runs", "--db", url])
    assert f'database "{name}" does not exist; create it first: createdb {name}' in line


def test_read_only_commands_never_create_an_archive(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    for command in (["search", "x"], ["show", "1"], ["runs"], ["export"], ["portals", "list"], ["diff", "1"]):
        line = one_line_error([*command, "--db", f"sqlite:///{missing}"])
        assert f"no archive at {missing}" in line
    assert not (tmp_path / "no").exists()
    created = tmp_path / "new" / "x.db"  # a command that writes still creates one
    result = CliRunner().invoke(main, ["portals", "add", "daan", "--homepage", "http://daan.test/",
                                       "--db", f"sqlite:///{created}"])
    assert result.exit_code == 0 and created.is_file()


@pytest.mark.e2e
def test_a_crawl_that_could_read_nothing_fails(sqlite_url: str) -> None:
    column = f"http://127.0.0.1:{free_port()}/zfxxgknb/"
    result = run_cmd(["nianbao", "crawl", "--url", column, "--db", sqlite_url, "-s", "RETRY_TIMES=0"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nothing new" not in result.stdout
    assert result.stderr.strip().splitlines()[-1] == \
        "Error: run 1 failed: nothing could be read; first error: connection refused"

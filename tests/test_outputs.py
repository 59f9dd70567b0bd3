"""Publishing reports is all-or-nothing, and every way it can fail is exit 4 with one line.

The failures are real filesystem conditions: a directory or FIFO in the way, a folder the scan's user
cannot write (a child process drops root to ``nobody``), a file-size limit that makes writes fail with
EFBIG, a report owned by another user in a sticky folder, a staged file removed behind our back.
"""

from __future__ import annotations

import json
import os
import pwd
import resource
import shutil
import signal
import stat
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from auditor.atomic import publish, stage, staged_set, write_atomic
from auditor.errors import EXIT_OUTPUT, OutputError
from auditor.outputs import write_reports
from auditor.reporters.interface import OutputFormat
from tests.collectors.azure.conftest import arm, start_arm  # noqa: F401  # fixtures for `collect`
from tests.fakes.arm import FakeArm
from tests.reporters.conftest import build_result

from .conftest import run_cli

NOBODY = pwd.getpwnam("nobody")
IS_ROOT = os.geteuid() == 0


def scan(out: Path, *formats: str) -> list[str]:
    return ["scan", "--demo", "--output-dir", str(out), *(arg for f in formats for arg in ("--format", f))]


def old_set(out: Path, *formats: str) -> dict[str, bytes]:
    """Publish a first set of reports (the demo has failing findings: exit 1) and return its contents."""
    code, _, err = run_cli(*scan(out, *formats))
    assert (code, err) == (1, "")
    return contents(out)


def contents(folder: Path) -> dict[str, bytes]:
    """Every entry of ``folder`` (hidden temporaries and backups included) with its bytes."""
    return {entry.name: entry.read_bytes() if entry.is_file() else b"<dir>" for entry in folder.iterdir()}


def one_error_line(err: str, message: str) -> None:
    assert err == f"aks-auditor: error: {message}\n"


def run_cli_in_child(
    *args: str, as_nobody: bool = False, file_size_limit: int | None = None
) -> tuple[int, str, str]:
    """``run_cli`` in a forked child that first drops root to nobody and/or limits the size of files.

    Forked, not exec'd: the interpreter lives under /root (0700), which nobody cannot enter; every module
    the scan needs was imported by the parent's own scan. The child never returns into pytest.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            if file_size_limit is not None:
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails with EFBIG
                resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))
            if as_nobody:
                os.setgroups([])
                os.setgid(NOBODY.pw_gid)
                os.setuid(NOBODY.pw_uid)
            payload = json.dumps(run_cli(*args))
        except BaseException:
            payload = json.dumps([-1, "", traceback.format_exc()])
        with os.fdopen(write, "w") as stream:  # a pipe: not subject to RLIMIT_FSIZE
            stream.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as stream:
        code, out, err = json.loads(stream.read())
    os.waitpid(pid, 0)
    return code, out, err


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder outside pytest's 0700 base directory, so a child running as nobody can reach it."""
    path = Path(tempfile.mkdtemp(prefix="aks-auditor-test-"))
    path.chmod(0o755)
    yield path
    for folder in [path, *path.rglob("*")]:
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)
    shutil.rmtree(path)


@pytest.mark.parametrize(
    ("name", "in_the_way", "reason"),
    [
        ("aks-auditor.sarif", "directory", "is a directory"),
        ("aks-auditor.json", "directory", "is a directory"),
        ("aks-auditor.sarif", "fifo", "is not a regular file"),
    ],
)
def test_something_in_the_way_of_one_report_publishes_none(
    tmp_path: Path, name: str, in_the_way: str, reason: str
) -> None:
    out = tmp_path / "reports"
    before = old_set(out)
    (out / name).unlink()
    if in_the_way == "directory":
        (out / name).mkdir()
        (out / name / "kept").write_text("x", encoding="utf-8")
    else:
        os.mkfifo(out / name)
    code, out_text, err = run_cli(*scan(out))
    assert code == EXIT_OUTPUT == 4
    one_error_line(err, f"{out / name}: cannot write report: {reason}")
    assert "Traceback" not in err + out_text
    after = contents(out)
    assert sorted(after) == sorted(before)  # no new report, no temporary or backup file
    del after[name], before[name]
    assert after == before  # the old reports, bytes unchanged
    assert stat.S_ISDIR((out / name).lstat().st_mode) == (in_the_way == "directory")


def test_a_read_only_output_folder_is_exit_4_for_an_unprivileged_user(open_dir: Path) -> None:
    out = open_dir / "reports"
    before = old_set(out)
    out.chmod(0o555)
    if not IS_ROOT and os.access(out, os.W_OK):
        pytest.skip("this non-root user can write to a 0555 folder (a capability?): nothing to test")
    code, _, err = run_cli_in_child(*scan(out), as_nobody=IS_ROOT)
    assert code == 4
    one_error_line(err, f"{out}: cannot write reports: permission denied")
    assert contents(out) == before


def test_a_full_disk_leaves_the_old_set_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    before = old_set(out)
    by_size = sorted(before, key=lambda name: len(before[name]))
    second, largest = len(before[by_size[-2]]), len(before[by_size[-1]])
    assert largest > second + 4096  # the limit below lets the smaller reports be staged, not the largest
    formats = [Path(name).suffix.removeprefix(".") for name in by_size]  # html, json, sarif: the extensions
    code, _, err = run_cli_in_child(*scan(out, *formats), file_size_limit=(second + largest) // 2)
    assert code == 4
    one_error_line(err, f"{out / by_size[-1]}: cannot write report: file too large")
    assert contents(out) == before  # the staged smaller reports were removed, none was published


def test_a_rename_failing_midway_puts_back_the_reports_it_replaced(open_dir: Path) -> None:
    if not IS_ROOT:
        pytest.skip("needs root: the second report must belong to another user than the one scanning")
    out = open_dir / "shared"
    before = old_set(out, "html", "json")
    out.chmod(0o1777)  # sticky, like /tmp: only a file's owner may rename or replace it
    os.chown(out / "aks-auditor.html", NOBODY.pw_uid, NOBODY.pw_gid)  # nobody's own previous report
    html_inode = (out / "aks-auditor.html").stat().st_ino
    code, _, err = run_cli_in_child(*scan(out, "html", "json"), as_nobody=True)
    assert code == 4
    one_error_line(err, f"{out / 'aks-auditor.json'}: cannot write report: operation not permitted")
    assert contents(out) == before
    assert (out / "aks-auditor.html").stat().st_ino == html_inode  # the previous file itself, renamed back


@pytest.mark.parametrize("first_existed", [True, False])
def test_publish_rolls_back_when_the_second_rename_fails(tmp_path: Path, first_existed: bool) -> None:
    first, second, third = (tmp_path / name for name in ("a.html", "b.json", "c.sarif"))
    if first_existed:
        first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    third.write_bytes(b"old c")
    before = contents(tmp_path)
    with staged_set() as staged:
        for path in (first, second, third):
            stage(path, f"new {path.name}", staged)
        staged[1][0].unlink()  # removed behind our back (a tmp cleaner): the second rename fails
        with pytest.raises(FileNotFoundError) as raised:
            publish(staged)
    assert raised.value.filename == str(second)
    assert contents(tmp_path) == before  # first restored (or removed if it is new), nothing else left


def test_ctrl_c_while_staging_leaves_the_old_files_and_nothing_else(tmp_path: Path) -> None:
    # Python's own SIGINT handler, as in a terminal (a shell starts a background job with SIGINT ignored).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupted_while_staging(tmp_path)
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupted_while_staging(tmp_path: Path) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.json"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")

    def interrupted() -> Iterator[bytes]:
        yield b"half of b"
        signal.raise_signal(signal.SIGINT)  # a real SIGINT: Python raises KeyboardInterrupt here
        yield b"never written"

    with pytest.raises(KeyboardInterrupt), staged_set() as staged:
        stage(first, "new a", staged)
        stage(second, interrupted(), staged)
        publish(staged)
    assert contents(tmp_path) == {"a.html": b"old a", "b.json": b"old b"}


def test_an_output_directory_that_is_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError) as raised:
        write_reports(build_result(), [OutputFormat.JSON, OutputFormat.HTML], out)
    assert (raised.value.message, raised.value.exit_code) == (
        f"{out}: cannot write reports: not a directory",
        4,
    )
    assert contents(tmp_path) == {"out": b"x"}


def test_an_output_directory_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    out = tmp_path / "file" / "out"
    with pytest.raises(OutputError) as raised:
        write_reports(build_result(), [OutputFormat.JSON], out)
    assert raised.value.message == f"{out}: cannot write reports: not a directory"
    assert contents(tmp_path) == {"file": b"x"}


def test_write_atomic_refuses_a_directory_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "estate.json"
    target.mkdir()
    with pytest.raises(IsADirectoryError) as raised:
        write_atomic(target, "{}")
    assert (raised.value.filename, raised.value.strerror) == (str(target), "is a directory")
    assert os.listdir(tmp_path) == ["estate.json"]
    assert os.listdir(target) == []


def test_collect_with_an_unwritable_snapshot_path_is_exit_4_before_anything_is_read(
    arm: FakeArm,  # noqa: F811  # the imported fixture
    tmp_path: Path,
) -> None:
    """A collection of a big estate takes minutes: a snapshot path that cannot be written is refused first."""
    (tmp_path / "file").write_text("x", encoding="utf-8")
    snapshot = tmp_path / "file" / "estate.json"
    code, _, err = run_cli("collect", "-o", str(snapshot), "--arm-endpoint", arm.base, "-q")
    assert code == 4
    one_error_line(err, f"{snapshot}: cannot write snapshot: not a directory")
    assert arm.calls() == []  # not even a token was asked for


def test_collect_to_a_directory_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    """click's ``dir_okay=False`` refuses it as a usage error (2) before any collection starts."""
    code, out, err = run_cli("collect", "-o", str(tmp_path), "-q")
    assert code == 2
    assert f"'{tmp_path}' is a directory" in err
    assert "Traceback" not in err + out
    assert os.listdir(tmp_path) == []

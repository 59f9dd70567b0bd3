"""Atomic file output: stage to hidden temporary siblings, fsync, then publish them all by renaming.

Publishing is all-or-nothing: every target is checked before the first rename, each file being replaced
is moved aside to a hidden backup until the whole set is in place, and a rename failing midway puts the
backups back. No temporary or backup file survives any outcome; Ctrl-C during publishing is held back
until the set is consistent again. Failures are OSErrors whose ``filename`` is the path to report.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

Content = str | bytes | Iterable[bytes]
#: a staged temporary sibling and the path it is published to
Staged = tuple[Path, Path]


def write_atomic(path: Path, content: Content) -> None:
    """Replace ``path`` with ``content`` or, on any failure, leave it as it was."""
    ensure_directory(path.parent)
    with staged_set() as staged:
        stage(path, content, staged)
        publish(staged)


def describe(error: OSError) -> str:
    """The reason of an OSError as the lower-case phrase our one-line messages end with."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def ensure_directory(path: Path) -> None:
    """Create ``path`` and its parents if missing; it must be a directory this process can write to."""
    if not path.is_dir():
        if os.path.lexists(path):
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(path))
        path.mkdir(parents=True, exist_ok=True)
    if os.statvfs(path).f_flag & os.ST_RDONLY:
        raise OSError(errno.EROFS, "read-only file system", str(path))
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "permission denied", str(path))


def check_target(path: Path) -> None:
    """Refuse a target that a rename cannot replace: a directory or another non-regular file."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):  # a symlink is replaced, not followed
        raise OSError(errno.EEXIST, "is not a regular file", str(path))


@contextmanager
def staged_set() -> Iterator[list[Staged]]:
    """A list to :func:`stage` into; every temporary file not published is removed on the way out."""
    staged: list[Staged] = []
    try:
        yield staged
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)


def stage(path: Path, content: Content, staged: list[Staged]) -> Path:
    """Write ``content`` to a hidden temporary sibling of ``path``, add it to ``staged`` and return it.

    Staging several files before renaming any keeps a set of reports all-or-nothing while only one
    rendered report is held in memory at a time.
    """
    chunks = (
        [content.encode("utf-8")]
        if isinstance(content, str)
        else [content]
        if isinstance(content, bytes)
        else content
    )
    with _interrupts_held():  # the new file is recorded before Ctrl-C can strike
        handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        staged.append((Path(name), path))
    with os.fdopen(handle, "wb") as stream:
        os.fchmod(stream.fileno(), 0o666 & ~_umask())  # mkstemp creates 0600; a report is an ordinary file
        for chunk in chunks:
            stream.write(chunk)
        stream.flush()
        os.fsync(stream.fileno())
    return Path(name)


def publish(staged: Sequence[Staged]) -> None:
    """Rename every staged file onto its target, all or nothing.

    Each existing target but the last is first moved aside to a hidden backup in its directory (the last
    rename needs none: it either happens or leaves its target untouched). If a rename fails, the files
    already published are replaced by their backups again (or removed if they are new); on success the
    backups are removed. The OSError raised names the target that could not be written.
    """
    with _interrupts_held():
        for _, target in staged:
            check_target(target)
        moved: list[tuple[Path, Path | None]] = []  # targets touched, with the backup of the previous file
        placed = 0  # how many of them hold their new file
        try:
            for index, (temp, target) in enumerate(staged):
                moved.append((target, _move_aside(target) if index < len(staged) - 1 else None))
                _replace(temp, target)
                placed += 1
        except BaseException as error:
            kept = _roll_back(moved, placed)
            if kept and isinstance(error, OSError):
                note = f"{describe(error)}; rolling back failed, {'; '.join(kept)}"
                raise OSError(error.errno, note, error.filename) from None
            raise
        for target, backup in moved:
            if backup is not None:
                try:
                    backup.unlink()
                except OSError as error:
                    raise _failure(error, target, f"published, but its backup {backup} is left") from None


def _move_aside(target: Path) -> Path | None:
    """Rename ``target`` to a new hidden backup beside it and return that; None if there is no target."""
    if not os.path.lexists(target):
        return None
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bak", dir=target.parent)
    except OSError as error:
        raise _failure(error, target) from None
    os.close(handle)
    backup = Path(name)
    try:
        _replace(target, backup, target)
    except FileNotFoundError:
        backup.unlink()
        return None
    except BaseException:
        backup.unlink()
        raise
    return backup


def _replace(source: Path, destination: Path, named: Path | None = None) -> None:
    """``os.replace``, failing with an OSError that names the target and says why in our words."""
    target = named or destination
    try:
        source.replace(destination)
    except OSError as error:
        check_target(target)  # a directory that appeared after the check: say so, not "not a directory"
        raise _failure(error, target) from None


def _roll_back(moved: list[tuple[Path, Path | None]], placed: int) -> list[str]:
    """Put the previous files back and remove new ones; what could not be undone, said as phrases."""
    kept: list[str] = []
    for index in reversed(range(len(moved))):
        target, backup = moved[index]
        try:
            if backup is not None:
                backup.replace(target)
            elif index < placed:
                target.unlink(missing_ok=True)
        except OSError as error:
            left = f"the previous file is kept at {backup}" if backup else "the new file is left"
            kept.append(f"{target}: {left} ({describe(error)})")
    return kept


def _failure(error: OSError, target: Path, note: str | None = None) -> OSError:
    reason = describe(error) if note is None else f"{note}: {describe(error)}"
    return OSError(error.errno, reason, str(target))


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back SIGINT (KeyboardInterrupt) until the block is done, then deliver it.

    Only the main thread can install handlers, and only it receives KeyboardInterrupt, so in other
    threads this does nothing.
    """
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield  # None: a handler not installed from Python, which could not be put back
        return
    received: list[tuple[int, FrameType | None]] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            if callable(previous):
                previous(*received[0])
            elif previous == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current

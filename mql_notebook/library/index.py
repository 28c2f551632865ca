"""The library's folder and its SQLite index: opened on first use (checked and migrated by
``schema.connect``), every read and write retried patiently while another process holds the
lock, so "database is locked" never reaches the user, and any other SQLite error reaches
the user as a ``LibraryError`` naming the index, its filesystem and what to do.

How the index is used depends on the folder's filesystem (``filesystem.journal_for``):
- WAL (a local disk): one connection per process, readers never wait for the writer;
- the rollback journal (a network, cluster or FUSE filesystem): each read or write holds the
  folder's lock file (``lockfile.IndexLock``) and its own connection, closed before the lock
  is let go, so that a process on another machine opens a file this one has finished with
  (NFS's close-to-open consistency) and nothing relies on POSIX locks reaching it.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from ..errors import LibraryError
from .filesystem import Journal, journal_for
from .lockfile import IndexLock
from .schema import connect, open_index, patiently, set_pragmas

T = TypeVar("T")
F = TypeVar("F", bound="IndexedFolder")
LOCK_SUFFIX = ".mql-lock"
WHAT_TO_DO = (
    "choose a writable folder on a local disk (library=... or MQL_LIBRARY), "
    "or library=False to run without the library"
)


class IndexedFolder:
    """A folder with an SQLite index inside; ``Library`` builds its records on it."""

    def __init__(self, path: Path, index_name: str) -> None:
        self.path = path
        self.index_path = path / index_name
        self.lock_path = path / (index_name + LOCK_SUFFIX)
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._journal: Journal | None = None
        self._checked_pid: int | None = None  # the process that checked and migrated the index
        self._lock = threading.RLock()
        # While write_together runs: the thread running it and its connection, in a transaction.
        self._together: tuple[int, sqlite3.Connection] | None = None

    # -- opening -------------------------------------------------------------------

    def open(self: F) -> F:
        """Create the folder and index if missing, check and migrate it (done on first use anyway)."""
        self._read("opening it", lambda conn: None)
        return self

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None and self._pid == os.getpid():
                conn.close()

    @property
    def journal(self) -> Journal:
        """How this folder's index is used (WAL or the rollback journal), and why."""
        return self._folder()

    def _folder(self) -> Journal:
        """The folder, created if missing, and its journal (probed once per process)."""
        with self._lock:
            if self._journal is None or self._pid != os.getpid():
                try:
                    if self.path.exists() and not self.path.is_dir():
                        raise LibraryError(
                            f"the library folder {self.path} is a file, not a folder: {WHAT_TO_DO}"
                        )
                    self.path.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise LibraryError(
                        f"cannot use the library folder {self.path}: {error.strerror or error}; "
                        f"{WHAT_TO_DO}"
                    ) from error
                self._journal = journal_for(self.path)
                self._pid = os.getpid()
                self._conn = None  # a forked child opens its own
            return self._journal

    @contextlib.contextmanager
    def _using(self) -> Iterator[tuple[sqlite3.Connection, IndexLock | None]]:
        """The connection for one read or write, and the folder's lock when the journal needs one."""
        with self._lock:
            together = self._together
            if together is not None and together[0] == threading.get_ident():
                yield together[1], None  # inside write_together's transaction
                return
            journal = self._folder()
            if journal.wal:
                if self._conn is None:
                    self._conn = connect(self.index_path, journal)
                yield self._conn, None
                return
            with IndexLock(self.lock_path) as held:
                if self._checked_pid != os.getpid():
                    conn = connect(self.index_path, journal)
                    self._checked_pid = os.getpid()
                else:
                    conn = open_index(self.index_path)
                    set_pragmas(conn, journal)
                try:
                    yield conn, held
                finally:
                    conn.close()

    def _read(self, what: str, action: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._using() as (conn, _held):
                return action(conn)

        return self._patiently(what, attempt)

    def _write(self, what: str, action: Callable[[sqlite3.Connection], T]) -> T:
        """One short transaction; IMMEDIATE takes the write lock up front (no upgrade deadlock).
        Inside ``write_together``: a savepoint of its transaction, undone on any error."""
        together = self._together
        if together is not None and together[0] == threading.get_ident():
            return self._in_savepoint(what, together[1], action)

        def attempt() -> T:
            with self._using() as (conn, held), _immediate(conn, held, what):
                return action(conn)

        return self._patiently(what, attempt)

    def write_together(self, actions: list[Callable[[], Any]]) -> list[tuple[bool, Any]]:
        """Blocking: run ``actions`` (calls of this library's own methods) in one transaction:
        one lock taken and one commit for all. Each write is all or nothing (a savepoint);
        the whole is committed at once, so a killed process leaves none of them, never a part.
        Returns (True, result) or (False, the exception) per action, in order."""

        def attempt() -> list[tuple[bool, Any]]:
            with self._using() as (conn, held), _immediate(conn, held, "writing"):
                self._together = (threading.get_ident(), conn)
                try:
                    results: list[tuple[bool, Any]] = []
                    for action in actions:
                        try:
                            results.append((True, action()))
                        except Exception as error:  # that action's own, already undone
                            results.append((False, error))
                    return results
                finally:
                    self._together = None

        return self._patiently("writing together", attempt)

    def _in_savepoint(
        self, what: str, conn: sqlite3.Connection, action: Callable[[sqlite3.Connection], T]
    ) -> T:
        conn.execute("SAVEPOINT one_write")
        try:
            result = action(conn)
        except BaseException as error:
            conn.execute("ROLLBACK TO one_write")
            conn.execute("RELEASE one_write")
            if isinstance(error, sqlite3.Error):
                raise self._error(what, error) from error
            raise
        conn.execute("RELEASE one_write")
        return result

    def _patiently(self, what: str, attempt: Callable[[], T]) -> T:
        try:
            return patiently(attempt, what=what, index=self.index_path)
        except sqlite3.Error as error:  # never a bare SQLite error
            raise self._error(what, error) from error

    def _error(self, what: str, error: sqlite3.Error) -> LibraryError:
        where = self._journal.where() if self._journal else "its filesystem"
        mode = self._journal.label if self._journal else "SQLite"
        return LibraryError(
            f"the library index {self.index_path} failed while {what} ({error}); it is on "
            f"{where}, used with {mode}: {WHAT_TO_DO}"
        )


@contextlib.contextmanager
def _immediate(conn: sqlite3.Connection, held: IndexLock | None, what: str) -> Iterator[None]:
    """One transaction: IMMEDIATE takes the write lock up front (no upgrade deadlock); it is
    committed only while this process still holds the library's lock file, else undone."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        if held is not None and not held.held():
            raise LibraryError(
                f"the library's lock {held.path} was taken from this process while {what} "
                "(it was frozen for longer than the lock lives); nothing was written: try again"
            )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise

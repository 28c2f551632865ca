"""The library's folder and its SQLite index: opened on first use (checked and migrated by
``schema.connect``), one connection per process, every read and write retried patiently while
another process holds the lock, so "database is locked" never reaches the user."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import LibraryError
from .schema import connect, patiently

T = TypeVar("T")
F = TypeVar("F", bound="IndexedFolder")


class IndexedFolder:
    """A folder with an SQLite index inside; ``Library`` builds its records on it."""

    def __init__(self, path: Path, index_name: str) -> None:
        self.path = path
        self.index_path = path / index_name
        self._conn: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._lock = threading.RLock()

    # -- opening -------------------------------------------------------------------

    def open(self: F) -> F:
        """Create the folder and index if missing, check and migrate it (done on first use anyway)."""
        self._connection()
        return self

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None and self._pid == os.getpid():
                conn.close()

    def _connection(self) -> sqlite3.Connection:
        with self._lock:
            if self._conn is None or self._pid != os.getpid():  # a forked child opens its own
                try:
                    if self.path.exists() and not self.path.is_dir():
                        raise LibraryError(
                            f"the library folder {self.path} is a file, not a folder"
                        )
                    self.path.mkdir(parents=True, exist_ok=True)
                except OSError as error:
                    raise LibraryError(
                        f"cannot use the library folder {self.path}: {error.strerror or error}"
                    ) from error
                self._conn = connect(self.index_path)
                self._pid = os.getpid()
            return self._conn

    def _read(self, what: str, action: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            with self._lock:
                return action(self._connection())

        return patiently(attempt, what=what, index=self.index_path)

    def _write(self, what: str, action: Callable[[sqlite3.Connection], T]) -> T:
        """One short transaction; IMMEDIATE takes the write lock up front (no upgrade deadlock)."""

        def attempt() -> T:
            with self._lock:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = action(conn)
                    conn.execute("COMMIT")
                    return result
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

        return patiently(attempt, what=what, index=self.index_path)

"""``Library``: a folder of videos and the SQLite index that remembers every generation.

Every method blocks (SQLite and files): the async client calls them through
``asyncio.to_thread``. One connection per Library and process, used under a lock, so one
Library can be shared by threads; each write is one short transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from .._constants import DEFAULT_LIBRARY_FOLDER as DEFAULT_FOLDER
from .._constants import ENV_LIBRARY
from .._constants import LIBRARY_INDEX_NAME as INDEX_NAME
from .._constants import LIBRARY_OFF as OFF
from ..generation import GENERATIONS_ROUTE
from ..money import Budget, Estimate
from ..status import CANCELLED, COMPLETED, FAILED, PENDING, is_terminal
from . import files
from . import images as input_images
from .durations import LearnedDurations
from .entry import Entry, entry_from_row
from .ratings import LibraryRatings, page_order, page_where
from .reservations import RELEASE_SQL, charge_values, check_budgets
from .rows import rows_of_entries
from .spending import LibraryMoney
from .video_files import VideoFiles

T = TypeVar("T")

_ENTRY_COLUMNS = (
    "key, id, status, prompt, model, options, created_at, finished_at, error, origin, "
    "idempotency_key, origin_kind, answered_at, parent_key, parent_time, videos, seconds, "
    "estimate, cost, currency, released_at, route, rating, note, batch, batch_index, batch_size"
)
# Entry.finished in SQL, so that a large library of finished work is not read for pending().
_NOT_FINISHED = (
    f"status NOT IN ('{FAILED}', '{CANCELLED}') AND NOT (status = '{COMPLETED}' AND EXISTS "
    "(SELECT 1 FROM files WHERE files.entry_key = entries.key))"
)


def default_path(environ: dict[str, str] | None = None) -> Path:
    """``MQL_LIBRARY`` when set (and not ``off``), else ``./mql-videos`` in the working directory."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_LIBRARY, "").strip()
    return Path(value if value and value.lower() != OFF else DEFAULT_FOLDER)


class Library(LibraryMoney, LearnedDurations, LibraryRatings, VideoFiles):
    """The product's memory: ``Library(path=None)`` is the folder ``path``, else ``MQL_LIBRARY``,
    else ``./mql-videos``. Inside: ``library.sqlite3`` and one ``<id>.mp4`` (``<id>-2.mp4``...)
    and ``<id>.jpg`` poster per video.

    Read it with ``entries()``, ``get(id)``, ``pending()``; ``delete(id)`` removes an entry and its
    files (never the remote job); ``rate``, ``note``, ``children`` (ratings.py). Money (spending.py): ``set_budget``, ``budget_status``,
    ``set_prices``, ``prices``, ``spent``, ``spent_today``. Nothing is opened until first used.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        folder = default_path() if path is None else Path(path)
        super().__init__(folder.expanduser().absolute(), INDEX_NAME)

    def __repr__(self) -> str:
        return f"Library({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Library) and other.path == self.path

    def __hash__(self) -> int:
        return hash(self.path)

    def __getstate__(self) -> dict[str, Any]:  # to a multiprocessing child: the folder only
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])  # type: ignore[misc]

    def __enter__(self) -> Library:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------

    def entries(
        self,
        status: str | Iterable[str] | None = None,
        limit: int | None = None,
        *,
        min_rating: int | None = None,
    ) -> list[Entry]:
        """Entries newest first; ``status`` keeps those with that normalised status (or statuses),
        ``min_rating`` those rated at least that many stars."""
        where, params = page_where("", min_rating)
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            where += f"{' AND' if where else 'WHERE'} status IN ({', '.join('?' * len(wanted))})"
            params.extend(wanted)
        sql = f"SELECT {_ENTRY_COLUMNS} FROM entries {where} ORDER BY created_at DESC, rowid DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return self._read("listing entries", lambda c: self._entries(c, sql, params))

    def page(
        self,
        text: str = "",
        *,
        offset: int = 0,
        limit: int = 50,
        min_rating: int | None = None,
        sort: str = "newest",
        **filters: Any,
    ) -> tuple[list[Entry], int]:
        """One page of entries with ``text`` (any case) in their prompt, model, note or id, rated
        ``min_rating`` or more, newest (or ``sort="rating"``: best rated) first, and how many match;
        ``model=``, ``where={"seed": 3}`` and ``batch=`` keep those (filters.py)."""
        where, params = page_where(text, min_rating, **filters)
        sql = (
            f"SELECT {_ENTRY_COLUMNS} FROM entries {where} "
            f"ORDER BY {page_order(sort)} LIMIT ? OFFSET ?"
        )

        def query(conn: sqlite3.Connection) -> tuple[list[Entry], int]:
            total = conn.execute(f"SELECT COUNT(*) FROM entries {where}", params).fetchone()[0]
            rows = self._entries(conn, sql, [*params, max(0, int(limit)), max(0, int(offset))])
            return rows, int(total)

        return self._read("reading a page of entries", query)

    def children(self, id_or_key: str) -> list[Entry]:
        """The entries made from this one (a frame of its video their first frame), oldest first."""
        key = getattr(self.get(id_or_key), "key", id_or_key)
        sql = f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE parent_key = ? ORDER BY created_at"
        return self._read("listing children", lambda c: self._entries(c, sql, [key]))

    def get(self, id_or_key: str) -> Entry | None:
        """The entry with this generation id (or this library key), or None."""
        sql = (
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE id = ? OR key = ? "
            "ORDER BY id = ? DESC LIMIT 1"
        )
        found = self._read("reading an entry", lambda c: self._entries(c, sql, [id_or_key] * 3))
        return found[0] if found else None

    def by_idempotency_key(self, idempotency_key: str) -> Entry | None:
        """The entry whose create carried this key (a batch derives keys from its lines)."""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE idempotency_key = ? LIMIT 1"
        found = self._read("reading an entry", lambda c: self._entries(c, sql, [idempotency_key]))
        return found[0] if found else None

    def models(self) -> list[str]:
        """The distinct models of the entries, the most recently used first."""
        sql = (
            "SELECT model FROM entries WHERE model IS NOT NULL AND model != '' "
            "GROUP BY model ORDER BY MAX(created_at) DESC"
        )
        rows = self._read("reading the models used", lambda c: c.execute(sql).fetchall())
        return [row[0] for row in rows]

    def pending(self) -> list[Entry]:
        """Entries not finished: still running, never answered, or completed with no video here."""
        sql = (
            f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE {_NOT_FINISHED} "
            "ORDER BY created_at DESC, rowid DESC"
        )
        found = self._read("listing pending entries", lambda c: self._entries(c, sql, []))
        return [e for e in found if not e.finished]

    def _entries(self, conn: sqlite3.Connection, sql: str, params: list[Any]) -> list[Entry]:
        rows = conn.execute(sql, params).fetchall()
        if not rows:
            return []
        by_key: dict[str, list[tuple[Any, ...]]] = {}
        keys = [row[0] for row in rows]
        select = (
            "SELECT entry_key, variant, name, size, sha256, poster FROM files WHERE entry_key IN"
        )
        for f in rows_of_entries(conn, select, keys):
            by_key.setdefault(f[0], []).append(f[1:])
        pictures = input_images.read_rows(conn, self.path, keys)
        return [
            entry_from_row(self.path, row, by_key.get(row[0], []), pictures.get(row[0]))
            for row in rows
        ]

    # -- recording (the client calls these; a batch or CLI may too) -------------------

    def record_request(
        self,
        *,
        prompt: str | None,
        model: str | None,
        options: dict[str, Any],
        origin: str | None,
        idempotency_key: str,
        origin_kind: str | None = None,
        images: dict[str, Any] | None = None,
        parent: str | None = None,
        parent_time: float | None = None,
        charge: Estimate | None = None,
        budget: Budget | None = None,
        run: str | None = None,
        route: str | None = None,
    ) -> Entry:
        """Before a create leaves: the request and its key. The same key again is the same entry.

        ``images`` (field -> EncodedImage or URL) are kept in ``images/``, one copy per distinct
        image; ``parent`` is the entry (key or id) whose frame the run was made from.

        ``charge`` (the create's estimate: videos, seconds, amount) is reserved against the
        library's budget and ``budget`` (a client's own, counting the entries of its ``run``)
        in this same transaction: BudgetExceededError, and nothing recorded, if it does not fit
        (reservations.py). A key seen before holds its reservation already, unless it was
        given back (a refused create sent again), when it is taken again.

        ``route``: the API route it is sent to ("minimax" for a MiniMax task; None: generations).
        """

        def insert(conn: sqlite3.Connection) -> str:
            now = time.time()
            found = conn.execute(
                "SELECT key, released_at FROM entries WHERE idempotency_key = ? AND origin IS ?",
                (idempotency_key, origin),
            ).fetchone()
            if found and (found[1] is None or charge is None):
                return str(found[0])
            if charge is not None:
                check_budgets(conn, charge, own=budget, run=run, now=now)
            if found:
                conn.execute(
                    "UPDATE entries SET released_at = NULL, videos = ?, seconds = ?, estimate = ?, "
                    "currency = ?, run = ? WHERE key = ?",
                    (*charge_values(charge), run, found[0]),
                )
                return str(found[0])
            key = uuid.uuid4().hex
            parent_key = parent
            if parent is not None:  # an id is stored as its entry's key
                row = conn.execute(
                    "SELECT key FROM entries WHERE key = ? OR id = ? LIMIT 1", (parent, parent)
                ).fetchone()
                parent_key = row[0] if row else parent
            conn.execute(
                "INSERT INTO entries (key, status, prompt, model, options, origin, origin_kind, "
                "idempotency_key, created_at, parent_key, parent_time, videos, seconds, estimate, "
                "currency, run, route) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    PENDING,
                    prompt,
                    model,
                    json.dumps(options, sort_keys=True),
                    origin,
                    origin_kind,
                    idempotency_key,
                    now,
                    parent_key,
                    parent_time,
                    *charge_values(charge),
                    run,
                    None if route == GENERATIONS_ROUTE else route,
                ),
            )
            input_images.insert_rows(conn, key, image_rows)
            return key

        if images:
            self._folder()  # the folder exists from here on; the copies go in before the row
        image_rows = input_images.store_all(self.path, images or {})
        key = self._write("recording a request", insert)
        entry = self.get(key)
        assert entry is not None
        return entry

    def record_answer(self, key: str, generation_id: str, status: str) -> None:
        """The create was answered: the entry now has its id."""

        def update(conn: sqlite3.Connection) -> None:
            other = conn.execute(
                "SELECT key FROM entries WHERE id = ? AND key != ?", (generation_id, key)
            ).fetchone()
            if other:  # already known (downloaded by id before): keep one entry
                conn.execute("DELETE FROM entries WHERE key = ? AND id IS NULL", (key,))
                return
            now = time.time()
            conn.execute(
                "UPDATE entries SET id = ?, status = ?, answered_at = ?, error = NULL, "
                f"finished_at = CASE WHEN ? THEN ? ELSE finished_at END, {RELEASE_SQL} "
                "WHERE key = ?",
                (generation_id, status, now, is_terminal(status), now, status, now, key),
            )

        self._write("recording a create's answer", update)

    def record_status(self, id_or_key: str, status: str, *, error: str | None = None) -> str | None:
        """A status seen (written only when it changed); returns the status recorded before, if any."""

        def update(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT key, status, error FROM entries WHERE id = ? OR key = ? "
                "ORDER BY id = ? DESC LIMIT 1",
                (id_or_key, id_or_key, id_or_key),
            ).fetchone()
            if row is None:
                return None
            key, before, error_before = row
            if before != status or (error is not None and error != error_before):
                now = time.time()
                conn.execute(
                    "UPDATE entries SET status = ?, error = COALESCE(?, error), "
                    "finished_at = CASE WHEN ? THEN COALESCE(finished_at, ?) ELSE NULL END, "
                    f"{RELEASE_SQL} WHERE key = ?",
                    (status, error, is_terminal(status), now, status, now, key),
                )
            return str(before)

        return self._write("recording a status", update)

    def record_error(self, id_or_key: str, error: str) -> None:
        """A note on an entry (a lost answer, a failed download) that does not change its status."""
        self._write(
            "recording an error",
            lambda c: c.execute(
                "UPDATE entries SET error = ? WHERE id = ? OR key = ?",
                (error, id_or_key, id_or_key),
            ),
        )

    def record_file(
        self,
        generation_id: str,
        variant: int,
        path: Path,
        *,
        size: int,
        sha256: str,
        poster: Path | None = None,
        origin: str | None = None,
    ) -> None:
        """A downloaded video now in the folder; an id the library never saw gets an entry too."""

        def upsert(conn: sqlite3.Connection) -> None:
            row = conn.execute("SELECT key FROM entries WHERE id = ?", (generation_id,)).fetchone()
            now = time.time()
            if row is None:
                key = uuid.uuid4().hex
                conn.execute(
                    "INSERT INTO entries (key, id, status, origin, created_at, finished_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (key, generation_id, COMPLETED, origin, now, now),
                )
            else:
                key = row[0]
                conn.execute(
                    "UPDATE entries SET status = ?, finished_at = COALESCE(finished_at, ?) "
                    "WHERE key = ?",
                    (COMPLETED, now, key),
                )
            conn.execute(
                "INSERT OR REPLACE INTO files (entry_key, variant, name, size, sha256, poster) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (key, variant, path.name, size, sha256, poster.name if poster else None),
            )

        self._write("recording a downloaded file", upsert)

    def delete(self, id_or_key: str) -> bool:
        """Remove an entry and its files from the library (never the job on the server).

        A video being played meanwhile keeps playing: on POSIX its file lives until closed.
        """
        entry = self.get(id_or_key)
        if entry is None:
            return False
        copies = [i.path.name for i in entry.images.values() if i.path is not None]

        def remove(c: sqlite3.Connection) -> list[str]:
            c.execute("DELETE FROM files WHERE entry_key = ?", (entry.key,))
            c.execute("DELETE FROM input_images WHERE entry_key = ?", (entry.key,))
            c.execute("DELETE FROM entries WHERE key = ?", (entry.key,))
            return input_images.unused(c, copies)  # an image other runs share stays

        for name in self._write("deleting an entry", remove):
            input_images.remove_unused(self.path, name)
        for path in (*entry.files, *entry.posters):
            if path is not None:
                files.remove_quietly(path)
        return True

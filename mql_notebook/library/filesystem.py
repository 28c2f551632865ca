"""What the library's folder is on, known before the index is used: the mount, and a probe.

SQLite's WAL keeps its index of the log in shared memory (an ``mmap`` of ``-shm``) that every
process using the file must see. Network and cluster filesystems (NFS, SMB, Lustre, GPFS,
CephFS, ...) cannot share that memory between machines, and many FUSE filesystems refuse a
shared ``mmap`` even on one machine; ``PRAGMA journal_mode=WAL`` answers ``wal`` all the same,
and the first write fails ("disk I/O error"). So the journal is chosen here:

- the mount that holds the folder (Linux: ``/proc/self/mountinfo``): a filesystem another
  machine may share (``SHARED_TYPES``, any ``fuse.*``) gets the rollback journal, whatever a
  probe on this machine says (WAL there corrupts once a second machine writes);
- otherwise a probe, a scratch database in the folder with WAL on and one write, decides:
  WAL where it really works, else the rollback journal;
- the rollback journal is probed too (one write): a folder where neither works is refused
  with a ``LibraryError`` naming it, before the index is touched.

The verdict is kept per folder and process (a probe costs a few milliseconds).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..errors import LibraryError

WAL = "wal"
ROLLBACK = "delete"  # SQLite's rollback journal, deleted at each commit

MOUNTINFO = Path("/proc/self/mountinfo")
# Filesystems where another machine may open the same file: WAL is never safe there.
SHARED_TYPES = frozenset(
    {
        *("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "lustre", "gpfs", "ceph", "glusterfs"),
        *("beegfs", "orangefs", "pvfs2", "ocfs2", "gfs2", "afs", "davfs", "ncpfs", "panfs"),
        *("fuse", "fuseblk", "virtiofs", "vboxsf", "vmhgfs", "prl_fs", "weka", "wekafs"),
    }
)
# Filesystems of one machine's own disks (or memory): WAL works there.
LOCAL_TYPES = frozenset(
    {
        *("ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "bcachefs"),
        *("tmpfs", "ramfs", "overlay", "apfs", "hfs", "hfsplus", "ntfs3", "vfat", "exfat"),
    }
)


@dataclass(frozen=True)
class Mount:
    """One line of ``/proc/self/mountinfo``: where, what filesystem, from where, its options."""

    point: str
    fstype: str
    source: str
    options: str = ""

    @property
    def shared(self) -> bool:
        """Whether another machine may use this filesystem (network, cluster, FUSE)."""
        return self.fstype in SHARED_TYPES or self.fstype.startswith("fuse.")

    @property
    def local(self) -> bool:
        return self.fstype in LOCAL_TYPES

    def __str__(self) -> str:
        return f"{self.fstype} ({self.source} mounted at {self.point})"


@dataclass(frozen=True)
class Journal:
    """How the index of one folder is used: ``mode`` (``WAL`` or ``ROLLBACK``) and why."""

    mode: str
    mount: Mount | None
    reason: str

    @property
    def wal(self) -> bool:
        return self.mode == WAL

    @property
    def label(self) -> str:
        return "WAL" if self.wal else "the rollback journal and the folder's lock file"

    def where(self) -> str:
        """The folder's filesystem, for messages."""
        return f"a {self.mount} filesystem" if self.mount else "a filesystem of unknown type"


def _unescape(field: str) -> str:
    """mountinfo writes a space as ``\\040``, a tab ``\\011``, a newline ``\\012``, ``\\`` as ``\\134``."""
    for code, char in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, char)
    return field


def parse_mountinfo(text: str) -> list[Mount]:
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if len(fields) < dash + 3 or len(fields) < 5:
            continue
        super_options = fields[dash + 3] if len(fields) > dash + 3 else ""
        mounts.append(
            Mount(
                point=_unescape(fields[4]),
                fstype=fields[dash + 1],
                source=_unescape(fields[dash + 2]),
                options=f"{fields[5]},{super_options}",
            )
        )
    return mounts


def mount_of(path: Path, mounts: list[Mount] | None = None) -> Mount | None:
    """The mount holding ``path`` (its nearest existing folder, symlinks resolved), or None
    where there is no ``/proc/self/mountinfo`` (not Linux)."""
    if mounts is None:
        try:
            mounts = parse_mountinfo(MOUNTINFO.read_text(errors="replace"))
        except OSError:
            return None
    existing = Path(path).absolute()
    tail: list[str] = []
    while not existing.exists() and existing != existing.parent:
        existing, tail = existing.parent, [existing.name, *tail]
    real = os.path.join(os.path.realpath(existing), *tail)
    best: Mount | None = None
    for mount in mounts:  # the longest mount point holding it; of equals, the last (on top)
        point = mount.point.rstrip("/") or "/"
        inside = real == point or real.startswith(point if point == "/" else point + "/")
        if inside and (best is None or len(point) >= len(best.point.rstrip("/") or "/")):
            best = mount
    return best


def probe(folder: Path, mode: str) -> str | None:
    """Make a scratch database in ``folder`` with this journal and write to it: None when it
    worked, else what went wrong. The scratch files are removed in every case."""
    scratch = folder / f".mql-probe-{uuid.uuid4().hex[:12]}.sqlite3"
    try:
        conn = sqlite3.connect(scratch, timeout=5, isolation_level=None)
        try:
            answer = conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]
            if str(answer).lower() != mode:
                return f"journal mode {answer} instead of {mode}"
            conn.execute("CREATE TABLE probe (x)")
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO probe VALUES (1)")
            conn.execute("COMMIT")
            if conn.execute("SELECT x FROM probe").fetchone() != (1,):
                return "a row written was not read back"
        finally:
            conn.close()
    except (sqlite3.Error, OSError) as error:
        return str(error) or type(error).__name__
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(f"{scratch}{suffix}")
    return None


def choose_journal(folder: Path, mount: Mount | None) -> Journal:
    """The journal for the index in ``folder`` (which exists); LibraryError when none works."""
    if mount is not None and mount.shared:
        reason = f"{mount.fstype} may be shared by several machines: WAL is unsafe there"
    else:
        failed = probe(folder, WAL)
        if failed is None:
            return Journal(WAL, mount, "a WAL probe wrote and read back")
        reason = f"a WAL probe failed there ({failed})"
    failed = probe(folder, ROLLBACK)
    if failed is not None:
        where = f"a {mount} filesystem" if mount else "its filesystem"
        raise LibraryError(
            f"the library folder {folder} cannot hold an SQLite index: {reason}, and a write "
            f"with the rollback journal failed too ({failed}); it is on {where}: choose a "
            f"writable folder (library=... or MQL_LIBRARY), or library=False to run without one"
        )
    return Journal(ROLLBACK, mount, reason)


_verdicts: dict[tuple[int, str], Journal] = {}
_verdicts_lock = threading.Lock()


def journal_for(folder: Path) -> Journal:
    """``choose_journal`` once per folder and process (a forked child probes again)."""
    key = (os.getpid(), os.path.realpath(folder))
    with _verdicts_lock:
        found = _verdicts.get(key)
    if found is None:
        found = choose_journal(folder, mount_of(folder))
        with _verdicts_lock:
            _verdicts[key] = found
    return found

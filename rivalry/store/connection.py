"""Opening the store: one ``connect`` for every connection to the file, ``open_db`` for a
writer (checked, upgraded, in WAL mode) and ``open_readonly`` for a reader SQLite itself keeps
from writing."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from rivalry.store.errors import StoreError
from rivalry.store.schema import SCHEMA_VERSION, migrate, too_new
from rivalry.store.views import ensure_views

DEFAULT_DB = Path("data") / "rivalry.db"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The database path: --db, else $RIVALRY_DB, else data/rivalry.db."""
    return Path(explicit or os.environ.get("RIVALRY_DB") or DEFAULT_DB)


def connect(path: str | os.PathLike, *, mode: str | None = None,
            timeout: float = 30) -> sqlite3.Connection:
    """A plain connection to the store file. ``mode`` is an SQLite URI parameter ("mode=ro",
    "immutable=1") or None for read and write. The one place a connection is made: the
    crawler's short reads and writes, the writer, the readers and the snapshot all come here."""
    if mode is None:
        return sqlite3.connect(str(path), timeout=timeout)
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?{mode}", uri=True, timeout=timeout)


def _database_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    # Let SQLite itself recognise a foreign file: opening and closing the file with Python would
    # drop every POSIX lock this process holds on it (fcntl locks are per process, not per fd).
    if "file is not a database" in str(exc):
        return StoreError(f"{path} is not an SQLite database")
    if "malformed" in str(exc):
        return StoreError(damaged_message(path, str(exc)))
    return StoreError(f"{path}: {exc}")


def open_db(path: str | os.PathLike | None = None, *, create: bool = True,
            check: bool = True) -> sqlite_utils.Database:
    """Open (and create or upgrade) the store for writing.

    Nothing is written before the file has passed ``PRAGMA quick_check`` (``check``): a
    damaged file is refused as it is, not given a run row first."""
    path = db_path(path)
    if not path.exists():
        if not create:
            raise StoreError(f"{path} does not exist (run `rivalry crawl` or `rivalry nightly` first)")
        path.parent.mkdir(parents=True, exist_ok=True)
    _check_writable(path)
    try:
        conn = connect(path)
        db = sqlite_utils.Database(conn)
        if check:
            _check_intact(conn, path)
        # Refuse a newer file before anything here changes it (journal_mode=WAL rewrites the
        # header of a rollback-journal file).
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            conn.close()
            raise StoreError(too_new(path, version))
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA synchronous=NORMAL")
        migrate(db, path)
        ensure_views(db)
    except sqlite3.DatabaseError as exc:
        raise _database_error(path, exc) from None
    return db


def _check_writable(path: Path) -> None:
    # access() reports a read-only mount even to root (EROFS), unlike a permission bit. A
    # writer needs the folder too: WAL keeps its -wal and -shm files beside the database.
    for place in (path, path.parent):
        if place.exists() and not os.access(place, os.W_OK):
            raise StoreError(f"{path}: cannot write to {'the database' if place == path else 'its folder'}"
                             f" (read-only storage?); writers need the file and its folder writable")


def _check_intact(conn: sqlite3.Connection, path: Path) -> None:
    """PRAGMA quick_check: every b-tree page and its order, not index contents (0.6 s for a
    200 MB file, warm cache; integrity_check takes twice that)."""
    problems = [row[0] for row in conn.execute("PRAGMA quick_check(3)")]
    if problems != ["ok"]:
        conn.close()
        # Its rows are multi-line ("*** in database main ***\nPage 12: ..."): one line here.
        detail = "; ".join(line for row in problems for line in row.splitlines() if not line.startswith("***"))
        raise StoreError(damaged_message(path, f"quick_check: {detail}") + "; nothing was written")


def damaged_message(path: Path, detail: str) -> str:
    return (f"{path} is damaged ({detail[:300]}); restore it from a backup or the snapshot "
            f"(rivalry snapshot), or try the sqlite3 shell's .recover")


# PRAGMAs a reader may run. Those whose argument names a table or index may take one; the
# others read a setting and are refused when given a value (which would change it).
PRAGMAS_WITH_NAME = {"table_info", "table_xinfo", "index_list", "index_info", "index_xinfo",
                     "foreign_key_list", "integrity_check", "quick_check", "table_list"}
PRAGMAS_READ_ONLY = {"user_version", "schema_version", "page_count", "page_size", "freelist_count",
                     "database_list", "compile_options", "collation_list", "function_list",
                     "module_list", "pragma_list", "journal_mode", "encoding", "data_version"}


def reader_authorizer(action, arg1, arg2, db_name, trigger):
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA:
        allowed = arg1 in PRAGMAS_WITH_NAME or (arg1 in PRAGMAS_READ_ONLY and arg2 is None)
        return sqlite3.SQLITE_OK if allowed else sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def open_readonly(path: str | os.PathLike | None = None) -> sqlite3.Connection:
    """A read-only connection: SQLite refuses every write (mode=ro, query_only) and the
    authorizer refuses ATTACH, DETACH and any PRAGMA that could change state.

    On read-only storage (a published snapshot on a read-only mount) a WAL file cannot be read
    with mode=ro: SQLite must create its -shm file. There the file is opened immutable, which
    is exact as long as no -wal file holds changes that never reached the database."""
    path = db_path(path)
    if not path.exists():
        raise StoreError(f"{path} does not exist")
    try:
        conn = _open_reader(path, "mode=ro")
    except sqlite3.OperationalError as exc:
        if not _on_read_only_storage(path):
            raise _database_error(path, exc) from None
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            raise StoreError(f"{path} is on read-only storage with changes still in {wal.name}; "
                             f"copy both to writable storage, or publish a `rivalry snapshot`") from None
        try:
            conn = _open_reader(path, "immutable=1")
        except sqlite3.DatabaseError as exc2:
            raise _database_error(path, exc2) from None
    except sqlite3.DatabaseError as exc:
        raise _database_error(path, exc) from None
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.set_authorizer(reader_authorizer)
    if version > SCHEMA_VERSION:
        raise StoreError(too_new(path, version))
    return conn


# A reader maps the file (up to SQLite's build limit, 2 GB here) instead of one read() per
# page: at a million documents a search walks megabytes of the full-text index and a timeline
# joins thousands of rows at random places. Address space, not memory: the pages are the
# kernel's file cache, shared with every other reader.
READER_MMAP_BYTES = 1 << 40


def _open_reader(path: Path, mode: str) -> sqlite3.Connection:
    conn = connect(path, mode=mode)
    try:
        conn.execute("PRAGMA query_only=ON")
        conn.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
        # Reads the schema page: a file with an SQLite header but a damaged body fails here,
        # named, instead of at the first query as a bare "file is not a database".
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def _on_read_only_storage(path: Path) -> bool:
    return not os.access(path.parent, os.W_OK)

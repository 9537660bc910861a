"""The store: the one SQLite file every stage reads and writes, at the bottom of the layout.

It imports nothing above it (not the crawler, the tagger, the site or the CLI; only the leaf
modules rivalry.limits and rivalry.shutdown), so every stage can use it and none is reached
through it (tests/test_layout.py). Callers import from here; the modules say where each concern
lives:

- schema.py      the tables and their migrations (PRAGMA user_version)
- views.py       the analysts' views, recreated when their SQL changes
- connection.py  connect() (every connection), open_db() (writer), open_readonly() (reader)
- writes.py      writes shared by several stages: sources, documents, runs, the taxonomy
                 and the evaluation figures
- reads.py       reads shared by the site and the CLI: the change counter, entry times,
                 the methodology page's taxonomy and evaluation figures
- snapshot.py    the publication snapshot
- files.py       atomic file writes and spreadsheet-safe cells
- lock.py        the writer lock (one writer at a time)
"""

from rivalry.store.connection import (
    DEFAULT_DB, PRAGMAS_READ_ONLY, PRAGMAS_WITH_NAME, READER_MMAP_BYTES, connect, damaged_message,
    db_path, open_db, open_readonly, reader_authorizer,
)
from rivalry.store.errors import StoreError
from rivalry.store.files import FORMULA_STARTS, spreadsheet_safe, write_file_atomically
from rivalry.store.reads import change_state, entry_times, evaluation, taxonomy
from rivalry.store.schema import CHANGE_LOGGED, MIGRATIONS, SCHEMA_VERSION, migrate
from rivalry.store.snapshot import snapshot
from rivalry.store.writes import (
    MEASURED, SHIPPED, TO_BE_PUBLISHED, content_hash, cut_text, document_id, finish_run, record_evaluation,
    record_taxonomy, recorded_run, start_run, upsert_document, upsert_source, utc_now,
)

__all__ = [
    "CHANGE_LOGGED", "DEFAULT_DB", "FORMULA_STARTS", "MEASURED", "MIGRATIONS",
    "PRAGMAS_READ_ONLY", "PRAGMAS_WITH_NAME", "READER_MMAP_BYTES", "SCHEMA_VERSION", "SHIPPED",
    "TO_BE_PUBLISHED", "StoreError", "change_state", "connect", "content_hash", "cut_text",
    "damaged_message", "db_path", "document_id", "entry_times", "evaluation", "finish_run",
    "migrate", "open_db", "open_readonly", "reader_authorizer", "record_evaluation",
    "record_taxonomy", "recorded_run", "snapshot", "spreadsheet_safe", "start_run", "taxonomy",
    "upsert_document", "upsert_source", "utc_now", "write_file_atomically",
]

"""The schema of the one SQLite file every stage reads and writes, created and upgraded here and
nowhere else.

Its version lives in ``PRAGMA user_version``; ``MIGRATIONS[n]`` upgrades a file from version n
to n+1, so an older database is upgraded in place the first time a newer rivalry opens it.
Stages talk to each other only through these tables (see docs/data-model.md).
"""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from rivalry.store.errors import StoreError


def _v1(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE sources (
            id TEXT PRIMARY KEY,          -- slug from sources.toml, e.g. 'federal-register'
            name TEXT NOT NULL,
            owner TEXT,                   -- who publishes it, e.g. 'US Commerce/BIS'
            country TEXT,                 -- ISO code of the publisher
            kind TEXT NOT NULL,           -- feed | api | listing | sitemap | manual
            language TEXT,
            url TEXT
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,        -- nightly | crawl | tag | build | ingest
            started TEXT NOT NULL,
            finished TEXT,
            status TEXT NOT NULL,         -- running | ok | failed | flagged | interrupted
            counts TEXT,                  -- JSON: per stage / per source counts
            errors TEXT                   -- JSON: per source reasons
        );
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,          -- sha1(canonical_url)[:16]
            source_id TEXT NOT NULL REFERENCES sources(id),
            url TEXT NOT NULL,            -- the URL as fetched
            canonical_url TEXT NOT NULL UNIQUE,
            title TEXT,
            published_at TEXT,            -- UTC ISO 8601, when the source published; NULL if unknown
            date_source TEXT,             -- where published_at came from: api | feed | meta | url | page
            fetched_at TEXT NOT NULL,
            language TEXT,
            text TEXT,                    -- clean main text
            content_hash TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'ok', -- ok | irrelevant | no_text
            extra TEXT                    -- JSON: source-specific fields (document number, type...)
        );
        CREATE INDEX idx_documents_source ON documents(source_id);
        CREATE INDEX idx_documents_published ON documents(published_at);
        CREATE TABLE document_versions (
            id INTEGER PRIMARY KEY,
            document_id TEXT NOT NULL REFERENCES documents(id),
            title TEXT,
            text TEXT,
            published_at TEXT,
            fetched_at TEXT NOT NULL,
            content_hash TEXT NOT NULL
        );
        CREATE INDEX idx_versions_document ON document_versions(document_id);
        CREATE TABLE entities (
            id TEXT PRIMARY KEY,          -- stable slug, e.g. 'us-bis', 'nvidia', 'h20'
            name TEXT NOT NULL,
            type TEXT NOT NULL,           -- country | agency | company | ai_lab | ai_model | chip | official | law | organization | person
            country TEXT,
            aliases TEXT,                 -- JSON list
            origin TEXT NOT NULL DEFAULT 'gazetteer' -- gazetteer | model (found by the NER, not in the gazetteer)
        );
        CREATE TABLE taggings (
            document_id TEXT PRIMARY KEY REFERENCES documents(id),
            pipeline_version TEXT NOT NULL,
            tagged_at TEXT NOT NULL,
            status TEXT NOT NULL,         -- tagged | skipped
            reason TEXT                   -- why skipped (e.g. 'language: zh')
        );
        CREATE TABLE mentions (
            id INTEGER PRIMARY KEY,
            document_id TEXT NOT NULL REFERENCES documents(id),
            entity_id TEXT NOT NULL REFERENCES entities(id),
            start INTEGER NOT NULL,       -- character offsets into documents.text
            end INTEGER NOT NULL,
            surface TEXT NOT NULL,
            sentence TEXT
        );
        CREATE INDEX idx_mentions_document ON mentions(document_id);
        CREATE INDEX idx_mentions_entity ON mentions(entity_id);
        CREATE TABLE events (
            id TEXT PRIMARY KEY,          -- sha1(document, offsets, action)[:16]
            document_id TEXT NOT NULL REFERENCES documents(id),
            action TEXT NOT NULL,         -- taxonomy code, see nlp/data/actions.toml
            actor_id TEXT REFERENCES entities(id),
            target_id TEXT REFERENCES entities(id),
            object_id TEXT REFERENCES entities(id),
            event_date TEXT,              -- YYYY-MM-DD, when it happened
            date_source TEXT,             -- stated | published
            modality TEXT,                -- asserted | negated | future | proposed | alleged | charged | convicted
            status TEXT,                  -- announced | proposed | final | effective | suspended | rescinded
            magnitude TEXT,
            trigger TEXT,
            evidence TEXT NOT NULL,       -- the sentence
            evidence_start INTEGER NOT NULL,
            evidence_end INTEGER NOT NULL,
            confidence REAL,
            pipeline_version TEXT NOT NULL
        );
        CREATE INDEX idx_events_document ON events(document_id);
        CREATE INDEX idx_events_date ON events(event_date);
        CREATE INDEX idx_events_actor ON events(actor_id);
        CREATE INDEX idx_events_target ON events(target_id);
        """
    )
    # FTS5 over title + text; sqlite-utils' triggers keep it in sync on insert, update, delete.
    db.table("documents").enable_fts(["title", "text"], create_triggers=True)


def _v2(db: sqlite_utils.Database) -> None:
    # "Everything that touched X in year Y": one (entity, date) index per role, so SQLite answers
    # `actor_id = :e OR target_id = :e OR object_id = :e` plus a date range from three index ranges.
    db.executescript(
        """
        DROP INDEX IF EXISTS idx_events_actor;
        DROP INDEX IF EXISTS idx_events_target;
        CREATE INDEX idx_events_actor_date ON events(actor_id, event_date);
        CREATE INDEX idx_events_target_date ON events(target_id, event_date);
        CREATE INDEX idx_events_object_date ON events(object_id, event_date);
        """
    )


def _v3(db: sqlite_utils.Database) -> None:
    # Crawler: validators for conditional GET of feeds/listings/API pages, and each source's
    # health (last success, what it yielded, last error, canary flag) for `rivalry sources/status`.
    db.executescript(
        """
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,         -- the index URL as requested
            source_id TEXT NOT NULL,
            etag TEXT,
            last_modified TEXT,
            fetched_at TEXT NOT NULL
        );
        CREATE TABLE source_health (
            source_id TEXT PRIMARY KEY,
            last_run TEXT NOT NULL,       -- when the source was last crawled
            last_success TEXT,            -- when it last finished without a failure
            last_items INTEGER,           -- documents stored (new or changed) in the last crawl
            last_entries INTEGER,         -- items seen on its feed/listing/API in the last crawl
            best_entries INTEGER,         -- most items ever seen in one crawl (the canary's baseline)
            last_error TEXT,              -- why the last failed crawl failed
            last_error_at TEXT,
            canary TEXT                   -- set while the source looks broken (yields nothing, no dates...)
        );
        """
    )


def _v4(db: sqlite_utils.Database) -> None:
    # Tagger: stories (one timeline entry per real-world action, many reports) and links between
    # them (a countermeasure answering a rule). Written by nlp/stories.py after each tag run.
    db.executescript(
        """
        CREATE TABLE stories (
            id TEXT PRIMARY KEY,          -- sha1(key)[:16]: the same clustering gives the same id
            key TEXT NOT NULL UNIQUE,     -- how it was clustered: 'fr:2025-00636',
                                          -- 'mofcom:2025-61', 'bill:hr-1234', 'case:...' or
                                          -- 'actor|action|target|first_date' (date window)
            key_kind TEXT NOT NULL,       -- identifier | window
            action TEXT NOT NULL,         -- the story's main action (taxonomy code)
            actor_id TEXT,
            target_id TEXT,
            object_id TEXT,
            first_date TEXT,              -- earliest event_date of its events
            last_date TEXT,
            title TEXT,                   -- the primary document's title
            summary TEXT,                 -- the primary event's evidence sentence
            primary_document_id TEXT REFERENCES documents(id), -- official source first
            primary_event_id TEXT,
            event_count INTEGER NOT NULL,
            document_count INTEGER NOT NULL,
            pipeline_version TEXT
        );
        CREATE INDEX idx_stories_last_date ON stories(last_date);
        CREATE INDEX idx_stories_action ON stories(action, last_date);
        ALTER TABLE events ADD COLUMN story_id TEXT REFERENCES stories(id);
        CREATE INDEX idx_events_story ON events(story_id);
        CREATE TABLE event_links (
            id INTEGER PRIMARY KEY,
            from_event TEXT REFERENCES events(id) ON DELETE CASCADE, -- the answer
            from_story TEXT NOT NULL REFERENCES stories(id),
            to_event TEXT REFERENCES events(id) ON DELETE CASCADE,   -- what it answers
            to_story TEXT NOT NULL REFERENCES stories(id),
            kind TEXT NOT NULL,           -- response
            basis TEXT NOT NULL,          -- stated ("in response to") | inferred (timing + overlap)
            evidence TEXT,                -- the stating sentence, or why it was inferred
            UNIQUE (from_story, to_story, kind)
        );
        CREATE INDEX idx_event_links_to ON event_links(to_story);
        """
    )


def _v5(db: sqlite_utils.Database) -> None:
    # Crawler resume: a source's crawl marks itself started and incomplete, and complete only
    # when it finished without failure. After a crash or a failure half way through a listing,
    # the next crawl walks every page instead of stopping at the first page of known items.
    db.executescript(
        """
        ALTER TABLE source_health ADD COLUMN last_started TEXT;
        ALTER TABLE source_health ADD COLUMN complete INTEGER NOT NULL DEFAULT 1;
        """
    )


CHANGE_LOGGED = ("sources", "entities", "documents", "events", "stories", "event_links")


def _v6(db: sqlite_utils.Database) -> None:
    # Site: what changed since the last build. Every insert, update and delete of a row the site
    # shows bumps one counter (change_seq) and records the row with that sequence number in
    # change_log (one row per table and id: its latest change, and whether it is gone). A build
    # keeps the number it saw; when it is unchanged, nothing the site shows changed. The token
    # tells two stores apart whose counters happen to agree.
    script = [
        """
        CREATE TABLE change_seq (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL,         -- bumped by every change to a logged table
            token TEXT NOT NULL           -- random, made with the table: which store this is
        );
        INSERT INTO change_seq (id, seq, token) VALUES (1, 0, lower(hex(randomblob(8))));
        CREATE TABLE change_log (
            table_name TEXT NOT NULL,
            row_id TEXT NOT NULL,
            seq INTEGER NOT NULL,         -- change_seq.seq of the row's latest change
            deleted INTEGER NOT NULL,     -- 1 when that change removed it
            PRIMARY KEY (table_name, row_id)
        );
        CREATE INDEX idx_change_log_seq ON change_log(seq);
        """
    ]
    log = ("UPDATE change_seq SET seq = seq + 1;"
           " INSERT INTO change_log (table_name, row_id, seq, deleted)"
           " SELECT '{table}', CAST({row}.id AS TEXT), seq, {deleted} FROM change_seq WHERE {when}"
           " ON CONFLICT (table_name, row_id) DO UPDATE SET seq = excluded.seq,"
           " deleted = excluded.deleted;")
    for table in CHANGE_LOGGED:
        script.append(
            f"CREATE TRIGGER change_log_{table}_insert AFTER INSERT ON {table} BEGIN "
            + log.format(table=table, row="NEW", deleted=0, when="1") + " END;")
        script.append(
            f"CREATE TRIGGER change_log_{table}_update AFTER UPDATE ON {table} BEGIN "
            + log.format(table=table, row="NEW", deleted=0, when="1")
            + log.split(";", 1)[1].format(table=table, row="OLD", deleted=1,
                                          when="OLD.id IS NOT NEW.id") + " END;")
        script.append(
            f"CREATE TRIGGER change_log_{table}_delete AFTER DELETE ON {table} BEGIN "
            + log.format(table=table, row="OLD", deleted=1, when="1") + " END;")
    db.executescript("\n".join(script))


def _v7(db: sqlite_utils.Database) -> None:
    # Document-first tagging: an event is a timeline entry that its document reports as new, or
    # an earlier action it mentions as context (shown on its own date, never as new); dates carry
    # their precision and the effective date apart; stories get a readable headline; a source
    # says its time zone (the publisher's day) and who issues its documents (the default actor).
    db.executescript(
        """
        ALTER TABLE events ADD COLUMN role TEXT NOT NULL DEFAULT 'new';
        ALTER TABLE events ADD COLUMN date_precision TEXT;
        ALTER TABLE events ADD COLUMN effective_date TEXT;
        ALTER TABLE stories ADD COLUMN headline TEXT;
        ALTER TABLE sources ADD COLUMN timezone TEXT;
        ALTER TABLE sources ADD COLUMN issuer_id TEXT;
        """
    )


def _v8(db: sqlite_utils.Database) -> None:
    # A decade of news (about a million documents): reads that stay fast at that size.
    # - event_entities: one narrow row per (entity, event), whatever the role or roles, kept by
    #   triggers. "Everything that touched X in year Y" is one range of its primary key, already
    #   in date order: no OR over three indexes, no sort of ~15,000 wide rows, and a first page of
    #   50 of the most frequent entity (in 40% of events) without reading the other 190,000.
    distinct_entities = ("SELECT DISTINCT entity_id FROM (SELECT {row}.actor_id AS entity_id"
                         " UNION ALL SELECT {row}.target_id UNION ALL SELECT {row}.object_id)"
                         " WHERE entity_id IS NOT NULL")
    insert = ("INSERT INTO event_entities (entity_id, event_date, event_id) SELECT entity_id,"
              " NEW.event_date, NEW.id FROM (" + distinct_entities.format(row="NEW") + ");")
    delete = ("DELETE FROM event_entities WHERE entity_id IN (OLD.actor_id, OLD.target_id,"
              " OLD.object_id) AND event_date IS OLD.event_date AND event_id = OLD.id;")
    # One transaction with the user_version that migrate() sets after it (executescript would
    # commit each statement: a store killed half way through the fill must not be left with the
    # table and without the version, which the next open could not migrate again).
    if not db.conn.in_transaction:
        db.execute("BEGIN")
    for statement in (
        """CREATE TABLE event_entities (
            entity_id TEXT NOT NULL,      -- the entity, in any role (actor, target, object)
            event_date TEXT,              -- events.event_date
            event_id TEXT NOT NULL,       -- events.id
            PRIMARY KEY (entity_id, event_date, event_id)
        )""",
        """INSERT INTO event_entities (entity_id, event_date, event_id)
            SELECT DISTINCT entity_id, event_date, id FROM (
                SELECT actor_id AS entity_id, event_date, id FROM events
                UNION ALL SELECT target_id, event_date, id FROM events
                UNION ALL SELECT object_id, event_date, id FROM events)
            WHERE entity_id IS NOT NULL ORDER BY 1, 2, 3""",
        f"CREATE TRIGGER event_entities_insert AFTER INSERT ON events BEGIN {insert} END",
        f"CREATE TRIGGER event_entities_delete AFTER DELETE ON events BEGIN {delete} END",
        f"""CREATE TRIGGER event_entities_update AFTER UPDATE OF id, actor_id, target_id, object_id,
            event_date ON events BEGIN {delete} {insert} END""",
    ):
        db.execute(statement)


def _v9(db: sqlite_utils.Database) -> None:
    # The methodology page's inputs, written by the stages that own them, so the site reads only
    # the store: the taxonomy the tagger used (nlp/tagger.py writes it at every tag run), and the
    # tagger's evaluation figures (`rivalry eval` writes what it measured; `rivalry tag` records
    # the figures shipped with the package, docs/eval.json, unless eval measured some).
    # One transaction with the user_version, as in _v8.
    if not db.conn.in_transaction:
        db.execute("BEGIN")
    for statement in (
        """CREATE TABLE taxonomy (
            code TEXT PRIMARY KEY,        -- action code, as in events.action
            description TEXT NOT NULL,    -- what it means (nlp/data/actions.toml)
            pipeline_version TEXT NOT NULL -- the tagger version that used it
        )""",
        """CREATE TABLE evaluations (
            split TEXT PRIMARY KEY,       -- the gold split scored: test | dev
            figures TEXT NOT NULL,        -- JSON, as `rivalry eval --json` writes it
            pipeline_version TEXT,        -- the tagger version scored
            origin TEXT NOT NULL,         -- measured (by `rivalry eval`) | shipped (docs/eval.json)
            recorded_at TEXT NOT NULL     -- when it was written here
        )""",
    ):
        db.execute(statement)


def _v10(db: sqlite_utils.Database) -> None:
    # Stories clustered again only where new events can change them (nlp/stories_incremental.py):
    # the change counter the last clustering left, and a fingerprint of what it read besides
    # events and documents (the entities' sides, the sources' kinds), so the next one knows
    # which events are new since.
    db.execute(
        """CREATE TABLE story_clustering (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            token TEXT NOT NULL,          -- change_seq.token: which store the counter is of
            seq INTEGER NOT NULL,         -- change_seq.seq right after the clustering's writes
            inputs TEXT NOT NULL,         -- fingerprint of the entities and sources it read
            pipeline_version TEXT         -- the tagger version that clustered
        )""")


MIGRATIONS = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10]
SCHEMA_VERSION = len(MIGRATIONS)


def too_new(path: Path, version: int) -> str:
    return (f"{path} has schema version {version}, newer than this rivalry understands "
            f"({SCHEMA_VERSION}); upgrade rivalry")


def migrate(db: sqlite_utils.Database, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(too_new(path, version))
    for target in range(version, SCHEMA_VERSION):
        with db.conn:  # each migration is one transaction
            MIGRATIONS[target](db)
            db.execute(f"PRAGMA user_version={target + 1}")

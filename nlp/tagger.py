"""The tagging stage: documents -> entities, mentions, events (see docs/architecture.md).

    from nlp.tagger import tag_documents, PIPELINE_VERSION
    counts = tag_documents(db)               # only untagged / outdated documents
    counts = tag_documents(db, retag=True)   # everything again

Reads `documents`, writes `entities`, `mentions`, `events`, `taggings`, and for the methodology
page `taxonomy` (the actions it looks for) and `evaluations` (the shipped figures). Each document is
written in one transaction, so a crash leaves every document either fully tagged by the current
pipeline version or untouched (and picked up by the next run).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from rivalry import store
from rivalry.limits import MAX_TEXT_CHARS

from .actions import ACTIONS_PATH, load_taxonomy
from .clean import BOILERPLATE_PATH, non_english_reason, prepare
from .gazetteer import GAZETTEER_PATH, load_gazetteer

# Bump when a change in the code changes what the tagger writes for the same input.
CODE_VERSION = "12"


def _model_tag() -> str:
    import json as _json
    from importlib.util import find_spec

    from .pipeline import model_name

    name = model_name()
    meta_path = Path(find_spec(name).origin).parent / "meta.json"  # type: ignore[union-attr, arg-type]  # installed
    meta = _json.loads(meta_path.read_text(encoding="utf-8"))
    # The pinned re-upload has the official weights under another package name: same tag.
    return f"en_core_web_sm-{meta.get('version', '?')}"


def _data_hash(*paths: Path) -> str:
    h = hashlib.sha1()
    for p in paths:
        files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
        for f in files:
            h.update(f.name.encode())
            h.update(f.read_bytes() if f.exists() else b"<missing>")
        if not files:
            h.update(b"<missing>")
    return h.hexdigest()[:10]


def pipeline_version(gazetteer_path: Path = GAZETTEER_PATH,
                     actions_path: Path = ACTIONS_PATH) -> str:
    """model name+version, a hash of the data files and the trained entry model, CODE_VERSION."""
    from .entries import MODEL_DIR

    data = _data_hash(Path(gazetteer_path), Path(actions_path), BOILERPLATE_PATH, MODEL_DIR)
    return f"{_model_tag()}+data.{data}+code.{CODE_VERSION}"


def make_extractor(nlp, gazetteer_path: Path, actions_path: Path, version: str):
    """The document-first extractor: sentence candidates, then the trained entry builder."""
    from .entries import EntryBuilder, EntryModel
    from .extract import Extractor

    entities = load_gazetteer(gazetteer_path)
    builder = EntryBuilder({e.id: e for e in entities}, EntryModel.load())
    return Extractor(nlp, entities, load_taxonomy(actions_path), version, builder=builder)


PIPELINE_VERSION = pipeline_version()

SKIP_STATUSES_REASON = "document status: {}"


def upsert_gazetteer(db, entities) -> int:
    rows = [{"id": e.id, "name": e.name, "type": e.type, "country": e.country,
             "aliases": json.dumps(e.aliases, ensure_ascii=False), "origin": "gazetteer"}
            for e in entities]
    with db.conn:
        db["entities"].upsert_all(rows, pk="id")
    return len(rows)


def _pending(db, retag: bool, version: str, page: int = 200) -> Iterator[dict]:
    """Documents to (re)tag, read page by page by id so memory stays flat."""
    last = ""
    cond = "" if retag else \
        "AND (t.document_id IS NULL OR t.pipeline_version != :version)"
    # The text is read cut to the store's bound: a document stored before the store cut texts
    # (or by another writer) cannot stall a nightly or make spaCy refuse the batch (E088).
    sql = f"""
        SELECT d.id, substr(d.text, 1, :max_chars), d.published_at, d.status, d.language,
               d.title, d.url, s.timezone, s.issuer_id, length(d.text)
        FROM documents d LEFT JOIN taggings t ON t.document_id = d.id
        LEFT JOIN sources s ON s.id = d.source_id
        WHERE d.id > :last {cond}
        ORDER BY d.id LIMIT :page"""
    while True:
        rows = db.execute(sql, {"last": last, "version": version, "page": page,
                                "max_chars": MAX_TEXT_CHARS}).fetchall()
        if not rows:
            return
        for r in rows:
            cut = f"text cut to {MAX_TEXT_CHARS:,} of {r[9]:,} characters" \
                if (r[9] or 0) > MAX_TEXT_CHARS else None
            yield {"id": r[0], "text": r[1], "published_at": r[2], "status": r[3],
                   "language": r[4], "title": r[5], "url": r[6], "timezone": r[7],
                   "issuer_id": r[8], "cut": cut}
        last = rows[-1][0]


def _info(doc: dict):
    from .document import DocumentInfo

    return DocumentInfo(doc["id"], title=doc.get("title"), published_at=doc.get("published_at"),
                        timezone=doc.get("timezone"), issuer_id=doc.get("issuer_id"),
                        url=doc.get("url"))


def _skip_reason(doc: dict) -> str | None:
    if doc["status"] != "ok":
        return SKIP_STATUSES_REASON.format(doc["status"])
    if not (doc["text"] or "").strip():
        return "empty text"
    reason = non_english_reason(doc["text"])
    if reason is None and doc.get("language") and \
            not str(doc["language"]).lower().startswith("en") and len(doc["text"]) < 200:
        # too short to detect: trust the language the source declared
        reason = f"language: {doc['language']} (declared)"
    return reason


def _write(db, doc_id: str, version: str, *, result=None, reason: str | None = None) -> None:
    from rivalry.store import utc_now

    # One transaction: sqlite-utils commits each db.execute on its own unless one is open,
    # and a run killed in between must not leave events of an untagged document.
    with db.atomic():
        db.execute("DELETE FROM events WHERE document_id = ?", [doc_id])
        db.execute("DELETE FROM mentions WHERE document_id = ?", [doc_id])
        if result is not None:
            if result.new_entities:
                # Model-found entities: insert if new, never overwrite a gazetteer row.
                db["entities"].insert_all(result.new_entities.values(), pk="id", ignore=True)
            if result.mentions:
                db["mentions"].insert_all(result.mentions)
            if result.events:
                db["events"].insert_all(result.events, pk="id", replace=True)
        db["taggings"].upsert({
            "document_id": doc_id, "pipeline_version": version, "tagged_at": utc_now(),
            "status": "tagged" if result is not None else "skipped", "reason": reason,
        }, pk="document_id")


_WORKER: dict = {}


def _worker_init(gaz_path: str, act_path: str, version: str) -> None:
    """Load the pipeline once per worker process (inherited as is when the process forks)."""
    if _WORKER.get("key") == (gaz_path, act_path, version):
        return
    from .pipeline import load_nlp

    nlp = load_nlp(gaz_path, act_path)
    _WORKER.update(key=(gaz_path, act_path, version), nlp=nlp,
                   extractor=make_extractor(nlp, Path(gaz_path), Path(act_path), version))


def _work(docs: list[dict], batch_size: int) -> list[tuple[str, str | None, object]]:
    """Tag a batch in a worker: [(doc id, skip reason, Result | None)] in order."""
    nlp, extractor = _WORKER["nlp"], _WORKER["extractor"]
    out: list = [None] * len(docs)
    todo = []
    for i, doc in enumerate(docs):
        reason = _skip_reason(doc)
        if reason:
            out[i] = (doc["id"], reason, None)
        else:
            todo.append((i, doc, prepare(doc["text"])))
    texts = ((p.text, (i, doc, p)) for i, doc, p in todo)
    for parsed, (i, doc, prepared) in nlp.pipe(texts, as_tuples=True, batch_size=batch_size):
        result = extractor.extract(parsed, document_id=doc["id"], info=_info(doc),
                                   offset=prepared.to_original)
        out[i] = (doc["id"], doc["cut"], result)
    return out


def tag_documents(db, *, retag: bool = False, batch_size: int = 32,
                  progress: Callable[[int], None] | None = None,
                  gazetteer_path: str | Path | None = None,
                  actions_path: str | Path | None = None, nlp=None,
                  workers: int = 1, stories: bool = True) -> dict:
    """Tag every document not yet tagged by this pipeline version (all if `retag`).

    Returns counts: documents tagged / skipped, mentions, events, entities (gazetteer rows
    upserted + new model entities), and the story clustering's counts. `progress(n)` is called
    after each document. `workers` > 1 tags in that many processes; documents stream through
    in bounded windows either way, so memory does not grow with the corpus. Writes happen in
    this process only (one SQLite writer). `stories`: recluster stories and responses when
    anything was (re)tagged.
    """
    from .evaluate import record_shipped
    from .pipeline import load_nlp

    gaz_path = Path(gazetteer_path or GAZETTEER_PATH)
    act_path = Path(actions_path or ACTIONS_PATH)
    version = pipeline_version(gaz_path, act_path)
    entities = load_gazetteer(gaz_path)
    counts = {"tagged": 0, "skipped": 0, "mentions": 0, "events": 0,
              "entities": upsert_gazetteer(db, entities), "new_entities": 0}
    # The methodology page's inputs, in the store the site reads: the taxonomy used here, and
    # the shipped evaluation figures (unless `rivalry eval` recorded measured ones).
    described = {code: action.description for code, action in load_taxonomy(act_path).actions.items()}
    store.record_taxonomy(db, described, version)
    record_shipped(db)

    def record(doc_id, result=None, reason=None) -> None:
        if result is None:
            _write(db, doc_id, version, reason=reason)
            counts["skipped"] += 1
        else:
            known = {r[0] for r in db.execute(
                "SELECT id FROM entities WHERE id IN (%s)" % ",".join(
                    "?" * len(result.new_entities)),
                list(result.new_entities))} if result.new_entities else set()
            _write(db, doc_id, version, result=result, reason=reason)
            counts["tagged"] += 1
            counts["mentions"] += len(result.mentions)
            counts["events"] += len(result.events)
            counts["new_entities"] += len(set(result.new_entities) - known)
        if progress:
            progress(1)

    if workers and workers > 1:
        _tag_parallel(db, retag, version, gaz_path, act_path, workers, batch_size, nlp, record)
    else:
        nlp = nlp or load_nlp(gaz_path, act_path)
        extractor = make_extractor(nlp, gaz_path, act_path, version)

        def texts() -> Iterator[tuple[str, tuple]]:
            for doc in _pending(db, retag, version):
                reason = _skip_reason(doc)
                if reason:
                    record(doc["id"], reason=reason)
                    continue
                prepared = prepare(doc["text"])  # mojibake repaired, boilerplate blanked
                doc["text"] = None  # the pipeline holds the prepared copy; free the original
                yield prepared.text, (doc, prepared)

        for parsed, (doc, prepared) in nlp.pipe(texts(), as_tuples=True,
                                                batch_size=batch_size):
            record(doc["id"], extractor.extract(parsed, document_id=doc["id"], info=_info(doc),
                                                offset=prepared.to_original), reason=doc["cut"])
    if stories and (counts["tagged"] or counts["skipped"] or _stories_missing(db)):
        from .stories import cluster_stories

        counts.update(cluster_stories(db, version=version))
    return counts


def _stories_missing(db) -> bool:
    return db.execute("SELECT 1 FROM events WHERE story_id IS NULL AND modality != 'negated' "
                      "AND role = 'new' LIMIT 1").fetchone() is not None


def _tag_parallel(db, retag, version, gaz_path, act_path, workers, batch_size, nlp,
                  record) -> None:
    """Batches of documents to a process pool, at most 2 per worker in flight (bounded memory);
    results come back in order and are written here."""
    import multiprocessing as mp
    from collections import deque
    from itertools import islice

    if nlp is not None:  # a forked worker inherits the loaded pipeline instead of loading it
        _WORKER.update(key=(str(gaz_path), str(act_path), version), nlp=nlp,
                       extractor=make_extractor(nlp, gaz_path, act_path, version))
    import threading

    # Forking a process that runs other threads (a crawl's reactor in `rivalry nightly`) can
    # copy a lock some thread holds and hang the child: fork only a single-threaded process,
    # else start fresh workers (each loads the pipeline itself).
    fork = "fork" in mp.get_all_start_methods() and threading.active_count() == 1
    if fork:
        from .clean import detect_language
        detect_language("warm up the language model once, before forking")  # shared by workers
    ctx = mp.get_context("fork" if fork else "spawn")
    pending = _pending(db, retag, version)
    task_size = max(1, batch_size)
    with ctx.Pool(workers, initializer=_worker_init,
                  initargs=(str(gaz_path), str(act_path), version)) as pool:
        inflight: deque = deque()

        def submit() -> bool:
            batch = list(islice(pending, task_size))
            if batch:
                inflight.append(pool.apply_async(_work, (batch, batch_size)))
            return bool(batch)

        for _ in range(workers * 2):
            if not submit():
                break
        while inflight:
            results = inflight.popleft().get()
            submit()
            for doc_id, reason, result in results:
                record(doc_id, result=result, reason=reason)
        pool.close()
        pool.join()

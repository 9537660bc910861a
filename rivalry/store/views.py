"""Views for the questions analysts ask most. Derived from the tables, so they are not versioned
with the schema: ``ensure_views`` (re)creates any view whose SQL differs from the one here each
time the store is opened for writing. Documented in docs/data-model.md."""

from __future__ import annotations

import sqlite_utils

VIEWS = {
    # One row per story: the same real-world action reported by many documents, once.
    "story_timeline": """
SELECT s.last_date AS date, s.first_date, s.action, s.actor_id, actor.name AS actor,
       actor.country AS actor_country, s.target_id, target.name AS target,
       target.country AS target_country, s.object_id, object.name AS object, s.headline,
       (SELECT date_precision FROM events WHERE id = s.primary_event_id) AS date_precision,
       s.title, s.summary,
       s.event_count AS events, s.document_count AS sources,
       (SELECT group_concat(source_id, ' ') FROM (
            SELECT DISTINCT d.source_id FROM events e JOIN documents d ON d.id = e.document_id
            WHERE e.story_id = s.id ORDER BY d.source_id)) AS source_ids,
       primary_doc.url AS primary_url, s.key, s.key_kind, s.id AS story_id
FROM stories s
LEFT JOIN entities actor ON actor.id = s.actor_id
LEFT JOIN entities target ON target.id = s.target_id
LEFT JOIN entities object ON object.id = s.object_id
LEFT JOIN documents primary_doc ON primary_doc.id = s.primary_document_id""",
    # One row per event, with names instead of ids and the primary source.
    "timeline": """
SELECT e.event_date AS date, e.date_precision, e.role, e.action, e.actor_id, actor.name AS actor, actor.country AS actor_country,
       e.target_id, target.name AS target, target.country AS target_country,
       e.object_id, object.name AS object, e.modality, e.status, e.evidence,
       d.title AS document_title, d.url AS document_url, d.source_id, d.published_at,
       e.id AS event_id, e.document_id, e.story_id
FROM events e
JOIN documents d ON d.id = e.document_id
LEFT JOIN entities actor ON actor.id = e.actor_id
LEFT JOIN entities target ON target.id = e.target_id
LEFT JOIN entities object ON object.id = e.object_id""",
    # One row per entity and event that touches it (as actor, target or object; once if in
    # several roles): the timeline's columns after the entity's id. Filter on entity_id and date
    # and order by date (and event_id): one range of event_entities, already in that order.
    "timeline_by_entity": """
SELECT x.entity_id, x.event_date AS date, e.date_precision, e.role, e.action, e.actor_id,
       actor.name AS actor, actor.country AS actor_country,
       e.target_id, target.name AS target, target.country AS target_country,
       e.object_id, object.name AS object, e.modality, e.status, e.evidence,
       d.title AS document_title, d.url AS document_url, d.source_id, d.published_at,
       x.event_id, e.document_id, e.story_id
FROM event_entities x
JOIN events e ON e.id = x.event_id
JOIN documents d ON d.id = e.document_id
LEFT JOIN entities actor ON actor.id = e.actor_id
LEFT JOIN entities target ON target.id = e.target_id
LEFT JOIN entities object ON object.id = e.object_id""",
    # Per entity: how often it acts, is acted on, is mentioned, and when it was first and last seen.
    "entity_activity": """
SELECT en.id AS entity_id, en.name, en.type, en.country,
       (SELECT count(*) FROM events WHERE actor_id = en.id) AS events_as_actor,
       (SELECT count(*) FROM events WHERE target_id = en.id) AS events_as_target,
       (SELECT count(*) FROM events WHERE object_id = en.id) AS events_as_object,
       (SELECT count(*) FROM mentions WHERE entity_id = en.id) AS mentions,
       (SELECT count(DISTINCT document_id) FROM mentions WHERE entity_id = en.id) AS documents,
       (SELECT min(event_date) FROM events WHERE en.id IN (actor_id, target_id, object_id)) AS first_event,
       (SELECT max(event_date) FROM events WHERE en.id IN (actor_id, target_id, object_id)) AS last_event
FROM entities en""",
    # Events per month, by the actor's country and action type.
    "actions_per_month": """
SELECT substr(e.event_date, 1, 7) AS month, coalesce(actor.country, '') AS country, e.action,
       count(*) AS events
FROM events e LEFT JOIN entities actor ON actor.id = e.actor_id
WHERE e.event_date IS NOT NULL
GROUP BY month, country, e.action""",
    # Each document with each entity it mentions.
    "document_entities": """
SELECT d.id AS document_id, d.title, d.published_at, d.source_id, d.url,
       m.entity_id, en.name AS entity, en.type AS entity_type, count(*) AS mentions
FROM documents d
JOIN mentions m ON m.document_id = d.id
JOIN entities en ON en.id = m.entity_id
GROUP BY d.id, m.entity_id""",
}


def _normalise(sql: str | None) -> str:
    return " ".join((sql or "").split())


def ensure_views(db: sqlite_utils.Database) -> None:
    existing = {name: sql for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'view'").fetchall()}
    for name, body in VIEWS.items():
        wanted = f"CREATE VIEW {name} AS {body.strip()}"
        if _normalise(existing.get(name)) != _normalise(wanted):
            with db.atomic():
                db.execute(f"DROP VIEW IF EXISTS {name}")
                db.execute(wanted)

"""Crash harness: SIGKILL `rivalry` at random moments of crawl, tag, build, snapshot and
nightly, then check that nothing is damaged, duplicated, half-published or lost.

Each trial starts from a copy of a known state, runs one command, kills its whole process
group after a random delay inside that command's measured running time, then checks:

- the store: PRAGMA integrity_check, no duplicate documents / mentions / events / stories, no
  ok document without text, no rows of a half-tagged document (reliability.common);
- the published site: exactly the old build or a complete new one (every file of its manifest
  present with its hash, the manifest equal to the old or to the reference new one);
- the snapshot: the old file or a complete new one (quick_check ok, same rows as the store);
- a re-run of the same command completes (no stale lock, exit 0), leaves the store equal to the
  reference (rows lost 0, extra 0) and, for build/nightly, publishes the new site.

    python -m reliability.crash --kills 40 --seed 7
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import time
from pathlib import Path

from reliability.common import (SAMPLE, SAMPLE_SOURCES, compare, fingerprint, run, sha256_file,
                                start, store_problems)

def read_manifest(folder: Path) -> dict[str, str]:
    """path -> sha256 from a site folder's manifest (sitegen/output.py writes `.manifest`, a
    marshal of (magic, salt, {path: [sha256, key]}); older builds wrote `.manifest.json`).
    Raises ValueError when there is none or it cannot be read."""
    import marshal

    if (folder / ".manifest").exists():
        try:
            data = marshal.loads((folder / ".manifest").read_bytes())
        except (EOFError, TypeError, ValueError) as exc:
            raise ValueError(f"damaged manifest: {exc}") from None
        entries = data[-1] if isinstance(data, tuple) else data
    elif (folder / ".manifest.json").exists():
        entries = json.loads((folder / ".manifest.json").read_text("utf-8"))
    else:
        raise ValueError("no manifest")
    if not isinstance(entries, dict):
        raise ValueError("manifest of an unknown shape")
    return {k: (v[0] if isinstance(v, (list, tuple)) else v) for k, v in entries.items()}
STAGES = ("crawl", "tag", "build", "snapshot", "nightly")


def _sources(ids) -> list[str]:
    out = []
    for sid in ids:
        out += ["--source", sid]
    return out


def stage_args(stage: str, state: Path) -> list:
    db, site, snap = state / "rivalry.db", state / "public", state / "snapshot.db"
    return {
        "crawl": ["crawl", "--db", db, "--replay", SAMPLE, *_sources(SAMPLE_SOURCES)],
        "tag": ["tag", "--db", db],
        "build": ["build", "--db", db, "--out", site],
        "snapshot": ["snapshot", "--db", db, "--out", snap],
        "nightly": ["nightly", "--db", db, "--replay", SAMPLE, *_sources(SAMPLE_SOURCES), "--out", site],
    }[stage]


# --- the published site --------------------------------------------------------------------

def site_files(folder: Path) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = Path(dirpath) / name
            out[path.relative_to(folder).as_posix()] = sha256_file(path)
    return out


_FEED_TIMES = re.compile(rb"<(published|updated)>[^<]*</(?:published|updated)>\n?")


def feed_entries(path: Path) -> list[bytes]:
    """A feed without its times, entries sorted: a feed's published and updated are when the
    crawl fetched its documents (rivalry.store.entry_times), so a re-run's feeds hold the
    same entries at other times, in another order when documents were fetched seconds apart.
    A full feed (FEED_SIZE entries) lists the entries changed last, and which ones those are
    depends on those fetch times too: of a full feed only its head and length are compared
    (a torn file is caught by the manifest's digests before this)."""
    from sitegen.plan import FEED_SIZE

    body = _FEED_TIMES.sub(b"", path.read_bytes())
    # The closing </feed> follows the last entry: split it off, or whichever entry comes last
    # would carry it and two orders of the same entries would compare unequal.
    body, closing = body.rsplit(b"</feed>", 1) if b"</feed>" in body else (body, b"")
    head, *entries = body.split(b"<entry>")
    if len(entries) >= FEED_SIZE:
        return [head, str(len(entries)).encode(), closing]
    return [head, closing] + sorted(entries)


def site_state(folder: Path, old: dict | None, new_manifest: dict,
               new_feeds: dict | None = None) -> str:
    """'absent', 'old', 'new' or a description of the mix found. new_feeds: feed_entries of
    the new build's feeds (their bytes depend on when documents were fetched)."""
    if not folder.exists():
        return "absent" if old is None else "old build gone"
    files = site_files(folder)
    if old is not None and files == old:
        return "old"
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError) as exc:
        return f"no readable manifest ({exc})"
    # sitegen keeps a prefix of the sha256 (32 hex digits): compare on the manifest's length.
    bad = [p for p, digest in manifest.items() if (files.get(p) or "")[:len(digest)] != digest]
    if bad:
        return f"{len(bad)} page(s) differ from the folder's own manifest, e.g. {bad[0]}"
    # The database download holds the runs table (timestamps): its bytes differ between two
    # builds of the same store. Same path in both, and a sound SQLite file, is what counts.
    changed = [p for p in set(manifest) | set(new_manifest)
               if manifest.get(p) != new_manifest.get(p) and not (p.endswith(".db") and p in manifest
                                                                and p in new_manifest)
               and not (new_feeds and p in new_feeds and p in manifest
                        and feed_entries(folder / p) == new_feeds[p])]
    if changed:
        return f"manifest is neither the old nor the new build ({len(changed)} page(s), e.g. {changed[0]})"
    for rel in manifest:
        if rel.endswith(".db"):
            conn = sqlite3.connect(f"file:{folder / rel}?mode=ro", uri=True)
            try:
                if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                    return f"{rel} fails quick_check"
            finally:
                conn.close()
    return "new"


# --- the snapshot ----------------------------------------------------------------------------

def snapshot_state(path: Path, old_hash: str | None, expected: dict) -> str:
    if not path.exists():
        return "absent" if old_hash is None else "old snapshot gone"
    if old_hash and sha256_file(path) == old_hash:
        return "old"
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        conn.close()
    except sqlite3.Error as exc:
        return f"unreadable snapshot: {exc}"
    if check != "ok":
        return f"snapshot quick_check: {check}"
    lost, extra = compare(expected, fingerprint(path))
    return "new" if not (lost or extra) else f"snapshot differs from the store: {lost} lost, {extra} extra"


# --- states a trial starts from -------------------------------------------------------------

def copy_state(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)


def _ok(result, what):
    if result.returncode != 0:
        raise RuntimeError(f"{what} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result


def prepare(work: Path, log=print) -> dict:
    """Three states and the references each trial is judged against.

    A: two sources crawled, tagged, built and snapshotted (the 'old' site and snapshot);
    B: A plus the whole sample crawled (untagged documents waiting);
    C: B tagged (what tag, build, snapshot and nightly must end with)."""
    work.mkdir(parents=True, exist_ok=True)
    a, b, c = work / "state-a", work / "state-b", work / "state-c"
    for d in (a, b, c):
        shutil.rmtree(d, ignore_errors=True)
    a.mkdir()
    t0 = time.monotonic()
    db = a / "rivalry.db"
    _ok(run("crawl", "--db", db, "--replay", SAMPLE, *_sources(SAMPLE_SOURCES[:2])), "crawl A")
    _ok(run("tag", "--db", db), "tag A")
    _ok(run("build", "--db", db, "--out", a / "public"), "build A")
    _ok(run("snapshot", "--db", db, "--out", a / "snapshot.db"), "snapshot A")
    # Each later state is made by running the stage once while polling what it does: that
    # measures its working window (first visible change .. exit), where kills are aimed.
    windows = {}
    copy_state(a, b)
    windows["crawl"] = working_window("crawl", b)
    copy_state(b, c)
    windows["tag"] = working_window("tag", c)
    # The reference new site and snapshot, built from C on a scratch copy.
    scratch = work / "scratch"
    copy_state(c, scratch)
    windows["build"] = working_window("build", scratch)
    windows["snapshot"] = working_window("snapshot", scratch)
    new_manifest = read_manifest(scratch / "public")
    new_feeds = {f.relative_to(scratch / "public").as_posix(): feed_entries(f)
                 for f in (scratch / "public" / "feeds").rglob("*.xml")}
    copy_state(a, scratch)
    windows["nightly"] = working_window("nightly", scratch)
    durations = {k: max(w[1] for w in ws.values()) for k, ws in windows.items()}
    ref = {"A": a, "B": b, "C": c, "durations": durations, "windows": windows, "new_manifest": new_manifest,
           "new_feeds": new_feeds, "fp": {"B": fingerprint(b / "rivalry.db"), "C": fingerprint(c / "rivalry.db")},
           "old_site": site_files(a / "public"), "old_snapshot": sha256_file(a / "snapshot.db")}
    nightly_fp = fingerprint(scratch / "rivalry.db")
    lost, extra = compare(ref["fp"]["C"], nightly_fp)
    if lost or extra:
        raise RuntimeError(f"nightly from A does not give the same store as crawl + tag ({lost} lost, {extra} extra)")
    shutil.rmtree(scratch)
    log(f"prepared in {time.monotonic() - t0:.1f}s; working windows: "
        + ", ".join(f"{k}/{a} {w[0]:.2f}-{w[1]:.2f}s" for k, ws in windows.items() for a, w in ws.items()))
    return ref


def signature(state: Path) -> tuple:
    """What a command has visibly done so far: rows written, files and folders created."""
    counts = ()
    try:
        conn = sqlite3.connect(f"file:{state / 'rivalry.db'}?mode=ro", uri=True, timeout=1)
        counts = tuple(conn.execute(
            "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM taggings), "
            "(SELECT count(*) FROM events)").fetchone())
        conn.close()
    except sqlite3.Error:
        pass
    stamps = []
    for path in (state, state / "public", state / ".public.spare"):
        try:
            stamps.append(path.stat().st_mtime_ns)
        except OSError:
            stamps.append(None)
    return counts, tuple(sorted(p.name for p in state.iterdir())), tuple(stamps)


# What a kill waits for before its random delay starts: the first change of this part of the
# signature. Nightly rotates over its three phases so kills land in each of them.
ANCHORS = {"crawl": ["documents"], "tag": ["taggings"], "build": ["any"], "snapshot": ["any"],
           "nightly": ["documents", "taggings", "site"]}


def anchor_value(anchor: str, sig: tuple):
    counts, _listing, stamps = sig
    if anchor == "documents":
        return counts[:1]
    if anchor == "taggings":
        return counts[1:2]
    if anchor == "site":
        return stamps[1:]
    return sig


def working_window(stage: str, state: Path) -> dict[str, tuple[float, float]]:
    """Run the stage once, polling what it does: per anchor, (seconds until that part first
    changes, seconds until the command exits). Kills are aimed inside these windows, not at
    interpreter start-up."""
    before = signature(state)
    log_path = state.parent / f"window-{stage}.log"
    proc = start(*stage_args(stage, state), log=log_path)
    started = time.monotonic()
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    previous = {anchor: anchor_value(anchor, before) for anchor in ANCHORS[stage]}
    while proc.poll() is None:
        sig = signature(state)
        for anchor in ANCHORS[stage]:
            value = anchor_value(anchor, sig)
            if value != previous[anchor]:
                now = time.monotonic() - started
                first.setdefault(anchor, now)
                last[anchor] = now
                previous[anchor] = value
        time.sleep(0.005)
    end = time.monotonic() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{stage} exited {proc.returncode} while measuring its window:\n"
                           + log_path.read_text("utf-8", "replace")[-3000:])
    windows = {}
    for anchor in ANCHORS[stage]:
        start_at = first.get(anchor, 0.0)
        if stage == "nightly" and anchor in ("documents", "taggings"):
            # A phase of nightly: from its first row to its last (plus a little), so the kills
            # land in that phase's writes rather than in the next phase's start-up.
            stop = min(end, last.get(anchor, end) + 0.25)
        elif stage == "crawl":
            stop = last.get(anchor, end) + 0.5 * (end - last.get(anchor, end))
        else:
            stop = end
        windows[anchor] = (start_at, max(stop, start_at + 0.05))
    return windows


# Which state each stage starts from, and which store it must end with.
START = {"crawl": "A", "tag": "B", "build": "C", "snapshot": "C", "nightly": "A"}
END = {"crawl": "B", "tag": "C", "build": "C", "snapshot": "C", "nightly": "C"}


def kill_at(stage: str, state: Path, anchor: str, fraction: float, span: float,
            log_path: Path) -> tuple[bool, float]:
    """Start the stage's command, wait for the first change of its anchor (documents, taggings,
    site, or anything), then SIGKILL its process group `fraction` of the measured span later.
    Anchoring on a change keeps kills inside the work even when the machine is slower or faster
    than when the window was measured. Returns (killed while running, seconds it ran)."""
    before = anchor_value(anchor, signature(state))
    proc = start(*stage_args(stage, state), log=log_path)
    started = time.monotonic()
    while proc.poll() is None and anchor_value(anchor, signature(state)) == before:
        time.sleep(0.003)
    try:
        proc.wait(timeout=max(0.0, fraction * span))
        return False, time.monotonic() - started  # finished first: no kill delivered
    except Exception:
        pass
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True, time.monotonic() - started


def check_state(stage: str, state: Path, ref: dict, after_rerun: bool) -> tuple[list[str], int]:
    problems, dups = store_problems(state / "rivalry.db")
    old_site = ref["old_site"]
    site = site_state(state / "public", old_site, ref["new_manifest"], ref["new_feeds"])
    allowed = {"old", "new"} if not after_rerun else ({"new"} if stage in ("build", "nightly") else {"old"})
    if site not in allowed:
        problems.append(f"site: {site}")
    snap = snapshot_state(state / "snapshot.db", ref["old_snapshot"], ref["fp"]["C"])
    allowed = {"old", "new"} if not after_rerun else ({"new"} if stage == "snapshot" else {"old"})
    if snap not in allowed:
        problems.append(f"snapshot: {snap}")
    return problems, dups


def trial(stage: str, fraction: float, ref: dict, work: Path, anchor: str = "any") -> dict:
    state = work / f"trial-{stage}"
    copy_state(ref[START[stage]], state)
    first, end = ref["windows"][stage][anchor]
    killed, ran = kill_at(stage, state, anchor, fraction, end - first, work / f"trial-{stage}.log")
    outcome = {"stage": stage, "anchor": anchor, "delay": round(ran, 3), "fraction": round(fraction, 3),
               "killed": killed, "ran": round(ran, 3),
               "landed": landed(stage, state, ref)}
    problems, dups = check_state(stage, state, ref, after_rerun=False)
    rerun_started = time.monotonic()
    result = run(*stage_args(stage, state))
    outcome["rerun_seconds"] = round(time.monotonic() - rerun_started, 2)
    if result.returncode != 0:
        problems.append(f"re-run exited {result.returncode}: {result.stderr.strip().splitlines()[-1:]}")
    after, dups_after = check_state(stage, state, ref, after_rerun=True)
    problems += [f"after re-run: {p}" for p in after]
    lost, extra = compare(ref["fp"][END[stage]], fingerprint(state / "rivalry.db"))
    if lost or extra:
        problems.append(f"after re-run: {lost} row(s) lost, {extra} extra")
    stale = _stale_runs(state / "rivalry.db")
    if stale:
        problems.append(f"after re-run: {stale} run record(s) still 'running'")
    left = leftovers(state)
    if left:
        problems.append(f"after re-run: temporary files of the killed run left behind: {left}")
    outcome.update(problems=problems, duplicates=dups + dups_after, lost=lost, extra=extra,
                   leftovers=left)
    return outcome


def leftovers(state: Path) -> list[str]:
    """Temporary files or folders a killed run left behind (not damage; disk it should not keep)."""
    names = {"rivalry.db", "rivalry.db-wal", "rivalry.db-shm", "rivalry.db.lock", "public",
             "snapshot.db", ".public.lock", ".public.spare",
             "snapshot"}  # sitegen's copy of the store for the site's database download
    return sorted(p.name for p in state.iterdir() if p.name not in names)


def landed(stage: str, state: Path, ref: dict) -> str:
    """Where the kill actually landed, read from what the command had done by then."""
    counts = signature(state)[0]
    start_counts = signature(ref[START[stage]])[0]
    end_counts = signature(ref[END[stage]])[0]
    if stage in ("crawl", "tag", "nightly"):
        if counts == start_counts and stage != "nightly":
            return f"{stage} (before writing)"
        if counts and counts[0] < end_counts[0]:
            return "crawl"
        if counts and counts[1:] != end_counts[1:]:
            return "tag"
        if stage != "nightly":
            return f"{stage} (finishing)"
    if stage in ("build", "nightly"):
        site = site_state(state / "public", ref["old_site"], ref["new_manifest"], ref["new_feeds"])
        return "build" if site != "new" else "build (finishing)"
    return stage


def _stale_runs(db: Path) -> int:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
    finally:
        conn.close()


def plan(kills: int, rng: random.Random) -> list[str]:
    """Kills spread over the stages, round robin, nightly first."""
    order = ["nightly", "tag", "crawl", "build", "snapshot"]
    return [order[i % len(order)] for i in range(kills)]


def run_harness(work: Path, kills: int = 40, seed: int = 7, log=print) -> dict:
    rng = random.Random(seed)
    ref = prepare(work, log)
    trials = []
    for stage in plan(kills, rng):
        for attempt in range(4):
            # A uniform moment of the command's working span, from its first visible change
            # to its exit; shorter on a retry if the command finished before the kill, and at
            # the anchor itself on the last try (a busy machine can stretch a short command).
            fraction = rng.uniform(0.0, 1.0) * (1.0, 0.5, 0.15, 0.0)[attempt]
            anchor = ANCHORS[stage][len([t for t in trials if t["stage"] == stage]) % len(ANCHORS[stage])]
            outcome = trial(stage, fraction, ref, work, anchor)
            if outcome["killed"]:
                break
        trials.append(outcome)
        status = "ok" if not outcome["problems"] else "FAIL " + "; ".join(outcome["problems"])
        log(f"kill {len(trials):>3} {stage:<8} at {outcome['delay']:6.2f}s in {outcome['landed']:<22} "
            f"({'killed' if outcome['killed'] else 'finished first'}): {status}")
    killed = [t for t in trials if t["killed"]]
    return {
        "seed": seed, "durations": {k: round(v, 2) for k, v in ref["durations"].items()},
        "kills_tried": len(killed),
        "kills_survived": sum(1 for t in killed if not t["problems"]),
        "per_stage": {s: {"tried": sum(1 for t in killed if t["stage"] == s),
                          "survived": sum(1 for t in killed if t["stage"] == s and not t["problems"])}
                      for s in STAGES},
        "landed": {p: sum(1 for t in killed if t["landed"] == p)
                   for p in sorted({t["landed"] for t in killed})},
        "windows": {k: {a: [round(w[0], 2), round(w[1], 2)] for a, w in ws.items()}
                    for k, ws in ref["windows"].items()},
        "rows_lost": sum(t["lost"] for t in trials),
        "rows_extra": sum(t["extra"] for t in trials),
        "duplicates": sum(t["duplicates"] for t in trials),
        "failures": [t for t in trials if t["problems"]],
        "leftovers": sorted({name for t in trials for name in t["leftovers"]}),
        "trials": trials,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("test-output/crash"))
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    figures = run_harness(args.work.resolve(), args.kills, args.seed)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    print(json.dumps({k: v for k, v in figures.items() if k != "trials"}, indent=1))
    return 0 if not figures["failures"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Writes a build into a second copy of the site beside the output and swaps the two atomically.

A reader (or `rivalry serve`) sees either the old site or the new one, never a mix:

    public/            the live site
    .public.spare/     the previous build, hard-linked to the live one for every file both share

A build brings the spare copy up to date (writing only the pages that changed since the spare's
own build, hard-linking those that only changed in the live one), writes its manifest, then swaps
the two folders with one renameat2(RENAME_EXCHANGE). The spare then holds the previous build, and
the next build starts from it. So an incremental build touches only what changed, however large
the site. A file is never modified in place (it may be a hard link shared with the live site): it
is replaced by a new one.

Each copy carries `.manifest` (marshal): path -> [sha256 of the bytes, key of the inputs]. The key is a
fingerprint of everything a page is made from; a page whose key is unchanged is not even rendered.
A spare without a manifest was left half-updated by a crashed build and is rebuilt from the live
copy; a damaged manifest only costs a full rewrite.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import marshal
import os
import posixpath
import shutil
import tempfile
from pathlib import Path

MANIFEST = ".manifest"
UNMANAGED = ("pagefind",)  # folders written by other tools (the search index), not in the manifest

# store() results
WRITTEN, SAME, LINKED = "written", "same", "linked"


class OutputError(Exception):
    pass


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with renameat2(RENAME_EXCHANGE); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _check_rel(rel: str) -> tuple[str, ...]:
    parts = tuple(rel.split("/")) if isinstance(rel, str) else ()
    if not parts or "\0" in rel or any(p in ("", ".", "..") for p in parts):
        raise OutputError(f"refusing output path {rel!r}")
    return parts


MAGIC = "rivalry-site-manifest 2"


def _read_manifest(folder: Path) -> tuple[dict[str, list], str] | None:
    """(path -> [sha, key], salt) from a folder's manifest; None if it has none or it is damaged.

    marshal, because it loads a hundred thousand entries in milliseconds (JSON took 0.3 s);
    the salt names the code and template version the keys were made with."""
    try:
        data = marshal.loads((folder / MANIFEST).read_bytes())
        magic, salt, files = data
        if magic != MAGIC or not isinstance(salt, str) or not isinstance(files, dict):
            return None
        return files, salt
    except (OSError, ValueError, EOFError, TypeError):
        return None  # older format or cut short: costs one full rewrite


def _replace_with_link(src: str | Path, dest: str | Path) -> None:
    try:
        os.link(src, dest)
    except FileExistsError:
        os.unlink(dest)
        os.link(src, dest)


def _create(dest: str | Path, data: bytes, exists: bool = False) -> None:
    """A new file (a new inode: the old name may be a hard link into the live site). exists:
    the name is taken (saves a failed open)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    if exists:
        try:
            os.unlink(dest)
        except FileNotFoundError:
            pass
    try:
        fd = os.open(dest, flags, 0o644)
    except FileExistsError:
        os.unlink(dest)
        fd = os.open(dest, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


class Output:
    def __init__(self, out_dir: str | os.PathLike, salt: str = ""):
        self.salt = salt  # keys made with another salt (other code or templates) never match
        self.out = Path(out_dir).absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.spare = self.out.parent / f".{self.out.name}.spare"
        # One build at a time per output folder.
        self._lock = open(self.out.parent / f".{self.out.name}.lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise OutputError(f"another build is writing {self.out}") from None
        try:
            self._prepare()
        except BaseException:
            self._lock.close()
            raise
        self.manifest: dict[str, list] = {}
        self.written = self.unchanged = 0
        self._dirs: set[str] = set()

    # -- which folder this build writes -----------------------------------------------------------

    def _prepare(self) -> None:
        self.mirror: Path | None = None
        if not self.out.exists():
            self.live: dict[str, list] = {}
            self.live_salt = ""
            # First build: write a new folder, and hard-link every file into the spare as well, so
            # the next build already has a copy to update instead of linking the whole site then.
            self.target = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".new",
                                                dir=self.out.parent))
            shutil.rmtree(self.spare, ignore_errors=True)
            self.spare.mkdir()
            self.mirror = self.spare
            self.base: dict[str, list] = {}
            return
        found = _read_manifest(self.out)
        live, self.live_salt = found if found else (None, "")
        if live is None:
            # Refuse to replace a folder this generator did not make (e.g. --out ~).
            ours = (self.out / MANIFEST).exists() or (self.out / ".manifest.json").exists()
            if not ours and any(self.out.iterdir()):
                raise OutputError(f"{self.out} is not empty and was not built by rivalry; "
                                  "choose another --out")
            live = {}  # a damaged manifest only costs a full rewrite
        self.live = live
        found = _read_manifest(self.spare) if self.spare.is_dir() else None
        base = found[0] if found else None
        if base is None:
            # No spare, or one a crashed build left half-updated: start an empty one; unchanged
            # pages are hard-linked from the live site as they come.
            shutil.rmtree(self.spare, ignore_errors=True)
            self.spare.mkdir()
            base = {}
        else:
            (self.spare / MANIFEST).unlink()  # from here on the spare is dirty until commit
        self.target = self.spare
        self.base = base  # what the target folder holds now

    # -- writing ----------------------------------------------------------------------------------

    def makedirs(self, rels) -> None:
        """Create the parent folders of these paths (before workers write into them)."""
        for d in {posixpath.dirname(rel) for rel in rels} - self._dirs:
            self._dirs.add(d)
            if not d:
                continue
            _check_rel(d)
            for root in (self.target, self.mirror):
                if root is not None:
                    os.makedirs(os.path.join(root, d), exist_ok=True)

    def unchanged_key(self, rel: str, key: str | None) -> bool:
        old = self.live.get(rel)
        return old is not None and old[1] == key and key != "-" and self.salt == self.live_salt

    def store(self, rel: str, data: bytes | str, key: str = "") -> tuple[str, str, str, str]:
        """Put a rendered file into the target folder. Safe to call from forked workers (it
        changes no state here); the parent passes the result to record()."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        _check_rel(rel)
        digest = sha(data)
        dest = os.path.join(self.target, rel)
        base, live = self.base.get(rel), self.live.get(rel)
        if base is not None and base[0] == digest:
            status = SAME
        elif live is not None and live[0] == digest:
            _replace_with_link(os.path.join(self.out, rel), dest)
            status = LINKED
        else:
            _create(dest, data, exists=base is not None)
            status = WRITTEN
        if self.mirror is not None:
            _replace_with_link(dest, os.path.join(self.mirror, rel))
        return rel, digest, key, status

    def link_from_live(self, rel: str) -> None:
        _replace_with_link(os.path.join(self.out, rel), os.path.join(self.target, rel))

    def keep(self, rel: str) -> tuple[str, str, str, str]:
        """A page whose inputs did not change: the live file is right; make the target match."""
        digest, key = self.live[rel]
        base = self.base.get(rel)
        if base is not None and base[0] == digest:
            status = SAME
        else:
            _replace_with_link(os.path.join(self.out, rel), os.path.join(self.target, rel))
            status = LINKED
        return rel, digest, key, "kept:" + status

    def record(self, result: tuple[str, str, str, str]) -> None:
        rel, digest, key, status = result
        if rel in self.manifest:
            raise OutputError(f"two pages claim {rel!r}")
        self.manifest[rel] = [digest, key]
        live = self.live.get(rel)
        if live is not None and live[0] == digest:
            self.unchanged += 1
        else:
            self.written += 1

    def sync_from_live(self, skip) -> list[str]:
        """Hard-link into the target copy every live page it holds in an older version (or not
        at all), but those for which skip(rel) is true; returns their paths. Safe in a forked
        child: the parent then calls synced() with the result, before writing any page."""
        if self.mirror is not None or self.salt != self.live_salt:
            return []  # a first build, or new code: every page will be rendered anyway
        linked = [rel for rel, entry in self.live.items()
                  if not skip(rel) and ((b := self.base.get(rel)) is None or b[0] != entry[0])]
        self.makedirs(linked)
        for rel in linked:
            self.link_from_live(rel)
        return linked

    def synced(self, linked: list[str]) -> None:
        """The target copy now holds the live version of these pages (sync_from_live)."""
        for rel in linked:
            self.base[rel] = self.live[rel]

    def keep_all(self, entries: dict) -> None:
        """Live pages kept as they are (path -> live manifest entry), already in the target."""
        if not entries.keys().isdisjoint(self.manifest):
            raise OutputError(f"two pages claim {sorted(entries.keys() & self.manifest)[0]!r}")
        self.manifest.update(entries)
        self.unchanged += len(entries)

    def write(self, rel: str, data: bytes | str, key: str = "") -> None:
        if rel in self.manifest:
            raise OutputError(f"two pages claim {rel!r}")
        self.makedirs([rel])
        self.record(self.store(rel, data, key))

    def adopt(self, rel: str, key: str = "", digest: str | None = None) -> None:
        """A file another function already wrote into target_path(rel) (and hashed: digest)."""
        parts = _check_rel(rel)
        path = self.target.joinpath(*parts)
        if digest is None:
            with open(path, "rb") as fh:
                digest = hashlib.file_digest(fh, "sha256").hexdigest()[:32]
        if self.mirror is not None:
            self.makedirs([rel])
            _replace_with_link(path, self.mirror.joinpath(*parts))
        self.record((rel, digest, key, WRITTEN))

    # -- the live site's files, for reuse (the build's own state files: state.py) ----------------

    def read_live(self, rel: str) -> bytes:
        return self.out.joinpath(*_check_rel(rel)).read_bytes()

    def target_path(self, rel: str) -> Path:
        self.makedirs([rel])
        return self.target.joinpath(*_check_rel(rel))

    # -- finishing --------------------------------------------------------------------------------

    def _remove_stale(self) -> None:
        for rel in set(self.base) - set(self.manifest):
            path = self.target.joinpath(*_check_rel(rel))
            try:
                path.unlink()
            except FileNotFoundError:
                continue
            parent = path.parent
            while parent != self.target:  # drop folders that became empty
                try:
                    parent.rmdir()
                except OSError as exc:
                    if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOENT):
                        break
                    raise
                parent = parent.parent

    def carry_unmanaged(self) -> None:
        """Without a new search index, the live one comes along (hard-linked) if the target has none."""
        for name in UNMANAGED:
            src, dest = self.out / name, self.target / name
            if src.is_dir() and not dest.exists():
                shutil.copytree(src, dest, copy_function=os.link)

    def commit(self) -> dict:
        self._remove_stale()
        removed = len(set(self.live) - set(self.manifest))
        data = marshal.dumps((MAGIC, self.salt, dict(sorted(self.manifest.items()))))
        for root in (self.target, self.mirror):
            if root is not None:
                (root / MANIFEST).write_bytes(data)
                os.chmod(root, 0o755)  # mkdtemp makes it 0700
        if self.mirror is not None:
            os.rename(self.target, self.out)
        elif not _exchange(self.target, self.out):
            old = self.out.parent / f".{self.out.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            os.rename(self.out, old)
            os.rename(self.target, self.out)
            os.rename(old, self.spare)
        self._lock.close()
        return {"written": self.written, "unchanged": self.unchanged, "removed": removed}

    def abort(self) -> None:
        if self.mirror is not None:
            shutil.rmtree(self.target, ignore_errors=True)
            shutil.rmtree(self.mirror, ignore_errors=True)
        # else: the spare stays without a manifest; the next build rebuilds it from the live site
        self._lock.close()

"""Writes a build into a staging folder beside the output and swaps it in atomically.

A reader (or `rivalry serve`) sees either the old site or the new one, never a mix. Unchanged
files are hard-linked from the previous build (same bytes, no rewrite), and a manifest of
path -> sha256 tells which ones are unchanged; pages of deleted content are simply not carried over.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

MANIFEST = ".manifest.json"


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


class Output:
    def __init__(self, out_dir: str | os.PathLike):
        self.out = Path(out_dir).absolute()
        self.out.parent.mkdir(parents=True, exist_ok=True)
        # One build at a time per output folder.
        self._lock = open(self.out.parent / f".{self.out.name}.lock", "w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise OutputError(f"another build is writing {self.out}")
        self.old_manifest = self._read_manifest()
        self.stage = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".new",
                                           dir=self.out.parent))
        self.manifest: dict[str, str] = {}
        self.written = 0
        self.unchanged = 0
        self._dirs: set[Path] = set()

    def _read_manifest(self) -> dict[str, str]:
        if not self.out.exists():
            return {}
        path = self.out / MANIFEST
        if not path.is_file():
            # Refuse to replace a folder this generator did not make (e.g. --out ~).
            if any(self.out.iterdir()):
                self._lock.close()
                raise OutputError(f"{self.out} is not empty and was not built by rivalry; "
                                  "choose another --out")
            return {}
        try:
            data = json.loads(path.read_text("utf-8"))
            return {str(k): str(v) for k, v in data.items()}
        except (ValueError, AttributeError):
            return {}  # a damaged manifest only costs a full rewrite

    def write(self, rel: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        parts = PurePosixPath(rel).parts
        if not parts or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise OutputError(f"refusing output path {rel!r}")
        if rel in self.manifest:
            raise OutputError(f"two pages claim {rel!r}")
        digest = hashlib.sha256(data).hexdigest()
        self.manifest[rel] = digest
        dest = self.stage.joinpath(*parts)
        if dest.parent not in self._dirs:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(dest.parent)
        if self.old_manifest.get(rel) == digest:
            try:
                os.link(self.out.joinpath(*parts), dest)
                self.unchanged += 1
                return
            except OSError:
                pass  # old file missing or another file system: write it
        with open(dest, "wb") as fh:
            fh.write(data)
        self.written += 1

    def commit(self) -> dict:
        removed = len(set(self.old_manifest) - set(self.manifest))
        (self.stage / MANIFEST).write_text(
            json.dumps(self.manifest, sort_keys=True, indent=0), "utf-8")
        os.chmod(self.stage, 0o755)  # mkdtemp makes it 0700
        if not self.out.exists():
            os.rename(self.stage, self.out)
        elif _exchange(self.stage, self.out):
            shutil.rmtree(self.stage)  # the stage path now holds the previous build
        else:
            old = self.stage.with_suffix(".old")
            os.rename(self.out, old)
            os.rename(self.stage, self.out)
            shutil.rmtree(old)
        self._lock.close()
        return {"written": self.written, "unchanged": self.unchanged, "removed": removed}

    def abort(self) -> None:
        shutil.rmtree(self.stage, ignore_errors=True)
        self._lock.close()

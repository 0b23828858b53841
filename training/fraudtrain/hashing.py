"""SHA-256 helpers. Every artifact that a card names is identified by the hash of its exact bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

# For files hashed but not parsed (raw inputs, the lock file): 1 MiB reads keep memory flat for multi-GB files.
# A file that is parsed too is hashed from the bytes parsed (sha256_bytes), never read a second time.
_CHUNK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()

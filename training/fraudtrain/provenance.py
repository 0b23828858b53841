"""Where a model came from: code commit, lockfile hash, library versions."""

from __future__ import annotations

import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

from .hashing import sha256_file

TRAINING_DIR = Path(__file__).resolve().parent.parent
LOCKFILE = TRAINING_DIR / "requirements.lock"
# Every package whose code runs while a model is fitted, exported or its table read: the card names their versions.
LIBRARIES = (
    "lightgbm",
    "onnxmltools",
    "skl2onnx",
    "onnx",
    "protobuf",
    "onnxruntime",
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "threadpoolctl",
)
# A pinned line of requirements.lock: `name==version \` (its hashes follow on the next lines).
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def code_commit() -> str:
    """HEAD of the repository holding the trainer, or "unknown" outside git (e.g. a source tarball)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--verify", "HEAD"],
            cwd=TRAINING_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and commit else "unknown"


def code_dirty() -> bool | None:
    """Whether training/ has uncommitted changes: then codeCommit alone does not reproduce the model.
    None outside git. Only the trainer's own directory counts; other parts of the repo do not shape the model."""
    try:
        result = subprocess.run(
            ["git", "status", "--porcelain", "--", "."],
            cwd=TRAINING_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(result.stdout.strip()) if result.returncode == 0 else None


def lockfile_sha256() -> str:
    return sha256_file(LOCKFILE)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        versions[name] = metadata.version(name)
    return versions


def locked_versions(lockfile: Path = LOCKFILE) -> dict[str, str]:
    """The exact version requirements.lock pins for each package, by the name it is written under."""
    pins: dict[str, str] = {}
    for line in lockfile.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def lock_mismatches(lockfile: Path = LOCKFILE) -> dict[str, str]:
    """Installed packages that differ from requirements.lock (or are missing), as "installed X, locked Y".
    Empty when the environment is the locked one: the only case in which a retrain promises the same model."""
    mismatches: dict[str, str] = {}
    for name, pinned in locked_versions(lockfile).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != pinned:
            mismatches[name] = f"installed {installed or 'nothing'}, locked {pinned}"
    return mismatches

"""Where a model came from: code commit, lockfile hash, library versions."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

from .hashing import sha256_file

TRAINING_DIR = Path(__file__).resolve().parent.parent
LOCKFILE = TRAINING_DIR / "requirements.lock"
LIBRARIES = ("lightgbm", "onnxmltools", "onnx", "onnxruntime", "numpy", "pandas", "scikit-learn")


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

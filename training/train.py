"""Entry point for `python training/train.py ...`; the same as `python -m fraudtrain.train ...` from training/."""

import sys
from pathlib import Path

# Run as a script, Python puts this directory on sys.path already; stated so the intent survives a move.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fraudtrain.train import main  # noqa: E402  (import after the path is set)

if __name__ == "__main__":
    sys.exit(main())

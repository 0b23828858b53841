"""Instants as the card writes them: UTC, ISO-8601, milliseconds, a trailing Z."""

from __future__ import annotations

from datetime import datetime, timezone


def iso_utc(ms: int | float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

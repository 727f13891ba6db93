"""Seed articles on disk: one .txt per article, first non-empty line the title, the rest the text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from monitor.errors import MonitorError


@dataclass(frozen=True)
class SeedArticle:
    id: str  # the file name without extension
    title: str
    text: str


def read_seed(path: Path) -> SeedArticle:
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MonitorError(f"seed {path}: cannot read as UTF-8 text ({exc})") from None
    lines = raw.strip().splitlines()
    if not lines:
        raise MonitorError(f"seed {path}: file is empty")
    title = lines[0].strip()
    return SeedArticle(id=path.stem, title=title, text=raw.strip())


def read_seeds(folder: Path) -> list[SeedArticle]:
    if not folder.is_dir():
        raise MonitorError(f"seeds folder {folder} does not exist")
    return [read_seed(p) for p in sorted(folder.glob("*.txt"))]

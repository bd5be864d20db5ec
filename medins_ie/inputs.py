"""Finding the documents of a batch: the files under folders, on disk or behind an fsspec URL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence, Union

PATTERNS = ("*.txt", "*.htm", "*.html")   # what a folder contributes by default

PathLike = Union[str, "os.PathLike[str]"]


def list_inputs(sources: Union[PathLike, Iterable[PathLike]], patterns: Sequence[str] = PATTERNS) -> list[str]:
    """The files under each folder of ``sources`` (recursively, matching ``patterns``, sorted), and each file
    as given. A source may be an fsspec URL (``s3://bucket/prefix``) where fsspec and the matching filesystem
    are installed. A missing source raises ``FileNotFoundError`` naming it.
    """
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    found: list[str] = []
    for src in sources:
        name = os.fspath(src)
        if "://" in name:
            found.extend(_list_url(name, patterns))
            continue
        path = Path(name)
        if path.is_dir():
            hits = {p for pattern in patterns for p in path.rglob(pattern) if p.is_file()}
            found.extend(str(p) for p in sorted(hits))
        elif path.exists():
            found.append(name)
        else:
            raise FileNotFoundError(f"no such file or folder: {name}")
    return found


def _list_url(url: str, patterns: Sequence[str]) -> list[str]:
    try:
        import fsspec
    except ImportError as exc:
        raise ImportError(f"reading {url} needs fsspec (and the filesystem for its protocol)") from exc
    fs, root = fsspec.core.url_to_fs(url)
    protocol = url.split("://", 1)[0] + "://"
    if not fs.isdir(root):
        if not fs.exists(root):
            raise FileNotFoundError(f"no such file or folder: {url}")
        return [url]
    hits = {h for pattern in patterns for h in fs.glob(f"{root.rstrip('/')}/**/{pattern}")}
    return [h if h.startswith(protocol) else protocol + h for h in sorted(hits)]

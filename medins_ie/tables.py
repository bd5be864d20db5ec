"""Tables flattened into text (placeholder until the tables reader lands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FoundTable:
    line_indexes: list[int] = field(default_factory=list)


def find_tables(doc, lines, relater, model) -> list[FoundTable]:
    return []


def bind_table(table, relater) -> None:
    return None


def to_public(table, ids, span, original) -> Any:
    raise NotImplementedError

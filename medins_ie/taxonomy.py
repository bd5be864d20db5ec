"""The canonical label sets of the output contract, loaded from a model's ``taxonomy.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .paths import default_model_dir


@dataclass(frozen=True)
class Taxonomy:
    """Allowed record types with their units, field labels and qualifier values."""

    record_types: dict[str, tuple[str, ...]]
    labels: dict[str, frozenset[str]]
    qualifiers: dict[str, Any]

    @classmethod
    def from_file(cls, path: Path) -> "Taxonomy":
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            record_types={k: tuple(v) for k, v in data["record_types"].items()},
            labels={k: frozenset(data[k]) for k in ("scheme", "account", "metric", "measure", "status", "period_kind")},
            qualifiers=data["qualifiers"],
        )

    def check_qualifiers(self, quals: Any) -> list[str]:
        """Return the problems of a qualifiers mapping (empty when valid)."""
        if not isinstance(quals, dict):
            return ["qualifiers must be an object"]
        errs = []
        for key, value in quals.items():
            allowed = self.qualifiers.get(key)
            if allowed is None:
                errs.append(f"qualifier key {key!r} not in taxonomy")
            elif allowed == "list:scheme":
                if not (isinstance(value, list) and all(v in self.labels["scheme"] for v in value)):
                    errs.append(f"qualifier includes={value!r} must be a list of schemes")
            elif value not in allowed:
                errs.append(f"qualifier {key}={value!r} not in taxonomy")
        return errs


@lru_cache(maxsize=None)
def default_taxonomy() -> Taxonomy:
    """The taxonomy of the packaged default model."""
    return Taxonomy.from_file(default_model_dir() / "taxonomy.json")

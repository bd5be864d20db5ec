"""medins_ie: figures from Chinese medical-insurance fund reports as records with source spans."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

from .model import Model, load_model
from .pipeline import Extractor
from .records import Cell, Document, Entity, Evidence, Finding, Meta, Period, Record, Table

__version__ = "0.1.0"
__all__ = ["extract", "load", "Extractor", "Document", "Record", "Entity", "Evidence", "Finding", "Meta",
           "Period", "Table", "Cell", "Model", "__version__"]


@lru_cache(maxsize=1)
def _default() -> Extractor:
    return Extractor()


def load(model: Union[str, Path, None] = None) -> Extractor:
    """An ``Extractor`` for the packaged default model, or for the model folder at ``model``."""
    return _default() if model is None else Extractor(model)


def extract(text: str) -> Document:
    """Extract every figure of one report (a ``str``) with the default model."""
    return _default().extract(text)

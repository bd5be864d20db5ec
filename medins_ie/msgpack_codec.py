"""A ``Document`` inside msgpack (srsly): what lets a spaCy ``Doc`` that carries ``doc._.medins`` serialise.

spaCy writes ``doc.user_data`` with srsly's msgpack in ``Doc.to_bytes``, ``DocBin(store_user_data=True)``
and ``nlp.pipe(n_process=2)``. These two hooks are registered with srsly through the package's entry
points (``srsly_msgpack_encoders`` / ``srsly_msgpack_decoders``), so a fresh interpreter reads such
bytes back without importing anything first. This module imports neither spaCy nor srsly.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Optional

from .records import Document

MARKER = "__medins_ie_document__"


def encode(obj: Any, chain: Optional[Callable[[Any], Any]] = None) -> Any:
    """srsly msgpack encoder: a ``Document`` as a marked dict of plain values."""
    if isinstance(obj, Document):
        return {MARKER: 1, "document": obj.to_dict()}
    return obj if chain is None else chain(obj)


def decode(obj: Any, chain: Optional[Callable[[Any], Any]] = None) -> Any:
    """srsly msgpack decoder: the marked dict back to the ``Document`` (equal to the one encoded)."""
    if isinstance(obj, dict) and MARKER in obj:
        if "spacy" in sys.modules:  # the Doc that holds it will want its ``doc._.medins`` attribute
            from .spacy_component import register_extensions

            register_extensions()
        return Document.from_dict(obj["document"])
    return obj if chain is None else chain(obj)

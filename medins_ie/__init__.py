"""medins_ie: figures from Chinese medical-insurance (医保) fund reports as records with source spans.

    import medins_ie
    doc = medins_ie.extract(text)            # Document: records, entities, tables, meta, findings
    for r in doc.records:
        assert text[r.span[0]:r.span[1]] == r.text

    nlp = medins_ie.load("path/to/edited/model")   # an Extractor for a copied and edited model folder
    docs = list(nlp.pipe(texts, n_process=2))
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Union

from .model import Model, ModelError, Place, load_model
from .pipeline import Extractor
from .records import Cell, Document, Entity, Evidence, Finding, Meta, Period, Record, Table

if TYPE_CHECKING:  # pragma: no cover
    from .io import DecodedText

__version__ = "0.1.0"
__all__ = ["extract", "extract_file", "extract_html", "load", "Extractor", "Document", "Record", "Entity",
           "Evidence", "Finding", "Meta", "Period", "Table", "Cell", "Model", "ModelError", "Place", "load_model",
           "division", "__version__"]


@lru_cache(maxsize=1)
def _default() -> Extractor:
    return Extractor()


def load(model: Union[str, Path, None] = None) -> Extractor:
    """An ``Extractor`` for the packaged default model, or for the model folder at ``model``."""
    return _default() if model is None else Extractor(model)


def extract(text: str) -> Document:
    """Extract every figure of one report (a ``str``) with the default model."""
    return _default().extract(text)


def division(region: str, within: Optional[str] = None) -> Optional[Place]:
    """The division (GB/T 2260 code, name, level, parent) a record's ``region`` names, in the default model's
    gazetteer: ``medins_ie.division(r.region, doc.meta.region)``; see ``Extractor.division``."""
    return _default().division(region, within)


def extract_html(html: str, extractor: Optional[Extractor] = None) -> Document:
    """Extract from an HTML page; spans point into the HTML string."""
    from .html import extract_html as _extract_html

    return _extract_html(html, extractor)


def extract_file(path: Union[str, Path], errors: str = "strict", encoding: Optional[str] = None,
                 extractor: Optional[Extractor] = None) -> Document:
    """Read a file (UTF-8, UTF-8 with BOM, GB18030/GBK or Big5, detected) and extract it.

    HTML files are recognised and read through ``extract_html``. The encoding used is recorded in
    ``doc.meta.warnings`` and the decoded text is ``doc.text``; undecodable bytes raise
    ``medins_ie.io.DecodeError`` naming the file and offset, unless ``errors="replace"``; a PDF, an
    image or other binary file raises ``ValueError`` saying what it is.
    """
    from .html import looks_like_html
    from .io import binary_kind, decode_bytes

    data = Path(path).read_bytes()
    kind = binary_kind(data)
    if kind is not None:
        raise ValueError(f"{path} is {kind}, not text: convert it to text (or HTML) first")
    decoded: "DecodedText" = decode_bytes(data, name=str(path), errors=errors, encoding=encoding)
    ex = extractor or _default()
    doc = extract_html(decoded.text, ex) if looks_like_html(decoded.text) else ex.extract(decoded.text)
    doc.meta.warnings = [f"read as {decoded.encoding}"] + list(decoded.warnings) + doc.meta.warnings
    doc.text = decoded.text
    return doc

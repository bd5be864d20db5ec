"""Reading report documents from bytes and files, with the text encoding detected.

Chinese government sites publish in UTF-8, GB2312/GBK/GB18030 and (Taiwan, Hong Kong, Macau)
Big5. ``decode_bytes`` honours a byte-order mark, then tries strict UTF-8, then GB18030 and Big5;
when both of those decode, the one whose characters are more often common Chinese characters
wins. Undecodable input raises ``DecodeError`` (naming the file, the byte offset and the
encodings tried) unless ``errors="replace"``.

    from medins_ie.io import read_file
    decoded = read_file("report.txt")          # DecodedText(text=..., encoding="gb18030", warnings=[])
"""

from __future__ import annotations

import codecs
import importlib.util
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional, Union

__all__ = ["DecodedText", "DecodeError", "decode_bytes", "read_file", "binary_kind"]

ERRORS = ("strict", "replace")
BOMS: tuple[tuple[bytes, str], ...] = (           # the BOM, and the codec for the bytes after it
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
CJK_CANDIDATES = ("gb18030", "big5", "cp950")   # cp950 (Big5 with Microsoft's extensions) only if big5 fails
SCORE_CHARS = 200_000      # characters of each decoding looked at when scoring GB18030 against Big5
CLOSE_CALL = 1.2           # a winning score less than this factor ahead is reported as a guess
UTF8_EVIDENCE = 8          # non-ASCII characters valid as UTF-8 before the first bad byte: corrupt UTF-8, not GBK/Big5


@dataclass
class DecodedText:
    """Text decoded from bytes, the encoding it was read as and any notes about the decoding."""

    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


class DecodeError(ValueError):
    """Bytes that no tried encoding decodes: names the input, the first bad byte and the encodings tried."""

    def __init__(self, name: str, offset: int, tried: list[tuple[str, int]], byte: Optional[int] = None):
        self.name = name
        self.offset = offset
        self.tried = list(tried)
        self.byte = byte
        super().__init__(self._message())

    def _message(self) -> str:
        what = f"byte 0x{self.byte:02x}" if self.byte is not None else "byte"
        detail = ", ".join(f"{enc} fails at byte {off}" for enc, off in self.tried)
        return (f"cannot decode {self.name}: undecodable {what} at offset {self.offset} "
                f"(tried {detail}); pass errors='replace' to substitute U+FFFD, or encoding=... to force one")

    def __reduce__(self) -> tuple:
        return (DecodeError, (self.name, self.offset, self.tried, self.byte))


@dataclass(frozen=True)
class _Codec:
    """How to read the input: a codec applied to the bytes after a ``skip``-byte BOM, and its public name."""

    name: str
    codec: str
    skip: int = 0


@dataclass
class _Attempt:
    """One encoding tried on the input: its text, or where it failed, and what it replaced."""

    encoding: str
    text: Optional[str] = None
    failed_at: Optional[int] = None
    replaced: list[tuple[int, int]] = field(default_factory=list)

    @property
    def replaced_bytes(self) -> int:
        return sum(end - start for start, end in self.replaced)


# ------------------------------------------------------------------ public entry points

def decode_bytes(data: bytes, name: str = "<bytes>", errors: str = "strict",
                 encoding: Optional[str] = None) -> DecodedText:
    """Decode ``data`` (a report's raw bytes) to text, detecting its encoding unless one is given.

    ``errors="replace"`` decodes even broken input (with U+FFFD) and says so in ``warnings``;
    ``errors="strict"`` raises ``DecodeError``. ``encoding`` forces a codec by any Python name.
    """
    data = _as_bytes(data)
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {ERRORS}, not {errors!r}")
    if encoding is not None:
        return _decode_forced(data, name, errors, encoding)
    return _decode_detected(data, name, errors)


def read_file(path: Union[str, "os.PathLike[str]"], errors: str = "strict",
              encoding: Optional[str] = None) -> DecodedText:
    """The text of the file at ``path``, decoded as by ``decode_bytes`` (OSError passes through)."""
    data = Path(path).read_bytes()
    return decode_bytes(data, name=os.fspath(path), errors=errors, encoding=encoding)


# (leading bytes, what the file is): formats people mistake for report text
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"), (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx file)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Word/Excel 97-2003 file"), (b"\x1f\x8b", "a gzip archive"),
    (b"{\\rtf", "an RTF document"),
)
SNIFF_BYTES = 8192


def binary_kind(data: bytes) -> Optional[str]:
    """What ``data`` is when it is not text (``"a PDF document"``, ``"binary data (NUL bytes)"``), else None."""
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    if _bom_codec(data) and _bom_codec(data)[0].codec.startswith("utf-16"):
        return None  # UTF-16 text has NUL bytes
    if b"\x00" in data[:SNIFF_BYTES]:
        return "binary data (NUL bytes)"
    return None


# ------------------------------------------------------------------ detection

def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        raise TypeError("decode_bytes() takes bytes, not str: the text is already decoded")
    raise TypeError(f"decode_bytes() takes bytes, not {type(data).__name__}")


def _decode_detected(data: bytes, name: str, errors: str) -> DecodedText:
    tried: list[_Codec] = []
    attempts: list[_Attempt] = []
    for codec in _bom_codec(data) + [_Codec("utf-8", "utf-8")]:
        attempt = _try_strict(data, codec)
        if attempt.text is not None:
            return DecodedText(attempt.text, attempt.encoding)
        tried.append(codec)
        attempts.append(attempt)
    if _looks_like_broken_utf8(data, attempts[-1]):
        return _give_up(data, name, errors, tried, attempts)
    cjk = _try_cjk(data)
    tried.extend(codec for codec, _ in cjk)
    attempts.extend(attempt for _, attempt in cjk)
    decoded = [attempt for _, attempt in cjk if attempt.text is not None]
    if decoded:
        return _choose(decoded)
    return _give_up(data, name, errors, tried, attempts)


def _give_up(data: bytes, name: str, errors: str, tried: list[_Codec], attempts: list[_Attempt]) -> DecodedText:
    """No strict decoding: the best one with U+FFFD (``errors="replace"``), else a ``DecodeError``."""
    if errors == "replace":
        return _decode_replacing(data, tried)
    raise _error(data, name, attempts)


def _looks_like_broken_utf8(data: bytes, utf8: _Attempt) -> bool:
    """Whether the bytes before UTF-8's first failure hold enough multi-byte UTF-8 to rule out GBK/Big5."""
    if utf8.failed_at is None:
        return False
    prefix = data[:utf8.failed_at].decode("utf-8", errors="ignore")
    return len(prefix) - len(prefix.encode("ascii", errors="ignore")) >= UTF8_EVIDENCE


def _bom_codec(data: bytes) -> list[_Codec]:
    """The encoding a leading byte-order mark announces (none or one)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            name = "utf-8-sig" if codec == "utf-8" else codec
            return [_Codec(name, codec, len(bom))]
    return []


def _try_cjk(data: bytes) -> list[tuple[_Codec, _Attempt]]:
    """GB18030 and Big5 tried strictly (cp950 only when plain Big5 fails)."""
    results: list[tuple[_Codec, _Attempt]] = []
    for enc in CJK_CANDIDATES:
        if enc == "cp950" and any(a.encoding == "big5" and a.text is not None for _, a in results):
            continue
        codec = _Codec(enc, enc)
        results.append((codec, _try_strict(data, codec)))
    return results


def _choose(decoded: list[_Attempt]) -> DecodedText:
    """The decoding that reads most like Chinese text; ties go to the earlier candidate."""
    if len(decoded) == 1:
        return DecodedText(decoded[0].text or "", decoded[0].encoding)
    scores = [_chinese_score(a.text or "") for a in decoded]
    best = max(range(len(decoded)), key=lambda i: (scores[i], -i))
    winner = decoded[best]
    warnings = []
    runner_up = max(s for i, s in enumerate(scores) if i != best)
    if scores[best] < runner_up * CLOSE_CALL:
        others = ", ".join(f"{a.encoding} {s}" for a, s in zip(decoded, scores))
        warnings.append(f"encoding guessed as {winner.encoding}; several decode "
                        f"(common-character scores: {others}); pass encoding=... if the text looks wrong")
    return DecodedText(winner.text or "", winner.encoding, warnings)


def _decode_forced(data: bytes, name: str, errors: str, encoding: str) -> DecodedText:
    try:
        canonical = codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r}") from None
    codec = _Codec(canonical, canonical)
    if canonical == "utf-8" and data.startswith(codecs.BOM_UTF8):
        codec = _Codec("utf-8-sig", "utf-8", len(codecs.BOM_UTF8))
    attempt = _try_strict(data, codec)
    if attempt.text is not None:
        return DecodedText(attempt.text, attempt.encoding)
    if errors == "replace":
        return _decode_replacing(data, [codec])
    raise _error(data, name, [attempt])


def _decode_replacing(data: bytes, codecs_: list[_Codec]) -> DecodedText:
    """The decoding with the fewest undecodable places (then the most Chinese), with U+FFFD for the bad ones."""
    texts = [data[c.skip:].decode(c.codec, errors="replace") for c in codecs_]
    best = min(range(len(codecs_)), key=lambda i: (texts[i].count("\ufffd"), -_chinese_score(texts[i]), i))
    winner = _try_replacing(data, codecs_[best])
    first = winner.replaced[0][0] if winner.replaced else 0
    warning = (f"{winner.replaced_bytes} undecodable byte(s) replaced with U+FFFD "
               f"({len(winner.replaced)} place(s)) reading as {winner.encoding}; first at byte offset {first}")
    return DecodedText(winner.text or "", winner.encoding, [warning])


def _error(data: bytes, name: str, attempts: list[_Attempt]) -> DecodeError:
    tried = [(a.encoding, a.failed_at if a.failed_at is not None else 0) for a in attempts]
    offset = max(off for _, off in tried) if tried else 0
    byte = data[offset] if offset < len(data) else None
    return DecodeError(name, offset, tried, byte)


# ------------------------------------------------------------------ one codec

def _try_strict(data: bytes, codec: _Codec) -> _Attempt:
    try:
        return _Attempt(codec.name, text=data[codec.skip:].decode(codec.codec))
    except UnicodeDecodeError as exc:
        return _Attempt(codec.name, failed_at=codec.skip + exc.start)
    except LookupError:  # a bytes-to-bytes codec such as "hex"
        raise ValueError(f"{codec.name!r} is not a text encoding") from None


_COUNTED = threading.local()
_COUNTING_HANDLER = "medins_ie.io.count_replaced"


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    """A codec error handler like ``replace`` that records each replaced byte range."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _COUNTED.spans.append((exc.start, exc.end))
    return "\ufffd", exc.end


codecs.register_error(_COUNTING_HANDLER, _count_and_replace)


def _try_replacing(data: bytes, codec: _Codec) -> _Attempt:
    _COUNTED.spans = []
    try:
        text = data[codec.skip:].decode(codec.codec, errors=_COUNTING_HANDLER)
        replaced = [(s + codec.skip, e + codec.skip) for s, e in _COUNTED.spans]
    finally:
        _COUNTED.spans = []
    return _Attempt(codec.name, text=text, replaced=replaced)


# ------------------------------------------------------------------ scoring

def _chinese_score(text: str) -> int:
    """How many characters of ``text`` are common Chinese characters (simplified or traditional)."""
    common = _common_chars()
    sample = text[:SCORE_CHARS]
    if not common:
        return sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    return sum(1 for ch in sample if ch in common)


_SINGLE_CHAR_ENTRY = re.compile(r"^(\S) \d+", re.MULTILINE)


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """The single-character words of jieba's bundled dictionary (empty if it cannot be found)."""
    path = _jieba_dict_path()
    if path is None:
        return frozenset()
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(m.group(1) for m in _SINGLE_CHAR_ENTRY.finditer(content))


def _jieba_dict_path() -> Optional[Path]:
    try:
        spec = importlib.util.find_spec("jieba")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.is_file() else None

"""Reading documents from bytes and files: encoding detection, errors and forced encodings."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from medins_ie.io import DecodedText, DecodeError, decode_bytes, read_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TRADITIONAL = (FIXTURES / "000_c8ee31350ed3122b.txt").read_text(encoding="utf-8")      # traditional script
SIMPLIFIED = (FIXTURES / "ext01_national_bulletin.txt").read_text(encoding="utf-8")    # simplified script
BIG5_SAFE = TRADITIONAL.encode("big5", errors="ignore").decode("big5")                 # what Big5 can hold
GBK_SAFE = SIMPLIFIED.encode("gbk", errors="ignore").decode("gbk")
GARBAGE = b"\xff\xfe\xfd"


def test_samples_are_what_the_tests_assume() -> None:
    assert "醫療保障局" in BIG5_SAFE and "参保" in GBK_SAFE
    assert len(BIG5_SAFE) > 0.9 * len(TRADITIONAL)


@pytest.mark.parametrize("text, codec, detected", [
    (TRADITIONAL, "utf-8", "utf-8"),
    (TRADITIONAL, "utf-8-sig", "utf-8-sig"),
    (TRADITIONAL, "gb18030", "gb18030"),
    (SIMPLIFIED, "gb18030", "gb18030"),
    (GBK_SAFE, "gbk", "gb18030"),          # GB18030 is a superset of GBK and GB2312
    (BIG5_SAFE, "big5", "big5"),
])
def test_round_trip_detects_the_encoding(text: str, codec: str, detected: str) -> None:
    decoded = decode_bytes(text.encode(codec))
    assert decoded.text == text
    assert decoded.encoding == detected
    assert decoded.warnings == []


@pytest.mark.parametrize("bom, codec", [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_with_bom(bom: bytes, codec: str) -> None:
    assert decode_bytes(bom + TRADITIONAL.encode(codec)) == DecodedText(TRADITIONAL, codec, [])


def test_short_big5_text_that_gb18030_also_decodes() -> None:
    data = "基金收入".encode("big5")
    assert data.decode("gb18030") != "基金收入"        # both decode: the score has to choose
    assert decode_bytes(data).text == "基金收入"


def test_read_file_round_trip_and_name(tmp_path: Path) -> None:
    path = tmp_path / "lhasa.txt"
    path.write_bytes(BIG5_SAFE.encode("big5"))
    decoded = read_file(path)
    assert (decoded.text, decoded.encoding) == (BIG5_SAFE, "big5")
    assert read_file(str(path)).text == BIG5_SAFE


def test_read_file_oserror_passes_through(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_file(tmp_path / "missing.txt")


def test_garbage_bytes_raise_decode_error_naming_file_and_offset(tmp_path: Path) -> None:
    head = GBK_SAFE[:80].encode("gbk")
    path = tmp_path / "report.txt"
    path.write_bytes(head + GARBAGE + GBK_SAFE[80:200].encode("gbk"))
    with pytest.raises(DecodeError) as info:
        read_file(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.offset == len(head) and err.name == str(path)
    message = str(err)
    assert str(path) in message and f"offset {len(head)}" in message and "0xff" in message
    for encoding in ("utf-8", "gb18030", "big5"):
        assert encoding in message


def test_corrupt_utf8_is_reported_as_utf8_not_guessed_as_gb18030() -> None:
    head = SIMPLIFIED[:300].encode("utf-8")
    with pytest.raises(DecodeError) as info:
        decode_bytes(head + GARBAGE + SIMPLIFIED[300:].encode("utf-8"))
    assert info.value.offset == len(head)
    assert "<bytes>" in str(info.value)
    assert info.value.tried == [("utf-8", len(head))]


def test_replace_mode_decodes_and_warns_with_offset_and_count() -> None:
    head = SIMPLIFIED[:300].encode("utf-8")
    decoded = decode_bytes(head + GARBAGE + SIMPLIFIED[300:].encode("utf-8"), errors="replace")
    assert decoded.encoding == "utf-8"
    assert decoded.text == SIMPLIFIED[:300] + "\ufffd" * 3 + SIMPLIFIED[300:]
    assert len(decoded.warnings) == 1
    assert "3 undecodable byte" in decoded.warnings[0] and f"offset {len(head)}" in decoded.warnings[0]


def test_replace_mode_picks_the_legacy_encoding_when_it_fits_best() -> None:
    head = GBK_SAFE[:80].encode("gbk")
    decoded = decode_bytes(head + b"\xff" + GBK_SAFE[80:200].encode("gbk"), errors="replace")
    assert decoded.encoding == "gb18030"
    assert decoded.text == GBK_SAFE[:80] + "\ufffd" + GBK_SAFE[80:200]
    assert f"offset {len(head)}" in decoded.warnings[0]


def test_forced_encoding() -> None:
    data = GBK_SAFE.encode("gbk")
    assert decode_bytes(data, encoding="GBK") == DecodedText(GBK_SAFE, "gbk", [])
    with pytest.raises(DecodeError) as info:
        decode_bytes(data, encoding="utf-8")
    assert info.value.tried[0][0] == "utf-8"
    forced = decode_bytes(data[:30], encoding="utf-8", errors="replace")
    assert "\ufffd" in forced.text and forced.warnings


def test_forced_utf8_drops_the_bom() -> None:
    assert decode_bytes("医保".encode("utf-8-sig"), encoding="utf8").text == "医保"


@pytest.mark.parametrize("kwargs", [{"encoding": "no-such-codec"}, {"encoding": "hex"}, {"errors": "ignore"}])
def test_bad_arguments_raise_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        decode_bytes(b"abc", **kwargs)


def test_str_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="already decoded"):
        decode_bytes("医保")  # type: ignore[arg-type]


def test_empty_and_ascii_input() -> None:
    assert decode_bytes(b"") == DecodedText("", "utf-8", [])
    assert decode_bytes(bytearray(b"2024 total 1124")).text == "2024 total 1124"


def test_decode_error_pickles() -> None:
    err = DecodeError("a.txt", 7, [("utf-8", 7)], 0xFF)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.name, copy.offset, str(copy)) == ("a.txt", 7, str(err))


def test_random_bytes_never_raise_anything_but_decode_error() -> None:
    import random

    rng = random.Random(7)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        try:
            decoded = decode_bytes(data)
        except DecodeError as err:
            assert 0 <= err.offset <= len(data)
        else:
            assert isinstance(decoded.text, str)
        assert isinstance(decode_bytes(data, errors="replace").text, str)

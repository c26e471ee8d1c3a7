"""Issue 13: a bounded fuzz suite over the parsers of the export side (mapping tables in every
format, layout files, fixed-width records, encoding detection, data streams, codes). Each
input must end in a result or a GaijiError / MappingUnreadable — never a traceback — within
10 s (hypothesis deadline). The extract parsers are fuzzed in tests/extract/test_fuzz.py."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gaiji.errors import GaijiError
from gaiji.export.convert import ConversionTable, code_to_pua, convert_stream, detect_encoding
from gaiji.export.fixedwidth import Field, Layout, convert_fixed_width, read_layout
from gaiji.export.readers import MappingUnreadable
from gaiji.export.tables import sjis_code_of
from gaiji.export.validate import code_key, validate_mapping

FUZZ = settings(max_examples=400, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
WORK = Path(tempfile.mkdtemp(prefix="gaiji-fuzz-export-"))
TABLE = ConversionTable(targets={0xE000: "辻\U000e0101", 0xE001: "髙"})

SEED_CSV = (
    "source,code,gaiji_id,mj,ucs,ivs,char,fallback_char,fallback_ucs,fallback_basis,use_fallback,juki_code,"
    "koseki_number,identification_class,decided_by,decided_at,checked_by,checked_at,auto_accepted,"
    "reference_version,status,sjis_code,char_base_only\r\n"
    "EUDC.TTE,U+E000,g1,MJ025760,U+8FBB,U+E0102,辻\U000e0102,辻,U+8FBB,JIS,0,,,字形一致,sato,"
    "2025-01-01T00:00:00Z,,,0,v,final,F040,0\r\n"
).encode("utf-8")
SEED_JSON = b'{"format": "gaiji-mapping", "format_version": 1, "rows": [{"source": "a", "code": "U+E000"}]}'
SEED_XML = b'<?xml version="1.0"?><mapping xmlns="urn:gaiji:mapping:1" format_version="1"><row><source>a</source></row></mapping>'


@st.composite
def mutated(draw, seed: bytes):
    data = bytearray(seed)
    for _ in range(draw(st.integers(0, 6))):
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        op = draw(st.sampled_from(["flip", "cut", "insert"]))
        if op == "flip" and data:
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[pos: pos + draw(st.integers(1, 16))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@FUZZ
@given(st.sampled_from(["csv", "tsv", "json", "xml"]), st.data())
def test_mapping_readers_and_validate(fmt, data):
    seed = {"csv": SEED_CSV, "tsv": SEED_CSV.replace(b",", b"\t"), "json": SEED_JSON, "xml": SEED_XML}[fmt]
    raw = data.draw(st.one_of(mutated(seed), st.binary(max_size=200)))
    path = WORK / f"m.{fmt}"
    path.write_bytes(raw)
    for profile in ("full", "minimal"):
        try:
            report = validate_mapping(path, None, profile=profile)
        except (MappingUnreadable, GaijiError):
            continue
        assert report.exit_code in (0, 1)


@FUZZ
@given(st.text(max_size=300))
def test_layout_files(text):
    path = WORK / "layout.toml"
    path.write_text(text, encoding="utf-8")
    try:
        layout = read_layout(path)
    except GaijiError:
        return
    assert all(f.offset + f.length <= layout.record_length for f in layout.fields)


LAYOUT = Layout(12, b"\r\n", b" ", (Field("a", 0, 4, "ascii"), Field("b", 4, 6, "cp932"), Field("c", 10, 2, "euc-jp")))


@FUZZ
@given(st.binary(max_size=80), st.sampled_from(["strict", "report"]))
def test_fixed_width_records(data, errors):
    src = WORK / "fixed.dat"
    src.write_bytes(data)
    try:
        stats = convert_fixed_width(src, LAYOUT, TABLE, output=WORK / "fixed.out", errors=errors)
    except GaijiError:
        return
    out = (WORK / "fixed.out").read_bytes()
    assert len(out) <= stats.records * 14 and all(len(r) == 12 for r in out.split(b"\r\n")[:-1])


@FUZZ
@given(st.binary(max_size=200), st.booleans())
def test_encoding_detection(data, final):
    try:
        assert detect_encoding(data, final) in ("utf-8", "cp932")
    except GaijiError:
        pass


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["auto", "cp932", "utf-8", "euc-jp"]),
       st.integers(1, 19), st.sampled_from(["replace", "keep"]))
def test_data_streams_with_errors_report(data, encoding, chunk, bad_bytes):
    found: list = []
    out = io.BytesIO()
    try:
        stats = convert_stream(io.BytesIO(data), out, TABLE, encoding=encoding, chunk_size=chunk,
                               errors="report", bad_bytes=bad_bytes, report=found.append)
    except GaijiError:
        assert encoding == "auto"  # only detection may refuse in report mode
        return
    assert stats.unmapped + stats.bad_bytes == len(found)
    if bad_bytes == "replace":
        out.getvalue().decode("utf-8")  # always valid UTF-8


@FUZZ
@given(st.text(max_size=12))
def test_code_parsers(text):
    code_key(text)
    sjis_code_of(text)
    for jis in (False, True):
        cp = code_to_pua(text, jis=jis)
        assert cp is None or 0 <= cp <= 0x10FFFF

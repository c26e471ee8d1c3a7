"""Plain-text tables of MJ records for terminals (East Asian widths aligned)."""

from __future__ import annotations

import unicodedata
from typing import Any

from gaiji.reference.records import MJRecord, SetRecord


def display_width(text: str) -> int:
    """Terminal columns taken by *text* (wide CJK = 2, selectors = 0).

    >>> display_width('辻'), display_width('abc'), display_width('辻\\U000E0102')
    (2, 3, 2)
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or 0xE0100 <= ord(ch) <= 0xE01EF or 0xFE00 <= ord(ch) <= 0xFE0F:
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def summary_row(rec: MJRecord) -> dict[str, Any]:
    return {
        "mj": rec.mj,
        "char": rec.char,
        "ucs": rec.ucs,
        "ivs": rec.ivs,
        "readings": "・".join(rec.readings[:4]) + ("…" if len(rec.readings) > 4 else ""),
        "radical+strokes": ", ".join(f"{r}+{i}" for r, i in rec.radicals),
        "strokes": "" if rec.total_strokes is None else str(rec.total_strokes),
        "juki": rec.juki,
        "koseki": rec.koseki,
    }


def set_summary_row(rec: SetRecord) -> dict[str, Any]:
    """An added set's record in the same shape as :func:`summary_row` (``mj`` empty), plus
    ``set`` and ``id``: the character is (set, id)."""
    return {
        "set": rec.set_name,
        "id": rec.id,
        "mj": "",
        "char": rec.char,
        "ucs": rec.ucs,
        "ivs": rec.ivs,
        "readings": "・".join(rec.readings[:4]) + ("…" if len(rec.readings) > 4 else ""),
        "radical+strokes": f"{rec.radical}+{rec.inner_strokes or 0}" if rec.radical else "",
        "strokes": "" if rec.total_strokes is None else str(rec.total_strokes),
        "juki": rec.juki,
        "koseki": rec.koseki,
        "related_mj": rec.related_mj,
        "font": rec.font_name if rec.has_glyph else "(no glyph)",
    }


def format_table(rows: list[dict[str, Any]]) -> str:
    """Align dict rows as a table (header from the first row's keys)."""
    if not rows:
        return ""
    keys = list(rows[0])
    cells = [[str(r.get(k, "")) for k in keys] for r in rows]
    widths = [max(display_width(k), *(display_width(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(pad(k, w) for k, w in zip(keys, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(pad(c, w) for c, w in zip(row, widths)).rstrip() for row in cells)
    return "\n".join(lines)


def format_record(rec: MJRecord) -> str:
    """Every field of one record, one per line."""
    fields = [
        ("MJ文字図形名", rec.mj),
        ("文字", f"{rec.char}  ({' '.join(f'U+{ord(c):04X}' for c in rec.char)})"),
        ("対応するUCS", rec.corresponding_ucs),
        ("実装したUCS", f"{rec.implemented_char} U+{ord(rec.implemented_char):04X}" if rec.implemented_char else "(IVS only)"),
        ("IVS", rec.ivs or "-"),
        ("読み", "・".join(rec.readings) or "-"),
        ("部首+内画数", ", ".join(f"{r}+{i}" for r, i in rec.radicals) or "-"),
        ("総画数", "-" if rec.total_strokes is None else str(rec.total_strokes)),
        ("住基ネット統一文字コード", rec.juki or "-"),
        ("戸籍統一文字番号", rec.koseki or "-"),
        ("入管正字コード", rec.nyukan or "-"),
        ("登記統一文字番号", rec.touki or "-"),
        ("JIS X 0213", rec.x0213 or "-"),
        ("互換漢字", rec.compat or "-"),
        ("IDS", " ".join(rec.ids) or "-"),
        ("縮退", "; ".join(
            f"{f.char} {f.ucs} [{f.basis}" + (f" 順位{f.rank}" if f.rank else "") + (f" hops {f.hops}" if f.hops else "") + "]"
            for f in rec.fallbacks) or "-"),
        ("glyph", rec.glyph_name if rec.has_glyph else "(none in IPAmj)"),
    ]
    if rec.note:
        fields.append(("備考", rec.note))
    width = max(display_width(k) for k, _ in fields)
    return "\n".join(f"{pad(k, width)}  {v}" for k, v in fields)

"""What an extraction did, for people (``format_text``) and scripts (``to_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class SourceReport:
    path: str
    kind: str
    glyphs: int = 0
    blank: int = 0
    ledger_rows: int = 0
    ledger_joined: int = 0
    encoding: str = ""
    error: str = ""


@dataclass
class ExtractSummary:
    output: str
    sources: list[SourceReport] = field(default_factory=list)
    glyph_count: int = 0
    blank: list[str] = field(default_factory=list)
    duplicates: list[list[str]] = field(default_factory=list)
    """Groups of gaiji ids whose bitmaps are identical (first id is the one others point to)."""
    ledger_without_glyph: list[str] = field(default_factory=list)
    glyphs_without_ledger: list[str] = field(default_factory=list)
    ledger_given: bool = False
    problems: list[str] = field(default_factory=list)
    """Glyphs or files that could not be read (each names the file). Non-empty → not ok."""
    warnings: list[str] = field(default_factory=list)
    framed: list[str] = field(default_factory=list)
    """Images with straight lines of ink along their edges (cell borders?), kept as they are."""
    written: bool = False

    @property
    def failed_sources(self) -> list[SourceReport]:
        return [s for s in self.sources if s.error]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.failed_sources

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["ok"] = self.ok
        return d

    def format_text(self, *, limit: int = 8) -> str:
        def some(items: list[str]) -> str:
            shown = ", ".join(items[:limit])
            return shown + (f", … (+{len(items) - limit})" if len(items) > limit else "")

        lines = [
            f"gaiji set {self.output}: {self.glyph_count} glyphs"
            + ("" if self.written else " (NOT written)")
        ]
        width = max([len(s.path) for s in self.sources] + [10])
        for s in self.sources:
            if s.error:
                lines.append(f"  {s.path:<{width}}  {s.kind:<7} FAILED (see below)")
            elif s.kind == "ledger":
                lines.append(
                    f"  {s.path:<{width}}  {s.kind:<7} {s.ledger_rows} rows ({s.encoding}), {s.ledger_joined} joined"
                )
            else:
                lines.append(
                    f"  {s.path:<{width}}  {s.kind:<7} {s.glyphs} glyphs"
                    + (f", {s.blank} blank" if s.blank else "")
                )
        lines.append(
            f"blank glyphs: {len(self.blank)}" + (f" ({some(self.blank)})" if self.blank else "")
        )
        dup_ids = [f"{'='.join(g)}" for g in self.duplicates]
        lines.append(
            f"identical glyphs under different codes: {sum(len(g) - 1 for g in self.duplicates)}"
            + (f" (kept, marked duplicate_of: {some(dup_ids)})" if dup_ids else "")
        )
        if self.ledger_given:
            lines.append(
                f"ledger rows with no glyph: {len(self.ledger_without_glyph)}"
                + (f" ({some(self.ledger_without_glyph)})" if self.ledger_without_glyph else "")
            )
            lines.append(
                f"glyphs with no ledger row: {len(self.glyphs_without_ledger)}"
                + (f" ({some(self.glyphs_without_ledger)})" if self.glyphs_without_ledger else "")
            )
        elif any(s.kind == "ledger" for s in self.failed_sources):
            lines.append("the ledger could not be read (see below): readings, usage counts and notes are empty")
        else:
            lines.append("no ledger given: readings, usage counts and notes are empty")
        if self.framed:
            lines.append(
                f"warning: {len(self.framed)} images have straight lines of ink along their edges "
                f"({some(self.framed)}). If they are the cell borders of a scanned ledger, matching "
                "reads them as part of the glyph: crop the pictures inside the borders and extract "
                "again. (A glyph's own enclosure cropped tight — 國, 回, 門 — can look the same; those are fine.)"
            )
        for w in self.warnings[: limit * 2]:
            lines.append(f"warning: {w}")
        if len(self.warnings) > limit * 2:
            lines.append(f"warning: … {len(self.warnings) - limit * 2} more (see --json)")
        for p in self.problems[: limit * 2]:
            lines.append(f"problem: {p}")
        if len(self.problems) > limit * 2:
            lines.append(f"problem: … {len(self.problems) - limit * 2} more (see --json)")
        for s in self.failed_sources:
            lines.append(f"problem: {s.error}")
        return "\n".join(lines)

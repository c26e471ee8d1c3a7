"""The contact sheet for paper sign-off: every final decision with the gaiji, the chosen MJ
glyph, their overlay and who decided/checked — plus the audit chain's head hash, so the
signed paper anchors the electronic record.

HTML is self-contained (pictures inlined as data URIs); PDF is printed from that HTML by a
headless Chromium (``chromium --headless --print-to-pdf``) when one is installed.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gaiji.errors import GaijiError
from gaiji.fsutil import atomic_write
from gaiji.progress import Progress, no_progress
from gaiji.review.gaijiset import load_glyphs
from gaiji.review.log import open_existing
from gaiji.review.pictures import Pictures, png_bytes

TEMPLATES = Path(__file__).parent / "templates"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class SheetError(GaijiError):
    """The contact sheet cannot be written as asked."""


def find_chromium() -> str | None:
    """``$GAIJI_CHROMIUM`` or the first Chromium on PATH."""
    env = os.environ.get("GAIJI_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _data_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def sheet_html(
    set_dir: str | Path,
    *,
    reference: Any,
    candidates_path: str | Path | None = None,
    progress: Progress = no_progress,
    ref_sets: list[Any] | None = None,
) -> str:
    """Render the contact sheet as one self-contained HTML document (*ref_sets*: the added
    reference sets that picture decisions for their entries; default: those installed)."""
    set_dir = Path(set_dir)
    store = open_existing(set_dir)
    glyphs = load_glyphs(set_dir, Path(candidates_path) if candidates_path else None)
    from gaiji.export.mapping import installed_sets

    sets = installed_sets(reference) if ref_sets is None else ref_sets
    pictures = Pictures(set_dir, reference, {s.name: s for s in sets})
    report = store.verify_chain()
    finals = store.final_decisions()
    rows = []
    for done, decision in enumerate(finals, 1):
        glyph = glyphs.get(decision.gaiji_id)
        row: dict[str, Any] = {"d": decision, "glyph": glyph, "gaiji_png": None, "mj_png": None, "overlay_png": None}
        if glyph is not None:
            try:
                row["gaiji_png"] = _data_uri(png_bytes(pictures.gaiji_picture(glyph.image)))
            except (KeyError, GaijiError):
                row["gaiji_png"] = None
        key = f"{decision.ref_set}:{decision.ref_id}" if decision.ref_set else decision.mj
        if key:
            try:
                row["mj_png"] = _data_uri(pictures.candidate_png(key, 128))
                if glyph is not None and row["gaiji_png"]:
                    row["overlay_png"] = _data_uri(pictures.overlay_png(glyph.image, key))
            except KeyError:
                pass
        rows.append(row)
        progress(done, len(finals), "contact sheet")
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    return env.get_template("sheet.html").render(
        set_name=set_dir.name,
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        reference_version=str(getattr(reference, "version_label", "")),
        two_person=store.two_person,
        chain=report,
        counts=store.counts(),
        rows=rows,
        open_items=store.open_items(),
        css=(Path(__file__).parent / "static" / "sheet.css").read_text(encoding="utf-8"),
    )


def print_pdf(html: str, out: Path, *, chromium: str | None = None, timeout: float = 180) -> None:
    """Print *html* to *out* with headless Chromium (atomically)."""
    browser = chromium or find_chromium()
    if browser is None:
        raise SheetError(
            "PDF output needs Chromium (apt-get install chromium, or set GAIJI_CHROMIUM to its "
            "path); or write HTML with -o sheet.html and print it from any browser"
        )
    with tempfile.TemporaryDirectory(prefix="gaiji-sheet-") as tmp:
        page = Path(tmp) / "sheet.html"
        page.write_text(html, encoding="utf-8")
        pdf = Path(tmp) / "sheet.pdf"
        args = [browser, "--headless=new", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update",
                f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
        try:
            result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise SheetError(f"{browser} did not finish printing within {timeout:.0f} s") from exc
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise SheetError(f"{browser} did not write a PDF (exit {result.returncode}): {result.stderr.strip()[-400:]}")
        with atomic_write(out, "wb") as handle:
            handle.write(pdf.read_bytes())


def write_sheet(
    set_dir: str | Path,
    out: str | Path,
    *,
    reference: Any,
    candidates_path: str | Path | None = None,
    progress: Progress = no_progress,
) -> Path:
    """Write the contact sheet to *out*: ``.html`` or ``.pdf`` by its suffix."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise SheetError(f"{out}: write the sheet as .html or .pdf")
    html = sheet_html(set_dir, reference=reference, candidates_path=candidates_path, progress=progress)
    if suffix == ".pdf":
        print_pdf(html, out)
    else:
        with atomic_write(out) as handle:
            handle.write(html)
    return out

"""A self-contained HTML page showing each gaiji beside its best MJ match, with counts and
stage timings (written by ``gaiji demo``; pictures are embedded, so the file can be mailed)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from gaiji.fsutil import atomic_write


@dataclass
class GaijiCard:
    gaiji_id: str
    source: str
    code: str
    reading: str
    image: Image.Image | None  # the gaiji as extracted
    status: str  # auto-accepted | needs review | final | …
    mj: str = ""
    char: str = ""
    ucs: str = ""
    ivs: str = ""
    confidence: float | None = None
    mj_image: Image.Image | None = None
    answer: str | None = None  # the sample's answer key: MJ number, '' for none, None unknown
    ref: str = ""  # an added reference set's entry, 'SET ID' (mj is then empty)

    @property
    def target(self) -> str:
        """What the best match names: the MJ number or the added set's entry."""
        return self.ref or self.mj


@dataclass
class HtmlReport:
    title: str
    subtitle: str
    counts: list[tuple[str, str]] = field(default_factory=list)
    timings: list[tuple[str, float, str]] = field(default_factory=list)
    cards: list[GaijiCard] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, relative href)
    notes: list[str] = field(default_factory=list)


def _data_uri(image: Image.Image | None, *, px: int = 96) -> str:
    if image is None:
        return ""
    img = image.convert("L")
    scale = max(1, px // max(img.width, img.height, 1))
    if scale > 1:  # small bitmaps: enlarge by whole pixels so they stay crisp
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


_CSS = """
body{font-family:system-ui,'Noto Sans CJK JP',sans-serif;margin:2rem;color:#222;background:#fafafa}
h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
table.kv{border-collapse:collapse;margin:1rem 0} table.kv td{padding:.2rem .8rem;border-bottom:1px solid #ddd}
table.kv td.n{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.8rem}
.card{background:#fff;border:1px solid #ddd;border-radius:.5rem;padding:.6rem}
.card.auto-accepted{border-left:.4rem solid #2a7}
.card.needs-review{border-left:.4rem solid #e90}
.card.wrong{outline:2px solid #c22}
.pics{display:flex;gap:.5rem;align-items:center}
.pics figure{margin:0;text-align:center;font-size:.75rem;color:#666}
.pics img{width:96px;height:96px;image-rendering:pixelated;border:1px solid #eee;background:#fff}
.meta{font-size:.8rem;margin-top:.4rem;line-height:1.4} code{font-size:.8rem}
.status{font-weight:600}
"""


def render_html(report: HtmlReport) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>",
        f"<title>{e(report.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(report.title)}</h1><p class='sub'>{e(report.subtitle)}</p>",
    ]
    if report.links:
        parts.append("<p>" + " · ".join(f"<a href='{e(href)}'>{e(label)}</a>" for label, href in report.links) + "</p>")
    if report.counts:
        parts.append("<h2>Counts</h2><table class='kv'>")
        parts += [f"<tr><td>{e(k)}</td><td class='n'>{e(v)}</td></tr>" for k, v in report.counts]
        parts.append("</table>")
    if report.timings:
        parts.append("<h2>Timings</h2><table class='kv'>")
        parts += [f"<tr><td>{e(name)}</td><td class='n'>{seconds:.1f} s</td><td>{e(note)}</td></tr>"
                  for name, seconds, note in report.timings]
        parts.append("</table>")
    for note in report.notes:
        parts.append(f"<p>{e(note)}</p>")
    parts.append("<h2>Gaiji and their best match (MJ or an added reference set)</h2><div class='grid'>")
    for c in report.cards:
        parts.append(_card(c))
    parts.append("</div></body></html>\n")
    return "".join(parts)


def _card(c: GaijiCard) -> str:
    e = html.escape
    classes = ["card", c.status.replace(" ", "-")]
    verdict = ""
    if c.answer is not None:
        right = c.target == (c.answer or "")
        if not right:
            classes.append("wrong")
        verdict = (f"<br>answer key: {e(c.answer or 'no equivalent')} "
                   f"({'match' if right else 'differs'})")
    gaiji = _data_uri(c.image)
    mj_pic = _data_uri(c.mj_image)
    ident = " ".join(x for x in (c.ucs, c.ivs) if x)
    conf = f" · confidence {c.confidence:.3f}" if c.confidence is not None else ""
    return (
        f"<div class='{' '.join(classes)}' id='{e(c.gaiji_id)}'><div class='pics'>"
        f"<figure><img alt='gaiji {e(c.gaiji_id)}' src='{gaiji}'><figcaption>gaiji</figcaption></figure>"
        + (f"<figure><img alt='{e(c.target)}' src='{mj_pic}'><figcaption>{e(c.target)}</figcaption></figure>"
           if mj_pic else "<figure><figcaption>no candidate</figcaption></figure>")
        + "</div><div class='meta'>"
        f"<span class='status'>{e(c.status)}</span>{e(conf)}<br>"
        f"<code>{e(c.gaiji_id)}</code> · {e(c.source)} {e(c.code)}"
        + (f" · {e(c.reading)}" if c.reading else "")
        + (f"<br>{e(c.char)} <code>{e(ident)}</code>" if c.target else "")
        + verdict + "</div></div>"
    )


def write_html_report(report: HtmlReport, path: str | Path) -> Path:
    with atomic_write(path) as handle:
        handle.write(render_html(report))
    return Path(path)


def summarise_cards(cards: Sequence[GaijiCard]) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in cards:
        out[c.status] = out.get(c.status, 0) + 1
    return out

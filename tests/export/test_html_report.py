"""The demo's HTML report escapes what came from the municipality's files."""

from __future__ import annotations

from PIL import Image

from gaiji.export.html_report import GaijiCard, HtmlReport, render_html


def test_text_from_sources_is_escaped_and_pictures_embedded() -> None:
    card = GaijiCard(gaiji_id="<script>alert(1)</script>", source="a&b.tte", code="U+E000",
                     reading="\"'><img src=x onerror=alert(1)>", image=Image.new("L", (16, 16), 0),
                     status="needs review", mj="MJ000078", char="㑨", ucs="U+3468",
                     mj_image=Image.new("L", (96, 96), 255), answer="MJ000079")
    html = render_html(HtmlReport(title="t <b>", subtitle="s", cards=[card], counts=[("n", "1")]))
    assert "<script>" not in html and "<img src=x" not in html and "t <b>" not in html
    assert "&lt;script&gt;" in html and "a&amp;b.tte" in html
    assert html.count("data:image/png;base64,") == 2
    assert "class='card needs-review wrong'" in html  # differs from the answer key
    assert "answer key: MJ000079 (differs)" in html

"""Charts drawn on the server as SVG: no script, no CDN, readable on a phone (they scale)."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH = 640
ROW = 34
LABEL_W = 210


def funnel(steps: list[tuple[str, int]], title: str) -> Markup:
    """Horizontal bars, one per step, each as wide as its share of the first step."""
    top = max((n for _, n in steps), default=0) or 1
    height = ROW * len(steps) + 10
    bar_w = WIDTH - LABEL_W - 70
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
             f"<title>{escape(title)}</title>"]
    first = steps[0][1] if steps else 0
    for i, (label, n) in enumerate(steps):
        y = 5 + i * ROW
        w = round(bar_w * n / top)
        share = f" ({round(100 * n / first)}%)" if first and i else ""
        parts.append(
            f'<g class="step"><text x="{LABEL_W - 8}" y="{y + 20}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_W}" y="{y + 4}" width="{max(w, 1)}" height="{ROW - 10}" rx="3"/>'
            f'<text class="n" x="{LABEL_W + max(w, 1) + 6}" y="{y + 20}">{n}{share}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def before_after(rows: list[tuple[str, float | None, float | None]], title: str,
                 before_label: str, after_label: str, scale: int = 5) -> Markup:
    """Two bars per statement (mean rating before and after, out of `scale`)."""
    pair = 2 * 16 + 16
    height = 30 + pair * len(rows)
    bar_w = WIDTH - LABEL_W - 60
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
             f"<title>{escape(title)}</title>"
             f'<rect class="before" x="{LABEL_W}" y="4" width="12" height="12"/>'
             f'<text x="{LABEL_W + 16}" y="14">{escape(before_label)}</text>'
             f'<rect class="after" x="{LABEL_W + 130}" y="4" width="12" height="12"/>'
             f'<text x="{LABEL_W + 146}" y="14">{escape(after_label)}</text>']
    for i, (label, before, after) in enumerate(rows):
        y = 26 + i * pair
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + 20}" text-anchor="end">'
                     f"{escape(label[:32])}</text>")
        for j, (cls, value) in enumerate((("before", before), ("after", after))):
            if value is None:
                continue
            w = round(bar_w * value / scale)
            yy = y + 2 + j * 16
            parts.append(f'<rect class="{cls}" x="{LABEL_W}" y="{yy}" width="{max(w, 1)}" '
                         f'height="14" rx="2"/><text class="n" x="{LABEL_W + max(w, 1) + 5}" '
                         f'y="{yy + 12}">{value:.1f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

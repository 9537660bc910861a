"""Events per month by action type as an inline SVG, drawn at build time (no charting script).

Only presentation attributes (fill, x, y...) are used: the CSP forbids inline styles.
"""

from __future__ import annotations

from collections import Counter

# Distinguishable on light and dark backgrounds; cycles past 16 action types.
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a", "#637939", "#8c6d31",
           "#7b4173", "#3182bd"]


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def monthly_chart(month_actions, actions: list[str], labels: dict[str, str], months: int = 24) -> dict | None:
    """Return {'bars', 'legend', 'width', 'height', 'ymax', 'ticks'} for the template, or None.

    month_actions: (YYYY-MM, action code) of every event ('' when undated)."""
    counts: Counter = Counter(p for p in month_actions if p[0])
    if not counts:
        return None
    present = sorted({m for m, _ in counts})
    span = _months_between(present[0], present[-1])[-months:]
    colour = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(actions)}
    bar_w, gap, height, left, bottom, top = 24, 6, 180, 36, 24, 10
    totals = {m: sum(counts[(m, a)] for a in actions) for m in span}
    ymax = max(totals.values()) or 1
    scale = height / ymax
    bars = []
    for i, month in enumerate(span):
        x = left + i * (bar_w + gap)
        y = top + height
        segments = []
        for action in actions:
            n = counts[(month, action)]
            if not n:
                continue
            h = n * scale
            y -= h
            segments.append({"x": x, "y": round(y, 2), "w": bar_w, "h": round(h, 2),
                             "fill": colour[action],
                             "title": f"{month}: {n} {labels.get(action, action)}"})
        bars.append({"month": month, "x": x, "total": totals[month], "segments": segments,
                     "label": month[2:] if month.endswith("-01") or i == 0 else month[5:]})
    legend = [{"action": a, "label": labels.get(a, a), "fill": colour[a]}
              for a in actions if any(counts[(m, a)] for m in span)]
    ticks = [{"value": v, "y": round(top + height - v * scale, 2)} for v in sorted({0, ymax // 2, ymax})]
    return {"bars": bars, "legend": legend, "width": left + len(span) * (bar_w + gap),
            "height": top + height + bottom, "plot_h": top + height, "left": left, "ticks": ticks,
            "first": span[0], "last": span[-1]}

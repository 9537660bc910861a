"""Stories per month by action type as an inline SVG, drawn at build time (no charting script).

Only presentation attributes (fill, x, y...) are used: the CSP forbids inline styles. The
colours are Okabe and Ito's, told apart with the common colour-vision deficiencies: the seven
most frequent action types get one each and the rest are stacked as "Other actions" in grey
(more colours could not be told apart). Month labels are classed so the stylesheet can keep
only the quarters, larger, on a phone.
"""

from __future__ import annotations

from collections import Counter

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
OTHER, OTHER_FILL = "\x00other", "#8C8C8C"


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


_SHORT = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def monthly_chart(month_actions, actions: list[str], labels: dict[str, str], months: int = 24) -> dict | None:
    """Return {'bars', 'legend', 'width', 'height', 'ymax', 'ticks'} for the template, or None.

    month_actions: (YYYY-MM, action code) of every story ('' when undated)."""
    counts: Counter = Counter(p for p in month_actions if p[0])
    if not counts:
        return None
    present = sorted({m for m, _ in counts})
    span = _months_between(present[0], present[-1])[-months:]
    in_span = set(span)
    per_action: Counter = Counter()
    for (m, a), n in counts.items():
        if m in in_span:
            per_action[a] += n
    ranked = sorted((a for a in actions if per_action[a]), key=lambda a: (-per_action[a], a))
    shown = ranked[:len(PALETTE)] if len(ranked) > len(PALETTE) + 1 else ranked
    colour = {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(shown)}
    rest = [a for a in ranked if a not in colour]
    if rest:
        for (m, a), n in list(counts.items()):
            if a in rest:
                counts[(m, OTHER)] += n
        colour[OTHER] = OTHER_FILL
        labels = {**labels, OTHER: "Other actions"}
    stack = list(colour)
    bar_w, gap, height, left, bottom, top = 24, 6, 180, 36, 48, 10
    totals = {m: sum(counts[(m, a)] for a in stack) for m in span}
    ymax = max(totals.values()) or 1
    scale = height / ymax
    bars = []
    for i, month in enumerate(span):
        x = left + i * (bar_w + gap)
        y: float = top + height
        segments = []
        for action in stack:
            n = counts[(month, action)]
            if not n:
                continue
            h = n * scale
            y -= h
            segments.append({"x": x, "y": round(y, 2), "w": bar_w, "h": round(h, 2),
                             "fill": colour[action],
                             "title": f"{month}: {n} {labels.get(action, action)}"})
        mon = int(month[5:7])
        bars.append({"month": month, "x": x, "total": totals[month], "segments": segments,
                     "label": _SHORT[mon - 1], "minor": (mon - 1) % 3 != 0,
                     "year": month[:4] if mon == 1 or (i == 0 and mon <= 9) else None})
    legend = [{"action": a, "label": labels.get(a, a), "fill": colour[a],
               "total": sum(counts[(m, a)] for m in span)} for a in stack]
    ticks = [{"value": v, "y": round(top + height - v * scale, 2)} for v in sorted({0, ymax // 2, ymax})]
    return {"bars": bars, "legend": legend, "width": left + len(span) * (bar_w + gap),
            "height": top + height + bottom, "plot_h": top + height, "left": left, "ticks": ticks,
            "first": span[0], "last": span[-1]}

"""A scene and its layout as a standalone SVG document, with nothing but the standard library.

Text is set in a monospace font, so a box's width follows from its number of characters and
every box fits its text on any machine. All user text is XML-escaped; numbers are written with
one decimal, so the same graph always gives the same bytes.
"""

from __future__ import annotations

import math
import re
import unicodedata

from . import palette
from .describe import describe
from .layout import Layout
from .palette import CAPTION, EDGE_INK, INK, PAPER
from .scene import Box, Scene

FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace"
FONT_SIZE = 12
CHAR_WIDTH = 7.3            # monospace advance at 12 px is 0.6 em (7.2 px); a little to spare
FIELD_PADDING = 8.0         # left and right of each record field's text
BOX_HEIGHT = 26.0
LINE_HEIGHT = 20.0          # per field of a stacked record
OP_HEIGHT = 26.0
STACK = 4.0                 # offset of the shadow box behind a collapsed group
CAPTION_LINE = 18.0
CAPTION_CHARS = 110         # the caption wraps at this many characters
ARROW = "glassgrad-arrow"


# characters XML 1.0 forbids anywhere (control characters, lone surrogates, U+FFFE/U+FFFF):
# one of them makes the whole document unreadable, so each becomes U+FFFD
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """Text made safe for XML content and attribute values: `<script>` stays text, and a
    character XML cannot hold (an op's name or docstring may have one) becomes U+FFFD.

    >>> escape('<b> & "c"\\x0b')
    '&lt;b&gt; &amp; &quot;c&quot;\N{REPLACEMENT CHARACTER}'

    (xml.sax.saxutils does the same but imports urllib, http and email: 40 ms at import.)
    """
    text = _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def prefix_ids(document: str, prefix: str) -> str:
    """`document` (SVG or HTML from glassgrad) with every id, and every url(#id) naming one,
    starting with `prefix-`: drawings that share a page then never share an id.

    Only attributes are renamed: user text has no '"' left (escape writes &quot;), so a label
    such as 'url(#x) id="y"' stays as it is.

    >>> prefix_ids('<g id="n0"><path marker-end="url(#a)"/></g>', "p")
    '<g id="p-n0"><path marker-end="url(#p-a)"/></g>'
    """
    return document.replace(' id="', f' id="{prefix}-').replace('"url(#', f'"url(#{prefix}-')


def text_width(text: str) -> float:
    """Width of `text` in pixels: wide East Asian characters take two cells."""
    cells = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return cells * CHAR_WIDTH


def field_widths(box: Box) -> list[float]:
    return [max(text_width(f) + 2 * FIELD_PADDING, 24.0) for f in box.fields]


def measure(box: Box) -> tuple[float, float]:
    """The (width, height) a box needs for its text."""
    if box.kind == "op":
        return max(text_width(box.fields[0]) + 22.0, 38.0), OP_HEIGHT
    if box.stacked:
        width, height = max(field_widths(box)), LINE_HEIGHT * len(box.fields)
    else:
        width, height = sum(field_widths(box)), BOX_HEIGHT
    if box.kind == "group":
        return width + STACK, height + STACK
    return width, height


def _n(x: float) -> str:
    """A coordinate with one decimal (fixed precision keeps the output byte-identical)."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line] if line else lines


def _label(x: float, y: float, text: str) -> str:
    baseline = y + FONT_SIZE * 0.35            # centres the text without dominant-baseline,
    return (f'<text x="{_n(x)}" y="{_n(baseline)}" text-anchor="middle">'   # which some
            f"{escape(text)}</text>")                                      # renderers ignore


def _box(box: Box, centre: tuple[float, float], size: tuple[float, float]) -> list[str]:
    cx, cy = centre
    width, height = size
    dash = ' stroke-dasharray="4 3"' if box.dashed else ""
    # the tooltip (and what a screen reader says for the box) without draw_backprop's padding
    title = " | ".join(field.strip("\N{NO-BREAK SPACE}") for field in box.fields)
    out = [f'<g class="node {box.kind}" id="{escape(box.name)}">',
           f"<title>{escape(title)}</title>"]
    border = _border(box)
    if box.kind == "op":
        out.append(f'<ellipse cx="{_n(cx)}" cy="{_n(cy)}" rx="{_n(width / 2)}" '
                   f'ry="{_n(height / 2)}" fill="{box.fill}" {border}{dash}/>')
        out.append(_label(cx, cy, box.fields[0]))
        out.append("</g>")
        return out
    if box.kind == "group":                       # a second box behind: "there are several"
        width, height = width - STACK, height - STACK
        cx, cy = cx - STACK / 2, cy - STACK / 2
        out.append(f'<rect x="{_n(cx - width / 2 + STACK)}" y="{_n(cy - height / 2 + STACK)}" '
                   f'width="{_n(width)}" height="{_n(height)}" rx="2" fill="{box.fill}" '
                   f'stroke="{INK}"{dash}/>')
    left, top = cx - width / 2, cy - height / 2
    out.append(f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(width)}" height="{_n(height)}" '
               f'rx="2" fill="{box.fill}" {border}{dash}/>')
    if box.stacked:
        for i, field in enumerate(box.fields):
            y = top + i * LINE_HEIGHT
            if i:
                out.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + width)}" '
                           f'y2="{_n(y)}" stroke="{INK}"/>')
            out.append(_label(cx, y + LINE_HEIGHT / 2, field))
    else:
        x = left
        for i, (field, w) in enumerate(zip(box.fields, field_widths(box))):
            if i:
                out.append(f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" '
                           f'y2="{_n(top + height)}" stroke="{INK}"/>')
            out.append(_label(x + w / 2, cy, field))
            x += w
    out.append("</g>")
    return out


def _border(box: Box) -> str:
    """The stroke of a box's outline: draw_backprop's highlighted boxes have a wider one (not
    only another colour: a grey print, a colour-blind reader)."""
    if box.outline == "hot":
        return f'stroke="{palette.HOT_INK}" stroke-width="{palette.HOT_WIDTH}"'
    if box.outline == "to":
        return f'stroke="{palette.TARGET_INK}" stroke-width="{palette.TARGET_WIDTH}"'
    return f'stroke="{INK}"'


def on_ellipse(point: tuple[float, float], centre: tuple[float, float],
                size: tuple[float, float], horizontal: bool) -> tuple[float, float]:
    """Move an edge's end along the rank axis onto the border of an op's ellipse (the layout
    puts it on the bounding box, which for an ellipse is off its curve away from the middle)."""
    (x, y), (cx, cy), (w, h) = point, centre, size
    a, b = w / 2, h / 2
    if horizontal:
        t = min(abs(y - cy) / b, 1.0)
        return cx + math.copysign(a * math.sqrt(1 - t * t), x - cx), y
    t = min(abs(x - cx) / a, 1.0)
    return x, cy + math.copysign(b * math.sqrt(1 - t * t), y - cy)


def _path(points: list[tuple[float, float]], horizontal: bool) -> str:
    """Straight within a layer, an S-curve across the gap between layers (see Layout.routes)."""
    parts = [f"M{_n(points[0][0])},{_n(points[0][1])}"]
    for i in range(len(points) - 1):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        if i % 2 == 0:
            if (x0, y0) != (x1, y1):        # no zero-length piece: it would turn the arrowhead
                parts.append(f"L{_n(x1)},{_n(y1)}")
        elif horizontal:
            mid = (x0 + x1) / 2
            parts.append(f"C{_n(mid)},{_n(y0)} {_n(mid)},{_n(y1)} {_n(x1)},{_n(y1)}")
        else:
            mid = (y0 + y1) / 2
            parts.append(f"C{_n(x0)},{_n(mid)} {_n(x1)},{_n(mid)} {_n(x1)},{_n(y1)}")
    return " ".join(parts)


def described(document: str, scene: Scene) -> str:
    """An SVG document of `scene` drawn by Graphviz, given the <title> and <desc> that `render`
    writes (Graphviz titles every graph "glassgrad"): what a screen reader says for it.

    >>> from autograd import Value
    >>> from autograd.viz.scene import build_scene
    >>> print(described('<svg width="9pt">\\n<g/></svg>', build_scene(Value(2.0, label="x") * 3)))
    <svg width="9pt"><title>computation graph of ...</title><desc>...</desc>
    <g/></svg>
    """
    title, description = describe(scene)
    start = document.find("<svg")
    if start < 0:
        return document
    end = document.index(">", start) + 1
    return (f"{document[:end]}<title>{escape(title)}</title><desc>{escape(description)}</desc>"
            f"{document[end:]}")


def render(scene: Scene, sizes: list[tuple[float, float]], layout: Layout, note: str = "") -> str:
    """The SVG document (a string) for `scene`, whose boxes have `sizes` and sit at `layout`.

    Its <title> says what the graph computes and its <desc> every box (`describe`), after
    `note` if given: what a screen reader says for the picture.
    """
    caption = _wrap(scene.caption, CAPTION_CHARS) if scene.caption else []
    top = len(caption) * CAPTION_LINE + (6.0 if caption else 0.0)
    width = max([layout.width] + [text_width(line) + 16 for line in caption])
    height = layout.height + top
    title, description = describe(scene)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="{FONT}" '
        f'font-size="{FONT_SIZE}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(note + chr(10) + description if note else description)}</desc>",
        f'<defs><marker id="{ARROW}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{EDGE_INK}"/>'
        f"</marker></defs>",
        f'<rect width="100%" height="100%" fill="{PAPER}"/>',
    ]
    for i, line in enumerate(caption):
        out.append(f'<text class="caption" x="8.0" y="{_n(8 + CAPTION_LINE * i + FONT_SIZE)}" '
                   f'fill="{CAPTION}">{escape(line)}</text>')
    out.append(f'<g transform="translate(0,{_n(top)})">')
    for (source, target), route in zip(scene.edges, layout.routes):
        points = list(route)
        for end, box in ((0, source), (-1, target)):
            if scene.boxes[box].kind == "op":
                points[end] = on_ellipse(points[end], layout.centres[box], sizes[box],
                                          layout.horizontal)
        out.append(f'<path class="edge" d="{_path(points, layout.horizontal)}" fill="none" '
                   f'stroke="{EDGE_INK}" stroke-width="1.2" marker-end="url(#{ARROW})"/>')
    for box, centre, size in zip(scene.boxes, layout.centres, sizes):
        out.extend(_box(box, centre, size))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"

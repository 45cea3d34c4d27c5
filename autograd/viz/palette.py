"""Every colour and line width the drawings and the step-through page use, in one place.

The pictures are projected, printed in black and white and read by colour-blind students, so
the palette keeps to three rules (tests/test_viz_a11y.py checks them with WCAG's formula):
text has a contrast of at least 4.5:1 on every fill it sits on, lines and focus rings at least
3:1 on white, and nothing is told by colour alone: the step's node and its inputs differ by the
width of their border too, and a constant by its dashes.

>>> contrast(TEXT, HOT_FILL) >= 4.5 and contrast(EDGE_INK, PAPER) >= 3
True
"""

from __future__ import annotations

PAPER = "#ffffff"               # the drawing's background
TEXT = "#000000"                # the boxes' text (SVG's default fill: not written)
CAPTION = "#444444"             # the caption above a drawing
INK = "#333333"                 # box borders and field separators
EDGE_INK = "#555555"            # arrows
NOTE = "#595959"                # the page's legend and note (#777 was 4.48:1 on white)
FOCUS = "#1f5fa8"               # the page's focus ring
FRAME = "#dddddd"               # the widget's border (decoration: the focus ring says focus)
FRAME_FOCUS = "#6a9fd8"         # ... while the focus is in it

LEAF_FILL = "#eef4fb"           # inputs and parameters: the values the user made
RESULT_FILL = "#ffffff"
CONSTANT_FILL = "#f6f6f6"       # also drawn dashed
OP_FILL = "#f2f2f2"
GROUP_FILL = "#fbf7ee"
HEAT = (232, 106, 74)           # color_grad: the largest gradient (zero is white)

# draw_backprop's highlight: the node whose rule runs and the inputs that receive a gradient.
# Yellow and light blue stay apart under deuteranopia and protanopia; in a grey print they do
# not, so the borders differ as well: thick for the node, medium for its inputs, thin elsewhere.
HOT_FILL = "#ffd966"
HOT_INK = "#c0392b"
HOT_WIDTH = 3.5
TARGET_FILL = "#cfe5ff"
TARGET_INK = "#2f6eb5"
TARGET_WIDTH = 2.0
LINE_WIDTH = 1.0                # every other box's border (SVG's default stroke width)


def luminance(colour: str) -> float:
    """WCAG 2's relative luminance of "#rrggbb": 0 for black, 1 for white."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours, from 1 (the same) to 21 (black on white).

    >>> round(contrast("#777777", "#ffffff"), 2)
    4.48
    """
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)

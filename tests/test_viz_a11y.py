"""The pictures in a classroom: projected, printed in grey, read by a screen reader, used by
keyboard only, seen by colour-blind students. Structural checks over the generated SVG and HTML
(what a browser does with them: tests/test_backprop_browser.py).

Contrast is WCAG 2's formula, written out here (not the palette's own); colour blindness is
Machado, Oliveira and Fernandes' (2009) simulation at full severity, in linear RGB.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from autograd import Tensor, Value, draw_backprop, draw_graph
from autograd.viz import labels, page, palette
from neuron_helpers import neuron

SVG = "{http://www.w3.org/2000/svg}"


def luminance(colour: str) -> float:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(c @ [0.2126, 0.7152, 0.0722])


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_rule(css: str, selector: str) -> str:
    """The declarations of the first rule whose selector list ends with `selector`."""
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert match, f"no CSS rule for {selector}"
    return match.group(1)


# -- colour -------------------------------------------------------------------------------------

FILLS = {"leaf": palette.LEAF_FILL, "result": palette.RESULT_FILL,
         "constant": palette.CONSTANT_FILL, "op": palette.OP_FILL, "group": palette.GROUP_FILL,
         "step's node": palette.HOT_FILL, "its inputs": palette.TARGET_FILL,
         "largest gradient": labels.heat(1.0), "half the largest": labels.heat(0.5)}


@pytest.mark.parametrize("fill", FILLS)
def test_box_text_is_readable_on_every_fill(fill):
    """Black text (the SVG's default: no <text> of a box sets a fill) at WCAG AA, 4.5:1."""
    assert contrast(palette.TEXT, FILLS[fill]) >= 4.5
    svg = draw_graph(neuron(), engine="builtin", color_grad=True).svg()
    assert not re.search(r'<text(?![^>]*class="caption")[^>]*\bfill=', svg)


def test_the_pages_small_print_is_readable():
    """The legend and the no-JavaScript note were #777 on white: 4.48:1, under AA's 4.5."""
    css = page.STYLE
    colour = re.search(r"color:\s*#([0-9a-f]{6}|[0-9a-f]{3})\b", css_rule(css, ".gg-legend"))
    colour = "#" + (colour.group(1) if len(colour.group(1)) == 6 else
                    "".join(2 * c for c in colour.group(1)))
    assert contrast(colour, palette.PAPER) >= 4.5
    assert contrast(palette.CAPTION, palette.PAPER) >= 4.5           # a drawing's caption
    assert re.search(r"background:\s*" + palette.PAPER, css_rule(css, ".glassgrad-backprop"))
    # (a dark notebook theme gets a white card with dark text, not dark text on dark)


@pytest.mark.parametrize("ink", ["INK", "EDGE_INK", "FOCUS", "HOT_INK", "TARGET_INK"])
def test_lines_stand_out_from_the_paper(ink):
    """Box borders, arrows, the focus ring and the highlight borders: 3:1 for graphics."""
    assert contrast(getattr(palette, ink), palette.PAPER) >= 3


# Machado et al. 2009, severity 1 (linear RGB)
PROTANOPIA = np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                       [-0.003882, -0.048116, 1.051998]])
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])


def lab(linear: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ linear / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour: str, matrix: np.ndarray | None) -> np.ndarray:
    c = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)]) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return lab(np.clip(linear if matrix is None else matrix @ linear, 0, 1))


@pytest.mark.parametrize("vision", [None, PROTANOPIA, DEUTERANOPIA],
                         ids=["typical", "protanopia", "deuteranopia"])
def test_colour_blind_readers_tell_the_highlights_and_the_heat_apart(vision):
    """The step's node (yellow) and its inputs (light blue): far apart under each vision
    (CIELAB ΔE > 40; 2.3 is just noticeable). color_grad's white-to-red: each step darker, so
    it reads as more gradient in grey too."""
    hot, to = seen(palette.HOT_FILL, vision), seen(palette.TARGET_FILL, vision)
    assert np.linalg.norm(hot - to) > 40
    lightness = [seen(labels.heat(f), vision)[0] for f in np.linspace(0, 1, 6)]
    assert all(a - b > 3 for a, b in zip(lightness, lightness[1:]))


def test_the_highlight_is_not_told_by_colour_alone():
    """In a grey print the step's node and its inputs had the same shade (luminance 0.72 and
    0.77) and, on the slides (`save("frames/")`) and the page, the same thin border: only the
    hue told them apart. Now their borders differ in width too, in the slides, the page's CSS
    and its legend."""
    walk = draw_backprop(neuron())
    frame = ET.fromstring(walk.frame_svg(4))                 # step 5: #1 = x1 * w1
    widths = {}
    for group in frame.iter(f"{SVG}g"):
        shape = group.find(f"{SVG}rect")
        if shape is None:
            shape = group.find(f"{SVG}ellipse")
        if shape is not None:
            fill = shape.get("fill")
            widths.setdefault(fill, set()).add(float(shape.get("stroke-width", "1")))
    assert widths[palette.HOT_FILL] == {palette.HOT_WIDTH}
    assert widths[palette.TARGET_FILL] == {palette.TARGET_WIDTH}
    others = set().union(*(w for fill, w in widths.items()
                           if fill not in (palette.HOT_FILL, palette.TARGET_FILL)))
    assert others == {palette.LINE_WIDTH}
    assert palette.HOT_WIDTH - palette.TARGET_WIDTH >= 1.5
    assert palette.TARGET_WIDTH - palette.LINE_WIDTH >= 1
    css = page.STYLE
    for kind, width in (("gg-hot", palette.HOT_WIDTH), ("gg-to", palette.TARGET_WIDTH)):
        assert f"stroke-width: {width}px" in css_rule(css, f"g.{kind} > ellipse")
    legend = re.search(r'<span class="gg-legend">(.*?)</span>\n</div>', walk.html(), re.S).group(1)
    assert re.findall(r"border-width: ([0-9.]+)px", legend) == \
        [f"{palette.HOT_WIDTH:g}", f"{palette.TARGET_WIDTH:g}"]


# -- what a screen reader says ------------------------------------------------------------------

def test_a_drawing_says_what_it_computes():
    """The SVG's <title> was "glassgrad computation graph" for every picture, and it had no
    <desc>: a screen reader said nothing of what the picture shows."""
    o = neuron()
    o.backward()
    root = ET.fromstring(draw_graph(o, engine="builtin").svg())
    assert root.find(f"{SVG}title").text == \
        "computation graph of o = tanh(x1 * w1 + x2 * w2 + b): data 0.7071, grad 1.0000"
    lines = root.find(f"{SVG}desc").text.splitlines()
    assert lines[:3] == ["x1: data 2.0000, grad -1.5000", "w1: data -3.0000, grad 1.0000",
                         "#1 = x1 * w1: data -6.0000, grad 0.5000"]
    assert lines[-1] == "o = tanh(#4): data 0.7071, grad 1.0000"
    assert len(lines) == 10                                   # every value of the graph


def test_a_tensor_graph_and_a_collapsed_one_are_said_too():
    X = Tensor(np.ones((4, 3)))
    W = Tensor(np.full((3, 2), 0.5), requires_grad=True)
    W.label = "W"
    loss = ((X @ W).relu() ** 2).mean()
    loss.label = "loss"
    loss.backward()
    root = ET.fromstring(draw_graph(loss, engine="builtin").svg())
    title = root.find(f"{SVG}title").text
    assert title.startswith("computation graph of loss = mean(ReLU(matmul(#1, W)) ** 2): ") and \
        "grad 1.0000" in title
    desc = root.find(f"{SVG}desc").text
    assert "#1: (4, 3) float64, [1, 1, 1, 1, …], a constant" in desc
    assert "W: (3, 2) float64" in desc and "‖grad‖" in desc
    x = Value(0.5, label="x")
    y = x
    for _ in range(40):
        y = (y * 0.9).tanh()
    collapsed = ET.fromstring(draw_graph(y, engine="builtin", max_nodes=20).svg())
    desc = collapsed.find(f"{SVG}desc").text
    assert desc.splitlines()[0].startswith("Collapsed: 81 nodes")                # the caption first
    assert "made from" in desc


def test_the_steps_page_reads_each_step_out():
    """Nothing on the page was announced: a screen-reader user pressed → and heard nothing."""
    html = draw_backprop(neuron()).html()
    said = re.search(r'<div class="gg-said"([^>]*)>', html).group(1)
    assert 'role="status"' in said and 'aria-live="polite"' in said and \
        'aria-atomic="true"' in said
    assert 'aria-valuetext="step 6 of 6"' in html                # the slider says the step
    assert re.search(r'<div class="glassgrad-backprop"[^>]*role="group"[^>]*'
                     r'aria-label="backpropagation, step by step \(arrow keys', html)
    # the arrows are decoration: the buttons are called "Back" and "Next", not "black
    # left-pointing triangle Back"
    assert '<span aria-hidden="true">◀</span> Back' in html
    assert 'Next <span aria-hidden="true">▶</span>' in html
    # the screen reader's box names (their <title>s) carry no padding
    assert not re.search(r"<title>[^<]*\N{NO-BREAK SPACE}", html)


def test_the_focus_is_visible():
    """The widget's only sign of focus was its 1 px border turning #6a9fd8 (2.8:1 on white)."""
    rule = css_rule(page.STYLE, ".glassgrad-backprop:focus-visible")
    width, colour = re.search(r"outline:\s*([0-9.]+)px solid (#[0-9a-f]{6})", rule).groups()
    assert float(width) >= 2 and contrast(colour, palette.PAPER) >= 3


def test_a_saved_page_has_a_heading_and_a_main_landmark():
    html = page.document("<p>x</p>", "glassgrad: backpropagation, step by step")
    assert re.search(r"<main>\s*<h1[^>]*>glassgrad: backpropagation, step by step</h1>", html)
    assert html.index("<main>") < html.index("<p>x</p>") < html.index("</main>")


# -- paper, offline, any browser ----------------------------------------------------------------

def test_the_page_prints_every_step_and_the_whole_drawing():
    """Printed, the page was the on-screen widget: buttons, a drawing cut at the paper's edge
    (its min-width kept it wider than A4), empty legend swatches (backgrounds are not printed)
    and one step. Now the print has the whole drawing, the swatches, and every step's lines."""
    css = page.STYLE
    printed = css[css.index("@media print"):]
    assert re.search(r"\.gg-buttons[^{]*\{\s*display: none", printed)
    assert "min-width: 0 !important" in css_rule(printed, ".gg-drawing svg")
    assert "overflow: visible" in css_rule(printed, ".gg-drawing")
    assert "display: block" in css_rule(printed, ".gg-all")
    assert "display: none" in css_rule(css, ".glassgrad-backprop .gg-all")   # not on screen
    assert "print-color-adjust: exact" in css_rule(css, ".gg-swatch")
    html = draw_backprop(neuron()).html()
    assert '<ol class="gg-all"></ol>' in html and ".gg-all" in html      # filled by the script


def test_the_page_needs_no_network_and_no_one_browser():
    """Offline from file:// (nothing fetched), and no API only Chromium has."""
    html = page.document(draw_backprop(neuron()).html(), "t")
    assert set(re.findall(r"https?://[^\s\"'<>]+", html)) == {"http://www.w3.org/2000/svg"}
    assert not re.search(r"\b(src|href)\s*=|<link|@import|url\((?!#)", html)
    for chromium_only in ("scrollIntoViewIfNeeded", "webkitRequest", "-webkit-box",
                          "chrome.", "::-webkit"):
        assert chromium_only not in html

"""The HTML around a step-by-step drawing: controls, equations, styles and a little JavaScript.

Everything is inline (no external assets, no network), so one file works offline, in any
browser, in VS Code and in Jupyter. The page is readable without JavaScript: the drawing is
in its final state and the last step's equations are shown; the script only brings the walk
to life (buttons, slider, arrow keys, Home and End).

>>> fragment = widget("w1", "<svg/>", '{"init": {}, "frames": []}', 3, ["a < b"])
>>> "step 3 of 3" in fragment and "a &lt; b" in fragment
True
"""

from __future__ import annotations

import re

from . import palette
from .svg import escape

# The palette's colours go in by name (palette.py: contrast and colour-blindness checked there).
STYLE = """
.glassgrad-backprop { font-family: DejaVu Sans Mono, Menlo, Consolas, monospace;
  font-size: 13px; outline: none; border: 1px solid %(frame)s; border-radius: 4px; padding: 8px;
  background: %(paper)s; color: %(text)s; }
.glassgrad-backprop:focus-within, .glassgrad-backprop:focus { border-color: %(frame_focus)s; }
.glassgrad-backprop:focus-visible { outline: 3px solid %(focus)s; outline-offset: 2px; }
.glassgrad-backprop .gg-head { position: sticky; top: 0; z-index: 1; background: %(paper)s; }
.glassgrad-backprop .gg-bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.glassgrad-backprop .gg-buttons { display: flex; gap: 6px; align-items: center;
  flex: 1 1 240px; max-width: 440px; min-width: 0; }
.glassgrad-backprop .gg-buttons[hidden] { display: none; }
.glassgrad-backprop .gg-buttons button { white-space: nowrap; flex: none; }
.glassgrad-backprop .gg-slider { flex: 1 1 auto; min-width: 60px; width: auto; }
.glassgrad-backprop .gg-counter { font-weight: bold; }
.glassgrad-backprop .gg-note, .glassgrad-backprop .gg-legend { color: %(note)s; }
.glassgrad-backprop .gg-swatch { display: inline-block; width: 1em; height: 0.8em;
  vertical-align: middle; border-style: solid; border-radius: 2px;
  -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.glassgrad-backprop .gg-equation { margin: 8px 0; min-height: 3.6em; white-space: pre-wrap; }
.glassgrad-backprop .gg-drawing { overflow: auto; }
.glassgrad-backprop .gg-drawing svg { display: block; max-width: 100%%; height: auto; }
.glassgrad-backprop g.gg-to > rect, .glassgrad-backprop g.gg-to > ellipse {
  fill: %(to_fill)s; stroke: %(to_ink)s; stroke-width: %(to_width)spx; }
.glassgrad-backprop g.gg-hot > rect, .glassgrad-backprop g.gg-hot > ellipse {
  fill: %(hot_fill)s; stroke: %(hot_ink)s; stroke-width: %(hot_width)spx; }
.glassgrad-backprop .gg-said { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip-path: inset(50%%); white-space: nowrap; }
.glassgrad-backprop .gg-all { display: none; }
@media print {
  .glassgrad-backprop { border: none; padding: 0; outline: none; }
  .glassgrad-backprop .gg-head { position: static; }
  .glassgrad-backprop .gg-buttons, .glassgrad-backprop .gg-note { display: none; }
  .glassgrad-backprop .gg-drawing { overflow: visible; }
  .glassgrad-backprop .gg-drawing svg { min-width: 0 !important; break-inside: avoid; }
  .glassgrad-backprop .gg-all { display: block; white-space: pre-wrap; padding-left: 3em; }
  .glassgrad-backprop .gg-all li { break-inside: avoid; margin-bottom: 4px; }
}
""" % {"frame": palette.FRAME, "frame_focus": palette.FRAME_FOCUS, "paper": palette.PAPER, "text": palette.TEXT, "focus": palette.FOCUS, "note": palette.NOTE,
       "to_fill": palette.TARGET_FILL, "to_ink": palette.TARGET_INK, "to_width": palette.TARGET_WIDTH,
       "hot_fill": palette.HOT_FILL, "hot_ink": palette.HOT_INK, "hot_width": palette.HOT_WIDTH}

# One function per widget, scoped to its own element: several widgets can share a page. Arrow
# keys are handled only while the widget has the focus (Jupyter uses them too), and not when the
# slider has it (the slider moves itself, and says so with an "input" event).
SCRIPT = """
(function () {
  var prefix = "%(prefix)s";
  // The ids come from the drawing's content, so a notebook can hold the same widget twice (one
  // output made before a kernel restart, one after): this one is the first not yet started, and
  // it finds its boxes among its own elements only.
  var root = null, same = document.querySelectorAll('[id="' + prefix + '"]');
  for (var j = 0; j < same.length && !root; j++) {
    if (!same[j].hasAttribute("data-gg-started")) { root = same[j]; }
  }
  root.setAttribute("data-gg-started", "");
  var byId = {};
  Array.prototype.forEach.call(root.querySelectorAll("[id]"), function (e) { byId[e.id] = e; });
  var data = JSON.parse(root.querySelector("script.gg-data").textContent);
  var frames = data.frames, count = frames.length, current = 0, marked = [];
  var slider = root.querySelector(".gg-slider");
  var back = root.querySelector(".gg-back"), next = root.querySelector(".gg-next");
  var shown = {};                       // box -> its text on screen: a step rewrites only the
  function setText(name, text) {        // few that change (thousands of boxes stay fast)
    if (shown[name] === text) { return; }
    var box = byId[prefix + "-" + name];
    if (!box) { return; }
    shown[name] = text;
    var texts = box.getElementsByTagName("text");
    texts[texts.length - 1].textContent = text;         // the gradient is the last field
    // the box's tooltip, which a screen reader says for the box, tells this step's too
    var title = box.getElementsByTagName("title")[0];
    if (title) {
      title.textContent = Array.prototype.map.call(texts, function (t) {
        return t.textContent.replace(/\\u00a0/g, " ").trim(); }).join(" | ");
    }
  }
  function mark(names, cls) {
    names.forEach(function (name) {
      var box = byId[prefix + "-" + name];
      if (box) { box.classList.add(cls); marked.push([box, cls]); }
    });
  }
  // Scroll the least that brings the boxes into view: in the drawing's own box, then in every box
  // around it up to the page (a notebook scrolls in a panel, not the window). Done by hand:
  // Chromium's scrollIntoView misplaces an SVG element of a drawing that CSS has scaled. Outside
  // the drawing's box, the controls and the equations stay at the top of the view (sticky):
  // the boxes go below them, where they can be seen with the step's equations.
  var head = root.querySelector(".gg-head"), drawingBox = root.querySelector(".gg-drawing");
  function reveal(hot, targets) {            // the node and its op; its inputs if they fit
    function find(names) {
      return names.map(function (name) { return byId[prefix + "-" + name]; }).filter(Boolean);
    }
    var boxes = find(hot);
    // the most that fits, in this order: the node, its op and its inputs; the node and its op
    // (a folded drawing can put the op at the end of one row, the node at the start of the
    // next); the node
    var choices = [boxes.concat(find(targets)), boxes, boxes.slice(0, 1)];
    for (var outer = drawingBox; outer && boxes.length; outer = outer.parentElement) {
      var page = outer === document.documentElement;
      var view = page ? {left: 0, top: 0, right: window.innerWidth,
        bottom: window.innerHeight} : outer.getBoundingClientRect();
      var inside = {left: view.left, right: view.right, bottom: view.bottom, top: outer ===
        drawingBox ? view.top : Math.max(view.top, head.getBoundingClientRect().bottom)};
      var to = null;
      for (var c = 0; c < choices.length && !to; c++) {
        to = around(choices[c]);
        if (c < choices.length - 1 && (to.right - to.left > inside.right - inside.left ||
                                       to.bottom - to.top > inside.bottom - inside.top)) {
          to = null;
        }
      }
      outer.scrollLeft += nearest(to.left, to.right, inside.left, inside.right);
      outer.scrollTop += nearest(to.top, to.bottom, inside.top, inside.bottom);
    }
  }
  function around(boxes) {                   // the rectangle around them, on the screen
    var rects = boxes.map(function (box) { return box.getBoundingClientRect(); });
    return {left: Math.min.apply(null, rects.map(function (r) { return r.left; })),
            right: Math.max.apply(null, rects.map(function (r) { return r.right; })),
            top: Math.min.apply(null, rects.map(function (r) { return r.top; })),
            bottom: Math.max.apply(null, rects.map(function (r) { return r.bottom; }))};
  }
  function nearest(low, high, from, to) {     // how far to scroll so [low, high] is in view
    if (low < from || high - low > to - from) { return low - from - 8; }
    return high > to ? high - to + 8 : 0;
  }
  function said(k) {                         // a step in words: what the page shows
    return "step " + (k + 1) + " of " + count + ": " + frames[k].lines.join("; ");
  }
  function show(k, scroll) {
    current = Math.max(0, Math.min(count - 1, k));
    var texts = Object.assign({}, data.init);        // replay the changes up to step k
    for (var i = 0; i <= current; i++) { Object.assign(texts, frames[i].set); }
    Object.keys(texts).forEach(function (name) { setText(name, texts[name]); });
    marked.forEach(function (m) { m[0].classList.remove(m[1]); });
    marked = [];
    mark(frames[current].to, "gg-to");
    mark(frames[current].hot, "gg-hot");
    root.querySelector(".gg-counter").textContent = "step " + (current + 1) + " of " + count;
    var equation = root.querySelector(".gg-equation");
    equation.textContent = frames[current].lines.join("\\n");
    // the step's node, where the reader looks: below the equations, now of this step's height
    if (scroll) { reveal(frames[current].hot, frames[current].to); }
    slider.value = String(current + 1);
    slider.setAttribute("aria-valuetext", "step " + (current + 1) + " of " + count);
    back.disabled = current === 0;
    next.disabled = current === count - 1;
  }
  function step(k) {
    show(k, true);
    root.querySelector(".gg-said").textContent = said(current);   // read out (aria-live)
    // a button that has just been disabled (the first or last step) drops the focus to the
    // page, where the arrow keys no longer reach this widget: the widget takes it back
    if (document.activeElement === document.body || (back.disabled && document.activeElement
        === back) || (next.disabled && document.activeElement === next)) {
      root.focus({preventScroll: true});
    }
  }
  back.addEventListener("click", function () { step(current - 1); });
  next.addEventListener("click", function () { step(current + 1); });
  slider.addEventListener("input", function () { step(Number(slider.value) - 1); });
  var keys = {ArrowLeft: -1, ArrowRight: 1, Home: -count, End: count};    // steps to move
  root.addEventListener("keydown", function (event) {
    if (!keys.hasOwnProperty(event.key)) { return; }
    event.stopPropagation();                            // not Jupyter's: the widget has focus
    if (event.target === slider) { return; }
    event.preventDefault();
    step(current + keys[event.key]);                    // (show() keeps it in 0 .. count - 1)
  });
  root.querySelector(".gg-buttons").hidden = false;
  root.querySelector(".gg-note").hidden = true;
  var all = root.querySelector(".gg-all");    // printed: every step, not only the one shown
  frames.forEach(function (frame, k) {
    var item = document.createElement("li");
    item.textContent = frame.lines.join("\\n");
    all.appendChild(item);
  });
  show(0, false);                       // not scrolled to: the page opens where it is
})();
"""


def widget(prefix: str, drawing: str, data_json: str, count: int, last_lines: list[str]) -> str:
    """The widget's HTML: its element has id `prefix`; the ids in `drawing` must already start
    with `prefix-` (the script finds the boxes by them; `BackpropDrawing` renames them).

    Without JavaScript it shows the last step (`count` of `count`, with `last_lines`).
    """
    drawing = _fitted(drawing)
    data = (data_json.replace("&", "\\u0026").replace("<", "\\u003c")   # stays inside <script>
            .replace(">", "\\u003e"))
    equation = escape("\n".join(last_lines))
    hot = _swatch(palette.HOT_FILL, palette.HOT_INK, palette.HOT_WIDTH)
    to = _swatch(palette.TARGET_FILL, palette.TARGET_INK, palette.TARGET_WIDTH)
    # role="group" and its label: what a screen reader says when the widget takes the focus;
    # data-lm-/data-p-suppress-shortcuts: JupyterLab (Lumino, Phosphor) leaves our keys alone
    return f"""<div class="glassgrad-backprop" id="{prefix}" tabindex="0" role="group"
 aria-label="backpropagation, step by step (arrow keys: the step before or after; Home, End: the first or last)"
 aria-keyshortcuts="ArrowLeft ArrowRight Home End"
 data-lm-suppress-shortcuts="true" data-p-suppress-shortcuts="true">
<style>{STYLE}</style>
<div class="gg-head">
<div class="gg-bar">
<span class="gg-buttons" hidden><button type="button" class="gg-back">\
<span aria-hidden="true">◀</span> Back</button>
<input type="range" class="gg-slider" min="1" max="{count}" value="{count}" aria-label="step"
 aria-valuetext="step {count} of {count}">
<button type="button" class="gg-next">Next <span aria-hidden="true">▶</span></button></span>
<span class="gg-counter">step {count} of {count}</span>
<span class="gg-note">(the final state; stepping through needs JavaScript)</span>
</div>
<div class="gg-equation">{equation}</div>
</div>
<div class="gg-key"><span class="gg-legend">{hot} the node whose rule runs {to} its inputs, \
which receive a gradient</span>
</div>
<div class="gg-said" role="status" aria-live="polite" aria-atomic="true"></div>
<div class="gg-drawing">
{drawing}</div>
<ol class="gg-all"></ol>
<script type="application/json" class="gg-data">{data}</script>
<script>{SCRIPT % {"prefix": prefix}}</script>
</div>
"""


def _swatch(fill: str, ink: str, width: float) -> str:
    """A legend's sample of a highlighted box: its fill and its border, width included."""
    return (f'<span class="gg-swatch" style="background: {fill}; border-color: {ink}; '
            f'border-width: {width:g}px"></span>')


#: a drawing wider than its box is scaled down to fit, to no less than this share of its size
#: (below that the boxes' texts would be too small to read: the box scrolls instead)
MIN_SCALE = 0.6


def _fitted(drawing: str) -> str:
    """The drawing's <svg> with a minimum width: CSS scales it down to its box (a folded chain
    a little wider than the page keeps every row's last box in view), but on a phone no further
    than MIN_SCALE; then the box scrolls, and each step scrolls its node into view."""
    match = re.search(r'<svg [^>]*?width="([0-9.]+)"', drawing)
    if match is None:
        return drawing
    least = float(match.group(1)) * MIN_SCALE
    return drawing.replace("<svg ", f'<svg style="min-width: {least:.0f}px" ', 1)


def document(body: str, title: str) -> str:
    """A complete HTML page around `body`."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
</head>
<body>
<main>
<h1 style="font: bold 1.1em sans-serif">{escape(title)}</h1>
{body}</main>
</body>
</html>
"""

"""The HTML around a step-by-step drawing: controls, equations, styles and a little JavaScript.

Everything is inline (no external assets, no network), so one file works offline, in any
browser, in VS Code and in Jupyter. The page is readable without JavaScript: the drawing is
in its final state and the last step's equations are shown; the script only brings the walk
to life (buttons, slider, arrow keys).

>>> fragment = widget("w1", "<svg/>", '{"init": {}, "frames": []}', 3, ["a < b"])
>>> "step 3 of 3" in fragment and "a &lt; b" in fragment
True
"""

from __future__ import annotations

from .svg import escape

STYLE = """
.glassgrad-backprop { font-family: DejaVu Sans Mono, Menlo, Consolas, monospace;
  font-size: 13px; outline: none; border: 1px solid #ddd; border-radius: 4px; padding: 8px; }
.glassgrad-backprop:focus-within, .glassgrad-backprop:focus { border-color: #6a9fd8; }
.glassgrad-backprop .gg-bar { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
.glassgrad-backprop .gg-slider { width: 260px; }
.glassgrad-backprop .gg-counter { font-weight: bold; }
.glassgrad-backprop .gg-note, .glassgrad-backprop .gg-legend { color: #777; }
.glassgrad-backprop .gg-swatch { display: inline-block; width: 1em; height: 0.8em;
  vertical-align: middle; border: 1.5px solid; border-radius: 2px; }
.glassgrad-backprop .gg-equation { margin: 8px 0; min-height: 3.6em; white-space: pre-wrap; }
.glassgrad-backprop .gg-drawing { overflow: auto; }
.glassgrad-backprop g.gg-to > rect, .glassgrad-backprop g.gg-to > ellipse {
  fill: #cfe5ff; stroke: #2f6eb5; stroke-width: 2px; }
.glassgrad-backprop g.gg-hot > rect, .glassgrad-backprop g.gg-hot > ellipse {
  fill: #ffd966; stroke: #c0392b; stroke-width: 2.5px; }
"""

# One function per widget, scoped to its own element: several widgets can share a page. Arrow
# keys are handled only while the widget has the focus (Jupyter uses them too), and not when the
# slider has it (the slider moves itself, and says so with an "input" event).
SCRIPT = """
(function () {
  var prefix = "%(prefix)s";
  var root = document.getElementById(prefix);
  var data = JSON.parse(root.querySelector("script.gg-data").textContent);
  var frames = data.frames, count = frames.length, current = 0, marked = [];
  var slider = root.querySelector(".gg-slider");
  var back = root.querySelector(".gg-back"), next = root.querySelector(".gg-next");
  var shown = {};                       // box -> its text on screen: a step rewrites only the
  function setText(name, text) {        // few that change (thousands of boxes stay fast)
    if (shown[name] === text) { return; }
    var box = document.getElementById(prefix + "-" + name);
    if (!box) { return; }
    shown[name] = text;
    var texts = box.getElementsByTagName("text");
    texts[texts.length - 1].textContent = text;         // the gradient is the last field
  }
  function mark(names, cls) {
    names.forEach(function (name) {
      var box = document.getElementById(prefix + "-" + name);
      if (box) { box.classList.add(cls); marked.push([box, cls]); }
    });
  }
  function show(k) {
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
    slider.value = String(current + 1);
    back.disabled = current === 0;
    next.disabled = current === count - 1;
  }
  back.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value) - 1); });
  root.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") { return; }
    event.stopPropagation();                            // not Jupyter's: the widget has focus
    if (event.target === slider) { return; }
    event.preventDefault();
    show(current + (event.key === "ArrowRight" ? 1 : -1));
  });
  root.querySelector(".gg-buttons").hidden = false;
  root.querySelector(".gg-note").hidden = true;
  show(0);
})();
"""


def widget(prefix: str, drawing: str, data_json: str, count: int, last_lines: list[str]) -> str:
    """The widget's HTML: its element has id `prefix`; the ids in `drawing` must already start
    with `prefix-` (the script finds the boxes by them; `BackpropDrawing` renames them).

    Without JavaScript it shows the last step (`count` of `count`, with `last_lines`).
    """
    data = (data_json.replace("&", "\\u0026").replace("<", "\\u003c")   # stays inside <script>
            .replace(">", "\\u003e"))
    equation = escape("\n".join(last_lines))
    # data-lm-/data-p-suppress-shortcuts: JupyterLab (Lumino, Phosphor) leaves our keys alone
    return f"""<div class="glassgrad-backprop" id="{prefix}" tabindex="0"
 data-lm-suppress-shortcuts="true" data-p-suppress-shortcuts="true">
<style>{STYLE}</style>
<div class="gg-bar">
<span class="gg-buttons" hidden><button type="button" class="gg-back">◀ Back</button>
<input type="range" class="gg-slider" min="1" max="{count}" value="{count}" aria-label="step">
<button type="button" class="gg-next">Next ▶</button></span>
<span class="gg-counter">step {count} of {count}</span>
<span class="gg-note">(the final state; stepping through needs JavaScript)</span>
<span class="gg-legend"><span class="gg-swatch" style="background: #ffd966; border-color: #c0392b">\
</span> the node whose rule runs <span class="gg-swatch" style="background: #cfe5ff; \
border-color: #2f6eb5"></span> its inputs, which receive a gradient</span>
</div>
<div class="gg-equation">{equation}</div>
<div class="gg-drawing">
{drawing}</div>
<script type="application/json" class="gg-data">{data}</script>
<script>{SCRIPT % {"prefix": prefix}}</script>
</div>
"""


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
{body}</body>
</html>
"""

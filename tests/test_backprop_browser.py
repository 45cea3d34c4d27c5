"""The step-by-step page in a real browser: headless Chromium driven by selenium.

Walks micrograd's neuron with the arrow keys and the buttons and checks what a learner sees:
the counter advances one by one, the drawing changes at every step, Back returns to the same
picture, the last step shows the leaves' gradients (x1 −1.5, w1 1.0, b 0.5), the browser logs
no JavaScript error; two widgets on one page do not disturb each other; with JavaScript off the
page shows the final state.

Needs Debian's `chromium` and `chromium-driver` and `pip install selenium`. Where they are
missing these tests are skipped, saying so; with GLASSGRAD_REQUIRE_BROWSER=1 (set by .ci/run)
that is a failure instead. With GLASSGRAD_WRITE_SCREENSHOTS=1 the README's screenshot is
written to docs/backprop_steps.png (otherwise to a temporary folder).
"""

from __future__ import annotations

import math
import os
import pathlib
import shutil

import pytest

from autograd import Value, draw_backprop
from autograd.viz import page
from neuron_helpers import neuron

REQUIRE_BROWSER_VAR = "GLASSGRAD_REQUIRE_BROWSER"
SCREENSHOTS_VAR = "GLASSGRAD_WRITE_SCREENSHOTS"
DOCS = pathlib.Path(__file__).resolve().parents[1] / "docs"


def _browser_unavailable() -> str | None:
    """Why the browser tests cannot run here (with how to fix it), or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium: pip install selenium (or pip install -e '.[dev]')"
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser")):
        return "needs Chromium: apt-get install chromium chromium-driver"
    if not shutil.which("chromedriver"):
        return "needs chromedriver: apt-get install chromium-driver"
    return None


def _driver(javascript: bool = True):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1300,420"):
        options.add_argument(argument)
    if not javascript:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))


@pytest.fixture(scope="module")
def browser_ready():
    reason = _browser_unavailable()
    if reason is not None:
        if os.environ.get(REQUIRE_BROWSER_VAR) == "1":
            pytest.fail(f"{REQUIRE_BROWSER_VAR}=1 but the browser test {reason}", pytrace=False)
        pytest.skip(f"browser test skipped: {reason}")


@pytest.fixture
def browser(browser_ready):
    driver = _driver()
    try:
        yield driver
    finally:
        driver.quit()


def neuron_page(folder: pathlib.Path) -> pathlib.Path:
    return draw_backprop(neuron()).save(folder / "backprop.html")


# -- what the page shows, read from the browser -----------------------------------------------

def counter(driver, widget=0) -> str:
    return driver.find_elements("css selector", ".gg-counter")[widget].text


def drawing(driver, widget=0) -> str:
    return driver.find_elements("css selector", ".gg-drawing")[widget].get_attribute("innerHTML")


def grad_text(driver, node: str, widget=0) -> str:
    """The gradient field (last text) of box `node` ("n0") in the widget's drawing."""
    root = driver.find_elements("css selector", ".glassgrad-backprop")[widget]
    box = root.find_element("css selector", f"g[id$='-{node}']")
    texts = box.find_elements("css selector", "text")
    return texts[-1].get_attribute("textContent").replace("\xa0", "").strip()


def press(driver, key: str, widget=0) -> None:
    from selenium.webdriver.common.keys import Keys

    root = driver.find_elements("css selector", ".glassgrad-backprop")[widget]
    root.send_keys({"right": Keys.ARROW_RIGHT, "left": Keys.ARROW_LEFT, "home": Keys.HOME,
                    "end": Keys.END}[key])


def click(driver, name: str, widget=0) -> None:
    root = driver.find_elements("css selector", ".glassgrad-backprop")[widget]
    root.find_element("css selector", f".gg-{name}").click()


def js_errors(driver) -> list:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


# -- the tests ---------------------------------------------------------------------------------

def test_walk_the_neuron_with_keys_and_buttons(browser, tmp_path):
    path = neuron_page(tmp_path)
    browser.get(path.as_uri())
    assert counter(browser) == "step 1 of 6"
    assert grad_text(browser, "n9") == "grad 1.0000"        # the output starts with 1
    assert grad_text(browser, "n0") == "grad not yet"       # x1: nothing yet
    seen = [drawing(browser)]
    for k in range(2, 7):                                    # the arrow key, one step at a time
        press(browser, "right")
        assert counter(browser) == f"step {k} of 6"
        seen.append(drawing(browser))
        assert seen[-1] != seen[-2], f"the drawing did not change at step {k}"
    assert (grad_text(browser, "n0"), grad_text(browser, "n1"), grad_text(browser, "n7")) == \
        ("grad -1.5000", "grad 1.0000", "grad 0.5000")      # x1, w1, b: micrograd's numbers
    press(browser, "right")                                  # past the end: stays
    assert counter(browser) == "step 6 of 6"
    _screenshot(browser, tmp_path, at_step=5)                # x1 and w1 get theirs

    click(browser, "back")                                   # Back returns to the same picture
    assert counter(browser) == "step 5 of 6" and drawing(browser) == seen[4]
    for k in range(4, 0, -1):
        press(browser, "left")
        assert counter(browser) == f"step {k} of 6" and drawing(browser) == seen[k - 1]
    assert grad_text(browser, "n0") == "grad not yet"
    for k in range(2, 7):                                    # the Next button
        click(browser, "next")
        assert counter(browser) == f"step {k} of 6" and drawing(browser) == seen[k - 1]
    browser.execute_script(                                  # the slider, as a drag ends
        "var s = document.querySelector('.gg-slider'); s.value = '3';"
        "s.dispatchEvent(new Event('input'));")
    assert counter(browser) == "step 3 of 6" and drawing(browser) == seen[2]
    assert "d#4/d#3 = 1  →  #3 gets 0.5000 × 1.0000" in browser.find_element(
        "css selector", ".gg-equation").text
    press(browser, "end")                                    # End: the last step, Home: the first
    assert counter(browser) == "step 6 of 6" and drawing(browser) == seen[5]
    press(browser, "home")
    assert counter(browser) == "step 1 of 6" and drawing(browser) == seen[0]
    assert js_errors(browser) == []


def _screenshot(driver, tmp_path: pathlib.Path, at_step: int) -> None:
    """The README's picture: written to docs/ only when asked (GLASSGRAD_WRITE_SCREENSHOTS=1)."""
    for _ in range(6 - at_step):
        press(driver, "left")
    width = driver.execute_script(                           # the whole drawing, no scrolling
        "return document.querySelector('.gg-drawing svg').getBoundingClientRect().width;")
    driver.set_window_size(int(width) + 80, 420)
    target = DOCS if os.environ.get(SCREENSHOTS_VAR) == "1" else tmp_path
    path = target / "backprop_steps.png"
    assert driver.find_element("css selector", ".glassgrad-backprop").screenshot(str(path))
    assert path.read_bytes().startswith(b"\x89PNG")
    for _ in range(6 - at_step):
        press(driver, "right")


def test_two_widgets_on_one_page_step_on_their_own(browser, tmp_path):
    x = Value(3.0, label="x")
    first = draw_backprop(x * x + x).html()
    a = Value(2.0, label="a")
    second = draw_backprop((a + a).tanh() * 2).html()
    expected = f"grad {4 * (1 - math.tanh(4.0) ** 2):.4f}"   # d/da 2 tanh(2a)
    path = tmp_path / "two.html"
    path.write_text(page.document(first + second, "two widgets"), encoding="utf-8")
    browser.get(path.as_uri())
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 1 of 4")
    for _ in range(3):
        press(browser, "right", widget=1)
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 4 of 4")
    assert grad_text(browser, "n0", widget=1) == expected
    assert grad_text(browser, "n0", widget=0) == "grad not yet"
    body = browser.find_element("css selector", "body")
    from selenium.webdriver.common.keys import Keys
    browser.execute_script("document.activeElement.blur();")
    body.send_keys(Keys.ARROW_RIGHT)                         # no widget has the focus: no step
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 4 of 4")
    assert js_errors(browser) == []


def test_without_javascript_the_page_shows_the_final_state(browser_ready, tmp_path):
    path = neuron_page(tmp_path)
    driver = _driver(javascript=False)
    try:
        driver.get(path.as_uri())
        assert counter(driver) == "step 6 of 6"
        assert (grad_text(driver, "n0"), grad_text(driver, "n1"), grad_text(driver, "n7")) == \
            ("grad -1.5000", "grad 1.0000", "grad 0.5000")
        assert not driver.find_element("css selector", ".gg-buttons").is_displayed()
        assert "needs JavaScript" in driver.find_element("css selector", ".gg-note").text
    finally:
        driver.quit()


def test_a_step_rewrites_only_the_texts_that_change(browser, tmp_path):
    x = Value(0.5, label="x")
    y = x
    for _ in range(30):                                      # 61 nodes; one new gradient a step
        y = (y * 0.9).tanh()
    path = draw_backprop(y).save(tmp_path / "chain.html")
    browser.get(path.as_uri())
    browser.execute_script("""
      window.rewritten = new Set();
      new MutationObserver(function (changes) {
        changes.forEach(function (c) { window.rewritten.add(c.target.parentNode.id); });
      }).observe(document.querySelector('.gg-drawing'), {childList: true, subtree: true});""")
    press(browser, "right")
    assert counter(browser) == "step 2 of 61"
    rewritten = browser.execute_script("return Array.from(window.rewritten);")
    assert [name.rsplit("-", 1)[1] for name in rewritten] == ["n59"]   # the one new gradient
    assert js_errors(browser) == []


# -- scrolling, the keyboard at the ends, a phone ----------------------------------------------

def _chain_page(folder: pathlib.Path) -> pathlib.Path:
    """50 steps of y = y * 1.01 + 0.01: the drawing folds into 26 rows, taller than a window."""
    y = Value(1.0, label="x")
    for _ in range(50):
        y = y * 1.01 + 0.01
    return draw_backprop(y).save(folder / "chain.html")


def _hot_in_view(driver) -> bool:
    """Whether the highlighted boxes (the node and its op) are inside the window and inside
    the drawing's box (which may scroll)."""
    return driver.execute_script("""
      var rects = Array.from(document.querySelectorAll('.gg-hot')).map(function (e) {
        return e.getBoundingClientRect(); });
      var box = document.querySelector('.gg-drawing').getBoundingClientRect();
      return rects.length > 0 && rects.every(function (r) {
        return r.left >= Math.max(0, box.left) && r.right <= Math.min(innerWidth, box.right)
            && r.top >= Math.max(0, box.top) && r.bottom <= Math.min(innerHeight, box.bottom);
      });""")


def test_every_step_scrolls_its_node_into_view(browser, tmp_path):
    """The highlighted node sat below the window (a folded chain), past the drawing's right
    edge (the neuron at 1400 px) or off a phone's screen, for most steps."""
    browser.get(_chain_page(tmp_path).as_uri())
    assert browser.execute_script("return document.documentElement.scrollTop") == 0  # opened
    for k in range(2, 102):                                  # where it is, then step by step
        click(browser, "next")
        assert counter(browser) == f"step {k} of 101" and _hot_in_view(browser), k
    for k in range(100, 1, -7):                              # the slider jumps back
        browser.execute_script(
            f"var s = document.querySelector('.gg-slider'); s.value = '{k}';"
            "s.dispatchEvent(new Event('input'));")
        assert counter(browser) == f"step {k} of 101" and _hot_in_view(browser), k
    for width in (1400, 375):
        browser.set_window_size(width, 700)
        browser.get(neuron_page(tmp_path).as_uri())
        for k in range(2, 7):
            press(browser, "right")
            assert counter(browser) == f"step {k} of 6" and _hot_in_view(browser), (width, k)
    assert js_errors(browser) == []


def test_a_folded_drawing_fits_its_box(browser, tmp_path):
    """The folded chain was ~15 px wider than its box: every row's last box was cut off."""
    browser.set_window_size(1400, 700)
    browser.get(_chain_page(tmp_path).as_uri())
    box, drawing = browser.execute_script("""
      var box = document.querySelector('.gg-drawing');
      return [box.clientWidth, box.querySelector('svg').getBoundingClientRect().width];""")
    assert drawing <= box


def test_the_same_widget_twice_on_a_page_steps_on_its_own(browser, tmp_path):
    """A notebook can show one widget twice with the same ids (its ids come from its content:
    one output from before a kernel restart, one after): each steps its own drawing."""
    x = Value(3.0, label="x")
    html = draw_backprop(x * x + x).html()
    path = tmp_path / "same.html"
    path.write_text(page.document(html + html, "the same widget twice"), encoding="utf-8")
    browser.get(path.as_uri())
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 1 of 3")
    for _ in range(2):
        press(browser, "right", widget=1)
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 3 of 3")
    assert (grad_text(browser, "n0", widget=0), grad_text(browser, "n0", widget=1)) == \
        ("grad not yet", "grad 7.0000")                        # d/dx (x² + x) at 3
    press(browser, "right", widget=0)
    assert (counter(browser, 0), counter(browser, 1)) == ("step 2 of 3", "step 3 of 3")
    assert js_errors(browser) == []


def test_the_arrow_keys_work_after_next_or_back_is_disabled(browser, tmp_path):
    """Clicking Next onto the last step disabled it, and the focus fell to the page: the
    arrow keys did nothing any more."""
    x = Value(3.0, label="x")
    other = draw_backprop(x * x + x).html()
    path = tmp_path / "two.html"
    path.write_text(page.document(other + draw_backprop(neuron()).html(), "two"),
                    encoding="utf-8")
    browser.get(path.as_uri())
    for _ in range(5):
        click(browser, "next", widget=1)
    assert counter(browser, 1) == "step 6 of 6"
    assert not browser.execute_script("return document.activeElement === document.body")
    _key_to_focus(browser, "left")
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 5 of 6")
    for _ in range(4):
        click(browser, "back", widget=1)
    assert counter(browser, 1) == "step 1 of 6"
    _key_to_focus(browser, "right")
    assert (counter(browser, 0), counter(browser, 1)) == ("step 1 of 3", "step 2 of 6")
    click(browser, "next", widget=0)                         # the other widget, on its own
    click(browser, "next", widget=0)
    _key_to_focus(browser, "left")
    assert (counter(browser, 0), counter(browser, 1)) == ("step 2 of 3", "step 2 of 6")
    assert js_errors(browser) == []


def _key_to_focus(driver, key: str) -> None:
    """An arrow key, sent where the browser's focus is (as a user's key press goes)."""
    from selenium.webdriver.common.keys import Keys

    driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT if key == "right"
                                              else Keys.ARROW_LEFT)


def test_on_a_phone_the_controls_share_one_line(browser, tmp_path):
    """At 375 px the slider's fixed 260 px pushed "Next ▶" onto a line of its own."""
    browser.set_window_size(375, 700)
    browser.get(neuron_page(tmp_path).as_uri())
    tops = browser.execute_script("""
      return ['.gg-back', '.gg-slider', '.gg-next'].map(function (c) {
        var r = document.querySelector(c).getBoundingClientRect(); return [r.top, r.bottom]; });""")
    assert max(top for top, _ in tops) < min(bottom for _, bottom in tops)   # one line
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")  # no sideways page
    root = browser.find_element("css selector", ".glassgrad-backprop")
    path = tmp_path / "phone.png"
    assert root.screenshot(str(path))
    assert js_errors(browser) == []


# -- a screen reader, the keyboard alone, paper ------------------------------------------------

def _title(driver, node: str) -> str:
    """What a screen reader (and the tooltip) says for box `node`: its <title>."""
    box = driver.find_element("css selector", f".glassgrad-backprop g[id$='-{node}']")
    return box.find_element("css selector", "title").get_attribute("textContent")


def test_a_screen_reader_hears_each_step_and_each_boxs_gradient(browser, tmp_path):
    """The page had no live region, so a step was silent; and every box's <title> (its name
    for a screen reader, its tooltip) kept the last step's gradient: at step 2 hovering x1 said
    "grad -1.5000" while the box showed "grad not yet"."""
    walk = draw_backprop(neuron())
    browser.get(walk.save(tmp_path / "backprop.html").as_uri())
    said = browser.find_element("css selector", ".gg-said")
    assert said.get_attribute("aria-live") == "polite"
    assert _title(browser, "n0") == "x1 | data 2.0000 | grad not yet"
    press(browser, "right")
    assert said.get_attribute("textContent") == \
        "step 2 of 6: " + "; ".join(walk.steps[1].lines())
    slider = browser.find_element("css selector", ".gg-slider")
    assert slider.get_attribute("aria-valuetext") == "step 2 of 6"
    press(browser, "end")
    assert said.get_attribute("textContent").startswith("step 6 of 6: at #2 = x2 * w2")
    assert _title(browser, "n0") == "x1 | data 2.0000 | grad -1.5000"
    press(browser, "home")
    assert _title(browser, "n0") == "x1 | data 2.0000 | grad not yet"
    assert js_errors(browser) == []


def test_the_keyboard_alone_reaches_every_control_and_leaves_again(browser, tmp_path):
    """Tab: the widget (with a visible ring, where it had only a faint border), Back, the
    slider, Next, then out of the widget: every control reachable, no trap."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(neuron_page(tmp_path).as_uri())
    browser.execute_script(                                  # step 2 (Back is enabled),
        "var s = document.querySelector('.gg-slider'); s.value = '2';"    # the focus untouched
        "s.dispatchEvent(new Event('input'));")
    def tab(times: int, back: bool = False) -> list:
        seen = []
        for _ in range(times):
            keys = ActionChains(browser)
            (keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT) if back
             else keys.send_keys(Keys.TAB)).perform()
            seen.append(browser.execute_script("""
              var e = document.activeElement, s = getComputedStyle(e);
              return [e.className || e.tagName, s.outlineStyle, parseFloat(s.outlineWidth)];"""))
        return seen

    # the slider's step gave the widget the focus (as a step does when the page has it)
    assert [v[0] for v in tab(4)] == ["gg-back", "gg-slider", "gg-next", "BODY"]  # no trap
    backwards = tab(4, back=True)
    assert [v[0] for v in backwards] == ["gg-next", "gg-slider", "gg-back", "glassgrad-backprop"]
    assert backwards[-1][1] == "solid" and backwards[-1][2] >= 2    # the widget's focus ring
    tab(3)
    ActionChains(browser).send_keys(Keys.SPACE).perform()    # Next, pressed from the keyboard
    assert counter(browser) == "step 3 of 6"
    assert js_errors(browser) == []


def test_the_printed_page_has_the_whole_drawing_and_every_step(browser, tmp_path):
    """Printed (Chromium's print media), the drawing was cut at the paper's edge, the buttons
    were printed, and only the step on screen was there."""
    walk = draw_backprop(neuron())
    browser.get(walk.save(tmp_path / "backprop.html").as_uri())
    click(browser, "next")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    browser.set_window_size(800, 1000)                       # about an A4 page's width
    fits, buttons, steps = browser.execute_script("""
      var box = document.querySelector('.gg-drawing'), svg = box.querySelector('svg');
      return [svg.getBoundingClientRect().width <= box.clientWidth,
              getComputedStyle(document.querySelector('.gg-buttons')).display,
              Array.from(document.querySelectorAll('.gg-all li')).filter(function (li) {
                return li.getBoundingClientRect().height > 0; }).map(function (li) {
                return li.textContent; })];""")
    assert fits and buttons == "none"
    assert steps == ["\n".join(step.lines()) for step in walk.steps]
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert not browser.find_element("css selector", ".gg-all").is_displayed()  # not on screen
    assert js_errors(browser) == []


@pytest.mark.parametrize("zoom", [1, 2])
def test_on_a_projector_and_at_200_percent_the_page_does_not_scroll_sideways(browser, tmp_path,
                                                                            zoom):
    """1024 × 768, at 100 % and 200 % zoom (a 512 px wide page): the equations wrap, the
    controls fit, only the drawing's own box scrolls (to each step's node)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1024 // zoom, "height": 768 // zoom, "deviceScaleFactor": zoom,
        "mobile": False})
    browser.get(neuron_page(tmp_path).as_uri())
    for _ in range(3):
        press(browser, "right")
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    assert _hot_in_view(browser)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

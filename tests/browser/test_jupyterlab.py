"""In a real browser: JupyterLab runs the demo notebook, and the dashboard widget and the pictures show.

Starts JupyterLab from this virtualenv (127.0.0.1, a free port, a token) on a scratch copy of
``data/dashboard_demo.ipynb``, opens it in headless Debian Chromium (driven by ``playwright`` with
``executable_path``), runs every cell but the last, and checks the page itself:

* the dashboard widget is rendered (``.course-dashboard``, one row per service, ``cache`` healthy), and updated
  live from the engine's events: ``web``'s restart count turns to 1 after the crash, with no cell re-reading it;
* no "Error displaying widget" (the widget manager found the model) and no error output in any cell;
* the timeline and the graph are PNG images the browser decoded (``naturalWidth >= 600``);

then saves screenshots (printed paths, default ``/tmp/compose-course-browser/``), clicks the dashboard's ``stop``
button for ``cache`` and waits for its row to say ``exited`` (the whole round trip through kernel, engine and event
stream), runs the last cell (which closes the dashboard and removes the project) and checks the project is gone.
Skips without Chromium, playwright or engine.
"""
from __future__ import annotations

import time

import pytest

import helpers
from helpers import naming

pytestmark = [pytest.mark.engine, pytest.mark.browser]

NOTEBOOK = "dashboard_demo.ipynb"
NB = "window.jupyterapp.shell.currentWidget"

KERNEL_IDLE = f"""() => {{
    const panel = window.jupyterapp && {NB};
    const kernel = panel && panel.sessionContext && panel.sessionContext.session
        && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle' && panel.content.widgets.length > 0;
}}"""
RUN_ALL_ABOVE_LAST = f"""() => {{
    const nb = {NB}.content;
    nb.activeCellIndex = nb.widgets.length - 1;
    return window.jupyterapp.commands.execute('notebook:run-all-above');
}}"""
RUN_LAST = f"""() => {{
    const nb = {NB}.content;
    nb.activeCellIndex = nb.widgets.length - 1;
    return window.jupyterapp.commands.execute('notebook:run-cell');
}}"""
EXECUTED = f"""(upto) => {{  // code cells [0, upto) all have an execution count, and the kernel is idle
    const panel = {NB};
    const code = panel.content.widgets.filter(c => c.model.type === 'code');
    const n = upto < 0 ? code.length + upto : upto;
    return panel.sessionContext.session.kernel.status === 'idle'
        && code.slice(0, n).every(c => c.model.executionCount !== null);
}}"""
OUTPUTS = f"""() => {NB}.content.widgets.filter(c => c.model.type === 'code')
    .map(c => c.model.outputs.toJSON())"""


def _text(page, selector: str) -> str:
    return str(page.locator(selector).first.inner_text()).strip()


def test_dashboard_and_timeline_render_in_jupyterlab(jupyter_lab, browser_page, artifacts, capsys):
    page = browser_page
    project = naming.project_name("zz-browser")  # the kernel has the same COURSE_LEARNER as this process
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        page.goto(jupyter_lab.url(NOTEBOOK))
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)
        timings["lab and kernel up"] = time.monotonic() - t0

        page.evaluate(RUN_ALL_ABOVE_LAST)
        page.wait_for_function(EXECUTED, arg=-1, timeout=180_000, polling=250)
        timings["cells run"] = time.monotonic() - t0

        # no error output in any cell
        outputs = page.evaluate(OUTPUTS)
        errors = [o for cell in outputs for o in cell if o.get("output_type") == "error"]
        assert not errors, f"a cell raised: {errors[0].get('ename')}: {errors[0].get('evalue')}"
        printed = "".join(str(o.get("text", "")) for cell in outputs for o in cell)
        assert "'web': ['create', 'start', 'die 137 (restarted)', 'start (restarted)']" in printed

        # the dashboard widget is rendered, one row per service, and follows the engine
        page.wait_for_selector(".course-dashboard", state="visible", timeout=30_000)
        assert "Error displaying widget" not in page.content()
        assert page.locator(".course-dashboard-service").count() == 2
        assert _text(page, ".course-dashboard-row-cache.course-dashboard-service") == "cache"
        assert _text(page, ".course-dashboard-row-cache.course-dashboard-state") == "running"
        assert _text(page, ".course-dashboard-row-cache.course-dashboard-health") == "healthy"
        assert _text(page, ".course-dashboard-row-web.course-dashboard-image").startswith("python:3.13-slim")
        assert "127.0.0.1:" in _text(page, ".course-dashboard-row-web.course-dashboard-ports")
        page.wait_for_function(  # updated by the event thread after the crash; no cell re-read it
            """() => {
                const el = document.querySelector('.course-dashboard-row-web.course-dashboard-restarts');
                return el && el.innerText.trim() === '1';
            }""", timeout=20_000)
        assert _text(page, ".course-dashboard-row-web.course-dashboard-state") == "running"
        assert page.locator(".course-dashboard button").count() == 6
        assert "live" in _text(page, ".course-dashboard .widget-html")

        # the timeline and the graph: PNG images (matplotlib), decoded by the browser; their facts printed beside
        images = page.locator(".jp-RenderedImage img")
        assert images.count() == 2
        for i in range(2):
            img = images.nth(i)
            assert img.evaluate("el => el.complete && el.naturalWidth >= 600"), "the browser could not decode the PNG"
            assert (img.get_attribute("src") or "").startswith("data:image/png")
        assert "137" in page.content()  # tl.actions(): web died with exit code 137 (SIGKILL) before its restart
        assert "Error displaying widget" not in page.content()

        # screenshots: the lab with the live dashboard, and the two pictures
        shots = {
            "dashboard": artifacts / "dashboard.png",
            "dashboard widget": artifacts / "dashboard-widget.png",
            "timeline": artifacts / "timeline.png",
            "graph": artifacts / "graph.png",
        }
        page.locator(".course-dashboard").scroll_into_view_if_needed()
        page.screenshot(path=str(shots["dashboard"]))
        page.locator(".course-dashboard").screenshot(path=str(shots["dashboard widget"]))
        images.nth(1).screenshot(path=str(shots["timeline"]))
        images.nth(0).screenshot(path=str(shots["graph"]))
        timings["checked"] = time.monotonic() - t0

        # a button: browser -> widget comm -> kernel -> engine -> event stream -> widget -> browser
        page.locator(".course-dashboard-row-cache .course-dashboard-stop").click()
        page.wait_for_function(
            """() => {
                const el = document.querySelector('.course-dashboard-row-cache.course-dashboard-state');
                return el && el.innerText.trim() === 'exited';
            }""", timeout=30_000)
        page.wait_for_function(
            "() => document.querySelector('.course-dashboard').innerText.includes('stop cache: done')",
            timeout=10_000)
        assert page.locator(".course-dashboard-row-cache .course-dashboard-start").is_enabled()
        timings["stop button"] = time.monotonic() - t0

        # the last cell closes the dashboard and removes the project
        page.evaluate(RUN_LAST)
        page.wait_for_function(EXECUTED, arg=10_000, timeout=60_000, polling=250)
        outputs = page.evaluate(OUTPUTS)
        assert "removed 2 container(s), 1 network(s), 0 volume(s)" in str(outputs[-1])
        assert "closed" in _text(page, ".course-dashboard .widget-html")
        left = helpers.client().containers.list(all=True, filters={"label": f"{naming.PROJECT_LABEL}={project}"})
        assert left == []
        timings["cleaned up"] = time.monotonic() - t0
        with capsys.disabled():
            print("\nbrowser test screenshots:")
            for what, path in shots.items():
                print(f"  {what:17} {path}")
            print("  timings (s from start): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    finally:
        helpers.down(project, volumes=True)

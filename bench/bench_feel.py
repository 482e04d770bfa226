"""How the trainer feels in a real browser (issue 10): first update after Train, Pause, chart frames.

Each repetition starts a fresh server (``streamlit run app.py`` with its worker pool, as
``bench.bench_hall`` does), opens the Shallow network page in Debian's Chromium at 1280×720
and measures inside the page (``performance.now()``, a MutationObserver and every animation
frame), so that Playwright's own round trips are not counted:

- first update   Train clicked → the epoch readout first shows epoch ≥ 1, and → the loss chart
                 first shows a new figure (a fresh server: its first Train);
- Pause          Pause clicked → the readout says "paused"; the epochs trained after the click
                 (the epoch shown at the click against the one it holds);
- frames         over 4 s of play: frames with a drawn loss chart / all frames, the longest run
                 of frames without one (ms), and the longest gap between two new figures (ms);
- browser busy   over the same 4 s: the share of time the page's main thread spent in long tasks
                 (> 50 ms: mostly chart drawing), and the longest one (the page ignores clicks meanwhile).

    python -m bench.bench_feel                  # 3 repetitions, median and worst printed
    python -m bench.bench_feel --repeats 5 --speed 10 --present
    python -m bench.bench_feel --view Network   # the network drawing open under Look inside while it plays

Absolute times move with the machine's load; run it on a quiet machine and read the medians.
"""

from __future__ import annotations

import argparse
import statistics

from bench.bench_hall import Server
from tools.local import CHROMIUM, CHROMIUM_ARGS

PAGE = "/shallow_network?ds={dataset}&epochs=5000&speed={speed}"

# Installed before Train is clicked: timestamps of every readout change and of every new loss curve drawn.
WATCH_JS = """() => {
  const w = window.__feel = {epochs: [], figures: [], states: [], longtasks: []};
  new PerformanceObserver(l => { for (const e of l.getEntries()) w.longtasks.push([e.startTime, e.duration]); })
    .observe({type: 'longtask'});
  const readout = () => {
    const box = document.querySelector('.st-key-tr_readouts');
    if (!box) return;
    const h3 = [...box.querySelectorAll('h3')].map(e => e.innerText).find(t => /^Epoch \\d+ \\/ \\d+$/.test(t));
    if (h3) {
      const epoch = parseInt(h3.split(' ')[1]);
      if (!w.epochs.length || w.epochs[w.epochs.length - 1][1] !== epoch) w.epochs.push([performance.now(), epoch]);
    }
    const state = (box.innerText.match(/· (ready|training…|paused|finished|diverged)/) || [])[1];
    if (state && (!w.states.length || w.states[w.states.length - 1][1] !== state)) w.states.push([performance.now(), state]);
  };
  // a new figure: the loss curve's path changed (Streamlit may mount a new element or update the old one)
  let lastPath = null;
  const figure = () => {
    const path = document.querySelector('.st-key-tr_chart .mark-line path[aria-label*="series: train loss"]');
    const d = path && path.getAttribute('d');
    if (d && d !== lastPath) { lastPath = d; w.figures.push(performance.now()); }
  };
  new MutationObserver(() => { readout(); figure(); }).observe(document.body,
    {subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['d']});
  readout(); figure();
}"""

CLICK_JS = """(name) => {
  const b = [...document.querySelectorAll('button')].find(b => b.innerText.trim().endsWith(name));
  const t = performance.now(); b.click(); return t;
}"""

FRAMES_JS = """([ms]) => new Promise(resolve => {
  let frames = 0, drawn = 0, blank = 0, longestBlank = 0, blankSince = null;
  const t0 = performance.now();
  const tick = () => {
    const now = performance.now();
    frames += 1;
    const box = document.querySelector('.st-key-tr_chart');
    const ok = box && [...box.querySelectorAll('[data-testid="stVegaLiteChart"]')].some(c =>
      c.getBoundingClientRect().height > 100 && c.querySelector('svg.marks'));
    if (ok) { drawn += 1; if (blankSince !== null) longestBlank = Math.max(longestBlank, now - blankSince); blankSince = null; }
    else if (blankSince === null) blankSince = now;
    if (now - t0 < ms) requestAnimationFrame(tick); else resolve({frames, drawn, longestBlank});
  };
  requestAnimationFrame(tick);
})"""


def one(speed: str, dataset: str = "moons", verbose: bool = False, present: bool = False, view: str = "") -> dict:
    from playwright.sync_api import sync_playwright

    server = Server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server.url + PAGE.format(speed=speed, dataset=dataset) + ("&present=1" if present else ""),
                      timeout=180_000)
            page.locator(".st-key-tr_chart .vega-embed").first.wait_for(timeout=180_000)
            page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            if view:  # open that view under Look inside (beside the chart in presentation mode) before Train
                if present:
                    page.locator(".st-key-tr_beside_view").click()
                    page.get_by_role("option", name=view, exact=True).click()
                else:
                    page.locator(".st-key-tr_view_box").get_by_text(view, exact=True).click()
                page.wait_for_timeout(2000)
                page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')")
            page.evaluate(WATCH_JS)
            t_train = page.evaluate(CLICK_JS, "Train")
            page.wait_for_function("() => window.__feel.epochs.some(e => e[1] >= 1)", timeout=120_000)
            page.wait_for_timeout(1500)
            feel = page.evaluate("() => window.__feel")
            first_epoch = next(t for t, e in feel["epochs"] if e >= 1) - t_train
            new_figures = [t for t in feel["figures"] if t > t_train]
            first_figure = new_figures[0] - t_train if new_figures else float("nan")
            t_frames = page.evaluate("() => performance.now()")
            frames = page.evaluate(FRAMES_JS, [4000])
            feel = page.evaluate("() => window.__feel")
            tasks = [d for t, d in feel["longtasks"] if t_frames <= t < t_frames + 4000]
            during = [t for t in feel["figures"] if t > t_train + first_figure]
            gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
            t_pause = page.evaluate(CLICK_JS, "Pause")
            epoch_at_click = page.evaluate("(t) => window.__feel.epochs.filter(e => e[0] <= t).pop()[1]", t_pause)
            page.wait_for_function("() => window.__feel.states.some(s => s[1] === 'paused')", timeout=60_000)
            page.wait_for_timeout(1000)
            feel = page.evaluate("() => window.__feel")
            paused_at = next(t for t, s in feel["states"] if s == "paused" and t > t_pause) - t_pause
            held = feel["epochs"][-1][1]
            if verbose:
                print("  after Pause:", [(round(t - t_pause), e) for t, e in feel["epochs"] if t > t_pause - 500],
                      [(round(t - t_pause), x) for t, x in feel["states"] if t > t_pause - 500])
            browser.close()
    finally:
        server.close()
    return {"first epoch (s)": first_epoch / 1000, "first figure (s)": first_figure / 1000,
            "pause shown (s)": paused_at / 1000, "epochs after Pause": held - epoch_at_click,
            "drawn frames (%)": 100 * frames["drawn"] / max(frames["frames"], 1),
            "longest blank (ms)": frames["longestBlank"], "longest figure gap (ms)": max(gaps, default=float("nan")),
            "browser busy (%)": 100 * sum(tasks) / 4000, "longest task (ms)": max(tasks, default=0.0)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--speed", default="10", help="the page's speed setting (epochs/s, or 'max')")
    parser.add_argument("--dataset", default="moons", help="e.g. lesson (its live view: the test set in 2-D)")
    parser.add_argument("--verbose", action="store_true", help="print the readout's changes around Pause")
    parser.add_argument("--present", action="store_true", help="presentation mode (the live view beside the chart)")
    parser.add_argument("--view", default="", help="a view to open before Train, e.g. Network or 'Hidden space'")
    args = parser.parse_args()
    rows = []
    for i in range(args.repeats):
        rows.append(one(args.speed, args.dataset, args.verbose, args.present, args.view))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in rows[-1].items()), flush=True)
    print("\nover", len(rows), "fresh servers:", " " * 10, "median     worst")
    for key in rows[0]:
        values = [r[key] for r in rows]
        worst = min(values) if key == "drawn frames (%)" else max(values)
        print(f"  {key:<26} {statistics.median(values):8.2f}  {worst:8.2f}")


if __name__ == "__main__":
    main()

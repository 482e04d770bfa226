"""Every formula fits its column: a formula wider than the space it is given is set smaller, in the browser, until it
fits (never below 60 % of its size) — on a projector, a phone, or in a half-width column — rather than scroll sideways
or run into its neighbour. Server-side, the widest formulas are already set smaller where their width is known
(``nnviz.lesson.equations.fitted_value``); this catches every other one, whatever its page.

A Streamlit custom component (v2, no iframe) mounted once per page run: its script watches the page for formulas
KaTeX has set (and for the window's width), and only re-measures those that changed.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function() {
  if (window.__nnvizFormulaFit) return;
  window.__nnvizFormulaFit = true;
  const MIN = 0.6;
  const fit = (display) => {
    const katex = display.querySelector(':scope > .katex');
    const box = display.closest('[data-testid="stElementContainer"]');
    if (!katex || !box || box.clientWidth === 0) return;
    katex.style.fontSize = '';
    const width = katex.scrollWidth, room = box.clientWidth - 2;
    if (width > room) {
      const size = parseFloat(getComputedStyle(katex).fontSize);
      katex.style.fontSize = (size * Math.max(MIN, room / width)).toFixed(2) + 'px';
    }
  };
  const all = () => document.querySelectorAll('[data-testid="stMain"] .katex-display').forEach(fit);
  new MutationObserver((changes) => {
    const touched = new Set();
    for (const change of changes) {
      const at = change.target.nodeType === 1 ? change.target : change.target.parentElement;
      const inside = at && at.closest && at.closest('.katex-display');
      if (inside) touched.add(inside);
      for (const node of change.addedNodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches('.katex-display')) touched.add(node);
        node.querySelectorAll && node.querySelectorAll('.katex-display').forEach((d) => touched.add(d));
      }
    }
    if (touched.size) requestAnimationFrame(() => touched.forEach(fit));
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
  window.addEventListener('resize', () => requestAnimationFrame(all));
  all();
}
"""

_formula_fit = st.components.v2.component("nnviz_formula_fit", js=_JS, isolate_styles=False)


def fit_formulas():
    """Mount the fitter (once per page run; its script attaches once per browser tab)."""
    with st.container(key="formula_fit"):  # hidden by the app's style: it draws nothing, and takes no room
        _formula_fit(key="formula_fit_script")

"""Shallow network (lesson 1.3.1–1.3.9): pick hidden units, learning rate and batch size — and watch it learn.

The page lays out the trainer (``ui.trainer``): its widgets become a ``TrainerSettings`` (the URL's schema, in
``nnviz.core.settings``), the settings build the run, the run carries them (so an export or a link always describes the
run on screen), and a fragment pulls the run's progress from the training workers while it plays. A setting that
changes the run (not the speed or the log scale) starts a fresh run at once, as TensorFlow Playground does; the
run before stays on the chart, faded, for comparison.
"""

import streamlit as st

from nnviz.core.drawn_data import DRAWN
from nnviz.serving.runner import get_executor, redraw_interval
from ui.common import header, presentation_mode
from ui.share import share_panel
from ui.trainer import controls, session, views
from ui.trainer.draw import draw_panel
from ui.trainer.panel import trainer_panel


def main():
    present = presentation_mode()
    header("shallow_network", "choose hidden units, learning rate and batch size, press Train, and watch the network learn.")
    get_executor()  # the first visit starts the training workers, before anyone presses Train
    session.restart_notice()
    session.load_settings()
    session.link_problems()

    with st.container(key=session.widget("layout")):
        if present:
            left, mid, right = st.columns([0.9, 2.25, 1.35], gap="small")
        else:
            left, mid = st.columns([1, 2.6], gap="medium")
            right = None
    pending = controls.data_for(session.current_settings())  # None for a CSV not uploaded yet
    with left:
        controls.lesson_controls()
        controls.main_controls(pending[0].n_train if pending else None, present)
        dataset = st.session_state[session.widget("dataset")]
        if dataset == "csv":
            controls.upload_control()
        with st.expander("More settings", expanded=not present, icon=":material/tune:"):
            controls.more_controls(dataset)

    settings = session.current_settings()
    resolved = controls.data_for(settings)
    with mid:
        if settings.dataset == DRAWN:
            draw_panel(session.state().draw_problem if resolved is None else None)
        if resolved is None:
            session.sync_url(settings, None)
            if settings.dataset != DRAWN:
                st.info("Upload a CSV file to train on it (left), or pick another dataset.",
                        icon=":material/upload_file:")
            return
        ds, ref = resolved
        run = session.current_run(settings, ds, ref)
        session.sync_url(settings, run)
        if run is None:
            return
        run.epochs_per_s = settings.epochs_per_s
        state = session.state()
        state.drawn = drawn = session.page_view(run)
        interval = redraw_interval() if drawn.live else None
        trainer_panel(run, settings, ds, interval)
        if not present:
            views.lesson_note(settings)

    shown = views.views_for(ds, settings)
    if present:  # a live view of the teacher's choice sits beside the chart (the first by default); the others below
        with right:
            beside = views.beside_choice(shown)
            views.live_view(beside, run, ds, ref, interval, beside=True)
        shown = [v for v in shown if v != beside]
    with mid if not present else st.container():
        view_key = session.widget("view")
        if st.session_state.get(view_key) not in shown:
            st.session_state[view_key] = shown[0]
        with st.container(key=session.widget("view_box")):
            st.segmented_control("Look inside", shown, key=view_key, required=True)
        views.show_view(st.session_state[view_key], run, ds, ref, settings, interval)
    share_panel(run.poll(), session.run_recipe(run), where=left)


main()

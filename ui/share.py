"""The Streamlit side of the class board that more than one page needs: the shared ``Board``, who is asking
(the browser session and the client's address, ``ui.identity``), and the student's panel "Share with the class"
that the Shallow network page shows under a finished run.
"""

from __future__ import annotations

import functools
import hashlib
import io

import segno
import sqlalchemy as sa
import streamlit as st

from nnviz.board.store import (
    Board,
    BoardError,
    BoardUnavailable,
    database_url,
    normalize_code,
    shared_board,
    shared_run,
)
from nnviz.core.settings import TrainerSettings
from nnviz.serving.runner import RunState
from ui import identity
from ui.common import outside_gate, plain, problem

ROOM_PARAM = "room"
SHARE_FINISHED = (RunState.FINISHED, RunState.DIVERGED)  # a diverged run is a lesson too (a learning rate too high)


def get_board() -> Board | None:
    """The process's board (created, and its schema upgraded, on first use; waiting on its database outside the
    server's gate); None with a message shown when its database cannot be reached."""
    try:
        return shared_board(database_url(), waiting=outside_gate)
    except BoardUnavailable as err:
        problem(plain(err), "An administrator can check NNVIZ_DATABASE_URL.")
        retry_button("board_retry_open")
    except BoardError as err:
        problem(plain(err), "Fix NNVIZ_DATABASE_URL and restart the app.")
    except sa.exc.SQLAlchemyError as err:
        problem("The class board's database cannot be reached right now.",
                f"Try again in a minute; an administrator can check NNVIZ_DATABASE_URL ({type(err).__name__}).")
        retry_button("board_retry_open")
    return None


def retry_button(key: str):
    """A button that runs the page again (after a database error: "try again")."""
    st.button("Try again", key=key, icon=":material/refresh:")


def session_key() -> str:
    """Who asks, per browser tab: the board counts shares and misses per session. Derived from Streamlit's own
    session id, which a client's ``clear_cache`` message does not reset (a key kept in the session's state was
    reset by it, and with it the session's limits)."""
    return hashlib.sha256(f"nnviz-board:{identity.session_id()}".encode()).hexdigest()[:32]


def client_address() -> str:
    """The visitor's address, as ``nnviz.serving.identity`` decides it: the trusted proxies' hop, else the socket's peer
    (never an ``X-Forwarded-For`` entry the client wrote)."""
    return identity.client()


def base_url() -> str:
    """The app's address as this visitor reached it (scheme, host, and any path prefix), without a page."""
    url = (st.context.url or "").split("?")[0].split("#")[0]
    return url.rsplit("/", 1)[0] if url.count("/") > 2 else url


@functools.lru_cache(maxsize=64)  # not st.cache_data: any client's clear_cache message would empty it
def qr_png(text: str, scale: int = 10) -> bytes:
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def joined_room(board: Board, code_text: str) -> str:
    """The room code typed or linked, checked once per session (lookups of unknown codes are rate-limited)."""
    code = normalize_code(code_text)
    known = st.session_state.setdefault("board_known_rooms", set())
    if code not in known:
        board.find_room(code, session_key(), client_address())
        known.add(code)
    return code


def share_panel(snap, settings: TrainerSettings, key: str = "share_", where=None):
    """Room, Nickname and **Share with the class** for a run.

    Parameters
    ----------
    snap : nnviz.serving.runner.Snapshot
        The run's snapshot (``run.poll()``): its ``state`` and its ``epochs`` (``EpochRecord``s with
        train/test loss and accuracy). Sharing is possible once the state is finished (or diverged).
    settings : TrainerSettings
        The settings the run was trained with (not the widgets' current values).
    where : optional
        A Streamlit container (e.g. a column) to draw the panel in.
    """
    if where is not None:
        with where:
            return share_panel(snap, settings, key)
    linked = st.query_params.get(ROOM_PARAM, "")
    if linked and st.session_state.get(key + "linked") != linked:
        st.session_state[key + "linked"] = linked
        st.session_state[key + "room"] = linked.upper()
    # The room and the nickname are kept for the session: a field that comes back empty (a run that did not draw
    # the panel, a widget drawn anew in the browser) is filled again with the last value the student had.
    for name in ("room", "nickname"):
        kept = st.session_state.get(key + name + "_kept", "")
        if kept and not st.session_state.get(key + name):
            st.session_state[key + name] = kept
    with st.expander("Share with the class", expanded=bool(linked or st.session_state.get(key + "room")),
                     icon=":material/groups:"):
        st.text_input("Room", key=key + "room", max_chars=16, placeholder="code on the projector",
                      help="The code your teacher shows on the Class board page.")
        st.text_input("Nickname", key=key + "nickname", max_chars=24, placeholder="shown on the board",
                      help="At most 24 characters; everyone in the room sees it.")
        for name in ("room", "nickname"):
            if st.session_state.get(key + name):
                st.session_state[key + name + "_kept"] = st.session_state[key + name]
        finished = (snap is not None and snap.state in SHARE_FINISHED
                    and (bool(snap.epochs) or snap.state == RunState.DIVERGED))
        this_run = (settings.run_key(), len(snap.epochs) if snap is not None else 0)
        done = st.session_state.get(key + "done")
        already = done is not None and done[1] == this_run
        st.button("Share with the class", key=key + "button", icon=":material/send:", type="primary",
                  disabled=not finished or already, on_click=_share, args=(snap, settings, key, this_run),
                  help="Posts this run's settings, final loss and accuracy and its curves to the board.")
        if not finished:
            st.caption("Train a run to the end, then share it.")
        error = st.session_state.pop(key + "error", None)
        if error:
            problem(plain(error))
        if already:
            st.success(f"Shared with room {done[0]}: it is on the class board now.", icon=":material/check_circle:")


def _share(snap, settings: TrainerSettings, key: str, this_run):
    """The button's callback: runs before the page is drawn, so the page shows the outcome at once."""
    board = get_board()
    if board is None:
        return
    try:
        code = joined_room(board, st.session_state.get(key + "room") or st.session_state.get(key + "room_kept", ""))
        run = shared_run(st.session_state.get(key + "nickname") or st.session_state.get(key + "nickname_kept", ""),
                         settings, snap.epochs, diverged=snap.state == RunState.DIVERGED)
        board.share(code, session_key(), run, client=client_address())
    except BoardError as err:
        st.session_state[key + "error"] = str(err)
    else:
        st.session_state[key + "done"] = (code, this_run)

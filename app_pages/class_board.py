"""Class board: a teacher opens a room, students share their finished runs into it, and the board on the
projector collects them live — a table, test accuracy against a setting, and all the loss curves.

The room lives in the URL (``/class_board?room=CODE``) so the board survives a reload; the teacher's key
arrives once in the teacher link (``&key=…``), moves into the session, and leaves the address bar (which a
projector shows). Storage and limits: ``nnviz.board.store``; figures: ``nnviz.board.charts``.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from nnviz.board import charts as board_charts
from nnviz.board.store import RUNS_PER_ROOM, Board, BoardError, BoardUnavailable, normalize_code
from nnviz.serving.gate import LIVE, POLL
from nnviz.viz.charts import PLOTLY_CONFIG
from ui.common import gated, header, plain, presentation_mode, problem, rerun_page
from ui.share import ROOM_PARAM, base_url, client_address, get_board, joined_room, qr_png, retry_button, session_key

K = "cb_"
REFRESH_S = 2.0  # how often the board asks the database whether anything changed (one indexed row)



@dataclass
class RoomView:
    """The room on screen, as this visitor sees it."""

    board: Board
    code: str
    room: object
    key: str | None  # the teacher's key, when this session holds it
    teacher: bool
    runs: list  # every run, hidden ones too for the teacher
    base: str  # the app's address, for links

    @property
    def join_link(self) -> str:
        return f"{self.base}/shallow_network?{ROOM_PARAM}={self.code}"


def teacher_keys() -> dict:
    """The rooms this session opened or holds a teacher link for: code → key."""
    return st.session_state.setdefault(K + "teacher_keys", {})


def take_teacher_link():
    """A teacher link: keep its key in this session, and take it out of the address bar (a projector shows it)."""
    if "key" in st.query_params:
        try:
            teacher_keys()[normalize_code(st.query_params.get(ROOM_PARAM, ""))] = st.query_params["key"]
        except BoardError:
            pass
        del st.query_params["key"]


def open_room(board: Board):
    try:
        room, key = board.open_room(session_key(), client=client_address())
    except BoardError as err:
        st.session_state[K + "error"] = str(err)
        return
    teacher_keys()[room.code] = key
    st.session_state.setdefault("board_known_rooms", set()).add(room.code)
    st.query_params[ROOM_PARAM] = room.code


def go_to_room(board: Board):
    try:
        code = joined_room(board, st.session_state.get(K + "code", ""))
    except BoardError as err:
        st.session_state[K + "error"] = str(err)
        return
    st.query_params[ROOM_PARAM] = code


def show_error():
    error = st.session_state.pop(K + "error", None)
    if error:
        problem(plain(error))


def lobby(board: Board):
    """No room in the URL: open one (teacher), or go to one by its code."""
    show_error()
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.markdown("#### Teacher")
        st.button("Open a room", key=K + "open", on_click=open_room, args=(board,), type="primary",
                  icon=":material/add_circle:")
        st.caption("Shows a room code, a link and a QR code for the class. Students train on the Shallow network "
                   "page and press **Share with the class**; their runs appear here within seconds.")
    with c2:
        st.markdown("#### Open an existing board")
        st.text_input("Room code", key=K + "code", max_chars=16, placeholder="e.g. ABCDEFG")
        st.button("Show the board", key=K + "go", on_click=go_to_room, args=(board,), icon=":material/dashboard:")


def find_room(board: Board, code_text: str) -> RoomView | None:
    """The room the URL names, or None (with the reason shown) when it cannot be shown."""
    try:
        code = joined_room(board, code_text)
        room = board.room(code)
        key = teacher_keys().get(code)
        teacher = room is not None and board.is_teacher(code, key)
        runs = board.runs(code, include_hidden=teacher) if room is not None else []
    except BoardUnavailable as err:  # the database: say so, and offer to try again (the room is still there)
        problem(plain(err))
        retry_button(K + "retry")
        return None
    except BoardError as err:
        problem(plain(err), "Check the code, or open a new room.")
        if st.button("Back", key=K + "back", icon=":material/arrow_back:"):
            del st.query_params[ROOM_PARAM]
            st.rerun()
        return None
    if room is None:
        problem(f"The room {code} has expired.", "Open a new room.")
        return None
    return RoomView(board, code, room, key, teacher, runs, base_url())


# ----------------------------------------------------------------------------- joining: code, link, QR

def teacher_action(act) -> bool:
    """Do ``act`` (a call to the board); False, with the database's message shown, if it failed."""
    try:
        act()
    except BoardError as err:
        problem(plain(err), "Nothing was changed; try again.")
        return False
    return True


def hide_control(v: RoomView):
    labels = {r.id: f"#{r.id} · {r.nickname}" for r in v.runs}
    hidden_now = [r.id for r in v.runs if r.hidden]
    chosen = st.multiselect("Hidden runs", list(labels), default=hidden_now, format_func=labels.get,
                            key=K + f"hidden_{v.room.revision}",
                            help="Hide a run (a rude nickname): it leaves the board, for everyone.")
    if set(chosen) != set(hidden_now):
        changed = set(chosen) ^ set(hidden_now)
        if teacher_action(lambda: [v.board.hide(v.code, v.key, rid, rid in chosen) for rid in changed]):
            st.rerun()


def teacher_panel(v: RoomView):
    """Hide runs, close or reopen the room, clear it; the teacher link."""
    board, code, key = v.board, v.code, v.key
    with st.expander("Teacher", icon=":material/admin_panel_settings:"):
        if v.runs:
            hide_control(v)
        if v.room.closed:
            if st.button("Reopen the room", key=K + "reopen", icon=":material/lock_open:"):
                if teacher_action(lambda: board.set_closed(code, key, False)):
                    st.rerun()
        elif st.button("Close the room", key=K + "close", icon=":material/lock:",
                       help="No more runs; the board stays readable."):
            if teacher_action(lambda: board.set_closed(code, key, True)):
                st.rerun()
        confirm = st.checkbox("Yes, delete every run", key=K + "confirm_clear")
        if st.button("Clear the board", key=K + "clear", icon=":material/delete_sweep:", disabled=not confirm):
            if teacher_action(lambda: board.clear(code, key)):
                st.rerun()
        st.markdown("**Teacher link** — keep it private: it gives these powers back later.")
        st.code(f"{v.base}/class_board?{ROOM_PARAM}={code}&key={key}", language=None, wrap_lines=True)


def joining_panel(v: RoomView, present: bool):
    """The room code, the link and its QR code, big enough for a projector."""
    left, right = st.columns([2.2, 1], gap="medium")
    with right:
        st.image(qr_png(v.join_link, scale=12 if present else 8), width=300 if present else 220)
    with left:
        st.markdown(f"## Room code: `{v.code}`")
        st.code(v.join_link, language=None, wrap_lines=True)
        st.caption("Scan the QR code or open the link, train a run on the Shallow network page, type a nickname "
                   "and press **Share with the class**.")
        if v.room.closed:
            st.warning("The room is closed: it takes no more runs.", icon=":material/lock:")
        if v.teacher:
            teacher_panel(v)


# ----------------------------------------------------------------------------- the live board
# The board is drawn by the page itself, once per change: a small fragment polls the room's revision (one
# indexed row) every REFRESH_S seconds and reruns the page only when it moved, so an idle board with a
# hundred runs costs the server a query every 2 s, not a redraw of its charts.


@st.fragment(run_every=REFRESH_S)
@gated(POLL)
def watch(board: Board, code: str, drawn: int):
    try:
        revision = board.revision(code)
    except BoardError as err:  # the database is not answering: this look is skipped, the next one in 2 s
        st.caption(f"{plain(err)} The board looks again every {REFRESH_S:.0f} s.")
        return
    if revision != drawn:
        rerun_page(LIVE)  # a share, a hidden run, a cleared board, or the room expired: redraw the page


def draw_board(v: RoomView, present: bool):
    runs = [r for r in v.runs if not r.hidden]
    st.markdown(f"### {len(runs)} run{'s' if len(runs) != 1 else ''} shared"
                + (" · closed" if v.room.closed else f" · room holds up to {RUNS_PER_ROOM}"))
    if not runs:
        st.info("Waiting for the first run… it appears here by itself, no reload needed.",
                icon=":material/hourglass_top:")
        return
    rows = board_charts.table_rows(runs, v.base)
    st.dataframe(rows, hide_index=True, height=min(36 * len(rows) + 38, 300 if present else 360),
                 column_order=["nickname", "hidden layers", "learning rate", "optimizer", "penalty", "batch size",
                               "epochs", "test accuracy %", "open"],
                 column_config={"learning rate": st.column_config.NumberColumn(format="%g"),
                                "test accuracy %": st.column_config.NumberColumn(format="%.1f"),
                                "open": st.column_config.LinkColumn("open this run", display_text="open run")})
    setting = st.segmented_control("Test accuracy against", list(board_charts.SETTINGS), key=K + "setting",
                                   required=True, default="learning rate")
    c1, c2 = st.columns(2)
    c1.plotly_chart(board_charts.accuracy_figure(runs, setting or "learning rate", presentation=present),
                    config=PLOTLY_CONFIG)
    c2.plotly_chart(board_charts.loss_figure(runs, presentation=present), config=PLOTLY_CONFIG)


def main():
    present = presentation_mode()
    header("class_board", "open a room, let the class share their runs, and compare them together.")
    board = get_board()
    if board is None:
        return
    take_teacher_link()
    code_text = st.query_params.get(ROOM_PARAM, "")
    if not code_text:
        lobby(board)
        return
    view = find_room(board, code_text)
    if view is None:
        return
    show_error()
    joining_panel(view, present)
    draw_board(view, present)
    watch(board, view.code, view.room.revision)


main()

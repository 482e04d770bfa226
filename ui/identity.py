"""Who is asking, from Streamlit's side: the client's address (``nnviz.serving.identity``, from the socket's peer and the
trusted proxies' ``X-Forwarded-For`` entries), the browser session, and whether that session is still connected."""

from __future__ import annotations

import functools
import logging

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nnviz.serving.identity import Owner, client_address, trusted_proxies

_LOG = logging.getLogger("nnviz")


@functools.cache
def trusted() -> int:
    """``NNVIZ_TRUSTED_PROXIES``, read once (a bad value is logged, and no proxy is trusted)."""
    try:
        return trusted_proxies()
    except ValueError as err:  # a mistyped setting must not make the app trust what clients write
        _LOG.error("%s; trusting no proxy", err)
        return 0


def client() -> str:
    """This visitor's client address (see ``nnviz.serving.identity.client_address``)."""
    headers = st.context.headers
    lines = headers.get_all("X-Forwarded-For") if hasattr(headers, "get_all") else [headers.get("X-Forwarded-For")]
    peer = st.context.ip_address
    return client_address(peer if isinstance(peer, str) else None, [x for x in lines if isinstance(x, str)], trusted())


def session_id() -> str:
    """The browser session's id (Streamlit's; it survives a client's ``clear_cache`` message and a reconnect)."""
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def connected(sid: str) -> bool:
    """Whether the session ``sid`` is still connected: Streamlit's session manager drops it from its active
    sessions the moment its websocket closes (``Runtime.is_active_session``, safe from any thread)."""
    return not Runtime.exists() or Runtime.instance().is_active_session(sid)


def owner() -> Owner:
    """Who a run or a training belongs to: this client, this session, and the session's liveness."""
    sid = session_id()
    return Owner(client(), sid, functools.partial(connected, sid))

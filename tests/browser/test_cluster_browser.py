"""``make cluster`` for real: HAProxy in front of two replicas sharing a PostgreSQL, driven by Chromium.

A teacher's board on one replica sees shares made on both; a student's CSV upload works through the
balancer; one replica is killed — the session on the other carries on (its websocket never drops), new
visitors are sent to the survivor, and the board still shows every run."""

import re
import time

import pytest
from browser_helpers import ARTIFACTS, free_port, no_exception, wait_for_app

from cluster.run import Cluster
from nnviz.core.datasets import make_2d

LOAD_MS = 120_000
BOARD_MS = 20_000
COOKIE = "NNVIZ_REPLICA"


def replica_of(ctx) -> str:
    return next(c["value"] for c in ctx.cookies() if c["name"] == COOKIE)


def board_shows(pg, n: int, timeout=BOARD_MS):
    pg.wait_for_function(
        "n => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith(n + ' run'))",
        arg=n, timeout=timeout)


def visitor(browser, url: str, path: str, avoid: str | None = None, want: str | None = None):
    """A new browser (no cookies) opening ``path``; retried until HAProxy puts it on a replica other than
    ``avoid`` (or on ``want``). Returns (context, page, events)."""
    for _ in range(6):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        pg = ctx.new_page()
        pg.set_default_timeout(LOAD_MS)  # 2 cores shared with the rest of the suite: pages can take a while
        events = []
        pg.on("websocket", lambda ws, ev=events: (ev.append("open"), ws.on("close", lambda _: ev.append("close"))))
        pg.goto(url + path)
        wait_for_app(pg, timeout=LOAD_MS)
        replica = replica_of(ctx)
        if replica != avoid and want in (None, replica):
            return ctx, pg, events
        ctx.close()
    raise AssertionError(f"HAProxy never sent a new visitor to another replica than {avoid}")


# a run ends in "Finished 20 epochs (…)", and one the page judges poor goes on ", but — …"
FINISHED = re.compile(r"^Finished 20 epochs")


def train_and_share(pg, code: str, nickname: str):
    pg.get_by_role("button", name="Train", exact=True).click()
    pg.get_by_text(FINISHED).wait_for(timeout=LOAD_MS)
    nick = pg.get_by_label("Nickname", exact=True)
    nick.fill(nickname)
    nick.press("Enter")
    pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=LOAD_MS)
    pg.get_by_role("button", name="Share with the class", exact=True).click()
    pg.get_by_text(f"Shared with room {code}").wait_for(timeout=LOAD_MS)
    no_exception(pg)


@pytest.mark.slow
def test_two_replicas_behind_haproxy_share_one_board_and_survive_a_crash(browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    ds = make_2d("xor", 200, 0.1, 0.7, 0)
    csv = tmp_path / "my_points.csv"
    csv.write_text("x1,x2,label\n" + "".join(f"{a:.4f},{b:.4f},{int(c)}\n" for (a, b), c in
                                              zip(ds.X_train.tolist(), ds.y_train.tolist(), strict=True)))
    pages = {}
    with Cluster(free_port(), folder=tmp_path, workers=1, keep_database=False) as cluster:  # logs in tmp_path
        try:
            # The teacher opens a room on one replica.
            t_ctx, teacher, _ = visitor(browser, cluster.url, "/class_board")
            pages["teacher"] = teacher
            teacher.get_by_role("button", name="Open a room", exact=True).click()
            teacher.wait_for_url(re.compile(r"room="), timeout=LOAD_MS)
            code = re.search(r"room=([A-Z0-9]+)", teacher.url).group(1)
            board_shows(teacher, 0, LOAD_MS)
            dying = replica_of(t_ctx)

            # A student on the other replica uploads a CSV through the balancer, trains on it and shares.
            a_ctx, alice, alice_ws = visitor(browser, cluster.url, f"/shallow_network?room={code}&ds=csv&epochs=20"
                                             "&speed=max&batch=8&hidden=8", avoid=dying)
            pages["alice"] = alice
            survivor = replica_of(a_ctx)
            alice.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(csv))
            alice.get_by_text("Epoch 0 / 20").wait_for(timeout=LOAD_MS)
            wait_for_app(alice, timeout=LOAD_MS)
            alice.get_by_text("my_points.csv", exact=True).first.wait_for(timeout=LOAD_MS)
            assert "Upload a CSV file to train" not in alice.inner_text("body")  # the upload reached the replica
            train_and_share(alice, code, "Alice")
            board_shows(teacher, 1)  # the teacher's replica read it from PostgreSQL

            # A student on the teacher's replica (the one about to die) shares too.
            b_ctx, bob, _ = visitor(browser, cluster.url, f"/shallow_network?room={code}&ds=moons&epochs=20"
                                    "&speed=max&batch=8", want=dying)
            pages["bob"] = bob
            train_and_share(bob, code, "Bob")
            board_shows(teacher, 2)
            b_ctx.close()

            # One replica crashes.
            cluster.kill_replica(dying)
            # The session on the survivor carries on untouched: same websocket, and it trains again.
            alice.get_by_role("button", name="Reset", exact=True).click()
            alice.get_by_text("Epoch 0 / 20").wait_for(timeout=LOAD_MS)
            alice.get_by_role("button", name="Train", exact=True).click()
            alice.get_by_text(FINISHED).wait_for(timeout=LOAD_MS)
            no_exception(alice)
            assert alice_ws == ["open"], alice_ws

            # New visitors all go to the survivor and see every run.
            time.sleep(3)  # two failed health checks (1 s apart) take the dead replica out of the rotation
            for i in range(3):
                ctx, pg, _ = visitor(browser, cluster.url, f"/class_board?room={code}")
                assert replica_of(ctx) == survivor
                pages[f"visitor{i}"] = pg
                board_shows(pg, 2, LOAD_MS)
                no_exception(pg)
                ctx.close()
            # The teacher's own page reconnects (HAProxy redispatches it) and still shows every run.
            board_shows(teacher, 2, LOAD_MS)
            a_ctx.close()
            t_ctx.close()
        except Exception:
            for name, pg in pages.items():
                try:
                    pg.screenshot(path=str(ARTIFACTS / f"cluster-{name}.png"), full_page=True)
                except Exception:  # noqa: BLE001 - a closed page has no screenshot
                    pass
            raise


@pytest.mark.slow
def files_compressed(url: str):
    """Wait until the replica has compressed every front-end file asked for so far (ui/server.py)."""
    import urllib.request

    deadline = time.monotonic() + LOAD_MS / 1000
    while time.monotonic() < deadline:
        with urllib.request.urlopen(url + "/_stcore/metrics?families=nnviz", timeout=10) as r:
            if 'what="files_to_compress"} 0' in r.read().decode():
                return
        time.sleep(0.5)
    raise AssertionError("the replica never finished compressing its front-end files")


def first_visit(browser, url: str) -> tuple[dict, int]:
    """A new browser opening the front page: (the app's files by URL -> their responses' bodies and encodings, and
    the bytes that came over the wire: the HTML, every file and the websocket's messages)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    pg.set_default_timeout(LOAD_MS)
    files, ws_bytes = {}, [0]
    pg.on("response", lambda r: files.setdefault(r.url, r) if "/static/" in r.url and r.ok else None)
    pg.on("websocket", lambda ws: ws.on("framereceived", lambda p: ws_bytes.__setitem__(0, ws_bytes[0] + len(p))))
    pg.goto(url + "/")
    wait_for_app(pg, timeout=LOAD_MS)
    no_exception(pg)
    pg.wait_for_timeout(2000)  # a font asked for after the page is drawn
    wire = pg.evaluate("""() => performance.getEntriesByType('navigation')[0].transferSize
                                + performance.getEntriesByType('resource').reduce((a, e) => a + e.transferSize, 0)""")
    # a copy: reading a body lets Playwright deliver more responses (a font asked for after the page was drawn),
    # which the handler above adds to ``files`` (CI once: "dictionary changed size during iteration")
    bodies = {url: (r.body(), r.headers.get("content-encoding", "")) for url, r in list(files.items())}
    ctx.close()
    return bodies, wire + ws_bytes[0]


def test_a_first_visit_through_the_balancer_is_compressed_to_at_most_1_2_mb(browser, tmp_path):
    """Issue 32: a first visit downloaded 3.3 MB uncompressed (Streamlit's index.js alone 480 KB); 100 students
    arriving at once on a school's shared link was 330 MB. The app compresses its front-end files once (brotli,
    gzip), HAProxy's cache keeps the compressed copies, and the front page downloads no font it does not draw."""
    with Cluster(free_port(), replicas=1, folder=tmp_path, workers=1, keep_database=False) as cluster:
        first_visit(browser, cluster.url)  # the teacher's, before the class
        files_compressed(cluster.url)
        bodies, wire = first_visit(browser, cluster.url)
        scripts = {u: enc for u, (_, enc) in bodies.items() if u.endswith((".js", ".css"))}
        assert scripts and set(scripts.values()) == {"br"}, scripts
        assert wire <= 1_200_000, f"a first visit took {wire:,} bytes over the wire"


def test_haproxy_serves_the_apps_files_from_its_cache_once_a_first_visitor_has_loaded_them(browser, tmp_path):
    """A replica's event loop carries every page's messages; in a lecture hall's press wave it served a late
    visitor's ~60 front-end files in 2.3-2.8 s (0.7-1.4 s idle). Behind HAProxy, once the app's files have been
    loaded (and compressed by the replica), they come from HAProxy's cache: with the replica frozen (SIGSTOP), every
    one of them still arrives, byte for byte, while the page's HTML (never cached: it is not immutable) does not."""
    import gzip
    import os
    import signal
    import urllib.request

    import brotli

    with Cluster(free_port(), replicas=1, folder=tmp_path, workers=1, keep_database=False) as cluster:
        first_visit(browser, cluster.url)
        files_compressed(cluster.url)
        bodies, _ = first_visit(browser, cluster.url)
        assert len(bodies) >= 20, f"the first visit loaded only {len(bodies)} of the app's files"
        replica = cluster.replicas["r1"][1]
        os.killpg(replica.pid, signal.SIGSTOP)
        try:
            with pytest.raises(OSError):  # the replica is frozen: the HTML gets no answer
                urllib.request.urlopen(cluster.url + "/", timeout=3).read()
            for url, (body, _) in bodies.items():
                ask = urllib.request.Request(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
                with urllib.request.urlopen(ask, timeout=3) as r:
                    data, encoding = r.read(), r.headers.get("Content-Encoding", "")
                data = brotli.decompress(data) if encoding == "br" else gzip.decompress(data) if encoding == "gzip" else data
                assert r.status == 200 and data == body, url
        finally:
            os.killpg(replica.pid, signal.SIGCONT)

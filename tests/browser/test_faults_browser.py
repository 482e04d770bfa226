"""Faults on a real server: a killed training worker, a killed server, a disk that refuses an upload.

Each test starts its own ``streamlit run`` (it breaks it on purpose) and drives it with Chromium.
"""

import re
import time

import psutil
import pytest
from browser_helpers import ARTIFACTS, free_port, no_exception, start_server, stop_server, wait_for_app
from test_trainer_browser import TRAIN_LOSS_POINTS, epoch_shown, eventually

SLOW = 180_000  # ms: a loaded 2-core machine can take a minute to draw a page; waits end as soon as it is drawn


@pytest.fixture
def server():
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port)
    yield proc, f"http://127.0.0.1:{port}"
    children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
    stop_server(proc)
    for child in children:
        if not gone(child):
            child.kill()


def workers(proc) -> list[psutil.Process]:
    """The server's training workers (its other child is multiprocessing's resource tracker)."""
    return [p for p in psutil.Process(proc.pid).children() if "spawn_main" in " ".join(p.cmdline())]


def gone(p: psutil.Process) -> bool:
    try:
        return p.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_killed_worker_does_not_fail_the_run(server, page):
    proc, url = server
    page.set_default_timeout(SLOW)
    page.goto(f"{url}/shallow_network?ds=moons&n=800&batch=1&epochs=50&speed=2")  # 50 epochs at 2/s: >= 25 s
    wait_for_app(page)
    eventually(page, lambda: len(workers(proc)) == 2, "the page starts two training workers", timeout=180)
    page.get_by_role("button", name="Train", exact=True).click()
    eventually(page, lambda: epoch_shown(page) >= 1, "the run trains", timeout=180)
    victim = workers(proc)[0]
    victim.kill()  # kill -9
    assert epoch_shown(page) < 50  # in the middle of the run
    eventually(page, lambda: gone(victim), "the worker is dead")
    eventually(page, lambda: page.get_by_text(re.compile(r"· finished$")).count() > 0,  # "step 28,000 · finished"
               "the run finishes", timeout=240)
    assert epoch_shown(page) == 50
    # every epoch recorded once (the finished page redraws its chart: on a loaded machine the line is briefly absent)
    eventually(page, lambda: page.evaluate(TRAIN_LOSS_POINTS) == 50, "the chart shows each of the 50 epochs once")
    assert page.get_by_text(re.compile("training stopped|failed")).count() == 0
    no_exception(page)
    assert victim.pid not in {p.pid for p in workers(proc)} and len(workers(proc)) >= 1


def test_killing_the_server_takes_its_children_with_it(server, page):
    proc, url = server
    page.set_default_timeout(SLOW)
    page.goto(f"{url}/shallow_network?ds=xor")
    wait_for_app(page)
    eventually(page, lambda: len(workers(proc)) == 2, "the page starts two training workers", timeout=180)
    children = psutil.Process(proc.pid).children(recursive=True)
    assert any("resource_tracker" in " ".join(c.cmdline()) for c in children)
    proc.kill()  # kill -9 of the server
    proc.wait()
    deadline = time.monotonic() + 20
    while not all(gone(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(c) for c in children), [" ".join(c.cmdline())[:120] for c in children if not gone(c)]


def test_a_disk_that_refuses_the_upload_gives_a_clear_message(server, page):
    proc, url = server
    page.set_default_timeout(SLOW)
    # The kernel refuses the server's writes beyond 64 KB (EFBIG), as a full disk refuses them (ENOSPC).
    psutil.Process(proc.pid).rlimit(psutil.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
    page.goto(f"{url}/shallow_network?ds=csv&speed=max")
    wait_for_app(page)
    small = "a,b,label\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(40))
    big = "a,b,c,d,label\n" + "".join(f"{i % 7}.5,{i % 5},{i % 3},{i % 11},{i % 2}\n" for i in range(4000))
    page.set_input_files("input[type=file]", files=[{"name": "small.csv", "mimeType": "text/csv",
                                                      "buffer": small.encode()}])
    eventually(page, lambda: page.get_by_role("button", name="Step", exact=True).is_enabled(), "the small file loads", timeout=180)
    page.get_by_role("button", name="Step", exact=True).click()
    eventually(page, lambda: epoch_shown(page) == 1, "it trains", timeout=180)
    page.set_input_files("input[type=file]", files=[{"name": "big.csv", "mimeType": "text/csv",
                                                    "buffer": big.encode()}])
    alert = page.get_by_text(re.compile("big.csv: the server has no room to store this file right now"))
    eventually(page, lambda: alert.count() > 0, "the refusal is explained", timeout=180)
    text = page.locator("[data-testid='stAlert']").all_inner_texts()
    assert any("The previous file (small.csv) is still loaded" in t for t in text)
    assert not any("/tmp" in t or "Errno" in t or "Traceback" in t for t in text)
    no_exception(page)
    page.get_by_role("button", name="Step", exact=True).click()
    eventually(page, lambda: epoch_shown(page) == 2, "the page still trains on the previous file", timeout=180)

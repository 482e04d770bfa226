"""``make cluster``: a PostgreSQL, N nnviz replicas and HAProxy in front of them, all on loopback.

    python -m cluster.run --port 8501 --replicas 2

Each replica is ``streamlit run app.py`` on a port of its own with ``NNVIZ_DATABASE_URL`` pointing at the
PostgreSQL, so the class board is shared; HAProxy (``cluster/haproxy.cfg``) balances them with sticky
cookies and health checks. Ctrl-C stops everything this started. The database is kept in
``$NNVIZ_CACHE/cluster-postgres`` (default ``.cache/``) between runs; logs go to ``$NNVIZ_CACHE/cluster-logs``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from cluster.postgres import TempPostgres
from tools.local import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
CONFIG = Path(__file__).with_name("haproxy.cfg")


def warm(port: int, timeout: float = 120.0):
    """Run the app's front page once on the replica at ``port``, as a browser would (over its websocket): the app
    fits its server on its first page run (``ui/server.py``: among others, it then sends its front-end files
    compressed), so HAProxy, started after this, caches the compressed copies from the first visitor on."""
    import asyncio

    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async def visit():
        async with websockets.connect(f"ws://127.0.0.1:{port}/_stcore/stream", subprotocols=["streamlit"],
                                      open_timeout=timeout, ping_interval=None) as ws:
            msg = BackMsg()
            msg.rerun_script.query_string = ""
            await ws.send(msg.SerializeToString())
            async for data in ws:
                reply = ForwardMsg()
                reply.ParseFromString(data)
                if reply.WhichOneof("type") == "script_finished":
                    return

    failed = []

    def run():  # in a thread of its own: the caller may have an event loop running (a benchmark, Playwright)
        try:
            asyncio.run(asyncio.wait_for(visit(), timeout))
        except Exception as err:  # noqa: BLE001 - raised below, in the caller's thread
            failed.append(err)

    thread = threading.Thread(target=run, name="nnviz-warm", daemon=True)
    thread.start()
    thread.join()
    if failed:
        raise RuntimeError(f"the replica on port {port} did not run its front page: {failed[0]!r}")


class Cluster:
    """``with Cluster(port) as c: c.url`` — everything started, health-checked, and stopped on exit."""

    def __init__(self, port: int = 8501, replicas: int = 2, folder: str | Path | None = None,
                 workers: int | None = None, keep_database: bool = True):
        cache = Path(os.environ.get("NNVIZ_CACHE", ROOT / ".cache"))
        self.folder = Path(folder) if folder else cache
        self.port = port
        self.n = replicas
        self.workers = workers
        self.logs = self.folder / "cluster-logs"
        # keep_database=False: a throwaway server in a temp folder of its own, deleted on stop.
        self.postgres = TempPostgres(self.folder / "cluster-postgres") if keep_database else TempPostgres()
        self.replicas: dict[str, tuple[int, subprocess.Popen]] = {}
        self.haproxy: subprocess.Popen | None = None
        self.cookie_secret = secrets.token_hex(24)  # one secret, so any replica accepts the XSRF cookie

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _spawn(self, args, log_name, env=None) -> subprocess.Popen:
        log = open(self.logs / log_name, "ab")  # noqa: SIM115 - lives as long as the process
        # A session of its own, so that stopping a replica stops its training workers too.
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def start_replica(self, name: str, port: int | None = None) -> int:
        port = port or free_port()
        # One proxy in front (HAProxy appends the address it saw): the replicas count clients by that hop, never by
        # an X-Forwarded-For line the client wrote. The replicas listen on loopback only: nobody reaches them but
        # through HAProxy.
        env = {**os.environ, "NNVIZ_DATABASE_URL": self.postgres.url,
               "STREAMLIT_SERVER_COOKIE_SECRET": self.cookie_secret, "NNVIZ_TRUSTED_PROXIES": "1"}
        if self.workers is not None:
            env["NNVIZ_WORKERS"] = str(self.workers)
        proc = self._spawn([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                            "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port)],
                           f"{name}.log", env)
        self.replicas[name] = (port, proc)
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", proc=proc)
        warm(port)
        return port

    def start(self) -> Cluster:
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self.postgres.start()
            for i in range(1, self.n + 1):
                self.start_replica(f"r{i}")
            config = self.logs / "haproxy.cfg"
            servers = "".join(f"    server {name} 127.0.0.1:{port} cookie {name}\n"
                              for name, (port, _) in self.replicas.items())
            config.write_text(CONFIG.read_text() + servers)
            haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
            env = {**os.environ, "NNVIZ_BIND": f"127.0.0.1:{self.port}"}
            subprocess.run([haproxy, "-c", "-q", "-f", str(config)], env=env, check=True)
            self.haproxy = self._spawn([haproxy, "-db", "-f", str(config)], "haproxy.log", env)
            wait_healthy(f"{self.url}/_stcore/health", proc=self.haproxy)
        except BaseException:
            self.stop()
            raise
        return self

    def kill_replica(self, name: str):
        """Kill a replica and its workers at once (SIGKILL), as a crash would."""
        _, proc = self.replicas[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    @staticmethod
    def _stop(proc: subprocess.Popen | None):
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass

    def stop(self):
        self._stop(self.haproxy)
        for _, proc in self.replicas.values():
            self._stop(proc)
        self.postgres.stop()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8501, help="the balancer's port (default 8501)")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="training processes per replica")
    args = parser.parse_args(argv)
    cluster = Cluster(args.port, args.replicas, workers=args.workers)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Starting PostgreSQL, {args.replicas} replicas and HAProxy (logs in {cluster.logs}) …", flush=True)
    with cluster:
        ports = ", ".join(f"{n} on :{p}" for n, (p, _) in cluster.replicas.items())
        print(f"nnviz cluster ready: {cluster.url}  ({ports}; PostgreSQL on :{cluster.postgres.port})\n"
              "Press Ctrl-C to stop everything.", flush=True)
        reported = set()
        try:
            while True:
                for name, (_, proc) in cluster.replicas.items():
                    if proc.poll() is not None and name not in reported:
                        reported.add(name)
                        print(f"replica {name} exited ({proc.returncode}); HAProxy sends its visitors to the others",
                              flush=True)
                time.sleep(2)
        except KeyboardInterrupt:
            print("\nStopping …", flush=True)


if __name__ == "__main__":
    main()

"""A private PostgreSQL server from Debian's ``postgresql`` package: ``initdb`` + ``pg_ctl`` in a folder of its
own, listening on a loopback port only. ``make cluster`` and the tests start one; nothing system-wide is touched.

PostgreSQL refuses to run as root, so when we are root the server runs as the ``postgres`` user
(``runuser``), in a folder that user owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tools.local import free_port


def pg_bin(name: str) -> str:
    """Debian keeps the server tools in /usr/lib/postgresql/<version>/bin (not on PATH)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if found:
        return found[-1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise FileNotFoundError(f"{name} not found: install Debian's postgresql package (make postgres-tools)")


class TempPostgres:
    """``with TempPostgres() as pg: pg.url`` — a server with a database ``nnviz``, password-protected,
    stopped (and its folder deleted unless ``keep``) on exit. ``folder`` reuses an existing cluster."""

    def __init__(self, folder: str | Path | None = None, port: int | None = None, keep: bool = False):
        self.keep = keep or folder is not None
        self.port = port or free_port()
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.folder = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="nnviz-pg-"))
        self.data = self.folder / "data"
        self.password_file = self.folder / "password"
        self.log = self.folder / "server.log"

    def _own(self, path: Path):
        if self.run_as:
            pw = pwd.getpwnam("postgres")
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _run(self, *args, check=True, **kw):
        done = subprocess.run([*self.run_as, *args], capture_output=True, text=True, **kw)
        if check and done.returncode:
            raise RuntimeError(f"{' '.join(map(str, args[:1]))} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-800:]} — server log: {self.log}")
        return done

    @property
    def password(self) -> str:
        return self.password_file.read_text().strip()

    @property
    def url(self) -> str:
        return f"postgresql://nnviz:{self.password}@127.0.0.1:{self.port}/nnviz"

    def start(self) -> TempPostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._own(self.folder)
        os.chmod(self.folder, 0o700)
        if not (self.data / "PG_VERSION").exists():
            self.password_file.write_text(secrets.token_urlsafe(18) + "\n")
            self._own(self.password_file)
            self._run(pg_bin("initdb"), "-D", str(self.data), "-U", "nnviz", "--pwfile", str(self.password_file),
                      "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        # Listen on loopback only; the socket lives in our folder (not /var/run/postgresql).
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.folder} -c max_connections=100"
        if not self.keep:  # a throwaway server: durability buys nothing
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self._create_database()
        return self

    def _create_database(self):
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=self.port, user="nnviz", password=self.password,
                                     dbname="postgres", autocommit=True, connect_timeout=5) as conn:
                    if conn.execute("SELECT 1 FROM pg_database WHERE datname = 'nnviz'").fetchone() is None:
                        conn.execute("CREATE DATABASE nnviz")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self):
        if (self.data / "postmaster.pid").exists():
            self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc):
        self.stop()

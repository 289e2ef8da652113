"""A real Scrapyd on 127.0.0.1 for tests: its own folder, config and port.

Scrapyd runs each job as ``python -m scrapyd.runner`` with the deployed egg on the path,
with the Python it was started with, so the project's dependencies are those of this venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.redis_server import free_port

ROOT = Path(__file__).resolve().parent.parent


def build_egg(dest: Path) -> Path:
    """The project's egg, built the way ``scrapyd-deploy`` builds it for an upload."""
    deploy = Path(sys.executable).parent / "scrapyd-deploy"
    egg = dest / "policyarchive.egg"
    proc = subprocess.run(
        [str(deploy), "--build-egg", str(egg)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0 or not egg.is_file():
        raise RuntimeError(f"scrapyd-deploy --build-egg failed: {proc.stderr[-2000:]}")
    return egg


class ScrapydServer:
    def __init__(self, max_proc: int = 2, cores: set[int] | None = None) -> None:
        self.port = free_port()
        self.cores = cores  # CPU affinity, inherited by the jobs (a bench's one machine)
        self.dir = Path(tempfile.mkdtemp(prefix="pa-scrapyd-"))
        self.max_proc = max_proc
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ScrapydServer:
        (self.dir / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            f"eggs_dir = {self.dir / 'eggs'}\nlogs_dir = {self.dir / 'logs'}\n"
            f"dbs_dir = {self.dir / 'dbs'}\nitems_dir =\n"
            f"max_proc = {self.max_proc}\npoll_interval = 0.2\n"
        )
        scrapyd = Path(sys.executable).parent / "scrapyd"
        self.log = open(self.dir / "scrapyd.out", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(scrapyd)], cwd=self.dir, stdout=self.log, stderr=subprocess.STDOUT
        )
        if self.cores is not None:
            os.sched_setaffinity(self.proc.pid, self.cores)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.get("daemonstatus.json").get("status") == "ok":
                    return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"scrapyd did not start: {(self.dir / 'scrapyd.out').read_text()}")

    def get(self, endpoint: str, **params: str) -> dict[str, Any]:
        q = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/{endpoint}{q}", timeout=10) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(f"{self.url}/{endpoint}", data=data, timeout=30) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def add_version(self, project: str, version: str, egg: Path) -> dict[str, Any]:
        boundary = uuid.uuid4().hex
        parts = []
        for name, value in (("project", project), ("version", version)):
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; '
            f'filename="{egg.name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + egg.read_bytes()
            + b"\r\n"
        )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        req = urllib.request.Request(
            f"{self.url}/addversion.json",
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())  # type: ignore[no-any-return]

    def wait_finished(self, project: str, jobs: list[str], timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listing = self.get("listjobs.json", project=project)
            finished = {j["id"] for j in listing.get("finished", [])}
            if set(jobs) <= finished:
                return
            time.sleep(0.5)
        raise TimeoutError(f"scrapyd jobs {jobs} not finished in {timeout} s")

    def job_log(self, project: str, spider: str, job: str) -> str:
        path = self.dir / "logs" / project / spider / f"{job}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.proc = None
            self.log.close()

    def __enter__(self) -> ScrapydServer:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

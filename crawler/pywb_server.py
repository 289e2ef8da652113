"""Start and stop a local pywb that serves WARC files with Internet-Archive-shaped URLs.

pywb lives in its own virtual environment (its pins clash with Scrapy's), so it always
runs in a subprocess. :class:`PywbServer` lays out ``workdir`` as a pywb root::

    workdir/config.yaml                 cdx_api_endpoint: /search/cdx
    workdir/collections/web/archive/    symlinks to the WARCs
    workdir/collections/web/indexes/index.cdxj   written by pywb's cdx-indexer
    workdir/collections/cdx -> web      so /cdx/search/cdx is the CDX API
    workdir/pywb.log                    indexer and server output

and then serves ``/cdx/search/cdx?url=...`` and ``/web/<ts>id_/<url>`` on 127.0.0.1.
Startup takes about 1-1.5 s on this machine (indexing a 200-capture WARC about 0.3 s,
the gevent server about 1 s).

How this pywb 2.10 differs from the real Internet Archive (checked with curl against a
server started by this module):

- ``output=json`` is NDJSON (``Content-Type: text/x-ndjson``): one object per line with
  keys ``urlkey timestamp url mime status digest length offset filename source
  source-coll access``, not IA's array rows with a header row. ``fl=timestamp,status``
  narrows the keys; IA's field names (``statuscode``, ``mimetype``, ``original``) are
  silently dropped from ``fl``. ``output=text`` gives space-separated ``fl`` fields;
  with no ``output`` at all you get CDXJ lines (``urlkey ts {json}``), not IA's text.
- A revisit record is indexed with ``mime: warc/revisit`` and no ``status`` key (``-`` in
  text output), so ``filter=statuscode:200`` drops it; replaying it gives the original
  payload with the revisit's own date headers.
- ``collapse=digest`` is ignored (identical re-captures all come back);
  ``showResumeKey=true`` and ``showNumPages=true`` are ignored (no resume key line, all
  rows); ``limit``, ``from``/``to`` (prefixes like ``2009`` or ``200905``),
  ``matchType=prefix`` and ``fl`` work. In filters ``statuscode`` is an alias of
  ``status``. ``url=alpha.example/`` also matches ``www.alpha.example`` (SURT drops www),
  and replay of ``http://alpha.example/`` or ``https://www.alpha.example/`` serves the
  ``http://www.alpha.example/`` capture.
- Filters: ``field:val`` is a SUBSTRING match (IA: regex), ``~field:val`` is a regex,
  ``=field:val`` exact, ``!`` negates. So ``statuscode:2`` matches 200 while
  ``statuscode:^2..$`` matches nothing.
- Fuzzy fallback: when a query with a filter matches nothing, pywb may retry fuzzily and
  return every capture of the URL inside ``from``/``to`` (rows carry ``"is_fuzzy": "1"``;
  seen with ``filter=statuscode:404`` on a URL with only 200s, not with
  ``statuscode:[23]..``); always pass ``allowFuzzy=false`` to get the honest answer.
  An unknown URL gives an empty 200 response either way.
- Replay ``/web/<ts>id_/<url>`` returns the stored bytes unrewritten with the archived
  status; original headers come back as ``X-Archive-Orig-*`` except ``Content-Type``,
  ``Content-Length`` and ``Location``, plus ``Memento-Datetime`` and a
  ``Content-Location`` naming the capture actually served. An inexact timestamp
  (``/web/2009id_/...``) is answered directly with the closest capture, not with IA's
  302 to the exact timestamp. An archived 301 comes back as a 301 whose ``Location`` is
  the original, unrewritten URL (IA points it into the archive). A URL with no capture
  gives pywb's own 404 HTML page.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_VAR = "POLICYARCHIVE_PYWB_PYTHON"
CONFIG_YAML = "# written by policyarchive's PywbServer\ncdx_api_endpoint: /search/cdx\n"
_PROBE = "/cdx/search/cdx?url=pywb-probe.invalid/&output=json"
_PORT_ATTEMPTS = 3


class PywbError(RuntimeError):
    """pywb could not be found, prepared or started."""


def find_pywb_python() -> Path | None:
    """The Python of the pywb environment: ``$POLICYARCHIVE_PYWB_PYTHON``, else
    ``<repo>/.venv-pywb/bin/python``; None when neither exists."""
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env)
        if path.is_file():
            return path
        logger.warning("%s=%s does not exist; trying the repo's .venv-pywb", ENV_VAR, env)
    default = REPO_ROOT / ".venv-pywb" / "bin" / "python"
    return default if default.is_file() else None


def free_port() -> int:
    """A port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _link_names(warcs: Sequence[Path]) -> list[str]:
    """File names for the collection's archive dir, unique even if basenames clash."""
    names = [w.name for w in warcs]
    if len(set(names)) == len(names):
        return names
    return [f"{i:03d}-{name}" for i, name in enumerate(names)]


class PywbServer:
    """A pywb subprocess serving ``warcs`` as collections ``web`` and ``cdx``.

    Use as a context manager (``with PywbServer([...], tmp) as pywb: pywb.base_url``)
    or call :meth:`start` / :meth:`stop`.
    """

    def __init__(
        self,
        warcs: Sequence[Path],
        workdir: Path,
        *,
        pywb_python: Path | None = None,
        port: int = 0,
    ) -> None:
        self.warcs = [Path(w).resolve() for w in warcs]
        self.workdir = Path(workdir).resolve()
        self.pywb_python = pywb_python
        self.port = port
        self.base_url = ""
        self.log_path = self.workdir / "pywb.log"
        self._proc: subprocess.Popen[bytes] | None = None

    # -- layout ---------------------------------------------------------------

    def prepare(self, python: Path) -> None:
        """Write config.yaml, link the WARCs into collection ``web`` and index them."""
        missing = [str(w) for w in self.warcs if not w.is_file()]
        if missing:
            raise PywbError(f"WARC files not found: {', '.join(missing)}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "config.yaml").write_text(CONFIG_YAML, encoding="utf-8")
        colls = self.workdir / "collections"
        web, cdx = colls / "web", colls / "cdx"
        # Only what this class created earlier is removed: a re-start re-indexes cleanly.
        if cdx.is_symlink() or cdx.is_file():
            cdx.unlink()
        elif cdx.is_dir():
            shutil.rmtree(cdx)
        if web.exists():
            shutil.rmtree(web)
        archive, indexes = web / "archive", web / "indexes"
        archive.mkdir(parents=True)
        indexes.mkdir()
        for warc, name in zip(self.warcs, _link_names(self.warcs), strict=True):
            try:
                (archive / name).symlink_to(warc)
            except OSError:
                shutil.copy2(warc, archive / name)
        try:
            cdx.symlink_to("web", target_is_directory=True)
        except OSError:
            shutil.copytree(web, cdx, symlinks=True)
        if self.warcs:
            self._index(python, web)
        else:
            (indexes / "index.cdxj").write_text("", encoding="utf-8")

    def _index(self, python: Path, web: Path) -> None:
        cmd = [
            str(python),
            "-m",
            "pywb.indexer.cdxindexer",
            "--sort",
            "--cdxj",
            "--dir-root",
            "archive",
            "--output",
            "indexes/index.cdxj",
            "archive",
        ]
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            done = subprocess.run(cmd, cwd=web, stdout=log, stderr=log, check=False)
        if done.returncode != 0:
            raise PywbError(
                f"pywb's cdx-indexer failed (exit {done.returncode}); see {self.log_path}"
            )

    # -- process --------------------------------------------------------------

    def start(self, timeout: float = 60) -> str:
        """Index the WARCs, start pywb and wait until its CDX API answers.

        Returns the base URL, e.g. ``http://127.0.0.1:41234``. Raises :class:`PywbError`
        naming the log file when pywb is missing or does not come up within ``timeout``.
        """
        if self._proc is not None:
            return self.base_url
        python = self.pywb_python or find_pywb_python()
        if python is None or not Path(python).is_file():
            raise PywbError(
                f"pywb's Python not found: set {ENV_VAR} or create "
                f"{REPO_ROOT / '.venv-pywb'} (pip install pywb==2.10.*)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path.write_bytes(b"")
        began = time.monotonic()
        self.prepare(Path(python))
        # A fixed port is tried once; a picked one is re-picked if someone grabbed it.
        attempts = 1 if self.port else _PORT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            port = self.port or free_port()
            remaining = timeout - (time.monotonic() - began)
            if self._launch(Path(python), port, remaining):
                logger.info(
                    "pywb serving %d WARC(s) at %s (up in %.1fs; log %s)",
                    len(self.warcs),
                    self.base_url,
                    time.monotonic() - began,
                    self.log_path,
                )
                return self.base_url
            if attempt < attempts and "Address already in use" in self._log_tail():
                logger.warning("port %d was taken before pywb bound it; retrying", port)
                continue
            break
        tail = self._log_tail()
        raise PywbError(
            f"pywb did not come up within {timeout:.0f}s; see log {self.log_path}"
            + (f"\n--- last log lines ---\n{tail}" if tail else "")
        )

    def _launch(self, python: Path, port: int, timeout: float) -> bool:
        cmd = [
            str(python),
            "-m",
            "pywb.apps.cli",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--threads",
            "4",
            "--directory",
            str(self.workdir),
        ]
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
        with self.log_path.open("ab") as log:
            log.write(f"$ {' '.join(cmd)}\n".encode())
            log.flush()
            # Own session = own process group, so stop() can kill pywb and any children.
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.base_url = f"http://127.0.0.1:{port}"
        # pywb runs in its own session, so it would outlive a crashed parent; stop it at exit.
        atexit.register(self.stop)
        deadline = time.monotonic() + max(timeout, 0.0)
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                break
            if self._answers():
                return True
            time.sleep(0.1)
        self.stop()
        return False

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + _PROBE, timeout=2) as resp:
                return int(resp.status) == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def _log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop pywb (SIGTERM to its process group, SIGKILL after 5 s). Idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        logger.debug("pywb at %s stopped (exit %s)", self.base_url, proc.returncode)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> PywbServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m crawler.pywb_server WARC... [--workdir DIR] [--port N]``: serve until ^C."""
    parser = argparse.ArgumentParser(description="Serve WARC files with a local pywb.")
    parser.add_argument("warcs", nargs="+", type=Path, help="WARC files to serve")
    parser.add_argument("--workdir", type=Path, default=Path("pywb-root"), help="pywb root")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = PywbServer(args.warcs, args.workdir, port=args.port)
    # SIGTERM must unwind like ^C so that pywb (in its own process group) is stopped too.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        url = server.start()
    except PywbError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{url}/cdx/search/cdx?url=...&output=json   {url}/web/<ts>id_/<url>", flush=True)
    try:
        while server.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Open a page in a real headless Chromium and say what a reader would see.

Speaks the DevTools protocol over a websocket: loads the page, waits for its load event,
then reports every image's natural size and every console error, uncaught exception and
failed request. Chromium comes from the system packages (scripts/install-system-deps.sh).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

IMAGES_JS = """JSON.stringify({
  title: document.title,
  images: Array.from(document.images).map(i => ({
    alt: i.alt, complete: i.complete, width: i.naturalWidth, height: i.naturalHeight})),
  tables: document.querySelectorAll('table').length,
})"""


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return shutil.which(explicit) or explicit
    for name in CANDIDATES:
        if path := shutil.which(name):
            return path
    return None


@dataclass
class PageCheck:
    title: str = ""
    images: list[dict[str, Any]] = field(default_factory=list)
    tables: int = 0
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, failed loads


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], timeout: float) -> int:
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with status {proc.returncode}")
        if marker.exists() and (text := marker.read_text().split()):
            return int(text[0])
        time.sleep(0.05)
    raise TimeoutError("chromium did not open its DevTools port")


async def _inspect(ws_url: str, page_url: str, timeout: float) -> PageCheck:
    from websockets.asyncio.client import connect

    check = PageCheck()
    async with connect(ws_url, max_size=None) as ws:
        ids = iter(range(1, 1_000_000))
        replies: dict[int, dict[str, Any]] = {}
        loaded = asyncio.Event()

        async def send(method: str, **params: Any) -> dict[str, Any]:
            n = next(ids)
            await ws.send(json.dumps({"id": n, "method": method, "params": params}))
            while n not in replies:
                await _read_one()
            return replies.pop(n)

        async def _read_one() -> None:
            msg = json.loads(await ws.recv())
            if "id" in msg:
                replies[msg["id"]] = msg
                return
            method, p = msg.get("method"), msg.get("params", {})
            if method == "Page.loadEventFired":
                loaded.set()
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                check.errors.append(f"console.{p['type']}: {args}")
            elif method == "Runtime.exceptionThrown":
                check.errors.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
                check.errors.append(f"log: {p['entry'].get('text')}")
            elif method == "Network.loadingFailed":
                check.errors.append(f"load failed: {p.get('errorText')}")

        for domain in ("Page", "Runtime", "Log", "Network"):
            await send(f"{domain}.enable")
        await send("Page.navigate", url=page_url)
        async with asyncio.timeout(timeout):
            while not loaded.is_set():
                await _read_one()
        reply = await send("Runtime.evaluate", expression=IMAGES_JS, returnByValue=True)
        facts = json.loads(reply["result"]["result"]["value"])
        check.title, check.images, check.tables = facts["title"], facts["images"], facts["tables"]
        # messages logged right after load (a late script error) still count
        try:
            async with asyncio.timeout(0.3):
                while True:
                    await _read_one()
        except TimeoutError:
            pass
    return check


def check_page(chromium: str, page: Path, timeout: float = 30.0) -> PageCheck:
    """Load ``page`` (a local file) in headless Chromium and report what rendered."""
    # Chromium's helper processes can still write to the profile as it is removed
    with tempfile.TemporaryDirectory(
        prefix="policyarchive-chromium-", ignore_cleanup_errors=True
    ) as tmp:
        profile = Path(tmp)
        proc = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",  # root in containers and CI has no usable sandbox
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = _devtools_port(profile, proc, timeout)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                targets = json.load(r)
            ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
            return asyncio.run(_inspect(ws_url, page.resolve().as_uri(), timeout))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

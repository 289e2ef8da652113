"""A farm of many small live sites for crawl tests: host<i>.farm.example, each with a
homepage that links its privacy policy, served by :class:`tests.servers.LiveSiteServer`."""

from __future__ import annotations

from pathlib import Path

_TOPICS = ("newsletter", "orders", "support", "analytics", "accounts", "payments", "events")

POLICY_TEMPLATE = """<!doctype html><html lang="en">
<head><title>Privacy Policy - {name}</title></head><body>
<nav><a href="/">Home</a></nav><main><h1>Privacy Policy</h1>
<p>This privacy policy explains how {name} collects, uses and shares personal information
when you use our website and our {topic} service. We respect your privacy.</p>
<h2>Information we collect</h2>
<p>We collect the personal data you give us, such as your name, email address and postal
address, and information collected automatically, such as your IP address, browser type
and cookies, when you visit the site number {i}.</p>
<h2>How we use your information</h2>
<p>We use personal information to provide the {topic} service, to answer your requests, to
improve our website and, with your consent, to send you marketing emails.</p>
<h2>Sharing with third parties</h2>
<p>We do not sell your personal data. We share it with service providers who process it on
our behalf, and with authorities when the law requires it.</p>
<h2>Your rights and choices</h2>
<p>You may access, correct or delete your personal data, and opt out of marketing at any
time, by writing to privacy@{host}. We keep your data for no longer than two years.</p>
</main></body></html>
"""

_HOME = """<!doctype html><html lang="en"><head><title>{name}</title></head><body>
<h1>Welcome to {name}</h1><p>Our {topic} service, number {i}.</p>
<footer><a href="/about.html">About us</a> <a href="/privacy.html">Privacy Policy</a></footer>
</body></html>
"""


def build_farm(root: Path, n: int) -> list[str]:
    """Write ``n`` sites under ``root``; returns their hosts."""
    hosts = []
    for i in range(n):
        host = f"host{i:04d}.farm.example"
        site = root / host
        site.mkdir(parents=True, exist_ok=True)
        fields = {"i": i, "host": host, "name": f"Farm {i}", "topic": _TOPICS[i % len(_TOPICS)]}
        (site / "index.html").write_text(_HOME.format(**fields))
        (site / "privacy.html").write_text(POLICY_TEMPLATE.format(**fields))
        hosts.append(host)
    return hosts

"""Fault injection for the crawler: servers on 127.0.0.1 that misbehave on purpose.

- :mod:`tests.faults.payloads` builds the bad bodies (bombs, deep HTML, bad charsets, ...).
- :mod:`tests.faults.server` plays many misbehaving "live sites" on one port, one per host.
- :mod:`tests.faults.archive` plays a Wayback-shaped archive with fault cases, and replays
  the recorded real Wayback responses (YAML cassettes) by request path.
- :mod:`tests.faults.report` counts what the fault tests observed and prints the summary
  line at the end of the test run.
"""

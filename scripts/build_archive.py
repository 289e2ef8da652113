"""Build a gzipped WARC from a JSON capture spec (see pipelines/storage/warcbuild.py).

    .venv/bin/python scripts/build_archive.py SPEC OUT.warc.gz

Examples:
    .venv/bin/python scripts/build_archive.py crawler/demo/archive.json /tmp/demo.warc.gz
    .venv/bin/python scripts/build_archive.py tests/fixtures/archive/spec.json /tmp/fx.warc.gz

The same spec always gives byte-identical output; the sha256 printed lets you check that.
Exit status: 0 on success, 1 when the spec is invalid.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from pipelines.storage.warcbuild import SpecError, build_warc, load_spec  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build a deterministic gzipped WARC from a JSON capture spec."
    )
    parser.add_argument("spec", type=Path, help="JSON spec: {'captures': [...]}")
    parser.add_argument("out", type=Path, help="output file, e.g. archive.warc.gz")
    args = parser.parse_args(argv)
    try:
        captures = load_spec(args.spec)
        build_warc(captures, args.out)
    except (SpecError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    urls = len({c.url for c in captures})
    print(
        f"wrote {len(captures)} captures of {urls} URLs to {args.out} "
        f"({args.out.stat().st_size} bytes, sha256 {digest})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

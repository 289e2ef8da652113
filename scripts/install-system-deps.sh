#!/bin/sh
# System packages the project needs beyond Python (Debian/Ubuntu names), for `make setup`.
# Idempotent: installs only what is missing, and only as root; otherwise it says what to run
# and leaves the rest of the setup alone (tests that need a missing tool skip, saying why).
# Append a line to DEPS for a new dependency: "<command it provides> <apt package>".
set -eu

DEPS="
chromium chromium
redis-server redis-server
"

missing=""
while read -r cmd pkg; do
    [ -n "$cmd" ] || continue
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done <<END
$DEPS
END

if [ -z "$missing" ]; then
    echo "system packages: all present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system packages missing:$missing; not root, so not installing them." >&2
    echo "  install with: sudo apt-get install -y$missing   (tests that need them skip)" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages missing:$missing; no apt-get here: install them with your" \
        "package manager (tests that need them skip)." >&2
    exit 0
fi
echo "installing system packages:$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086  # one word per package
if ! { apt-get update -q && apt-get install -y -q --no-install-recommends $missing; }; then
    echo "could not install:$missing (see apt-get's message above)." >&2
    exit 1
fi

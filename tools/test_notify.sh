#!/usr/bin/env bash
# Notifications end to end: a real local SMTP server (Python's aiosmtpd, installed from PyPI when
# missing) and a local HTTP webhook receiver record what `defter serve --notify-config` sends;
# the script checks the messages, feedback, a SIGKILL mid-batch (each message exactly once),
# erasure and an unreachable server (retries, then a recorded failure). About a minute.
# Usage: tools/test_notify.sh DEFTER_BINARY        (KEEP_TMP=1 keeps the data and the logs)
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $# -ge 1 ]] || { echo "usage: $0 DEFTER_BINARY" >&2; exit 2; }
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    echo "test_notify: installing aiosmtpd" >&2
    python3 -m pip install --quiet aiosmtpd 2>/dev/null || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi
exec python3 tools/notify/test_notify.py "$1"

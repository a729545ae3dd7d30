#!/usr/bin/env bash
# Create the reference virtualenv for differential tests: pcapy-ng 2.1.0, the
# maintained fork of pcapy, built from its sdist (needs gcc and libpcap-dev).
# Built from source on purpose: PyPI's manylinux wheel bundles libpcap 1.9.1,
# whose messages differ from the system libpcap that our package links against.
#
# usage: tools/refenv.sh [VENV_DIR]   (default: <repo>/.venv-ref)
#
# Idempotent: does nothing when VENV_DIR/bin/python can already import pcapy
# (built from source).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$repo/.venv-ref}"

# A wheel install (bundled libpcap under pcapy_ng.libs/) does not count as done.
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import pcapy' 2>/dev/null \
    && ! compgen -G "$venv/lib/python3*/site-packages/pcapy_ng.libs" >/dev/null; then
    exit 0
fi

echo "refenv: creating $venv with pcapy-ng 2.1.0" >&2
python3 -m venv "$venv"
# Log pip's output and show it only on failure, so the Makefile stays quiet.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! "$venv/bin/python" -m pip install --quiet --no-input --force-reinstall \
        --no-binary pcapy-ng pcapy-ng==2.1.0 >"$log" 2>&1; then
    cat "$log" >&2
    echo "refenv: pip install pcapy-ng==2.1.0 failed (gcc and libpcap-dev installed?)" >&2
    exit 1
fi
"$venv/bin/python" -c 'import pcapy' || { echo "refenv: pcapy does not import in $venv" >&2; exit 1; }

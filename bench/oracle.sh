#!/bin/sh
# Prints the bin folder of the pinned ansible-core venv that the differential tests use
# (/var/cache/rplay/oracle-<first 12 hex of sha256(tests/oracle/requirements.txt)>), creating it
# first if it is missing. Run from the repository root; the benchmarks call it.
set -eu
req=tests/oracle/requirements.txt
venv=/var/cache/rplay/oracle-$(sha256sum "$req" | cut -c1-12)
if [ ! -f "$venv/rplay-requirements.txt" ] || ! cmp -s "$req" "$venv/rplay-requirements.txt"; then
    mkdir -p /var/cache/rplay
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    cp "$req" "$venv/rplay-requirements.txt"
fi
echo "$venv/bin"

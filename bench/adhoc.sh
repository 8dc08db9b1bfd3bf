#!/usr/bin/env bash
# `radhoc all -m setup` on a fleet of light lab hosts: wall-clock time and peak memory (RSS of the
# controller process, from /usr/bin/time -v), then the same for ansible's `ansible all -m setup` on
# a smaller python lab when ANSIBLE_HOSTS > 0. Not a test: figures depend on the machine.
#
#   bench/adhoc.sh [HOSTS] [ANSIBLE_HOSTS] [FORKS]     (defaults: 200 hosts, 20 for ansible, 50 forks)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-200}
ansible_hosts=${2:-20}
forks=${3:-50}
cargo build --release --quiet --bin radhoc --bin rlab
bin=target/release
oracle=$(sh bench/oracle.sh)
cfg=$(mktemp --suffix .cfg)
trap 'rm -f "$cfg"; "$bin/rlab" --lab adhocbench down >/dev/null 2>&1 || true; "$bin/rlab" --lab adhocbenchpy down >/dev/null 2>&1 || true' EXIT

# Runs "$@" under /usr/bin/time -v; prints "<label> hosts=N ok=N seconds=S peak_rss_mb=M".
measure() {
    local label=$1 count=$2; shift 2
    local log out
    log=$(mktemp)
    out=$(mktemp)
    /usr/bin/time -v "$@" >"$out" 2>"$log" || true
    local secs rss ok
    secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log" |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    ok=$(grep -c ' | SUCCESS => ' "$out" || true)
    printf '%-22s hosts=%-4s ok=%-4s seconds=%-8s peak_rss_mb=%.1f\n' \
        "$label" "$count" "$ok" "$secs" "$(echo "$rss / 1024" | bc -l)"
    rm -f "$log" "$out"
}

"$bin/rlab" --lab adhocbench up "$hosts" --light >/dev/null
inv=/var/lib/rlab/adhocbench/inventory.yml
export ANSIBLE_CONFIG=$cfg ANSIBLE_NOCOLOR=1
# Warm-up (page cache, sshd first-connection costs), then the measured run.
"$bin/radhoc" -i "$inv" all -m ping -f "$forks" >/dev/null 2>&1 || true
measure "radhoc setup" "$hosts" "$bin/radhoc" -i "$inv" all -m setup -f "$forks"
measure "radhoc setup (again)" "$hosts" "$bin/radhoc" -i "$inv" all -m setup -f "$forks"
"$bin/rlab" --lab adhocbench down >/dev/null

if [ "$ansible_hosts" -gt 0 ] && [ -x "$oracle/ansible" ]; then
    "$bin/rlab" --lab adhocbenchpy up "$ansible_hosts" --light --python >/dev/null
    pinv=/var/lib/rlab/adhocbenchpy/inventory.yml
    measure "radhoc setup" "$ansible_hosts" "$bin/radhoc" -i "$pinv" all -m setup -f "$forks"
    ANSIBLE_HOST_KEY_CHECKING=True measure "ansible setup" "$ansible_hosts" \
        "$oracle/ansible" -i "$pinv" all -m setup -f "$forks"
fi

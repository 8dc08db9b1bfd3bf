#!/usr/bin/env bash
# Side-by-side benchmark: the example project (playbooks/site.yml) run by ansible-playbook and by
# rplay on identical, fresh lab hosts. Each tool gets its own lab (same size, same image) so both
# converge from scratch; then each runs again on its converged hosts (the nightly no-change case).
# Prints wall-clock seconds and the ratio ansible/rplay. Not a test: figures depend on the machine.
#
#   bench/compare.sh [HOSTS] [LATENCY_MS]        (defaults: 4 hosts, 0 ms added latency)
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=${1:-4}
latency=${2:-0}
cargo build --release --quiet --bins
bin=target/release
# The same pinned ansible-core venv the differential tests use.
oracle=$(sh bench/oracle.sh)
labargs=(up "$hosts" --python)
[ "$latency" != 0 ] && labargs+=(--latency "$latency")
"$bin/rlab" --lab bench-ansible "${labargs[@]}" >/dev/null
"$bin/rlab" --lab bench-rplay "${labargs[@]}" >/dev/null
trap '"$bin/rlab" --lab bench-ansible down >/dev/null; "$bin/rlab" --lab bench-rplay down >/dev/null' EXIT

time_of() { # prints seconds taken by the command; its output goes to a log
    local log=$1; shift
    local start end
    start=$(date +%s.%N)
    "$@" >"$log" 2>&1 || true
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_NOCOLOR=1
out=$(mktemp -d)
a1=$(time_of "$out/ansible-1.log" "$oracle/ansible-playbook" -i /var/lib/rlab/bench-ansible/inventory.yml playbooks/site.yml)
r1=$(time_of "$out/rplay-1.log" "$bin/rplay" -i /var/lib/rlab/bench-rplay/inventory.yml playbooks/site.yml)
a2=$(time_of "$out/ansible-2.log" "$oracle/ansible-playbook" -i /var/lib/rlab/bench-ansible/inventory.yml playbooks/site.yml)
r2=$(time_of "$out/rplay-2.log" "$bin/rplay" -i /var/lib/rlab/bench-rplay/inventory.yml playbooks/site.yml)

printf '%-34s %10s %10s %8s\n' "playbooks/site.yml, $hosts hosts, +${latency}ms" ansible rplay ratio
printf '%-34s %9.2fs %9.2fs %7.1fx\n' "first run (converge)" "$a1" "$r1" "$(awk -v a="$a1" -v b="$r1" 'BEGIN { print a / b }')"
printf '%-34s %9.2fs %9.2fs %7.1fx\n' "second run (no change)" "$a2" "$r2" "$(awk -v a="$a2" -v b="$r2" 'BEGIN { print a / b }')"
echo "recaps:"
for f in ansible-1 rplay-1 ansible-2 rplay-2; do
    echo "  $f: $(grep -A"$hosts" 'PLAY RECAP' "$out/$f.log" | tail -n +2 | sed 's/  */ /g' | tr '\n' ';')"
done
echo "logs: $out"

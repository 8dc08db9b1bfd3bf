#!/bin/sh
# Benchmark (not a test): load a generated inventory of 10,000 hosts in 500 groups (under 10
# parent groups) with a group_vars/ file per group and a host_vars/ file per host, and print
# wall time and peak memory of `rinventory --list` and `ansible-inventory --list`.
#
# Usage: bench/inventory.sh [ansible-inventory path]   (run from the repository root)
# Needs GNU time at /usr/bin/time. Builds rinventory in release mode first.
set -eu

ORACLE=${1:-$(sh bench/oracle.sh)/ansible-inventory}
ROOT=$(pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet --bin rinventory
RINV="$ROOT/target/release/rinventory"

INV="$WORK/inventory"
mkdir -p "$INV/group_vars" "$INV/host_vars"
python3 - "$INV" <<'PY'
import os, sys
inv = sys.argv[1]
hosts_per_group = 20
with open(os.path.join(inv, "hosts.ini"), "w") as f:
    for g in range(500):
        f.write(f"[g{g:03d}]\n")
        for i in range(hosts_per_group):
            n = g * hosts_per_group + i
            f.write(f"h{n:05d}.example.com ansible_host=10.{n // 65536}.{(n // 256) % 256}.{n % 256} idx={n}\n")
        f.write(f"[g{g:03d}:vars]\ngroup_index={g}\nrole=role{g % 7}\n")
    for r in range(10):
        f.write(f"[region{r}:children]\n")
        for g in range(r * 50, r * 50 + 50):
            f.write(f"g{g:03d}\n")
        f.write(f"[region{r}:vars]\nregion=r{r}\n")
for g in range(500):
    with open(os.path.join(inv, "group_vars", f"g{g:03d}.yml"), "w") as f:
        f.write(f"ntp_servers: [ntp{g % 3}.example.com, ntp.example.org]\n")
        f.write(f"app:\n  port: {8000 + g}\n  enabled: yes\n  tags: [a, b, c]\n")
        f.write(f"description: group {g}\n")
with open(os.path.join(inv, "group_vars", "all.yml"), "w") as f:
    f.write("env: production\ndns: [1.1.1.1, 8.8.8.8]\n")
for n in range(10000):
    with open(os.path.join(inv, "host_vars", f"h{n:05d}.example.com.yml"), "w") as f:
        f.write(f"serial: SN{n:08d}\nrack: r{n % 40}\nweight: {n % 10}\n")
PY

measure() {
    name=$1
    shift
    /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > "$WORK/$name.json" 2> "$WORK/$name.err" || {
        echo "$name failed:"; cat "$WORK/$name.err"; return 1; }
    read -r secs user sys kb < "$WORK/time"
    printf '%-18s %8.2f s wall %8.2f s cpu (user+sys) %10.1f MiB peak\n' "$name" "$secs" \
        "$(echo "$user + $sys" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wall time suffers on a busy machine)"
echo "inventory: 10000 hosts, 500 groups + 10 parents, 501 group_vars files, 10000 host_vars files"
measure rinventory "$RINV" -i "$INV" --list
measure ansible-inventory "$ORACLE" -i "$INV" --list
if cmp -s "$WORK/rinventory.json" "$WORK/ansible-inventory.json"; then
    echo "outputs: identical"
else
    echo "outputs: DIFFERENT"
fi

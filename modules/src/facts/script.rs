//! The one POSIX shell script that gathers facts in one round trip: each collector is a framed
//! section of raw answers (files from /proc, /sys and /etc, `uname`, `ip`, `date`...), parsed on
//! the controller by the sibling modules. Collectors not asked for are left out.

use crate::shell::{quote, ProbeScript};

/// Builds the probe for the collectors in `wanted` (names from [`super::COLLECTORS`]).
pub fn build(wanted: &[&str], fact_path: &str) -> ProbeScript {
    let mut p = ProbeScript::new();
    p.prelude("export LANG=C LC_ALL=C");
    let has = |c: &str| wanted.contains(&c);
    if has("platform") {
        p.section(
            "uname",
            "uname -s; uname -r; uname -v; uname -m; uname -n; getconf LONG_BIT 2>/dev/null || echo; \
             hostname -f 2>/dev/null || hostname 2>/dev/null || uname -n; hostname 2>/dev/null || uname -n",
        );
        p.section(
            "machine_id",
            "cat /etc/machine-id 2>/dev/null || cat /var/lib/dbus/machine-id 2>/dev/null; :",
        );
    }
    if has("distribution") {
        p.section(
            "os_release",
            "cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; :",
        );
        p.section(
            "dist_files",
            "for f in /etc/debian_version /etc/redhat-release /etc/alpine-release /etc/arch-release /etc/SuSE-release /etc/gentoo-release; do \
             if [ -f $f ]; then echo \"==$f\"; head -n 5 $f; fi; done; :",
        );
    }
    if has("lsb") {
        p.section(
            "lsb",
            "if command -v lsb_release >/dev/null 2>&1; then lsb_release -a 2>/dev/null; \
             elif [ -f /etc/lsb-release ]; then cat /etc/lsb-release; fi; :",
        );
    }
    if has("date_time") {
        p.section(
            "date",
            "date '+%Y|%m|%d|%H|%M|%S|%s|%Z|%z|%A|%a|%B|%b|%j|%u|%W|%w|%N'; date -u '+%Y|%m|%d|%H|%M|%S'",
        );
    }
    if has("env") {
        p.section("env", "env");
    }
    if has("user") {
        p.section(
            "user",
            "u=$(id -un); printf '%s\\n' \"$u\"; id -u; id -g; getent passwd -- \"$u\" | cut -d: -f5-7; id -ru; id -rg",
        );
    }
    if has("dns") {
        p.section("resolv", "cat /etc/resolv.conf 2>/dev/null; :");
    }
    if has("pkg_mgr") {
        p.section(
            "pkg_mgr",
            "for m in dnf5 dnf yum apt-get zypper apk pacman emerge pkg; do if command -v $m >/dev/null 2>&1; then echo $m; break; fi; done; :",
        );
    }
    if has("service_mgr") {
        p.section(
            "service_mgr",
            "cat /proc/1/comm 2>/dev/null; [ -d /run/systemd/system ] && echo systemd-running; \
             [ -x /sbin/openrc ] && echo openrc; [ -f /etc/init.d/rc ] && echo initd; :",
        );
    }
    if has("python") {
        p.section(
            "python",
            "for py in python3 python /usr/libexec/platform-python; do if command -v $py >/dev/null 2>&1; then \
             command -v $py; $py -c 'import sys; print(\"%d %d %d %s %d\" % tuple(sys.version_info[:5]))' 2>/dev/null; break; fi; done; :",
        );
    }
    if has("selinux") {
        p.section(
            "selinux",
            "if command -v getenforce >/dev/null 2>&1 && [ -d /sys/fs/selinux ]; then getenforce; \
             sed -n 's/^SELINUXTYPE=//p' /etc/selinux/config 2>/dev/null; sed -n 's/^SELINUX=//p' /etc/selinux/config 2>/dev/null; \
             cat /sys/fs/selinux/policyvers 2>/dev/null; fi; :",
        );
    }
    if has("apparmor") {
        p.section(
            "apparmor",
            "[ -d /sys/kernel/security/apparmor ] && echo enabled; :",
        );
    }
    if has("fips") {
        p.section("fips", "cat /proc/sys/crypto/fips_enabled 2>/dev/null; :");
    }
    if has("cmdline") {
        p.section("cmdline", "cat /proc/cmdline 2>/dev/null; :");
    }
    if has("ssh_pub_keys") {
        p.section(
            "ssh_keys",
            "for f in /etc/ssh/ssh_host_*_key.pub; do [ -f \"$f\" ] && { printf '%s ' \"$f\"; cat \"$f\"; }; done; :",
        );
    }
    if has("chroot") {
        p.section(
            "chroot",
            "if [ -r /proc/1/root/. ]; then a=$(stat -c %d:%i / 2>/dev/null); b=$(stat -c %d:%i /proc/1/root/. 2>/dev/null); \
             [ \"$a\" = \"$b\" ] && echo no || echo yes; fi; :",
        );
    }
    if has("local") {
        p.section(
            "local",
            &format!(
                "d={}; for f in \"$d\"/*.fact; do [ -f \"$f\" ] || continue; printf '::fact::%s\\n' \"$f\"; \
                 if [ -x \"$f\" ]; then \"$f\" 2>/dev/null; else cat \"$f\"; fi; echo; done; :",
                quote(fact_path)
            ),
        );
    }
    if has("hardware") {
        p.section("cpuinfo", "cat /proc/cpuinfo 2>/dev/null; :");
        p.section("nproc", "nproc 2>/dev/null; :");
        p.section("meminfo", "cat /proc/meminfo 2>/dev/null; :");
        p.section("uptime", "cat /proc/uptime 2>/dev/null; :");
        p.section(
            "mounts",
            "cat /proc/mounts 2>/dev/null; echo '::statfs::'; \
             awk '{print $2}' /proc/mounts 2>/dev/null | while read -r m; do m=$(printf '%b' \"$m\"); \
             stat -f -c '%S|%b|%a|%f|%c|%d|%n' -- \"$m\" 2>/dev/null; done; echo '::uuids::'; \
             ls -l /dev/disk/by-uuid/ 2>/dev/null | awk 'NF>=11 {print $9\" \"$11}'; :",
        );
        p.section(
            "dmi",
            "for k in bios_date bios_vendor bios_version board_asset_tag board_name board_serial board_vendor board_version \
             chassis_asset_tag chassis_serial chassis_vendor chassis_version product_name product_serial product_uuid \
             product_version sys_vendor; do printf '%s=' $k; cat /sys/devices/virtual/dmi/id/$k 2>/dev/null || echo; done; :",
        );
    }
    if has("network") {
        p.section("ip_addr", "ip -o addr show 2>/dev/null; :");
        p.section("ip_link", "ip -o link show 2>/dev/null; :");
        p.section("ip_route4", "ip -4 route get 8.8.8.8 2>/dev/null; :");
        p.section(
            "ip_route6",
            "ip -6 route get 2001:4860:4860::8888 2>/dev/null; :",
        );
        p.section(
            "ip_local",
            "ip -4 route show table local 2>/dev/null; ip -6 route show table local 2>/dev/null; :",
        );
        p.section(
            "sys_net",
            "for d in /sys/class/net/*; do [ -e \"$d\" ] || continue; n=${d##*/}; \
             printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\\n' \"$n\" \"$(cat $d/type 2>/dev/null)\" \"$(cat $d/speed 2>/dev/null)\" \
             \"$(basename \"$(readlink $d/device/driver/module 2>/dev/null)\" 2>/dev/null)\" \"$(cat $d/flags 2>/dev/null)\" \
             \"$( [ -d $d/bridge ] && echo bridge; [ -d $d/bonding ] && echo bonding; :)\" \"$(cat $d/address 2>/dev/null)\" \
             \"$(cat $d/mtu 2>/dev/null)\" \"$(cat $d/operstate 2>/dev/null)\" \"$( [ -e $d/device ] && basename \"$(readlink $d/device)\")\"; done; :",
        );
    }
    if has("virtual") {
        p.section(
            "virtual",
            "cat /run/systemd/container 2>/dev/null && echo; \
             tr '\\0' '\\n' < /proc/1/environ 2>/dev/null | sed -n 's/^container=/container=/p'; \
             [ -f /.dockerenv ] && echo dockerenv; [ -f /run/.containerenv ] && echo podman; \
             command -v systemd-detect-virt >/dev/null 2>&1 && echo \"detect=$(systemd-detect-virt 2>/dev/null)\"; \
             cat /sys/devices/virtual/dmi/id/product_name 2>/dev/null | sed 's/^/product=/'; \
             cat /sys/devices/virtual/dmi/id/sys_vendor 2>/dev/null | sed 's/^/vendor=/'; \
             grep -q '^flags.* hypervisor' /proc/cpuinfo 2>/dev/null && echo hypervisor; :",
        );
    }
    p
}

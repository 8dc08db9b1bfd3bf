//! Parsers for Ansible's `hardware` facts: processors, memory, swap, uptime, load, mounts (with
//! statvfs sizes) and DMI identity (product_name, system_vendor, bios_*...).

use crate::shell::Sections;
use crate::{Map, Value};

fn text(s: &Sections, name: &str) -> String {
    s.opt(name).map(|x| x.text()).unwrap_or_default()
}

fn put(m: &mut Map, k: &str, v: impl Into<Value>) {
    m.insert(k.to_string(), v.into());
}

/// processor, processor_count, processor_cores, processor_threads_per_core, processor_vcpus,
/// processor_nproc, flags.
pub fn cpu(s: &Sections, out: &mut Map) {
    let info = text(s, "cpuinfo");
    let mut processor = Vec::new();
    let mut sockets: Vec<String> = Vec::new();
    let mut cores_per_socket = 0i64;
    let mut siblings = 0i64;
    let mut vcpus = 0i64;
    let mut flags: Option<Vec<Value>> = None;
    let mut vendor = String::new();
    for line in info.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "processor" => {
                vcpus += 1;
                processor.push(Value::from(v));
            }
            "vendor_id" => {
                vendor = v.to_string();
                processor.push(Value::from(v));
            }
            "model name" | "Processor" | "cpu model" => processor.push(Value::from(v)),
            "physical id" => {
                if !sockets.iter().any(|x| x == v) {
                    sockets.push(v.to_string());
                }
            }
            "cpu cores" => cores_per_socket = v.parse().unwrap_or(0),
            "siblings" => siblings = v.parse().unwrap_or(0),
            "flags" | "Features" if flags.is_none() => {
                flags = Some(v.split_whitespace().map(Value::from).collect());
            }
            _ => {}
        }
    }
    let _ = vendor;
    let count = if sockets.is_empty() {
        vcpus.max(1)
    } else {
        sockets.len() as i64
    };
    let cores = if cores_per_socket > 0 {
        cores_per_socket
    } else {
        1
    };
    let threads = if siblings > 0 && cores > 0 {
        (siblings / cores).max(1)
    } else {
        1
    };
    let nproc = text(s, "nproc").trim().parse::<i64>().unwrap_or(vcpus);
    put(out, "processor", Value::Array(processor));
    put(out, "processor_count", count);
    put(out, "processor_cores", cores);
    put(out, "processor_threads_per_core", threads);
    put(
        out,
        "processor_vcpus",
        if sockets.is_empty() {
            vcpus
        } else {
            count * cores * threads
        },
    );
    put(out, "processor_nproc", nproc);
    if let Some(f) = flags {
        put(out, "flags", Value::Array(f));
    }
}

/// memtotal_mb, memfree_mb, swaptotal_mb, swapfree_mb, memory_mb.
pub fn memory(s: &Sections, out: &mut Map) {
    let info = text(s, "meminfo");
    let kb = |key: &str| -> i64 {
        info.lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                (k.trim() == key).then(|| v.split_whitespace().next()?.parse::<i64>().ok())?
            })
            .unwrap_or(0)
    };
    let mb = |v: i64| v / 1024;
    let total = mb(kb("MemTotal"));
    let free = mb(kb("MemFree"));
    let buffers = mb(kb("Buffers"));
    let cached = mb(kb("Cached"));
    let swap_total = mb(kb("SwapTotal"));
    let swap_free = mb(kb("SwapFree"));
    let swap_cached = mb(kb("SwapCached"));
    let nocache_free = free + buffers + cached;
    put(out, "memtotal_mb", total);
    put(out, "memfree_mb", free);
    put(out, "swaptotal_mb", swap_total);
    put(out, "swapfree_mb", swap_free);
    let mut real = Map::new();
    real.insert("free".into(), Value::from(free));
    real.insert("total".into(), Value::from(total));
    real.insert("used".into(), Value::from(total - free));
    let mut nocache = Map::new();
    nocache.insert("free".into(), Value::from(nocache_free));
    nocache.insert("used".into(), Value::from(total - nocache_free));
    let mut swap = Map::new();
    swap.insert("cached".into(), Value::from(swap_cached));
    swap.insert("free".into(), Value::from(swap_free));
    swap.insert("total".into(), Value::from(swap_total));
    swap.insert("used".into(), Value::from(swap_total - swap_free));
    let mut m = Map::new();
    m.insert("nocache".into(), Value::Object(nocache));
    m.insert("real".into(), Value::Object(real));
    m.insert("swap".into(), Value::Object(swap));
    put(out, "memory_mb", Value::Object(m));
}

/// uptime_seconds.
pub fn uptime(s: &Sections, out: &mut Map) {
    if let Some(v) = text(s, "uptime")
        .split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
    {
        put(out, "uptime_seconds", v as i64);
    }
}

/// Decodes `\040`-style escapes of /proc/mounts.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// mounts: real devices only (device paths and network shares), with statvfs sizes.
pub fn mounts(s: &Sections, out: &mut Map) {
    let t = text(s, "mounts");
    let (table, rest) = t.split_once("::statfs::\n").unwrap_or((t.as_str(), ""));
    let (statfs, uuids) = rest.split_once("::uuids::\n").unwrap_or((rest, ""));
    let stats: Vec<Vec<&str>> = statfs.lines().map(|l| l.splitn(7, '|').collect()).collect();
    let uuid_of = |dev: &str| -> String {
        for l in uuids.lines() {
            if let Some((u, target)) = l.split_once(' ') {
                let name = target.rsplit('/').next().unwrap_or(target);
                if dev.rsplit('/').next() == Some(name) {
                    return u.to_string();
                }
            }
        }
        "N/A".into()
    };
    let mut list = Vec::new();
    for line in table.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 {
            continue;
        }
        let (device, mount, fstype, options) = (unescape(f[0]), unescape(f[1]), f[2], f[3]);
        if (!device.starts_with('/') && !device.contains(":/")) || fstype == "none" {
            continue;
        }
        let mut m = Map::new();
        if let Some(st) = stats.iter().find(|st| st.len() == 7 && st[6] == mount) {
            let n = |i: usize| st[i].parse::<i64>().unwrap_or(0);
            let (bsize, blocks, avail, free, inodes, ifree) = (n(0), n(1), n(2), n(3), n(4), n(5));
            m.insert("block_available".into(), Value::from(avail));
            m.insert("block_size".into(), Value::from(bsize));
            m.insert("block_total".into(), Value::from(blocks));
            m.insert("block_used".into(), Value::from(blocks - free));
            m.insert("device".into(), Value::from(device.clone()));
            m.insert(
                "dump".into(),
                Value::from(f.get(4).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)),
            );
            m.insert("fstype".into(), Value::from(fstype));
            m.insert("inode_available".into(), Value::from(ifree));
            m.insert("inode_total".into(), Value::from(inodes));
            m.insert("inode_used".into(), Value::from(inodes - ifree));
            m.insert("mount".into(), Value::from(mount.clone()));
            m.insert("options".into(), Value::from(options));
            m.insert(
                "passno".into(),
                Value::from(f.get(5).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)),
            );
            m.insert("size_available".into(), Value::from(avail * bsize));
            m.insert("size_total".into(), Value::from(blocks * bsize));
            m.insert("uuid".into(), Value::from(uuid_of(&device)));
        } else {
            m.insert("device".into(), Value::from(device.clone()));
            m.insert("fstype".into(), Value::from(fstype));
            m.insert("mount".into(), Value::from(mount.clone()));
            m.insert("options".into(), Value::from(options));
            m.insert("uuid".into(), Value::from(uuid_of(&device)));
        }
        list.push(Value::Object(m));
    }
    put(out, "mounts", Value::Array(list));
}

/// DMI identity facts; "NA" when the host has no DMI (containers).
pub fn dmi(s: &Sections, out: &mut Map) {
    let t = text(s, "dmi");
    for line in t.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = if v.is_empty() { "NA" } else { v };
        let key = match k {
            "sys_vendor" => "system_vendor",
            other => other,
        };
        put(out, key, v);
    }
    if out.get("chassis_vendor").is_some() && !out.contains_key("form_factor") {
        put(out, "form_factor", "NA");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::Section;

    fn secs(items: &[(&str, &str)]) -> Sections {
        let mut m = indexmap::IndexMap::new();
        for (k, v) in items {
            m.insert(
                k.to_string(),
                Section {
                    out: v.as_bytes().to_vec(),
                    rc: 0,
                },
            );
        }
        Sections(m)
    }

    #[test]
    fn cpu_and_memory() {
        let s = secs(&[
            ("cpuinfo", "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\nflags\t: fpu vme\n\nprocessor\t: 1\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\nflags\t: fpu vme\n"),
            ("nproc", "2\n"),
            ("meminfo", "MemTotal:       24683520 kB\nMemFree:          979968 kB\nBuffers:          100000 kB\nCached:         17000000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n"),
        ]);
        let mut m = Map::new();
        cpu(&s, &mut m);
        memory(&s, &mut m);
        assert_eq!(
            m["processor"],
            serde_json::json!([
                "0",
                "AuthenticAMD",
                "AMD EPYC",
                "1",
                "AuthenticAMD",
                "AMD EPYC"
            ])
        );
        assert_eq!(m["processor_count"], 1);
        assert_eq!(m["processor_cores"], 2);
        assert_eq!(m["processor_vcpus"], 2);
        assert_eq!(m["processor_threads_per_core"], 1);
        assert_eq!(m["memtotal_mb"], 24105);
        assert_eq!(m["memfree_mb"], 957);
    }

    #[test]
    fn mounts_keep_real_devices() {
        let s = secs(&[("mounts", "overlay / overlay rw 0 0\n/dev/vda /run/host/incoming ext4 rw,relatime 0 0\nproc /proc proc rw 0 0\n::statfs::\n4096|100|40|50|1000|900|/run/host/incoming\n::uuids::\n")]);
        let mut m = Map::new();
        mounts(&s, &mut m);
        let list = m["mounts"].as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["size_total"], 409600);
        assert_eq!(list[0]["block_used"], 50);
        assert_eq!(list[0]["uuid"], "N/A");
        assert_eq!(unescape("/mnt/a\\040b"), "/mnt/a b");
    }
}

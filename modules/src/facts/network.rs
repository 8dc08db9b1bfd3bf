//! Parsers for Ansible's `network` facts from `ip -o link`, `ip -o addr`, `ip route get` and
//! /sys/class/net: interfaces, one `<iface>` dict each, default_ipv4/ipv6, all_ipv4/ipv6_addresses
//! and locally_reachable_ips.

use crate::shell::Sections;
use crate::{Map, Value};

fn text(s: &Sections, name: &str) -> String {
    s.opt(name).map(|x| x.text()).unwrap_or_default()
}

/// Netmask text of an IPv4 prefix length.
fn netmask(prefix: u32) -> String {
    let m: u32 = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.min(32))
    };
    std::net::Ipv4Addr::from(m).to_string()
}

fn network(addr: &str, prefix: u32) -> String {
    let a: std::net::Ipv4Addr = addr.parse().unwrap_or(std::net::Ipv4Addr::UNSPECIFIED);
    let m: u32 = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.min(32))
    };
    std::net::Ipv4Addr::from(u32::from(a) & m).to_string()
}

/// The interface name of an `ip -o` line's second field (`eth0@if5:` -> `eth0`).
fn iface_name(field: &str) -> String {
    field
        .trim_end_matches(':')
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Fills `out` with the network facts. Returns the interface names in host order.
pub fn network_facts(s: &Sections, out: &mut Map) {
    let mut ifaces: indexmap::IndexMap<String, Map> = indexmap::IndexMap::new();
    // /sys/class/net: name|type|speed|module|flags|bridge-or-bonding
    for line in text(s, "sys_net").lines() {
        let f: Vec<&str> = line.split('|').collect();
        if f.is_empty() || f[0].is_empty() {
            continue;
        }
        let mut m = Map::new();
        m.insert("device".into(), Value::from(f[0]));
        let kind = match f.get(5).copied().unwrap_or_default().trim() {
            "bridge" => "bridge".to_string(),
            "bonding" => "bonding".to_string(),
            _ => match f.get(1).copied().unwrap_or_default() {
                "1" => "ether".to_string(),
                "772" => "loopback".to_string(),
                "512" => "ppp".to_string(),
                "768" | "776" | "778" => "tunnel".to_string(),
                "" => "unknown".to_string(),
                other => format!("unknown ({other})"),
            },
        };
        m.insert("type".into(), Value::from(kind));
        if let Some(sp) = f.get(2).and_then(|v| v.trim().parse::<i64>().ok()) {
            m.insert("speed".into(), Value::from(sp));
        }
        if let Some(module) = f.get(3).filter(|v| !v.trim().is_empty()) {
            m.insert("module".into(), Value::from(module.trim()));
        }
        if let Some(flags) = f
            .get(4)
            .and_then(|v| i64::from_str_radix(v.trim().trim_start_matches("0x"), 16).ok())
        {
            m.insert("promisc".into(), Value::Bool(flags & 0x100 != 0));
        }
        if let Some(mac) = f
            .get(6)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty() && *v != "00:00:00:00:00:00")
        {
            m.insert("macaddress".into(), Value::from(mac));
        }
        if let Some(mtu) = f.get(7).and_then(|v| v.trim().parse::<i64>().ok()) {
            m.insert("mtu".into(), Value::from(mtu));
        }
        if let Some(state) = f.get(8).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            m.insert("active".into(), Value::Bool(state != "down"));
        }
        if let Some(pci) = f.get(9).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            m.insert("pciid".into(), Value::from(pci));
        }
        ifaces.insert(f[0].to_string(), m);
    }
    for line in text(s, "ip_link").lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 3 {
            continue;
        }
        let name = iface_name(w[1]);
        let m = ifaces.entry(name.clone()).or_insert_with(|| {
            let mut m = Map::new();
            m.insert("device".into(), Value::from(name.clone()));
            m
        });
        let flags = w[2].trim_matches(|c| c == '<' || c == '>');
        let flags: Vec<&str> = flags.split(',').collect();
        m.entry("active")
            .or_insert(Value::Bool(flags.contains(&"UP")));
        m.entry("promisc")
            .or_insert(Value::Bool(flags.contains(&"PROMISC")));
        if let Some(i) = w.iter().position(|x| *x == "mtu") {
            if let Some(v) = w.get(i + 1).and_then(|v| v.parse::<i64>().ok()) {
                m.entry("mtu").or_insert(Value::from(v));
            }
        }
        if let Some(i) = w.iter().position(|x| x.starts_with("link/")) {
            let kind = w[i].trim_start_matches("link/");
            if kind != "loopback" && kind != "none" {
                if let Some(mac) = w.get(i + 1) {
                    m.entry("macaddress").or_insert(Value::from(*mac));
                }
            }
            if !m.contains_key("type") {
                m.insert(
                    "type".into(),
                    Value::from(if kind == "loopback" {
                        "loopback"
                    } else {
                        "ether"
                    }),
                );
            }
        }
    }
    let mut all4 = Vec::new();
    let mut all6 = Vec::new();
    for line in text(s, "ip_addr").lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 4 {
            continue;
        }
        let name = iface_name(w[1]);
        let Some(m) = ifaces.get_mut(&name) else {
            continue;
        };
        let (addr, prefix) = w[3]
            .split_once('/')
            .unwrap_or((w[3], if w[2] == "inet" { "32" } else { "128" }));
        let scope = w
            .iter()
            .position(|x| *x == "scope")
            .and_then(|i| w.get(i + 1))
            .copied()
            .unwrap_or("global");
        if w[2] == "inet" {
            let p: u32 = prefix.parse().unwrap_or(32);
            let brd = w
                .iter()
                .position(|x| *x == "brd")
                .and_then(|i| w.get(i + 1))
                .copied()
                .unwrap_or("");
            let mut v4 = Map::new();
            v4.insert("address".into(), Value::from(addr));
            v4.insert("broadcast".into(), Value::from(brd));
            v4.insert("netmask".into(), Value::from(netmask(p)));
            v4.insert("network".into(), Value::from(network(addr, p)));
            v4.insert("prefix".into(), Value::from(prefix));
            if m.contains_key("ipv4") {
                match m.get_mut("ipv4_secondaries") {
                    Some(Value::Array(a)) => a.push(Value::Object(v4)),
                    _ => {
                        m.insert(
                            "ipv4_secondaries".into(),
                            Value::Array(vec![Value::Object(v4)]),
                        );
                    }
                }
            } else {
                m.insert("ipv4".into(), Value::Object(v4));
            }
            if !addr.starts_with("127.") {
                all4.push(Value::from(addr));
            }
        } else if w[2] == "inet6" {
            let mut v6 = Map::new();
            v6.insert("address".into(), Value::from(addr));
            v6.insert("prefix".into(), Value::from(prefix));
            v6.insert("scope".into(), Value::from(scope));
            match m.get_mut("ipv6") {
                Some(Value::Array(a)) => a.push(Value::Object(v6)),
                _ => {
                    m.insert("ipv6".into(), Value::Array(vec![Value::Object(v6)]));
                }
            }
            if addr != "::1" {
                all6.push(Value::from(addr));
            }
        }
    }
    for (family, section, key) in [
        ("4", "ip_route4", "default_ipv4"),
        ("6", "ip_route6", "default_ipv6"),
    ] {
        let route = text(s, section);
        let w: Vec<&str> = route.split_whitespace().collect();
        let after = |k: &str| {
            w.iter()
                .position(|x| *x == k)
                .and_then(|i| w.get(i + 1))
                .map(|x| x.to_string())
        };
        let mut d = Map::new();
        if let Some(dev) = after("dev") {
            let iface = ifaces.get(&dev).cloned().unwrap_or_default();
            let src = after("src");
            if family == "4" {
                if let Some(Value::Object(v4)) = iface.get("ipv4") {
                    for (k, v) in v4 {
                        d.insert(k.clone(), v.clone());
                    }
                }
                if let Some(a) = &src {
                    d.insert("address".into(), Value::from(a.clone()));
                }
                d.insert("alias".into(), Value::from(dev.clone()));
            } else if let Some(Value::Array(v6)) = iface.get("ipv6") {
                let chosen = v6
                    .iter()
                    .find(|x| {
                        src.as_deref()
                            .is_some_and(|s| x.get("address").and_then(Value::as_str) == Some(s))
                    })
                    .or_else(|| v6.first());
                if let Some(Value::Object(o)) = chosen {
                    for (k, v) in o {
                        d.insert(k.clone(), v.clone());
                    }
                }
            }
            if let Some(g) = after("via") {
                d.insert("gateway".into(), Value::from(g));
            }
            d.insert("interface".into(), Value::from(dev.clone()));
            for k in ["macaddress", "mtu", "type"] {
                if let Some(v) = iface.get(k) {
                    d.insert(k.into(), v.clone());
                }
            }
            let mut sorted: Vec<(String, Value)> = d.into_iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            d = sorted.into_iter().collect();
        }
        out.insert(key.into(), Value::Object(d));
    }
    let mut reach4 = Vec::new();
    let mut reach6 = Vec::new();
    for line in text(s, "ip_local").lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.first() != Some(&"local") || w.len() < 2 {
            continue;
        }
        let v = Value::from(w[1]);
        if w[1].contains(':') {
            if !reach6.contains(&v) {
                reach6.push(v);
            }
        } else if !reach4.contains(&v) {
            reach4.push(v);
        }
    }
    if s.opt("ip_local").is_some() {
        let mut r = Map::new();
        r.insert("ipv4".into(), Value::Array(reach4));
        r.insert("ipv6".into(), Value::Array(reach6));
        out.insert("locally_reachable_ips".into(), Value::Object(r));
    }
    out.insert("all_ipv4_addresses".into(), Value::Array(all4));
    out.insert("all_ipv6_addresses".into(), Value::Array(all6));
    out.insert(
        "interfaces".into(),
        Value::Array(ifaces.keys().map(|k| Value::from(k.clone())).collect()),
    );
    for (name, m) in ifaces {
        let mut sorted: Vec<(String, Value)> = m.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let key = name.replace(['-', ':', '.'], "_");
        out.insert(key, Value::Object(sorted.into_iter().collect()));
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
    fn interfaces_and_default_route() {
        let s = secs(&[
            ("sys_net", "lo|772||||\neth0|1|1000|virtio_net|0x1003|\n"),
            ("ip_link", "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 02:fc:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n"),
            ("ip_addr", "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n1: lo    inet6 ::1/128 scope host \\       valid_lft forever\n2: eth0    inet 10.1.2.5/24 brd 10.1.2.255 scope global eth0\\ x\n2: eth0    inet6 fe80::1/64 scope link \\ x\n"),
            ("ip_route4", "8.8.8.8 via 10.1.2.1 dev eth0 src 10.1.2.5 uid 0\n    cache\n"),
            ("ip_route6", ""),
            ("ip_local", "local 127.0.0.0/8 dev lo proto kernel scope host src 127.0.0.1\nlocal 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1\nlocal ::1 dev lo proto kernel metric 0 pref medium\n"),
        ]);
        let mut m = Map::new();
        network_facts(&s, &mut m);
        assert_eq!(m["interfaces"], serde_json::json!(["lo", "eth0"]));
        assert_eq!(m["lo"]["ipv4"]["netmask"], "255.0.0.0");
        assert_eq!(m["lo"]["ipv4"]["broadcast"], "");
        assert_eq!(m["lo"]["type"], "loopback");
        assert!(m["lo"].get("macaddress").is_none());
        assert_eq!(m["eth0"]["macaddress"], "02:fc:00:00:00:01");
        assert_eq!(m["eth0"]["module"], "virtio_net");
        assert_eq!(m["default_ipv4"]["gateway"], "10.1.2.1");
        assert_eq!(m["default_ipv4"]["network"], "10.1.2.0");
        assert_eq!(m["default_ipv4"]["interface"], "eth0");
        assert_eq!(m["default_ipv6"], serde_json::json!({}));
        assert_eq!(m["all_ipv4_addresses"], serde_json::json!(["10.1.2.5"]));
        assert_eq!(m["all_ipv6_addresses"], serde_json::json!(["fe80::1"]));
        assert_eq!(
            m["locally_reachable_ips"]["ipv4"],
            serde_json::json!(["127.0.0.0/8", "127.0.0.1"])
        );
    }
}

//! Measures what a no-change task costs over rplay's SSH connection: connects to one host,
//! then runs N trivial commands in sequence through the pool and prints the timings, so
//! `bench/latency.sh` can compare them with the round-trip time of the link.
//!
//! Usage: conn_latency PORT KEY KNOWN_HOSTS [COUNT] [USER]

use std::time::Instant;

use rplay::connection::{ConnectOptions, ConnectionSpec, Pool};
use rplay_modules::Command;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: conn_latency PORT KEY KNOWN_HOSTS [COUNT] [USER]".into());
    }
    let count: usize = args.get(4).map(|c| c.parse()).transpose()?.unwrap_or(100);
    let user = args.get(5).cloned().unwrap_or_else(|| "root".into());
    let vars = json!({
        "ansible_host": "127.0.0.1",
        "ansible_port": args[1],
        "ansible_user": user,
        "ansible_ssh_private_key_file": args[2],
        "ansible_ssh_common_args": format!("-o UserKnownHostsFile={} -o IdentityAgent=none", args[3]),
    });
    let vars = vars.as_object().cloned().unwrap_or_default();
    let opts = ConnectOptions {
        ssh_config_file: Some("/dev/null".into()),
        ..ConnectOptions::default()
    };
    let spec = ConnectionSpec::from_vars("bench", &vars, &opts)?;
    let pool = Pool::new();
    let t0 = Instant::now();
    let host = pool.host(&spec, None).await?;
    let first = host.run(Command::new("true")).await?;
    let connect = t0.elapsed();
    if first.rc != 0 {
        return Err(format!("first command failed: {}", first.stderr_str()).into());
    }
    // The yardstick: bare SSH round trips on the same connection (median of 21).
    let mut pings = Vec::new();
    for _ in 0..21 {
        if let Some(rt) = pool.round_trip(&spec).await {
            pings.push(rt?.as_secs_f64() * 1000.0);
        }
    }
    pings.sort_by(|a, b| a.total_cmp(b));
    let rtt = pings.get(pings.len() / 2).copied().unwrap_or(0.0);
    let t1 = Instant::now();
    for _ in 0..count {
        // A typical no-change probe: stat a file and print what was found.
        let out = host
            .run(Command::new("stat -c '%a %U %G %s' /etc/hostname"))
            .await?;
        if out.rc != 0 {
            return Err(format!("probe failed: {}", out.stderr_str()).into());
        }
    }
    let total = t1.elapsed();
    pool.close_all().await;
    println!("connect_and_first_ms {:.1}", connect.as_secs_f64() * 1000.0);
    println!("commands {count}");
    println!("total_ms {:.1}", total.as_secs_f64() * 1000.0);
    let per = total.as_secs_f64() * 1000.0 / count as f64;
    println!("per_command_ms {per:.2}");
    println!("ssh_round_trip_ms {rtt:.2}");
    if rtt > 0.0 {
        println!("round_trips_per_command {:.3}", per / rtt);
    }
    Ok(())
}

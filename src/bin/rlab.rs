//! The `rlab` program: parse the command line, call [`rplay::lab`], print, pick the exit code.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rplay::lab::{self, LabPaths};

/// Throwaway Debian 12 test hosts (systemd-nspawn) on this machine, reachable over SSH on
/// 127.0.0.1. Hosts are named h1..hN; several labs can run at once (--lab).
#[derive(Parser)]
#[command(name = "rlab", version)]
struct Cli {
    /// Lab name: each lab has its own hosts, ports, namespaces and state (/var/lib/rlab/NAME).
    #[arg(long = "lab", env = "RLAB_LAB", default_value = lab::paths::DEFAULT_LAB, global = true)]
    lab: String,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start N hosts (replacing whatever this lab had) and wait until they answer SSH.
    Up {
        /// Number of hosts.
        #[arg(default_value_t = 2)]
        count: usize,
        /// sshd-only hosts without systemd, for scale tests.
        #[arg(long)]
        light: bool,
        /// Install python3 and python3-apt on the hosts (for ansible-playbook).
        #[arg(long)]
        python: bool,
        /// Add this round-trip delay (milliseconds) to every host's connection.
        #[arg(long, default_value_t = 0, value_name = "MS")]
        latency: u64,
        /// Use consecutive ports from this one instead of picking free ports.
        #[arg(long, value_name = "PORT")]
        first_port: Option<u16>,
        /// Give up if the hosts are not ready after this many seconds.
        #[arg(long, default_value_t = 180, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Stop every host of the lab and remove its state.
    Down,
    /// Show the lab's hosts, ports and whether they run.
    Status,
    /// Print the YAML inventory of the lab's hosts (also in /var/lib/rlab/NAME/inventory.yml).
    Inventory,
    /// Open an SSH session (or run CMD) on a host: `rlab ssh h1`, `rlab ssh deploy@h2 id`.
    Ssh {
        /// Host name, optionally with a user: h1, deploy@h1, ops@h1.
        host: String,
        /// Command to run instead of a login shell.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Build the cached base image now (done by `up` when needed).
    Image {
        /// Also build the image with python3 and python3-apt.
        #[arg(long)]
        python: bool,
    },
    /// Internal: the loopback forwarder of one host (started by `up`).
    #[command(hide = true)]
    Forward {
        /// The host's network namespace (a /run/netns path).
        #[arg(long)]
        netns: PathBuf,
        /// Round-trip delay in milliseconds.
        #[arg(long, default_value_t = 0)]
        latency: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rlab: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn log(message: &str) {
    eprintln!("rlab: {message}");
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let paths = LabPaths::new(&cli.lab)?;
    match cli.command {
        Cmd::Up {
            count,
            light,
            python,
            latency,
            first_port,
            timeout,
        } => {
            let started = std::time::Instant::now();
            let opts = lab::UpOptions {
                count,
                light,
                python,
                latency_ms: latency,
                first_port,
                timeout: Duration::from_secs(timeout),
            };
            let state = lab::up(&paths, &opts, &log)?;
            log(&format!(
                "lab {:?}: {} host(s) ready in {:.1} s; inventory: {}",
                state.name,
                state.hosts.len(),
                started.elapsed().as_secs_f64(),
                state.inventory.display()
            ));
        }
        Cmd::Down => lab::down(&paths, &log)?,
        Cmd::Status => {
            let (state, hosts) = lab::status(&paths)?;
            println!(
                "lab {} ({} hosts{}{}{}), inventory {}",
                state.name,
                state.hosts.len(),
                if state.light { ", light" } else { "" },
                if state.python { ", python" } else { "" },
                if state.latency_ms > 0 {
                    format!(", +{} ms", state.latency_ms)
                } else {
                    String::new()
                },
                state.inventory.display()
            );
            println!("{:<6} {:<6} {:<22} STATE", "HOST", "PORT", "MACHINE");
            let mut all_up = true;
            for h in hosts {
                let st = match (h.running, h.forwarding) {
                    (true, true) => "running",
                    (true, false) => "running, forwarder dead",
                    (false, _) => "stopped",
                };
                all_up &= h.running && h.forwarding;
                println!(
                    "{:<6} {:<6} {:<22} {}",
                    h.host.name, h.host.port, h.host.machine, st
                );
            }
            if !all_up {
                return Ok(ExitCode::from(3));
            }
        }
        Cmd::Inventory => {
            let state = lab::LabState::load(&paths)?;
            print!("{}", lab::inventory::render(&state));
        }
        Cmd::Ssh { host, command } => {
            use std::io::IsTerminal;
            use std::os::unix::process::CommandExt;
            let state = lab::LabState::load(&paths)?;
            let (user, name) = host.split_once('@').unwrap_or(("root", host.as_str()));
            let h = state.host(name)?;
            let mut cmd = lab::ssh::command(&state, h, user);
            if command.is_empty() && std::io::stdin().is_terminal() {
                cmd.arg("-t");
            }
            if !command.is_empty() {
                cmd.arg("--").args(&command);
            }
            let err = cmd.exec();
            anyhow::bail!("cannot run ssh: {err}");
        }
        Cmd::Image { python } => {
            lab::lifecycle::preflight()?;
            let cache = lab::paths::CachePaths::standard();
            let flavor = if python {
                lab::image::Flavor::Python
            } else {
                lab::image::Flavor::Plain
            };
            let dir = lab::image::ensure_image(&cache, flavor, &log)?;
            println!("{}", dir.display());
        }
        Cmd::Forward { netns, latency } => lab::forward::run(&netns, latency)?,
    }
    Ok(ExitCode::SUCCESS)
}

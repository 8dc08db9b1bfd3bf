//! The loopback forwarder: a small tokio proxy from 127.0.0.1:PORT on the controller to port 22
//! inside one host's network namespace, optionally holding every chunk for half the wanted
//! round-trip time in each direction (this kernel has no netem). It runs as the hidden
//! `rlab forward` subcommand, one process per host, inside that host's network namespace (so
//! `down` finds it with the host's other processes); its listening socket is bound by `up` in the
//! controller's namespace and inherited.

use std::net::TcpListener as StdListener;
use std::os::unix::io::{AsRawFd, FromRawFd, RawFd};
use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::error::{io_err, Error, Result};

/// File descriptor number the listening socket is passed on.
pub const LISTEN_FD: RawFd = 3;
/// Where connections go inside the namespace.
const TARGET: &str = "127.0.0.1:22";

/// Enters the network namespace at `netns` (a /run/netns path); call while single-threaded.
pub fn enter_netns(netns: &Path) -> Result<()> {
    let file = std::fs::File::open(netns).map_err(io_err(netns))?;
    // SAFETY: setns on an fd we own; it affects only this (single) thread's namespaces.
    if unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(Error::Io {
            path: netns.to_path_buf(),
            source: std::io::Error::last_os_error(),
        });
    }
    Ok(())
}

/// Runs the forwarder until killed: takes over the inherited listening socket, enters `netns`,
/// then proxies every connection to the host's sshd with `latency_ms` added round-trip time.
pub fn run(netns: &Path, latency_ms: u64) -> Result<()> {
    // SAFETY: `up` passes a listening TCP socket on LISTEN_FD; nothing else in this process owns it.
    let listener = unsafe { StdListener::from_raw_fd(LISTEN_FD) };
    listener
        .set_nonblocking(true)
        .map_err(io_err("inherited listening socket"))?;
    enter_netns(netns)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io_err("tokio runtime"))?;
    let one_way = Duration::from_micros(latency_ms * 500);
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener).map_err(io_err("listening socket"))?;
        loop {
            let (client, _) = match listener.accept().await {
                Ok(c) => c,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(TARGET).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                if one_way.is_zero() {
                    let (mut c, mut s) = (client, server);
                    let _ = tokio::io::copy_bidirectional(&mut c, &mut s).await;
                } else {
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    tokio::join!(delayed_copy(cr, sw, one_way), delayed_copy(sr, cw, one_way));
                }
            });
        }
    })
}

/// Copies `from` to `to`, writing each chunk `delay` after it was read; reading goes on
/// meanwhile, so the delay adds latency without limiting throughput.
async fn delayed_copy(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, delay: Duration) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Instant, Vec<u8>)>(1024);
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    };
    let writer = async move {
        while let Some((due, chunk)) = rx.recv().await {
            tokio::time::sleep_until(due).await;
            if to.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delayed_copy_keeps_every_byte_in_order_and_passes_end_of_stream() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let in_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let out_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut source = TcpStream::connect(in_listener.local_addr().unwrap())
                .await
                .unwrap();
            let (from, _) = in_listener.accept().await.unwrap();
            let to = TcpStream::connect(out_listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut sink, _) = out_listener.accept().await.unwrap();
            let (from_read, _from_write) = from.into_split();
            let (_to_read, to_write) = to.into_split();
            let copier = tokio::spawn(delayed_copy(from_read, to_write, Duration::from_millis(3)));
            let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
            let send = async {
                source.write_all(&data).await.unwrap();
                source.shutdown().await.unwrap();
            };
            let mut got = Vec::new();
            let (_, read) = tokio::join!(send, sink.read_to_end(&mut got));
            read.unwrap();
            copier.await.unwrap();
            assert_eq!(got.len(), data.len());
            assert!(got == data, "bytes changed or reordered");
        });
    }
}

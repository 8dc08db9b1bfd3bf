//! A long-lived `/bin/sh` on a host (one per host and become user), driven with the framing of
//! `protocol`: run a script, put a file, get a file, each in one round trip. The shell runs either
//! in an SSH session channel or, for `connection: local` with become, in a local child process;
//! [`ShellIo`] hides which.

use std::sync::atomic::{AtomicBool, Ordering};

use rplay_modules::{Command, Content, FileAttrs, Output};
use russh::client::Msg;
use russh::{ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::protocol::{self, Marker, ResponseReader, CHUNK_BYTES};

/// Something that arrived from the shell.
#[derive(Debug)]
pub(crate) enum Event {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    /// The shell (or sudo) exited.
    Exit,
    /// The channel or pipes are gone.
    Closed,
}

/// The byte pipes of a shell.
pub(crate) enum ShellIo {
    /// An SSH session channel (`exec`).
    Ssh {
        read: ChannelReadHalf,
        write: ChannelWriteHalf<Msg>,
    },
    /// A local child process; its output is pumped into `events` by background tasks.
    Local {
        child: tokio::process::Child,
        stdin: Option<tokio::process::ChildStdin>,
        events: mpsc::UnboundedReceiver<Event>,
    },
}

/// Why an exchange with the shell failed.
#[derive(Debug)]
pub(crate) enum ShellError {
    /// The shell went away; what it said on stderr last.
    Closed(String),
    /// A local file to send could not be read, or the request could not be built.
    Local(String),
}

impl ShellIo {
    /// Spawns `command` with `/bin/sh -c` locally, pumping its output into events.
    pub(crate) fn spawn_local(command: &str) -> std::io::Result<ShellIo> {
        let mut child = tokio::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let (tx, rx) = mpsc::unbounded_channel();
        if let Some(mut out) = child.stdout.take() {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = out.read(&mut buf).await {
                    if n == 0 || tx.send(Event::Stdout(buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
                let _ = tx.send(Event::Closed);
            });
        }
        if let Some(mut err) = child.stderr.take() {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                while let Ok(n) = err.read(&mut buf).await {
                    if n == 0 || tx.send(Event::Stderr(buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        Ok(ShellIo::Local {
            child,
            stdin,
            events: rx,
        })
    }

    /// The next event.
    pub(crate) async fn recv(&mut self) -> Event {
        match self {
            ShellIo::Ssh { read, .. } => loop {
                match read.wait().await {
                    Some(ChannelMsg::Data { data }) => return Event::Stdout(data.to_vec()),
                    Some(ChannelMsg::ExtendedData { data, .. }) => {
                        return Event::Stderr(data.to_vec())
                    }
                    Some(ChannelMsg::ExitStatus { .. }) => return Event::Exit,
                    Some(ChannelMsg::ExitSignal { .. }) => return Event::Exit,
                    Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => return Event::Closed,
                    Some(_) => continue,
                }
            },
            ShellIo::Local { events, child, .. } => match events.recv().await {
                Some(Event::Closed) | None => {
                    let _ = child.wait().await;
                    Event::Exit
                }
                Some(e) => e,
            },
        }
    }

    /// Sends `data`, collecting whatever the shell says meanwhile into `reader` so neither side
    /// can block the other. Returns false when the shell is gone.
    pub(crate) async fn send(&mut self, data: &[u8], reader: &mut ResponseReader) -> bool {
        match self {
            ShellIo::Ssh { read, write } => {
                let mut sending = std::pin::pin!(write.data(data));
                loop {
                    tokio::select! {
                        biased;
                        r = &mut sending => return r.is_ok(),
                        msg = read.wait() => match msg {
                            Some(ChannelMsg::Data { data }) => reader.push_stdout(&data),
                            Some(ChannelMsg::ExtendedData { data, .. }) => reader.push_stderr(&data),
                            Some(ChannelMsg::Eof) | Some(ChannelMsg::Close) | None => return false,
                            Some(_) => {}
                        },
                    }
                }
            }
            ShellIo::Local { stdin, .. } => match stdin {
                Some(s) => s.write_all(data).await.is_ok() && s.flush().await.is_ok(),
                None => false,
            },
        }
    }

    /// Writes a few bytes (a password line) without reading anything.
    pub(crate) async fn send_small(&mut self, data: &[u8]) -> bool {
        match self {
            ShellIo::Ssh { write, .. } => write.data(data).await.is_ok(),
            ShellIo::Local { stdin: Some(s), .. } => {
                s.write_all(data).await.is_ok() && s.flush().await.is_ok()
            }
            ShellIo::Local { stdin: None, .. } => false,
        }
    }

    /// Ends the shell: closes its input (it exits at end of input) and the channel.
    pub(crate) async fn close(&mut self) {
        match self {
            ShellIo::Ssh { write, .. } => {
                let _ = write.eof().await;
                let _ = write.close().await;
            }
            ShellIo::Local { stdin, child, .. } => {
                stdin.take();
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await;
            }
        }
    }
}

/// A ready shell on a host. Requests are serialized; each is one round trip.
pub(crate) struct RemoteShell {
    io: tokio::sync::Mutex<ShellIo>,
    dead: AtomicBool,
    /// Whether the preamble (private directory, helpers) was sent.
    ready: AtomicBool,
}

impl RemoteShell {
    /// Wraps a shell that is ready for requests.
    pub(crate) fn new(io: ShellIo) -> RemoteShell {
        RemoteShell {
            io: tokio::sync::Mutex::new(io),
            dead: AtomicBool::new(false),
            ready: AtomicBool::new(false),
        }
    }

    /// Whether the shell died (the next use opens a new one).
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// Sends the request pieces produced by `pieces` and reads the response.
    async fn exchange(
        &self,
        marker: &Marker,
        first: String,
        more: Option<PutStream<'_>>,
    ) -> Result<Output, ShellError> {
        let mut io = self.io.lock().await;
        if self.is_dead() {
            return Err(ShellError::Closed(String::new()));
        }
        // If this future is dropped midway (a task timeout), the shell may be inside a
        // here-document or still running the script: retire it, the next request opens another.
        let mut cancelled = RetireOnDrop(Some(&self.dead));
        let mut reader = ResponseReader::new(marker);
        let first = if self.ready.swap(true, Ordering::Relaxed) {
            first
        } else {
            // Sent with the first request: no extra round trip.
            format!("{}{first}", protocol::preamble())
        };
        let result = async {
            if !io.send(first.as_bytes(), &mut reader).await {
                return Err(ShellError::Closed(reader.stderr_so_far()));
            }
            if let Some(mut stream) = more {
                while let Some(piece) = stream.next_piece(marker).await? {
                    if !io.send(piece.as_bytes(), &mut reader).await {
                        return Err(ShellError::Closed(reader.stderr_so_far()));
                    }
                }
            }
            loop {
                if let Some(out) = reader.finished() {
                    return Ok(out);
                }
                match io.recv().await {
                    Event::Stdout(d) => reader.push_stdout(&d),
                    Event::Stderr(d) => reader.push_stderr(&d),
                    Event::Exit | Event::Closed => {
                        return Err(ShellError::Closed(reader.stderr_so_far()))
                    }
                }
            }
        }
        .await;
        if matches!(result, Err(ShellError::Closed(_))) {
            self.dead.store(true, Ordering::Relaxed);
        }
        cancelled.0 = None;
        if let Err(ShellError::Local(_)) = &result {
            // The request was cut short: the shell may be inside a here-document. Retire it.
            self.dead.store(true, Ordering::Relaxed);
            io.close().await;
        }
        result
    }

    /// Runs a script.
    pub(crate) async fn run(&self, cmd: &Command) -> Result<Output, ShellError> {
        let m = Marker::new();
        let req = protocol::run_request(&m, cmd).map_err(ShellError::Local)?;
        self.exchange(&m, req, None).await
    }

    /// Writes a file atomically; `Ok(Output)` carries the status of the remote steps.
    pub(crate) async fn put(
        &self,
        dest: &str,
        content: Content,
        attrs: &FileAttrs,
    ) -> Result<Output, ShellError> {
        let m = Marker::new();
        let source = match content {
            Content::Bytes(b) => Source::Bytes(b, 0),
            Content::LocalFile(p) => {
                let f = tokio::fs::File::open(&p)
                    .await
                    .map_err(|e| ShellError::Local(format!("{}: {e}", p.display())))?;
                Source::File(f, p)
            }
        };
        let stream = PutStream {
            source,
            dest,
            attrs,
            finished: false,
        };
        self.exchange(&m, protocol::put_begin(dest), Some(stream))
            .await
    }

    /// Reads a file.
    pub(crate) async fn get(&self, path: &str) -> Result<Output, ShellError> {
        let m = Marker::new();
        self.exchange(&m, protocol::get_request(&m, path), None)
            .await
    }

    /// Ends the shell.
    pub(crate) async fn close(&self) {
        let mut io = self.io.lock().await;
        self.dead.store(true, Ordering::Relaxed);
        io.close().await;
    }
}

/// Marks a shell dead when an exchange is abandoned before it finished.
struct RetireOnDrop<'a>(Option<&'a AtomicBool>);

impl Drop for RetireOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(dead) = self.0 {
            dead.store(true, Ordering::Relaxed);
        }
    }
}

/// Where file contents come from.
enum Source {
    Bytes(Vec<u8>, usize),
    File(tokio::fs::File, std::path::PathBuf),
}

/// Produces the chunk requests of a file transfer, then its finishing request; reads local files
/// one chunk at a time so memory stays bounded.
struct PutStream<'a> {
    source: Source,
    dest: &'a str,
    attrs: &'a FileAttrs,
    finished: bool,
}

impl PutStream<'_> {
    async fn next_piece(&mut self, m: &Marker) -> Result<Option<String>, ShellError> {
        if self.finished {
            return Ok(None);
        }
        let chunk: Vec<u8> = match &mut self.source {
            Source::Bytes(b, pos) => {
                let end = (*pos + CHUNK_BYTES).min(b.len());
                let c = b[*pos..end].to_vec();
                *pos = end;
                c
            }
            Source::File(f, path) => {
                let mut buf = vec![0u8; CHUNK_BYTES];
                let mut filled = 0;
                while filled < buf.len() {
                    let n = f
                        .read(&mut buf[filled..])
                        .await
                        .map_err(|e| ShellError::Local(format!("{}: {e}", path.display())))?;
                    if n == 0 {
                        break;
                    }
                    filled += n;
                }
                buf.truncate(filled);
                buf
            }
        };
        if chunk.is_empty() {
            self.finished = true;
            return Ok(Some(protocol::put_finish(m, self.dest, self.attrs)));
        }
        Ok(Some(protocol::put_chunk(m, &chunk)))
    }
}

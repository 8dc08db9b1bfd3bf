//! `rdoc copy | head` must end quietly when the reader goes away, as every Unix filter does.
//! Rust ignores SIGPIPE, so `println!` to a closed pipe panics instead; the read-only printing
//! tools (rdoc, rinventory) restore the default action. rplay and radhoc keep Rust's default:
//! they write to ssh child processes, where a dead peer must be an error, not a silent exit.

/// Let a write to a closed stdout end the process without a message.
pub fn end_quietly_on_closed_pipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL installs no handler code; called first
    // thing in `main`, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

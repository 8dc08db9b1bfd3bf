//! `--events FILE`: every runner event as one JSON object per line, written as it happens, for
//! tools that follow a run live.

use std::io::Write;

use crate::run::event::{Event, Reporter};

/// Writes events as JSON Lines.
pub struct JsonLines {
    out: Box<dyn Write + Send>,
}

impl JsonLines {
    /// Writes to `out` (usually a file).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        JsonLines { out }
    }
}

impl Reporter for JsonLines {
    fn report(&mut self, event: &Event) {
        if let Ok(text) = serde_json::to_string(event) {
            let _ = writeln!(self.out, "{text}");
        }
    }

    fn finish(&mut self) {
        let _ = self.out.flush();
    }
}

//! Load-time errors of playbooks and roles. Each names the file, line and column it is about;
//! parse errors map to exit code 4, the others (missing files, roles) to 1, as ansible-playbook.

use std::path::PathBuf;

use super::node::Origin;

/// Why a playbook could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("Could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid YAML.
    #[error("YAML parsing failed: {message}")]
    Yaml {
        /// What the parser said, with its position.
        message: String,
        /// Where, when known.
        origin: Option<Origin>,
    },
    /// The playbook, a play or a task does not have the expected structure.
    #[error("{message}")]
    Syntax {
        /// What is wrong.
        message: String,
        /// Where.
        origin: Origin,
    },
    /// A role could not be found.
    #[error("the role '{name}' was not found in {searched}")]
    RoleNotFound {
        /// Role name.
        name: String,
        /// The directories searched, joined by `:`.
        searched: String,
        /// Where the role was referenced.
        origin: Origin,
    },
    /// A file referenced by an import could not be found.
    #[error("Could not find or access '{name}'\nSearched in:\n{searched}")]
    FileNotFound {
        /// The name as written.
        name: String,
        /// The paths tried, one per line.
        searched: String,
        /// Where it was referenced.
        origin: Option<Origin>,
    },
}

impl Error {
    /// Where the error is, if known.
    pub fn origin(&self) -> Option<&Origin> {
        match self {
            Error::Read { .. } => None,
            Error::Yaml { origin, .. } | Error::FileNotFound { origin, .. } => origin.as_ref(),
            Error::Syntax { origin, .. } | Error::RoleNotFound { origin, .. } => Some(origin),
        }
    }

    /// Parse errors exit with 4, the others with 1.
    pub fn is_parse_error(&self) -> bool {
        matches!(self, Error::Yaml { .. } | Error::Syntax { .. })
    }

    /// A syntax error at `origin`.
    pub fn syntax(message: impl Into<String>, origin: &Origin) -> Self {
        Error::Syntax {
            message: message.into(),
            origin: origin.clone(),
        }
    }
}

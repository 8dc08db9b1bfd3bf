//! `rdoc`: the `ansible-doc` of rplay. Prints a module's synopsis, arguments (type, default,
//! choices, aliases), return values and examples, taken from the module's own definition; for the
//! project's own modules (`library/`), where they come from.

use std::process::ExitCode;

use clap::Parser;
use rplay_modules::{doc, registry, ModuleSpec};

/// Show documentation for rplay's modules.
#[derive(Parser, Debug)]
#[command(
    name = "rdoc",
    version,
    about = "Show documentation for rplay's modules"
)]
struct Cli {
    /// List every module with its synopsis.
    #[arg(short, long)]
    list: bool,
    /// Module names, short (`copy`) or fully qualified (`ansible.builtin.copy`).
    modules: Vec<String>,
}

fn main() -> ExitCode {
    rplay::cli::closed_pipe::end_quietly_on_closed_pipe();
    let cli = Cli::parse();
    if cli.list {
        let specs: Vec<&ModuleSpec> = registry::all().iter().map(|m| m.spec()).collect();
        print!("{}", doc::list(&specs));
        return ExitCode::SUCCESS;
    }
    if cli.modules.is_empty() {
        eprintln!("rdoc: name a module (e.g. `rdoc copy`) or use --list");
        return ExitCode::from(5);
    }
    // The project's own modules: `library/` here and the `library` setting's directories.
    registry::add_library_dir(
        std::path::Path::new("library"),
        registry::LibraryRank::Project,
    );
    if let Ok(settings) = rplay::config::Settings::load() {
        for dir in settings.library_dirs() {
            registry::add_library_dir(&dir, registry::LibraryRank::Configured);
        }
    }
    let mut status = ExitCode::SUCCESS;
    for name in &cli.modules {
        match registry::find_written(name) {
            Some(module) => println!("{}", doc::render(module.spec())),
            None => {
                eprintln!("[WARNING]: module {name} not found (rdoc --list shows every module)");
                status = ExitCode::from(1);
            }
        }
    }
    status
}

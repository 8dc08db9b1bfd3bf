//! The start every engine program shares: parse the command line (clap's own exit codes for
//! `--help` and usage errors), start the async runtime, run, exit with the run's code.

use std::future::Future;

use clap::Parser;

use crate::output::exit_code;

/// Parses `A` from the process arguments, runs `run` on a multi-threaded runtime and exits the
/// process with the code it returns.
pub fn run_program<A, F, Fut>(run: F) -> !
where
    A: Parser,
    F: FnOnce(A) -> Fut,
    Fut: Future<Output = i32>,
{
    let args = match A::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("[ERROR]: cannot start the async runtime: {e}");
            std::process::exit(exit_code::ERROR);
        }
    };
    let code = rt.block_on(run(args));
    std::process::exit(code);
}

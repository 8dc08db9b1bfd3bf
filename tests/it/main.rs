//! rplay's integration tests: one binary, so the lab boots once for all of them.
//! Each area adds a module exposing `trials()`; this file lists them and runs them with
//! libtest-mimic (so `cargo test --test it -- FILTER` works as usual).

mod vault;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(vault::trials());
    libtest_mimic::run(&args, trials).exit();
}

//! rplay's integration tests: one binary, so the lab boots once for all of them. Each area adds
//! `tests/it/<area>.rs` with `pub fn trials() -> Vec<libtest_mimic::Trial>` and is listed below.
//! Labs started through the fixture are torn down after all trials have run.

mod fixture;
mod lab;
//! rplay's integration tests: one binary, so the lab boots once for all of them.

mod modules_files;
//! Each area adds a module exposing `trials()`; this file lists them and runs them with
//! libtest-mimic (so `cargo test --test it -- FILTER` works as usual).

mod vault;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(lab::trials());
    let conclusion = libtest_mimic::run(&args, trials);
    fixture::teardown();
    conclusion.exit();
    trials.extend(modules_files::trials());
    trials.extend(vault::trials());
    libtest_mimic::run(&args, trials).exit();
}

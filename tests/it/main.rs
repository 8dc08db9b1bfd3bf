//! rplay's integration tests: one binary, so the lab boots once for all of them.

mod modules_files;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(modules_files::trials());
    libtest_mimic::run(&args, trials).exit();
}

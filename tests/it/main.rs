//! rplay's integration tests: one binary, so the lab boots once for all of them. Each area adds
//! `tests/it/<area>.rs` with `pub fn trials() -> Vec<libtest_mimic::Trial>` and is listed below.
//! Labs started through the fixture are torn down after all trials have run.

mod adhoc;
mod connection;
mod engine;
mod fixture;
mod galaxy;
mod inventory;
mod lab;
mod modules_custom;
mod modules_files;
mod modules_reboot;
mod modules_system;
mod modules_vaulted_src;
mod programs;
mod project;
mod secrets;
mod semantics_lab;
mod template;
mod terminal;
mod vault;

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials = Vec::new();
    trials.extend(lab::trials());
    trials.extend(adhoc::trials());
    trials.extend(connection::trials());
    trials.extend(engine::trials());
    trials.extend(galaxy::trials());
    trials.extend(inventory::trials());
    trials.extend(modules_custom::trials());
    trials.extend(modules_files::trials());
    trials.extend(modules_reboot::trials());
    trials.extend(modules_vaulted_src::trials());
    trials.extend(modules_system::trials());
    trials.extend(programs::trials());
    trials.extend(secrets::trials());
    trials.extend(template::trials());
    trials.extend(terminal::trials());
    trials.extend(vault::trials());
    let conclusion = libtest_mimic::run(&args, trials);
    fixture::teardown();
    conclusion.exit();
}

//! upssched: timers for upsmon's notifications (see `nut::sched`).

fn main() {
    std::process::exit(nut::sched::main(std::env::args_os().collect()));
}

//! nut-check-config: checks every NUT config file (filled in by the config issue).

fn main() {
    eprintln!("nut-check-config: config checking not built yet");
    std::process::exit(2);
}

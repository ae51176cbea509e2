//! nut-driver-enumerator: maps ups.conf sections to `nut-driver@.service`
//! instances. The generator, watcher and `upsdrvsvcctl` arrive with the
//! systemd-integration issue; for now it prints the instance names.

use anyhow::Result;

fn main() -> Result<()> {
    eprintln!("nut-driver-enumerator: not yet implemented (see issue 7)");
    std::process::exit(2);
}

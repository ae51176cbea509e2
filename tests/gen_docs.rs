//! `nut-gen-docs` writes a man page and bash/zsh/fish completions for
//! every program in the registry (`nut::cli::commands`).

use std::process::Command;

#[test]
fn a_man_page_and_completions_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nut-gen-docs")).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cmds = nut::cli::commands();
    assert!(cmds.len() >= 7);
    for cmd in cmds {
        let name = cmd.get_name().to_string();
        let page = std::fs::read_to_string(dir.path().join("man8").join(format!("{name}.8"))).unwrap();
        assert!(page.contains(".TH"), "{name}: not a man page");
        assert!(page.contains(&name), "{name}: page does not name the program");
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if let Some(s) = a.get_short() {
                assert!(page.contains(&format!("\\-{s}")), "{name}: -{s} not documented");
            }
        }
        for f in [format!("bash/{name}"), format!("zsh/_{name}"), format!("fish/{name}.fish")] {
            let c = std::fs::read_to_string(dir.path().join("completions").join(&f)).unwrap();
            assert!(c.contains(&name), "{f} does not mention {name}");
        }
    }
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(listed.lines().count() >= 28);
}

#[test]
fn usage_error_without_outdir() {
    let out = Command::new(env!("CARGO_BIN_EXE_nut-gen-docs")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "usage: nut-gen-docs OUTDIR\n");
}

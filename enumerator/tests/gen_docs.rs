//! `nut-gen-docs` writes a man page and bash/zsh/fish completions for
//! every program: the registry (`nut::cli::commands`) and upsdrvsvcctl.

use std::process::Command;

#[test]
fn a_man_page_and_completions_per_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nut-gen-docs")).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cmds = nut_driver_enumerator::commands();
    let names: Vec<String> = cmds.iter().map(|c| c.get_name().to_string()).collect();
    // every program on PATH in the packages has its page (lintian: no-manual-page)
    for want in ["upsc", "upsrw", "upscmd", "upslog", "upsd", "upsmon", "upssched", "upsdrvctl", "upsdrvsvcctl"] {
        assert!(names.iter().any(|n| n == want), "{want} is not in the registry: {names:?}");
    }
    assert!(names.iter().any(|n| n == "nut-check-config"), "nut-check-config missing: {names:?}");
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
        let files = [format!("bash/{name}"), format!("zsh/_{name}"), format!("fish/{name}.fish")];
        if !nut::cli::has_completions(&cmd) {
            for f in &files {
                assert!(
                    !dir.path().join("completions").join(f).exists(),
                    "{f}: completion for a command without options"
                );
            }
            continue;
        }
        for f in files {
            let c = std::fs::read_to_string(dir.path().join("completions").join(&f)).unwrap();
            assert!(c.contains(&name), "{f} does not mention {name}");
        }
    }
    let listed = String::from_utf8(out.stdout).unwrap();
    let with_completions = nut_driver_enumerator::commands().iter().filter(|c| nut::cli::has_completions(c)).count();
    assert_eq!(listed.lines().count(), names.len() + with_completions * 3);
}

#[test]
fn usage_error_without_outdir() {
    let out = Command::new(env!("CARGO_BIN_EXE_nut-gen-docs")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "usage: nut-gen-docs OUTDIR\n");
}

//! One test per diagnostic message: each input draws exactly the listed
//! diagnostics (file `f`), so a changed wording or position shows up here.

use std::path::Path;

use nut::config::{
    nut_conf::NutConf, ups::UpsConf, upsd::UpsdConf, upsmon::UpsmonConf, upssched::UpsschedConf, users::UsersConf,
};

fn ups(s: &str) -> Vec<String> {
    let (c, mut d) = UpsConf::parse(Path::new("f"), s.as_bytes());
    d.extend(c.upsd_diagnostics());
    d.iter().map(ToString::to_string).collect()
}
fn upsmon(s: &str) -> Vec<String> {
    let (c, mut d) = UpsmonConf::parse(Path::new("f"), s.as_bytes());
    if s.contains("MINSUPPLIES") {
        d.extend(c.startup_diagnostics());
    }
    d.iter().map(ToString::to_string).collect()
}
macro_rules! simple {
    ($name:ident, $t:ty) => {
        fn $name(s: &str) -> Vec<String> {
            <$t>::parse(Path::new("f"), s.as_bytes()).1.iter().map(ToString::to_string).collect()
        }
    };
}
simple!(nut, NutConf);
simple!(upsd, UpsdConf);
simple!(users, UsersConf);
simple!(sched, UpsschedConf);

macro_rules! cases {
    ($($name:ident: $parser:ident($input:expr) => [$($want:expr),* $(,)?];)*) => {
        $(
            #[test]
            fn $name() {
                let want: Vec<String> = vec![$(String::from($want)),*];
                assert_eq!($parser($input), want, "input: {:?}", $input);
            }
        )*
    };
}

/// A ups.conf section with a 600-byte quoted value.
fn long() -> String {
    format!(
        "[u]
driver = x
port = y
serial = \"{}\"
",
        "a".repeat(600)
    )
}

cases! {
    // tokenizer, shared by all parseconf files
    tok_hash_in_quotes: ups("x = \"a#b\"\n") => ["f:1:7: Unbalanced word due to unescaped # in quotes", "f:1:8: warning: unknown global setting 'b\"' is ignored"];
    tok_dropped_byte: upsd("STATEPATH /caf\u{e9}\n") => ["f:1:15: warning: discarding invalid character (0xc3): NUT keeps only printable ASCII"];
    tok_word_limit: ups(&long()) => ["f:4:523: warning: line exceeds NUT's limits (32 words, 512 bytes a word); the excess was dropped"];
    tok_too_many_words: upsd("ACL a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7 8\n") => ["f:1:67: warning: line exceeds NUT's limits (32 words, 512 bytes a word); the excess was dropped", "f:1:1: warning: ACL in upsd.conf is no longer supported - switch to LISTEN"];

    // ups.conf
    ups_extra_header_words: ups("[u] driver\ndriver=x\nport=y\n") => ["f:1:5: warning: words after section header [u] are ignored"];
    ups_empty_name: ups("[]\n") => ["f:1:1: empty UPS name in section header []"];
    ups_extra_value_words: ups("[u]\ndriver=x\nport=y\ncommunity = ab=cd\n") => ["f:4:15: warning: only the first word after '=' is the value of 'community'; the rest is ignored (quote the value)"];
    ups_two_words: ups("[u]\ndriver x\n") => ["f:2:1: warning: line ignored: expected 'key = value' or a single flag", "f:1:1: warning: section [u] has no settings; upsd and the drivers ignore it"];
    ups_incomplete: ups("[u]\nport = x\n") => ["f:1:1: warning: ignoring incomplete configuration for UPS [u] (no driver)"];
    ups_incomplete_both: ups("[u]\nnolock\n") => ["f:1:1: warning: ignoring incomplete configuration for UPS [u] (no driver and port)"];
    ups_name_in_use: ups("[a]\ndriver=x\nport=1\n[A]\ndriver=y\nport=2\n") => ["f:1:1: UPS name [a] is already in use! (by [A] at line 4; upsd drops this section)"];
    ups_needs_value: ups("chroot\n") => ["f:1:1: 'chroot' needs a value ('chroot = ...')"];
    ups_global_debug_min: ups("debug_min = -1\n") => ["f:1:13: warning: Invalid debug_min value found in ups.conf global settings (-1)"];
    ups_nowait_value: ups("nowait = yes\n") => ["f:1:10: warning: nowait = yes has no effect (only the flag or 'true' sets it)"];
    ups_reconnect: ups("reconnect_max_tries = x\n") => ["f:1:23: warning: Invalid reconnect_max_tries value found in ups.conf global settings (x)"];
    ups_global_case: ups("MAXRETRY = 2\n") => ["f:1:1: warning: 'MAXRETRY' is ignored: ups.conf keys are case-sensitive (did you mean 'maxretry'?)"];
    ups_section_key_global: ups("driver = x\n") => ["f:1:1: warning: 'driver' before the first [section] is a global setting and is ignored"];
    ups_unknown_global: ups("frob = 1\n") => ["f:1:1: warning: unknown global setting 'frob' is ignored"];
    ups_synchronous: ups("synchronous = maybe\n") => ["f:1:15: warning: synchronous = maybe: NUT reads any word other than yes/auto as 'no'"];
    ups_pollinterval_zero: ups("pollinterval = 0\n") => ["f:1:16: invalid pollinterval: 0"];
    ups_pollinterval_word: ups("[u]\ndriver=x\nport=y\npollinterval = fast\n") => ["f:4:16: invalid pollinterval: fast"];
    ups_not_number: ups("retrydelay = -5\n") => ["f:1:14: retrydelay must be a non-negative integer, not '-5'"];
    ups_section_debug_min: ups("[u]\ndriver=x\nport=y\ndebug_min = lots\n") => ["f:4:13: warning: Invalid debug_min value found in ups.conf for the driver (lots)"];
    ups_empty_port: ups("[u]\ndriver=x\nport=\"\"\n") => ["f:3:6: empty value for 'port'"];
    ups_libusb_debug: ups("[u]\ndriver=x\nport=y\nLIBUSB_DEBUG = x\n") => ["f:4:16: warning: Invalid LIBUSB_DEBUG value found in ups.conf for the driver (x)"];
    ups_sdorder: ups("[u]\ndriver=x\nport=y\nsdorder = first\n") => ["f:4:11: sdorder must be an integer, not 'first'"];
    ups_upsdrvctl_keys_in_section: ups("[u]\ndriver=x\nport=y\nretrydelay = 3\n") => ["f:4:1: warning: 'retrydelay' in a UPS section is rejected by NUT 2.8.0 drivers as not a valid variable name"];
    ups_sddelay: ups("[u]\ndriver=x\nport=y\nsddelay = 3\n") => ["f:4:1: warning: sddelay is obsolete and ignored"];
    ups_flag_with_value: ups("[u]\ndriver=x\nport=y\nignorelb = 1\n") => ["f:4:1: 'ignorelb' is a flag and takes no value"];
    ups_key_case: ups("[u]\ndriver=x\nport=y\nDesc = z\n") => ["f:4:1: warning: 'Desc' is not 'desc': ups.conf keys are case-sensitive"];
    ups_override_no_var: ups("[u]\ndriver=x\nport=y\ndefault. = 1\n") => ["f:4:1: 'default.' names no variable"];
    ups_override_flag: ups("[u]\ndriver=x\nport=y\noverride.ups.id\n") => ["f:4:1: 'override.ups.id' needs a value"];

    // nut.conf
    nut_non_ascii: nut("MODE=n\u{f6}ne\n") => ["f:1:7: non-ASCII byte: nut.conf must be pure ASCII"];
    nut_not_assignment: nut("-x\n") => ["f:1:1: expected KEY=VALUE"];
    nut_space_before_eq: nut("MODE =none\n") => ["f:1:5: no spaces allowed around '=' (shell syntax)"];
    nut_space_after_eq: nut("MODE= none\n") => ["f:1:6: no spaces allowed around '=' (shell syntax)"];
    nut_no_eq: nut("MODE\n") => ["f:1:5: expected '=' after MODE"];
    nut_expansion: nut("UPSD_OPTIONS=\"$X\"\n") => ["f:1:15: warning: no variable or command expansion in nut.conf; the text is taken literally"];
    nut_unterminated_dq: nut("MODE=\"none\n") => ["f:1:6: unterminated double quote"];
    nut_unterminated_sq: nut("MODE='none\n") => ["f:1:6: unterminated single quote"];
    nut_shell_syntax: nut("MODE=none;reboot\n") => ["f:1:10: shell syntax is not supported in nut.conf: quote the value"];
    nut_trailing_text: nut("MODE=\"none\" x\n") => ["f:1:13: unexpected text after the value (one KEY=VALUE a line; quote values with spaces)"];
    nut_bad_mode: nut("MODE=Standalone\n") => ["f:1:6: MODE: unknown mode 'Standalone' (none, standalone, netserver or netclient)"];
    nut_bad_bool: nut("ALLOW_NO_DEVICE=perhaps\n") => ["f:1:17: ALLOW_NO_DEVICE: 'perhaps' is not a boolean (true/false, yes/no, on/off, 1/0)"];
    nut_poweroff_wait: nut("POWEROFF_WAIT=1y\n") => ["f:1:15: POWEROFF_WAIT: '1y' is not a sleep(1) duration such as 15m"];
    nut_debug_level: nut("NUT_DEBUG_LEVEL=high\n") => ["f:1:17: NUT_DEBUG_LEVEL: 'high' is not a non-negative integer"];
    nut_debug_syslog: nut("NUT_DEBUG_SYSLOG=yes\n") => ["f:1:18: NUT_DEBUG_SYSLOG: 'yes' is not stderr, none or default"];
    nut_key_case: nut("Mode=none\n") => ["f:1:1: warning: unknown key Mode is ignored (keys are case-sensitive: MODE?)"];
    nut_unknown_key: nut("FOO=bar\n") => ["f:1:1: warning: unknown key FOO is ignored"];
    nut_comments_and_blanks: nut("  # c\n\n\tMODE=none # ok\n") => [];

    // upsd.conf
    upsd_invalid_directive: upsd("LISTEN\n") => ["f:1:1: warning: invalid directive LISTEN"];
    upsd_extra_words: upsd("MAXAGE 5 6\n") => ["f:1:10: warning: MAXAGE takes 1 argument(s); the rest is ignored"];
    upsd_debug_min: upsd("DEBUG_MIN x\n") => ["f:1:11: warning: DEBUG_MIN has non numeric or negative value in upsd.conf"];
    upsd_non_numeric: upsd("TRACKINGDELAY x\n") => ["f:1:15: TRACKINGDELAY has non numeric value (x)!"];
    upsd_maxconn: upsd("MAXCONN -1\n") => ["f:1:9: MAXCONN has non numeric value (-1)!"];
    upsd_bool: upsd("ALLOW_NOT_ALL_LISTENERS sure\n") => ["f:1:25: ALLOW_NOT_ALL_LISTENERS has non numeric and non boolean value (sure)!"];
    upsd_certrequest: upsd("CERTREQUEST 3\n") => ["f:1:13: CERTREQUEST has invalid value (3): use 0, 1, 2, NO, REQUEST or REQUIRE"];
    upsd_weak_ssl: upsd("DISABLE_WEAK_SSL 1\n") => [];
    upsd_weak_ssl_bad: upsd("DISABLE_WEAK_SSL x\n") => ["f:1:18: DISABLE_WEAK_SSL has non boolean value (x)!"];
    upsd_reject: upsd("REJECT all\n") => ["f:1:1: warning: REJECT in upsd.conf is no longer supported - switch to LISTEN"];
    upsd_acl_short: upsd("ACL x\n") => ["f:1:1: warning: invalid directive ACL x"];
    upsd_listen_port: upsd("LISTEN 127.0.0.1 0\n") => ["f:1:18: LISTEN: invalid port '0'"];
    upsd_listen_empty: upsd("LISTEN \"\"\n") => ["f:1:8: LISTEN: empty address"];
    upsd_listen_twice: upsd("LISTEN ::1\nLISTEN ::1 3493\n") => ["f:2:8: warning: LISTEN ::1 3493 is listed twice"];
    upsd_certident_short: upsd("CERTIDENT name\n") => ["f:1:1: warning: invalid directive CERTIDENT name"];

    // upsd.users
    users_old_format: users("[a]\npassword=p\nuser a\n") => ["f:3:1: warning: line starting with 'user' (old upsd.users format) is ignored"];
    users_header_words: users("[a] x\npassword=p\n") => ["f:1:5: warning: words after section header [a] are ignored"];
    users_duplicate: users("[a]\npassword=p\n[a]\n") => ["f:3:1: warning: Ignoring duplicate user a"];
    users_one_word: users("[a]\npassword=p\nactions\n") => ["f:3:1: warning: line ignored: 'actions' needs '= value'"];
    users_role_extra: users("[a]\npassword=p\nupsmon primary now\n") => ["f:3:16: warning: words after the upsmon role are ignored"];
    users_no_equals: users("[a]\npassword=p\nactions SET FSD\n") => ["f:3:1: warning: line ignored: expected 'actions = value'"];
    users_no_password: users("[a]\nactions=SET\n") => ["f:1:1: warning: user [a] has no password and can never log in"];
    users_unknown_role: users("[a]\npassword=p\nupsmon boss\n") => ["f:3:8: warning: Unknown upsmon type boss"];
    users_role_outside: users("upsmon primary\n") => ["f:1:8: warning: Ignoring action definition outside user section"];
    users_before_section: users("actions = SET\n") => ["f:1:1: warning: 'actions' before the first [user] section is ignored"];
    users_dup_password: users("[a]\npassword = p q\n") => ["f:2:14: warning: Ignoring duplicate password for a"];
    users_instcmd_comma: users("[a]\npassword=p\ninstcmds = a,b\n") => ["f:3:12: warning: instcmd 'a,b' contains a comma: separate commands with spaces"];
    users_action_comma: users("[a]\npassword=p\nactions = SET,FSD\n") => ["f:3:11: warning: action 'SET,FSD' contains a comma: separate actions with spaces"];
    users_unknown_action: users("[a]\npassword=p\nactions = reboot\n") => ["f:3:11: warning: unknown action 'reboot' (upsd checks SET, FSD, LOGIN, MASTER, PRIMARY)"];
    users_allowfrom: users("[a]\npassword=p\nallowfrom = lan\n") => ["f:3:1: warning: allowfrom in upsd.users is no longer used"];
    users_unrecognized: users("[a]\npassword=p\nPassphrase = x\n") => ["f:3:1: warning: Unrecognized user setting Passphrase"];

    // upsmon.conf
    upsmon_six_words_no_user: upsmon("MONITOR u 1 pw primary x\n") => ["f:1:24: warning: UPS [u]: unknown role 'x', upsmon treats it as secondary"];
    upsmon_five_args: upsmon("MONITOR u 1 pw primary\n") => ["f:1:1: Unable to use old-style MONITOR line without a username (Fatal error: unusable configuration)"];
    upsmon_short_monitor: upsmon("MONITOR u 1 pw\n") => ["f:1:1: warning: invalid directive MONITOR u 1 pw"];
    upsmon_not_number: upsmon("DEADTIME soon\n") => ["f:1:10: warning: DEADTIME: 'soon' is not a number (upsmon reads it as 0)"];
    upsmon_multiword_cmd: upsmon("NOTIFYCMD /bin/notify --all\n") => ["f:1:23: warning: NOTIFYCMD: NUT 2.8.0 uses only the first word; quote the whole command line to stay portable"];
    upsmon_debug_min: upsmon("debug_min -1\n") => ["f:1:11: warning: Invalid DEBUG_MIN value found in upsmon.conf global settings"];
    upsmon_shutdownexit: upsmon("SHUTDOWNEXIT later\n") => ["f:1:14: warning: SHUTDOWNEXIT value not recognized, defaulting to 'yes'"];
    upsmon_negative: upsmon("FINALDELAY -1\n") => ["f:1:12: warning: FINALDELAY: negative value ignored"];
    upsmon_poll_zero: upsmon("POLLFREQALERT 0\n") => ["f:1:15: warning: POLLFREQALERT 0 makes upsmon poll continuously"];
    upsmon_throttle: upsmon("POLLFAIL_LOG_THROTTLE_MAX -2\n") => ["f:1:27: warning: POLLFAIL_LOG_THROTTLE_MAX: negative value ignored"];
    upsmon_bad_event: upsmon("NOTIFYMSG ONFIRE \"x\"\n") => ["f:1:11: warning: 'ONFIRE' is not a valid notify event name"];
    upsmon_bad_flag: upsmon("NOTIFYFLAG LOWBATT WALL+Syslog\n") => ["f:1:25: warning: Invalid notify flag: [Syslog]"];
    upsmon_bad_type: upsmon("NOTIFYFLAG ONFIRE WALL\n") => ["f:1:12: warning: invalid notify type [ONFIRE]"];
    upsmon_format: upsmon("NOTIFYMSG FSD \"%s at %i\"\n") => ["f:1:15: warning: NOTIFYMSG FSD: only %s (and %%) may appear in the message"];
    upsmon_placeholders: upsmon("NOTIFYMSG ONLINE \"%s %s\"\n") => ["f:1:18: warning: NOTIFYMSG ONLINE: at most 1 %s allowed, found 2"];
    upsmon_two_placeholders_ok: upsmon("NOTIFYMSG ALARM \"%s: %s 100%%\"\n") => [];
    upsmon_split: upsmon("MONITOR u@ 1 a b primary\n") => ["f:1:9: unable to split UPS name [u@]: empty host name"];
    upsmon_power_negative: upsmon("MONITOR u -1 a b primary\n") => ["f:1:11: warning: UPS [u]: ignoring invalid power value [-1]"];
    upsmon_power_word: upsmon("MONITOR u one a b primary\n") => ["f:1:11: warning: UPS [u]: power value [one] is not a number (read as 0)"];
    upsmon_role: upsmon("MONITOR u 1 a b boss\n") => ["f:1:17: warning: UPS [u]: unknown role 'boss', upsmon treats it as secondary"];
    upsmon_duplicate: upsmon("MONITOR u 1 a b slave\nMONITOR u 1 a b slave\n") => ["f:2:1: warning: ignoring duplicate UPS [u]"];
    upsmon_insufficient: upsmon("MONITOR u 1 a b slave\nMINSUPPLIES 2\n") => ["f:2:1: Fatal error: insufficient power configured! (sum of MONITOR power values 1 < MINSUPPLIES 2)"];

    // upssched.conf
    sched_multiword: sched("CMDSCRIPT /bin/x arg\n") => ["f:1:18: warning: CMDSCRIPT: NUT 2.8.0 uses only the first word; quote the whole command to stay portable"];
    sched_debug_min: sched("DEBUG_MIN x\n") => ["f:1:11: warning: DEBUG_MIN: invalid value 'x' ignored"];
    sched_cmdscript_first: sched("PIPEFN /p\nLOCKFN /l\nAT ONBATT * EXECUTE x\n") => ["f:3:1: CMDSCRIPT must be set before any ATs in the config file!"];
    sched_timer_args: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * START-TIMER t\n") => ["f:4:13: START-TIMER needs a timer name and a number of seconds"];
    sched_bogus_offset: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * START-TIMER t -5\n") => ["f:4:27: warning: bogus offset for timer, ignoring"];
    sched_delay_word: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * START-TIMER-SHARED t 5s\n") => ["f:4:34: warning: timer delay '5s' is not a number (upssched reads it as 5)"];
    sched_bad_type: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONFIRE * EXECUTE x\n") => ["f:4:4: warning: 'ONFIRE' is not a valid notify event name: this AT never fires"];
    sched_empty_execute: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * EXECUTE \"\"\n") => ["f:4:21: Empty EXECUTE command argument"];
    sched_bad_command: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * RUN x\n") => ["f:4:13: Invalid command: RUN"];
    sched_extra: sched("CMDSCRIPT /c\nPIPEFN /p\nLOCKFN /l\nAT ONBATT * EXECUTE x y\n") => ["f:4:23: warning: AT takes 4 argument(s); the rest is ignored"];
    sched_invalid: sched("PIPEFN\n") => ["f:1:1: warning: invalid directive PIPEFN"];
}

//! Property tests of the dummy-ups data-file parser: what the driver's
//! `-d` dump prints, the parser reads back (values with NUT's escaping and
//! spacing rules), for any printable names and values.

use nut::driver::datafile::{parse, Item};
use nut::driver::store::Store;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9]{0,8}(\\.[a-z0-9]{1,8}){0,3}"
}

/// Values as data files hold them: printable, no leading/trailing blanks,
/// single inner spaces (the parser joins words with one space), no `=`
/// (a word of its own, re-joined with spaces around it).
fn value() -> impl Strategy<Value = String> {
    proptest::collection::vec("[!-<>-~]{1,12}", 1..6).prop_map(|w| w.join(" "))
}

proptest! {
    #[test]
    fn text_dump_reads_back(vars in proptest::collection::btree_map(name(), value(), 1..20)) {
        let mut st = Store::new();
        for (n, v) in &vars {
            st.set_info(n, v);
        }
        let text = st.text_dump();
        let items = parse(text.as_bytes());
        prop_assert_eq!(items.len(), vars.len());
        for it in items {
            match it {
                Item::Var { name, value: Some(v), .. } => {
                    let want = vars.get(&name).expect("known name");
                    let want = nut::driver::store::clip(want, nut::driver::datafile::MAX_FILE_VALUE);
                    prop_assert_eq!(v.as_str(), want);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }

    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&bytes);
    }
}

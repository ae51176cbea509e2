//! Property tests for the shared tokenizer: quoting is the exact inverse of
//! tokenizing.

use nut::proto::words::{join, quote, quote_always, split, tokenize};
use proptest::prelude::*;

/// Words over the bytes NUT can store (0x20..=0x7f), including every
/// special character of the grammar.
fn word() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select((0x20u8..=0x7f).collect::<Vec<u8>>()), 0..24)
        .prop_map(|b| String::from_utf8(b).unwrap())
}

proptest! {
    #[test]
    fn join_then_split_gives_the_words_back(words in prop::collection::vec(word(), 1..32)) {
        let line = join(&words);
        prop_assert_eq!(split(&line).unwrap(), words);
    }

    #[test]
    fn quote_always_is_one_word(w in word()) {
        prop_assert_eq!(split(&quote_always(&w)).unwrap(), vec![w.clone()]);
        prop_assert_eq!(split(&quote(&w)).unwrap(), vec![w]);
    }

    #[test]
    fn tokenizer_never_panics_and_keeps_ascii(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        for line in tokenize(&bytes) {
            prop_assert!(line.words.len() <= 32);
            for w in line.words {
                prop_assert!(w.text.len() <= 512);
                prop_assert!(w.text.bytes().all(|b| (0x20..=0x7f).contains(&b)));
            }
        }
    }

    #[test]
    fn chunking_does_not_change_the_result(bytes in prop::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
        let whole = tokenize(&bytes);
        let cut = cut.min(bytes.len());
        let mut t = nut::proto::words::Tokenizer::default();
        let mut parts = t.feed(&bytes[..cut]);
        parts.extend(t.feed(&bytes[cut..]));
        parts.extend(t.finish());
        prop_assert_eq!(whole, parts);
    }
}

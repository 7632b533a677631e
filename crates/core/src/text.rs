//! Display normalisation of titles and abstracts.

/// Joins arXiv's hard line breaks and collapses every run of white space to one space, trimmed.
///
/// The text itself (LaTeX, `<`, `&`) is kept as it is: escaping is the renderer's job.
pub fn normalize(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut push = |word: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    };
    // One pass over the bytes: words end at ASCII white space. Runs of words separated by
    // exactly one space are already normal and are copied in one piece (`run`); only words that
    // may hold Unicode white space (lead bytes of U+0085, U+00A0, U+1680, U+2000..U+205F,
    // U+3000) or a vertical tab are split again the slow, exact way.
    let mut run: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        if BYTE_CLASS[usize::from(bytes[i])] & ASCII_SPACE != 0 {
            i += 1;
            continue;
        }
        let start = i;
        let mut slow = false;
        while i < bytes.len() {
            let class = BYTE_CLASS[usize::from(bytes[i])];
            if class & ASCII_SPACE != 0 {
                break;
            }
            slow |= class & MAYBE_SPACE != 0;
            i += 1;
        }
        // Word boundaries sit next to ASCII bytes, so they are character boundaries.
        match run {
            Some((first, end)) if !slow && start == end + 1 && bytes[end] == b' ' => {
                run = Some((first, i));
            }
            _ => {
                if let Some((first, end)) = run.take() {
                    push(&s[first..end]);
                }
                if slow {
                    s[start..i].split_whitespace().for_each(&mut push);
                } else {
                    run = Some((start, i));
                }
            }
        }
    }
    if let Some((first, end)) = run {
        push(&s[first..end]);
    }
    out
}

/// [`BYTE_CLASS`] bit: ASCII white space as `split_ascii_whitespace` knows it.
const ASCII_SPACE: u8 = 1;
/// [`BYTE_CLASS`] bit: a vertical tab, or a lead byte of a multi-byte white space character.
const MAYBE_SPACE: u8 = 2;
/// The class of each byte, for [`normalize`].
const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b' ' as usize] = ASCII_SPACE;
    t[b'\t' as usize] = ASCII_SPACE;
    t[b'\n' as usize] = ASCII_SPACE;
    t[0x0C] = ASCII_SPACE;
    t[b'\r' as usize] = ASCII_SPACE;
    t[0x0B] = MAYBE_SPACE;
    t[0xC2] = MAYBE_SPACE;
    t[0xE1] = MAYBE_SPACE;
    t[0xE2] = MAYBE_SPACE;
    t[0xE3] = MAYBE_SPACE;
    t
};

/// The first `max_chars` characters of `s`, cut at a word boundary, with an ellipsis when cut.
pub fn excerpt(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        return s.to_string();
    }
    let cut: String = s.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(pos) if pos > max_chars / 2 => &cut[..pos],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_hard_breaks_and_keeps_markup() {
        assert_eq!(
            normalize("Calculation of prompt diphoton\n  production at $x<y$ & LHC  "),
            "Calculation of prompt diphoton production at $x<y$ & LHC"
        );
        assert_eq!(normalize(" \n\t "), "");
    }

    #[test]
    fn fast_path_agrees_with_unicode_splitting() {
        for s in [
            "a\u{a0}b",
            "x\u{3000}y\n z",
            "  plain  text\n\t",
            "\u{b}v\u{c}",
            "é è\r\nü",
            "",
            " ",
            "one",
            "a b c",
            "a b  c d\u{a0}e f",
            "x\u{2003}y z w",
            "– dash — and “quotes” stay",
            "tail \u{3000}",
            "\u{85}lead next",
        ] {
            let slow: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(normalize(s), slow.join(" "), "{s:?}");
        }
    }

    #[test]
    fn agrees_with_unicode_splitting_on_random_mixes() {
        let pieces = [
            "a", "word", " ", "  ", "\n", "\t", "\r\n", "\u{b}", "\u{c}", "\u{a0}", "\u{85}",
            "\u{2009}", "\u{3000}", "\u{1680}", "é", "–", "“x”", "$x<y$", "&",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..5_000 {
            let mut s = String::new();
            for _ in 0..(state % 12) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                s.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let slow: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(normalize(&s), slow.join(" "), "{s:?}");
        }
    }

    #[test]
    fn excerpt_cuts_at_words() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
        assert_eq!(excerpt("ééééééééééé", 3), "ééé…");
    }
}

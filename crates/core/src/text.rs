//! Display normalisation of titles and abstracts.

/// Joins arXiv's hard line breaks and collapses every run of white space to one space, trimmed.
///
/// The text itself (LaTeX, `<`, `&`) is kept as it is: escaping is the renderer's job.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut push = |word: &str| {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    };
    // Split on ASCII white space first (a fast byte scan); only words that may still hold
    // Unicode white space (lead bytes of U+0085, U+00A0, U+1680, U+2000..U+205F, U+3000) or a
    // vertical tab are split again the slow, exact way.
    for word in s.split_ascii_whitespace() {
        if word
            .bytes()
            .any(|b| matches!(b, 0x0B | 0xC2 | 0xE1 | 0xE2 | 0xE3))
        {
            word.split_whitespace().for_each(&mut push);
        } else {
            push(word);
        }
    }
    out
}

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
        ] {
            let slow: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(normalize(s), slow.join(" "), "{s:?}");
        }
    }

    #[test]
    fn excerpt_cuts_at_words() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
        assert_eq!(excerpt("ééééééééééé", 3), "ééé…");
    }
}

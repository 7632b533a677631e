//! Display normalisation of titles and abstracts.

/// Joins arXiv's hard line breaks and collapses every run of white space to one space, trimmed.
///
/// The text itself (LaTeX, `<`, `&`) is kept as it is: escaping is the renderer's job.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
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
    fn excerpt_cuts_at_words() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
        assert_eq!(excerpt("ééééééééééé", 3), "ééé…");
    }
}

//! The property of rendered text: every `<` in the output opens an allow-listed tag whose
//! attributes are allow-listed, and every link is http(s) or mailto. Written apart from the
//! renderers (their own lists live in `dp_web::render`), so a slip in either shows.

/// What a rendering may contain.
pub struct Allowed {
    tags: &'static [&'static str],
    attrs: &'static [&'static str],
    links: bool,
}

const MATH_TAGS: &[&str] = &[
    "math",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "mrow",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mmultiscripts",
    "mprescripts",
    "none",
    "mtable",
    "mtr",
    "mtd",
    "semantics",
    "annotation",
    "menclose",
];

const MATH_ATTRS: &[&str] = &[
    "display",
    "mathvariant",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "minsize",
    "maxsize",
    "movablelimits",
    "accent",
    "accentunder",
    "width",
    "height",
    "depth",
    "linethickness",
    "columnalign",
    "rowalign",
    "columnspacing",
    "rowspacing",
    "columnlines",
    "rowlines",
    "frame",
    "scriptlevel",
    "displaystyle",
    "symmetric",
    "largeop",
    "form",
    "encoding",
    "notation",
    "voffset",
    "alttext",
    "xmlns",
];

impl Allowed {
    /// Comments: a Markdown subset, links with `rel`.
    pub const COMMENT: Allowed = Allowed {
        tags: &[
            "p",
            "a",
            "code",
            "pre",
            "em",
            "strong",
            "del",
            "ul",
            "ol",
            "li",
            "blockquote",
            "br",
        ],
        attrs: &["href", "rel", "start", "title", "lang"],
        links: true,
    };

    /// Abstracts and titles: text and MathML, no links.
    pub const MATH: Allowed = Allowed {
        tags: MATH_TAGS,
        attrs: MATH_ATTRS,
        links: false,
    };
}

/// Whether a link target is allowed: http(s) or mailto, or a relative reference without a
/// scheme.
fn allowed_link(href: &str) -> bool {
    // As a browser reads it (the URL standard): entities decoded, leading and trailing
    // controls and spaces dropped, tabs and newlines removed anywhere (`java\tscript:`).
    let h: String = decode_entities(href)
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase();
    let Some(colon) = h.find(':') else {
        return true;
    };
    let scheme = &h[..colon];
    // Only an ASCII letter followed by letters, digits, `+`, `-` or `.` is a scheme; anything
    // else before the colon (`http%3C%3Cs://`, `a/b:c`) makes a relative reference.
    let is_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    !is_scheme || matches!(scheme, "http" | "https" | "mailto")
}

/// Undoes the character references a browser would, for checking a URL (`&#106;avascript:`).
fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest.find(';').filter(|e| *e < 12);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "colon" => Some(':'),
                _ => ent
                    .strip_prefix("#x")
                    .or_else(|| ent.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Checks rendered HTML against `allowed`; the first violation otherwise.
pub fn check(html: &str, allowed: Allowed) -> Result<(), String> {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off + 1;
        if b.get(i) == Some(&b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let name = &html[start..i];
        if name.is_empty() {
            return Err(format!("a bare `<` at byte {start}"));
        }
        if !allowed.tags.contains(&name.to_ascii_lowercase().as_str()) {
            return Err(format!("tag <{name}> is not allowed"));
        }
        // Attributes: name="value" pairs up to `>` (or `/>`).
        loop {
            while b.get(i) == Some(&b' ') {
                i += 1;
            }
            match b.get(i) {
                None => return Err(format!("tag <{name}> is not closed")),
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(b'/') if b.get(i + 1) == Some(&b'>') => {
                    i += 2;
                    break;
                }
                _ => {}
            }
            let a = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
                i += 1;
            }
            let attr = html[a..i].to_ascii_lowercase();
            if attr.is_empty() || b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
                return Err(format!("a malformed attribute in <{name}> at byte {a}"));
            }
            i += 2;
            let v = i;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            if i >= b.len() {
                return Err(format!("an unterminated attribute value in <{name}>"));
            }
            let value = &html[v..i];
            i += 1;
            if !allowed.attrs.contains(&attr.as_str()) {
                return Err(format!("attribute {attr} on <{name}> is not allowed"));
            }
            if attr == "href" && !(allowed.links && allowed_link(value)) {
                return Err(format!("link {value:?} is not allowed"));
            }
            if value.contains('<') {
                return Err(format!("a `<` inside attribute {attr}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_catches_what_it_should() {
        assert!(check("<p>a &lt; b</p>", Allowed::COMMENT).is_ok());
        assert!(check(
            r#"<a href="https://x.org" rel="nofollow">x</a>"#,
            Allowed::COMMENT
        )
        .is_ok());
        // Not schemes, so relative references (found by fuzzing the comment renderer).
        for fine in ["http%3C%3Cs://x.org", "a/b:c", "?q=x:y", "#x:y"] {
            let a = format!(r#"<a href="{fine}">x</a>"#);
            assert!(check(&a, Allowed::COMMENT).is_ok(), "{a}");
        }
        for bad in [
            "<script>x</script>",
            "<p onclick=\"x\">a</p>",
            r#"<a href="javascript:alert(1)">x</a>"#,
            r#"<a href="&#106;avascript:alert(1)">x</a>"#,
            r#"<a href=" JaVaScRiPt:alert(1)">x</a>"#,
            "<a href=\"java\tscript:alert(1)\">x</a>",
            r#"<a href="data:text/html,x">x</a>"#,
            "a < b",
            "<p",
            r#"<a href="https://x.org>x</a>"#,
        ] {
            assert!(check(bad, Allowed::COMMENT).is_err(), "{bad}");
        }
        assert!(check(r#"<math display="block"><mi>x</mi></math>"#, Allowed::MATH).is_ok());
        assert!(check(
            r#"<math href="https://x.org"><mi>x</mi></math>"#,
            Allowed::MATH
        )
        .is_err());
        assert!(check("<p>x</p>", Allowed::MATH).is_err());
    }
}

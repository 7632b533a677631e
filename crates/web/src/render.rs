//! Turning text people and sources wrote into safe HTML: comments (a Markdown subset), abstracts
//! (LaTeX math rendered to MathML on the server), and relative times.

use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped};
use pulldown_cmark::{Event, Options, Parser};
use std::collections::HashSet;

/// Renders a comment: links, code, emphasis, lists, quotes and paragraphs. Raw HTML is shown as
/// text; only http(s) and mailto links survive; every link gets `rel="nofollow noopener ugc"`.
pub fn markdown(src: &str) -> Markup {
    let events = Parser::new_ext(src, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        // What someone typed as HTML is shown as what they typed.
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        other => other,
    });
    let mut raw = String::with_capacity(src.len() * 2);
    pulldown_cmark::html::push_html(&mut raw, events);
    let tags: HashSet<&str> = [
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
    ]
    .into_iter()
    .collect();
    let clean = ammonia::Builder::default()
        .tags(tags)
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .clean(&raw)
        .to_string();
    PreEscaped(clean)
}

/// Longest piece of math rendered (longer `$...$` spans stay text).
const MAX_MATH_CHARS: usize = 1_000;

/// One piece of an abstract.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Text(&'a str),
    Math { tex: &'a str, display: bool },
}

/// Splits text at `$...$` and `$$...$$` (an escaped `\$` is a dollar sign, not math).
fn pieces(s: &str) -> Vec<Piece<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let display = b.get(i + 1) == Some(&b'$');
        let open = if display { 2 } else { 1 };
        let start = i + open;
        // Find the closing delimiter, skipping escaped characters.
        let mut j = start;
        let mut close = None;
        while j < b.len() {
            if b[j] == b'\\' {
                j += 2;
                continue;
            }
            if b[j] == b'$' {
                if !display {
                    close = Some(j);
                    break;
                }
                if b.get(j + 1) == Some(&b'$') {
                    close = Some(j);
                    break;
                }
            }
            j += 1;
        }
        match close {
            Some(end) if end > start && end - start <= MAX_MATH_CHARS => {
                if text_start < i {
                    out.push(Piece::Text(&s[text_start..i]));
                }
                out.push(Piece::Math {
                    tex: &s[start..end],
                    display,
                });
                i = end + open;
                text_start = i;
            }
            _ => i += open,
        }
    }
    if text_start < b.len() {
        out.push(Piece::Text(&s[text_start..]));
    }
    out
}

/// Control words that define macros: pulldown-latex 0.8 can panic while expanding them
/// (found by fuzzing: `\let\let…` trips an assertion in its parser), and a formula in an
/// abstract or comment has no use for them.
const MACRO_DEFINITIONS: &[&str] = &[
    "let",
    "def",
    "gdef",
    "edef",
    "xdef",
    "newcommand",
    "renewcommand",
    "providecommand",
];

/// Whether `tex` uses one of [`MACRO_DEFINITIONS`] (a backslash, the word, then no letter).
fn defines_macros(tex: &str) -> bool {
    tex.split('\\').skip(1).any(|rest| {
        let word: &str = &rest[..rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len())];
        MACRO_DEFINITIONS.contains(&word)
    })
}

/// LaTeX to MathML, or `None` when it does not parse (the source is then shown as text).
pub fn mathml(tex: &str, display: bool) -> Option<String> {
    if defines_macros(tex) {
        return None;
    }
    // A parser panic on some other input we have not met yet is a formula shown as source,
    // not a failed page.
    std::panic::catch_unwind(|| render_mathml(tex, display))
        .ok()
        .flatten()
}

fn render_mathml(tex: &str, display: bool) -> Option<String> {
    use pulldown_latex::config::DisplayMode;
    let storage = pulldown_latex::Storage::new();
    let events: Vec<_> = pulldown_latex::Parser::new(tex, &storage).collect();
    if events.iter().any(|e| e.is_err()) {
        return None;
    }
    let config = pulldown_latex::RenderConfig {
        display_mode: if display {
            DisplayMode::Block
        } else {
            DisplayMode::Inline
        },
        ..Default::default()
    };
    let mut out = String::new();
    pulldown_latex::push_mathml(&mut out, events.into_iter(), config).ok()?;
    Some(clean_mathml(&out))
}

/// MathML Core elements kept by [`clean_mathml`].
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

/// Presentation attributes kept by [`clean_mathml`] (no `href`, no event handlers, no `style`).
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
];

/// Parses one tag at the start of `s` (which starts with `<`): `(closing, name, attributes,
/// self_closing, length)`.
type Tag<'a> = (bool, &'a str, Vec<(&'a str, &'a str)>, bool, usize);

fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let b = s.as_bytes();
    let mut i = 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && b[i].is_ascii_alphanumeric() {
        i += 1;
    }
    let name = &s[name_start..i];
    if name.is_empty() {
        return None;
    }
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        match b.get(i)? {
            b'>' => return Some((closing, name, attrs, false, i + 1)),
            b'/' if b.get(i + 1) == Some(&b'>') => {
                return Some((closing, name, attrs, true, i + 2))
            }
            _ => {}
        }
        let a = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
            i += 1;
        }
        if a == i || b.get(i) != Some(&b'=') || b.get(i + 1) != Some(&b'"') {
            return None;
        }
        let attr = &s[a..i];
        let v = i + 2;
        let end = v + s[v..].find('"')?;
        let value = &s[v..end];
        if value.contains('<') {
            return None;
        }
        attrs.push((attr, value));
        i = end + 1;
    }
}

fn is_entity(s: &str) -> bool {
    let Some(end) = s.find(';') else { return false };
    let body = &s[1..end];
    end <= 10
        && !body.is_empty()
        && (body.bytes().all(|c| c.is_ascii_alphanumeric())
            || body.strip_prefix('#').is_some_and(|n| {
                !n.is_empty()
                    && (n.bytes().all(|c| c.is_ascii_digit())
                        || n.strip_prefix('x').is_some_and(|h| {
                            !h.is_empty() && h.bytes().all(|c| c.is_ascii_hexdigit())
                        }))
            }))
}

/// Keeps only MathML Core elements with presentation attributes from a renderer's output and
/// escapes everything else, so no LaTeX source can smuggle markup into a page.
pub fn clean_mathml(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 16);
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => match parse_tag(rest) {
                Some((closing, name, attrs, self_closing, len)) if MATH_TAGS.contains(&name) => {
                    out.push('<');
                    if closing {
                        out.push('/');
                    }
                    out.push_str(name);
                    for (a, v) in attrs {
                        if MATH_ATTRS.contains(&a) {
                            out.push_str(&format!(
                                " {a}=\"{}\"",
                                v.replace('&', "&amp;").replace('>', "&gt;")
                            ));
                        }
                    }
                    out.push_str(if self_closing { "/>" } else { ">" });
                    rest = &rest[len..];
                }
                _ => {
                    out.push_str("&lt;");
                    rest = &rest[1..];
                }
            },
            '>' => {
                out.push_str("&gt;");
                rest = &rest[1..];
            }
            '&' if !is_entity(rest) => {
                out.push_str("&amp;");
                rest = &rest[1..];
            }
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// An abstract (or title) as HTML: text escaped, `$...$` math rendered to MathML with its
/// source kept as the `<math>` element's `alttext`; math that does not parse stays text.
pub fn with_math(text: &str) -> Markup {
    html! {
        @for piece in pieces(text) {
            @match piece {
                Piece::Text(t) => (t),
                Piece::Math { tex, display } => @match mathml(tex, display) {
                    Some(m) => (PreEscaped(m)),
                    None => { @if display { "$$" (tex) "$$" } @else { "$" (tex) "$" } },
                },
            }
        }
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago", then the date.
pub fn relative_time(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        s if s < 60 => "just now".into(),
        s if s < 3_600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3_600, "hour"),
        s if s < 30 * 86_400 => plural(s / 86_400, "day"),
        _ => t.format("%B %-d, %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_definitions_are_shown_as_source() {
        assert!(defines_macros(r"\let\x\alpha"));
        assert!(defines_macros(r"a \newcommand{\R}{\mathbb{R}}"));
        assert!(!defines_macros(r"\left( \lettuce \delta \right)"));
        let out = with_math(r"$\let\let\\\dbinom\t$ and $x^2$").into_string();
        assert!(out.contains(r"$\let\let"), "{out}");
        assert!(out.contains("<math"), "{out}");
    }

    #[test]
    fn comments_keep_the_subset_and_nothing_else() {
        let out =
            markdown("**bold** _em_ `code` [link](https://example.org)\n\n- a\n- b").into_string();
        for want in [
            "<strong>bold</strong>",
            "<em>em</em>",
            "<code>code</code>",
            "<li>a</li>",
        ] {
            assert!(out.contains(want), "{want} in {out}");
        }
        assert!(
            out.contains(r#"href="https://example.org""#) && out.contains("nofollow"),
            "{out}"
        );
    }

    #[test]
    fn hostile_comments_render_as_text() {
        let out = markdown(
            "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1)) \
             ![i](https://evil.example/t.png) & <b>",
        )
        .into_string();
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "shown as text: {out}");
        assert!(out.contains("&amp;"), "{out}");
        let out = markdown("see [x](javascript:alert(1)) and ![i](https://evil.example/t.png)")
            .into_string();
        assert!(!out.contains("href=\"javascript"), "{out}");
        assert!(!out.contains("<img"), "no remote images: {out}");
    }

    #[test]
    fn splits_math_from_text() {
        assert_eq!(
            pieces(r"cost \$5, $x^2$ and $$\sum_i i$$ end $ alone"),
            vec![
                Piece::Text(r"cost \$5, "),
                Piece::Math {
                    tex: "x^2",
                    display: false
                },
                Piece::Text(" and "),
                Piece::Math {
                    tex: r"\sum_i i",
                    display: true
                },
                Piece::Text(" end $ alone"),
            ]
        );
    }

    #[test]
    fn abstracts_get_mathml_and_stay_escaped() {
        let out = with_math(r"We show $O(n^2)$ bounds for <b>a & b</b>.").into_string();
        assert!(out.contains("<math"), "{out}");
        assert!(out.contains("<msup>"), "{out}");
        assert!(out.contains("&lt;b&gt;a &amp; b&lt;/b&gt;"), "{out}");
    }

    #[test]
    fn hostile_math_cannot_inject_markup() {
        for tex in [
            r"$\text{<script>alert(1)</script>}$",
            r"$<img src=x onerror=alert(1)>$",
            r#"$\href{javascript:alert(1)}{x}$"#,
            r"$\mathrm{</math><script>x</script>}$",
        ] {
            let out = with_math(tex).into_string();
            assert!(!out.contains("<script"), "{tex}: {out}");
            assert!(!out.contains("<img"), "{tex}: {out}");
            assert!(!out.contains("href="), "{tex}: {out}");
        }
    }

    #[test]
    fn mathml_is_cleaned() {
        let m = mathml("a<b", false).unwrap();
        assert!(m.contains("<mo>&lt;</mo>"), "{m}");
        assert_eq!(
            clean_mathml(
                r#"<math display="block" onload="x()"><mi>a</mi><script>x</script><mo>&amp;&</mo><img src=x></math>"#
            ),
            r#"<math display="block"><mi>a</mi>&lt;script&gt;x&lt;/script&gt;<mo>&amp;&amp;</mo>&lt;img src=x&gt;</math>"#
        );
    }

    #[test]
    fn relative_times() {
        let now = Utc::now();
        assert_eq!(relative_time(now, now), "just now");
        assert_eq!(
            relative_time(now - chrono::Duration::minutes(1), now),
            "1 minute ago"
        );
        assert_eq!(
            relative_time(now - chrono::Duration::hours(5), now),
            "5 hours ago"
        );
        assert_eq!(
            relative_time(now - chrono::Duration::days(2), now),
            "2 days ago"
        );
    }
}

//! Citations of papers for reference managers: BibTeX, RIS and CSL-JSON, with the arXiv fields
//! they read (`eprint`, `archivePrefix`, `primaryClass`, and the DOI when known).
//!
//! Each format is written so that a standard parser reads back what was written: BibTeX values
//! in braces (braces inside kept only when they balance), RIS one tag per line, CSL-JSON through
//! serde.

use crate::Paper;
use serde_json::{json, Value};
use std::collections::HashSet;

/// A paper to cite, with the reader's note (exported as `note` / `N1`).
#[derive(Debug, Clone, Copy)]
pub struct Cited<'a> {
    /// The paper.
    pub paper: &'a Paper,
    /// The reader's note, if any.
    pub note: Option<&'a str>,
}

/// A citation key: first author's last name, year, first long word of the title, in lower-case
/// ASCII (`vaswani2017attention`).
pub fn key(p: &Paper) -> String {
    let year = p
        .published
        .map(|t| t.format("%Y").to_string())
        .unwrap_or_default();
    let last = p
        .authors
        .first()
        .and_then(|a| a.split_whitespace().last())
        .unwrap_or("anon");
    let word = p
        .title
        .split_whitespace()
        .find(|w| w.chars().filter(|c| c.is_alphanumeric()).count() > 3)
        .unwrap_or("paper");
    let key: String = format!("{last}{year}{word}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if key.is_empty() {
        format!("arxiv{}", p.id.base().replace(['.', '/'], ""))
    } else {
        key
    }
}

/// Keys for a list, made unique by `a`, `b`, … suffixes in order.
fn unique_keys(items: &[Cited<'_>]) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .iter()
        .map(|c| {
            let base = key(c.paper);
            let mut k = base.clone();
            let mut n = 0u32;
            while !seen.insert(k.clone()) {
                n += 1;
                k = format!("{base}{}", suffix(n));
            }
            k
        })
        .collect()
}

fn suffix(mut n: u32) -> String {
    let mut s = Vec::new();
    while n > 0 {
        n -= 1;
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
    }
    s.iter().rev().collect()
}

/// Whether the braces of `s` balance (never closing more than are open).
fn balanced(s: &str) -> bool {
    let mut depth = 0i64;
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// A BibTeX field value: on one line, braces kept when they balance, dropped otherwise.
fn bib_value(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if balanced(&one_line) {
        one_line
    } else {
        one_line
            .replace(['{', '}'], " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn year_of(p: &Paper) -> Option<String> {
    p.published.map(|t| t.format("%Y").to_string())
}

/// One paper as a BibTeX `@misc` entry under `key`.
pub fn bibtex_entry(c: Cited<'_>, key: &str) -> String {
    let p = c.paper;
    let mut fields: Vec<(&str, String)> = vec![("title", bib_value(&p.title))];
    if !p.authors.is_empty() {
        fields.push(("author", bib_value(&p.authors.join(" and "))));
    }
    if let Some(y) = year_of(p) {
        fields.push(("year", y));
    }
    if let Some(t) = p.published {
        fields.push(("month", t.format("%b").to_string().to_lowercase()));
    }
    fields.push(("eprint", p.id.base().to_string()));
    fields.push(("archivePrefix", "arXiv".into()));
    if let Some(c) = p.primary_category() {
        fields.push(("primaryClass", bib_value(c)));
    }
    if let Some(d) = &p.doi {
        fields.push(("doi", bib_value(d)));
    }
    if let Some(j) = &p.journal_ref {
        fields.push(("journal", bib_value(j)));
    }
    fields.push(("url", format!("https://arxiv.org/abs/{}", p.id.base())));
    if let Some(n) = c.note {
        fields.push(("note", bib_value(n)));
    }
    let body = fields
        .iter()
        .map(|(k, v)| format!("  {k} = {{{v}}}"))
        .collect::<Vec<_>>()
        .join(",\n");
    format!("@misc{{{key},\n{body}\n}}")
}

/// One paper as BibTeX (its key from [`key`]).
pub fn bibtex(p: &Paper) -> String {
    bibtex_entry(
        Cited {
            paper: p,
            note: None,
        },
        &key(p),
    )
}

/// Papers as a BibTeX file, keys made unique.
pub fn bibtex_file(items: &[Cited<'_>]) -> String {
    let keys = unique_keys(items);
    let mut out = String::new();
    for (c, k) in items.iter().zip(&keys) {
        out.push_str(&bibtex_entry(*c, k));
        out.push_str("\n\n");
    }
    out
}

/// A name as RIS wants it: `Last, First` (the last word is taken as the family name).
fn ris_name(name: &str) -> String {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.rsplit_once(' ') {
        Some((given, family)) => format!("{family}, {given}"),
        None => name,
    }
}

fn ris_line(out: &mut String, tag: &str, value: &str) {
    let v = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if !v.is_empty() {
        out.push_str(tag);
        out.push_str("  - ");
        out.push_str(&v);
        out.push_str("\r\n");
    }
}

/// Papers as an RIS file (`UNPB` for preprints, `JOUR` when a journal reference is known).
pub fn ris_file(items: &[Cited<'_>]) -> String {
    let mut out = String::new();
    for c in items {
        let p = c.paper;
        ris_line(
            &mut out,
            "TY",
            if p.journal_ref.is_some() {
                "JOUR"
            } else {
                "UNPB"
            },
        );
        ris_line(&mut out, "TI", &p.title);
        for a in &p.authors {
            ris_line(&mut out, "AU", &ris_name(a));
        }
        if let Some(t) = p.published {
            ris_line(&mut out, "PY", &t.format("%Y").to_string());
            ris_line(&mut out, "DA", &t.format("%Y/%m/%d").to_string());
        }
        ris_line(&mut out, "AB", &p.abstract_text);
        if let Some(j) = &p.journal_ref {
            ris_line(&mut out, "JO", j);
        }
        if let Some(d) = &p.doi {
            ris_line(&mut out, "DO", d);
        }
        ris_line(&mut out, "AN", &format!("arXiv:{}", p.id.base()));
        ris_line(
            &mut out,
            "UR",
            &format!("https://arxiv.org/abs/{}", p.id.base()),
        );
        for k in &p.categories {
            ris_line(&mut out, "KW", k);
        }
        ris_line(&mut out, "PB", "arXiv");
        if let Some(n) = c.note {
            ris_line(&mut out, "N1", n);
        }
        out.push_str("ER  - \r\n\r\n");
    }
    out
}

/// A name as CSL-JSON wants it: family and given parts.
fn csl_name(name: &str) -> Value {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    match name.rsplit_once(' ') {
        Some((given, family)) => json!({ "family": family, "given": given }),
        None => json!({ "literal": name }),
    }
}

/// Papers as CSL-JSON (an array of `article` items, as Zotero exports arXiv preprints).
pub fn csl_json(items: &[Cited<'_>]) -> Value {
    let keys = unique_keys(items);
    Value::Array(
        items
            .iter()
            .zip(&keys)
            .map(|(c, k)| {
                let p = c.paper;
                let mut v = json!({
                    "id": k,
                    "type": "article",
                    "title": p.title,
                    "author": p.authors.iter().map(|a| csl_name(a)).collect::<Vec<_>>(),
                    "abstract": p.abstract_text,
                    "publisher": "arXiv",
                    "number": format!("arXiv:{}", p.id.base()),
                    "URL": format!("https://arxiv.org/abs/{}", p.id.base()),
                    "keyword": p.categories.join(", "),
                });
                if let Some(t) = p.published {
                    let parts: Vec<i64> = [t.format("%Y"), t.format("%m"), t.format("%d")]
                        .iter()
                        .filter_map(|f| f.to_string().parse().ok())
                        .collect();
                    v["issued"] = json!({ "date-parts": [parts] });
                }
                if let Some(d) = &p.doi {
                    v["DOI"] = json!(d);
                }
                if let Some(j) = &p.journal_ref {
                    v["container-title"] = json!(j);
                }
                if let Some(n) = c.note {
                    v["note"] = json!(n);
                }
                v
            })
            .collect(),
    )
}

/// A citation file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// BibTeX (`.bib`).
    Bibtex,
    /// RIS (`.ris`).
    Ris,
    /// CSL-JSON (`.json`).
    CslJson,
}

impl Format {
    /// From a file extension: `bib`, `ris` or `json`.
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "bib" => Some(Format::Bibtex),
            "ris" => Some(Format::Ris),
            "json" => Some(Format::CslJson),
            _ => None,
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Bibtex => "bib",
            Format::Ris => "ris",
            Format::CslJson => "json",
        }
    }

    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Bibtex => "application/x-bibtex; charset=utf-8",
            Format::Ris => "application/x-research-info-systems; charset=utf-8",
            Format::CslJson => "application/vnd.citationstyles.csl+json; charset=utf-8",
        }
    }

    /// The papers in this format.
    pub fn render(self, items: &[Cited<'_>]) -> String {
        match self {
            Format::Bibtex => bibtex_file(items),
            Format::Ris => ris_file(items),
            Format::CslJson => {
                serde_json::to_string_pretty(&csl_json(items)).unwrap_or_else(|_| "[]".into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ArxivId;
    use chrono::TimeZone;

    fn paper(title: &str) -> Paper {
        let mut p = Paper::new(
            &ArxivId::parse("2401.01234").unwrap(),
            title,
            "An {abstract} & more.",
        );
        p.authors = vec![
            "Ada Lovelace".into(),
            "Alan M. Turing".into(),
            "Plato".into(),
        ];
        p.categories = vec!["cs.CL".into(), "cs.LG".into()];
        p.published = Some(chrono::Utc.with_ymd_and_hms(2024, 1, 3, 0, 0, 0).unwrap());
        p.doi = Some("10.1000/xyz".into());
        p
    }

    #[test]
    fn bibtex_has_the_arxiv_fields_and_keeps_balanced_latex() {
        let p = paper("Attention on $\\mathcal{O}(n)$ budgets");
        let b = bibtex(&p);
        assert!(b.starts_with("@misc{lovelace2024attention,\n"), "{b}");
        for f in [
            "  title = {Attention on $\\mathcal{O}(n)$ budgets}",
            "  author = {Ada Lovelace and Alan M. Turing and Plato}",
            "  year = {2024}",
            "  eprint = {2401.01234}",
            "  archivePrefix = {arXiv}",
            "  primaryClass = {cs.CL}",
            "  doi = {10.1000/xyz}",
        ] {
            assert!(b.contains(f), "{f} in {b}");
        }
        let bad = bibtex(&paper("Unbalanced } brace {{"));
        assert!(bad.contains("  title = {Unbalanced brace},\n"), "{bad}");
    }

    #[test]
    fn keys_are_unique_within_a_file() {
        let (a, b, c) = (
            paper("Same title"),
            paper("Same title"),
            paper("Same title"),
        );
        let items: Vec<Cited<'_>> = [&a, &b, &c]
            .iter()
            .map(|p| Cited {
                paper: p,
                note: None,
            })
            .collect();
        let f = bibtex_file(&items);
        for k in [
            "@misc{lovelace2024same,",
            "@misc{lovelace2024samea,",
            "@misc{lovelace2024sameb,",
        ] {
            assert!(f.contains(k), "{k}");
        }
        assert_eq!(suffix(27), "aa");
    }

    #[test]
    fn ris_and_csl_carry_names_dates_and_notes() {
        let p = paper("A title");
        let items = [Cited {
            paper: &p,
            note: Some("read\nthis"),
        }];
        let r = ris_file(&items);
        assert!(r.starts_with("TY  - UNPB\r\n"), "{r}");
        assert!(r.contains("AU  - Lovelace, Ada\r\n"));
        assert!(r.contains("AU  - Turing, Alan M.\r\n"));
        assert!(r.contains("AU  - Plato\r\n"));
        assert!(r.contains("DA  - 2024/01/03\r\n"));
        assert!(r.contains("N1  - read this\r\n"));
        assert!(r.contains("DO  - 10.1000/xyz\r\n"));
        let c = csl_json(&items);
        assert_eq!(c[0]["author"][0]["family"], "Lovelace");
        assert_eq!(c[0]["author"][2]["literal"], "Plato");
        assert_eq!(c[0]["issued"]["date-parts"][0], json!([2024, 1, 3]));
        assert_eq!(c[0]["number"], "arXiv:2401.01234");
        assert_eq!(c[0]["note"], "read\nthis");
    }
}

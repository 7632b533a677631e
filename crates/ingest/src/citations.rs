//! Reference-manager files read for import into a collection: BibTeX (parsed entry by entry
//! with the `biblatex` crate, so one broken entry costs only itself) and RIS.
//!
//! What is kept of each entry is what matching needs: an arXiv id (from `eprint`, an
//! `arXiv:` number, or an arxiv.org URL), a DOI, the title (LaTeX accents resolved), and a label
//! for the report.

use dp_core::ArxivId;

/// The largest file read, in bytes.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;
/// The most entries read from one file.
pub const MAX_ENTRIES: usize = 20_000;

/// A reference from a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reference {
    /// How the report names it: the BibTeX key, else the title, else its number in the file.
    pub label: String,
    /// Its arXiv id, when the entry gives one.
    pub arxiv: Option<ArxivId>,
    /// Its DOI (lower-case, without a resolver prefix).
    pub doi: Option<String>,
    /// Its title, on one line.
    pub title: Option<String>,
}

/// An entry that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// Where it starts: the key when one is visible, else "entry N".
    pub label: String,
    /// Why.
    pub reason: String,
}

/// A whole file refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CitationError {
    /// Over [`MAX_BYTES`].
    #[error("the file is larger than {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    /// Over [`MAX_ENTRIES`].
    #[error("the file holds more than {MAX_ENTRIES} entries")]
    TooMany,
    /// Not text.
    #[error("the file is not UTF-8 text")]
    NotText,
    /// No entry at all.
    #[error("no BibTeX or RIS entry was found in the file")]
    Empty,
}

/// What a file held: references, and the entries that could not be read.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Readable entries, in file order.
    pub references: Vec<Reference>,
    /// Entries that could not be read.
    pub unreadable: Vec<Unreadable>,
}

/// Reads a BibTeX or RIS file (told apart by its first entry).
pub fn parse(bytes: &[u8]) -> Result<Parsed, CitationError> {
    if bytes.len() > MAX_BYTES {
        return Err(CitationError::TooLarge);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| CitationError::NotText)?
        .trim_start_matches('\u{feff}');
    let parsed = if looks_like_ris(text) {
        parse_ris(text)?
    } else {
        parse_bibtex(text)?
    };
    if parsed.references.is_empty() && parsed.unreadable.is_empty() {
        return Err(CitationError::Empty);
    }
    Ok(parsed)
}

fn looks_like_ris(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("TY  -") || l.starts_with("TY -"))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A DOI from a field: `10.…`, also behind `https://doi.org/` or `doi:`.
pub fn clean_doi(raw: &str) -> Option<String> {
    let s = raw.trim();
    let at = s.find("10.")?;
    let doi = s[at..]
        .trim_end_matches(['.', ',', ';'])
        .to_ascii_lowercase();
    (doi.len() > 4 && doi.contains('/') && !doi.contains(char::is_whitespace)).then_some(doi)
}

/// An arXiv id from a field: a bare id, `arXiv:ID`, or an arxiv.org abs/pdf URL.
pub fn arxiv_in(raw: &str) -> Option<ArxivId> {
    let s = raw.trim();
    let candidates = [
        s.strip_prefix("arXiv:")
            .or_else(|| s.strip_prefix("arxiv:")),
        s.split_once("arxiv.org/abs/").map(|(_, r)| r),
        s.split_once("arxiv.org/pdf/").map(|(_, r)| r),
        Some(s),
    ];
    candidates.into_iter().flatten().find_map(|c| {
        let c = c.trim().trim_end_matches(".pdf").trim_end_matches('/');
        let c = c.split(['?', '#', ' ']).next().unwrap_or(c);
        ArxivId::parse(c).ok()
    })
}

/// Splits BibTeX text into entries: each starts at an `@` that begins a line. An entry with
/// unbalanced braces then spoils only itself.
fn bibtex_chunks(text: &str) -> Vec<&str> {
    let mut starts = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with('@') {
            starts.push(line_start + (line.len() - line.trim_start().len()));
        }
        line_start += line.len();
    }
    starts
        .iter()
        .enumerate()
        .map(|(i, &s)| &text[s..starts.get(i + 1).copied().unwrap_or(text.len())])
        .collect()
}

fn chunk_label(chunk: &str, n: usize) -> String {
    chunk
        .split_once('{')
        .and_then(|(_, rest)| rest.split([',', '\n']).next())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() < 100)
        .map_or_else(|| format!("entry {n}"), str::to_string)
}

fn parse_bibtex(text: &str) -> Result<Parsed, CitationError> {
    use biblatex::{Bibliography, ChunksExt};
    let mut out = Parsed::default();
    let chunks = bibtex_chunks(text);
    for (i, chunk) in chunks.iter().enumerate() {
        let kind = chunk[1..]
            .split(['{', '('])
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if matches!(kind.as_str(), "comment" | "preamble" | "string") {
            continue;
        }
        if out.references.len() + out.unreadable.len() >= MAX_ENTRIES {
            return Err(CitationError::TooMany);
        }
        let bib = match Bibliography::parse(chunk) {
            Ok(b) => b,
            Err(e) => {
                out.unreadable.push(Unreadable {
                    label: chunk_label(chunk, i + 1),
                    reason: format!("not valid BibTeX ({:?})", e.kind),
                });
                continue;
            }
        };
        for entry in bib.iter() {
            // One chunk may hold many entries (all on one line): the cap counts each.
            if out.references.len() + out.unreadable.len() >= MAX_ENTRIES {
                return Err(CitationError::TooMany);
            }
            let field = |name: &str| entry.get(name).map(|c| one_line(&c.format_verbatim()));
            let title = field("title").filter(|t| !t.is_empty());
            let archive = field("archiveprefix")
                .or_else(|| field("eprinttype"))
                .unwrap_or_default()
                .to_ascii_lowercase();
            let arxiv = field("eprint")
                .filter(|_| archive.is_empty() || archive == "arxiv")
                .and_then(|e| arxiv_in(&e))
                .or_else(|| field("arxivid").and_then(|e| arxiv_in(&e)))
                .or_else(|| field("url").and_then(|u| arxiv_in_url(&u)))
                .or_else(|| field("journal").and_then(|j| arxiv_prefixed(&j)))
                .or_else(|| field("number").and_then(|j| arxiv_prefixed(&j)));
            out.references.push(Reference {
                label: entry.key.clone(),
                arxiv,
                doi: field("doi").and_then(|d| clean_doi(&d)),
                title,
            });
        }
    }
    Ok(out)
}

/// An id only when it is named as arXiv's (`arXiv:ID`), so a journal number is not taken for one.
fn arxiv_prefixed(s: &str) -> Option<ArxivId> {
    let at = s.to_ascii_lowercase().find("arxiv:")?;
    arxiv_in(&s[at..])
}

fn arxiv_in_url(s: &str) -> Option<ArxivId> {
    s.contains("arxiv.org/").then(|| arxiv_in(s)).flatten()
}

fn parse_ris(text: &str) -> Result<Parsed, CitationError> {
    let mut out = Parsed::default();
    let mut current: Option<(Reference, Vec<String>)> = None;
    let mut n = 0usize;
    for line in text.lines() {
        let line = line.trim_end();
        let Some((tag, value)) = ris_tag(line) else {
            continue;
        };
        match tag {
            "TY" => {
                n += 1;
                if out.references.len() + out.unreadable.len() >= MAX_ENTRIES {
                    return Err(CitationError::TooMany);
                }
                if let Some((r, _)) = current.take() {
                    out.unreadable.push(Unreadable {
                        label: r.label,
                        reason: "no ER line before the next TY".into(),
                    });
                }
                current = Some((
                    Reference {
                        label: format!("entry {n}"),
                        ..Reference::default()
                    },
                    Vec::new(),
                ));
            }
            "ER" => {
                if let Some((mut r, urls)) = current.take() {
                    if r.arxiv.is_none() {
                        r.arxiv = urls.iter().find_map(|u| arxiv_in_url(u));
                    }
                    if let Some(t) = &r.title {
                        r.label = t.chars().take(80).collect();
                    }
                    out.references.push(r);
                }
            }
            _ => {
                let Some((r, urls)) = current.as_mut() else {
                    continue;
                };
                let value = one_line(value);
                match tag {
                    "TI" | "T1" if r.title.is_none() && !value.is_empty() => r.title = Some(value),
                    "DO" => r.doi = r.doi.take().or_else(|| clean_doi(&value)),
                    "UR" | "L1" | "L2" => urls.push(value),
                    "AN" | "M1" | "N1" | "ID" | "C7" if r.arxiv.is_none() => {
                        r.arxiv = arxiv_prefixed(&value)
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some((r, _)) = current {
        out.unreadable.push(Unreadable {
            label: r.label,
            reason: "the file ends before its ER line".into(),
        });
    }
    Ok(out)
}

/// `XX  - value` (some writers put one space before the dash).
fn ris_tag(line: &str) -> Option<(&str, &str)> {
    let tag = line.get(..2)?;
    if !tag
        .bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return None;
    }
    let rest = line[2..].trim_start();
    let value = rest.strip_prefix('-')?;
    Some((tag, value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bibtex_entries_give_ids_dois_and_titles_and_a_broken_one_costs_only_itself() {
        let text = r#"
@comment{jabref-meta: databaseType:bibtex;}
@article{smith2020,
  title = {A Study of {M}\"{u}ller's $\alpha$ method},
  author = {Smith, Jane},
  doi = {https://doi.org/10.1000/ABC.123},
  year = {2020}
}
@misc{broken2021,
  title = {Unbalanced {brace here,
  eprint = {2101.00001}
}
@misc{vaswani2017,
  title = {Attention Is All You Need},
  eprint = {1706.03762v5},
  archivePrefix = {arXiv},
  primaryClass = {cs.CL}
}
@online{url2019, title = {From a URL}, url = {https://arxiv.org/abs/1901.00002v2}}
@article{journal, title = {Journal only}, journal = {arXiv:2002.00003}}
@article{notarxiv, title = {Physics}, number = {1234.5678}}
"#;
        let p = parse(text.as_bytes()).unwrap();
        let by: std::collections::HashMap<_, _> =
            p.references.iter().map(|r| (r.label.as_str(), r)).collect();
        assert_eq!(p.references.len(), 5, "{:?}", p.references);
        assert_eq!(p.unreadable.len(), 1);
        assert_eq!(p.unreadable[0].label, "broken2021");
        let s = by["smith2020"];
        assert_eq!(s.doi.as_deref(), Some("10.1000/abc.123"));
        assert!(s.arxiv.is_none());
        let title = s.title.as_deref().unwrap();
        assert!(title.contains("Müller"), "{title}");
        assert_eq!(
            by["vaswani2017"].arxiv.as_ref().unwrap().base(),
            "1706.03762"
        );
        assert_eq!(by["url2019"].arxiv.as_ref().unwrap().base(), "1901.00002");
        assert_eq!(by["journal"].arxiv.as_ref().unwrap().base(), "2002.00003");
        assert!(
            by["notarxiv"].arxiv.is_none(),
            "a bare number is not an arXiv id"
        );
    }

    #[test]
    fn ris_records_give_ids_dois_and_titles() {
        let text = "TY  - JOUR\r\nTI  - One\r\nDO  - 10.1/X\r\nER  - \r\n\r\nTY  - UNPB\r\nT1  - Two\r\nUR  - https://arxiv.org/abs/2401.01234\r\nER  - \r\nTY  - GEN\r\nAN  - arXiv:2402.00001\r\nER  -\r\nTY  - GEN\r\nTI  - Cut off\r\n";
        let p = parse(text.as_bytes()).unwrap();
        assert_eq!(p.references.len(), 3);
        assert_eq!(p.references[0].doi.as_deref(), Some("10.1/x"));
        assert_eq!(p.references[1].arxiv.as_ref().unwrap().base(), "2401.01234");
        assert_eq!(p.references[1].label, "Two");
        assert_eq!(p.references[2].arxiv.as_ref().unwrap().base(), "2402.00001");
        assert_eq!(p.unreadable.len(), 1);
    }

    #[test]
    fn hostile_files_are_refused_whole_with_a_reason() {
        assert_eq!(parse(b"\xff\xfe").unwrap_err(), CitationError::NotText);
        assert_eq!(parse(b"just words").unwrap_err(), CitationError::Empty);
        let big = vec![b' '; MAX_BYTES + 1];
        assert_eq!(parse(&big).unwrap_err(), CitationError::TooLarge);
        let many = "@misc{k, title={t}}\n".repeat(MAX_ENTRIES + 1);
        assert_eq!(parse(many.as_bytes()).unwrap_err(), CitationError::TooMany);
        let one_line: String = (0..=MAX_ENTRIES)
            .map(|i| format!("@misc{{k{i}, title={{t}}}} "))
            .collect();
        assert_eq!(
            parse(one_line.as_bytes()).unwrap_err(),
            CitationError::TooMany,
            "entries on one line count too"
        );
        let unfinished = "TY  - X\n".repeat(MAX_ENTRIES + 2);
        assert_eq!(
            parse(unfinished.as_bytes()).unwrap_err(),
            CitationError::TooMany
        );
        // Deep nesting and stray characters cost only their entries.
        let nasty = format!(
            "@misc{{deep, title={}}}\n@misc{{ok, title={{Fine}}}}\n",
            "{".repeat(5000)
        );
        let p = parse(nasty.as_bytes()).unwrap();
        assert_eq!(p.references.len(), 1);
        assert_eq!(p.references[0].title.as_deref(), Some("Fine"));
    }
}

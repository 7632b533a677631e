//! arXiv API Atom responses (`export.arxiv.org/api/query`).
//!
//! [`parse_atom`] reads one response page into an [`AtomFeed`]: the OpenSearch header counts and
//! one entry of [`AtomFeed::records`] per `<entry>`, in document order.
//!
//! * A good entry becomes `Ok(Paper)`: id and version from `<id>`, `<title>`, `<summary>`,
//!   `<author><name>` in order, `<published>` and `<updated>` (RFC 3339), `<arxiv:comment>`,
//!   `<arxiv:journal_ref>`, `<arxiv:doi>` (the first DOI when several are listed) and the
//!   categories: `<arxiv:primary_category>` first, then every `<category>`, without duplicates.
//! * An entry that cannot be a paper becomes `Err(reason)`, where the reason names the entry by
//!   its 1-based position (`entry 3 (…): …`), and parsing goes on with the next entry. That
//!   covers a bad id, a bad date, a record failing [`Paper::validate`], and text with an unknown
//!   entity or invalid UTF-8.
//! * The API reports a failed query (for example a malformed id in `id_list`) as an entry whose
//!   `<id>` is `http://arxiv.org/api/errors#…`; it becomes
//!   `Err("entry N: arXiv API error: MESSAGE")` (the entry's `<summary>`) in `records`, not an
//!   error of `parse_atom`.
//!
//! Elements are matched by local name, so namespace prefixes do not matter. See [`crate::xml`]
//! for what makes a whole document unreadable.

use crate::xml::{first_doi, non_empty, quote, XmlCursor, XmlError};
use chrono::{DateTime, Utc};
use dp_core::text::normalize;
use dp_core::{ArxivId, Paper};

/// One page of an arXiv API response.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomFeed {
    /// `opensearch:totalResults`: how many results the query has in all (when present and a
    /// number).
    pub total_results: Option<u64>,
    /// `opensearch:startIndex`: the 0-based index of this page's first result.
    pub start_index: Option<u64>,
    /// One item per `<entry>`, in order: the paper, or why the entry was rejected.
    pub records: Vec<Result<Paper, String>>,
}

/// Parses an arXiv API Atom response.
///
/// Fails only when the document as a whole cannot be read: malformed or truncated XML, a
/// `<!DOCTYPE>`, or a root element other than `<feed>`. Problems of single entries become
/// `Err` items of [`AtomFeed::records`].
pub fn parse_atom(xml: &[u8]) -> Result<AtomFeed, XmlError> {
    let mut c = XmlCursor::new(xml);
    c.root(b"feed", "an arXiv API Atom feed (<feed>)")?;
    let mut feed = AtomFeed {
        total_results: None,
        start_index: None,
        records: Vec::new(),
    };
    while let Some(el) = c.next_child()? {
        match el.local_name() {
            b"totalResults" => feed.total_results = c.strict_text()?.trim().parse().ok(),
            b"startIndex" => feed.start_index = c.strict_text()?.trim().parse().ok(),
            b"entry" => {
                let n = feed.records.len() + 1;
                let raw = read_entry(&mut c)?;
                feed.records.push(raw.into_paper(n));
            }
            _ => c.skip()?,
        }
    }
    c.finish()?;
    Ok(feed)
}

/// The fields of one `<entry>` as found, before validation.
#[derive(Default)]
struct RawEntry {
    id: Option<String>,
    title: String,
    summary: String,
    authors: Vec<String>,
    published: Option<String>,
    updated: Option<String>,
    comment: Option<String>,
    journal_ref: Option<String>,
    doi: Option<String>,
    primary_category: Option<String>,
    categories: Vec<String>,
    /// The first unusable text or attribute, with the element it was in.
    problem: Option<String>,
}

impl RawEntry {
    fn note(&mut self, element: &str, problem: String) {
        if self.problem.is_none() {
            self.problem = Some(format!("<{element}>: {problem}"));
        }
    }

    /// Stores a text field, or notes why it is unusable.
    fn take(&mut self, element: &str, text: Result<String, String>) -> Option<String> {
        match text {
            Ok(t) => Some(t),
            Err(p) => {
                self.note(element, p);
                None
            }
        }
    }

    fn into_paper(self, n: usize) -> Result<Paper, String> {
        let Some(raw_id) = self.id.as_deref().map(str::trim) else {
            return Err(format!("entry {n}: no <id>"));
        };
        let label = format!("entry {n} ({})", quote(raw_id));
        if let Some(p) = self.problem {
            return Err(format!("{label}: {p}"));
        }
        if raw_id.contains("arxiv.org/api/errors") {
            let message = non_empty(&self.summary)
                .or_else(|| non_empty(&self.title))
                .unwrap_or_else(|| raw_id.to_string());
            return Err(format!("entry {n}: arXiv API error: {}", quote(&message)));
        }
        let id = ArxivId::parse(raw_id).map_err(|e| format!("entry {n}: {e}"))?;
        let mut paper = Paper::new(&id, &self.title, &self.summary);
        paper.authors = self
            .authors
            .iter()
            .map(|a| normalize(a))
            .filter(|a| !a.is_empty())
            .collect();
        let mut categories: Vec<String> = Vec::new();
        for c in self.primary_category.iter().chain(&self.categories) {
            let c = c.trim();
            if !c.is_empty() && !categories.iter().any(|k| k == c) {
                categories.push(c.to_string());
            }
        }
        paper.categories = categories;
        paper.published = parse_time(self.published.as_deref())
            .map_err(|e| format!("{label}: <published>: {e}"))?;
        paper.updated =
            parse_time(self.updated.as_deref()).map_err(|e| format!("{label}: <updated>: {e}"))?;
        paper.comment = self.comment.as_deref().and_then(non_empty);
        paper.journal_ref = self.journal_ref.as_deref().and_then(non_empty);
        paper.doi = self.doi.as_deref().and_then(first_doi);
        paper.validate().map_err(|e| format!("{label}: {e}"))?;
        Ok(paper)
    }
}

/// An RFC 3339 time (`2011-11-08T18:48:36Z`) in UTC; `None` when absent or blank.
fn parse_time(s: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| format!("not an RFC 3339 time {:?}: {e}", quote(s))),
    }
}

/// Reads the children of an `<entry>` just entered, up to its end tag.
fn read_entry(c: &mut XmlCursor<'_>) -> Result<RawEntry, XmlError> {
    let mut e = RawEntry::default();
    while let Some(el) = c.next_child()? {
        match el.local_name() {
            b"id" => e.id = e.take("id", c.text()?),
            b"title" => e.title = e.take("title", c.text()?).unwrap_or_default(),
            b"summary" => e.summary = e.take("summary", c.text()?).unwrap_or_default(),
            b"published" => e.published = e.take("published", c.text()?),
            b"updated" => e.updated = e.take("updated", c.text()?),
            b"comment" => e.comment = e.take("comment", c.text()?),
            b"journal_ref" => e.journal_ref = e.take("journal_ref", c.text()?),
            b"doi" => e.doi = e.take("doi", c.text()?),
            b"author" => {
                while let Some(child) = c.next_child()? {
                    if child.local_name() == b"name" {
                        if let Some(name) = e.take("name", c.text()?) {
                            e.authors.push(name);
                        }
                    } else {
                        c.skip()?;
                    }
                }
            }
            name @ (b"primary_category" | b"category") => {
                let primary = name == b"primary_category";
                let element = if primary {
                    "primary_category"
                } else {
                    "category"
                };
                let term = el.attr(b"term");
                c.skip()?;
                match term {
                    Ok(Some(term)) if primary => e.primary_category = Some(term),
                    Ok(Some(term)) => e.categories.push(term),
                    Ok(None) => {}
                    Err(p) => e.note(element, p),
                }
            }
            _ => c.skip()?,
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::fixture_dir;
    use chrono::TimeZone;

    fn fixture(name: &str) -> Option<AtomFeed> {
        let dir = fixture_dir("atom-api")?;
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        Some(parse_atom(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
    }

    fn ok(r: &Result<Paper, String>) -> &Paper {
        r.as_ref().unwrap_or_else(|e| panic!("rejected: {e}"))
    }

    fn feed(entries: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom"
      xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">
  <opensearch:totalResults>2</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
{entries}
</feed>"#
        )
        .into_bytes()
    }

    fn entry(id: &str, title: &str) -> String {
        format!(
            r#"<entry><id>{id}</id><title>{title}</title><summary>S</summary>
<author><name>A. Author</name></author>
<arxiv:primary_category term="cs.CL"/><category term="cs.CL"/></entry>"#
        )
    }

    #[test]
    fn every_fixture_parses_into_valid_papers() {
        let Some(dir) = fixture_dir("atom-api") else {
            return;
        };
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 8, "fixture files in {}", dir.display());
        let mut total = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let feed = parse_atom(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let entries = String::from_utf8_lossy(&bytes).matches("<entry>").count();
            assert_eq!(feed.records.len(), entries, "{}", path.display());
            assert_eq!(feed.start_index, Some(0), "{}", path.display());
            assert!(
                feed.total_results.unwrap() >= entries as u64,
                "{}",
                path.display()
            );
            for r in &feed.records {
                let p = ok(r);
                p.validate().unwrap();
                assert!(
                    !p.title.is_empty() && !p.abstract_text.is_empty(),
                    "{}",
                    p.id
                );
                assert!(!p.authors.is_empty(), "{}", p.id);
                assert!(p.version.is_some(), "{}", p.id);
                assert!(p.published.is_some() && p.updated.is_some(), "{}", p.id);
                assert!(!p.categories.is_empty(), "{}", p.id);
                let mut dedup = p.categories.clone();
                dedup.sort();
                dedup.dedup();
                assert_eq!(dedup.len(), p.categories.len(), "{}", p.id);
                assert!(!p.abstract_text.contains('\n'), "{}", p.id);
                total += 1;
            }
        }
        assert_eq!(total, 1 + 1 + 1 + 100 + 10 + 10 + 1);
    }

    #[test]
    fn id_list_fixture_has_every_field() {
        let Some(feed) = fixture("id_list_1111.2011v2.xml") else {
            return;
        };
        assert_eq!(feed.total_results, Some(1));
        assert_eq!(feed.start_index, Some(0));
        assert_eq!(feed.records.len(), 1);
        let p = ok(&feed.records[0]);
        assert_eq!(p.id.to_string(), "1111.2011");
        assert_eq!(p.version, Some(2));
        assert_eq!(
            p.title,
            "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
        );
        assert!(p.abstract_text.starts_with(
            "Theoretical description of anisotropic systems, such as layered superconductors"
        ));
        assert!(p.abstract_text.ends_with("describing a single node."));
        assert_eq!(
            p.authors,
            ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
        );
        assert_eq!(p.categories, ["cond-mat.str-el", "cond-mat.stat-mech"]);
        assert_eq!(p.primary_category(), Some("cond-mat.str-el"));
        assert_eq!(
            p.published,
            Some(Utc.with_ymd_and_hms(2011, 11, 8, 18, 48, 36).unwrap())
        );
        assert_eq!(
            p.updated,
            Some(Utc.with_ymd_and_hms(2012, 4, 2, 12, 38, 54).unwrap())
        );
        assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevB.85.115117"));
        assert_eq!(
            p.comment.as_deref(),
            Some("8 pages, 3 figures. Published version")
        );
        assert_eq!(
            p.journal_ref.as_deref(),
            Some("Phys. Rev. B 85, 115117 (2012)")
        );
        assert_eq!(p.pdf_url(), "https://arxiv.org/pdf/1111.2011v2");
    }

    #[test]
    fn search_fixture_has_ten_entries_of_thirty_one() {
        let Some(feed) = fixture("search_au_del_maestro.xml") else {
            return;
        };
        assert_eq!(feed.total_results, Some(31));
        assert_eq!(feed.records.len(), 10);
        let first = ok(&feed.records[0]);
        assert_eq!(first.id.to_string(), "1201.4869");
        assert_eq!(
            first.title,
            "A Luttinger Liquid Core Inside Helium-4 Filled Nanopores"
        );
        assert_eq!(first.authors, ["Adrian Del Maestro"]);
        assert_eq!(ok(&feed.records[1]).id.to_string(), "cond-mat/0412498");
        assert!(feed
            .records
            .iter()
            .all(|r| ok(r).authors.iter().any(|a| a.contains("Del Maestro"))));
    }

    #[test]
    fn unknown_id_gives_an_empty_page() {
        let Some(feed) = fixture("recorded_id_0000.0000_s0_m100_8b51d9633a68.atom.xml") else {
            return;
        };
        assert_eq!(feed.total_results, Some(0));
        assert!(feed.records.is_empty());
    }

    #[test]
    fn old_style_ids_and_unescaped_text() {
        let Some(feed) = fixture("recorded_id_astro-ph_0601001_s0_m100_3150dca9dc76.atom.xml")
        else {
            return;
        };
        let p = ok(&feed.records[0]);
        assert_eq!(p.id.base(), "astro-ph/0601001");
        assert_eq!(p.version, Some(1));
        assert_eq!(p.categories, ["astro-ph"]);
        assert_eq!(p.authors.len(), 4);
        assert_eq!(p.authors[0], "Andrew Gould");
        assert_eq!(p.journal_ref.as_deref(), Some("ActaAstron.56:1-50,2006"));
        assert!(p.abstract_text.contains("Gould & Morgan (2003)"));
        assert!(p.abstract_text.contains("V_max<17.5"));
        assert!(
            p.abstract_text.contains("(1/310)(1^{+1.39}_{-0.59})"),
            "LaTeX kept as is"
        );
        assert!(p.comment.as_deref().unwrap().starts_with("62 pages"));

        let Some(feed) = fixture("search_au_del_maestro_AND_ti_checkerboard.xml") else {
            return;
        };
        let p = ok(&feed.records[0]);
        assert_eq!(p.id.base(), "cond-mat/0603029");
        assert_eq!(p.categories, ["cond-mat.str-el", "cond-mat.supr-con"]);
    }

    #[test]
    fn two_ids_one_found_and_many_authors() {
        let Some(feed) = fixture("recorded_id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml")
        else {
            return;
        };
        assert_eq!(feed.records.len(), 1);
        let p = ok(&feed.records[0]);
        assert_eq!(p.id.to_string(), "1707.08567");
        assert_eq!(p.authors.len(), 34);
        assert_eq!(p.authors[0], "Kees A. Schouhamer Immink");
        assert_eq!(p.categories, ["cs.IT"]);
        assert_eq!(p.doi, None);
    }

    #[test]
    fn search_pages_keep_primary_first() {
        let Some(feed) = fixture("recorded_q_testing_s0_m10_bc5a6c384fe9.atom.xml") else {
            return;
        };
        assert_eq!(feed.total_results, Some(214_881));
        assert_eq!(feed.records.len(), 10);
        let p = ok(&feed.records[0]);
        assert_eq!(p.id.to_string(), "2202.12139");
        assert_eq!(p.categories, ["cs.SE", "cs.LG"]);
        assert_eq!(
            p.authors[..3],
            ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
        );
        let Some(feed) = fixture("recorded_q_testing_s0_m100_cfe7536492ca.atom.xml") else {
            return;
        };
        assert_eq!(feed.records.len(), 100);
    }

    #[test]
    fn primary_category_comes_first_without_duplicates() {
        let xml = feed(
            r#"<entry><id>http://arxiv.org/abs/2401.12345v3</id><title>T</title><summary>S</summary>
<category term="cs.LG"/><category term="cs.CL"/><category term="cs.LG"/>
<arxiv:primary_category term="cs.CL"/>
<arxiv:doi>10.1/a 10.1/b</arxiv:doi><arxiv:comment>  </arxiv:comment></entry>"#,
        );
        let f = parse_atom(&xml).unwrap();
        let p = ok(&f.records[0]);
        assert_eq!(p.categories, ["cs.CL", "cs.LG"]);
        assert_eq!(p.version, Some(3));
        assert_eq!(p.doi.as_deref(), Some("10.1/a"));
        assert_eq!(p.comment, None);
        assert_eq!(f.total_results, Some(2));
    }

    #[test]
    fn api_errors_become_rejected_records() {
        let xml = feed(
            r#"<entry>
<id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345</id>
<title>Error</title>
<summary>incorrect id format for 1234.12345</summary>
<updated>2024-01-01T00:00:00-05:00</updated>
<author><name>arXiv api core</name></author>
</entry>"#,
        );
        let f = parse_atom(&xml).unwrap();
        assert_eq!(f.records.len(), 1);
        let e = f.records[0].as_ref().unwrap_err();
        assert_eq!(
            e,
            "entry 1: arXiv API error: incorrect id format for 1234.12345"
        );
    }

    #[test]
    fn bad_entries_are_rejected_by_index_and_parsing_goes_on() {
        let xml = feed(&format!(
            "{}{}{}{}{}",
            entry("http://arxiv.org/abs/not-an-id", "T"),
            entry("http://arxiv.org/abs/2401.12345v1", " "),
            entry("http://arxiv.org/abs/2401.12345v1", &"x".repeat(1_001)),
            r#"<entry><id>2401.00001</id><title>T</title><published>yesterday</published></entry>"#,
            entry("http://arxiv.org/abs/2401.54321v1", "Good"),
        ));
        let f = parse_atom(&xml).unwrap();
        assert_eq!(f.records.len(), 5);
        let errs: Vec<&String> = f.records[..4]
            .iter()
            .map(|r| r.as_ref().unwrap_err())
            .collect();
        assert!(
            errs[0].starts_with("entry 1: not an arXiv id"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].starts_with("entry 2 (") && errs[1].contains("missing title"),
            "{}",
            errs[1]
        );
        assert!(
            errs[2].starts_with("entry 3 (") && errs[2].contains("title is too long"),
            "{}",
            errs[2]
        );
        assert!(
            errs[3].starts_with("entry 4 (") && errs[3].contains("RFC 3339"),
            "{}",
            errs[3]
        );
        assert_eq!(ok(&f.records[4]).title, "Good");
    }

    #[test]
    fn namespace_prefixes_do_not_matter() {
        let xml = br#"<a:feed xmlns:a="http://www.w3.org/2005/Atom" xmlns:x="http://arxiv.org/schemas/atom"
 xmlns:os="http://a9.com/-/spec/opensearch/1.1/"><os:totalResults>7</os:totalResults>
<a:entry><a:id>http://arxiv.org/abs/2401.12345</a:id><a:title>T &amp; $a&lt;b$</a:title>
<a:author><a:name>N</a:name></a:author><x:primary_category term="hep-th"/><x:comment>c</x:comment></a:entry></a:feed>"#;
        let f = parse_atom(xml).unwrap();
        assert_eq!(f.total_results, Some(7));
        let p = ok(&f.records[0]);
        assert_eq!(p.title, "T & $a<b$");
        assert_eq!(p.authors, ["N"]);
        assert_eq!(p.categories, ["hep-th"]);
        assert_eq!(p.comment.as_deref(), Some("c"));
        assert_eq!(p.version, None);
    }

    #[test]
    fn external_entities_are_never_resolved() {
        let with_dtd = br#"<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.12345</id>
<title>&xxe;</title><summary>s</summary></entry></feed>"#;
        let err = parse_atom(with_dtd).unwrap_err();
        assert!(matches!(err, XmlError::Doctype { .. }), "{err:?}");
        assert!(err.to_string().contains("never resolved"), "{err}");

        // Without the declaration the reference is an unknown entity: that record is rejected.
        let xml = feed(&format!(
            "{}{}",
            entry("http://arxiv.org/abs/2401.12345", "Leak &xxe; here"),
            entry("http://arxiv.org/abs/2401.54321", "Fine")
        ));
        let f = parse_atom(&xml).unwrap();
        let e = f.records[0].as_ref().unwrap_err();
        assert!(
            e.starts_with("entry 1 (") && e.contains("unknown entity &xxe;"),
            "{e}"
        );
        assert_eq!(ok(&f.records[1]).title, "Fine");
    }

    #[test]
    fn invalid_utf8_in_a_title_rejects_the_record() {
        let mut xml = feed(&entry("http://arxiv.org/abs/2401.12345", "Bad \u{1}TITLE"));
        let pos = xml.windows(6).position(|w| w == b"\x01TITLE").unwrap();
        xml[pos] = 0xff;
        let f = parse_atom(&xml).unwrap();
        let e = f.records[0].as_ref().unwrap_err();
        assert!(e.contains("<title>") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn truncated_documents_are_errors() {
        let xml = feed(&entry("http://arxiv.org/abs/2401.12345", "T"));
        let end = xml.windows(7).rposition(|w| w == b"</feed>").unwrap() + 7;
        for cut in 0..end {
            let err = parse_atom(&xml[..cut]);
            assert!(err.is_err(), "cut at {cut} parsed: {:?}", err);
        }
        assert!(parse_atom(&xml[..end]).is_ok());
        let err = parse_atom(&xml[..xml.len() / 2]).unwrap_err();
        assert!(matches!(err, XmlError::Malformed { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("malformed XML at byte"),
            "{err}"
        );
    }

    #[test]
    fn malformed_and_foreign_documents() {
        assert!(matches!(parse_atom(b""), Err(XmlError::Malformed { .. })));
        assert!(matches!(
            parse_atom(b"   "),
            Err(XmlError::Malformed { .. })
        ));
        assert!(matches!(
            parse_atom(b"not xml"),
            Err(XmlError::Malformed { .. })
        ));
        let err = parse_atom(b"<html><body>502 Bad Gateway</body></html>").unwrap_err();
        assert_eq!(
            err,
            XmlError::WrongRoot {
                expected: "an arXiv API Atom feed (<feed>)",
                found: "html".into()
            }
        );
        assert!(
            err.to_string().contains("not an arXiv API Atom feed"),
            "{err}"
        );
        let err = parse_atom(b"<feed><entry></feed>").unwrap_err();
        assert!(matches!(err, XmlError::Malformed { .. }), "{err:?}");
        let err = parse_atom(b"<feed></feed><feed></feed>").unwrap_err();
        assert!(matches!(err, XmlError::Malformed { .. }), "{err:?}");
        let f = parse_atom(b"<feed/>").unwrap();
        assert!(f.records.is_empty() && f.total_results.is_none());
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 10_000;
        let deep = format!("{}x{}", "<n>".repeat(depth), "</n>".repeat(depth));
        let xml = feed(&format!(
            "<entry><id>2401.12345</id><title>T{deep}</title><summary>S</summary><junk>{deep}</junk></entry>"
        ));
        let f = parse_atom(&xml).unwrap();
        assert_eq!(ok(&f.records[0]).title, "Tx");
        let unclosed = format!("<feed>{}", "<n>".repeat(depth));
        assert!(parse_atom(unclosed.as_bytes()).is_err());
    }

    #[test]
    fn mangled_fixtures_never_panic() {
        let xml = feed(&format!(
            "{}{}",
            entry("http://arxiv.org/abs/2401.12345v2", "T &amp; U"),
            entry("http://arxiv.org/abs/hep-th/9901001", "V")
        ));
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let mut m = xml.clone();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() % m.len() as u64) as usize;
                let table = b"<>&;/\"'=!?x\xff\x00 ";
                m[i] = table[(next() % table.len() as u64) as usize];
            }
            let _ = parse_atom(&m);
        }
    }
}

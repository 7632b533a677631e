//! OAI-PMH responses in the `arXiv` metadata format (`export.arxiv.org/oai2`,
//! `verb=ListRecords` or `verb=GetRecord`, `metadataPrefix=arXiv`).
//!
//! [`parse_oai`] reads one response page into an [`OaiPage`]:
//!
//! * every `<record>` whose header has `status="deleted"` adds its id (from the header's
//!   `<identifier>oai:arXiv.org:ID</identifier>`) to [`OaiPage::deleted`] and nothing to
//!   [`OaiPage::records`];
//! * every other `<record>` adds one item to [`OaiPage::records`]: `Ok(Paper)` built from the
//!   `<arXiv>` metadata (`<id>`, `<created>` as the publication date at 00:00 UTC, `<updated>`,
//!   `<authors>` as "forenames keyname suffix", `<title>`, `<categories>` with the primary one
//!   first, `<comments>`, `<journal-ref>`, the first DOI of `<doi>`, `<abstract>`), or
//!   `Err(reason)` naming the record by its 1-based position among the page's records
//!   (`record 3 (…): …`); parsing goes on after a bad record. The `arXiv` format carries no
//!   version, so [`Paper::version`] stays `None`.
//! * `<resumptionToken>` gives [`OaiPage::resumption_token`] (an empty token means this was the
//!   last page) and its `completeListSize` attribute [`OaiPage::complete_list_size`].
//!
//! An OAI-PMH `<error code="noRecordsMatch">` is an empty page; any other error code makes
//! [`parse_oai`] return [`XmlError::Oai`]. Elements are matched by local name, so namespace
//! prefixes do not matter. See [`crate::xml`] for what makes a whole document unreadable.

use crate::xml::{first_doi, non_empty, quote, XmlCursor, XmlError};
use chrono::{DateTime, NaiveDate, Utc};
use dp_core::text::normalize;
use dp_core::{ArxivId, Paper};

/// One page of an OAI-PMH `ListRecords` (or a `GetRecord`) response.
#[derive(Debug, Clone, PartialEq)]
pub struct OaiPage {
    /// One item per record that is not deleted, in order: the paper, or why it was rejected.
    pub records: Vec<Result<Paper, String>>,
    /// Ids of the records the repository reports as deleted.
    pub deleted: Vec<ArxivId>,
    /// Token to ask for the next page; `None` when this is the last (or only) page.
    pub resumption_token: Option<String>,
    /// Size of the whole list, from the `completeListSize` attribute of `<resumptionToken>`.
    pub complete_list_size: Option<u64>,
    /// The response's `<responseDate>`, as given (e.g. `2017-12-14T13:00:41Z`).
    pub response_date: Option<String>,
}

/// Parses an OAI-PMH response with `metadataPrefix=arXiv`.
///
/// Fails when the document cannot be read as a whole (malformed or truncated XML, a
/// `<!DOCTYPE>`, a root element other than `<OAI-PMH>`) and when the repository answered with an
/// OAI-PMH error other than `noRecordsMatch` ([`XmlError::Oai`]). Problems of single records
/// become `Err` items of [`OaiPage::records`].
pub fn parse_oai(xml: &[u8]) -> Result<OaiPage, XmlError> {
    let mut c = XmlCursor::new(xml);
    c.root(b"OAI-PMH", "an OAI-PMH response (<OAI-PMH>)")?;
    let mut page = OaiPage {
        records: Vec::new(),
        deleted: Vec::new(),
        resumption_token: None,
        complete_list_size: None,
        response_date: None,
    };
    let mut seen = 0;
    while let Some(el) = c.next_child()? {
        match el.local_name() {
            b"responseDate" => page.response_date = non_empty(&c.strict_text()?),
            b"error" => {
                let code = el.attr(b"code").map_err(|m| c.malformed(m))?;
                let message = normalize(&c.strict_text()?);
                let code = code.map(|s| s.trim().to_string()).unwrap_or_default();
                if code != "noRecordsMatch" {
                    return Err(XmlError::Oai {
                        code: if code.is_empty() {
                            "unknown".into()
                        } else {
                            quote(&code)
                        },
                        message: quote(&message),
                    });
                }
            }
            b"ListRecords" | b"GetRecord" => {
                while let Some(child) = c.next_child()? {
                    match child.local_name() {
                        b"record" => {
                            seen += 1;
                            let deleted = is_deleted(&child);
                            match read_record(&mut c)?.into_outcome(seen, deleted) {
                                Outcome::Deleted(id) => page.deleted.push(id),
                                Outcome::Record(r) => page.records.push(r.map(|p| *p)),
                            }
                        }
                        b"resumptionToken" => {
                            let size = child
                                .attr(b"completeListSize")
                                .map_err(|m| c.malformed(m))?;
                            page.complete_list_size = size.and_then(|s| s.trim().parse().ok());
                            page.resumption_token = c
                                .strict_text()?
                                .split_whitespace()
                                .next()
                                .map(str::to_string);
                        }
                        _ => c.skip()?,
                    }
                }
            }
            _ => c.skip()?,
        }
    }
    c.finish()?;
    Ok(page)
}

/// Whether a `<record>` start tag itself says deleted (some repositories put the status there).
fn is_deleted(el: &crate::xml::Element<'_>) -> bool {
    matches!(el.attr(b"status"), Ok(Some(s)) if s.trim() == "deleted")
}

/// What one `<record>` adds to a page.
enum Outcome {
    Deleted(ArxivId),
    Record(Result<Box<Paper>, String>),
}

/// The fields of one `<record>` as found, before validation.
#[derive(Default)]
struct RawRecord {
    identifier: Option<String>,
    deleted: bool,
    has_metadata: bool,
    id: Option<String>,
    created: Option<String>,
    updated: Option<String>,
    authors: Vec<String>,
    title: String,
    categories: String,
    comments: Option<String>,
    journal_ref: Option<String>,
    doi: Option<String>,
    abstract_text: String,
    /// The first unusable text or attribute, with the element it was in.
    problem: Option<String>,
}

impl RawRecord {
    fn note(&mut self, element: &str, problem: String) {
        if self.problem.is_none() {
            self.problem = Some(format!("<{element}>: {problem}"));
        }
    }

    fn take(&mut self, element: &str, text: Result<String, String>) -> Option<String> {
        match text {
            Ok(t) => Some(t),
            Err(p) => {
                self.note(element, p);
                None
            }
        }
    }

    fn into_outcome(self, n: usize, deleted_on_record: bool) -> Outcome {
        let raw_id = self
            .id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .or(self.identifier.as_deref().map(str::trim));
        let label = match raw_id {
            Some(id) => format!("record {n} ({})", quote(id)),
            None => format!("record {n}"),
        };
        if let Some(p) = &self.problem {
            return Outcome::Record(Err(format!("{label}: {p}")));
        }
        let Some(raw_id) = raw_id else {
            return Outcome::Record(Err(format!("{label}: no <identifier> or <id>")));
        };
        let id = match ArxivId::parse(raw_id) {
            Ok(id) => id,
            Err(e) => return Outcome::Record(Err(format!("record {n}: {e}"))),
        };
        if self.deleted || deleted_on_record {
            return Outcome::Deleted(id);
        }
        Outcome::Record(self.into_paper(&id, &label).map(Box::new))
    }

    fn into_paper(self, id: &ArxivId, label: &str) -> Result<Paper, String> {
        if !self.has_metadata {
            return Err(format!(
                "{label}: no <arXiv> metadata (was metadataPrefix=arXiv asked for?)"
            ));
        }
        let mut paper = Paper::new(id, &self.title, &self.abstract_text);
        paper.authors = self.authors;
        let mut categories: Vec<String> = Vec::new();
        for c in self.categories.split_whitespace() {
            if !categories.iter().any(|k| k == c) {
                categories.push(c.to_string());
            }
        }
        paper.categories = categories;
        paper.published =
            parse_day(self.created.as_deref()).map_err(|e| format!("{label}: <created>: {e}"))?;
        paper.updated =
            parse_day(self.updated.as_deref()).map_err(|e| format!("{label}: <updated>: {e}"))?;
        paper.comment = self.comments.as_deref().and_then(non_empty);
        paper.journal_ref = self.journal_ref.as_deref().and_then(non_empty);
        paper.doi = self.doi.as_deref().and_then(first_doi);
        paper.validate().map_err(|e| format!("{label}: {e}"))?;
        Ok(paper)
    }
}

/// A `YYYY-MM-DD` date as 00:00 UTC that day; `None` when absent or blank.
fn parse_day(s: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Some(t.and_utc()))
            .ok_or_else(|| format!("not a YYYY-MM-DD date: {:?}", quote(s))),
    }
}

/// Reads the children of a `<record>` just entered, up to its end tag.
fn read_record(c: &mut XmlCursor<'_>) -> Result<RawRecord, XmlError> {
    let mut r = RawRecord::default();
    while let Some(el) = c.next_child()? {
        match el.local_name() {
            b"header" => {
                r.deleted = matches!(el.attr(b"status"), Ok(Some(s)) if s.trim() == "deleted");
                while let Some(child) = c.next_child()? {
                    if child.local_name() == b"identifier" {
                        r.identifier = r.take("identifier", c.text()?);
                    } else {
                        c.skip()?;
                    }
                }
            }
            b"metadata" => {
                while let Some(child) = c.next_child()? {
                    if child.local_name() == b"arXiv" {
                        r.has_metadata = true;
                        read_arxiv(c, &mut r)?;
                    } else {
                        c.skip()?;
                    }
                }
            }
            _ => c.skip()?,
        }
    }
    Ok(r)
}

/// Reads the children of an `<arXiv>` metadata element just entered.
fn read_arxiv(c: &mut XmlCursor<'_>, r: &mut RawRecord) -> Result<(), XmlError> {
    while let Some(el) = c.next_child()? {
        match el.local_name() {
            b"id" => r.id = r.take("id", c.text()?),
            b"created" => r.created = r.take("created", c.text()?),
            b"updated" => r.updated = r.take("updated", c.text()?),
            b"title" => r.title = r.take("title", c.text()?).unwrap_or_default(),
            b"categories" => r.categories = r.take("categories", c.text()?).unwrap_or_default(),
            b"comments" => r.comments = r.take("comments", c.text()?),
            b"journal-ref" => r.journal_ref = r.take("journal-ref", c.text()?),
            b"doi" => r.doi = r.take("doi", c.text()?),
            b"abstract" => r.abstract_text = r.take("abstract", c.text()?).unwrap_or_default(),
            b"authors" => {
                while let Some(author) = c.next_child()? {
                    if author.local_name() == b"author" {
                        if let Some(name) = read_author(c, r)? {
                            r.authors.push(name);
                        }
                    } else {
                        c.skip()?;
                    }
                }
            }
            _ => c.skip()?,
        }
    }
    Ok(())
}

/// Reads an `<author>` just entered into "forenames keyname suffix"; `None` when all are empty.
fn read_author(c: &mut XmlCursor<'_>, r: &mut RawRecord) -> Result<Option<String>, XmlError> {
    let (mut keyname, mut forenames, mut suffix) = (String::new(), String::new(), String::new());
    while let Some(el) = c.next_child()? {
        let slot = match el.local_name() {
            b"keyname" => &mut keyname,
            b"forenames" => &mut forenames,
            b"suffix" => &mut suffix,
            _ => {
                c.skip()?;
                continue;
            }
        };
        match c.text()? {
            Ok(t) => *slot = t,
            Err(p) => r.note("author", p),
        }
    }
    let name = normalize(&format!("{forenames} {keyname} {suffix}"));
    Ok((!name.is_empty()).then_some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::fixture_dir;
    use chrono::TimeZone;

    fn fixture(name: &str) -> Option<OaiPage> {
        let dir = fixture_dir("oai-pmh")?;
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        Some(parse_oai(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
    }

    fn ok(r: &Result<Paper, String>) -> &Paper {
        r.as_ref().unwrap_or_else(|e| panic!("rejected: {e}"))
    }

    fn ids(page: &OaiPage) -> Vec<String> {
        page.records.iter().map(|r| ok(r).id.to_string()).collect()
    }

    fn day(y: i32, m: u32, d: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap())
    }

    fn list_records(records: &str, tail: &str) -> Vec<u8> {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2024-01-02T03:04:05Z</responseDate>
<request verb="ListRecords" metadataPrefix="arXiv">http://export.arxiv.org/oai2</request>
<ListRecords>
{records}
{tail}
</ListRecords>
</OAI-PMH>"#
        )
        .into_bytes()
    }

    fn record(id: &str, title: &str) -> String {
        format!(
            r#"<record><header><identifier>oai:arXiv.org:{id}</identifier><datestamp>2024-01-02</datestamp></header>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{id}</id><created>2024-01-01</created>
<authors><author><keyname>Doe</keyname><forenames>Jane</forenames></author></authors>
<title>{title}</title><categories>cs.CL cs.AI</categories><abstract>A</abstract></arXiv></metadata></record>"#
        )
    }

    #[test]
    fn every_fixture_parses_into_valid_papers() {
        let Some(dir) = fixture_dir("oai-pmh") else {
            return;
        };
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "xml"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 7, "fixture files in {}", dir.display());
        let mut total = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let page = parse_oai(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let expected = String::from_utf8_lossy(&bytes).matches("<record>").count();
            assert_eq!(page.records.len(), expected, "{}", path.display());
            assert!(page.deleted.is_empty());
            assert_eq!(page.resumption_token, None);
            assert!(page.response_date.is_some(), "{}", path.display());
            for r in &page.records {
                let p = ok(r);
                p.validate().unwrap();
                assert!(
                    !p.title.is_empty() && !p.abstract_text.is_empty(),
                    "{}",
                    p.id
                );
                assert!(!p.authors.is_empty(), "{}", p.id);
                assert!(!p.categories.is_empty(), "{}", p.id);
                assert!(p.published.is_some(), "{}", p.id);
                assert_eq!(p.version, None);
                assert!(
                    !p.title.contains('\n') && !p.abstract_text.contains('\n'),
                    "{}",
                    p.id
                );
                total += 1;
            }
        }
        assert_eq!(total, 3 + 3 + 1 + 12 + 1 + 1 + 1);
    }

    #[test]
    fn sample_with_twelve_records() {
        let Some(page) = fixture("hepcrawl_unit_sample_arxiv_record.xml") else {
            return;
        };
        assert_eq!(page.records.len(), 12);
        assert_eq!(page.response_date.as_deref(), Some("2016-01-14T15:53:12Z"));
        assert_eq!(
            ids(&page),
            [
                "1601.03238",
                "1512.07978",
                "1603.00997",
                "1603.01251",
                "1603.05976",
                "1604.05585",
                "1606.06775",
                "1606.07066",
                "1606.07538",
                "1607.00786",
                "1606.04259",
                "1808.04927"
            ]
        );
        let first = ok(&page.records[0]);
        assert_eq!(
            first.title,
            "Irreversible degradation of quantum coherence under relativistic motion"
        );
        assert_eq!(
            first.authors,
            [
                "Planck Collaboration",
                "Jieci Wang",
                "Zehua Tian",
                "Jiliang Jing",
                "Heng Fan"
            ]
        );
        assert_eq!(first.categories, ["quant-ph", "gr-qc", "hep-th"]);
        assert_eq!(first.primary_category(), Some("quant-ph"));
        assert_eq!(first.published, day(2016, 1, 13));
        assert_eq!(first.updated, None);
        assert_eq!(first.doi.as_deref(), Some("10.1103/PhysRevD.93.016005"));
        assert_eq!(
            first.comment.as_deref(),
            Some("6 pages, 4 figures, conference paper")
        );
        let last = ok(&page.records[11]);
        assert!(last.title.starts_with(
            r"Measurements of $\pi^{\pm}$, $K^{\pm}$ and proton yields from the surface"
        ));
        assert_eq!(last.authors[0], "N. Abgrall");
        assert!(last.authors.iter().any(|a| a == "The T2K Beam Group"));
        assert!(last.authors.iter().any(|a| a == ":"));
        assert_eq!(last.categories, ["hep-ex", "nucl-ex", "chao-dyn"]);
    }

    #[test]
    fn functional_list_records_pages_have_three_records_each() {
        let Some(ex) = fixture("hepcrawl_functional_arxiv-physics-hep-ex.xml") else {
            return;
        };
        assert_eq!(ids(&ex), ["1706.05371", "1706.09418", "1707.00874"]);
        assert_eq!(ex.response_date.as_deref(), Some("2017-12-14T13:00:41Z"));
        let p = ok(&ex.records[0]);
        assert_eq!(
            p.title,
            "Evaluation of Silicon Photomultipliers for use as Photosensors in Liquid Xenon Detectors"
        );
        assert_eq!(p.authors.len(), 13);
        assert_eq!(p.authors[0], "Tyler Anderson");
        assert_eq!(p.categories, ["physics.ins-det", "hep-ex"]);
        assert_eq!(p.published, day(2017, 6, 16));
        assert_eq!(p.updated, day(2017, 12, 12));
        let p = ok(&ex.records[1]);
        assert_eq!(p.title, "R-Parity Violation at the LHC");
        assert_eq!(p.authors[2], "Manuel E. Krauss");
        assert_eq!(
            p.journal_ref.as_deref(),
            Some("Eur. Phys. J. C (2017) 77:856")
        );
        assert_eq!(p.doi.as_deref(), Some("10.1140/epjc/s10052-017-5414-4"));
        assert!(p.abstract_text.contains(r"$\bar U\bar D\bar D$"));
        assert_eq!(
            ok(&ex.records[2]).categories,
            ["hep-ph", "astro-ph.CO", "hep-ex"]
        );

        let Some(th) = fixture("hepcrawl_functional_arxiv-physics-hep-th.xml") else {
            return;
        };
        assert_eq!(ids(&th), ["1412.8323", "1507.07790", "1607.01710"]);
        assert_eq!(ok(&th.records[0]).authors, ["Philipp A Hoehn"]);
        assert_eq!(ok(&th.records[2]).comment, None);
        assert_eq!(
            ok(&th.records[2]).doi.as_deref(),
            Some("10.1002/andp.201700188")
        );
    }

    #[test]
    fn get_record_fixtures() {
        let Some(single) = fixture("hepcrawl_functional_arxiv-single.xml") else {
            return;
        };
        let p = ok(&single.records[0]);
        assert_eq!(p.id.to_string(), "1401.2122");
        assert_eq!(
            p.title,
            "New integrable (3+1)-dimensional systems and contact geometry"
        );
        assert_eq!(p.authors, ["A. Sergyeyev"]);
        assert_eq!(
            p.categories,
            ["math.AP", "hep-th", "math-ph", "math.DG", "math.MP", "nlin.SI"]
        );
        assert_eq!(
            p.journal_ref.as_deref(),
            Some("Lett. Math. Phys. 108 (2018), no. 2, 359-376")
        );
        assert_eq!(p.doi.as_deref(), Some("10.1007/s11005-017-1013-4"));
        assert!(p
            .comment
            .as_deref()
            .unwrap()
            .contains("in this version (v5) the typos"));
        assert_eq!(p.updated, day(2017, 10, 23));

        let Some(r0) = fixture("hepcrawl_unit_sample_arxiv_record0.xml") else {
            return;
        };
        let p = ok(&r0.records[0]);
        assert_eq!(
            p.doi.as_deref(),
            Some("10.1103/PhysRevD.93.016005"),
            "first of a DOI list"
        );
        assert_eq!(
            p.categories,
            ["quant-ph", "gr-qc", "hep-th", "chao-dyn", "nlin.CD"]
        );
        assert_eq!(
            p.journal_ref.as_deref(),
            Some("Phys.Rev. D93 (2015) 016005")
        );

        let Some(r4) = fixture("hepcrawl_unit_sample_arxiv_record4.xml") else {
            return;
        };
        let p = ok(&r4.records[0]);
        assert_eq!(p.authors.len(), 66);
        assert_eq!(p.authors[0], "Keck Array");
        assert!(
            p.authors.iter().any(|a| a == "R. W. IV"),
            "suffix goes last"
        );

        let Some(r10) = fixture("hepcrawl_unit_sample_arxiv_record10.xml") else {
            return;
        };
        let p = ok(&r10.records[0]);
        assert_eq!(p.title, "Extreme Regimes in Quantum Gravity");
        assert!(p
            .comment
            .as_deref()
            .unwrap()
            .contains(r#"University "Federico II" (Naples"#));
        assert!(p
            .abstract_text
            .contains(r#"a "scalar curvature singularity""#));
    }

    #[test]
    fn resumption_token_and_deleted_records() {
        let xml = list_records(
            &format!(
                r#"{}
<record><header status="deleted"><identifier>oai:arXiv.org:0804.2273</identifier><datestamp>2024-01-02</datestamp></header></record>
{}"#,
                record("2401.12345", "First"),
                record("hep-th/9901001", "Old &amp; new")
            ),
            r#"<resumptionToken completeListSize="5" cursor="0">tok123</resumptionToken>"#,
        );
        let page = parse_oai(&xml).unwrap();
        assert_eq!(page.resumption_token.as_deref(), Some("tok123"));
        assert_eq!(page.complete_list_size, Some(5));
        assert_eq!(page.response_date.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(page.deleted, [ArxivId::parse("0804.2273").unwrap()]);
        assert_eq!(ids(&page), ["2401.12345", "hep-th/9901001"]);
        let p = ok(&page.records[1]);
        assert_eq!(p.title, "Old & new");
        assert_eq!(p.authors, ["Jane Doe"]);
        assert_eq!(p.categories, ["cs.CL", "cs.AI"]);
        assert_eq!(p.published, day(2024, 1, 1));

        // The last page has an empty token that still carries the list size.
        let xml = list_records(
            &record("2401.12345", "T"),
            r#"<resumptionToken completeListSize="5" cursor="4"/>"#,
        );
        let page = parse_oai(&xml).unwrap();
        assert_eq!(page.resumption_token, None);
        assert_eq!(page.complete_list_size, Some(5));
        assert_eq!(page.records.len(), 1);
    }

    #[test]
    fn oai_errors() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2024-01-02T03:04:05Z</responseDate>
<request verb="ListRecords">http://export.arxiv.org/oai2</request>
<error code="noRecordsMatch">No records match</error></OAI-PMH>"#;
        let page = parse_oai(xml).unwrap();
        assert!(
            page.records.is_empty() && page.deleted.is_empty() && page.resumption_token.is_none()
        );
        assert_eq!(page.response_date.as_deref(), Some("2024-01-02T03:04:05Z"));

        let xml = br#"<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<error code="badResumptionToken">The value of the resumptionToken
  argument is invalid or expired.</error></OAI-PMH>"#;
        let err = parse_oai(xml).unwrap_err();
        assert_eq!(
            err,
            XmlError::Oai {
                code: "badResumptionToken".into(),
                message: "The value of the resumptionToken argument is invalid or expired.".into()
            }
        );
        assert!(
            err.to_string()
                .starts_with("OAI-PMH error badResumptionToken: "),
            "{err}"
        );
    }

    #[test]
    fn bad_records_are_rejected_by_position_and_parsing_goes_on() {
        let xml = list_records(
            &format!(
                "{}{}{}{}{}{}",
                record("not-an-id", "T"),
                record("2401.12345", ""),
                r#"<record><header status="deleted"><identifier>oai:arXiv.org:bogus</identifier></header></record>"#,
                r#"<record><header><identifier>oai:arXiv.org:2401.00002</identifier></header>
<metadata><oai_dc:dc xmlns:oai_dc="x"><title>T</title></oai_dc:dc></metadata></record>"#,
                record("2401.00003", "T").replace("2024-01-01", "01/01/2024"),
                record("2401.54321", "Good"),
            ),
            "",
        );
        let page = parse_oai(&xml).unwrap();
        assert_eq!(page.records.len(), 6);
        let errs: Vec<&String> = page.records[..5]
            .iter()
            .map(|r| r.as_ref().unwrap_err())
            .collect();
        assert!(
            errs[0].starts_with("record 1: not an arXiv id"),
            "{}",
            errs[0]
        );
        assert!(
            errs[1].starts_with("record 2 (2401.12345): missing title"),
            "{}",
            errs[1]
        );
        assert!(
            errs[2].starts_with("record 3: not an arXiv id"),
            "{}",
            errs[2]
        );
        assert!(
            errs[3].starts_with("record 4 (") && errs[3].contains("no <arXiv> metadata"),
            "{}",
            errs[3]
        );
        assert!(
            errs[4].starts_with("record 5 (") && errs[4].contains("YYYY-MM-DD"),
            "{}",
            errs[4]
        );
        assert_eq!(ok(&page.records[5]).title, "Good");
        assert!(page.deleted.is_empty());
    }

    #[test]
    fn external_entities_are_never_resolved() {
        let with_dtd = br#"<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OAI-PMH><ListRecords><record><header><identifier>oai:arXiv.org:2401.12345</identifier></header>
<metadata><arXiv><id>2401.12345</id><title>&xxe;</title></arXiv></metadata></record></ListRecords></OAI-PMH>"#;
        let err = parse_oai(with_dtd).unwrap_err();
        assert!(matches!(err, XmlError::Doctype { .. }), "{err:?}");

        let xml = list_records(
            &format!(
                "{}{}",
                record("2401.12345", "&xxe;"),
                record("2401.54321", "Fine")
            ),
            "",
        );
        let page = parse_oai(&xml).unwrap();
        let e = page.records[0].as_ref().unwrap_err();
        assert!(
            e.starts_with("record 1 (2401.12345): <title>: unknown entity &xxe;"),
            "{e}"
        );
        assert_eq!(ok(&page.records[1]).title, "Fine");
    }

    #[test]
    fn invalid_utf8_in_a_title_rejects_the_record() {
        let mut xml = list_records(&record("2401.12345", "Bad \u{1}TITLE"), "");
        let pos = xml.windows(6).position(|w| w == b"\x01TITLE").unwrap();
        xml[pos] = 0xc3;
        let page = parse_oai(&xml).unwrap();
        let e = page.records[0].as_ref().unwrap_err();
        assert!(e.contains("<title>") && e.contains("UTF-8"), "{e}");
    }

    #[test]
    fn truncated_documents_are_errors() {
        let xml = list_records(
            &record("2401.12345", "T"),
            r#"<resumptionToken completeListSize="5">t</resumptionToken>"#,
        );
        let end = xml.windows(10).rposition(|w| w == b"</OAI-PMH>").unwrap() + 10;
        for cut in 0..end {
            assert!(parse_oai(&xml[..cut]).is_err(), "cut at {cut} parsed");
        }
        assert!(parse_oai(&xml[..end]).is_ok());
        let err = parse_oai(&xml[..xml.len() / 2]).unwrap_err();
        assert!(matches!(err, XmlError::Malformed { .. }), "{err:?}");
    }

    #[test]
    fn foreign_documents_are_refused() {
        let err = parse_oai(br#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#).unwrap_err();
        assert_eq!(
            err,
            XmlError::WrongRoot {
                expected: "an OAI-PMH response (<OAI-PMH>)",
                found: "feed".into()
            }
        );
        assert!(err.to_string().contains("not an OAI-PMH response"), "{err}");
        assert!(matches!(parse_oai(b""), Err(XmlError::Malformed { .. })));
        assert!(matches!(
            parse_oai(b"<OAI-PMH><ListRecords></OAI-PMH>"),
            Err(XmlError::Malformed { .. })
        ));
        // Any prefix works.
        let page = parse_oai(
            br#"<o:OAI-PMH xmlns:o="http://www.openarchives.org/OAI/2.0/"><o:ListRecords><o:record><o:header>
<o:identifier>oai:arXiv.org:2401.12345</o:identifier></o:header><o:metadata><a:arXiv xmlns:a="http://arxiv.org/OAI/arXiv/">
<a:title>T</a:title><a:categories>hep-th</a:categories></a:arXiv></o:metadata></o:record></o:ListRecords></o:OAI-PMH>"#,
        )
        .unwrap();
        assert_eq!(ok(&page.records[0]).id.to_string(), "2401.12345");
        assert_eq!(ok(&page.records[0]).categories, ["hep-th"]);
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 10_000;
        let deep = format!("{}x{}", "<n>".repeat(depth), "</n>".repeat(depth));
        let xml = list_records(
            &record("2401.12345", &format!("T{deep}")),
            &format!("<about>{deep}</about>"),
        );
        let page = parse_oai(&xml).unwrap();
        assert_eq!(ok(&page.records[0]).title, "Tx");
        let unclosed = format!("<OAI-PMH><ListRecords>{}", "<record>".repeat(depth));
        assert!(parse_oai(unclosed.as_bytes()).is_err());
    }

    #[test]
    fn mangled_documents_never_panic() {
        let xml = list_records(
            &format!(
                "{}{}",
                record("2401.12345", "T &amp; U"),
                record("hep-th/9901001", "V")
            ),
            r#"<resumptionToken completeListSize="5">t</resumptionToken>"#,
        );
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
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
            let _ = parse_oai(&m);
        }
    }
}

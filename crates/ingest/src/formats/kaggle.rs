//! Kaggle's `arxiv-metadata-oai-snapshot` JSON lines.

use chrono::{DateTime, Utc};
use dp_core::{ArxivId, Paper, Record};
use serde::Deserialize;

#[derive(Deserialize)]
struct Snapshot {
    id: String,
    authors: Option<String>,
    title: String,
    comments: Option<String>,
    #[serde(rename = "journal-ref")]
    journal_ref: Option<String>,
    doi: Option<String>,
    categories: Option<String>,
    #[serde(rename = "abstract")]
    abstract_text: Option<String>,
    #[serde(default)]
    versions: Vec<Version>,
    #[serde(default)]
    authors_parsed: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct Version {
    version: String,
    created: String,
}

fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| dp_core::text::normalize(&s))
        .filter(|s| !s.is_empty())
}

/// "Last, First, Suffix" parts as Kaggle gives them, in reading order.
fn author_name(parts: &[String]) -> String {
    let last = parts.first().map(String::as_str).unwrap_or("");
    let first = parts.get(1).map(String::as_str).unwrap_or("");
    let suffix = parts.get(2).map(String::as_str).unwrap_or("");
    dp_core::text::normalize(&format!("{first} {last} {suffix}"))
}

fn version_time(v: &Version) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc2822(&v.created)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("bad version date {:?}: {e}", v.created))
}

/// Parses one snapshot line.
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    let s: Snapshot =
        serde_json::from_slice(line).map_err(|e| format!("not a Kaggle snapshot record: {e}"))?;
    let id = ArxivId::parse(&s.id).map_err(|e| e.to_string())?;
    let mut paper = Paper::new(&id, &s.title, s.abstract_text.as_deref().unwrap_or(""));
    paper.authors = if s.authors_parsed.is_empty() {
        s.authors
            .as_deref()
            .map(|a| {
                a.split([','])
                    .flat_map(|x| x.split(" and "))
                    .map(dp_core::text::normalize)
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        s.authors_parsed.iter().map(|p| author_name(p)).collect()
    };
    paper.categories = s
        .categories
        .as_deref()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect();
    paper.comment = clean(s.comments);
    paper.journal_ref = clean(s.journal_ref);
    paper.doi = clean(s.doi);
    if let (Some(first), Some(last)) = (s.versions.first(), s.versions.last()) {
        paper.published = Some(version_time(first)?);
        paper.updated = Some(version_time(last)?);
        paper.version = last.version.trim_start_matches('v').parse().ok();
    }
    paper.validate().map_err(|e| e.to_string())?;
    Ok(paper.into())
}

/// Whether a JSON object looks like a snapshot record.
pub fn looks_like(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    obj.contains_key("authors_parsed")
        || obj.contains_key("versions")
        || obj.contains_key("abstract")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_first_snapshot_line() {
        let line = br#"{"id":"0704.0001","submitter":"Pavel Nadolsky","authors":"C. Bal\\'azs, E. L. Berger","title":"Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies","comments":"37 pages, 15 figures; published version","journal-ref":"Phys.Rev.D76:013009,2007","doi":"10.1103/PhysRevD.76.013009","report-no":"ANL-HEP-PR-07-12","categories":"hep-ph","license":null,"abstract":"  A fully differential calculation\n","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"},{"version":"v2","created":"Tue, 24 Jul 2007 20:10:27 GMT"}],"update_date":"2008-11-26","authors_parsed":[["Bal\u00e1zs","C.",""],["Berger","E. L.",""]]}"#;
        let p = parse_line(line).unwrap().paper;
        assert_eq!(p.id.to_string(), "0704.0001");
        assert_eq!(p.version, Some(2));
        assert_eq!(p.authors, ["C. Balázs", "E. L. Berger"]);
        assert_eq!(p.categories, ["hep-ph"]);
        assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevD.76.013009"));
        assert_eq!(
            p.published.unwrap().to_rfc3339(),
            "2007-04-02T19:18:42+00:00"
        );
        assert_eq!(p.updated.unwrap().to_rfc3339(), "2007-07-24T20:10:27+00:00");
        assert_eq!(p.abstract_text, "A fully differential calculation");
    }
}

//! arXiv listing records as JSON lines: `{id, categories, pdf, abs, authors, title, comment, summary}`.

use dp_core::{ArxivId, Paper, Record};
use serde::Deserialize;

#[derive(Deserialize)]
struct Listing {
    id: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    title: String,
    comment: Option<String>,
    summary: Option<String>,
}

/// Parses one listing line.
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    let l: Listing =
        serde_json::from_slice(line).map_err(|e| format!("not an arXiv listing record: {e}"))?;
    let id = ArxivId::parse(&l.id).map_err(|e| e.to_string())?;
    let mut paper = Paper::new(&id, &l.title, l.summary.as_deref().unwrap_or(""));
    paper.authors = l
        .authors
        .iter()
        .map(|a| dp_core::text::normalize(a))
        .collect();
    paper.categories = l
        .categories
        .iter()
        .map(|c| dp_core::text::normalize(c))
        .filter(|c| !c.is_empty())
        .collect();
    paper.comment = l
        .comment
        .map(|c| dp_core::text::normalize(&c))
        .filter(|c| !c.is_empty());
    paper.validate().map_err(|e| e.to_string())?;
    Ok(paper.into())
}

/// Whether a JSON object looks like a listing record.
pub fn looks_like(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    obj.contains_key("id")
        && obj.contains_key("summary")
        && obj.get("categories").is_some_and(|c| c.is_array())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_listing_line() {
        let line = br#"{"id": "2503.11731", "pdf": "https://arxiv.org/pdf/2503.11731", "abs": "x", "authors": ["Xianming Zeng", "Sicong Du"], "title": "Industrial-Grade\n  Sensor", "categories": ["cs.CV", "cs.RO"], "comment": null, "summary": "Sensor simulation\nis pivotal"}"#;
        let r = parse_line(line).unwrap();
        assert_eq!(r.paper.title, "Industrial-Grade Sensor");
        assert_eq!(r.paper.abstract_text, "Sensor simulation is pivotal");
        assert_eq!(r.paper.categories, ["cs.CV", "cs.RO"]);
        assert_eq!(r.paper.comment, None);
        assert!(r.entry.is_none());
    }

    #[test]
    fn rejects_bad_lines() {
        assert!(parse_line(b"{\"id\": \"x\"}").is_err());
        assert!(parse_line(b"\xff\xfe").is_err());
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_line(deep.as_bytes()).is_err());
        let deep_obj = format!("{}{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
        assert!(parse_line(deep_obj.as_bytes()).is_err());
    }
}

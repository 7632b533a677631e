//! The bodies of the fuzz targets, one function per target taking the fuzzer's bytes.
//!
//! `fuzz/` (a cargo-fuzz project, libFuzzer, nightly) calls them from its targets, and the
//! test in `tests/it/main.rs` replays every input kept in `fuzz/corpus/` and
//! `fuzz/regressions/` through them on the stable toolchain, so CI checks that nothing the
//! fuzzer once found comes back. A target fails by panicking: on a crash inside the code under
//! test, or when a property it checks does not hold.

mod html;

use chrono::{TimeZone, Utc};
use dp_core::ArxivId;
use dp_ingest::formats::{self, ReadOptions};

/// The body of a target: takes the fuzzer's bytes, panics on a finding.
pub type Target = fn(&[u8]);

/// Every target: its name (the folder under `fuzz/corpus/`) and body.
pub const TARGETS: &[(&str, Target)] = &[
    ("arxiv_id", arxiv_id),
    ("search_query", search_query),
    ("oai_xml", oai_xml),
    ("atom_xml", atom_xml),
    ("hf_json", hf_json),
    ("json_lines", json_lines),
    ("comment_markdown", comment_markdown),
    ("abstract_math", abstract_math),
    ("email", email),
    ("signed_token", signed_token),
    ("form_query", form_query),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `ArxivId::parse`: never panics, and an id's text parses back to the same id.
pub fn arxiv_id(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(id) = ArxivId::parse(s) {
        let again = ArxivId::parse(&id.to_string());
        assert_eq!(again.as_ref().ok(), Some(&id), "{s:?} -> {id}");
        assert!(id.base().is_ascii() && !id.base().is_empty());
        let _ = (id.abs_url(), id.pdf_url(), id.unversioned());
    }
}

/// The search query language: never panics, and what it accepts does not grow without bound.
pub fn search_query(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(q) = dp_search::query::parse(s) {
        let _ = q.only_filters();
    }
}

/// OAI-PMH pages: never panic; every accepted record has a valid id.
pub fn oai_xml(data: &[u8]) {
    if let Ok(page) = dp_ingest::oai::parse_oai(data) {
        for p in page.records.iter().flatten() {
            assert!(ArxivId::parse(p.id.base()).is_ok());
        }
    }
}

/// arXiv API Atom responses: never panic; every accepted record has a valid id.
pub fn atom_xml(data: &[u8]) {
    if let Ok(feed) = dp_ingest::atom::parse_atom(data) {
        for p in feed.records.iter().flatten() {
            assert!(ArxivId::parse(p.id.base()).is_ok());
        }
    }
}

/// One item of Hugging Face's daily-papers answer: never panics.
pub fn hf_json(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let _ = dp_core::hf::HfItem::parse(s);
    let day = chrono::NaiveDate::from_ymd_opt(2025, 3, 17);
    if let Ok((record, _)) = formats::hf::parse_item(s, day, 0) {
        assert!(ArxivId::parse(record.paper.id.base()).is_ok());
    }
}

/// The file reader (JSON lines of every format, JSON arrays, XML, detected from the bytes):
/// never panics, and a bad record is a rejection, not the end of the file.
pub fn json_lines(data: &[u8]) {
    let _ = formats::kaggle::parse_line(data);
    let _ = formats::listing::parse_line(data);
    let mut reader = data;
    let mut n = 0usize;
    let _ = formats::read_stream(&mut reader, None, &ReadOptions::default(), &mut |_| {
        n += 1;
        n < 10_000
    });
}

/// Comments (Markdown): the HTML holds only allow-listed tags, attributes and URL schemes.
pub fn comment_markdown(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let out = dp_web::render::markdown(s).into_string();
    if let Err(e) = html::check(&out, html::Allowed::COMMENT) {
        panic!("{e}\ninput: {s:?}\noutput: {out}");
    }
}

/// Abstracts and titles (text with LaTeX math): the HTML holds only allow-listed tags and
/// attributes (MathML included), with no links at all.
pub fn abstract_math(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let out = dp_web::render::with_math(s).into_string();
    if let Err(e) = html::check(&out, html::Allowed::MATH) {
        panic!("{e}\ninput: {s:?}\noutput: {out}");
    }
}

/// `Email::parse`: never panics; an accepted address has no control character or space (it
/// goes into mail headers) and parses back to itself.
pub fn email(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(e) = dp_mail::Email::parse(s) {
        let a = e.as_str();
        assert!(
            !a.chars().any(|c| c.is_control() || c.is_whitespace()),
            "{a:?}"
        );
        assert_eq!(a.matches('@').count(), 1, "{a:?}");
        assert_eq!(dp_mail::Email::parse(a).as_ref(), Ok(&e));
    }
}

/// Signed link tokens: a token the fuzzer made up is never accepted; one this signer made is,
/// for its own purpose only, and not once expired.
pub fn signed_token(data: &[u8]) {
    let signer = dp_mail::Signer::new(b"a fuzzing secret of 32 bytes....");
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single();
    let Some(now) = now else { return };
    if let Some(s) = text(data) {
        assert!(
            signer.verify("unsubscribe", s, now).is_err(),
            "a made-up token was accepted: {s:?}"
        );
    }
    let mut id = [0u8; 8];
    for (i, b) in data.iter().take(8).enumerate() {
        id[i] = *b;
    }
    let id = i64::from_le_bytes(id);
    let expires = now + chrono::Duration::hours(1);
    let token = signer.sign("unsubscribe", id, expires);
    assert_eq!(signer.verify("unsubscribe", &token, now).ok(), Some(id));
    assert!(signer.verify("subscribe", &token, now).is_err());
    let later = expires + chrono::Duration::seconds(1);
    assert!(signer.verify("unsubscribe", &token, later).is_err());
}

/// Query strings and form bodies: decoding never panics, the cache key of a request keeps only
/// the parameters a handler reads, and the search form's fields make a query the parser takes
/// or refuses cleanly.
pub fn form_query(data: &[u8]) {
    if let Ok(form) = serde_urlencoded::from_bytes::<dp_web::params::SearchForm>(data) {
        let _ = dp_search::query::parse(&form.combined());
        let qs = form.query_string();
        let again: Result<dp_web::params::SearchForm, _> = serde_urlencoded::from_str(&qs);
        assert!(again.is_ok(), "{qs:?}");
    }
    let Some(s) = text(data) else { return };
    let Ok(uri) = format!("/papers?{s}").parse::<axum::http::Uri>() else {
        return;
    };
    let key = dp_web::params::key(&uri, &["p", "limit", "date"]);
    for (name, _) in form_urlencoded_pairs(key.split_once('?').map_or("", |k| k.1)) {
        assert!(["p", "limit", "date"].contains(&name.as_str()), "{key}");
    }
}

fn form_urlencoded_pairs(q: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default()
}

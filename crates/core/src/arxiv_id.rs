//! arXiv identifiers: parsing, validation and normalisation.
//!
//! Accepted forms, all normalised to a bare id plus an optional version:
//! `2401.12345`, `2401.12345v3`, `arXiv:2401.12345`, `https://arxiv.org/abs/2401.12345v2`,
//! `https://arxiv.org/pdf/2401.12345v2.pdf`, `oai:arXiv.org:2401.12345`, old-style ids such as
//! `hep-th/9901001` and `math.GT/0309136`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Why a string is not an arXiv id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArxivIdError {
    /// The input was empty after trimming prefixes.
    #[error("empty arXiv id")]
    Empty,
    /// The input is longer than any arXiv id or URL could be.
    #[error("arXiv id is too long ({0} characters)")]
    TooLong(usize),
    /// The input matches neither the new (`YYMM.NNNNN`) nor the old (`archive/YYMMNNN`) scheme.
    #[error("not an arXiv id: {0:?} (expected e.g. 2401.12345, 2401.12345v2 or hep-th/9901001)")]
    Invalid(String),
}

/// A validated arXiv identifier without its version, plus the version when one was given.
///
/// Two ids are equal when their bare ids and versions are equal; use [`ArxivId::base`] to compare
/// papers regardless of version.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArxivId {
    base: String,
    version: Option<u32>,
}

impl ArxivId {
    /// Parses and normalises any accepted form of an arXiv id.
    pub fn parse(input: &str) -> Result<ArxivId, ArxivIdError> {
        let s = input.trim();
        if s.len() > 200 {
            return Err(ArxivIdError::TooLong(s.chars().count()));
        }
        let s = strip_prefixes(s);
        if s.is_empty() {
            return Err(ArxivIdError::Empty);
        }
        let invalid = || ArxivIdError::Invalid(input.trim().chars().take(80).collect());
        let (body, version) = split_version(s).ok_or_else(invalid)?;
        if is_new_style(body) || is_old_style(body) {
            Ok(ArxivId {
                base: body.to_string(),
                version,
            })
        } else {
            Err(invalid())
        }
    }

    /// The bare id, without version (`2401.12345`, `hep-th/9901001`).
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The version given with the id, if any.
    pub fn version(&self) -> Option<u32> {
        self.version
    }

    /// The same id without its version.
    pub fn unversioned(&self) -> ArxivId {
        ArxivId {
            base: self.base.clone(),
            version: None,
        }
    }

    /// The same id with the given version.
    pub fn with_version(&self, version: Option<u32>) -> ArxivId {
        ArxivId {
            base: self.base.clone(),
            version,
        }
    }

    /// Whether this is a new-style (`YYMM.NNNNN`) id.
    pub fn is_new_style(&self) -> bool {
        !self.base.contains('/')
    }

    /// Link to the abstract page on arXiv.
    pub fn abs_url(&self) -> String {
        format!("https://arxiv.org/abs/{}", self)
    }

    /// Link to the PDF on arXiv.
    pub fn pdf_url(&self) -> String {
        format!("https://arxiv.org/pdf/{}", self)
    }
}

fn strip_prefixes(s: &str) -> &str {
    let mut s = s;
    for scheme in ["https://", "http://"] {
        if let Some(rest) = strip_prefix_ci(s, scheme) {
            s = rest;
        }
    }
    for host in ["www.arxiv.org/", "export.arxiv.org/", "arxiv.org/"] {
        if let Some(rest) = strip_prefix_ci(s, host) {
            s = rest;
            for path in ["abs/", "pdf/", "html/", "format/"] {
                if let Some(rest) = s.strip_prefix(path) {
                    s = rest;
                    break;
                }
            }
            break;
        }
    }
    for prefix in ["oai:arxiv.org:", "arxiv:"] {
        if let Some(rest) = strip_prefix_ci(s, prefix) {
            s = rest;
        }
    }
    let s = s.trim_end_matches('/');
    let s = s.strip_suffix(".pdf").unwrap_or(s);
    s.trim()
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

/// Splits a trailing `vN` off. Returns `None` for a malformed version (`v`, `v0`, `vx`).
fn split_version(s: &str) -> Option<(&str, Option<u32>)> {
    match s.rfind('v') {
        Some(pos) if pos > 0 && s[..pos].ends_with(|c: char| c.is_ascii_digit()) => {
            let digits = &s[pos + 1..];
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let v: u32 = digits.parse().ok()?;
            if v == 0 {
                return None;
            }
            Some((&s[..pos], Some(v)))
        }
        _ => Some((s, None)),
    }
}

fn valid_month(yymm: &str) -> bool {
    matches!(yymm[2..4].parse::<u32>(), Ok(m) if (1..=12).contains(&m))
}

/// `YYMM.NNNN` (2007-04 to 2014-12) or `YYMM.NNNNN` (from 2015-01).
fn is_new_style(s: &str) -> bool {
    let Some((yymm, num)) = s.split_once('.') else {
        return false;
    };
    if yymm.len() != 4 || !yymm.bytes().all(|b| b.is_ascii_digit()) || !valid_month(yymm) {
        return false;
    }
    if !num.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let yy: u32 = yymm[..2].parse().unwrap_or(0);
    let mm: u32 = yymm[2..].parse().unwrap_or(0);
    if (yy, mm) < (7, 4) {
        return false;
    }
    if yy >= 15 {
        num.len() == 5
    } else {
        num.len() == 4
    }
}

/// `archive(.SC)?/YYMMNNN`, e.g. `hep-th/9901001`, `math.GT/0309136`.
fn is_old_style(s: &str) -> bool {
    let Some((archive, num)) = s.split_once('/') else {
        return false;
    };
    let (name, class) = match archive.split_once('.') {
        Some((n, c)) => (n, Some(c)),
        None => (archive, None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 16
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
    let class_ok = match class {
        None => true,
        Some(c) => (1..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase()),
    };
    name_ok
        && class_ok
        && num.len() == 7
        && num.bytes().all(|b| b.is_ascii_digit())
        && valid_month(num)
}

impl fmt::Display for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(v) => write!(f, "{}v{}", self.base, v),
            None => f.write_str(&self.base),
        }
    }
}

impl fmt::Debug for ArxivId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ArxivId({})", self)
    }
}

impl FromStr for ArxivId {
    type Err = ArxivIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ArxivId::parse(s)
    }
}

impl Serialize for ArxivId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ArxivId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ArxivId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str, base: &str, version: Option<u32>) {
        let id = ArxivId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(id.base(), base, "{input}");
        assert_eq!(id.version(), version, "{input}");
    }

    #[test]
    fn accepts_every_documented_form() {
        ok("2401.12345", "2401.12345", None);
        ok("2401.12345v3", "2401.12345", Some(3));
        ok("arXiv:2401.12345", "2401.12345", None);
        ok("ARXIV:2401.12345v1", "2401.12345", Some(1));
        ok("https://arxiv.org/abs/2401.12345v2", "2401.12345", Some(2));
        ok("http://arxiv.org/abs/2401.12345", "2401.12345", None);
        ok("https://arxiv.org/pdf/2401.12345v2", "2401.12345", Some(2));
        ok(
            "https://arxiv.org/pdf/2401.12345v2.pdf",
            "2401.12345",
            Some(2),
        );
        ok(
            "https://export.arxiv.org/abs/2401.12345/",
            "2401.12345",
            None,
        );
        ok("oai:arXiv.org:0804.2273", "0804.2273", None);
        ok("  1111.2011v2 ", "1111.2011", Some(2));
        ok("hep-th/9901001", "hep-th/9901001", None);
        ok("hep-th/9901001v2", "hep-th/9901001", Some(2));
        ok("math.GT/0309136", "math.GT/0309136", None);
        ok(
            "http://arxiv.org/abs/astro-ph/0601001v1",
            "astro-ph/0601001",
            Some(1),
        );
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "arXiv:",
            "0000.0000",
            "2401.1234",   // 2024 ids have five digits
            "1401.12345",  // 2014 ids have four
            "2413.12345",  // month 13
            "2401.12345v", // empty version
            "2401.12345v0",
            "2401.12345vx",
            "2401-12345",
            "hep-th/990100",
            "HEP-TH/9901001",
            "math.gt/0309136",
            "hep-th/9913001",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "2401.12345 OR 1=1",
            "0703.1234", // before April 2007 new-style ids did not exist
        ] {
            assert!(ArxivId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(matches!(
            ArxivId::parse(&"1".repeat(500)),
            Err(ArxivIdError::TooLong(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "2401.12345",
            "2401.12345v3",
            "hep-th/9901001v1",
            "math.GT/0309136",
        ] {
            let id = ArxivId::parse(s).unwrap();
            assert_eq!(id.to_string(), s);
            assert_eq!(ArxivId::parse(&id.to_string()).unwrap(), id);
        }
        let id = ArxivId::parse("2401.12345v3").unwrap();
        assert_eq!(id.unversioned().to_string(), "2401.12345");
        assert_eq!(id.abs_url(), "https://arxiv.org/abs/2401.12345v3");
    }

    #[test]
    fn error_messages_are_clear() {
        let e = ArxivId::parse("nope").unwrap_err().to_string();
        assert!(e.contains("not an arXiv id"), "{e}");
        assert!(e.contains("nope"), "{e}");
    }
}

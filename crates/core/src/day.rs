//! List days: a daily list belongs to one calendar day, written `YYYY-MM-DD`.

use chrono::NaiveDate;

/// Why a string is not a list day.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    /// Not of the form `YYYY-MM-DD`, or not a real calendar date.
    #[error("invalid date: expected YYYY-MM-DD, e.g. 2025-03-17")]
    Invalid(String),
}

/// Parses a strict `YYYY-MM-DD` day (no time, no other separators, a real calendar date).
pub fn parse_day(s: &str) -> Result<NaiveDate, DayError> {
    let invalid = || DayError::Invalid(s.chars().take(40).collect());
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(invalid());
    }
    if !b
        .iter()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return Err(invalid());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| invalid())
}

/// The day a file name such as `2025-03-17.json.gz` names, if it names one.
pub fn day_from_file_name(name: &str) -> Option<NaiveDate> {
    let stem = name.get(..10)?;
    let rest = &name[10..];
    if rest.is_empty() || rest.starts_with('.') {
        parse_day(stem).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_days_only() {
        assert_eq!(
            parse_day("2025-03-17").unwrap(),
            NaiveDate::from_ymd_opt(2025, 3, 17).unwrap()
        );
        for bad in [
            "2025-13-40",
            "2025-02-30",
            "2026-07",
            "20250317",
            "2025-3-17",
            "",
            "2025-03-17T00:00:00Z",
            "２０２５-03-17",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn days_from_file_names() {
        assert_eq!(
            day_from_file_name("2025-03-17.json.gz"),
            NaiveDate::from_ymd_opt(2025, 3, 17)
        );
        assert_eq!(
            day_from_file_name("2025-03-17"),
            NaiveDate::from_ymd_opt(2025, 3, 17)
        );
        assert_eq!(day_from_file_name("daily_papers.jsonl.gz"), None);
        assert_eq!(day_from_file_name("2025-03-17x.json"), None);
    }
}

//! Periods of the weekly and monthly lists: ISO weeks (`2025-W12`) and months (`2025-03`).

use chrono::{Datelike, Days, NaiveDate, Weekday};
use std::fmt;

/// Why a string is not a week or a month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// Not an ISO week of the form `YYYY-Www` that exists.
    #[error("invalid week: expected YYYY-Www, e.g. 2025-W12")]
    Week,
    /// Not a month of the form `YYYY-MM`.
    #[error("invalid month: expected YYYY-MM, e.g. 2025-03")]
    Month,
}

/// A week or a month: the days of a weekly or monthly list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// An ISO week (Monday to Sunday), by ISO year and week number.
    Week {
        /// ISO week-numbering year.
        year: i32,
        /// 1..=53.
        week: u32,
    },
    /// A calendar month.
    Month {
        /// Year.
        year: i32,
        /// 1..=12.
        month: u32,
    },
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Period {
    /// Parses a strict `YYYY-Www` (ISO week that exists in that year).
    pub fn parse_week(s: &str) -> Result<Period, PeriodError> {
        let (y, w) = s.split_once("-W").ok_or(PeriodError::Week)?;
        if y.len() != 4 || w.len() != 2 || !digits(y) || !digits(w) {
            return Err(PeriodError::Week);
        }
        let year: i32 = y.parse().map_err(|_| PeriodError::Week)?;
        let week: u32 = w.parse().map_err(|_| PeriodError::Week)?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or(PeriodError::Week)?;
        Ok(Period::Week { year, week })
    }

    /// Parses a strict `YYYY-MM`.
    pub fn parse_month(s: &str) -> Result<Period, PeriodError> {
        let (y, m) = s.split_once('-').ok_or(PeriodError::Month)?;
        if y.len() != 4 || m.len() != 2 || !digits(y) || !digits(m) {
            return Err(PeriodError::Month);
        }
        let year: i32 = y.parse().map_err(|_| PeriodError::Month)?;
        let month: u32 = m.parse().map_err(|_| PeriodError::Month)?;
        NaiveDate::from_ymd_opt(year, month, 1).ok_or(PeriodError::Month)?;
        Ok(Period::Month { year, month })
    }

    /// The ISO week containing `day`.
    pub fn week_of(day: NaiveDate) -> Period {
        let w = day.iso_week();
        Period::Week {
            year: w.year(),
            week: w.week(),
        }
    }

    /// The month containing `day`.
    pub fn month_of(day: NaiveDate) -> Period {
        Period::Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// First and last day (inclusive).
    pub fn days(&self) -> (NaiveDate, NaiveDate) {
        match *self {
            Period::Week { year, week } => {
                let first =
                    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).unwrap_or(NaiveDate::MIN);
                (first, first + Days::new(6))
            }
            Period::Month { year, month } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
                let next = first
                    .checked_add_months(chrono::Months::new(1))
                    .unwrap_or(NaiveDate::MAX);
                (first, next.pred_opt().unwrap_or(first))
            }
        }
    }

    /// The period before this one.
    pub fn prev(&self) -> Period {
        let (first, _) = self.days();
        let day = first.pred_opt().unwrap_or(first);
        self.same_kind(day)
    }

    /// The period after this one.
    pub fn next(&self) -> Period {
        let (_, last) = self.days();
        let day = last.succ_opt().unwrap_or(last);
        self.same_kind(day)
    }

    fn same_kind(&self, day: NaiveDate) -> Period {
        match self {
            Period::Week { .. } => Period::week_of(day),
            Period::Month { .. } => Period::month_of(day),
        }
    }

    /// The path of this period's list page.
    pub fn path(&self) -> String {
        match self {
            Period::Week { .. } => format!("/papers/week/{self}"),
            Period::Month { .. } => format!("/papers/month/{self}"),
        }
    }

    /// A heading such as "Week 12 of 2025 (March 17–23)" or "March 2025".
    pub fn label(&self) -> String {
        match *self {
            Period::Week { year, week } => {
                let (a, b) = self.days();
                format!(
                    "Week {week} of {year} ({} – {})",
                    a.format("%B %-d"),
                    b.format("%B %-d")
                )
            }
            Period::Month { .. } => self.days().0.format("%B %Y").to_string(),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Week { year, week } => write!(f, "{year:04}-W{week:02}"),
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_follow_iso_8601() {
        let w = Period::parse_week("2025-W12").unwrap();
        assert_eq!(w.days(), (d(2025, 3, 17), d(2025, 3, 23)));
        assert_eq!(w.to_string(), "2025-W12");
        // 2025-12-29 belongs to ISO week 1 of 2026.
        assert_eq!(Period::week_of(d(2025, 12, 29)).to_string(), "2026-W01");
        assert_eq!(
            Period::parse_week("2026-W01").unwrap().prev().to_string(),
            "2025-W52"
        );
        assert_eq!(
            Period::parse_week("2020-W53").unwrap().next().to_string(),
            "2021-W01"
        );
        for bad in [
            "2025-W54",
            "2025-W00",
            "2025-12",
            "2025W12",
            "2025-W1",
            "x-W12",
            "2025-W１２",
        ] {
            assert!(Period::parse_week(bad).is_err(), "{bad}");
        }
        // 2025 has 52 ISO weeks.
        assert!(Period::parse_week("2025-W53").is_err());
    }

    #[test]
    fn months() {
        let m = Period::parse_month("2024-02").unwrap();
        assert_eq!(m.days(), (d(2024, 2, 1), d(2024, 2, 29)));
        assert_eq!(m.next().to_string(), "2024-03");
        assert_eq!(
            Period::parse_month("2025-01").unwrap().prev().to_string(),
            "2024-12"
        );
        assert_eq!(m.label(), "February 2024");
        for bad in [
            "2025-13",
            "2025-00",
            "2025-1",
            "2025-W12",
            "25-01",
            "2025-01-01",
        ] {
            assert!(Period::parse_month(bad).is_err(), "{bad}");
        }
    }
}

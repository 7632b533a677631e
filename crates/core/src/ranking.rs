//! How lists rank papers. These formulas are also explained to readers on `/about`.

/// How strongly age pulls a trending score down (the exponent of the age term).
pub const TRENDING_GRAVITY: f64 = 1.5;
/// Hours added to every age, so a paper minutes old does not divide by almost nothing.
pub const TRENDING_AGE_OFFSET_HOURS: f64 = 2.0;
/// How many days back the trending list looks, from the newest list in the store.
pub const TRENDING_WINDOW_DAYS: u64 = 7;

/// The points a trending paper starts from: its upvotes, plus `log2(1 + stars)` for a GitHub
/// repository with `stars` stars (100 stars add about 6.7 points, 10,000 about 13.3), so code that
/// people use counts, without stars swamping votes.
pub fn trending_points(upvotes: i64, github_stars: Option<i64>) -> f64 {
    let stars = github_stars.unwrap_or(0).max(0) as f64;
    upvotes.max(0) as f64 + (1.0 + stars).log2()
}

/// The trending score: `points / (age_hours + 2) ^ 1.5`. Newer papers with the same points rank
/// higher; a paper twice as old needs about 2.8 times the points to keep its place.
pub fn trending_score(points: f64, age_hours: f64) -> f64 {
    points / (age_hours.max(0.0) + TRENDING_AGE_OFFSET_HOURS).powf(TRENDING_GRAVITY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_beats_older_with_equal_points() {
        assert!(trending_score(10.0, 1.0) > trending_score(10.0, 24.0));
    }

    #[test]
    fn more_points_beat_fewer_at_equal_age() {
        assert!(
            trending_score(trending_points(20, None), 10.0)
                > trending_score(trending_points(10, None), 10.0)
        );
    }

    #[test]
    fn stars_count_logarithmically() {
        assert_eq!(trending_points(5, None), 5.0);
        assert!((trending_points(0, Some(1023)) - 10.0).abs() < 1e-9);
        assert_eq!(trending_points(-3, Some(-5)), 0.0);
    }

    #[test]
    fn doubling_the_age_needs_about_2_8_times_the_points() {
        let young = trending_score(10.0, 22.0);
        let old = trending_score(10.0 * 2f64.powf(1.5), 46.0);
        assert!((young - old).abs() < 1e-9);
    }
}

//! Hugging Face daily-papers API items (`/api/daily_papers?date=DAY`).

use chrono::NaiveDate;
use dp_core::hf::HfItem;
use dp_core::{ArxivId, FeedEntry, Paper, Record};

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Turns one item of a daily-papers response into a record.
///
/// `raw` is the item's JSON text, kept verbatim on the feed entry. `day` is the list's day when
/// the caller knows it (a `--date` flag or a `YYYY-MM-DD.json` file name); otherwise the UTC date
/// of `paper.submittedOnDailyAt` is used, and without that the paper is imported with no entry
/// (the returned warning says so). `position` is the item's index in its list.
pub fn parse_item(
    raw: &str,
    day: Option<NaiveDate>,
    position: i64,
) -> Result<(Record, Option<String>), String> {
    let item = HfItem::parse(raw).map_err(|e| format!("not a daily-papers item: {e}"))?;
    let p = &item.paper;
    let id = ArxivId::parse(&p.id).map_err(|e| e.to_string())?;
    let abstract_text = p
        .summary
        .as_ref()
        .or(item.summary.as_ref())
        .map_or("", String::as_str);
    let mut paper = Paper::new(&id, &p.title, abstract_text);
    paper.authors = p
        .authors
        .iter()
        .map(|a| dp_core::text::normalize(&a.name))
        .collect();
    paper.published = p.published_at;
    paper.github_repo = non_empty(p.github_repo.clone());
    paper.project_page = non_empty(p.project_page.clone());
    paper.validate().map_err(|e| e.to_string())?;

    let day = day.or_else(|| p.submitted_on_daily_at.map(|t| t.date_naive()));
    let Some(day) = day else {
        return Ok((
            Record { paper, entry: None },
            Some("no list day (pass --date or name the file YYYY-MM-DD.json): imported the paper without a feed entry".into()),
        ));
    };
    let published_at = item
        .published_at
        .or(p.published_at)
        .ok_or("missing publishedAt")?;
    let submitted_by = item.submitter_name();
    let organization = item.organization_name();
    let (submitted_at, upvotes, num_comments) =
        (p.submitted_on_daily_at, p.upvotes, item.num_comments);
    let (ai_summary, ai_keywords) = (non_empty(p.ai_summary.clone()), p.ai_keywords.clone());
    let (github_repo, github_stars, project_page) = (
        p.github_repo.clone(),
        p.github_stars,
        p.project_page.clone(),
    );
    let entry = FeedEntry {
        day,
        paper_id: id.unversioned(),
        position,
        published_at,
        submitted_at,
        submitted_by,
        upvotes: upvotes.unwrap_or(0),
        num_comments: num_comments.unwrap_or(0),
        ai_summary,
        ai_keywords: ai_keywords.unwrap_or_default(),
        github_repo: non_empty(github_repo),
        github_stars,
        project_page: non_empty(project_page),
        organization,
        source_json: Some(raw.to_string()),
        hf: Some(item.extras()),
    };
    Ok((
        Record {
            paper,
            entry: Some(entry),
        },
        None,
    ))
}

/// Whether a JSON object looks like a daily-papers item.
pub fn looks_like(obj: &serde_json::Map<String, serde_json::Value>) -> bool {
    obj.get("paper").is_some_and(|p| p.is_object())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ITEM: &str = r#"{"paper":{"id":"2608.14391","authors":[{"_id":"x","name":"Shuo  Liang","hidden":false}],
      "publishedAt":"2026-08-14T00:00:00.000Z","submittedOnDailyAt":"2026-08-17T09:00:00.000Z","title":"Can We\n  Defend <b>?",
      "submittedOnDailyBy":{"user":"heisejiasuo","fullname":"W"},"summary":"Recent & <video>","upvotes":52,
      "githubRepo":"https://github.com/a/b","githubStars":2,"ai_keywords":["RA-Bench"],"ai_summary":"A benchmark."},
      "publishedAt":"2026-08-13T20:00:00.000Z","title":"Can We Defend <b>?","numComments":1,
      "organization":{"name":"hf","fullname":"Hugging Face"}}"#;

    #[test]
    fn parses_a_real_shaped_item() {
        let (r, warning) = parse_item(ITEM, None, 3).unwrap();
        assert!(warning.is_none());
        assert_eq!(r.paper.id.to_string(), "2608.14391");
        assert_eq!(r.paper.title, "Can We Defend <b>?");
        assert_eq!(r.paper.authors, ["Shuo Liang"]);
        let e = r.entry.unwrap();
        assert_eq!(e.day.to_string(), "2026-08-17");
        assert_eq!((e.upvotes, e.num_comments, e.position), (52, 1, 3));
        assert_eq!(e.submitted_by.as_deref(), Some("heisejiasuo"));
        assert_eq!(e.organization.as_deref(), Some("hf"));
        assert_eq!(e.published_at.to_rfc3339(), "2026-08-13T20:00:00+00:00");
        assert_eq!(e.source_json.as_deref(), Some(ITEM));
    }

    #[test]
    fn explicit_day_wins_and_missing_day_warns() {
        let d = NaiveDate::from_ymd_opt(2026, 8, 18).unwrap();
        assert_eq!(
            parse_item(ITEM, Some(d), 0).unwrap().0.entry.unwrap().day,
            d
        );
        let old = ITEM.replace("\"submittedOnDailyAt\":\"2026-08-17T09:00:00.000Z\",", "");
        let (r, warning) = parse_item(&old, None, 0).unwrap();
        assert!(r.entry.is_none());
        assert!(warning.unwrap().contains("--date"));
    }

    #[test]
    fn bad_items_are_rejected_with_a_reason() {
        assert!(parse_item("{}", None, 0)
            .unwrap_err()
            .contains("not a daily-papers item"));
        let bad_id = ITEM.replace("2608.14391", "not-an-id");
        assert!(parse_item(&bad_id, None, 0)
            .unwrap_err()
            .contains("not an arXiv id"));
        let huge = ITEM.replace("Can We\\n  Defend <b>?", &"x".repeat(2_000_000));
        assert!(parse_item(&huge, None, 0)
            .unwrap_err()
            .contains("title is too long"));
    }
}

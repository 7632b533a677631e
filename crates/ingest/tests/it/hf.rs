//! The Hugging Face daily-list mirror.

use crate::*;
use dp_ingest::harvest::{harvest_hf, HarvestError, HfPlan};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

// ---------------------------------------------------------------------------------------------
// 6. Hugging Face daily list mirror

fn hf_day_json(data: &Path, day: &str) -> Option<Vec<u8>> {
    let path = data.join(format!("hf-daily/days/{day}.json.gz"));
    let file = std::fs::File::open(path).ok()?;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut out)
        .unwrap();
    Some(out)
}

/// `/api/daily_papers?date=DAY` from the archived days; `[]` for days without a file. Days in
/// `broken` answer a truncated body.
fn hf_server(
    data: PathBuf,
    broken: Arc<Mutex<Vec<String>>>,
) -> impl Fn(&Hit) -> Response + Send + Sync + 'static {
    move |hit: &Hit| {
        if hit.path != "/api/daily_papers" {
            return status(404);
        }
        let Some(day) = hit.param("date") else {
            return status(400);
        };
        if broken.lock().unwrap().contains(&day) {
            return (
                [(header::CONTENT_TYPE, "application/json")],
                "{\"not\": \"an array\"",
            )
                .into_response();
        }
        let body = hf_day_json(&data, &day).unwrap_or_else(|| b"[]".to_vec());
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    }
}

/// A plan that fetches every day from `since` to `until`, held or not.
fn forced(since: &str, until: &str) -> HfPlan {
    HfPlan {
        since: Some(day(since)),
        now: chrono::DateTime::parse_from_rfc3339(&format!("{until}T12:00:00Z"))
            .unwrap()
            .with_timezone(&chrono::Utc),
        ..HfPlan::new(day(until), 1, chrono::Duration::zero())
    }
}

fn archived_ids(data: &Path, day: &str) -> Vec<String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(&hf_day_json(data, day).unwrap()).unwrap();
    items
        .iter()
        .map(|i| i["paper"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn hf_mirror_stores_each_day_in_order() {
    let Some(data) = shared_data() else { return };
    let mock = Mock::start(hf_server(data.clone(), Arc::default())).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &format!("{}/", mock.base),
        &forced("2026-08-17", "2026-08-21"),
        &no_progress(),
    )
    .await
    .unwrap();
    let days = [
        "2026-08-17",
        "2026-08-18",
        "2026-08-19",
        "2026-08-20",
        "2026-08-21",
    ];
    let total: usize = days.iter().map(|d| archived_ids(&data, d).len()).sum();
    assert_eq!(r.pages, 5, "{r:?}");
    assert_eq!(r.read as usize, total, "{r:?}");
    assert_eq!(r.rejected, 0, "{:?}", r.problems);
    assert_eq!(r.inserted + r.updated + r.unchanged, r.read, "{r:?}");

    let q = mock.queries();
    let asked: Vec<String> = q.iter().map(|q| param(q, "date").unwrap()).collect();
    assert_eq!(asked, days);
    assert!(mock.hits().iter().all(|h| h.path == "/api/daily_papers"));

    let expected = archived_ids(&data, "2026-08-18");
    assert_eq!(expected.len(), 29);
    let feed = store.day_feed(day("2026-08-18")).await.unwrap();
    let got: Vec<String> = feed.iter().map(|i| i.paper.id.to_string()).collect();
    assert_eq!(got, expected);
    assert!(feed.iter().all(|i| i.entry.day == day("2026-08-18")));
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.days, 5);
    assert_eq!(stats.feed_entries as usize, total);
    assert_eq!(stats.first_day, Some(day("2026-08-17")));
    assert_eq!(stats.latest_day, Some(day("2026-08-21")));
    assert_eq!(
        store.watermark("hf:last_day").await.unwrap().as_deref(),
        Some("2026-08-21")
    );

    // Two days later: a weekend answers `[]`, and the watermark still moves past it. 08-21,
    // fetched before its list settled, is fetched again to refresh its counts (unchanged here).
    let at = |d: &str| {
        chrono::DateTime::parse_from_rfc3339(&format!("{d}T12:00:00Z"))
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let later = |until: &str, refresh: chrono::Duration| HfPlan {
        now: at(until),
        ..HfPlan::new(day(until), 3, refresh)
    };
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        &later("2026-08-23", chrono::Duration::hours(1)),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(r.pages, 3, "{r:?}");
    assert!(
        r.read > 0 && r.unchanged == r.read && r.inserted == 0,
        "{r:?}"
    );
    let q = mock.queries();
    assert_eq!(param(&q[5], "date").as_deref(), Some("2026-08-21"));
    assert_eq!(param(&q[6], "date").as_deref(), Some("2026-08-22"));
    assert_eq!(param(&q[7], "date").as_deref(), Some("2026-08-23"));
    assert_eq!(
        store.watermark("hf:last_day").await.unwrap().as_deref(),
        Some("2026-08-23")
    );

    // A restart within the refresh interval fetches nothing it holds.
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        &later("2026-08-23", chrono::Duration::hours(1)),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!((r.pages, mock.queries().len()), (0, 8), "{r:?}");

    // Four days on: only the days not yet held, each once.
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        &later("2026-08-27", chrono::Duration::hours(1)),
        &no_progress(),
    )
    .await
    .unwrap();
    let asked: Vec<String> = mock.queries()[8..]
        .iter()
        .map(|q| param(q, "date").unwrap())
        .collect();
    assert_eq!(
        asked,
        ["2026-08-24", "2026-08-25", "2026-08-26", "2026-08-27"],
        "{r:?}"
    );
}

#[tokio::test]
async fn a_first_mirror_run_fetches_the_backfill_window_and_reports_where_it_is() {
    let Some(data) = shared_data() else { return };
    let mock = Mock::start(hf_server(data.clone(), Arc::default())).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let on_page = move |r: &HarvestReport| s.lock().unwrap().push(r.at.clone());
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        &HfPlan::new(day("2026-08-21"), 14, chrono::Duration::hours(1)),
        &on_page,
    )
    .await
    .unwrap();
    let asked: Vec<String> = mock
        .queries()
        .iter()
        .map(|q| param(q, "date").unwrap())
        .collect();
    assert_eq!(asked.len(), 14);
    assert_eq!(asked.first().map(String::as_str), Some("2026-08-08"));
    assert_eq!(asked.last().map(String::as_str), Some("2026-08-21"));
    assert_eq!(r.pages, 14);
    let seen = seen.lock().unwrap();
    assert!(seen.contains(&"day 2026-08-08".to_string()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("day 2026-08-21"));
}

#[tokio::test]
async fn hf_malformed_day_stops_the_harvest_and_loses_nothing() {
    let Some(data) = shared_data() else { return };
    let broken = Arc::new(Mutex::new(vec!["2026-08-19".to_string()]));
    let mock = Mock::start(hf_server(data.clone(), broken.clone())).await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let err = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        &forced("2026-08-17", "2026-08-21"),
        &no_progress(),
    )
    .await
    .unwrap_err();
    match &err {
        HarvestError::BadResponse { url, message } => {
            assert!(url.contains("date=2026-08-19"), "{url}");
            assert!(message.contains("JSON array"), "{message}");
        }
        other => panic!("expected BadResponse, got {other:?}"),
    }
    // The days before the bad one are stored, and the watermark stops before it.
    assert_eq!(mock.queries().len(), 3);
    assert_eq!(
        store.watermark("hf:last_day").await.unwrap().as_deref(),
        Some("2026-08-18")
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.days, 2);
    let before = archived_ids(&data, "2026-08-17").len() + archived_ids(&data, "2026-08-18").len();
    assert_eq!(stats.feed_entries as usize, before);
    assert!(store.day_feed(day("2026-08-19")).await.unwrap().is_empty());

    // Once the source is fixed, the next run continues at the bad day.
    broken.lock().unwrap().clear();
    let r = harvest_hf(
        store.as_ref(),
        &f,
        &mock.base,
        &HfPlan::new(day("2026-08-21"), 3, chrono::Duration::zero()),
        &no_progress(),
    )
    .await
    .unwrap();
    assert_eq!(r.pages, 3, "{r:?}");
    let q = mock.queries();
    assert_eq!(param(&q[3], "date").as_deref(), Some("2026-08-19"), "{q:?}");
    let got: Vec<String> = store
        .day_feed(day("2026-08-19"))
        .await
        .unwrap()
        .iter()
        .map(|i| i.paper.id.to_string())
        .collect();
    assert_eq!(got, archived_ids(&data, "2026-08-19"));
    assert_eq!(store.stats().await.unwrap().days, 5);
}

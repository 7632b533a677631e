//! Submissions by the form, the per-user limit, and the weekly, monthly and trending lists.

use crate::*;
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use dp_testkit::{paper, rec, PaperExt};
use dp_web::WebSettings;

#[tokio::test]
async fn submissions_follow_the_rules() {
    let Some(env) = env_with_rules(
        dp_app::Rules {
            submissions_per_day: 2,
            ..dp_app::Rules::default()
        },
        WebSettings::default(),
        Utc.with_ymd_and_hms(2011, 11, 10, 12, 0, 0).unwrap(),
    )
    .await
    else {
        return;
    };
    let mut anon = env.app.browser();
    assert_eq!(anon.get("/submit").await.location(), "/login?next=/submit");
    let mut bob = env.app.browser();
    let t = bob.signup("bob").await;
    // Bad ids get a clear message.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "not-an-id")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not-an-id"));
    // Already on a list: points to it.
    let r = bob
        .post(
            "/submit",
            &[
                ("csrf", &t),
                ("paper", "https://arxiv.org/abs/2503.00001v2"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/papers/2503.00001?duplicate=2025-03-17");
    // Not in the store: fetched from (recorded) arXiv, lands on today's list.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "arXiv:1111.2011")])
        .await;
    assert_eq!(r.location(), "/papers/1111.2011?submitted=1", "{}", r.body);
    let page = anon.get("/papers/1111.2011?submitted=1").await.body;
    assert!(
        page.contains("on today&#39;s list") || page.contains("on today's list"),
        "{page}"
    );
    assert!(page.contains("submitted by <a href=\"/users/bob\">bob</a>"));
    assert_eq!(
        order(&anon.get("/papers/date/2011-11-10").await.body),
        ["1111.2011"]
    );
    // First published 400 days before this test's clock: too old.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2503.00004")])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{} {}",
        r.location(),
        r.body
    );
    assert!(r.body.contains("last 14 days"));
    // arXiv does not know it; arXiv unreachable.
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2501.99999")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2501.88888")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_GATEWAY);
    assert!(r.body.contains("arXiv could not be reached"));
}

#[tokio::test]
async fn per_user_submission_limit() {
    let now = Utc.with_ymd_and_hms(2025, 3, 18, 12, 0, 0).unwrap();
    let Some(env) = env_with_rules(
        dp_app::Rules {
            submissions_per_day: 1,
            ..dp_app::Rules::default()
        },
        WebSettings::default(),
        now,
    )
    .await
    else {
        return;
    };
    env.store
        .upsert_records(vec![
            rec(
                paper("2503.00005", "new one").published_at(now - chrono::Duration::days(1)),
                None,
            ),
            rec(
                paper("2503.00006", "new two").published_at(now - chrono::Duration::days(1)),
                None,
            ),
        ])
        .await
        .unwrap();
    let mut bob = env.app.browser();
    let t = bob.signup("bob").await;
    assert_eq!(
        bob.post("/submit", &[("csrf", &t), ("paper", "2503.00005")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let r = bob
        .post("/submit", &[("csrf", &t), ("paper", "2503.00006")])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("1 submissions in 24 hours"));
}

#[tokio::test]
async fn weekly_monthly_and_trending_lists() {
    let Some(env) = env().await else { return };
    let mut anon = env.app.browser();
    let w = anon.get("/papers/week/2025-W12").await;
    assert_eq!(w.status, StatusCode::OK);
    assert_eq!(order(&w.body).len(), 2);
    assert!(
        w.body.contains("href=\"/papers/week/2025-W11\"")
            && w.body.contains("href=\"/papers/week/2025-W13\"")
    );
    assert_eq!(
        order(&anon.get("/papers/month/2025-03").await.body).len(),
        2
    );
    assert_eq!(
        order(&anon.get("/papers/month/2025-04").await.body).len(),
        0
    );
    assert_eq!(
        anon.get("/papers/week/current").await.status,
        StatusCode::OK
    );
    let t = anon.get("/papers/trending").await.body;
    assert_eq!(order(&t).len(), 2);
    assert!(t.contains("score "));
    assert!(anon.get("/about").await.body.contains("(age_in_hours + 2"));
}

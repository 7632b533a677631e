//! Votes, comments, moderation and claims through the forms, with every authorization rule.

use crate::*;
use axum::http::StatusCode;

#[tokio::test]
async fn upvotes_are_idempotent_and_reorder_the_list() {
    let Some(env) = env().await else { return };
    let mut anon = env.app.browser();
    let before = order(&anon.get("/papers/date/2025-03-17").await.body);
    assert_eq!(before, ["2503.00001", "2503.00002"]);
    let mut bob = env.app.browser();
    let t = bob.signup("bob").await;
    // Without JavaScript: a form and a redirect back; a double click counts once.
    for _ in 0..2 {
        let r = bob
            .post(
                "/papers/2503.00002/upvote",
                &[
                    ("csrf", &t),
                    ("up", "1"),
                    ("next", "/papers/date/2025-03-17"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, "/papers/date/2025-03-17")
        );
    }
    // The anonymous page was cached before the vote; it must show the new order at once.
    let page = anon.get("/papers/date/2025-03-17").await.body;
    assert_eq!(order(&page), ["2503.00002", "2503.00001"]);
    assert!(page.contains("<span class=\"count\">6</span>"));
    let api: serde_json::Value =
        serde_json::from_str(&anon.get("/api/daily_papers?date=2025-03-17").await.body).unwrap();
    assert_eq!(api[0]["paper"]["id"], "2503.00002");
    // With the page script: JSON back.
    let r = bob
        .post_with(
            "/papers/2503.00002/upvote",
            &[("csrf", &t), ("up", "0")],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(
        (v["voted"].as_bool(), v["upvotes"].as_i64()),
        (Some(false), Some(5))
    );
    // Signed out: no vote, a sign-in page.
    let r = anon
        .post("/papers/2503.00001/upvote", &[("csrf", "x"), ("up", "1")])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = bob
        .post("/papers/2599.99999/upvote", &[("csrf", &t), ("up", "1")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let profile = anon.get("/users/bob").await;
    assert_eq!(profile.status, StatusCode::OK);
}

#[tokio::test]
async fn comments_are_safe_and_only_their_authors_edit_them() {
    let Some(env) = env().await else { return };
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut bob = env.app.browser();
    let tb = bob.signup("bob").await;
    let hostile = "Nice **bold** <script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) &";
    let r = bob
        .post(
            "/papers/2503.00001/comments",
            &[("csrf", &tb), ("body", hostile)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let comment_id: i64 = r
        .location()
        .rsplit("#comment-")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let page = alice.get("/papers/2503.00001").await.body;
    assert!(
        !page.contains("<script>alert")
            && !page.contains("<img src=x")
            && !page.contains("href=\"javascript"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && page.contains("<strong>bold</strong>")
    );
    // A reply, through the page script.
    let r = alice
        .post_with(
            "/papers/2503.00001/comments",
            &[
                ("csrf", &ta),
                ("body", "a reply"),
                ("parent", &comment_id.to_string()),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["html"].as_str().unwrap().contains("a reply"));
    assert_eq!(v["comments"], 2);
    // Someone else's comment: no edit, no delete.
    let edit = format!("/comments/{comment_id}/edit");
    let del = format!("/comments/{comment_id}/delete");
    assert_eq!(
        alice.get(&edit).await.status,
        StatusCode::FORBIDDEN,
        "not even an admin edits others' words"
    );
    let mut carol = env.app.browser();
    let tc = carol.signup("carol").await;
    assert_eq!(
        carol
            .post(&edit, &[("csrf", &tc), ("body", "hacked")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        carol.post(&del, &[("csrf", &tc)]).await.status,
        StatusCode::FORBIDDEN
    );
    // The author edits; too long or empty is refused with a message.
    assert_eq!(bob.get(&edit).await.status, StatusCode::OK);
    assert_eq!(
        bob.post(&edit, &[("csrf", &tb), ("body", "fixed typo")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let long = "x".repeat(10_001);
    let r = bob.post(&edit, &[("csrf", &tb), ("body", &long)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("too long"), "{}", r.body);
    let r = bob
        .post(
            "/papers/2503.00001/comments",
            &[("csrf", &tb), ("body", "   ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Over the body limit: a clear page, not a reset connection.
    let huge = "y".repeat(100_000);
    let r = bob
        .post(
            "/papers/2503.00001/comments",
            &[("csrf", &tb), ("body", &huge)],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("too large"), "{}", r.body);
    assert!(alice
        .get("/papers/2503.00001")
        .await
        .body
        .contains("fixed typo"));
    // An admin deletes it.
    assert_eq!(
        alice.post(&del, &[("csrf", &ta)]).await.status,
        StatusCode::SEE_OTHER
    );
    let page = carol.get("/papers/2503.00001").await.body;
    assert!(!page.contains("fixed typo") && page.contains("[deleted]"));
}

#[tokio::test]
async fn moderation_is_for_admins_only() {
    let Some(env) = env().await else { return };
    let mut admin = env.app.browser();
    let ta = admin.signup("admin").await;
    let mut bob = env.app.browser();
    let tb = bob.signup("bob").await;
    assert_eq!(bob.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        bob.post("/papers/2503.00001/hide", &[("csrf", &tb), ("hidden", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bob.post("/users/admin/ban", &[("csrf", &tb), ("banned", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut anon = env.app.browser();
    assert_eq!(anon.get("/admin").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        order(&anon.get("/papers/date/2025-03-17").await.body).len(),
        2
    );
    // The admin hides a paper: gone from every list, its page says why.
    assert_eq!(
        admin
            .post("/papers/2503.00001/hide", &[("csrf", &ta), ("hidden", "1")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        order(&anon.get("/papers/date/2025-03-17").await.body),
        ["2503.00002"]
    );
    assert_eq!(
        order(&anon.get("/papers/week/2025-W12").await.body),
        ["2503.00002"]
    );
    assert!(anon
        .get("/papers/2503.00001")
        .await
        .body
        .contains("hid this paper"));
    // The admin bans bob: his session ends and he cannot sign in again.
    assert_eq!(
        admin
            .post("/users/bob/ban", &[("csrf", &ta), ("banned", "1")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        bob.post("/papers/2503.00002/upvote", &[("csrf", &tb), ("up", "1")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let t = bob.get("/login").await.csrf();
    let r = bob
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "bob"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("banned"));
    assert_eq!(
        admin
            .post("/users/admin/ban", &[("csrf", &ta), ("banned", "1")])
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "not yourself"
    );
}

#[tokio::test]
async fn claims_are_approved_by_an_admin() {
    let Some(env) = env().await else { return };
    let mut admin = env.app.browser();
    let ta = admin.signup("admin").await;
    let mut ada = env.app.browser();
    let t = ada.signup("ada").await;
    let r = ada
        .post(
            "/papers/2503.00001/claim",
            &[("csrf", &t), ("author", "Not An Author")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        ada.post(
            "/papers/2503.00001/claim",
            &[("csrf", &t), ("author", "Ada Lovelace")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        ada.post(
            "/papers/2503.00001/claim",
            &[("csrf", &t), ("author", "Ada Lovelace")]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        ada.post("/admin/claims/1", &[("csrf", &t), ("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let dash = admin.get("/admin").await.body;
    assert!(dash.contains("Ada Lovelace") && dash.contains("ada"));
    let id = dash
        .split("action=\"/admin/claims/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = admin
        .post(
            &format!("/admin/claims/{id}"),
            &[("csrf", &ta), ("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut anon = env.app.browser();
    assert!(anon
        .get("/papers/2503.00001")
        .await
        .body
        .contains("class=\"claimed\" href=\"/users/ada\""));
    assert!(anon
        .get("/users/ada")
        .await
        .body
        .contains("as Ada Lovelace"));
}

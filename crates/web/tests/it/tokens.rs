//! API tokens on the settings page, the write side of the API with them, and the API's
//! per-client budget.

use crate::*;
use axum::http::Request;
use axum::http::{header, StatusCode};
use chrono::{TimeZone, Utc};
use dp_testkit::server::{Browser, TestApp};
use dp_web::WebSettings;
use serde_json::json;

/// Sends a JSON request with a bearer token.
pub async fn api(
    app: &TestApp,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(b.to_string().into_bytes()),
        None => req.body(Vec::new()),
    }
    .unwrap();
    let resp = app.request(req).await;
    let v = serde_json::from_slice(&resp.bytes).unwrap_or(serde_json::Value::Null);
    (resp.status, v)
}

pub fn new_token(body: &str) -> String {
    let i = body
        .find("id=\"new-token\">")
        .expect("the new token is shown")
        + 15;
    body[i..i + body[i..].find('<').unwrap()].to_string()
}

/// A signed-up reader with a write token and a read token.
async fn with_tokens(b: &mut Browser<'_>) -> (String, String) {
    let csrf = b.signup("tokenuser").await;
    let mut made = Vec::new();
    for (name, scope) in [("writer", "write"), ("reader", "read")] {
        let r = b
            .post(
                "/settings/tokens",
                &[("csrf", &csrf), ("name", name), ("scope", scope)],
            )
            .await;
        made.push(new_token(&r.body));
    }
    (made[0].clone(), made[1].clone())
}

#[tokio::test]
async fn api_tokens_are_made_on_the_settings_page_and_shown_once() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    // The settings page needs an account.
    let r = b.get("/settings").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"), "{}", r.location());
    let csrf = b.signup("tokenuser").await;
    let page = b.get("/settings").await;
    assert!(page.body.contains("No tokens yet"), "{}", page.body);
    // A token without the CSRF field is refused; bad names and scopes too.
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", "x"), ("name", "a"), ("scope", "write")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "a\r\nb"), ("scope", "write")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "x"), ("scope", "admin")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b
        .post(
            "/settings/tokens",
            &[
                ("csrf", &csrf),
                ("name", "<script>bot</script>"),
                ("scope", "write"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("<script>bot"), "names are escaped");
    let write = new_token(&r.body);
    assert!(write.starts_with("dp_") && write.len() > 40, "{write}");
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "reader"), ("scope", "read")],
        )
        .await;
    let read = new_token(&r.body);
    // Shown once: the list shows names, never secrets.
    let page = b.get("/settings").await;
    assert!(!page.body.contains(&write) && !page.body.contains(&read));
    assert!(page.body.contains("reader"));

    // Revoking stops the token at once.
    let page = b.get("/settings").await;
    let i = page.body.find("/settings/tokens/").unwrap() + 17;
    let tid = &page.body[i..i + page.body[i..].find('/').unwrap()];
    let r = b
        .post(
            &format!("/settings/tokens/{tid}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let app = &env.app;
    let id = "2503.00001";
    let (s1, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/upvote"),
        Some(&write),
        None,
    )
    .await;
    let (s2, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/upvote"),
        Some(&read),
        None,
    )
    .await;
    // The newest token is listed first: "reader" was revoked.
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::UNAUTHORIZED));
    // Another user cannot revoke someone else's token.
    let mut other = env.app.browser();
    let csrf2 = other.signup("otheruser").await;
    let r = other
        .post("/settings/tokens/1/revoke", &[("csrf", &csrf2)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_write_api_comments_and_votes_with_a_write_token() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    let (write, read) = with_tokens(&mut b).await;
    let app = &env.app;
    let id = "2503.00001";
    // No token, a wrong one, a read-only one.
    let body = serde_json::json!({"comment": "Nice & <b>bold</b>"});
    let (s, v) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    assert!(v["error"].as_str().unwrap().contains("Bearer"));
    let (s, _) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some("dp_nope"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, v) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some(&read),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    // Comment, reply, list.
    let (s, c) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment"),
        Some(&write),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["data"]["latest"]["raw"], "Nice & <b>bold</b>");
    assert_eq!(c["author"]["user"], "tokenuser");
    assert_eq!(c["author"]["name"], "tokenuser");
    let cid = c["id"].as_str().unwrap().to_string();
    let (s, r) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/comment/{cid}/reply"),
        Some(&write),
        Some(serde_json::json!({"comment": "a reply"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["parentId"].as_str(), Some(cid.as_str()));
    // Refused writes: a reply to nothing, a malformed comment id, an empty comment, a wrong
    // field.
    for (path, body, status) in [
        (
            "comment/999999/reply",
            json!({"comment": "to nothing"}),
            StatusCode::NOT_FOUND,
        ),
        (
            "comment/abc/reply",
            json!({"comment": "x"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "comment",
            json!({"comment": "   "}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "comment",
            json!({"text": "wrong field"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let uri = format!("/api/papers/{id}/{path}");
        let (s, _) = api(app, "POST", &uri, Some(&write), Some(body.clone())).await;
        assert_eq!(s, status, "{uri} {body}");
    }
    let (s, list) = api(
        app,
        "GET",
        &format!("/api/papers/{id}/comments"),
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (_, detail) = api(app, "GET", &format!("/api/papers/{id}"), None, None).await;
    assert_eq!(detail["numComments"], 2);
    // Upvote and withdraw; the count moves and the cached detail follows.
    let (_, before) = api(app, "GET", &format!("/api/papers/{id}"), None, None).await;
    let (s, v) = api(
        app,
        "POST",
        &format!("/api/papers/{id}/upvote"),
        Some(&write),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["upvoted"], true);
    assert_eq!(v["upvotes"], before["upvotes"].as_i64().unwrap() + 1);
    let (_, after) = api(app, "GET", &format!("/api/papers/{id}"), None, None).await;
    assert_eq!(after["upvotes"], v["upvotes"]);
    let (s, v) = api(
        app,
        "DELETE",
        &format!("/api/papers/{id}/upvote"),
        Some(&write),
        None,
    )
    .await;
    assert_eq!((s, v["upvoted"].as_bool()), (StatusCode::OK, Some(false)));
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.99999/upvote",
        Some(&write),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_write_api_submits_by_the_rules_of_the_form() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    let (write, _read) = with_tokens(&mut b).await;
    let app = &env.app;
    // Submit: a new paper, the same again, one too old, a bad id.
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"paper_id": "2503.00003"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(
        (v["id"].as_str(), v["duplicate"].as_bool()),
        (Some("2503.00003"), Some(false))
    );
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"arxivId": "2503.00003v2"})),
    )
    .await;
    assert_eq!((s, v["duplicate"].as_bool()), (StatusCode::OK, Some(true)));
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"paper_id": "2503.00004"})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&write),
        Some(serde_json::json!({"paper_id": "not-an-id"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().contains("paper_id"), "{v}");
    // The submitted paper is on today's list with this user as submitter, in the HF shape.
    let (_, list) = api(
        app,
        "GET",
        "/api/daily_papers?submitter=tokenuser",
        None,
        None,
    )
    .await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["paper"]["id"], "2503.00003");
    assert_eq!(items[0]["submittedBy"]["user"], "tokenuser");
    assert_eq!(items[0]["submittedBy"]["name"], "tokenuser");
}

#[tokio::test]
async fn the_api_budget_per_client_answers_429_with_retry_after() {
    let settings = WebSettings {
        api_requests_per_minute: 5,
        ..WebSettings::default()
    };
    let Some(env) = env_with(
        settings,
        Utc.with_ymd_and_hms(2025, 3, 18, 12, 0, 0).unwrap(),
    )
    .await
    else {
        return;
    };
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..7 {
        let resp = env.app.get("/api/papers/2503.00001").await;
        statuses.push(resp.status.as_u16());
        if resp.status == StatusCode::TOO_MANY_REQUESTS {
            retry = resp.headers.get(header::RETRY_AFTER).cloned();
            assert_eq!(resp.json()["code"], "rate_limited");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let secs: u64 = retry.unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs));
    // Pages are not counted against the API budget.
    assert_eq!(env.app.get("/papers").await.status, StatusCode::OK);
}

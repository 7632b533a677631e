//! Accounts and sessions, CSRF on every form, rate-limited sign-in, and real error pages for bad addresses.

use crate::*;
use axum::http::{header, StatusCode};
use chrono::Utc;
use dp_web::WebSettings;

#[tokio::test]
async fn accounts_sessions_and_cookies() {
    let Some(env) = env().await else { return };
    let mut alice = env.app.browser();
    let signup = alice.get("/signup").await;
    assert_eq!(signup.status, StatusCode::OK);
    assert!(signup
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .contains("dp_csrf="));
    let token = signup.csrf();
    let r = alice
        .post(
            "/signup",
            &[
                ("csrf", &token),
                ("username", "alice"),
                ("password", "correct horse"),
                ("next", "/papers"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/papers"));
    let cookie = r
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("dp_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "not over TLS");
    let page = alice.get("/papers").await.body;
    assert!(
        page.contains("href=\"/users/alice\"") && page.contains("href=\"/admin\""),
        "the first account is an admin"
    );

    let mut bob = env.app.browser();
    bob.signup("bob").await;
    assert!(!bob.get("/papers").await.body.contains("href=\"/admin\""));
    // A taken name in another case, a bad name, a short password.
    let mut eve = env.app.browser();
    let t = eve.get("/signup").await.csrf();
    for (name, pw, status, msg) in [
        ("ALICE", "correct horse", StatusCode::CONFLICT, "taken"),
        (
            "<script>",
            "correct horse",
            StatusCode::BAD_REQUEST,
            "user names are",
        ),
        ("eve", "short", StatusCode::BAD_REQUEST, "at least 8"),
    ] {
        let r = eve
            .post(
                "/signup",
                &[("csrf", &t), ("username", name), ("password", pw)],
            )
            .await;
        assert_eq!(r.status, status, "{name}");
        assert!(r.body.contains(msg), "{name}: {}", r.body);
        assert!(
            !r.body.contains("<script>"),
            "the name is escaped when shown again"
        );
    }
    // Log out, then a wrong password, then the right one.
    let t = alice.get("/papers").await.csrf();
    let r = alice.post("/logout", &[("csrf", &t)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        alice.get("/papers").await.body.contains("href=\"/login\""),
        "signed out"
    );
    let t = alice.get("/login").await.csrf();
    let r = alice
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "alice"),
                ("password", "wrong horse!"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Wrong user name or password"));
    let r = alice
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "Alice"),
                ("password", "correct horse"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/papers"),
        "never redirects off-site"
    );
    assert!(alice
        .get("/papers")
        .await
        .body
        .contains("href=\"/users/alice\""));
}

#[tokio::test]
async fn forms_need_the_right_csrf_token() {
    let Some(env) = env().await else { return };
    let mut bob = env.app.browser();
    // No token cookie at all: sign-up is refused.
    let r = bob
        .post(
            "/signup",
            &[
                ("csrf", "x"),
                ("username", "bob"),
                ("password", "correct horse"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("<h1>403 Forbidden</h1>") && r.body.contains("CSRF"),
        "a real page: {}",
        r.body
    );
    let token = bob.signup("bob").await;
    for bad in ["", "wrong", &token[..token.len() - 1]] {
        let r = bob
            .post("/papers/2503.00001/upvote", &[("csrf", bad), ("up", "1")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad:?}");
        let r = bob
            .post(
                "/papers/2503.00001/comments",
                &[("csrf", bad), ("body", "hi")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = bob.post("/logout", &[("csrf", bad)]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let d = env
        .store
        .paper_detail(&dp_testkit::id("2503.00001"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (d.local_upvotes, d.local_comments),
        (0, 0),
        "nothing was written"
    );
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let Some(env) = env_with_rules(
        dp_app::Rules {
            logins_per_15min: 3,
            ..dp_app::Rules::default()
        },
        WebSettings::default(),
        Utc::now(),
    )
    .await
    else {
        return;
    };
    let mut mallory = env.app.browser();
    let t = mallory.get("/login").await.csrf();
    for _ in 0..3 {
        let r = mallory
            .post(
                "/login",
                &[
                    ("csrf", &t),
                    ("username", "alice"),
                    ("password", "guess1234"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = mallory
        .post(
            "/login",
            &[
                ("csrf", &t),
                ("username", "alice"),
                ("password", "guess1234"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(r.body.contains("Too many requests"));
}

#[tokio::test]
async fn bad_addresses_get_real_error_pages() {
    let Some(env) = env().await else { return };
    let mut anon = env.app.browser();
    for (uri, status) in [
        ("/papers/not-an-id", StatusCode::NOT_FOUND),
        ("/papers/date/2025-02-30", StatusCode::BAD_REQUEST),
        ("/papers/week/2025-W60", StatusCode::BAD_REQUEST),
        ("/papers/month/2025-13", StatusCode::BAD_REQUEST),
        ("/papers/go?date=yesterday", StatusCode::BAD_REQUEST),
        ("/users/nobody", StatusCode::NOT_FOUND),
        ("/comments/abc/edit", StatusCode::BAD_REQUEST),
        ("/nowhere/%3Cscript%3E", StatusCode::NOT_FOUND),
        ("/login?next=%ZZ&next=a", StatusCode::BAD_REQUEST),
    ] {
        let r = anon.get(uri).await;
        assert_eq!(r.status, status, "{uri}");
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{uri}: {:?}",
            r.headers
        );
        assert!(
            r.body.contains("<h1>") && !r.body.contains("<script>"),
            "{uri}: {}",
            r.body
        );
    }
    // A wrong method gets a page too, and the API answers JSON.
    let r = anon.post("/papers/date/2025-03-17", &[("x", "1")]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("<h1>405"), "{}", r.body);
    let r = anon.get("/api/daily_papers?limit=abc&limit=x").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["error"].as_str().unwrap().contains("limit"), "{}", r.body);
    // A valid id the store lacks offers to fetch it, with a 404.
    let r = anon.get("/papers/2502.12345").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("is not here yet"));
    // Every page carries the security headers.
    let h = anon.get("/papers").await.headers;
    assert!(h[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

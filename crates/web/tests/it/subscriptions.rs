//! E-mail subscriptions from the settings page, and an admin's preview of a digest.

use crate::*;
use axum::http::{header, StatusCode};

#[tokio::test]
async fn subscriptions_from_the_settings_page_and_the_admin_preview() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    let csrf = b.signup("digestreader").await;
    let page = b.get("/subscribe?email=dr%40example.org").await;
    let csrf_form = page.csrf();
    assert_eq!(csrf_form, csrf, "signed in: the session's token");
    let r = b
        .post(
            "/subscribe",
            &[
                ("csrf", &csrf),
                ("email", "dr@example.org"),
                ("cadence", "daily"),
                ("searches", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The confirmation mail; asking again and again sends at most three per address a day.
    for _ in 0..4 {
        b.post(
            "/subscribe",
            &[
                ("csrf", &csrf),
                ("email", "dr@example.org"),
                ("cadence", "daily"),
            ],
        )
        .await;
    }
    let sent = env.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 3, "rate-limited confirmations");
    let (to, raw) = &sent[0];
    assert_eq!(to, "dr@example.org");
    assert!(
        !raw.contains("List-Unsubscribe"),
        "a confirmation is not a list message"
    );
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let i = text.find("/subscribe/confirm?token=").unwrap();
    let token: String = text[i + 25..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        .collect();
    // Expired or tampered tokens are refused with a clear page.
    let r = b.get(&format!("/subscribe/confirm?token={token}x")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b.get("/unsubscribe?token=1.1.AAAA").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = b.get(&format!("/subscribe/confirm?token={token}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("Confirm my subscription"),
        "a button, not a confirmation"
    );
    let r = b
        .post("/subscribe/confirm", &[("csrf", &csrf), ("token", &token)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The settings page shows it; its owner changes cadence and searches.
    let page = b.get("/settings").await;
    assert!(page.body.contains("dr@example.org"), "{}", page.body);
    let i = page.body.find("/settings/subscriptions/").unwrap() + 24;
    let sid: String = page.body[i..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let r = b
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[
                ("csrf", &csrf),
                ("cadence", "weekly"),
                ("searches", "diffusion\nauthor:\"Ada Lovelace\""),
                ("follows", "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sub = env
        .store
        .subscriber(sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(sub.with_follows, "the follows were added to the digest");
    assert!(b
        .get("/settings")
        .await
        .body
        .contains("name=\"follows\" value=\"1\" checked"));
    assert_eq!(sub.cadence, dp_store::Cadence::Weekly);
    assert_eq!(sub.searches, ["diffusion", "author:\"Ada Lovelace\""]);
    // Someone else cannot touch it, and bad searches are refused.
    let mut other = env.app.browser();
    let csrf2 = other.signup("otherreader").await;
    let r = other
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[("csrf", &csrf2), ("cadence", "daily"), ("action", "save")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[
                ("csrf", &csrf),
                ("cadence", "daily"),
                ("searches", "a\nb\nc\nd\ne\nf"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Admins list subscribers and preview a digest; others may not (the first account is the
    // admin here).
    let r = other.get("/admin/subscribers").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = other
        .get(&format!("/admin/subscribers/{sid}/preview"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let admin = env
        .store
        .user_by_name("digestreader")
        .await
        .unwrap()
        .unwrap();
    env.store.set_admin(admin.id, true).await.unwrap();
    let r = b.get("/admin/subscribers").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("dr@example.org") && r.body.contains("weekly"));
    let r = b.get(&format!("/admin/subscribers/{sid}/preview")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Top papers of"), "{}", r.body);
    assert!(
        r.body.contains("First paper"),
        "the week's papers: {}",
        r.body
    );
    let csp = r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("style-src 'unsafe-inline'") && csp.contains("default-src 'none'"));
    // Unsubscribing from the settings page.
    let r = b
        .post(
            &format!("/settings/subscriptions/{sid}"),
            &[("csrf", &csrf), ("action", "unsubscribe")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let sub = env
        .store
        .subscriber(sid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.state, dp_store::SubState::Unsubscribed);
}

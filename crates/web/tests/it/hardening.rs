//! Findings of the hardening issue, each tried as an attacker would: client addresses behind a
//! proxy, sign-in limits that lock nobody out, redirects that stay on this site.

use crate::*;
use axum::http::StatusCode;
use chrono::Utc;
use dp_testkit::server::{Browser, PASSWORD};
use dp_web::WebSettings;

/// Behind one proxy, with at most 3 sign-in attempts per address and 15 minutes.
async fn behind_a_proxy() -> Option<Env> {
    env_with_rules(
        dp_app::Rules {
            logins_per_15min: 3,
            ..dp_app::Rules::default()
        },
        WebSettings {
            trust_proxy_headers: true,
            ..WebSettings::default()
        },
        Utc::now(),
    )
    .await
}

async fn wrong_login(b: &mut Browser<'_>, name: &str) -> StatusCode {
    b.login(name, "not the password").await.status
}

#[tokio::test]
async fn rotating_the_forwarded_for_header_does_not_escape_the_per_address_limit() {
    let Some(env) = behind_a_proxy().await else {
        return;
    };
    let mut mallory = env.app.browser();
    let mut statuses = Vec::new();
    for i in 0..5 {
        // The client writes the left part; the proxy appends the address it saw.
        mallory.set_header("x-forwarded-for", &format!("10.9.{i}.1, 203.0.113.5"));
        statuses.push(wrong_login(&mut mallory, "alice").await.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test]
async fn addresses_of_one_ipv6_network_share_a_limit() {
    let Some(env) = behind_a_proxy().await else {
        return;
    };
    let mut mallory = env.app.browser();
    let mut statuses = Vec::new();
    for i in 1..=5 {
        mallory.set_header("x-forwarded-for", &format!("2001:db8:1:2::{i:x}"));
        statuses.push(wrong_login(&mut mallory, "alice").await.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429], "one /64 is one client");
}

#[tokio::test]
async fn failed_sign_ins_from_elsewhere_do_not_lock_the_owner_out() {
    let Some(env) = behind_a_proxy().await else {
        return;
    };
    let mut alice = env.app.browser();
    alice.set_header("x-forwarded-for", "203.0.113.9");
    alice.signup("alice").await;
    // Twenty wrong passwords for alice, each from another address.
    let mut mallory = env.app.browser();
    for i in 0..20 {
        mallory.set_header("x-forwarded-for", &format!("198.51.100.{i}"));
        assert_eq!(
            wrong_login(&mut mallory, "alice").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Alice, from a new address, with her password.
    let mut again = env.app.browser();
    again.set_header("x-forwarded-for", "203.0.113.77");
    let r = again.login("alice", PASSWORD).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/papers"));
    // An address that failed for a name often enough is refused for it, even with the password.
    mallory.set_header("x-forwarded-for", "198.51.100.200");
    for _ in 0..3 {
        wrong_login(&mut mallory, "alice").await;
    }
    assert_eq!(
        mallory.login("alice", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn redirects_after_forms_stay_on_this_site() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    b.signup("carol").await;
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r//evil.example",
        "//evil.example",
    ] {
        let mut c = env.app.browser();
        let token = c.get("/login").await.csrf();
        let r = c
            .post(
                "/login",
                &[
                    ("csrf", &token),
                    ("username", "carol"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.location(), "/papers", "{next:?}");
    }
}

/// The link of the newest confirmation mail sent to `to`, and its token.
fn confirmation_link(env: &Env, to: &str) -> (String, String) {
    let sent = env.sent.lock().unwrap().clone();
    let (_, raw) = sent
        .iter()
        .rev()
        .find(|(t, _)| t == to)
        .unwrap_or_else(|| panic!("a mail to {to}"));
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    let at = text.find("http").unwrap();
    let link: String = text[at..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let token = link.split("token=").nth(1).unwrap_or("").to_string();
    (link, token)
}

async fn subscribe(b: &mut Browser<'_>, email: &str, searches: &str) {
    let csrf = b.get("/subscribe").await.csrf();
    let r = b
        .post(
            "/subscribe",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("cadence", "daily"),
                ("searches", searches),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn confirm(b: &mut Browser<'_>, token: &str) -> StatusCode {
    let csrf = b
        .get(&format!("/subscribe/confirm?token={token}"))
        .await
        .csrf();
    b.post("/subscribe/confirm", &[("csrf", &csrf), ("token", token)])
        .await
        .status
}

#[tokio::test]
async fn nobody_takes_over_someone_elses_subscription() {
    let Some(env) = env().await else { return };
    // The owner subscribes (not signed in) and confirms.
    let mut owner = env.app.browser();
    subscribe(&mut owner, "victim@example.org", "diffusion").await;
    let (_, token) = confirmation_link(&env, "victim@example.org");
    assert_eq!(confirm(&mut owner, &token).await, StatusCode::OK);
    let mails = env.sent.lock().unwrap().len();
    // Mallory, signed in, subscribes the same address: nothing of it reaches her settings,
    // and the confirmed owner gets no mail.
    let mut mallory = env.app.browser();
    mallory.signup("mallory").await;
    subscribe(&mut mallory, "victim@example.org", "spam").await;
    let settings = mallory.get("/settings").await.body;
    assert!(!settings.contains("victim@example.org"), "{settings}");
    assert_eq!(env.sent.lock().unwrap().len(), mails);
    let sub = env
        .store
        .subscriber_by_key("victim@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (sub.user_id, sub.searches.clone()),
        (None, vec!["diffusion".to_string()])
    );
}

#[tokio::test]
async fn a_second_request_does_not_change_what_the_first_link_confirms() {
    let Some(env) = env().await else { return };
    let mut owner = env.app.browser();
    subscribe(&mut owner, "reader@example.org", "diffusion").await;
    let (_, first) = confirmation_link(&env, "reader@example.org");
    let mut stranger = env.app.browser();
    subscribe(&mut stranger, "reader@example.org", "casino bonus").await;
    assert_eq!(confirm(&mut owner, &first).await, StatusCode::OK);
    let sub = env
        .store
        .subscriber_by_key("reader@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.searches, ["diffusion"]);
}

#[tokio::test]
async fn mail_links_use_the_configured_address_whatever_the_request_says() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    b.set_header("host", "evil.example");
    subscribe(&mut b, "reader@example.org", "").await;
    let (link, _) = confirmation_link(&env, "reader@example.org");
    assert!(
        link.starts_with(&format!("{PUBLIC_URL}/subscribe/confirm?token=")),
        "{link}"
    );
}

#[tokio::test]
async fn a_confirmation_link_works_once_and_only_by_its_button() {
    let Some(env) = env().await else { return };
    let mut b = env.app.browser();
    subscribe(&mut b, "reader@example.org", "").await;
    let (_, token) = confirmation_link(&env, "reader@example.org");
    // Following the link (as a mail scanner does) confirms nothing.
    let page = b.get(&format!("/subscribe/confirm?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(env
        .store
        .subscriber_by_key("reader@example.org")
        .await
        .unwrap()
        .is_none());
    assert_eq!(confirm(&mut b, &token).await, StatusCode::OK);
    // Unsubscribed, the old link does not subscribe again.
    let sub = env
        .store
        .subscriber_by_key("reader@example.org")
        .await
        .unwrap()
        .unwrap();
    env.store
        .set_subscriber_state(sub.id, dp_store::SubState::Unsubscribed)
        .await
        .unwrap();
    assert_eq!(confirm(&mut b, &token).await, StatusCode::NOT_FOUND);
    let sub = env.store.subscriber(sub.id).await.unwrap().unwrap();
    assert_eq!(sub.state, dp_store::SubState::Unsubscribed);
}

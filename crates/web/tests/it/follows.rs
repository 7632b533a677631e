//! Follows: authors, accounts, categories and searches; the "Following" list with its reasons;
//! private feeds behind a key that a new key revokes; public collection feeds.

use crate::env;
use axum::http::StatusCode;
use dp_testkit::{paper, PaperExt};

fn key_in(body: &str) -> String {
    let at = body.find("/feeds/").expect("a feed address") + "/feeds/".len();
    body[at..at + body[at..].find('/').unwrap()].to_string()
}

#[tokio::test]
async fn following_lists_what_a_reader_follows_and_private_feeds_need_a_live_key() {
    let Some(env) = env().await else { return };
    let t = |d: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, d, 9, 0, 0).unwrap();
    let mut grace = paper("2503.00010", "Compilers by Grace").published_at(t(10));
    grace.authors = vec!["Grace Hopper".into()];
    grace.categories = vec!["cs.PL".into()];
    let mut fisher = paper("2503.00011", "Statistics by Fisher").published_at(t(12));
    fisher.authors = vec!["Ronald Fisher".into()];
    fisher.categories = vec!["stat.ML".into(), "cs.LG".into()];
    let mut other = paper("2503.00012", "Nobody follows this").published_at(t(13));
    other.authors = vec!["Grace Hopperman".into()];
    other.categories = vec!["math.CO".into()];
    env.store
        .upsert_records(vec![grace.into(), fisher.into(), other.into()])
        .await
        .unwrap();
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut anon = env.app.browser();

    assert!(alice
        .get("/following")
        .await
        .body
        .contains("You follow nothing yet"));
    let page = alice.get("/papers/2503.00010").await.body;
    assert!(
        page.contains("Follow Grace Hopper") && page.contains("Follow cs.PL"),
        "{page}"
    );

    // Follow an author (any spacing and case) and a whole archive; bad input says why.
    for (kind, value) in [("author", "grace   HOPPER"), ("category", "stat")] {
        let r = alice
            .post(
                "/follows",
                &[
                    ("csrf", &ta),
                    ("kind", kind),
                    ("value", value),
                    ("next", "/following"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (StatusCode::SEE_OTHER, "/following"),
            "{}",
            r.body
        );
    }
    let again = alice
        .post(
            "/follows",
            &[("csrf", &ta), ("kind", "author"), ("value", "Grace Hopper")],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "following twice is once"
    );
    for (kind, value, status, says) in [
        (
            "category",
            "cooking",
            StatusCode::BAD_REQUEST,
            "is not an arXiv category",
        ),
        ("band", "x", StatusCode::BAD_REQUEST, "follow an author"),
        ("author", "", StatusCode::BAD_REQUEST, "1 to 200 characters"),
        (
            "account",
            "nobody-here",
            StatusCode::NOT_FOUND,
            "no user by that name",
        ),
    ] {
        let r = alice
            .post(
                "/follows",
                &[("csrf", &ta), ("kind", kind), ("value", value)],
            )
            .await;
        assert_eq!(r.status, status, "{kind} {value}");
        assert!(r.body.contains(says), "{kind}: {}", r.body);
    }
    assert_eq!(
        alice
            .post(
                "/follows",
                &[("csrf", "forged"), ("kind", "author"), ("value", "X Y")]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_ne!(
        anon.post(
            "/follows",
            &[("csrf", &ta), ("kind", "author"), ("value", "X Y")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );

    // The list: newest first, each with why; the near-namesake and other categories stay out.
    let page = alice.get("/following").await.body;
    assert_eq!(crate::order(&page), ["2503.00011", "2503.00010"], "{page}");
    assert_eq!(page.matches("data-follow=").count(), 2);
    assert!(
        page.contains("Because you follow author grace HOPPER"),
        "as typed: {page}"
    );
    assert!(page.contains("Because you follow category stat"));

    // Private feeds: none until made; shown once; a new key revokes the old.
    let r = alice.post("/following/feed-key", &[("csrf", &ta)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-store");
    let key = key_in(&r.body);
    assert!(key.len() >= 40, "{key}");
    assert!(
        !alice.get("/following").await.body.contains(&key),
        "shown once"
    );
    let feed = anon.get(&format!("/feeds/{key}/following.atom")).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.header("cache-control").starts_with("private"));
    let atom = atom_syndication::Feed::read_from(feed.bytes.as_slice()).expect("Atom");
    let titles: Vec<String> = atom
        .entries()
        .iter()
        .map(|e| e.title().to_string())
        .collect();
    assert_eq!(titles, ["Statistics by Fisher", "Compilers by Grace"]);
    let follow_id = {
        let page = alice.get("/following").await.body;
        let at = page.find("data-follow=\"").unwrap() + "data-follow=\"".len();
        page[at..at + page[at..].find('"').unwrap()].to_string()
    };
    let one = anon
        .get(&format!("/feeds/{key}/follows/{follow_id}.rss"))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    let rss = rss::Channel::read_from(one.bytes.as_slice()).expect("RSS");
    assert_eq!(rss.items().len(), 1);
    assert_eq!(rss.items()[0].title(), Some("Compilers by Grace"));
    // A private collection's feed through the key; a public one's without.
    let r = alice
        .post_with(
            "/papers/2503.00010/save",
            &[("csrf", &ta), ("collection", "new")],
            true,
        )
        .await;
    let cid = r.json()["id"].as_i64().unwrap();
    let cpath = r.json()["path"].as_str().unwrap().to_string();
    let cf = anon
        .get(&format!("/feeds/{key}/collections/{cid}.atom"))
        .await;
    assert_eq!(cf.status, StatusCode::OK);
    assert!(cf.body.contains("Compilers by Grace"));
    assert_eq!(
        anon.get(&format!("{cpath}/feed.atom")).await.status,
        StatusCode::NOT_FOUND
    );
    let mut bob = env.app.browser();
    let tb = bob.signup("bob").await;
    let bob_key = key_in(&bob.post("/following/feed-key", &[("csrf", &tb)]).await.body);
    assert_eq!(
        anon.get(&format!("/feeds/{bob_key}/collections/{cid}.atom"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "bob's key opens only bob's"
    );
    assert_eq!(
        anon.get(&format!("/feeds/{bob_key}/follows/{follow_id}.atom"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let new_key = key_in(
        &alice
            .post("/following/feed-key", &[("csrf", &ta)])
            .await
            .body,
    );
    assert_ne!(new_key, key);
    for path in [
        format!("/feeds/{key}/following.atom"),
        format!("/feeds/{key}/follows/{follow_id}.rss"),
        format!("/feeds/{key}/collections/{cid}.atom"),
    ] {
        assert_eq!(
            anon.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "revoked: {path}"
        );
    }
    assert_eq!(
        anon.get(&format!("/feeds/{new_key}/following.rss"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        anon.get("/feeds/not-a-key/following.rss").await.status,
        StatusCode::NOT_FOUND
    );

    // Stop following.
    let r = alice
        .post(&format!("/follows/{follow_id}/delete"), &[("csrf", &ta)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        crate::order(&alice.get("/following").await.body),
        ["2503.00011"]
    );
    assert_eq!(
        anon.get(&format!("/feeds/{new_key}/follows/{follow_id}.rss"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_account_follow_brings_the_papers_its_approved_claims_name() {
    let Some(env) = env().await else { return };
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut ada = env.app.browser();
    ada.signup("ada").await;
    let r = alice
        .post(
            "/follows",
            &[("csrf", &ta), ("kind", "account"), ("value", "ADA")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = alice.get("/following").await.body;
    assert!(
        page.contains("account</span> ada"),
        "canonical name: {page}"
    );
    assert!(crate::order(&page).is_empty(), "no approved claim yet");
    // An admin approves ada's claim to be "Ada Lovelace": her papers arrive.
    let admin = env
        .store
        .create_user(&dp_core::Username::parse("root").unwrap(), "h", true)
        .await
        .unwrap();
    let claim = env
        .store
        .add_claim(
            ada_id(&env).await,
            &dp_testkit::id("2503.00001"),
            "Ada Lovelace",
        )
        .await
        .unwrap();
    env.store
        .decide_claim(claim.id, true, admin.id)
        .await
        .unwrap();
    let page = alice.get("/following").await.body;
    assert!(
        crate::order(&page).contains(&"2503.00001".to_string()),
        "{page}"
    );
    assert!(page.contains("Because you follow account ada"));
}

async fn ada_id(env: &crate::Env) -> i64 {
    env.store.user_by_name("ada").await.unwrap().unwrap().id
}

#[tokio::test]
async fn the_library_over_the_token_api_reads_with_a_read_token_and_writes_with_a_write_token() {
    use crate::tokens::api;
    use serde_json::json;
    let Some(env) = env().await else { return };
    let mut alice = env.app.browser();
    let csrf = alice.signup("alice").await;
    let mut tokens = Vec::new();
    for scope in ["write", "read"] {
        let r = alice
            .post(
                "/settings/tokens",
                &[("csrf", &csrf), ("name", scope), ("scope", scope)],
            )
            .await;
        tokens.push(crate::tokens::new_token(&r.body));
    }
    let (write, read) = (tokens[0].as_str(), tokens[1].as_str());
    let body = json!({"kind": "author", "value": "Ada Lovelace"});
    assert_eq!(
        api(&env.app, "GET", "/api/library/follows", None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api(
            &env.app,
            "POST",
            "/api/library/follows",
            Some(read),
            Some(body.clone())
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    let (s, f) = api(
        &env.app,
        "POST",
        "/api/library/follows",
        Some(write),
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(
        (f["kind"].as_str(), f["value"].as_str()),
        (Some("author"), Some("Ada Lovelace"))
    );
    let (s, bad) = api(
        &env.app,
        "POST",
        "/api/library/follows",
        Some(write),
        Some(json!({"kind": "category", "value": "nope.XX"})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(bad["error"]
        .as_str()
        .unwrap()
        .contains("not an arXiv category"));
    let (_, list) = api(&env.app, "GET", "/api/library/follows", Some(read), None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    // Following: every paper (all by Ada Lovelace), newest first; a mark leaves one out.
    let (_, papers) = api(&env.app, "GET", "/api/library/following", Some(read), None).await;
    let ids: Vec<&str> = papers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["paper"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["2503.00002", "2503.00001", "2503.00003", "2503.00004"],
        "{papers}"
    );
    assert_eq!(papers[0]["because"][0], "author Ada Lovelace");
    assert_eq!(
        api(
            &env.app,
            "PUT",
            "/api/library/not-interested/2503.00003",
            Some(read),
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api(
            &env.app,
            "PUT",
            "/api/library/not-interested/2503.00003",
            Some(write),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api(
            &env.app,
            "PUT",
            "/api/library/not-interested/2503.99999",
            Some(write),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (_, marked) = api(
        &env.app,
        "GET",
        "/api/library/not-interested",
        Some(read),
        None,
    )
    .await;
    assert_eq!(marked[0]["id"], "2503.00003");
    let (_, papers) = api(&env.app, "GET", "/api/library/following", Some(read), None).await;
    assert_eq!(
        papers.as_array().unwrap().len(),
        3,
        "the marked paper is left out"
    );
    assert!(!alice
        .get("/following")
        .await
        .body
        .contains("data-id=\"2503.00003\""));
    assert_eq!(
        api(
            &env.app,
            "DELETE",
            "/api/library/not-interested/2503.00003",
            Some(write),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    // Export with a read token; unfollow with a write token.
    let req = axum::http::Request::get("/api/library/export/ris")
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {read}"))
        .body(Vec::new())
        .unwrap();
    let resp = env.app.request(req).await;
    assert_eq!(resp.status, StatusCode::OK);
    assert!(resp
        .header("content-type")
        .starts_with("application/x-research-info-systems"));
    let id = f["id"].as_i64().unwrap();
    assert_eq!(
        api(
            &env.app,
            "DELETE",
            &format!("/api/library/follows/{id}"),
            Some(read),
            None
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api(
            &env.app,
            "DELETE",
            &format!("/api/library/follows/{id}"),
            Some(write),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api(
            &env.app,
            "DELETE",
            &format!("/api/library/follows/{id}"),
            Some(write),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
}

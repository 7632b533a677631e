//! "For you": the cold start, a ranking learnt from one reader's own signals with true reasons,
//! "not interested", and readers who do not change each other's ranking.

use crate::env;
use axum::http::StatusCode;
use dp_testkit::{paper, PaperExt};

fn ranked(body: &str) -> Vec<String> {
    let Some(at) = body.find("<ol class=\"papers for-you\">") else {
        return Vec::new();
    };
    crate::order(&body[at..])
}

#[tokio::test]
async fn for_you_learns_from_one_readers_signals_and_says_why() {
    let Some(env) = env().await else { return };
    let t = |d: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, d, 9, 0, 0).unwrap();
    let mut records = Vec::new();
    let topics = [
        (
            "2503.00020",
            "Protein structure diffusion sampling",
            &["Grace Hopper"][..],
            "q-bio.BM",
        ),
        (
            "2503.00021",
            "Diffusion sampling of protein folds",
            &["Carl Sagan"][..],
            "q-bio.BM",
        ),
        (
            "2503.00022",
            "Compilers for tiny machines",
            &["Grace Hopper", "Ken Thompson"][..],
            "cs.PL",
        ),
        (
            "2503.00023",
            "Graph coloring and chromatic bounds",
            &["Paul Erdos"][..],
            "math.CO",
        ),
        (
            "2503.00024",
            "Galaxy rotation curves",
            &["Vera Rubin"][..],
            "astro-ph.GA",
        ),
    ];
    for (id, title, authors, cat) in topics {
        let mut p = paper(id, title).published_at(t(17));
        p.abstract_text = format!("{title}. We study {title} in depth.");
        p.authors = authors.iter().map(|a| a.to_string()).collect();
        p.categories = vec![cat.into()];
        records.push(p.into());
    }
    env.store.upsert_records(records).await.unwrap();
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut bob = env.app.browser();
    let tb = bob.signup("bob").await;
    let mut anon = env.app.browser();
    assert!(anon
        .get("/papers/for-you")
        .await
        .body
        .contains("to get the newest papers ranked"));

    // Cold start: no signals yet; what to do, and trending meanwhile.
    let page = alice.get("/papers/for-you").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Tell this site what you like"),
        "{}",
        page.body
    );
    assert!(page.body.contains("trending-fallback"));

    // Signals: a saved paper on protein diffusion, a followed author, a followed category.
    alice
        .post(
            "/papers/2503.00020/save",
            &[("csrf", &ta), ("collection", "new"), ("title", "Bio")],
        )
        .await;
    for (kind, value) in [
        ("author", "Grace Hopper"),
        ("category", "math"),
        ("author", "Nobody Here"),
        ("category", "cs.CL"),
    ] {
        let r = alice
            .post(
                "/follows",
                &[("csrf", &ta), ("kind", kind), ("value", value)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let page = alice.get("/papers/for-you").await.body;
    assert!(
        !page.contains("Tell this site what you like"),
        "five signals: warm"
    );
    let order = ranked(&page);
    let pos = |id: &str| order.iter().position(|x| x == id).unwrap_or(usize::MAX);
    assert!(
        pos("2503.00022") < pos("2503.00021"),
        "a followed author first: {order:?}"
    );
    assert!(
        pos("2503.00021") < pos("2503.00023"),
        "then the close topic: {order:?}"
    );
    assert!(
        pos("2503.00023") < pos("2503.00024"),
        "then the followed category: {order:?}"
    );
    assert!(page.contains("by Grace Hopper, whom you follow"));
    assert!(page.contains(
        "close to \u{201c}Protein structure diffusion sampling\u{201d} in your collection Bio"
    ));
    assert!(page.contains("in math, which you follow"));
    assert!(
        !page.contains("Vera Rubin, whom"),
        "no reason that is not alice's"
    );

    // Bob's ranking is his own: alice's signals changed nothing for him.
    let bobs = bob.get("/papers/for-you").await.body;
    assert!(bobs.contains("Tell this site what you like"));
    assert!(!bobs.contains("whom you follow"));

    // A new upvote changes the next page at once; "not interested" takes a paper out.
    bob.post("/papers/2503.00021/upvote", &[("csrf", &tb), ("up", "1")])
        .await;
    let bobs = ranked(&bob.get("/papers/for-you").await.body);
    assert_eq!(
        bobs.first().map(String::as_str),
        Some("2503.00020"),
        "{bobs:?}"
    );
    assert!(
        !bobs.contains(&"2503.00021".to_string()),
        "what he liked is not offered again"
    );
    alice
        .post(
            "/papers/2503.00022/not-interested",
            &[("csrf", &ta), ("on", "1")],
        )
        .await;
    let order = ranked(&alice.get("/papers/for-you").await.body);
    assert!(!order.contains(&"2503.00022".to_string()), "{order:?}");
}

/// Five papers of 2025-03-17 on the list of 2025-03-18; by upvotes Vera Rubin's comes first.
async fn five_papers(env: &crate::Env) {
    use dp_testkit::fixtures::{entry, rec};
    let t = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 17, 9, 0, 0).unwrap();
    let topics = [
        (
            "2503.00020",
            "Protein structure diffusion sampling",
            "Grace Hopper",
            "q-bio.BM",
            1,
        ),
        (
            "2503.00021",
            "Diffusion sampling of protein folds",
            "Carl Sagan",
            "q-bio.BM",
            2,
        ),
        (
            "2503.00022",
            "Compilers for tiny machines",
            "Grace Hopper",
            "cs.PL",
            3,
        ),
        (
            "2503.00023",
            "Graph coloring and chromatic bounds",
            "Paul Erdos",
            "math.CO",
            4,
        ),
        (
            "2503.00024",
            "Galaxy rotation curves",
            "Vera Rubin",
            "astro-ph.GA",
            50,
        ),
    ];
    let mut records = Vec::new();
    for (id, title, author, cat, votes) in topics {
        let mut p = paper(id, title).published_at(t);
        p.abstract_text = format!("{title}. We study {title} in depth.");
        p.authors = vec![author.to_string()];
        p.categories = vec![cat.into()];
        records.push(rec(p, Some(entry("2025-03-18", id, votes))));
    }
    env.store.upsert_records(records).await.unwrap();
}

#[tokio::test]
async fn lists_new_papers_feeds_and_reset_follow_the_readers_own_order() {
    let Some(env) = env().await else { return };
    five_papers(&env).await;
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut bob = env.app.browser();
    bob.signup("bob").await;
    let mut anon = env.app.browser();

    // The cold start's picks: ticked topics and named authors become follows.
    let page = alice.get("/papers/for-you").await.body;
    assert!(page.contains("name=\"category:cs.CL\""), "the topic picks");
    let r = alice
        .post("/papers/for-you/start", &[("csrf", &ta), ("authors", "")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "nothing picked");
    let r = alice
        .post(
            "/papers/for-you/start",
            &[("csrf", "forged"), ("category:cs.CL", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "CSRF is checked");
    let r = alice
        .post(
            "/papers/for-you/start",
            &[
                ("csrf", &ta),
                ("category:cs.CL", "1"),
                ("category:not-a-pick", "1"),
                ("authors", "Grace Hopper; Nobody Here\nPaul Erdos"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let following = alice.get("/following").await.body;
    for f in ["Grace Hopper", "Nobody Here", "Paul Erdos", "cs.CL"] {
        assert!(following.contains(f), "{f} followed");
    }
    alice
        .post(
            "/papers/2503.00020/save",
            &[("csrf", &ta), ("collection", "new"), ("title", "Bio")],
        )
        .await;

    // The day list: by upvotes for everyone, for you on request, with reasons.
    let by_votes = crate::order(&alice.get("/papers/date/2025-03-18").await.body);
    assert_eq!(by_votes.first().map(String::as_str), Some("2503.00024"));
    let page = alice
        .get("/papers/date/2025-03-18?order=for-you")
        .await
        .body;
    let mine = crate::order(&page);
    let pos = |o: &[String], id: &str| o.iter().position(|x| x == id).unwrap_or(usize::MAX);
    assert!(
        pos(&mine, "2503.00022") < pos(&mine, "2503.00024"),
        "{mine:?}"
    );
    assert!(
        pos(&mine, "2503.00023") < pos(&mine, "2503.00024"),
        "{mine:?}"
    );
    assert_eq!(mine.len(), by_votes.len(), "the same papers, reordered");
    assert!(page.contains("by Grace Hopper, whom you follow"), "{page}");
    assert!(page.contains("aria-current=\"true\">for you"));
    for path in ["/papers/week/2025-W12", "/papers/month/2025-03"] {
        let page = alice.get(&format!("{path}?order=for-you")).await.body;
        let o = crate::order(&page);
        assert!(
            pos(&o, "2503.00022") < pos(&o, "2503.00024"),
            "{path}: {o:?}"
        );
        assert!(page.contains("ranked for you"), "{path}");
        let o = crate::order(&alice.get(path).await.body);
        assert_eq!(o.first().map(String::as_str), Some("2503.00024"), "{path}");
    }
    // Bob has no signals: his own order changes nothing; a visitor is asked to log in.
    let bobs = crate::order(&bob.get("/papers/date/2025-03-18?order=for-you").await.body);
    assert_eq!(bobs, by_votes);
    let r = anon.get("/papers/date/2025-03-18?order=for-you").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r
        .header("location")
        .starts_with("/login?next=%2Fpapers%2Fdate"));

    // New on arXiv: every paper of the day, by time or for you, in a category.
    let page = alice.get("/papers/new?date=2025-03-17").await.body;
    assert_eq!(crate::order(&page).len(), 5, "{page}");
    let o = crate::order(
        &alice
            .get("/papers/new?date=2025-03-17&order=for-you")
            .await
            .body,
    );
    assert_eq!(o.len(), 5);
    assert!(pos(&o, "2503.00022") < pos(&o, "2503.00024"), "{o:?}");
    let o = crate::order(
        &anon
            .get("/papers/new?date=2025-03-17&category=math")
            .await
            .body,
    );
    assert_eq!(o, ["2503.00023"]);
    assert!(
        crate::order(&anon.get("/papers/new").await.body).len() == 5,
        "the newest day"
    );
    let b = anon.get("/papers/new?date=2025-03-10").await.body;
    assert!(crate::order(&b).is_empty(), "{b}");
    for bad in [
        "/papers/new?date=2025-02-30",
        "/papers/new?category=%3Cscript%3E",
    ] {
        let r = anon.get(bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(!r.body.contains("<script>"), "escaped");
    }

    // The private feed of "For you".
    let r = alice.post("/following/feed-key", &[("csrf", &ta)]).await;
    let at = r
        .body
        .find("/for-you.atom")
        .expect("the For-you feed address");
    let start = r.body[..at].rfind("/feeds/").expect("a key") + "/feeds/".len();
    let key = r.body[start..at].to_string();
    let feed = anon.get(&format!("/feeds/{key}/for-you.atom")).await;
    assert_eq!(feed.status, StatusCode::OK);
    let atom = atom_syndication::Feed::read_from(feed.bytes.as_slice()).expect("Atom");
    assert!(atom.title().contains("For you (alice)"));
    assert!(atom
        .entries()
        .iter()
        .any(|e| e.title().contains("Compilers for tiny machines")));
    assert_eq!(
        anon.get("/feeds/not-a-key/for-you.rss").await.status,
        StatusCode::NOT_FOUND
    );

    // Export: what the ranking learns from, as JSON, to the reader only.
    let r = alice.get("/library/export/signals").await;
    assert_eq!(r.status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    assert_eq!(v["user"], "alice");
    assert_eq!(v["liked"][0]["id"], "2503.00020");
    assert_eq!(v["liked"][0]["how"], "saved in Bio");
    assert!(v["authors"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "Grace Hopper"));
    assert_eq!(v["categories"], serde_json::json!(["cs.CL"]));
    assert_ne!(
        anon.get("/library/export/signals").await.status,
        StatusCode::OK
    );

    // Reset: confirmed, it deletes what the ranking learnt from.
    let r = alice.post("/papers/for-you/reset", &[("csrf", &ta)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "not confirmed");
    alice
        .post("/papers/2503.00021/upvote", &[("csrf", &ta), ("up", "1")])
        .await;
    let r = alice
        .post(
            "/papers/for-you/reset",
            &[("csrf", &ta), ("confirm", "1"), ("collections", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("4 follows"), "{}", r.body);
    assert!(r.body.contains("1 upvotes"), "{}", r.body);
    assert!(r.body.contains("1 collections"), "{}", r.body);
    let page = alice.get("/papers/for-you").await.body;
    assert!(page.contains("Tell this site what you like"), "cold again");
    assert!(!alice.get("/following").await.body.contains("Grace Hopper"));
    assert_eq!(
        crate::order(
            &alice
                .get("/papers/date/2025-03-18?order=for-you")
                .await
                .body
        ),
        by_votes
    );
}

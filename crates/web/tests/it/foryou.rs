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

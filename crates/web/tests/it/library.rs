//! A reader's library: "not interested" leaves a paper out of that reader's lists only, and
//! the library page undoes it.

use crate::{env, order};
use axum::http::StatusCode;

#[tokio::test]
async fn not_interested_hides_a_paper_from_one_readers_lists_until_undone() {
    let Some(env) = env().await else { return };
    let day = "/papers/date/2025-03-17";
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut bob = env.app.browser();
    bob.signup("bob").await;
    let page = alice.get(day).await.body;
    assert_eq!(order(&page), ["2503.00001", "2503.00002"]);
    assert!(
        page.contains("action=\"/papers/2503.00001/not-interested\""),
        "{page}"
    );
    assert!(
        !env.app.get(day).await.body.contains("not-interested"),
        "not for anonymous readers"
    );

    // Refused without the form's token, for an unknown paper, and when signed out.
    let forged = [("csrf", "forged"), ("on", "1"), ("next", day)];
    assert_eq!(
        alice
            .post("/papers/2503.00001/not-interested", &forged)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let ok = [("csrf", ta.as_str()), ("on", "1"), ("next", day)];
    assert_eq!(
        alice
            .post("/papers/2503.09999/not-interested", &ok)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mut anon = env.app.browser();
    assert_ne!(
        anon.post("/papers/2503.00001/not-interested", &ok)
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // Marked: gone from alice's day, week and month lists; not from bob's or anonymous ones.
    let r = alice.post("/papers/2503.00001/not-interested", &ok).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, day));
    for list in [
        day,
        "/papers/week/2025-W12",
        "/papers/month/2025-03",
        "/papers",
    ] {
        let page = alice.get(list).await.body;
        assert_eq!(order(&page), ["2503.00002"], "{list}");
        assert!(
            page.contains("1 you are not interested in left out"),
            "{list}"
        );
    }
    assert_eq!(
        order(&bob.get(day).await.body),
        ["2503.00001", "2503.00002"]
    );
    assert_eq!(
        order(&env.app.get(day).await.body),
        ["2503.00001", "2503.00002"]
    );

    // The library lists it, with an undo that brings it back.
    assert_eq!(anon.get("/library").await.status, StatusCode::UNAUTHORIZED);
    let lib = alice.get("/library").await.body;
    assert!(
        lib.contains("data-id=\"2503.00001\"") && lib.contains("First paper"),
        "{lib}"
    );
    assert!(!lib.contains("data-id=\"2503.00002\""));
    let r = alice
        .post(
            "/papers/2503.00001/not-interested",
            &[("csrf", &ta), ("on", "0"), ("next", "/library")],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/library")
    );
    assert!(alice.get("/library").await.body.contains("None."));
    assert_eq!(
        order(&alice.get(day).await.body),
        ["2503.00001", "2503.00002"]
    );
}

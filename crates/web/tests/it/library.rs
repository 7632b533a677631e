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

/// The collection path in a "saved" answer or a redirect.
fn collection_path(r: &dp_testkit::server::Resp) -> String {
    r.json()["path"].as_str().expect("a path").to_string()
}

#[tokio::test]
async fn save_makes_a_private_collection_that_only_its_owner_sees_and_changes() {
    let Some(env) = env().await else { return };
    let day = "/papers/date/2025-03-17";
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let mut bob = env.app.browser();
    let tb = bob.signup("bob").await;
    let mut anon = env.app.browser();

    // "Save" is on every card and on the paper page, for signed-in readers only.
    let page = alice.get(day).await.body;
    assert_eq!(
        page.matches("action=\"/papers/2503.00001/save\"").count(),
        1,
        "{page}"
    );
    assert!(page.contains("action=\"/papers/2503.00002/save\""));
    assert!(alice
        .get("/papers/2503.00001")
        .await
        .body
        .contains("action=\"/papers/2503.00001/save\""));
    assert!(!anon.get(day).await.body.contains("/save\""));

    // The first save, without the page script: a private "Reading list", back to the list.
    let r = alice
        .post(
            "/papers/2503.00001/save",
            &[
                ("csrf", &ta),
                ("collection", "new"),
                ("title", ""),
                ("next", day),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, day));
    let lib = alice.get("/library").await.body;
    assert!(lib.contains(">Reading list</a>"), "{lib}");
    assert!(lib.contains("1 papers · private"), "{lib}");
    // With the script: JSON, and saving twice is once.
    let r = alice
        .post_with(
            "/papers/2503.00001/save",
            &[
                ("csrf", &ta),
                ("collection", "new"),
                ("title", "Reading list"),
            ],
            true,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["new"], false);
    assert_eq!(r.json()["collection"], "Reading list");
    let path = collection_path(&r);
    assert!(
        path.starts_with("/collections/alice/reading-list-"),
        "{path}"
    );
    let cid = r.json()["id"].as_i64().unwrap();
    let r = alice
        .post_with(
            "/papers/2503.00002/save",
            &[("csrf", &ta), ("collection", &cid.to_string())],
            true,
        )
        .await;
    assert_eq!(r.json()["new"], true, "{}", r.body);
    // The card says where it is saved.
    let page = alice.get(day).await.body;
    assert!(page.contains("<summary>Saved</summary>"), "{page}");

    // Private: its owner sees it; nobody else, and nobody else learns that it exists.
    let mine = alice.get(&path).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(order_items(&mine.body), ["2503.00001", "2503.00002"]);
    assert_eq!(bob.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(anon.get(&path).await.status, StatusCode::NOT_FOUND);
    let wrong_owner = path.replace("/alice/", "/bob/");
    assert_eq!(alice.get(&wrong_owner).await.status, StatusCode::NOT_FOUND);
    for (p, form) in [
        (
            "/papers/2503.00002/save".to_string(),
            vec![("csrf", tb.as_str()), ("collection", &*cid.to_string())],
        ),
        (
            format!("/collections/{cid}/edit"),
            vec![
                ("csrf", tb.as_str()),
                ("title", "Mine now"),
                ("public", "1"),
            ],
        ),
        (
            format!("/collections/{cid}/delete"),
            vec![("csrf", tb.as_str())],
        ),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, &**v)).collect();
        assert_eq!(
            bob.post(&p, &form).await.status,
            StatusCode::NOT_FOUND,
            "{p}"
        );
    }
    // A forged form changes nothing.
    let r = alice
        .post(
            &format!("/collections/{cid}/edit"),
            &[("csrf", "forged"), ("title", "x"), ("public", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Notes are escaped text; items move; hostile sizes are refused with a reason.
    let item = |body: &str, paper: &str| -> String {
        let at = body
            .find(&format!("data-id=\"{paper}\" data-item=\""))
            .unwrap();
        let rest = &body[at..];
        let s = rest.find("data-item=\"").unwrap() + "data-item=\"".len();
        rest[s..s + rest[s..].find('"').unwrap()].to_string()
    };
    let second = item(&mine.body, "2503.00002");
    let r = alice
        .post(
            &format!("/collections/{cid}/items/{second}/edit"),
            &[("csrf", &ta), ("note", "<script>alert(1)</script> & ∑")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = alice
        .post(
            &format!("/collections/{cid}/items/{second}/edit"),
            &[("csrf", &ta), ("position", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let body = alice.get(&path).await.body;
    assert_eq!(order_items(&body), ["2503.00002", "2503.00001"]);
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ∑"));
    assert!(!body.contains("<script>alert(1)"));
    let long = "n".repeat(501);
    let r = alice
        .post(
            &format!("/collections/{cid}/items/{second}/edit"),
            &[("csrf", &ta), ("note", &long)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("at most 500 characters"), "{}", r.body);
    let r = alice
        .post("/collections", &[("csrf", &ta), ("title", &"t".repeat(61))])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = alice
        .post("/collections", &[("csrf", &ta), ("title", "Reading list")])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "one title once");

    // Made public and renamed: anyone reads it at the same address; only alice changes it.
    let r = alice
        .post(
            &format!("/collections/{cid}/edit"),
            &[
                ("csrf", &ta),
                ("title", "Diffusion <b>picks</b>"),
                ("description", "What I read"),
                ("public", "1"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, path.as_str())
    );
    let public = anon.get(&path).await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("Diffusion &lt;b&gt;picks&lt;/b&gt;"));
    assert!(public.body.contains("What I read"));
    assert!(!public.body.contains("name=\"note\""), "no owner forms");
    assert!(env.app.get("/users/alice").await.body.contains(&path));
    let r = bob
        .post(
            &format!("/collections/{cid}/edit"),
            &[("csrf", &tb), ("title", "Mine now"), ("public", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let first = item(&public.body, "2503.00001");
    let r = bob
        .post(
            &format!("/collections/{cid}/items/{first}/delete"),
            &[("csrf", &tb)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Removed, then deleted.
    let r = alice
        .post(
            &format!("/collections/{cid}/items/{first}/delete"),
            &[("csrf", &ta)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(order_items(&anon.get(&path).await.body), ["2503.00002"]);
    let r = alice
        .post(&format!("/collections/{cid}/delete"), &[("csrf", &ta)])
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, "/library")
    );
    assert_eq!(anon.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(alice.get(&path).await.status, StatusCode::NOT_FOUND);
}

/// The papers of a collection page, in order.
fn order_items(body: &str) -> Vec<String> {
    body.match_indices("\" data-item=\"")
        .map(|(i, _)| {
            let head = &body[..i];
            let s = head.rfind("data-id=\"").unwrap() + "data-id=\"".len();
            head[s..].to_string()
        })
        .collect()
}

//! Hugging Face Hub parity: a paper as Markdown (`/papers/{id}.md` and `Accept: text/markdown`,
//! what `hf papers read` fetches) and the `citation_*` metadata Google Scholar and Zotero read
//! from a paper's page.

use crate::env;

#[tokio::test]
async fn a_paper_as_markdown_by_extension_or_by_accept() {
    let Some(env) = env().await else { return };
    let app = &env.app;
    let r = app.get("/papers/2503.00001.md").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.header("content-type").starts_with("text/markdown"),
        "{}",
        r.header("content-type")
    );
    assert_eq!(r.header("vary"), "Accept");
    let md = &r.body;
    assert!(md.starts_with("# First paper\n"), "{md}");
    assert!(
        md.contains("**Authors:** Ada Lovelace, Alan Turing"),
        "{md}"
    );
    assert!(
        md.contains("- arXiv: https://arxiv.org/abs/2503.00001"),
        "{md}"
    );
    assert!(
        md.contains("- PDF: https://arxiv.org/pdf/2503.00001"),
        "{md}"
    );
    assert!(md.contains("/papers/2503.00001\n"), "{md}");
    assert!(md.contains("**Upvotes:** 5"), "{md}");
    // The abstract as written: Markdown is text, so nothing is entity-escaped.
    assert!(
        md.contains("## Abstract\n\nAbstract with $x^2$ & <b>tags</b>."),
        "{md}"
    );

    // The same text for `Accept: text/markdown` on the page's own address.
    let by_accept = app
        .get_with("/papers/2503.00001", &[("accept", "text/markdown")])
        .await;
    assert_eq!(by_accept.status, 200);
    assert_eq!(&by_accept.body, md);

    // A browser still gets the page, which says it varies by `Accept` (caches keep both).
    let page = app
        .get_with(
            "/papers/2503.00001",
            &[(
                "accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            )],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    assert_eq!(page.header("vary"), "Accept");

    // Unknown and malformed ids: a 404 in words with the message Hugging Face's client shows,
    // and the usual 400.
    let missing = app.get("/papers/2503.09999.md").await;
    assert_eq!(missing.status, 404);
    assert!(missing.header("content-type").starts_with("text/markdown"));
    assert_eq!(missing.header("x-error-message"), "Paper not found");
    assert!(missing.body.contains("2503.09999"), "{}", missing.body);
    let bad = app.get("/papers/not-an-id.md").await;
    assert_eq!(bad.status, 404, "{}", bad.body);
}

/// The `content` of every `<meta name="NAME">` of a page, in order.
fn metas(html: &str, name: &str) -> Vec<String> {
    let needle = format!("<meta name=\"{name}\" content=\"");
    html.match_indices(&needle)
        .map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
        .collect()
}

#[tokio::test]
async fn paper_pages_carry_scholar_and_zotero_metadata() {
    let Some(env) = env().await else { return };
    let page = env.app.get("/papers/2503.00001").await;
    assert_eq!(page.status, 200);
    let head = &page.body[..page.body.find("</head>").unwrap()];
    assert_eq!(metas(head, "citation_title"), ["First paper"]);
    assert_eq!(
        metas(head, "citation_author"),
        ["Ada Lovelace", "Alan Turing"]
    );
    assert_eq!(metas(head, "citation_date"), ["2025/03/16"]);
    assert_eq!(metas(head, "citation_arxiv_id"), ["2503.00001"]);
    assert_eq!(
        metas(head, "citation_pdf_url"),
        ["https://arxiv.org/pdf/2503.00001"]
    );
    // Escaped in attributes like everywhere else.
    let description = metas(head, "description");
    assert_eq!(description.len(), 1);
    assert!(
        description[0].contains("&amp; &lt;b&gt;tags&lt;/b&gt;"),
        "{description:?}"
    );
}

/// A new reader `name` with a write token and a read token.
async fn reader(app: &dp_testkit::server::TestApp, name: &str) -> (String, String) {
    let mut b = app.browser();
    let csrf = b.signup(name).await;
    let mut made = Vec::new();
    for scope in ["write", "read"] {
        let r = b
            .post(
                "/settings/tokens",
                &[("csrf", &csrf), ("name", scope), ("scope", scope)],
            )
            .await;
        made.push(crate::tokens::new_token(&r.body));
    }
    (made[0].clone(), made[1].clone())
}

#[tokio::test]
async fn index_links_and_claim_take_tokens_and_the_web_forms_rules() {
    use crate::tokens::api;
    use serde_json::json;
    let Some(env) = env().await else { return };
    let app = &env.app;
    // The first account of a server is its admin: bob.
    let (bob, _) = reader(app, "bob").await;
    let (alice, alice_read) = reader(app, "alice").await;
    let (carol, _) = reader(app, "carol").await;

    // Index: a token that may write, an id of the form Hugging Face takes, a paper arXiv has.
    let body = json!({"arxivId": "1111.2011"});
    let (s, _) = api(app, "POST", "/api/papers/index", None, Some(body.clone())).await;
    assert_eq!(s, 401);
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/index",
        Some(&alice_read),
        Some(body.clone()),
    )
    .await;
    assert_eq!(s, 403);
    for bad in ["2401.123", "hep-th/9901001", "2401.12345v2", "<script>"] {
        let (s, v) = api(
            app,
            "POST",
            "/api/papers/index",
            Some(&alice),
            Some(json!({"arxivId": bad})),
        )
        .await;
        assert_eq!(s, 400, "{bad}: {v}");
        assert!(v["error"].as_str().unwrap().contains("arxivId"), "{v}");
    }
    assert_eq!(app.get("/api/papers/1111.2011").await.status, 404);
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/index",
        Some(&alice),
        Some(body.clone()),
    )
    .await;
    assert_eq!((s.as_u16(), v), (200, json!({})));
    let p = app.get("/api/papers/1111.2011").await;
    assert_eq!(p.status, 200);
    assert!(!p.json()["title"].as_str().unwrap().is_empty());
    // Known already: nothing is fetched again for a reader who is not its author.
    let (s, _) = api(app, "POST", "/api/papers/index", Some(&bob), Some(body)).await;
    assert_eq!(s, 200);
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/index",
        Some(&alice),
        Some(json!({"arxivId": "2501.99999"})),
    )
    .await;
    assert_eq!(s, 404, "{v}");

    // Links: not for a reader who is neither author, submitter nor admin.
    let links = json!({"githubRepo": "https://github.com/ada/first", "projectPage": "https://first.example/"});
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/2503.00001/links",
        Some(&alice),
        Some(links.clone()),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.00001/links",
        None,
        Some(links.clone()),
    )
    .await;
    assert_eq!(s, 401);

    // Claim an author entry by its `_id`, as Hugging Face's settings call does.
    let detail = app.get("/api/papers/2503.00001").await.json();
    let ada = detail["authors"][0]["_id"].as_str().unwrap().to_string();
    let claim = json!({"paperId": "2503.00001", "claimAuthorId": ada});
    let (s, _) = api(
        app,
        "POST",
        "/api/settings/papers/claim",
        Some(&alice_read),
        Some(claim.clone()),
    )
    .await;
    assert_eq!(s, 403);
    let (s, v) = api(
        app,
        "POST",
        "/api/settings/papers/claim",
        Some(&alice),
        Some(json!({"paperId": "2503.00001", "claimAuthorId": "0123456789abcdef01234567"})),
    )
    .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = api(
        app,
        "POST",
        "/api/settings/papers/claim",
        Some(&alice),
        Some(json!({"paperId": "2503.00001"})),
    )
    .await;
    assert_eq!(s, 400, "no entry named alice: {v}");
    let (s, v) = api(app, "POST", "/api/settings/papers/claim", Some(&alice), Some(json!({"paperId": "2503.00001", "claimAuthorId": ada, "targetUserId": "0123456789abcdef01234567"}))).await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = api(
        app,
        "POST",
        "/api/settings/papers/claim",
        Some(&alice),
        Some(claim.clone()),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["authorName"], "Ada Lovelace");
    assert_eq!(v["status"], "pending");
    let (s, _) = api(
        app,
        "POST",
        "/api/settings/papers/claim",
        Some(&alice),
        Some(claim),
    )
    .await;
    assert_eq!(s, 409, "a claim is made once");
    // Pending is not approved.
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.00001/links",
        Some(&alice),
        Some(links.clone()),
    )
    .await;
    assert_eq!(s, 403);
    let bob_user = env.store.user_by_name("bob").await.unwrap().unwrap();
    assert!(bob_user.is_admin);
    env.store
        .decide_claim(v["id"].as_i64().unwrap(), true, bob_user.id)
        .await
        .unwrap()
        .unwrap();

    // Approved: hostile links are refused, good ones are kept and shown everywhere.
    for bad in [
        "javascript:alert(1)",
        "https://x.org/\"><script>",
        "ftp://x.org",
    ] {
        let (s, v) = api(
            app,
            "POST",
            "/api/papers/2503.00001/links",
            Some(&alice),
            Some(json!({"githubRepo": bad})),
        )
        .await;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/2503.00001/links",
        Some(&alice),
        Some(links),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["githubRepo"], "https://github.com/ada/first");
    let shown = app.get("/api/papers/2503.00001").await.json();
    assert_eq!(shown["githubRepo"], "https://github.com/ada/first");
    assert_eq!(shown["projectPage"], "https://first.example/");
    let page = app.get("/papers/2503.00001").await.body;
    assert!(
        page.contains("href=\"https://github.com/ada/first\""),
        "{page}"
    );
    let md = app.get("/papers/2503.00001.md").await.body;
    assert!(md.contains("- Code: https://github.com/ada/first"), "{md}");
    // `null` removes one link and leaves the other.
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/2503.00001/links",
        Some(&alice),
        Some(json!({"projectPage": null})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["githubRepo"], "https://github.com/ada/first");
    assert!(v["projectPage"].is_null(), "{v}");

    // An author of one paper is not one of another; an admin may set any paper's links.
    let other = json!({"githubRepo": "https://github.com/x/second"});
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.00002/links",
        Some(&alice),
        Some(other.clone()),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.00002/links",
        Some(&bob),
        Some(other),
    )
    .await;
    assert_eq!(s, 200);
    // The reader who submitted a paper here may set its links.
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/submit",
        Some(&carol),
        Some(json!({"paper_id": "2503.00003"})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = api(
        app,
        "POST",
        "/api/papers/2503.00003/links",
        Some(&carol),
        Some(json!({"githubRepo": "https://github.com/c/third"})),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = api(
        app,
        "POST",
        "/api/papers/2503.09999/links",
        Some(&bob),
        Some(json!({"githubRepo": "https://github.com/c/x"})),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn linked_hub_repositories_in_the_api_on_the_page_and_in_markdown() {
    use dp_core::{HubKind, HubRepo, HubRepos};
    use dp_testkit::replay::HubReplay;
    let Some(env) = env().await else { return };
    let app = &env.app;
    let pid = dp_testkit::id("2503.00001");
    // Before the Hub was asked: no linked fields, empty lists from the arXiv call.
    let before = app.get("/api/papers/2503.00001").await.json();
    assert!(before.get("linkedModels").is_none(), "{before}");
    let r = app.get("/api/arxiv/2503.00001/repos").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        serde_json::json!({"models": [], "datasets": [], "spaces": []})
    );

    // What the Hub's replay says, stored as the job stores it.
    let mut hub = HubRepos::none(chrono::Utc::now());
    for kind in HubKind::ALL {
        let list = HubReplay::list(kind.plural(), "2503.00001");
        let items: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
        *hub.of_mut(kind) = items
            .iter()
            .map(|v| HubRepo {
                id: v["id"].as_str().unwrap().to_string(),
                json: v.to_string(),
            })
            .collect();
        hub.set_total(
            kind,
            items.len() as i64 + if kind == HubKind::Model { 7 } else { 0 },
        );
    }
    assert!(env.store.set_hub_repos(&pid, &hub).await.unwrap());
    // As the job does once it stored a change: caches drop what they rendered.
    app.state.app.changed();

    let d = app.get("/api/papers/2503.00001").await.json();
    let models = d["linkedModels"].as_array().unwrap();
    assert_eq!(models.len(), 3);
    assert!(models.iter().all(|m| m["id"].is_string()), "{d}");
    assert_eq!(models[0]["id"], "example-org/tiny-reasoner-7b");
    assert_eq!(models[0]["downloads"], 18234);
    assert_eq!(d["linkedDatasets"][0]["id"], "example-org/reasoning-traces");
    assert_eq!(d["linkedSpaces"][0]["sdk"], "gradio");
    assert_eq!(
        (
            &d["numTotalModels"],
            &d["numTotalDatasets"],
            &d["numTotalSpaces"]
        ),
        (
            &serde_json::json!(10),
            &serde_json::json!(1),
            &serde_json::json!(1)
        )
    );
    let repos = app.get("/api/arxiv/2503.00001/repos").await.json();
    assert_eq!(repos["models"], d["linkedModels"]);
    assert_eq!(repos["spaces"][0]["cardData"]["emoji"], "🧠");
    let bad = app.get("/api/arxiv/not-an-id/repos").await;
    assert_eq!(bad.status, 400);

    // The page lists them, linking to the Hub, with the hostile id escaped.
    let page = app.get("/papers/2503.00001").await.body;
    assert!(page.contains("On the Hugging Face Hub"), "{page}");
    assert!(
        page.contains("href=\"https://huggingface.co/example-org/tiny-reasoner-7b\""),
        "{page}"
    );
    assert!(page.contains("href=\"https://huggingface.co/datasets/example-org/reasoning-traces\""));
    assert!(page.contains("href=\"https://huggingface.co/spaces/example-org/tiny-reasoner-demo\""));
    assert!(
        page.contains("lab/&lt;b&gt;odd&lt;/b&gt;&amp;name"),
        "{page}"
    );
    assert!(!page.contains("<b>odd</b>"));
    assert!(page.contains("All 10 on the Hub"), "{page}");
    assert!(page.contains("?other=arxiv:2503.00001"));
    let md = app.get("/papers/2503.00001.md").await.body;
    assert!(md.contains("## On the Hugging Face Hub"), "{md}");
    assert!(
        md.contains(
            "[example-org/tiny-reasoner-7b](https://huggingface.co/example-org/tiny-reasoner-7b)"
        ),
        "{md}"
    );
    assert!(md.contains("- models citing this paper: 10"), "{md}");
}

#[tokio::test]
async fn thumbnails_are_served_from_this_site_on_cards_pages_and_in_the_api() {
    let Some(env) = env().await else { return };
    let app = &env.app;
    let png = include_bytes!("../../../testkit/fixtures/images/thumb.png");
    let img = dp_ingest::image::check(png.to_vec()).unwrap();
    env.store
        .set_thumbnail(
            &dp_testkit::id("2503.00001"),
            Ok(dp_store::NewImage {
                hash: &img.hash,
                mime: img.mime,
                width: img.width as i64,
                height: img.height as i64,
                bytes: &img.bytes,
            }),
            "hf",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    app.state.app.changed();
    let src = format!("/thumbnails/{}.jpg", img.hash);

    // Cards: the picture with its size set and lazy, a placeholder for a paper without one.
    let list = app.get("/papers/date/2025-03-17").await.body;
    let tag = format!("<img src=\"{src}\" width=\"160\" height=\"90\" loading=\"lazy\"");
    assert!(list.contains(&tag), "{list}");
    assert_eq!(list.matches("thumb placeholder").count(), 1, "{list}");
    // The paper page.
    let page = app.get("/papers/2503.00001").await.body;
    assert!(
        page.contains(&format!("<img src=\"{src}\" width=\"64\" height=\"36\"")),
        "{page}"
    );

    // The picture itself: its stored type, never sniffed, cached for good.
    let r = app.get(&src).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.bytes, img.bytes);
    assert_eq!(r.header("content-type"), "image/jpeg");
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert!(r.header("cache-control").contains("immutable"));
    assert!(r
        .header("content-security-policy")
        .contains("img-src 'self'"));
    for bad in [
        format!("/thumbnails/{}.png", img.hash),
        format!("/thumbnails/{}.jpg", "0".repeat(64)),
        "/thumbnails/..%2F..%2Fetc%2Fpasswd".to_string(),
        "/thumbnails/abc.png".to_string(),
    ] {
        assert_eq!(app.get(&bad).await.status, 404, "{bad}");
    }

    // The API's `thumbnail`, an address on this site.
    let items = app.get("/api/daily_papers?date=2025-03-17").await.json();
    let first = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["paper"]["id"] == "2503.00001")
        .unwrap();
    assert_eq!(
        first["thumbnail"],
        format!("{}{src}", crate::PUBLIC_URL),
        "{first}"
    );
}

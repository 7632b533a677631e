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

    // Exports: for whoever may see the collection; the library's for its reader only.
    let bib = alice.get(&format!("{path}/export/bib")).await;
    assert_eq!(bib.status, StatusCode::OK);
    assert!(bib.header("content-disposition").starts_with("attachment;"));
    assert!(
        bib.body.contains("eprint = {2503.00002}") && bib.body.contains("eprint = {2503.00001}")
    );
    assert!(
        bib.body.contains("note = {<script>alert(1)</script> & ∑}"),
        "{}",
        bib.body
    );
    assert_eq!(
        bob.get(&format!("{path}/export/bib")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice.get(&format!("{path}/export/pdf")).await.status,
        StatusCode::NOT_FOUND
    );
    let ris = alice.get("/library/export/ris").await;
    assert_eq!(ris.status, StatusCode::OK);
    assert_eq!(
        ris.body.matches("ER  - ").count(),
        2,
        "each paper once: {}",
        ris.body
    );
    assert_eq!(
        anon.get("/library/export/ris").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(bob.get("/library/export/json").await.body.trim(), "[]");

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

/// A reader signed up as `name`, with a write token.
async fn writer(b: &mut dp_testkit::server::Browser<'_>, name: &str) -> (String, String) {
    let csrf = b.signup(name).await;
    let r = b
        .post(
            "/settings/tokens",
            &[("csrf", &csrf), ("name", "w"), ("scope", "write")],
        )
        .await;
    (csrf, crate::tokens::new_token(&r.body))
}

#[tokio::test]
async fn the_collections_api_speaks_for_the_web_and_only_owners_write() {
    use crate::tokens::api;
    use serde_json::json;
    let Some(env) = env().await else { return };
    let mut alice = env.app.browser();
    let (ta, alice_token) = writer(&mut alice, "alice").await;
    let mut bob = env.app.browser();
    let (_, bob_token) = writer(&mut bob, "bob").await;

    // A collection saved on the web is the API's, under the same slug.
    let r = alice
        .post_with(
            "/papers/2503.00001/save",
            &[("csrf", &ta), ("collection", "new"), ("title", "Web made")],
            true,
        )
        .await;
    let path = r.json()["path"].as_str().unwrap().to_string();
    let slug = path.trim_start_matches("/collections/").to_string();
    let (s, c) = api(
        &env.app,
        "GET",
        &format!("/api/collections/{slug}"),
        Some(&alice_token),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["slug"], slug.as_str());
    assert_eq!(c["private"], true);
    assert_eq!(c["items"][0]["id"], "2503.00001");
    assert_eq!(c["items"][0]["type"], "paper");
    assert_eq!(c["position"], 0);
    assert!(c["lastUpdated"].as_str().unwrap().ends_with('Z'));
    // Private: 404 to anyone else, token or not; bob cannot write to it either.
    let url = format!("/api/collections/{slug}");
    assert_eq!(
        api(&env.app, "GET", &url, None, None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api(&env.app, "GET", &url, Some(&bob_token), None).await.0,
        StatusCode::NOT_FOUND
    );
    let patch = json!({"private": false});
    assert_eq!(
        api(
            &env.app,
            "PATCH",
            &url,
            Some(&bob_token),
            Some(patch.clone())
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (s, v) = api(&env.app, "PATCH", &url, Some(&alice_token), Some(patch)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"]["private"], false);
    // Public: everyone reads it; still only alice writes.
    assert_eq!(
        api(&env.app, "GET", &url, None, None).await.0,
        StatusCode::OK
    );
    let (s, v) = api(&env.app, "DELETE", &url, Some(&bob_token), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(v["error"].is_string());
    let add = json!({"item": {"id": "2503.00002", "type": "paper"}});
    assert_eq!(
        api(
            &env.app,
            "POST",
            &format!("{url}/items"),
            Some(&bob_token),
            Some(add.clone())
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api(&env.app, "POST", &format!("{url}/items"), None, Some(add))
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // Listings leave out `position` (the client numbers them) and show at most four items.
    let (s, list) = api(&env.app, "GET", "/api/collections?owner=alice", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0].get("position").is_none(), "{list}");
    // Hostile or malformed input: a clear JSON object, never an array, nothing changed.
    for (method, uri, body) in [
        ("POST", "/api/collections", "{not json"),
        ("POST", "/api/collections", "[1, 2]"),
        (
            "POST",
            &*format!("{url}/items"),
            "{\"item\": {\"id\": \"<script>\", \"type\": \"paper\"}}",
        ),
        ("PATCH", &*format!("{url}/items/abc"), "{\"note\": \"x\"}"),
    ] {
        let req = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header(
                axum::http::header::AUTHORIZATION,
                format!("Bearer {alice_token}"),
            )
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap();
        let resp = env.app.request(req).await;
        assert!(
            resp.status.is_client_error(),
            "{method} {uri}: {}",
            resp.status
        );
        let v: serde_json::Value = serde_json::from_slice(&resp.bytes).unwrap();
        assert!(v["error"].is_string(), "{method} {uri}: {v}");
    }
    for bad in [
        "/api/collections?limit=0",
        "/api/collections?sort=weird",
        "/api/collections?item=papers/nope",
    ] {
        assert_eq!(
            api(&env.app, "GET", bad, None, None).await.0,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
    let (_, c) = api(&env.app, "GET", &url, None, None).await;
    assert_eq!(c["items"].as_array().unwrap().len(), 1, "nothing added");
    // whoami needs a token.
    assert_eq!(
        api(&env.app, "GET", "/api/whoami-v2", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, me) = api(&env.app, "GET", "/api/whoami-v2", Some(&bob_token), None).await;
    assert_eq!((s, me["name"].as_str()), (StatusCode::OK, Some("bob")));
}

/// A Zotero-style export of 10,000 entries: 10 papers of this server by arXiv id, 10 by DOI, 10
/// by title (LaTeX accents, other letter case), and 9,970 that match nothing or cannot be read
/// (unbalanced braces, stray `@`, accents, unknown ids and DOIs).
fn hostile_zotero_export() -> String {
    let mut out =
        String::from("% Exported by Zotero\n@comment{jabref-meta: databaseType:bibtex;}\n\n");
    for n in 0..10 {
        out += &format!(
            "@article{{byid{n},\n  title = {{Whatever {n}}},\n  eprint = {{2401.{:05}v2}},\n  archivePrefix = {{arXiv}},\n}}\n\n",
            n
        );
    }
    for n in 10..20 {
        out += &format!(
            "@article{{bydoi{n},\n  title = {{Retitled by a journal {n}}},\n  doi = {{https://doi.org/10.5555/ZOTERO.{n}}},\n  journal = {{Journal of Tests}},\n}}\n\n"
        );
    }
    for n in 20..30 {
        out += &format!(
            "@inproceedings{{bytitle{n},\n  title = {{PAPER {n} ON M{{\\\"u}}LLER'S {{\\\"O}}lbild}},\n  author = {{Dupr{{\\'e}}, Ren{{\\'e}} and M{{\\\"u}}ller, J{{\\\"o}}rg}},\n}}\n\n"
        );
    }
    for n in 0..9_970 {
        out += &match n % 5 {
            0 => format!("@article{{broken{n},\n  title = {{Unbalanced {{brace {n},\n  year = {{2020}}\n}}\n\n"),
            1 => format!("@misc{{unknown{n},\n  title = {{Caf{{\\'e}} {n}}},\n  eprint = {{2501.{:05}}},\n}}\n\n", n % 100_000),
            2 => format!("@article{{nodoi{n},\n  title = {{Na{{\\\"i}}ve {n}}},\n  doi = {{10.9999/missing.{n}}},\n}}\n\n"),
            3 => format!("@book{{{{weird{n},\n  title = }}}}{{ {n}\n\n"),
            _ => format!("@article{{plain{n}, title = {{Some other paper {n}}}, author = {{A. N. Other}}}}\n\n"),
        };
    }
    out
}

#[tokio::test]
async fn a_hostile_ten_thousand_entry_bibtex_import_adds_exactly_the_matches_at_once() {
    use crate::tokens::api;
    let Some(env) = env().await else { return };
    let mut records = Vec::new();
    for n in 0..30 {
        let mut p = dp_testkit::paper(
            &format!("2401.{n:05}"),
            &format!("Paper {n} on Müller's Ölbild"),
        );
        if (10..20).contains(&n) {
            p.doi = Some(format!("10.5555/zotero.{n}"));
        }
        records.push(dp_core::Record::from(p));
    }
    env.store.upsert_records(records).await.unwrap();
    let mut alice = env.app.browser();
    let (ta, token) = writer(&mut alice, "alice").await;
    let r = alice
        .post("/collections", &[("csrf", &ta), ("title", "From Zotero")])
        .await;
    let path = r.location().to_string();
    let slug = path.trim_start_matches("/collections/").to_string();
    let id = slug.rsplit('-').next().unwrap().to_string();
    let file = hostile_zotero_export();
    assert!(file.len() > 500_000, "{}", file.len());

    // Over the token API: the report says what matched and what not.
    let req = axum::http::Request::post(format!("/api/collections/{slug}/import"))
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .header(axum::http::header::CONTENT_TYPE, "text/plain")
        .body(file.clone().into_bytes())
        .unwrap();
    let resp = env.app.request(req).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.body);
    let v = resp.json();
    assert_eq!(v["entries"], 10_000, "{}", v["entries"]);
    assert_eq!(
        (
            v["byId"].as_u64(),
            v["byDoi"].as_u64(),
            v["byTitle"].as_u64()
        ),
        (Some(10), Some(10), Some(10))
    );
    assert_eq!(v["added"], 30);
    assert_eq!(v["unmatched"].as_array().unwrap().len(), 9_970);
    let reasons: std::collections::HashSet<&str> = v["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("not valid BibTeX")),
        "{reasons:?}"
    );
    assert!(reasons.contains("no paper here with its arXiv id, DOI or title"));
    let (_, c) = api(
        &env.app,
        "GET",
        &format!("/api/collections/{slug}"),
        Some(&token),
        None,
    )
    .await;
    let mut held: Vec<String> = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    held.sort();
    let want: Vec<String> = (0..30).map(|n| format!("2401.{n:05}")).collect();
    assert_eq!(held, want, "exactly the matches");

    // Again: nothing new. From the page, a small RIS file; a forged upload changes nothing.
    let resp = env
        .app
        .request(
            axum::http::Request::post(format!("/api/collections/{slug}/import"))
                .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
                .body(file.into_bytes())
                .unwrap(),
        )
        .await;
    assert_eq!(
        (
            resp.json()["added"].as_u64(),
            resp.json()["already"].as_u64()
        ),
        (Some(0), Some(30))
    );
    let ris = "TY  - JOUR\r\nTI  - Nothing like it\r\nER  - \r\nTY  - UNPB\r\nUR  - https://arxiv.org/abs/2503.00001\r\nER  - \r\n";
    let r = alice
        .post_file(
            &format!("/collections/{id}/import?csrf={ta}"),
            "file",
            "z.ris",
            ris.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("2 entries read: 1 papers added"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Nothing like it"));
    let r = alice
        .post_file(
            &format!("/collections/{id}/import?csrf=forged"),
            "file",
            "z.ris",
            ris.as_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = alice
        .post_file(
            &format!("/collections/{id}/import?csrf={ta}"),
            "file",
            "z.bin",
            b"\xff\xfe\x00",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("not UTF-8"), "{}", r.body);
    let (_, c) = api(
        &env.app,
        "GET",
        &format!("/api/collections/{slug}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(c["items"].as_array().unwrap().len(), 31);
}

#[tokio::test]
async fn deleting_an_account_deletes_its_private_library_and_keeps_what_it_made_public() {
    let Some(env) = env().await else { return };
    let mut root = env.app.browser();
    root.signup("rootadmin").await; // the first account is the admin
    let mut alice = env.app.browser();
    let ta = alice.signup("alice").await;
    let private = alice
        .post_with(
            "/papers/2503.00001/save",
            &[("csrf", &ta), ("collection", "new"), ("title", "Secret")],
            true,
        )
        .await
        .json()["path"]
        .as_str()
        .unwrap()
        .to_string();
    let r = alice
        .post(
            "/collections",
            &[("csrf", &ta), ("title", "Shared"), ("public", "1")],
        )
        .await;
    let public = r.location().to_string();
    alice
        .post(
            "/follows",
            &[("csrf", &ta), ("kind", "author"), ("value", "Ada Lovelace")],
        )
        .await;
    // Someone follows alice's account (by name).
    let mut carol = env.app.browser();
    let tc = carol.signup("carol").await;
    carol
        .post(
            "/follows",
            &[("csrf", &tc), ("kind", "account"), ("value", "alice")],
        )
        .await;
    assert!(carol
        .get("/following")
        .await
        .body
        .contains("account</span> alice"));
    // A wrong password or no confirmation changes nothing.
    let r = alice
        .post(
            "/settings/delete",
            &[
                ("csrf", &ta),
                ("password", "wrong password"),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = alice
        .post(
            "/settings/delete",
            &[("csrf", &ta), ("password", dp_testkit::server::PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(alice.get(&private).await.status, StatusCode::OK);

    let r = alice
        .post(
            "/settings/delete",
            &[
                ("csrf", &ta),
                ("password", dp_testkit::server::PASSWORD),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let user = env.store.user_by_name("alice").await.unwrap();
    assert!(user.is_none(), "the name is free again");
    assert_eq!(
        alice.get("/library").await.status,
        StatusCode::UNAUTHORIZED,
        "signed out"
    );
    let id = private.rsplit('-').next().unwrap().parse::<i64>().unwrap();
    assert!(
        env.store.collection(id).await.unwrap().is_none(),
        "the private collection is gone"
    );
    let pid = public.rsplit('-').next().unwrap().parse::<i64>().unwrap();
    let kept = env
        .store
        .collection(pid)
        .await
        .unwrap()
        .expect("the public one stays");
    assert!(kept.owner.starts_with("deleted-"), "{}", kept.owner);
    assert_eq!(env.app.get(&kept.path()).await.status, StatusCode::OK);
    // Nobody signs in as the deleted account, and its old name can be taken anew.
    let mut again = env.app.browser();
    again.signup("alice").await;
    assert!(
        !carol
            .get("/following")
            .await
            .body
            .contains("account</span> alice"),
        "a follow of the deleted account does not pass to the new alice"
    );
    assert!(again
        .get("/following")
        .await
        .body
        .contains("You follow nothing yet"));
    // The last admin cannot delete their own account.
    let csrf = root.get("/settings").await.csrf();
    let r = root
        .post(
            "/settings/delete",
            &[
                ("csrf", &csrf),
                ("password", dp_testkit::server::PASSWORD),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

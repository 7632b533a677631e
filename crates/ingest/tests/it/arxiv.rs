//! The arXiv API, by id.

use crate::*;
use dp_ingest::harvest::fetch_ids;

// ---------------------------------------------------------------------------------------------
// 7. arXiv API by id

#[tokio::test]
async fn arxiv_api_fetches_papers_by_id() {
    let Some(data) = shared_data() else { return };
    let api = data.join("arxiv-fixtures/atom-api");
    let one = read(&api.join("id_list_1111.2011v2.xml"));
    let none = read(&api.join("recorded_id_0000.0000_s0_m100_8b51d9633a68.atom.xml"));
    let mock = Mock::start(move |hit: &Hit| {
        if hit.path != "/api/query" {
            return status(404);
        }
        match hit.param("id_list").as_deref() {
            Some("1111.2011") => xml(one.clone()),
            // Any id arXiv does not know gets the recorded empty answer.
            Some("2101.99999") => xml(none.clone()),
            _ => status(400),
        }
    })
    .await;
    let (_dir, store) = temp_store().await;
    let f = fetcher(quick());
    let api_url = format!("{}/api/query", mock.base);

    let r = fetch_ids(store.as_ref(), &f, &api_url, &[id("1111.2011")])
        .await
        .unwrap();
    assert_eq!(
        (r.pages, r.read, r.inserted, r.rejected),
        (1, 1, 1, 0),
        "{r:?}"
    );
    let q = mock.queries();
    assert_eq!(param(&q[0], "id_list").as_deref(), Some("1111.2011"));
    assert_eq!(param(&q[0], "max_results").as_deref(), Some("1"));
    let p = store
        .paper(&id("1111.2011"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(p.id.to_string(), "1111.2011");
    assert_eq!(p.version, Some(2));
    assert_eq!(
        p.title,
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    );
    assert_eq!(
        p.authors,
        ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    );
    assert_eq!(p.doi.as_deref(), Some("10.1103/PhysRevB.85.115117"));
    assert_eq!(
        p.categories.first().map(String::as_str),
        Some("cond-mat.str-el")
    );

    // The recorded answer for an id arXiv does not know: an empty feed, not an error.
    let r = fetch_ids(store.as_ref(), &f, &api_url, &[id("2101.99999")])
        .await
        .unwrap();
    assert_eq!(
        (r.pages, r.read, r.inserted, r.rejected),
        (1, 0, 0, 0),
        "{r:?}"
    );
    assert_eq!(papers(&store).await, 1);
    assert_eq!(mock.queries().len(), 2);
}

//! "For you"'s word statistics follow the store: papers stored after the vocabulary was built
//! are taken in (a server that fills itself does not keep the statistics of its first papers),
//! and a paper stored again is not counted twice.

use dp_app::{App, Rules};
use dp_testkit::db::TestStore;
use dp_testkit::{paper, rec};

#[tokio::test]
async fn the_vocabulary_takes_in_papers_stored_after_it_was_built() {
    let Some(db) = TestStore::new().await else {
        return;
    };
    let app = App::new(db.store.clone(), Rules::default());
    assert_eq!(app.vocabulary().await.unwrap().docs(), 0, "an empty store");
    db.store
        .upsert_records(vec![
            rec(paper("2503.00001", "Zygomorphic flowers and bees"), None),
            rec(paper("2503.00002", "Graph coloring bounds"), None),
        ])
        .await
        .unwrap();
    let v = app.vocabulary().await.unwrap();
    assert_eq!(v.docs(), 2);
    let known = v.idf("zygomorphic");
    assert!(
        known < v.idf("unheardofword"),
        "a counted word is no longer unknown"
    );
    // The same paper again (a newer version) and a new one.
    db.store
        .upsert_records(vec![
            rec(
                paper("2503.00001", "Zygomorphic flowers and bees, revised"),
                None,
            ),
            rec(paper("2503.00003", "Zygomorphic symmetry in orchids"), None),
        ])
        .await
        .unwrap();
    let v = app.vocabulary().await.unwrap();
    assert_eq!(
        v.docs(),
        3,
        "the new paper counted, the revised one not again"
    );
    assert!(v.idf("zygomorphic") < known, "now in two papers of three");
}

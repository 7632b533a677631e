//! The store suite: a reader's library (not interested). Every check runs on SQLite and on
//! PostgreSQL.

use crate::prelude::*;

on_both!(not_interested_marks_are_per_reader_and_undone);

async fn not_interested_marks_are_per_reader_and_undone(store: Arc<dyn Store>) {
    store
        .upsert_records(vec![
            Record::from(paper("2503.00001", "One")),
            Record::from(paper("2503.00002", "Two")),
        ])
        .await
        .unwrap();
    let ada = store
        .create_user(&Username::parse("ada").unwrap(), "h", false)
        .await
        .unwrap();
    let bob = store
        .create_user(&Username::parse("bob").unwrap(), "h", false)
        .await
        .unwrap();
    let one = id("2503.00001");
    assert!(store.set_not_interested(ada.id, &one, true).await.unwrap());
    assert!(
        store.set_not_interested(ada.id, &one, true).await.unwrap(),
        "twice is once"
    );
    assert!(
        !store
            .set_not_interested(ada.id, &id("2503.09999"), true)
            .await
            .unwrap(),
        "an unknown paper"
    );
    let ids = vec!["2503.00001".to_string(), "2503.00002".to_string()];
    assert_eq!(
        store.not_interested_among(ada.id, &ids).await.unwrap(),
        ["2503.00001"]
    );
    assert!(store
        .not_interested_among(bob.id, &ids)
        .await
        .unwrap()
        .is_empty());
    let listed = store.not_interested(ada.id, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].title, "One");
    assert!(store.set_not_interested(ada.id, &one, false).await.unwrap());
    assert!(store.not_interested(ada.id, 10).await.unwrap().is_empty());
}

//! The store suite: a reader's library (not interested, collections). Every check runs on SQLite and on
//! PostgreSQL.

use crate::prelude::*;
use dp_core::CollectionTitle;
use dp_store::{Added, AddedMany, CollectionEdit, CollectionQuery, CollectionSort};

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

on_both!(
    collections_hold_ordered_papers_with_notes_and_keep_their_slug,
    collection_limits_hold_and_nothing_is_half_added,
    only_public_collections_are_found_unless_they_are_the_viewers
);

async fn two_papers_and(store: &Arc<dyn Store>, names: &[&str]) -> Vec<dp_core::User> {
    store
        .upsert_records(vec![
            Record::from(paper("2503.00001", "One")),
            Record::from(paper("2503.00002", "Two")),
            Record::from(paper("2503.00003", "Three")),
        ])
        .await
        .unwrap();
    let mut out = Vec::new();
    for n in names {
        out.push(
            store
                .create_user(&Username::parse(n).unwrap(), "h", false)
                .await
                .unwrap(),
        );
    }
    out
}

fn title(s: &str) -> CollectionTitle {
    CollectionTitle::parse(s).unwrap()
}

async fn collections_hold_ordered_papers_with_notes_and_keep_their_slug(store: Arc<dyn Store>) {
    let users = two_papers_and(&store, &["ada"]).await;
    let ada = &users[0];
    let c = store
        .create_collection(ada.id, &title("Diffusion & LLMs"), Some("d"), true, 10)
        .await
        .unwrap()
        .expect("under the limit");
    assert_eq!(c.slug, format!("diffusion-llms-{}", c.id));
    assert_eq!(c.owner, "ada");
    assert!(c.private);
    assert_eq!(c.items, 0);
    let mut items = Vec::new();
    for (i, note) in [
        ("2503.00001", Some("first")),
        ("2503.00002", None),
        ("2503.00003", None),
    ] {
        match store
            .add_collection_item(c.id, &id(i), note, 10)
            .await
            .unwrap()
        {
            Added::New(item) => items.push(item),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        items.iter().map(|i| i.position).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    match store
        .add_collection_item(c.id, &id("2503.00001"), Some("again"), 10)
        .await
        .unwrap()
    {
        Added::Exists(item) => assert_eq!(item.note.as_deref(), Some("first"), "unchanged"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .add_collection_item(c.id, &id("2503.09999"), None, 10)
            .await
            .unwrap(),
        Added::NoPaper
    );
    assert_eq!(
        store
            .add_collection_item(c.id + 100, &id("2503.00001"), None, 10)
            .await
            .unwrap(),
        Added::NoCollection
    );
    // Move the last to the front; change a note; clear one.
    assert!(store
        .update_collection_item(c.id, items[2].id, Some(Some("now first")), Some(0))
        .await
        .unwrap());
    assert!(store
        .update_collection_item(c.id, items[0].id, Some(None), None)
        .await
        .unwrap());
    let now = store.collection_items(c.id).await.unwrap();
    let order: Vec<&str> = now.iter().map(|i| i.paper.title.as_str()).collect();
    assert_eq!(order, ["Three", "One", "Two"]);
    assert_eq!(now[0].note.as_deref(), Some("now first"));
    assert_eq!(now[1].note, None);
    assert_eq!(
        now.iter().map(|i| i.position).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // A position past the end goes last.
    assert!(store
        .update_collection_item(c.id, items[2].id, None, Some(99))
        .await
        .unwrap());
    let order: Vec<String> = store
        .collection_items(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.paper.title)
        .collect();
    assert_eq!(order, ["One", "Two", "Three"]);
    // An item of another collection is not this one's.
    let other = store
        .create_collection(ada.id, &title("Other"), None, false, 10)
        .await
        .unwrap()
        .unwrap();
    assert!(!store
        .update_collection_item(other.id, items[0].id, Some(Some("x")), None)
        .await
        .unwrap());
    assert!(!store
        .remove_collection_item(other.id, items[0].id)
        .await
        .unwrap());
    // Renamed: the slug stays; visibility flips.
    assert!(store
        .update_collection(
            c.id,
            &CollectionEdit {
                title: Some(title("Renamed")),
                description: Some(None),
                private: Some(false),
            },
        )
        .await
        .unwrap());
    let back = store.collection(c.id).await.unwrap().unwrap();
    assert_eq!(back.title, "Renamed");
    assert_eq!(back.slug, c.slug);
    assert_eq!(back.description, None);
    assert!(!back.private);
    assert_eq!(back.items, 3);
    // Saved in which collections.
    store
        .add_collection_item(other.id, &id("2503.00002"), None, 10)
        .await
        .unwrap();
    let mut saved = store
        .saved_among(
            ada.id,
            &["2503.00002".to_string(), "2503.00009".to_string()],
        )
        .await
        .unwrap();
    saved.sort();
    assert_eq!(
        saved,
        [
            ("2503.00002".to_string(), c.id),
            ("2503.00002".to_string(), other.id)
        ]
    );
    assert!(store
        .remove_collection_item(c.id, items[1].id)
        .await
        .unwrap());
    assert_eq!(store.collection_items(c.id).await.unwrap().len(), 2);
    assert!(store.delete_collection(c.id).await.unwrap());
    assert!(store.collection(c.id).await.unwrap().is_none());
    assert!(!store.delete_collection(c.id).await.unwrap());
    assert_eq!(store.collections_of(ada.id, true).await.unwrap().len(), 1);
}

async fn collection_limits_hold_and_nothing_is_half_added(store: Arc<dyn Store>) {
    let users = two_papers_and(&store, &["ada"]).await;
    let ada = &users[0];
    let a = store
        .create_collection(ada.id, &title("A"), None, true, 2)
        .await
        .unwrap()
        .unwrap();
    store
        .create_collection(ada.id, &title("B"), None, true, 2)
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .create_collection(ada.id, &title("C"), None, true, 2)
            .await
            .unwrap()
            .is_none(),
        "the third is over the limit"
    );
    for i in ["2503.00001", "2503.00002"] {
        assert!(matches!(
            store
                .add_collection_item(a.id, &id(i), None, 2)
                .await
                .unwrap(),
            Added::New(_)
        ));
    }
    assert_eq!(
        store
            .add_collection_item(a.id, &id("2503.00003"), None, 2)
            .await
            .unwrap(),
        Added::Full
    );
    assert_eq!(
        store.collection_items(a.id).await.unwrap().len(),
        2,
        "nothing half-added"
    );
}

async fn only_public_collections_are_found_unless_they_are_the_viewers(store: Arc<dyn Store>) {
    let users = two_papers_and(&store, &["ada", "bob"]).await;
    let (ada, bob) = (&users[0], &users[1]);
    let open = store
        .create_collection(ada.id, &title("Open 100% _x"), None, false, 10)
        .await
        .unwrap()
        .unwrap();
    let closed = store
        .create_collection(ada.id, &title("Closed"), None, true, 10)
        .await
        .unwrap()
        .unwrap();
    store
        .add_collection_item(open.id, &id("2503.00001"), None, 10)
        .await
        .unwrap();
    store
        .add_collection_item(closed.id, &id("2503.00001"), None, 10)
        .await
        .unwrap();
    let find = |owner: Option<&str>, paper: Option<&str>, t: Option<&str>, viewer: Option<i64>| {
        let store = store.clone();
        let q = CollectionQuery {
            owner: owner.map(str::to_string),
            paper: paper.map(str::to_string),
            title: t.map(str::to_string),
            sort: CollectionSort::LastModified,
            limit: 10,
            viewer,
        };
        async move {
            store
                .find_collections(&q)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.title)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find(None, None, None, None).await, ["Open 100% _x"]);
    assert_eq!(
        find(Some("ADA"), None, None, Some(bob.id)).await,
        ["Open 100% _x"]
    );
    assert_eq!(
        find(Some("ada"), Some("2503.00001"), None, Some(ada.id)).await,
        ["Closed", "Open 100% _x"]
    );
    assert!(find(Some("bob"), None, None, None).await.is_empty());
    assert!(find(None, Some("2503.00002"), None, None).await.is_empty());
    assert_eq!(find(None, None, Some("100%"), None).await, ["Open 100% _x"]);
    assert!(
        find(None, None, Some("1000%"), None).await.is_empty(),
        "% is literal"
    );
    assert!(
        find(None, None, Some("n_1"), None).await.is_empty(),
        "_ is literal"
    );
    assert_eq!(store.collections_of(ada.id, false).await.unwrap().len(), 1);
    assert_eq!(store.collections_of(ada.id, true).await.unwrap().len(), 2);
}

on_both!(many_papers_go_in_together_or_not_at_all_and_references_find_papers);

async fn many_papers_go_in_together_or_not_at_all_and_references_find_papers(
    store: Arc<dyn Store>,
) {
    let users = two_papers_and(&store, &["ada"]).await;
    let mut doi = paper("2503.00004", "Über Große Modelle");
    doi.doi = Some("10.1000/Big.Model".into());
    store.upsert_records(vec![Record::from(doi)]).await.unwrap();
    let c = store
        .create_collection(users[0].id, &title("Imported"), None, true, 10)
        .await
        .unwrap()
        .unwrap();
    store
        .add_collection_item(c.id, &id("2503.00001"), None, 10)
        .await
        .unwrap();
    let want = |ids: &[&str]| -> Vec<(String, Option<String>)> {
        ids.iter().map(|i| (i.to_string(), None)).collect()
    };
    // Three new (one twice in the input) with room for two: nothing goes in.
    let three = want(&["2503.00002", "2503.00003", "2503.00004", "2503.00002"]);
    assert_eq!(
        store.add_collection_items(c.id, &three, 3).await.unwrap(),
        AddedMany::Full { room: 2 }
    );
    assert_eq!(
        store.collection_items(c.id).await.unwrap().len(),
        1,
        "nothing half-written"
    );
    assert_eq!(
        store.add_collection_items(c.id, &three, 10).await.unwrap(),
        AddedMany::Done {
            added: 3,
            already: 1
        }
    );
    let order: Vec<String> = store
        .collection_items(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.paper.id.to_string())
        .collect();
    assert_eq!(
        order,
        ["2503.00001", "2503.00002", "2503.00003", "2503.00004"]
    );
    assert_eq!(
        store
            .add_collection_items(c.id + 99, &three, 10)
            .await
            .unwrap(),
        AddedMany::NoCollection
    );
    // Matching: ids that exist, DOIs in any case, titles in the database's letter case.
    let m = store
        .match_papers(
            &["2503.00001".into(), "2503.09999".into()],
            &["10.1000/big.model".into(), "10.9/none".into()],
            &["two".into(), "über große modelle".into(), "Nothing".into()],
        )
        .await
        .unwrap();
    assert_eq!(m.ids, ["2503.00001"]);
    assert_eq!(
        m.by_doi,
        [("10.1000/big.model".to_string(), "2503.00004".to_string())]
    );
    let mut titles: Vec<String> = m.by_title.iter().map(|(_, id)| id.clone()).collect();
    titles.sort();
    // SQLite lowers ASCII letters only, so "Über" matches "über" on PostgreSQL alone; the use
    // case compares what comes back in full Unicode case.
    assert!(titles.contains(&"2503.00002".to_string()), "{titles:?}");
}

//! The store suite: mail. Every check runs on SQLite and on PostgreSQL.

use crate::prelude::*;

on_both!(subscriptions_and_the_outbox);

async fn subscriptions_and_the_outbox(store: Arc<dyn Store>) {
    use dp_store::{Cadence, Delivery, SubState};
    let a = store
        .subscribe(
            "Ada@Example.org",
            "ada@example.org",
            Cadence::Daily,
            None,
            &["diffusion".into()],
        )
        .await
        .unwrap();
    assert_eq!((a.state, a.cadence), (SubState::Pending, Cadence::Daily));
    assert_eq!(a.searches, ["diffusion"]);
    // Subscribing again while pending changes the settings; once confirmed, nothing changes.
    let again = store
        .subscribe(
            "ada@example.org",
            "ada@example.org",
            Cadence::Weekly,
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!((again.id, again.cadence), (a.id, Cadence::Weekly));
    assert!(store
        .set_subscriber_state(a.id, SubState::Confirmed)
        .await
        .unwrap());
    let confirmed = store
        .subscribe(
            "ada@example.org",
            "ada@example.org",
            Cadence::Daily,
            None,
            &["x".into()],
        )
        .await
        .unwrap();
    assert_eq!(
        (confirmed.state, confirmed.cadence, confirmed.searches.len()),
        (SubState::Confirmed, Cadence::Weekly, 0)
    );
    store
        .set_subscriber_state(a.id, SubState::Unsubscribed)
        .await
        .unwrap();
    let back = store
        .subscribe(
            "ada@example.org",
            "ada@example.org",
            Cadence::Daily,
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        back.state,
        SubState::Pending,
        "subscribing after leaving starts over"
    );
    store
        .set_subscriber_state(a.id, SubState::Confirmed)
        .await
        .unwrap();
    // Ten confirmed daily subscribers in all, one pending, one weekly.
    let mut ids = vec![a.id];
    for i in 0..9 {
        let e = format!("r{i}@example.org");
        let s = store
            .subscribe(&e, &e, Cadence::Daily, None, &[])
            .await
            .unwrap();
        store
            .set_subscriber_state(s.id, SubState::Confirmed)
            .await
            .unwrap();
        ids.push(s.id);
    }
    store
        .subscribe("p@example.org", "p@example.org", Cadence::Daily, None, &[])
        .await
        .unwrap();
    let w = store
        .subscribe("w@example.org", "w@example.org", Cadence::Weekly, None, &[])
        .await
        .unwrap();
    store
        .set_subscriber_state(w.id, SubState::Confirmed)
        .await
        .unwrap();
    let run = "daily:2025-03-17";
    // Planning in batches, twice: ten rows.
    for _ in 0..2 {
        let mut after = 0;
        while let Some(last) = store.plan_run(run, Cadence::Daily, after, 4).await.unwrap() {
            after = last;
        }
    }
    assert_eq!(store.outbox_counts(run).await.unwrap().queued, 10);
    // Claimed rows are not claimed twice; a dead sender's rows are queued again.
    let first = store.claim_outbox(run, 4).await.unwrap();
    assert_eq!(first.len(), 4);
    assert_eq!(first[0].subscriber.email, "ada@example.org");
    let second = store.claim_outbox(run, 100).await.unwrap();
    assert_eq!(second.len(), 6);
    assert!(store.claim_outbox(run, 100).await.unwrap().is_empty());
    assert_eq!(store.requeue_sending(run).await.unwrap(), 10);
    let batch = store.claim_outbox(run, 100).await.unwrap();
    let day = day("2025-03-17");
    let soon = Utc::now() + chrono::Duration::seconds(1);
    store
        .finish_outbox(&batch[0], &Delivery::Sent, day)
        .await
        .unwrap();
    store
        .finish_outbox(&batch[1], &Delivery::Skipped, day)
        .await
        .unwrap();
    store
        .finish_outbox(
            &batch[2],
            &Delivery::Retry {
                error: "421 busy".into(),
                retry_at: soon,
            },
            day,
        )
        .await
        .unwrap();
    store
        .finish_outbox(
            &batch[3],
            &Delivery::Failed {
                error: "550 no such user".into(),
            },
            day,
        )
        .await
        .unwrap();
    for item in &batch[4..] {
        store
            .finish_outbox(item, &Delivery::Sent, day)
            .await
            .unwrap();
    }
    let c = store.outbox_counts(run).await.unwrap();
    assert_eq!(
        (c.sent, c.skipped, c.queued, c.failed, c.sending),
        (7, 1, 1, 1, 0)
    );
    // The retry is not due yet; later it is, with its attempt counted.
    assert!(store.claim_outbox(run, 10).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let retry = store.claim_outbox(run, 10).await.unwrap();
    assert_eq!((retry.len(), retry[0].attempts), (1, 1));
    // A permanent failure marks the subscriber; a sent digest notes the day.
    let failed = store
        .subscriber(batch[3].subscriber.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(failed.state, SubState::Failed);
    assert!(failed.last_error.unwrap().contains("550"));
    let sent = store
        .subscriber(batch[0].subscriber.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent.last_sent_day, Some(day));
    // Planning the run again adds nothing, even for rows that finished.
    store.plan_run(run, Cadence::Daily, 0, 100).await.unwrap();
    let c = store.outbox_counts(run).await.unwrap();
    assert_eq!(c.sent + c.skipped + c.queued + c.failed + c.sending, 10);
    assert_eq!(
        store
            .confirmed_subscribers(Cadence::Daily, 0, 100)
            .await
            .unwrap()
            .len(),
        9,
        "the failed one is no longer confirmed"
    );
}

//! Harvests on the default schedule: several servers on one PostgreSQL fetch each source once
//! per run, and fill an empty store with the last two weeks of Hugging Face lists and the
//! harvested arXiv set.

use chrono::Utc;
use dp_app::config::Config;
use dp_app::jobs::Worker;
use dp_app::App;
use dp_ingest::fetch::HttpFetcher;
use dp_testkit::replay::{oai_chain, oai_reply, HfArchive, Mock, OAI_IDS};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_postgresql_fetch_each_source_once_per_run() {
    let Some(data) = dp_testkit::env::shared_data() else {
        return;
    };
    let Some(url) = dp_testkit::db::fresh_postgres_url().await else {
        return;
    };
    let today = Utc::now().date_naive();
    let hf = Arc::new(HfArchive::recent(&data, 14, today));
    let h = hf.clone();
    let hf_mock = Mock::start(move |hit| h.reply(hit)).await;
    let chain = Arc::new(oai_chain(&data));
    let c = chain.clone();
    let oai_mock = Mock::start(move |hit| oai_reply(&c, hit)).await;

    // The default schedule, pointed at the replay servers.
    let mut config = Config::default();
    config.harvest.hf_url = hf_mock.base.clone();
    config.harvest.oai_url = format!("{}/oai", oai_mock.base);
    config.harvest.oai_sets = vec!["physics:hep-ex".into()];
    config.harvest.request_interval_secs = 0.0;
    assert_eq!(
        (config.harvest.hf_minutes(), config.harvest.oai_minutes()),
        (60, 360)
    );

    let mut servers = Vec::new();
    for _ in 0..2 {
        let store = dp_store::open(&url).await.unwrap();
        let app = App::new(store, config.rules());
        let fetcher = Arc::new(HttpFetcher::new(config.fetch_policy()).unwrap());
        let worker = Worker::with_fetcher(app, config.clone(), None, fetcher).unwrap();
        servers.push(tokio::spawn(worker.run()));
    }
    let store = dp_store::open(&url).await.unwrap();
    let t = Instant::now();
    loop {
        let hf_done = store.last_success("harvest-hf:").await.unwrap();
        let oai_done = store
            .last_success("harvest-oai:physics:hep-ex:")
            .await
            .unwrap();
        if hf_done.is_some() && oai_done.is_some() {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "not filled within 60 s: {:?}",
            store.job_runs("", 10).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both servers look at the schedule again (every 5 s) before they stop.
    tokio::time::sleep(Duration::from_secs(11)).await;
    for s in &servers {
        s.abort();
    }

    // Each of the 14 days once, oldest first; the OAI chain once (two pages).
    let days: Vec<String> = hf_mock
        .hits()
        .iter()
        .filter_map(|h| h.param("date"))
        .collect();
    let expected: Vec<String> = (0..14)
        .map(|i| (hf.first + chrono::Days::new(i)).to_string())
        .collect();
    assert_eq!(days, expected);
    assert_eq!(oai_mock.queries().len(), 2, "{:?}", oai_mock.queries());
    assert!(
        hf_mock
            .hits()
            .iter()
            .chain(oai_mock.hits().iter())
            .all(|h| h.user_agent.starts_with("dailypapers/")),
        "a real User-Agent"
    );

    // The store holds today's list in Hugging Face's order, and the OAI records.
    let list: Vec<String> = store
        .day_feed(today)
        .await
        .unwrap()
        .iter()
        .map(|i| i.paper.id.to_string())
        .collect();
    assert!(!list.is_empty());
    let mut in_hf_order = hf.ids(today);
    in_hf_order.retain(|i| list.contains(i));
    assert_eq!(list, in_hf_order);
    for id in OAI_IDS {
        let id = dp_core::ArxivId::parse(id).unwrap();
        assert!(store.paper(&id).await.unwrap().is_some(), "{id}");
    }
}

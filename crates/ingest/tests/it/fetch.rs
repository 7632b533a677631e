//! The HTTP fetcher: retries and Retry-After, pacing and the User-Agent, unreachable hosts and silent servers.

use crate::*;
use dp_ingest::fetch::{FetchError, FetchPolicy, Fetcher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// 3. Retries: Retry-After is honoured, client errors are not retried

#[tokio::test]
async fn retry_after_is_honoured_and_404_is_not_retried() {
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    let mock = Mock::start(move |hit: &Hit| match hit.path.as_str() {
        "/flaky" => {
            if c.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, "1")],
                    "busy",
                )
                    .into_response()
            } else {
                "ok at last".into_response()
            }
        }
        _ => status(404),
    })
    .await;
    // A long backoff, so a pass can only come from honouring Retry-After (1 s).
    let f = fetcher(FetchPolicy {
        backoff: Duration::from_millis(50),
        max_retries: 2,
        ..quick()
    });
    let t0 = Instant::now();
    let body = f.get(&format!("{}/flaky", mock.base)).await.unwrap();
    assert_eq!(body, b"ok at last");
    let hits = mock.hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    let gap = hits[1].at - hits[0].at;
    assert!(
        gap >= Duration::from_millis(900),
        "waited only {gap:?} after Retry-After: 1"
    );
    assert!(t0.elapsed() < Duration::from_secs(5));

    let err = f.get(&format!("{}/missing", mock.base)).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 404, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("404"), "{err}");
    let hits = mock.hits();
    assert_eq!(hits.len(), 3, "a 404 is asked once: {hits:?}");
    assert_eq!(hits[2].path, "/missing");
}

#[tokio::test]
async fn server_errors_are_retried_until_the_retries_run_out() {
    let mock = Mock::start(|_: &Hit| status(502)).await;
    let f = fetcher(FetchPolicy {
        max_retries: 2,
        ..quick()
    });
    let err = f.get(&format!("{}/down", mock.base)).await.unwrap_err();
    assert!(
        matches!(err, FetchError::Status { status: 502, .. }),
        "{err:?}"
    );
    assert_eq!(mock.hits().len(), 3, "one attempt and two retries");
}

// ---------------------------------------------------------------------------------------------
// 4. Politeness: pacing and the User-Agent

#[tokio::test]
async fn requests_are_paced_and_carry_the_user_agent() {
    let mock = Mock::start(|_: &Hit| "fine".into_response()).await;
    let ua = "dailypapers-test/0.0 (mailto:harvest-test@example.org)";
    let f = fetcher(FetchPolicy {
        min_interval: Duration::from_millis(300),
        user_agent: ua.to_string(),
        ..quick()
    });
    let t0 = Instant::now();
    for i in 0..3 {
        assert_eq!(
            f.get(&format!("{}/p{i}", mock.base)).await.unwrap(),
            b"fine"
        );
    }
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(600),
        "three requests in {took:?}"
    );
    let hits = mock.hits();
    assert_eq!(hits.len(), 3);
    for w in hits.windows(2) {
        let gap = w[1].at - w[0].at;
        assert!(gap >= Duration::from_millis(280), "requests {gap:?} apart");
    }
    assert!(hits.iter().all(|h| h.user_agent == ua), "{hits:?}");

    // The default names the project.
    let f = fetcher(quick());
    f.get(&format!("{}/default", mock.base)).await.unwrap();
    let last = mock.hits().pop().unwrap();
    assert!(last.user_agent.starts_with("dailypapers/"), "{last:?}");
}

// ---------------------------------------------------------------------------------------------
// 5. No network: unreachable hosts and servers that never answer

#[tokio::test]
async fn unreachable_host_and_silent_server() {
    let f = fetcher(FetchPolicy {
        max_retries: 0,
        ..quick()
    });
    let err = f.get("http://127.0.0.1:1/").await.unwrap_err();
    assert!(matches!(err, FetchError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");

    // Accepts connections, reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    let f = fetcher(FetchPolicy {
        timeout: Duration::from_millis(300),
        max_retries: 0,
        ..quick()
    });
    let t0 = Instant::now();
    let err = f.get(&format!("http://{addr}/slow")).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

//! Thumbnails from a replay of the mirror's pictures and of arXiv's PDFs: a recorded picture
//! is kept; a PNG bomb, a page of HTML behind a picture's address, a PDF over the cap, a PDF
//! that is not one, and a renderer that hangs are refused without losing anything.

use chrono::{Duration, Utc};
use dp_app::config::Config;
use dp_app::thumbnails::{refresh, render_first_page, ThumbRun};
use dp_core::HfExtras;
use dp_ingest::fetch::HttpFetcher;
use dp_store::Store;
use dp_testkit::db::TestStore;
use dp_testkit::replay::{bytes as bytes_response, Mock};
use dp_testkit::{entry, paper, rec};
use std::sync::Arc;

const PNG: &[u8] = include_bytes!("../../../testkit/fixtures/images/thumb.png");
const PDF: &[u8] = include_bytes!("../../../testkit/fixtures/images/page.pdf");

/// Whether poppler's `pdftoppm` is here (CI installs it: without it, CI fails).
fn pdftoppm() -> bool {
    let here = std::process::Command::new("pdftoppm")
        .arg("-v")
        .output()
        .is_ok();
    if !here {
        assert!(
            std::env::var_os("CI").is_none(),
            "pdftoppm is missing: apt-get install poppler-utils"
        );
        println!("NOTICE: pdftoppm is missing (apt-get install poppler-utils); skipping");
    }
    here
}

#[tokio::test]
async fn thumbnails_from_pictures_or_first_pages_and_hostile_inputs_refused() {
    let Some(db) = TestStore::new().await else {
        return;
    };
    if !pdftoppm() {
        return;
    }
    let mock = Mock::start(|hit| {
        match hit.path.as_str() {
            "/thumbs/ok.png" => bytes_response(200, PNG.to_vec(), "image/png"),
            "/thumbs/bomb.png" => {
                // 50,000 × 50,000 pixels declared in a few hundred bytes.
                let mut b = dp_ingest::image::png_header(50_000, 50_000);
                b.extend_from_slice(&[0u8; 200]);
                bytes_response(200, b, "image/png")
            }
            "/thumbs/html.png" => bytes_response(
                200,
                b"<!doctype html><title>Not found</title>".to_vec(),
                "image/png",
            ),
            "/pdf/2503.00002" => bytes_response(200, PDF.to_vec(), "application/pdf"),
            "/pdf/2503.00003" => {
                let mut huge = b"%PDF-1.4\n".to_vec();
                huge.resize(3 * 1024 * 1024, b' ');
                bytes_response(200, huge, "application/pdf")
            }
            "/pdf/2503.00004" => bytes_response(200, b"<html>captcha</html>".to_vec(), "text/html"),
            _ => bytes_response(404, b"not found".to_vec(), "text/plain"),
        }
    })
    .await;
    let store: Arc<dyn Store> = db.store.clone();
    let with_thumb = |d: &str, pid: &str, thumb: Option<String>| {
        let mut e = entry(d, pid, 1);
        e.hf = Some(HfExtras {
            thumbnail: thumb,
            ..HfExtras::default()
        });
        rec(paper(pid, "P"), Some(e))
    };
    let t = |name: &str| Some(format!("{}/thumbs/{name}", mock.base));
    store
        .upsert_records(vec![
            with_thumb("2025-03-17", "2503.00001", t("ok.png")),
            with_thumb("2025-03-16", "2503.00002", t("bomb.png")),
            with_thumb("2025-03-15", "2503.00003", t("html.png")),
            with_thumb("2025-03-14", "2503.00004", None),
            rec(paper("2503.00005", "On no list"), None),
        ])
        .await
        .unwrap();
    let mut config = Config::default();
    config.harvest.pdf_url = format!("{}/pdf", mock.base);
    config.harvest.pdf_max_mb = 1;
    config.harvest.request_interval_secs = 0.0;
    config.harvest.max_retries = 0;
    let fetcher = HttpFetcher::new(config.fetch_policy()).unwrap();
    let now = Utc::now();
    let none = |_: usize, _: usize| {};

    let run = refresh(store.as_ref(), &fetcher, &config, now, &none)
        .await
        .unwrap();
    assert_eq!(
        run,
        ThumbRun {
            due: 4,
            from_hf: 1,
            from_pdf: 1,
            failed: 2
        }
    );
    let ids: Vec<String> = (1..=5).map(|i| format!("2503.0000{i}")).collect();
    let thumbs = store.thumbnails_of(&ids).await.unwrap();
    assert_eq!(thumbs.len(), 2, "{thumbs:?}");
    let a = &thumbs["2503.00001"];
    assert_eq!((a.mime.as_str(), a.width, a.height), ("image/jpeg", 64, 36));
    let (mime, bytes) = store.image(&a.hash).await.unwrap().unwrap();
    assert_eq!(mime, "image/jpeg");
    assert!(bytes.starts_with(&[0xff, 0xd8]), "made again as a JPEG");
    assert_ne!(
        bytes.as_slice(),
        PNG,
        "nothing of the fetched file is served"
    );
    // The bomb's paper got the first page of its PDF instead, at most 480 px on a side.
    let b = &thumbs["2503.00002"];
    assert_eq!(b.mime, "image/jpeg");
    assert!(b.height == 480 && b.width < 480, "{b:?}");
    // Nothing of the hostile answers was kept; no request for the paper on no list.
    assert!(!mock.hits().iter().any(|h| h.path.contains("2503.00005")));

    // At once again: nothing is due (failures wait); a day later the two failures are.
    let run = refresh(store.as_ref(), &fetcher, &config, now, &none)
        .await
        .unwrap();
    assert_eq!(run.due, 0);
    let run = refresh(
        store.as_ref(),
        &fetcher,
        &config,
        now + Duration::hours(25),
        &none,
    )
    .await
    .unwrap();
    assert_eq!((run.due, run.failed), (2, 2));
}

#[tokio::test]
async fn a_renderer_that_hangs_is_stopped() {
    if !pdftoppm() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow-pdftoppm");
    std::fs::write(&slow, "#!/bin/sh\nsleep 30\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
    let t = std::time::Instant::now();
    let e = render_first_page(
        PDF,
        slow.to_str().unwrap(),
        std::time::Duration::from_secs(1),
    )
    .await
    .unwrap_err();
    assert!(e.contains("more than 1 s"), "{e}");
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    // And the real one renders the fixture.
    let png = render_first_page(PDF, "pdftoppm", std::time::Duration::from_secs(20))
        .await
        .unwrap();
    assert!(png.starts_with(b"\x89PNG"));
}

//! Thumbnails of listed papers, served from this site (the Content-Security-Policy stays
//! `'self'`): the picture of the mirrored Hugging Face item, fetched once and checked
//! ([`dp_ingest::image::check`]); for a paper without one, the first page of its arXiv PDF,
//! rendered by poppler's `pdftoppm` with caps on the PDF's bytes and the rendering's time.

use crate::config::Config;
use crate::{App, Error};
use chrono::{DateTime, Utc};
use dp_core::ArxivId;
use dp_ingest::fetch::{FetchError, Fetcher, Request};
use dp_ingest::image::{check, Image, MAX_BYTES};
use dp_store::{NewImage, Store, Thumb};
use std::collections::HashMap;
use std::time::Duration;

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ThumbRun {
    /// Papers due.
    pub due: usize,
    /// Thumbnails stored from the mirrored pictures.
    pub from_hf: usize,
    /// Thumbnails rendered from PDFs.
    pub from_pdf: usize,
    /// Papers left without one (tried again later).
    pub failed: usize,
}

/// Why one paper got no thumbnail (stored, shown to admins in logs).
#[derive(Debug)]
enum Miss {
    /// The source cannot be reached: stop the run.
    Down(FetchError),
    /// This paper's source gave nothing usable.
    Bad(String),
}

impl From<FetchError> for Miss {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Unreachable { .. } | FetchError::Timeout { .. } => Miss::Down(e),
            e => Miss::Bad(e.to_string()),
        }
    }
}

/// Fetches a picture (at most [`MAX_BYTES`]) and checks it.
async fn picture(fetcher: &dyn Fetcher, url: &str) -> Result<Image, Miss> {
    let reply = fetcher
        .request(&Request {
            url: url.to_string(),
            headers: vec![("Accept".into(), "image/*".into())],
            max_body: Some(MAX_BYTES),
        })
        .await?;
    if reply.status != 200 {
        return Err(Miss::Bad(format!("{url} answered HTTP {}", reply.status)));
    }
    check(reply.body).map_err(|e| Miss::Bad(format!("{url}: {e}")))
}

/// Renders the first page of a PDF to a PNG at most 480 pixels wide.
pub async fn render_first_page(
    pdf: &[u8],
    pdftoppm: &str,
    limit: Duration,
) -> Result<Vec<u8>, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("a temporary folder: {e}"))?;
    let input = dir.path().join("in.pdf");
    tokio::fs::write(&input, pdf)
        .await
        .map_err(|e| format!("writing the PDF: {e}"))?;
    let out = dir.path().join("page");
    let mut child = tokio::process::Command::new(pdftoppm)
        .args([
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-scale-to",
            "480",
            "-singlefile",
        ])
        .arg(&input)
        .arg(&out)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{pdftoppm} cannot run: {e}"))?;
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(s) => s.map_err(|e| format!("{pdftoppm}: {e}"))?,
        Err(_) => {
            let _ = child.kill().await;
            return Err(format!("rendering took more than {} s", limit.as_secs()));
        }
    };
    if !status.success() {
        return Err(format!("{pdftoppm} failed ({status})"));
    }
    tokio::fs::read(dir.path().join("page.png"))
        .await
        .map_err(|e| format!("no page rendered: {e}"))
}

/// Fetches a paper's PDF (within the cap) and renders its first page.
async fn from_pdf(fetcher: &dyn Fetcher, config: &Config, id: &ArxivId) -> Result<Image, Miss> {
    let h = &config.harvest;
    let url = format!("{}/{}", h.pdf_url.trim_end_matches('/'), id.base());
    let reply = fetcher
        .request(&Request {
            url: url.clone(),
            headers: vec![("Accept".into(), "application/pdf".into())],
            max_body: Some((h.pdf_max_mb as usize).saturating_mul(1024 * 1024)),
        })
        .await?;
    if reply.status != 200 {
        return Err(Miss::Bad(format!("{url} answered HTTP {}", reply.status)));
    }
    if !reply.body.starts_with(b"%PDF-") {
        return Err(Miss::Bad(format!("{url}: not a PDF")));
    }
    let png = render_first_page(
        &reply.body,
        &h.pdftoppm,
        Duration::from_secs(h.pdf_render_secs),
    )
    .await
    .map_err(Miss::Bad)?;
    check(png).map_err(|e| Miss::Bad(format!("the rendered page: {e}")))
}

/// Gives the listed papers that are due a thumbnail: never tried (the newest lists first, at
/// most `thumbnails_per_run`), or failed more than `thumbnails_retry_hours` ago. A source that
/// cannot be reached stops the run with an error, after storing what it did.
pub async fn refresh(
    store: &dyn Store,
    fetcher: &dyn Fetcher,
    config: &Config,
    now: DateTime<Utc>,
    on_paper: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<ThumbRun, (ThumbRun, Error)> {
    let h = &config.harvest;
    let mut run = ThumbRun::default();
    let retry_before = now - chrono::Duration::hours(h.thumbnails_retry_hours as i64);
    let due = match store
        .papers_due_for_thumbnail(retry_before, h.thumbnails_per_run as i64)
        .await
    {
        Ok(d) => d,
        Err(e) => return Err((run, e.into())),
    };
    run.due = due.len();
    for (i, id) in due.iter().enumerate() {
        on_paper(i, run.due);
        let detail = match store.paper_detail(id).await {
            Ok(Some(d)) => d,
            Ok(None) => continue,
            Err(e) => return Err((run, e.into())),
        };
        let hf_url = detail
            .entries
            .iter()
            .filter_map(|e| e.hf.as_ref().and_then(|x| x.thumbnail.clone()))
            .find(|u| u.starts_with("https://") || u.starts_with("http://"));
        let mut outcome: Result<(Image, &str), Miss> =
            Err(Miss::Bad("no picture from the mirror".into()));
        if let Some(url) = &hf_url {
            outcome = picture(fetcher, url).await.map(|img| (img, "hf"));
        }
        if let Err(Miss::Bad(why)) = &outcome {
            if h.thumbnails_from_pdf {
                tracing::debug!(paper = %id, %why, "thumbnail: rendering the PDF instead");
                outcome = from_pdf(fetcher, config, id).await.map(|img| (img, "pdf"));
            }
        }
        let stored = match &outcome {
            Ok((img, source)) => {
                let new = NewImage {
                    hash: &img.hash,
                    mime: img.mime,
                    width: img.width as i64,
                    height: img.height as i64,
                    bytes: &img.bytes,
                };
                if *source == "hf" {
                    run.from_hf += 1;
                } else {
                    run.from_pdf += 1;
                }
                store.set_thumbnail(id, Ok(new), source, now).await
            }
            Err(Miss::Bad(why)) => {
                run.failed += 1;
                tracing::info!(paper = %id, %why, "no thumbnail");
                let source = if h.thumbnails_from_pdf { "pdf" } else { "hf" };
                store.set_thumbnail(id, Err(why), source, now).await
            }
            Err(Miss::Down(e)) => {
                return Err((run, Error::Upstream(format!("thumbnails: {e}"))));
            }
        };
        if let Err(e) = stored {
            return Err((run, e.into()));
        }
    }
    on_paper(run.due, run.due);
    Ok(run)
}

impl App {
    /// The thumbnails of these papers (bare ids), where they have one.
    pub async fn thumbnails(&self, papers: &[String]) -> Result<HashMap<String, Thumb>, Error> {
        Ok(self.store.thumbnails_of(papers).await?)
    }

    /// A stored picture by its hash: its type and bytes.
    pub async fn image(&self, hash: &str) -> Result<Option<(String, Vec<u8>)>, Error> {
        Ok(self.store.image(hash).await?)
    }
}

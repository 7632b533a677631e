#![allow(clippy::result_large_err)] // figment's error is large; it is built once, at start-up.
//! One typed configuration: defaults < `dailypapers.toml` < `DAILYPAPERS_*` environment < flags.

use figment::providers::{Env, Format as _, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The whole configuration. See `dailypapers.example.toml` for every key with its default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where data lives (the SQLite file, later search indexes).
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://...`; default: `sqlite://DATA_DIR/dailypapers.sqlite`.
    pub database_url: Option<String>,
    /// Address `serve` listens on.
    pub listen: String,
    /// Shown in page titles.
    pub site_name: String,
    /// The address readers use, e.g. `https://papers.example.org`; an `https` URL marks
    /// cookies `Secure`.
    pub public_url: Option<String>,
    /// Take client addresses from `X-Forwarded-For` (only behind proxies you run).
    pub trust_proxy_headers: bool,
    /// How many proxies you run in front of the server (each appends the address it saw to
    /// `X-Forwarded-For`; the client is that many entries from the right).
    pub proxy_hops: usize,
    /// A secret a Prometheus scraper sends as `Authorization: Bearer <token>` to read
    /// `/metrics`; without one, `/metrics` is off (404).
    pub metrics_token: Option<String>,
    /// Harvesting.
    pub harvest: HarvestConfig,
    /// Accounts, submissions and rate limits.
    pub community: CommunityConfig,
    /// Search.
    pub search: SearchConfig,
    /// E-mail digests.
    pub mail: MailConfig,
}

/// E-mail digests: the SMTP server, the sender, and what a digest holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Send mail from `serve`: subscriptions (confirmation mails) and scheduled digests. Needs
    /// `public_url`, which every link in a mail starts with.
    pub enabled: bool,
    /// SMTP server host.
    pub smtp_host: String,
    /// SMTP server port (25 plain, 587 STARTTLS, 465 TLS).
    pub smtp_port: u16,
    /// `plain`, `starttls` or `tls`.
    pub smtp_security: dp_mail::SmtpSecurity,
    /// SMTP user name, when the server wants authentication.
    pub smtp_username: Option<String>,
    /// SMTP password (prefer the environment: `DAILYPAPERS_MAIL__SMTP_PASSWORD`).
    pub smtp_password: Option<String>,
    /// SMTP connections kept open.
    pub smtp_pool: u32,
    /// Seconds an SMTP command may take.
    pub smtp_timeout_secs: u64,
    /// A PEM file of extra root certificates to trust for TLS (a private CA's).
    pub smtp_ca_file: Option<PathBuf>,
    /// The sender, e.g. `Daily Papers <digest@papers.example.org>`.
    pub from: String,
    /// Secret that signs confirmation and unsubscribe links; the same on every server. When
    /// unset, one is generated and kept in the store.
    pub secret: Option<String>,
    /// Papers of the list in each digest.
    pub top_papers: usize,
    /// New papers per saved search in each digest.
    pub papers_per_search: usize,
    /// Messages in flight at once during a run.
    pub concurrency: usize,
    /// Send digests from `serve` on schedule (one server of a cluster sends each run).
    pub schedule: bool,
    /// Local time the daily digest goes out, `HH:MM` (weekdays), after the day's list closed.
    pub send_at: String,
    /// Time zone of `send_at`, e.g. `Europe/Berlin` or `UTC`.
    pub time_zone: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            enabled: false,
            smtp_host: "localhost".into(),
            smtp_port: 25,
            smtp_security: dp_mail::SmtpSecurity::Plain,
            smtp_username: None,
            smtp_password: None,
            smtp_pool: 16,
            smtp_timeout_secs: 30,
            smtp_ca_file: None,
            from: "Daily Papers <digest@localhost.localdomain>".into(),
            secret: None,
            top_papers: 10,
            papers_per_search: 5,
            concurrency: 32,
            schedule: false,
            send_at: "08:00".into(),
            time_zone: "UTC".into(),
        }
    }
}

impl MailConfig {
    /// The SMTP settings (reads `smtp_ca_file`).
    pub fn smtp(&self) -> Result<dp_mail::SmtpSettings, crate::Error> {
        let ca_pem = match &self.smtp_ca_file {
            Some(f) => Some(std::fs::read(f).map_err(|e| {
                crate::Error::Invalid(format!("mail.smtp_ca_file {}: {e}", f.display()))
            })?),
            None => None,
        };
        Ok(dp_mail::SmtpSettings {
            host: self.smtp_host.clone(),
            port: self.smtp_port,
            security: self.smtp_security,
            username: self.smtp_username.clone(),
            password: self.smtp_password.clone(),
            pool_size: self.smtp_pool,
            timeout: std::time::Duration::from_secs(self.smtp_timeout_secs.max(1)),
            ca_pem,
        })
    }
}

/// Search settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchConfig {
    /// Folder of this server's keyword index (derived data, rebuilt when missing). Default:
    /// `DATA_DIR/search/ADDRESS_PORT`, so several servers on one machine keep separate indexes.
    pub index_dir: Option<PathBuf>,
    /// Folder of the sentence-embedding model in Hugging Face layout (`config.json`,
    /// `tokenizer.json`, `model.safetensors`). Default: `DATA_DIR/models/all-MiniLM-L6-v2`,
    /// where `scripts/fetch-model.sh` puts it. Without a model, search is keyword-only.
    pub model_dir: Option<PathBuf>,
    /// Above this many vectors the vector index is an HNSW graph instead of exact search.
    pub hnsw_threshold: Option<usize>,
    /// HNSW: links per node (more: better recall, more memory; default 32).
    pub hnsw_connectivity: Option<usize>,
    /// HNSW: candidates kept while searching (more: better recall, slower; default 1024).
    pub hnsw_search_width: Option<usize>,
    /// How the HNSW graph stores vectors: `f16` (default) or `i8` (for millions of papers: a
    /// graph of int8 vectors, and float16 rows in a scratch file beside the saved graph for
    /// ranking its best candidates exactly).
    pub vector_quantization: Option<dp_search::vector::Quantization>,
    /// `i8`: candidates taken from the graph and ranked exactly (default 100).
    pub vector_rescore: Option<usize>,
    /// A graph search whose best match scores below this cosine similarity runs again
    /// `vector_wide_width` wide (0: never; default 0.5 with `i8`, 0 with `f16`).
    pub vector_widen_below: Option<f32>,
    /// The search width of that second search (default 4096).
    pub vector_wide_width: Option<usize>,
    /// With widening on, each graph search first walks this wide; a query whose best match
    /// there is already below `vector_widen_below` skips the normal-width walk (default 64;
    /// 0: no probe).
    pub vector_probe_width: Option<usize>,
    /// Once the HNSW graph is built or loaded, move the process's large resident anonymous
    /// memory (chiefly the graph) into 2 MB pages (default true; Linux 6.1+).
    pub vector_huge_pages: Option<bool>,
    /// Papers embedded per batch by `embed` and the background job.
    pub embed_batch: Option<usize>,
    /// The arithmetic of the embedding model: `auto` (default: bf16 products on AMX tiles on
    /// CPUs with AMX-BF16, else fp16 products on CPUs with AVX512-FP16, else fp32; every vector
    /// within cosine 0.998 of the reference), `bf16`, `fp16`, `fp32`, or `candle` (the
    /// reference implementation, slow).
    pub embedding: Option<dp_search::embed::Backend>,
}

/// Community rules and rate limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityConfig {
    /// Only papers first published on arXiv at most this many days ago can be submitted.
    pub submit_max_age_days: i64,
    /// Submissions allowed per user in 24 hours.
    pub submissions_per_day: i64,
    /// Sign-in attempts allowed per client address in 15 minutes.
    pub logins_per_15min: i64,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_hour: i64,
    /// Votes, comments, claims and submissions allowed per user per minute.
    pub writes_per_minute: i64,
    /// API requests allowed per client address per minute, counted by each server (0: none).
    pub api_requests_per_minute: u32,
    /// Searches and similar-paper lookups (pages, feeds and API) allowed per client address per
    /// minute, counted by each server (0: none). They run the embedding model and both indexes.
    pub searches_per_minute: u32,
}

impl Default for CommunityConfig {
    fn default() -> Self {
        let r = crate::Rules::default();
        CommunityConfig {
            submit_max_age_days: r.submit_max_age_days,
            submissions_per_day: r.submissions_per_day,
            logins_per_15min: r.logins_per_15min,
            signups_per_hour: r.signups_per_hour,
            writes_per_minute: r.writes_per_minute,
            api_requests_per_minute: 600,
            searches_per_minute: 60,
        }
    }
}

/// Harvest settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarvestConfig {
    /// OAI-PMH endpoint.
    pub oai_url: String,
    /// arXiv categories to harvest: whole archives (`cs`, `stat`, `hep-th`) or subject classes
    /// (`cs.CL`, `stat.ML`). The OAI-PMH sets follow from them, and records of those sets are
    /// kept when one of their categories is asked for (cross-lists count).
    pub categories: Vec<String>,
    /// Whole OAI-PMH sets to harvest instead of `categories`, unfiltered (`physics:hep-th`).
    pub oai_sets: Vec<String>,
    /// arXiv API endpoint for single papers.
    pub arxiv_api_url: String,
    /// Base URL of a Hugging Face-compatible daily-papers API to mirror.
    pub hf_url: String,
    /// Mirror the Hugging Face list in scheduled harvests.
    pub hf_mirror: bool,
    /// Seconds between two requests to the same source (arXiv asks for 3).
    pub request_interval_secs: f64,
    /// Per-request timeout in seconds.
    pub timeout_secs: u64,
    /// Retries on temporary failures.
    pub max_retries: u32,
    /// User-Agent header; arXiv asks for a real one with a contact address.
    pub user_agent: Option<String>,
    /// Minutes between runs of the Hugging Face mirror inside `serve` (0: off).
    pub hf_every_minutes: u64,
    /// Minutes between OAI-PMH harvests inside `serve` (0: off).
    pub oai_every_minutes: u64,
    /// When set, both intervals at once (0 turns every scheduled harvest off); the
    /// `--harvest-every` flag sets it.
    pub schedule_minutes: Option<u64>,
    /// Days of Hugging Face lists a first run fetches (today included).
    pub hf_backfill_days: u64,
    /// Days of arXiv records a first OAI-PMH harvest of a set asks for.
    pub oai_backfill_days: u64,
    /// Seconds a claimed job's lease lasts; a running worker renews it every third of that, so
    /// a job whose server died is taken over by another server after at most this long.
    pub job_lease_secs: u64,
    /// Seconds before a failed job's first retry (doubled on each further one, up to an hour).
    pub job_retry_secs: u64,
    /// Minutes between runs that ask the Hub (`hf_url`) which models, datasets and Spaces
    /// cite the listed papers (0: off; only with `hf_mirror`).
    pub hub_every_minutes: u64,
    /// Papers asked about per run (three requests each, paced like every request).
    pub hub_papers_per_run: u64,
    /// Hours before a paper's repositories are asked about again.
    pub hub_refresh_hours: u64,
    /// Repositories of each kind kept per paper (all are counted).
    pub hub_keep_per_kind: u64,
    /// GitHub's REST API, asked for the stars of repositories that listed papers link.
    pub github_api_url: String,
    /// A GitHub token (`github_pat_...`; no scopes needed): 5,000 requests an hour instead of
    /// 60. Best given as DAILYPAPERS_HARVEST__GITHUB_TOKEN.
    pub github_token: Option<String>,
    /// Minutes between star refreshes (0: off).
    pub github_every_minutes: u64,
    /// Repositories asked about per run.
    pub github_repos_per_run: u64,
    /// Hours before a repository's stars are asked for again.
    pub github_refresh_hours: u64,
    /// Minutes between thumbnail runs (0: off; also off when `schedule_minutes` is 0).
    pub thumbnails_every_minutes: u64,
    /// Papers given a thumbnail per run.
    pub thumbnails_per_run: u64,
    /// Hours before a paper whose thumbnail failed is tried again.
    pub thumbnails_retry_hours: u64,
    /// Render the first page of the arXiv PDF for papers without a picture (needs poppler's
    /// `pdftoppm`).
    pub thumbnails_from_pdf: bool,
    /// The `pdftoppm` program.
    pub pdftoppm: String,
    /// Where arXiv PDFs are fetched: `{pdf_url}/{id}`.
    pub pdf_url: String,
    /// The largest PDF fetched, in MB.
    pub pdf_max_mb: u64,
    /// Seconds `pdftoppm` may take for one page.
    pub pdf_render_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./var"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            site_name: "Daily Papers".into(),
            public_url: None,
            trust_proxy_headers: false,
            proxy_hops: 1,
            metrics_token: None,
            harvest: HarvestConfig::default(),
            community: CommunityConfig::default(),
            search: SearchConfig::default(),
            mail: MailConfig::default(),
        }
    }
}

impl Default for HarvestConfig {
    fn default() -> Self {
        HarvestConfig {
            oai_url: "https://oaipmh.arxiv.org/oai".into(),
            categories: vec!["cs".into()],
            oai_sets: Vec::new(),
            arxiv_api_url: "https://export.arxiv.org/api/query".into(),
            hf_url: "https://huggingface.co".into(),
            hf_mirror: true,
            request_interval_secs: 3.0,
            timeout_secs: 60,
            max_retries: 4,
            user_agent: None,
            hf_every_minutes: 60,
            oai_every_minutes: 360,
            schedule_minutes: None,
            hf_backfill_days: 14,
            oai_backfill_days: 7,
            job_lease_secs: 60,
            job_retry_secs: 30,
            hub_every_minutes: 60,
            hub_papers_per_run: 60,
            hub_refresh_hours: 24,
            hub_keep_per_kind: 50,
            github_api_url: "https://api.github.com".into(),
            github_token: None,
            github_every_minutes: 60,
            github_repos_per_run: 50,
            github_refresh_hours: 24,
            thumbnails_every_minutes: 30,
            thumbnails_per_run: 60,
            thumbnails_retry_hours: 24,
            thumbnails_from_pdf: true,
            pdftoppm: "pdftoppm".into(),
            pdf_url: "https://arxiv.org/pdf".into(),
            pdf_max_mb: 30,
            pdf_render_secs: 20,
        }
    }
}

impl HarvestConfig {
    /// The harvested categories as a filter ([`Error::Invalid`] names a bad one).
    pub fn category_filter(&self) -> Result<dp_core::CategoryFilter, crate::Error> {
        dp_core::CategoryFilter::parse(&self.categories)
            .map_err(|e| crate::Error::Invalid(format!("harvest.categories: {e}")))
    }

    /// The OAI-PMH sets to harvest: `oai_sets` when given, else those of `categories`.
    pub fn sets(&self) -> Result<Vec<String>, crate::Error> {
        if self.oai_sets.is_empty() {
            Ok(self.category_filter()?.oai_sets())
        } else {
            Ok(self.oai_sets.clone())
        }
    }

    /// Which records of the harvested sets are kept: `None` (all) for explicit `oai_sets`.
    pub fn record_filter(&self) -> Result<Option<dp_core::CategoryFilter>, crate::Error> {
        if self.oai_sets.is_empty() {
            Ok(Some(self.category_filter()?))
        } else {
            Ok(None)
        }
    }

    /// Minutes between mirror runs (0: off).
    pub fn hf_minutes(&self) -> u64 {
        if !self.hf_mirror {
            return 0;
        }
        self.schedule_minutes.unwrap_or(self.hf_every_minutes)
    }

    /// Minutes between runs asking the Hub for the repositories citing listed papers (0: off:
    /// without the mirror, or when `schedule_minutes` turns every scheduled harvest off).
    pub fn hub_minutes(&self) -> u64 {
        if !self.hf_mirror || self.schedule_minutes == Some(0) {
            return 0;
        }
        self.hub_every_minutes
    }

    /// Minutes between GitHub star refreshes (0: off, also when `schedule_minutes` turns every
    /// scheduled harvest off).
    pub fn github_minutes(&self) -> u64 {
        if self.schedule_minutes == Some(0) {
            return 0;
        }
        self.github_every_minutes
    }

    /// Minutes between thumbnail runs (0: off, also when `schedule_minutes` turns every
    /// scheduled harvest off).
    pub fn thumbnails_minutes(&self) -> u64 {
        if self.schedule_minutes == Some(0) {
            return 0;
        }
        self.thumbnails_every_minutes
    }

    /// Minutes between OAI-PMH harvests (0: off).
    pub fn oai_minutes(&self) -> u64 {
        self.schedule_minutes.unwrap_or(self.oai_every_minutes)
    }
}

impl Config {
    /// Loads the layers. `file` is the `--config` flag; without it `dailypapers.toml` in the
    /// working directory is read when present. `overrides` are the flags, as a partial config.
    pub fn load(
        file: Option<&Path>,
        overrides: &serde_json::Value,
    ) -> Result<Config, figment::Error> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(f) => fig = fig.merge(Toml::file_exact(f)),
            None => fig = fig.merge(Toml::file("dailypapers.toml")),
        }
        fig = fig
            .merge(
                Env::prefixed("DAILYPAPERS_")
                    .ignore(&["LOG", "TEST_POSTGRES_URL", "TEST_BACKEND"])
                    .split("__"),
            )
            .merge(Serialized::globals(overrides));
        fig.extract()
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!(
                "sqlite://{}",
                self.data_dir.join("dailypapers.sqlite").display()
            ),
        }
    }

    /// The keyword index folder of the server listening on `listen`.
    pub fn index_dir(&self) -> PathBuf {
        match &self.search.index_dir {
            Some(d) => d.clone(),
            None => {
                let name: String = self
                    .listen
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '.' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                self.data_dir.join("search").join(name)
            }
        }
    }

    /// The embedding model's forward pass (`search.embedding`, default `auto`).
    pub fn embed_backend(&self) -> dp_search::embed::Backend {
        self.search
            .embedding
            .unwrap_or(dp_search::embed::Backend::Auto)
    }

    /// The embedding model folder.
    pub fn model_dir(&self) -> PathBuf {
        match &self.search.model_dir {
            Some(d) => d.clone(),
            None => self.data_dir.join("models").join("all-MiniLM-L6-v2"),
        }
    }

    /// How the vector index is built.
    pub fn vector_config(&self) -> dp_search::vector::VectorConfig {
        let mut c = dp_search::vector::VectorConfig::default();
        if let Some(t) = self.search.hnsw_threshold {
            c.hnsw_threshold = t;
        }
        if let Some(m) = self.search.hnsw_connectivity {
            c.connectivity = m.clamp(4, 128);
        }
        if let Some(w) = self.search.hnsw_search_width {
            c.expansion_search = w.clamp(16, 4096);
        }
        if let Some(q) = self.search.vector_quantization {
            c.quantization = q;
        }
        if let Some(r) = self.search.vector_rescore {
            c.rescore = r.clamp(10, 10_000);
        }
        // An int8 graph loses recall on queries far from every paper; see `widen_below`.
        if c.quantization == dp_search::vector::Quantization::I8 {
            c.widen_below = 0.5;
        }
        if let Some(s) = self.search.vector_widen_below {
            c.widen_below = if s.is_finite() {
                s.clamp(0.0, 1.0)
            } else {
                0.0
            };
        }
        if let Some(w) = self.search.vector_wide_width {
            c.wide_width = w.clamp(16, 16_384);
        }
        if let Some(w) = self.search.vector_probe_width {
            c.probe_width = w.min(1024);
        }
        if let Some(h) = self.search.vector_huge_pages {
            c.huge_pages = h;
        }
        c
    }

    /// Where the HNSW graph is saved, beside the keyword index (`INDEX_DIR.vectors`), so a
    /// restart loads it instead of rebuilding it; an int8 graph's scratch rows live there too.
    pub fn vector_dir(&self) -> PathBuf {
        let mut dir = self.index_dir().into_os_string();
        dir.push(".vectors");
        PathBuf::from(dir)
    }

    /// The rules use cases follow.
    pub fn rules(&self) -> crate::Rules {
        let c = &self.community;
        crate::Rules {
            site_name: self.site_name.clone(),
            public_url: self.public_url.clone(),
            arxiv_api_url: self.harvest.arxiv_api_url.clone(),
            hub_url: self.harvest.hf_url.clone(),
            submit_max_age_days: c.submit_max_age_days,
            submissions_per_day: c.submissions_per_day,
            logins_per_15min: c.logins_per_15min,
            signups_per_hour: c.signups_per_hour,
            writes_per_minute: c.writes_per_minute,
        }
    }

    /// The site's address for links in mails: `public_url` (never a request's `Host`).
    pub fn mail_base_url(&self) -> Result<String, crate::Error> {
        self.public_url.clone().ok_or_else(|| {
            crate::Error::Invalid(
                "mail needs public_url, the address readers use (e.g. https://papers.example.org): every link in a mail starts with it".into(),
            )
        })
    }

    /// The fetch policy for harvests.
    pub fn fetch_policy(&self) -> dp_ingest::fetch::FetchPolicy {
        let mut p = dp_ingest::fetch::FetchPolicy::default();
        if let Some(ua) = &self.harvest.user_agent {
            p.user_agent = ua.clone();
        }
        p.min_interval =
            std::time::Duration::from_secs_f64(self.harvest.request_interval_secs.max(0.0));
        p.timeout = std::time::Duration::from_secs(self.harvest.timeout_secs.max(1));
        p.max_retries = self.harvest.max_retries;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "dailypapers.toml",
                "listen = \"0.0.0.0:9000\"\nsite_name = \"Lab\"\n[harvest]\noai_sets = [\"math\"]",
            )?;
            jail.set_env("DAILYPAPERS_SITE_NAME", "Env Lab");
            jail.set_env("DAILYPAPERS_DATA_DIR", "/tmp/dp");
            let c = Config::load(None, &serde_json::json!({"listen": "127.0.0.1:1"}))?;
            assert_eq!(c.listen, "127.0.0.1:1", "flag beats file");
            assert_eq!(c.site_name, "Env Lab", "env beats file");
            assert_eq!(c.harvest.oai_sets, ["math"], "file beats default");
            assert_eq!(c.database_url(), "sqlite:///tmp/dp/dailypapers.sqlite");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("dailypapers.toml", "lisen = \"x\"")?;
            let e = Config::load(None, &serde_json::json!({})).unwrap_err();
            assert!(e.to_string().contains("lisen"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_example_config_is_valid() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dailypapers.example.toml");
        let c = Config::load(Some(&path), &serde_json::json!({})).unwrap();
        assert_eq!(c.listen, Config::default().listen);
    }

    #[test]
    fn the_embedding_arithmetic_is_chosen_by_name() {
        use dp_search::embed::Backend;
        assert_eq!(Config::default().embed_backend(), Backend::Auto);
        figment::Jail::expect_with(|jail| {
            jail.create_file("dailypapers.toml", "[search]\nembedding = \"fp32\"")?;
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(c.embed_backend(), Backend::Fp32);
            jail.set_env("DAILYPAPERS_SEARCH__EMBEDDING", "candle");
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(c.embed_backend(), Backend::Candle, "env beats file");
            jail.set_env("DAILYPAPERS_SEARCH__EMBEDDING", "bf16");
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(c.embed_backend(), Backend::Bf16);
            jail.set_env("DAILYPAPERS_SEARCH__EMBEDDING", "int4");
            let e = Config::load(None, &serde_json::json!({})).unwrap_err();
            assert!(e.to_string().contains("int4"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn the_vector_graph_is_int8_only_when_asked_and_keeps_a_sane_rescore() {
        use dp_search::vector::Quantization;
        let c = Config::default();
        assert_eq!(c.vector_config().quantization, Quantization::F16);
        assert_eq!(c.vector_config().widen_below, 0.0);
        assert!(c.vector_dir().to_string_lossy().ends_with(".vectors"));
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "dailypapers.toml",
                "[search]\nvector_quantization = \"i8\"\nvector_rescore = 1",
            )?;
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            let v = c.vector_config();
            assert_eq!(v.quantization, Quantization::I8);
            assert_eq!(v.rescore, 10, "at least 10 candidates are ranked again");
            assert_eq!(v.widen_below, 0.5, "an int8 graph widens far queries");
            assert_eq!(v.probe_width, 64, "far queries are found by a narrow probe");
            assert!(v.huge_pages);
            jail.set_env("DAILYPAPERS_SEARCH__VECTOR_HUGE_PAGES", "false");
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert!(!c.vector_config().huge_pages);
            jail.set_env("DAILYPAPERS_SEARCH__VECTOR_PROBE_WIDTH", "100000");
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(
                c.vector_config().probe_width,
                1024,
                "no wider than a normal search"
            );
            jail.set_env("DAILYPAPERS_SEARCH__VECTOR_WIDEN_BELOW", "0");
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(c.vector_config().widen_below, 0.0, "unless told not to");
            jail.set_env("DAILYPAPERS_SEARCH__VECTOR_QUANTIZATION", "f16");
            let c = Config::load(None, &serde_json::json!({})).unwrap();
            assert_eq!(
                c.vector_config().quantization,
                Quantization::F16,
                "env beats file"
            );
            jail.set_env("DAILYPAPERS_SEARCH__VECTOR_QUANTIZATION", "b1");
            let e = Config::load(None, &serde_json::json!({})).unwrap_err();
            assert!(e.to_string().contains("b1"), "{e}");
            Ok(())
        });
    }
}

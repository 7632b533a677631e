//! `dailypapers`: the self-hosted Daily Papers server and its tools.

mod digest;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use dp_app::config::Config;
use dp_app::App;
use dp_core::ArxivId;
use dp_ingest::fetch::HttpFetcher;
use dp_ingest::formats::{Format, ReadOptions};
use dp_ingest::import::{import_paths, ImportOptions};
use std::path::PathBuf;
use std::sync::Arc;

/// mimalloc keeps freed memory for reuse: the embedding model allocates large tensors for every
/// layer, and the system allocator returned them to the kernel each time (page faults were a
/// fifth of embedding time).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "dailypapers",
    version,
    about = "Self-hosted Daily Papers: a daily list of new papers ranked by community upvotes."
)]
struct Cli {
    /// Configuration file (default: ./dailypapers.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (default ./var; env DAILYPAPERS_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://... (env DAILYPAPERS_DATABASE_URL).
    #[arg(long, global = true, value_name = "URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (HTML pages and JSON API) and, if scheduled, the harvest jobs.
    Serve(ServeArgs),
    /// Import saved files or folders: Hugging Face daily-papers JSON, arXiv listing JSON lines,
    /// the Kaggle arXiv snapshot, arXiv API Atom or OAI-PMH XML (.gz read transparently).
    Import(ImportArgs),
    /// Harvest from live sources: arXiv OAI-PMH (incremental), the Hugging Face daily list, or
    /// single papers from the arXiv API.
    Harvest(HarvestArgs),
    /// Print counts of what the store holds.
    Stats(StatsArgs),
    /// Measure performance (prints figures; see the README).
    Bench(dp_bench::BenchArgs),
    /// Copy a whole store into another (e.g. SQLite to PostgreSQL): resumable, verified by
    /// counts and checksums at the end.
    MigrateStore(MigrateArgs),
    /// Write a consistent copy of the live SQLite store to a new file (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Rebuild this server's keyword index from the store (stop the server first).
    Reindex,
    /// Search from the command line (keyword index; with --mode hybrid or semantic also the
    /// stored vectors and the model).
    Search(SearchArgs),
    /// Compute missing paper embeddings with the local model: newest and most upvoted papers
    /// first, in batches committed as they finish (safe to kill and run again).
    Embed(EmbedArgs),
    /// Load embeddings computed elsewhere: a raw float16 (`.f16`) or float32 (`.f32`) matrix,
    /// one row per id of an id list, named after the model (e.g. `all-MiniLM-L6-v2.f16`).
    ImportVectors(ImportVectorsArgs),
    /// Send the e-mail digest of a day (or week) to confirmed subscribers through the outbox:
    /// a run that is killed and started again sends each digest once. `--dry-run` prints.
    Digest(digest::DigestArgs),
    /// Manage accounts: `user create NAME [--admin]` (password on stdin), `user admin NAME`.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args)]
struct SearchArgs {
    /// The query (words, "phrases", author:NAME, category:cs.CL, from:/to:YYYY-MM-DD, or an id).
    #[arg(required = true)]
    query: Vec<String>,
    /// How many results.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Ranking: keyword (default here: needs only the index), hybrid or semantic.
    #[arg(long, default_value = "keyword")]
    mode: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct EmbedArgs {
    /// Embed at most this many papers, then stop.
    #[arg(long)]
    limit: Option<usize>,
    /// Papers per batch (default: search.embed_batch, else 32).
    #[arg(long)]
    batch: Option<usize>,
}

#[derive(Args)]
struct ImportVectorsArgs {
    /// The matrix file: `MODEL.f16` or `MODEL.f32`, little-endian, row-major, no header.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The id list, one arXiv id per line (default: ids.txt beside the matrix).
    #[arg(long, value_name = "FILE")]
    ids: Option<PathBuf>,
    /// The model the vectors come from (default: the file name without its extension).
    #[arg(long)]
    model: Option<String>,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from the first line of standard input.
    Create {
        /// User name (3-32 letters, digits, '-' or '_').
        name: String,
        /// Make it an admin.
        #[arg(long)]
        admin: bool,
    },
    /// Set an account's password (read from the first line of standard input) and sign it out
    /// everywhere.
    Password {
        /// User name.
        name: String,
    },
    /// Create an API token for an account and print it (shown once; revoke it on the
    /// account's settings page). For scripts and clients such as huggingface_hub.
    Token {
        /// User name.
        name: String,
        /// What it may do: read or write.
        #[arg(long, default_value = "write")]
        scope: String,
        /// A name to tell it apart on the settings page.
        #[arg(long, default_value = "command line")]
        label: String,
    },
    /// Grant admin rights to an account (or remove them with --revoke).
    Admin {
        /// User name.
        name: String,
        /// Remove admin rights instead.
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(Args)]
struct MigrateArgs {
    /// The store to read: sqlite://PATH or postgres://...
    #[arg(long, value_name = "URL")]
    from: String,
    /// The store to write (created and migrated when new).
    #[arg(long, value_name = "URL")]
    to: String,
    /// Rows per transaction.
    #[arg(long, default_value_t = 2000)]
    batch: i64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct BackupArgs {
    /// The new file to write.
    #[arg(value_name = "DEST")]
    dest: PathBuf,
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (env DAILYPAPERS_LISTEN).
    #[arg(long, value_name = "ADDR:PORT")]
    listen: Option<String>,
    /// Minutes between scheduled harvests of every source (0 = off); overrides
    /// harvest.hf_every_minutes and harvest.oai_every_minutes.
    #[arg(long, value_name = "MINUTES")]
    harvest_every: Option<u64>,
}

#[derive(Args)]
struct ImportArgs {
    /// Files or folders to import.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Format, when detection should not decide: hf, arxiv-listing, kaggle, atom, oai-pmh.
    #[arg(long)]
    format: Option<String>,
    /// The list day (YYYY-MM-DD) for Hugging Face items, overriding file names and items.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<String>,
    /// Records per transaction.
    #[arg(long, default_value_t = dp_ingest::import::DEFAULT_BATCH)]
    batch_size: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Source {
    /// arXiv OAI-PMH, incremental from the stored watermark.
    Oai,
    /// The Hugging Face daily list, day by day.
    Hf,
    /// Single papers by id from the arXiv API (give --id).
    Arxiv,
    /// The models, datasets and Spaces on the Hugging Face Hub citing the listed papers that
    /// are due (harvest.hub_papers_per_run of them, the newest lists first).
    Hub,
    /// The GitHub stars of the repositories listed papers link, those due (see
    /// harvest.github_*; --url is GitHub's API).
    Github,
    /// Thumbnails for the listed papers that have none (see harvest.thumbnails_*; --url is
    /// where arXiv PDFs are fetched).
    Thumbnails,
}

#[derive(Args)]
struct HarvestArgs {
    /// Which source.
    #[arg(long, value_enum, default_value = "oai")]
    source: Source,
    /// First day (YYYY-MM-DD), fetched again even if held; default: from the stored watermark
    /// (a first run: harvest.hf_backfill_days or harvest.oai_backfill_days back).
    #[arg(long, value_name = "YYYY-MM-DD")]
    since: Option<String>,
    /// Last day (YYYY-MM-DD); default today.
    #[arg(long, value_name = "YYYY-MM-DD")]
    until: Option<String>,
    /// OAI-PMH set to harvest whole (repeatable); default: the sets of harvest.categories,
    /// keeping those categories' records.
    #[arg(long)]
    set: Vec<String>,
    /// arXiv id or URL for --source arxiv (repeatable).
    #[arg(long)]
    id: Vec<String>,
    /// Override the source's base URL (OAI endpoint, HF base, or arXiv API).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct StatsArgs {
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

fn overrides(cli: &Cli) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    if let Some(d) = &cli.data_dir {
        o.insert("data_dir".into(), d.display().to_string().into());
    }
    if let Some(u) = &cli.database_url {
        o.insert("database_url".into(), u.clone().into());
    }
    if let Command::Serve(s) = &cli.command {
        if let Some(l) = &s.listen {
            o.insert("listen".into(), l.clone().into());
        }
        if let Some(m) = s.harvest_every {
            o.insert(
                "harvest".into(),
                serde_json::json!({ "schedule_minutes": m }),
            );
        }
    }
    serde_json::Value::Object(o)
}

fn parse_day_arg(name: &str, v: &Option<String>) -> Result<Option<chrono::NaiveDate>> {
    v.as_deref()
        .map(|s| dp_core::parse_day(s).with_context(|| format!("--{name}")))
        .transpose()
}

/// What is logged unless `DAILYPAPERS_LOG` says otherwise: our crates at info, dependencies at
/// warn (at info, tantivy writes a line for every file it deletes at each commit).
const DEFAULT_LOG: &str = "warn,dailypapers=info,dp_app=info,dp_web=info,dp_store=info,\
     dp_search=info,dp_ingest=info,dp_mail=info,dp_cli=info,dp_bench=info";

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DAILYPAPERS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG)),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref(), &overrides(&cli))
        .context("reading the configuration")?;
    if let Command::Bench(args) = &cli.command {
        return dp_bench::run(args, &config).await;
    }
    if let Command::MigrateStore(args) = &cli.command {
        return migrate_store(args).await;
    }
    let store = dp_store::open(&config.database_url())
        .await
        .with_context(|| format!("opening the store at {}", config.database_url()))?;
    let result = run(cli.command, store.clone(), &config).await;
    store.close().await;
    result
}

async fn run(command: Command, store: Arc<dyn dp_store::Store>, config: &Config) -> Result<()> {
    match command {
        Command::Serve(_) => serve(store, config).await,
        Command::Import(args) => import(store, args).await,
        Command::Harvest(args) => harvest(store, config, args).await,
        Command::Stats(args) => {
            let s = store.stats().await?;
            if args.json {
                println!("{}", serde_json::to_string(&s)?);
            } else {
                println!("papers        {}", s.papers);
                println!("feed entries  {}", s.feed_entries);
                println!("days          {}", s.days);
                if let (Some(a), Some(b)) = (s.first_day, s.latest_day) {
                    println!("range         {a} to {b}");
                }
                println!("jobs queued   {}", s.jobs_queued);
                println!("jobs failed   {}", s.jobs_failed);
            }
            Ok(())
        }
        Command::Backup(args) => {
            store
                .backup(&args.dest)
                .await
                .with_context(|| format!("backing up to {}", args.dest.display()))?;
            println!("backup written to {}", args.dest.display());
            Ok(())
        }
        Command::User(cmd) => user(store, config, cmd).await,
        Command::Reindex => reindex(store, config).await,
        Command::Search(args) => search_cli(store, config, args).await,
        Command::Embed(args) => embed_cli(store, config, args).await,
        Command::ImportVectors(args) => import_vectors(store, config, args).await,
        Command::Digest(args) => digest::run(store, config, args).await,
        Command::Bench(_) | Command::MigrateStore(_) => Ok(()),
    }
}

async fn reindex(store: Arc<dyn dp_store::Store>, config: &Config) -> Result<()> {
    let dir = config.index_dir();
    let index = dp_search::KeywordIndex::open(Some(&dir))
        .with_context(|| format!("opening the search index in {}", dir.display()))?;
    index.clear()?;
    index.commit(0)?;
    let total = store.stats().await?.papers;
    let bar = dp_cli::progress::CountBar::new("indexing");
    let follower = dp_search::follow::Follower::new(Arc::new(index));
    let started = std::time::Instant::now();
    let n = follower
        .catch_up(store.as_ref(), &|n| bar.update(n, total as u64))
        .await?;
    bar.finish();
    println!(
        "indexed {n} papers in {:.1} s into {}",
        started.elapsed().as_secs_f64(),
        dir.display()
    );
    Ok(())
}

async fn search_cli(
    store: Arc<dyn dp_store::Store>,
    config: &Config,
    args: SearchArgs,
) -> Result<()> {
    let mode = match args.mode.as_str() {
        "keyword" => dp_search::Mode::Keyword,
        "hybrid" => dp_search::Mode::Hybrid,
        "semantic" => dp_search::Mode::Semantic,
        other => bail!("--mode: expected keyword, hybrid or semantic, not {other:?}"),
    };
    let dir = config.index_dir();
    let index = dp_search::KeywordIndex::open_read_only(&dir).with_context(|| {
        format!(
            "no search index in {} (run `dailypapers reindex`, or start the server once)",
            dir.display()
        )
    })?;
    let q = dp_search::parse(&args.query.join(" "))?;
    let mut follower = dp_search::follow::Follower::new(Arc::new(index));
    if mode != dp_search::Mode::Keyword {
        let semantic = load_semantic(config)?.with_context(|| {
            format!(
                "--mode {}: no embedding model in {} (run scripts/fetch-model.sh)",
                args.mode,
                config.model_dir().display()
            )
        })?;
        follower = follower.with_semantic(semantic);
        follower.load_vectors(store.as_ref(), &|_| {}).await?;
    }
    let engine = follower.engine();
    let hits = engine.search(&q, args.limit, mode)?;
    if args.json {
        println!("{}", serde_json::to_string(&hits)?);
    } else {
        for h in hits {
            let title: String = h.title.iter().map(|p| p.text.as_str()).collect();
            println!("{:>8.2}  {:<12} {}", h.score, h.id, title);
        }
    }
    Ok(())
}

/// The embedding model and an empty vector index, when the model folder exists.
fn load_semantic(config: &Config) -> Result<Option<dp_search::Semantic>> {
    let dir = config.model_dir();
    if !dir.join("model.safetensors").exists() {
        return Ok(None);
    }
    let embedder = dp_search::embed::Embedder::load_with(&dir, config.embed_backend())
        .with_context(|| format!("loading the embedding model in {}", dir.display()))?;
    let vectors = dp_search::vector::VectorIndex::new(embedder.dim(), config.vector_config())
        .with_scratch_dir(&config.vector_dir());
    Ok(Some(dp_search::Semantic {
        embedder: Arc::new(embedder),
        vectors: Arc::new(vectors),
    }))
}

async fn embed_cli(
    store: Arc<dyn dp_store::Store>,
    config: &Config,
    args: EmbedArgs,
) -> Result<()> {
    let dir = config.model_dir();
    let embedder = Arc::new(
        dp_search::embed::Embedder::load_with(&dir, config.embed_backend()).with_context(|| {
            format!(
            "no usable embedding model in {} (run scripts/fetch-model.sh, or set search.model_dir)",
            dir.display()
        )
        })?,
    );
    let batch = args
        .batch
        .or(config.search.embed_batch)
        .unwrap_or(32)
        .max(1);
    let (have, _) = store.vector_stats(embedder.name()).await?;
    let total_papers = store.stats().await?.papers as u64;
    let goal = match args.limit {
        Some(l) => (l as u64).min(total_papers.saturating_sub(have as u64)),
        None => total_papers.saturating_sub(have as u64),
    };
    let bar = dp_cli::progress::CountBar::new("embedding");
    let started = std::time::Instant::now();
    let done = dp_search::jobs::embed_missing(store.as_ref(), &embedder, batch, args.limit, &|n| {
        bar.update(n, goal)
    })
    .await?;
    bar.finish();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "embedded {done} papers in {secs:.1} s ({:.1} papers/s) with {}; {} have vectors now",
        done as f64 / secs.max(1e-9),
        embedder.name(),
        have as u64 + done
    );
    Ok(())
}

async fn import_vectors(
    store: Arc<dyn dp_store::Store>,
    config: &Config,
    args: ImportVectorsArgs,
) -> Result<()> {
    let bar = dp_cli::progress::CountBar::new("importing vectors");
    let report = dp_search::jobs::import_vectors(
        store.as_ref(),
        &args.file,
        args.ids.as_deref(),
        args.model.as_deref(),
        &config.model_dir(),
        &|n, total| bar.update(n, total),
    )
    .await?;
    bar.finish();
    println!(
        "imported {} vectors of {} ({} dimensions); {} ids not in the store were skipped",
        report.stored, report.model, report.dim, report.skipped
    );
    Ok(())
}

async fn user(store: Arc<dyn dp_store::Store>, config: &Config, cmd: UserCommand) -> Result<()> {
    let app = App::new(store, config.rules());
    match cmd {
        UserCommand::Create { name, admin } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let u = app.create_user(&name, password, admin).await?;
            println!(
                "created {}{}",
                u.name,
                if u.is_admin { " (admin)" } else { "" }
            );
        }
        UserCommand::Password { name } => {
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            let u = app.reset_password(&name, password).await?;
            println!("changed the password of {}; every session ended", u.name);
        }
        UserCommand::Token { name, scope, label } => {
            let u = dp_store::Accounts::user_by_name(app.store.as_ref(), &name)
                .await?
                .with_context(|| format!("there is no user named {name}"))?;
            let (secret, _) = app.create_api_token(&u, &label, &scope).await?;
            println!("{secret}");
        }
        UserCommand::Admin { name, revoke } => {
            let u = app.set_admin(&name, !revoke).await?;
            println!(
                "{} is {}an admin",
                u.name,
                if revoke { "no longer " } else { "" }
            );
        }
    }
    Ok(())
}

async fn migrate_store(args: &MigrateArgs) -> Result<()> {
    let from = dp_store::open(&args.from).await.context("opening --from")?;
    let to = dp_store::open(&args.to).await.context("opening --to")?;
    let bar = dp_cli::progress::CountBar::new("copying");
    let report = dp_store::copy::copy_store(&*from, &*to, args.batch, &|r| {
        bar.update(
            r.papers + r.entries,
            (r.source_papers + r.source_entries).max(0) as u64,
        )
    })
    .await?;
    bar.finish();
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "copied {} papers, {} feed entries, {} watermarks; verified: {} (checksum {})",
            report.papers, report.entries, report.watermarks, report.verified, report.checksum
        );
    }
    if !report.verified {
        bail!("the stores differ after the copy: counts or checksums do not match");
    }
    Ok(())
}

async fn serve(store: Arc<dyn dp_store::Store>, config: &Config) -> Result<()> {
    let fetcher = HttpFetcher::new(config.fetch_policy())?;
    let index_dir = config.index_dir();
    let index = dp_search::KeywordIndex::open(Some(&index_dir))
        .with_context(|| format!("opening the search index in {}", index_dir.display()))?;
    let mut follower = dp_search::follow::Follower::new(Arc::new(index));
    let semantic = load_semantic(config)?;
    let embedder = semantic.as_ref().map(|s| s.embedder.clone());
    match semantic {
        Some(s) => {
            tracing::info!(model = %s.embedder.name(), "semantic search on");
            follower = follower
                .with_semantic(s)
                .with_vector_dir(config.vector_dir());
        }
        None => tracing::warn!(
            "no embedding model in {}: search is keyword-only (run scripts/fetch-model.sh)",
            config.model_dir().display()
        ),
    }
    let mail = if config.mail.enabled {
        config.mail_base_url()?;
        let signer = dp_mail::installation_signer(store.as_ref(), config.mail.secret.as_deref())
            .await
            .context("the mail link secret")?;
        Some(dp_app::MailSetup {
            mailer: Arc::new(dp_mail::SmtpMailer::new(&config.mail.smtp()?)?),
            signer,
            from: dp_mail::compose::mailbox(&config.mail.from)?,
            top_n: config.mail.top_papers,
            per_search: config.mail.papers_per_search,
        })
    } else {
        tracing::info!("e-mail is off (mail.enabled): no subscriptions, no scheduled digests");
        None
    };
    let follower = Arc::new(follower);
    let schedules = dp_app::harvest::schedules(config, embedder.as_ref().map(|e| e.name()))?;
    for s in &schedules {
        match s.every_secs {
            Some(every) if s.is_harvest() => {
                tracing::info!(schedule = %s.label, every_minutes = every / 60, "harvest scheduled")
            }
            None => {
                tracing::info!(schedule = %s.label, "harvest not scheduled (run it from /admin/jobs or the CLI)")
            }
            _ => {}
        }
    }
    let mut app = App::new(store.clone(), config.rules())
        .with_fetcher(Arc::new(fetcher))
        .with_search(follower.clone())
        .with_schedules(schedules);
    if let Some(mail) = mail {
        app = app.with_mail(mail);
    }
    let state = dp_web::AppState::new(app.clone(), web_settings(config));
    let _background = AbortOnDrop(state.spawn_background());
    // Loading the vector index at start passes every stored vector through batches that are
    // freed again; once it is loaded, that memory goes back to the kernel (at 1,000,000
    // papers, `bench search --scale` measured 160 MiB).
    let _release = AbortOnDrop(tokio::spawn(async move {
        while !follower.vectors_loaded() {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        dp_cli::release_free_memory();
    }));
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!("serving on http://{}", listener.local_addr()?);
    // Harvests, embeddings and digests as scheduled, and housekeeping, through the job table.
    let worker = dp_app::jobs::Worker::new(app, config.clone(), embedder)?;
    let _worker = AbortOnDrop(tokio::spawn(worker.run()));
    axum::serve(
        listener,
        dp_web::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// What the HTTP layer needs from the configuration.
fn web_settings(config: &Config) -> dp_web::WebSettings {
    dp_web::WebSettings {
        secure_cookies: config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
        trust_proxy_headers: config.trust_proxy_headers,
        proxy_hops: config.proxy_hops,
        api_requests_per_minute: config.community.api_requests_per_minute,
        searches_per_minute: config.community.searches_per_minute,
        metrics_token: config.metrics_token.clone(),
        hsts: config
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://")),
    }
}

/// Stops a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn import(store: Arc<dyn dp_store::Store>, args: ImportArgs) -> Result<()> {
    let format = args
        .format
        .as_deref()
        .map(|f| f.parse::<Format>())
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let opts = ImportOptions {
        read: ReadOptions {
            format,
            date: parse_day_arg("date", &args.date)?,
        },
        batch_size: args.batch_size,
    };
    let progress = dp_cli::progress::ImportProgress::new();
    let report = import_paths(store.clone(), &args.paths, &opts, &progress).await?;
    if report.inserted + report.updated > 1_000 {
        store
            .refresh_statistics()
            .await
            .context("refreshing the planner's statistics")?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "read {}, inserted {}, updated {}, unchanged {}, rejected {} ({} files, {} file errors, {} warnings)",
            report.read, report.inserted, report.updated, report.unchanged, report.rejected, report.files, report.file_errors, report.warnings
        );
    }
    Ok(())
}

async fn harvest(
    store: Arc<dyn dp_store::Store>,
    config: &Config,
    args: HarvestArgs,
) -> Result<()> {
    let fetcher = HttpFetcher::new(config.fetch_policy())?;
    let since = parse_day_arg("since", &args.since)?;
    let until = parse_day_arg("until", &args.until)?;
    let report = match args.source {
        Source::Oai => {
            let mut config = config.clone();
            if let Some(u) = args.url {
                config.harvest.oai_url = u;
            }
            let sets = if args.set.is_empty() {
                config.harvest.sets()?
            } else {
                // Sets named on the command line are harvested whole.
                config.harvest.oai_sets = args.set.clone();
                args.set
            };
            let mut total = dp_ingest::harvest::HarvestReport::default();
            for set in sets {
                let bar = dp_cli::progress::HarvestProgress::new(&format!("arXiv OAI-PMH {set}"));
                let r =
                    dp_app::harvest::oai(&*store, &fetcher, &config, &set, since, until, &|r| {
                        bar.update(r)
                    })
                    .await;
                bar.finish();
                total.add(r?);
            }
            total
        }
        Source::Hf => {
            let mut config = config.clone();
            if let Some(u) = args.url {
                config.harvest.hf_url = u;
            }
            let until = until.unwrap_or_else(|| chrono::Utc::now().date_naive());
            let bar = dp_cli::progress::HarvestProgress::new("Hugging Face daily lists");
            let r =
                dp_app::harvest::hf(&*store, &fetcher, &config, since, until, &|r| bar.update(r))
                    .await;
            bar.finish();
            r?
        }
        Source::Hub | Source::Github | Source::Thumbnails => {
            return harvest_refresh(&*store, &fetcher, config, args).await
        }
        Source::Arxiv => {
            if args.id.is_empty() {
                bail!("--source arxiv needs at least one --id");
            }
            let ids = args
                .id
                .iter()
                .map(|s| ArxivId::parse(s))
                .collect::<Result<Vec<_>, _>>()?;
            let url = args
                .url
                .unwrap_or_else(|| config.harvest.arxiv_api_url.clone());
            dp_ingest::harvest::fetch_ids(&*store, &fetcher, &url, &ids).await?
        }
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "pages {}, read {}, inserted {}, updated {}, unchanged {}, rejected {}, deleted {}, skipped {}",
            report.pages,
            report.read,
            report.inserted,
            report.updated,
            report.unchanged,
            report.rejected,
            report.deleted,
            report.skipped
        );
        for p in report.problems.iter().take(20) {
            println!("  rejected: {p}");
        }
    }
    Ok(())
}

/// A run of one of the refresh use cases (Hub repositories, GitHub stars, thumbnails), as
/// `harvest` prints it.
trait RefreshRun: serde::Serialize {
    /// One line of figures.
    fn line(&self) -> String;
    /// (done, due), for the message of a run that stopped.
    fn progress(&self) -> (usize, usize);
}

impl RefreshRun for dp_app::harvest::HubRun {
    fn line(&self) -> String {
        format!(
            "papers due {}, asked {}, changed {}, unreadable {}",
            self.due, self.checked, self.changed, self.failed
        )
    }
    fn progress(&self) -> (usize, usize) {
        (self.checked + self.failed, self.due)
    }
}

impl RefreshRun for dp_app::github::StarsRun {
    fn line(&self) -> String {
        let mut line = format!(
            "repositories due {}, updated {}, not modified {}, gone {}, failed {}, list entries changed {}",
            self.due, self.updated, self.not_modified, self.gone, self.failed, self.entries_changed
        );
        if let Some(t) = self.paused_until {
            line.push_str(&format!(
                "\nGitHub's rate limit is spent: nothing is asked before {t}"
            ));
        }
        line
    }
    fn progress(&self) -> (usize, usize) {
        (
            self.updated + self.not_modified + self.gone + self.failed,
            self.due,
        )
    }
}

impl RefreshRun for dp_app::thumbnails::ThumbRun {
    fn line(&self) -> String {
        format!(
            "papers due {}, from the mirror {}, rendered from PDFs {}, without {}",
            self.due, self.from_hf, self.from_pdf, self.failed
        )
    }
    fn progress(&self) -> (usize, usize) {
        (self.from_hf + self.from_pdf + self.failed, self.due)
    }
}

/// `harvest --source hub|github|thumbnails`: one run of that refresh, with a progress bar.
async fn harvest_refresh(
    store: &dyn dp_store::Store,
    fetcher: &HttpFetcher,
    config: &Config,
    args: HarvestArgs,
) -> Result<()> {
    let mut config = config.clone();
    let now = chrono::Utc::now();
    let label = match args.source {
        Source::Hub => "Hub repositories citing listed papers",
        Source::Github => "GitHub stars of linked repositories",
        _ => "Thumbnails of listed papers",
    };
    let bar = dp_cli::progress::CountBar::new(label);
    let on = |d: usize, n: usize| bar.update(d as u64, n as u64);
    let h = &mut config.harvest;
    let printed = match args.source {
        Source::Hub => {
            if let Some(u) = args.url {
                h.hf_url = u;
            }
            report(
                dp_app::harvest::hub(store, fetcher, &config, now, &on).await,
                args.json,
            )
        }
        Source::Github => {
            if let Some(u) = args.url {
                h.github_api_url = u;
            }
            report(
                dp_app::github::refresh(store, fetcher, &config, now, &on).await,
                args.json,
            )
        }
        _ => {
            if let Some(u) = args.url {
                h.pdf_url = u;
            }
            report(
                dp_app::thumbnails::refresh(store, fetcher, &config, now, &on).await,
                args.json,
            )
        }
    };
    bar.finish();
    printed
}

/// Prints a refresh run, or the error that stopped it with how far it got.
fn report<R: RefreshRun>(r: Result<R, (R, dp_app::Error)>, json: bool) -> Result<()> {
    let run = match r {
        Ok(run) => run,
        Err((run, e)) => {
            let (done, due) = run.progress();
            return Err(anyhow::Error::new(e).context(format!("stopped after {done} of {due}")));
        }
    };
    if json {
        println!("{}", serde_json::to_string(&run)?);
    } else {
        println!("{}", run.line());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::DEFAULT_LOG;
    use tracing::Level;

    #[test]
    fn dependencies_log_at_warn_unless_asked() {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(DEFAULT_LOG))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            assert!(!tracing::enabled!(target: "tantivy::directory", Level::INFO));
            assert!(!tracing::enabled!(target: "sqlx::query", Level::INFO));
            assert!(tracing::enabled!(target: "tantivy::directory", Level::WARN));
            assert!(tracing::enabled!(target: "dp_search::follow", Level::INFO));
            assert!(tracing::enabled!(target: "dailypapers", Level::INFO));
            assert!(!tracing::enabled!(target: "dp_search::follow", Level::DEBUG));
        });
    }
}

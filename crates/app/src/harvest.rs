//! Harvesting, as `serve`'s schedule and the `harvest` command both run it, and what readers
//! and admins see of it: the schedules with their next and last runs, "run now", pause and
//! resume, and the progress a home page shows while the store is still empty.

use crate::config::Config;
use crate::{App, Error};
use chrono::{DateTime, Days, NaiveDate, Utc};
use dp_core::User;
use dp_ingest::fetch::Fetcher;
use dp_ingest::harvest::{HarvestReport, HfPlan, OaiPlan};
use dp_store::{JobRun, NewJob, Store};
use std::time::Duration;

/// Mirrors the Hugging Face daily lists as `config` says: the last `hf_backfill_days` days on a
/// first run, then the days after the watermark, each day held not fetched again (see
/// [`HfPlan`]). `since` fetches every day from it, held or not.
pub async fn hf(
    store: &dyn Store,
    fetcher: &dyn Fetcher,
    config: &Config,
    since: Option<NaiveDate>,
    until: NaiveDate,
    on_page: &(dyn Fn(&HarvestReport) + Send + Sync),
) -> Result<HarvestReport, Error> {
    let h = &config.harvest;
    let refresh = chrono::Duration::minutes(h.hf_minutes().max(1) as i64);
    let plan = HfPlan {
        since,
        ..HfPlan::new(until, h.hf_backfill_days, refresh)
    };
    dp_ingest::harvest::harvest_hf(store, fetcher, &h.hf_url, &plan, on_page)
        .await
        .map_err(harvest_error)
}

/// What one run of [`hub`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HubRun {
    /// Papers due.
    pub due: usize,
    /// Papers asked about.
    pub checked: usize,
    /// Papers whose repositories changed.
    pub changed: usize,
    /// Papers the Hub gave an unreadable answer (or a 4xx) for; asked again next time.
    pub failed: usize,
}

/// Asks the Hub (`harvest.hf_url`) which models, datasets and Spaces cite the listed papers
/// that are due (never asked, or last asked more than `hub_refresh_hours` ago; the newest lists
/// first, at most `hub_papers_per_run`), one paper after another, and stores the answers.
/// `on_paper(done, due)` follows the run. When the Hub cannot be reached (or answers 5xx or
/// 429 after the fetcher's retries) the run stops, with what it did so far.
pub async fn hub(
    store: &dyn Store,
    fetcher: &dyn Fetcher,
    config: &Config,
    now: DateTime<Utc>,
    on_paper: &(dyn Fn(usize, usize) + Send + Sync),
) -> Result<HubRun, (HubRun, Error)> {
    use dp_ingest::fetch::FetchError;
    use dp_ingest::hub::HubError;
    let h = &config.harvest;
    let due_before = now - chrono::Duration::hours(h.hub_refresh_hours as i64);
    let mut run = HubRun::default();
    let papers = match store
        .papers_due_for_hub(due_before, h.hub_papers_per_run as i64)
        .await
    {
        Ok(p) => p,
        Err(e) => return Err((run, e.into())),
    };
    run.due = papers.len();
    for (i, id) in papers.iter().enumerate() {
        on_paper(i, run.due);
        let keep = h.hub_keep_per_kind as usize;
        match dp_ingest::hub::linked_repos(fetcher, &h.hf_url, id, keep, now).await {
            Ok(repos) => {
                run.checked += 1;
                match store.set_hub_repos(id, &repos).await {
                    Ok(true) => run.changed += 1,
                    Ok(false) => {}
                    Err(e) => return Err((run, e.into())),
                }
            }
            // One paper's bad answer (or a 4xx about it) does not stop the others.
            Err(HubError::BadResponse { url, message }) => {
                tracing::warn!(%url, %message, "hub-repos: unreadable answer");
                run.failed += 1;
            }
            Err(HubError::Fetch(FetchError::Status { url, status }))
                if status < 500 && status != 429 =>
            {
                tracing::warn!(%url, status, "hub-repos: refused");
                run.failed += 1;
            }
            Err(HubError::Fetch(e)) => {
                return Err((run, Error::Upstream(format!("the Hub: {e}"))));
            }
        }
    }
    on_paper(run.due, run.due);
    Ok(run)
}

/// Harvests one OAI-PMH set as `config` says: from the set's watermark, or the last
/// `oai_backfill_days` days on a first run, keeping the records of the harvested categories.
pub async fn oai(
    store: &dyn Store,
    fetcher: &dyn Fetcher,
    config: &Config,
    set: &str,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
    on_page: &(dyn Fn(&HarvestReport) + Send + Sync),
) -> Result<HarvestReport, Error> {
    let h = &config.harvest;
    let filter = h.record_filter()?;
    let today = Utc::now().date_naive();
    let plan = OaiPlan {
        set,
        from,
        until,
        first_from: today.checked_sub_days(Days::new(h.oai_backfill_days)),
        filter: filter.as_ref(),
    };
    dp_ingest::harvest::harvest_oai(store, fetcher, &h.oai_url, &plan, on_page)
        .await
        .map_err(harvest_error)
}

/// A harvest's failure: an unreachable or failing source is upstream (its message names the
/// source and says what happened); a store failure is internal.
fn harvest_error(e: dp_ingest::harvest::HarvestError) -> Error {
    use dp_ingest::harvest::HarvestError;
    match e {
        HarvestError::Store(e) => Error::from(e),
        other => Error::Upstream(other.to_string()),
    }
}

/// What a schedule runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// The Hugging Face mirror.
    Hf,
    /// An OAI-PMH set.
    Oai(String),
    /// Embeddings of papers without one (whenever there are such papers).
    Embed(String),
    /// Expired sessions, old rate-limit windows and old job runs.
    Housekeeping,
    /// The Hub repositories citing listed papers.
    HubRepos,
    /// The GitHub stars of linked repositories.
    GithubStars,
    /// Thumbnails of listed papers.
    Thumbnails,
}

/// One schedule of background work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Its name (`harvest-hf`, `harvest-oai:cs`, `embed`, `housekeeping`); its jobs' keys start
    /// with it and a colon.
    pub name: String,
    /// What readers call it.
    pub label: String,
    /// Seconds between runs (`None`: not scheduled, only run by hand).
    pub every_secs: Option<i64>,
    /// What it runs.
    pub task: Task,
}

impl Schedule {
    /// Whether the source is a harvest (shown on the empty home page).
    pub fn is_harvest(&self) -> bool {
        matches!(self.task, Task::Hf | Task::Oai(_))
    }

    /// The prefix of its jobs' keys.
    pub fn key_prefix(&self) -> String {
        format!("{}:", self.name)
    }
}

/// How often housekeeping runs.
pub const HOUSEKEEPING_EVERY_SECS: i64 = 3600;
/// Embedding looks are keyed by 10-second slots: one per slot for the whole cluster.
pub const EMBED_EVERY_SECS: i64 = 10;

/// Every schedule the configuration asks for. `model` is the embedding model's name when this
/// server has one.
pub fn schedules(config: &Config, model: Option<&str>) -> Result<Vec<Schedule>, Error> {
    let h = &config.harvest;
    let minutes = |m: u64| (m > 0).then(|| m as i64 * 60);
    let mut out = Vec::new();
    if h.hf_mirror {
        out.push(Schedule {
            name: "harvest-hf".into(),
            label: "Hugging Face daily lists".into(),
            every_secs: minutes(h.hf_minutes()),
            task: Task::Hf,
        });
    }
    for set in h.sets()? {
        out.push(Schedule {
            name: format!("harvest-oai:{set}"),
            label: format!("arXiv OAI-PMH, set {set}"),
            every_secs: minutes(h.oai_minutes()),
            task: Task::Oai(set),
        });
    }
    if h.hf_mirror {
        // Listed (and run by hand from the job board) even when not scheduled.
        out.push(Schedule {
            name: "hub-repos".into(),
            label: "Models, datasets and Spaces citing listed papers".into(),
            every_secs: minutes(h.hub_minutes()),
            task: Task::HubRepos,
        });
    }
    out.push(Schedule {
        name: "github-stars".into(),
        label: "GitHub stars of linked repositories".into(),
        every_secs: minutes(h.github_minutes()),
        task: Task::GithubStars,
    });
    out.push(Schedule {
        name: "thumbnails".into(),
        label: "Thumbnails of listed papers".into(),
        every_secs: minutes(h.thumbnails_minutes()),
        task: Task::Thumbnails,
    });
    if let Some(m) = model {
        out.push(Schedule {
            name: "embed".into(),
            label: "Embeddings of new papers".into(),
            every_secs: Some(EMBED_EVERY_SECS),
            task: Task::Embed(m.to_string()),
        });
    }
    out.push(Schedule {
        name: "housekeeping".into(),
        label: "Housekeeping".into(),
        every_secs: Some(HOUSEKEEPING_EVERY_SECS),
        task: Task::Housekeeping,
    });
    Ok(out)
}

/// The job that runs `schedule` once, for its slot of `now`, or (`manual`) at once by hand.
pub fn job_for(schedule: &Schedule, now: DateTime<Utc>, manual: bool) -> NewJob {
    use crate::jobs::{
        new_job, Embed, GithubStars, HarvestHf, HarvestOai, Housekeeping, HubRepos, Thumbnails,
    };
    let every = schedule.every_secs.unwrap_or(86_400);
    let mut job = match &schedule.task {
        Task::Hf => new_job(&HarvestHf {}, now, every),
        Task::Oai(set) => new_job(&HarvestOai { set: set.clone() }, now, every),
        Task::Embed(model) => new_job(
            &Embed {
                model: model.clone(),
            },
            now,
            every,
        ),
        Task::Housekeeping => new_job(&Housekeeping {}, now, every),
        Task::HubRepos => new_job(&HubRepos {}, now, every),
        Task::GithubStars => new_job(&GithubStars {}, now, every),
        Task::Thumbnails => new_job(&Thumbnails {}, now, every),
    };
    if manual {
        job.dedup_key = format!("{}now-{}", schedule.key_prefix(), now.timestamp_millis());
    }
    job
}

/// A schedule as the admin's job page shows it.
#[derive(Debug, Clone)]
pub struct ScheduleView {
    /// The schedule.
    pub schedule: Schedule,
    /// Paused by an admin.
    pub paused: bool,
    /// When it runs next (`None`: paused, or not scheduled).
    pub next_run: Option<DateTime<Utc>>,
    /// When it last finished well.
    pub last_success: Option<DateTime<Utc>>,
    /// Its newest runs, newest first.
    pub runs: Vec<JobRun>,
}

/// A harvest source as the empty home page shows it.
#[derive(Debug, Clone)]
pub struct SourceProgress {
    /// What it is.
    pub label: String,
    /// `running`, `waiting` (queued), `failed` (an attempt failed; retried at `retry_at`),
    /// `done`, `idle` (not run yet) or `off` (not scheduled and never run).
    pub state: String,
    /// Where a running harvest is (`day 2025-03-14`, `page 3`).
    pub at: Option<String>,
    /// Records read by the current or last run.
    pub records: u64,
    /// Why the last attempt failed, as readers may see it.
    pub error: Option<String>,
    /// When a failed attempt is tried again, or a waiting one starts.
    pub retry_at: Option<DateTime<Utc>>,
}

/// The progress report a running harvest stores (its `HarvestReport` as JSON).
fn report_of(run: &JobRun) -> Option<HarvestReport> {
    #[derive(serde::Deserialize)]
    struct Shown {
        #[serde(default)]
        at: String,
        #[serde(default)]
        read: u64,
    }
    let p: Shown = serde_json::from_str(run.progress.as_deref()?).ok()?;
    Some(HarvestReport {
        at: p.at,
        read: p.read,
        ..HarvestReport::default()
    })
}

/// What of a harvest's error a reader may see: the source's own failure (unreachable, timed
/// out, an HTTP status, a bad answer); anything else is for the admin's job page.
fn public_error(e: &str) -> String {
    let first = e.lines().next().unwrap_or("");
    let shown = [
        "cannot reach",
        "timed out",
        "answered HTTP",
        "response larger",
        "not a JSON",
        "OAI",
    ]
    .iter()
    .any(|p| first.contains(p));
    if shown {
        first.chars().take(300).collect()
    } else {
        "the harvest failed; an admin can see why on /admin/jobs".into()
    }
}

impl App {
    /// The configured schedules (none when this server runs no jobs).
    pub fn schedules(&self) -> &[Schedule] {
        &self.schedules
    }

    /// The admin's view of every schedule.
    pub async fn job_board(&self, admin: &User) -> Result<Vec<ScheduleView>, Error> {
        crate::claims::require_admin(admin)?;
        let paused = self.store.paused_schedules().await?;
        let now = self.clock.now();
        let mut out = Vec::new();
        for s in self.schedules.iter() {
            let runs = self.store.job_runs(&s.key_prefix(), 8).await?;
            let is_paused = paused.contains(&s.name);
            let queued = runs
                .iter()
                .filter(|r| r.state == "queued")
                .map(|r| r.run_after)
                .min();
            let next_run = match (is_paused, queued, s.every_secs) {
                (true, _, _) => None,
                (false, Some(t), _) => Some(t.max(now)),
                (false, None, Some(every)) => {
                    DateTime::from_timestamp((now.timestamp() / every + 1) * every, 0)
                }
                (false, None, None) => None,
            };
            out.push(ScheduleView {
                schedule: s.clone(),
                paused: is_paused,
                next_run,
                last_success: self.store.last_success(&s.key_prefix()).await?,
                runs,
            });
        }
        Ok(out)
    }

    fn schedule_named(&self, name: &str) -> Result<&Schedule, Error> {
        self.schedules
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| Error::NotFound(format!("no schedule named {name:?}")))
    }

    /// Runs a schedule's job now (an admin's "run now"), paused or not.
    pub async fn run_now(&self, admin: &User, name: &str) -> Result<(), Error> {
        crate::claims::require_admin(admin)?;
        let s = self.schedule_named(name)?;
        self.store
            .enqueue_job(&job_for(s, self.clock.now(), true))
            .await?;
        tracing::info!(schedule = %name, by = %admin.name, "run now");
        Ok(())
    }

    /// Pauses or resumes a schedule.
    pub async fn pause_schedule(
        &self,
        admin: &User,
        name: &str,
        paused: bool,
    ) -> Result<(), Error> {
        crate::claims::require_admin(admin)?;
        let s = self.schedule_named(name)?;
        let by = paused.then_some(admin.name.as_str());
        self.store.set_schedule_paused(&s.name, by).await?;
        tracing::info!(schedule = %name, paused, by = %admin.name, "schedule paused or resumed");
        Ok(())
    }

    /// What each harvest source is doing, for readers (the home page while it is empty).
    pub async fn harvest_progress(&self) -> Result<Vec<SourceProgress>, Error> {
        let mut out = Vec::new();
        for s in self.schedules.iter().filter(|s| s.is_harvest()) {
            let runs = self.store.job_runs(&s.key_prefix(), 1).await?;
            let p = match runs.first() {
                None => SourceProgress {
                    label: s.label.clone(),
                    state: if s.every_secs.is_some() {
                        "idle"
                    } else {
                        "off"
                    }
                    .into(),
                    at: None,
                    records: 0,
                    error: None,
                    retry_at: None,
                },
                Some(run) => {
                    let report = report_of(run);
                    let failed = run.last_error.is_some() && run.state != "running";
                    SourceProgress {
                        label: s.label.clone(),
                        state: if failed {
                            "failed".into()
                        } else if run.state == "queued" {
                            "waiting".into()
                        } else {
                            run.state.clone()
                        },
                        at: report
                            .as_ref()
                            .map(|r| r.at.clone())
                            .filter(|a| !a.is_empty()),
                        records: report.map_or(0, |r| r.read),
                        error: run.last_error.as_deref().map(public_error),
                        retry_at: (run.state == "queued").then_some(run.run_after),
                    }
                }
            };
            out.push(p);
        }
        Ok(out)
    }

    /// Figures for `/metrics`: `(kind, state, count)` of the job table, and the last success
    /// of each schedule.
    pub async fn job_metrics(
        &self,
    ) -> Result<
        (
            Vec<(String, String, i64)>,
            Vec<(String, Option<DateTime<Utc>>)>,
        ),
        Error,
    > {
        let counts = self.store.job_counts().await?;
        let mut last = Vec::new();
        for s in self.schedules.iter() {
            last.push((
                s.name.clone(),
                self.store.last_success(&s.key_prefix()).await?,
            ));
        }
        Ok((counts, last))
    }
}

/// How long a harvest job may wait between progress writes.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_harvests_hf_and_cs_on_a_schedule() {
        let c = Config::default();
        let s = schedules(&c, Some("m")).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "harvest-hf",
                "harvest-oai:cs",
                "hub-repos",
                "github-stars",
                "thumbnails",
                "embed",
                "housekeeping"
            ]
        );
        assert_eq!(s[0].every_secs, Some(3600));
        assert_eq!(s[1].every_secs, Some(6 * 3600));
        assert_eq!(s[2].every_secs, Some(3600));

        // Turning every scheduled harvest off turns the Hub's off too; it stays listed.
        let mut off = Config::default();
        off.harvest.schedule_minutes = Some(0);
        let s = schedules(&off, None).unwrap();
        let hub = s.iter().find(|s| s.name == "hub-repos").unwrap();
        assert_eq!(hub.every_secs, None);

        let mut c = Config::default();
        c.harvest.categories = vec!["cs.CL".into(), "stat.ML".into(), "hep-th".into()];
        c.harvest.hf_mirror = false;
        c.harvest.schedule_minutes = Some(0);
        let s = schedules(&c, None).unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "harvest-oai:cs",
                "harvest-oai:physics:hep-th",
                "harvest-oai:stat",
                "github-stars",
                "thumbnails",
                "housekeeping"
            ]
        );
        assert_eq!(
            s[0].every_secs, None,
            "schedule_minutes = 0 turns harvests off"
        );

        c.harvest.categories = vec!["cs.XX.Y".into()];
        let e = schedules(&c, None).unwrap_err();
        assert!(e.to_string().contains("harvest.categories"), "{e}");
    }

    #[test]
    fn manual_runs_have_keys_of_their_own_under_the_schedule() {
        let s = &schedules(&Config::default(), None).unwrap()[1];
        let now = Utc::now();
        let slot = job_for(s, now, false);
        let manual = job_for(s, now, true);
        assert!(slot.dedup_key.starts_with("harvest-oai:cs:"));
        assert!(manual.dedup_key.starts_with("harvest-oai:cs:now-"));
        assert_ne!(slot.dedup_key, manual.dedup_key);
        assert_eq!(slot.payload, manual.payload);
    }

    #[test]
    fn readers_see_a_source_failing_but_not_the_internals() {
        assert_eq!(
            public_error("cannot reach huggingface.co: dns error (is the network up?)"),
            "cannot reach huggingface.co: dns error (is the network up?)"
        );
        assert!(public_error("database error: no such table: jobs").contains("/admin/jobs"));
    }
}

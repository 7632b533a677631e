//! `/admin/jobs`: every background schedule with its next run, its last runs (duration,
//! records, errors), a "run now" button and pause/resume.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::{AppError, AppState};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use dp_store::JobRun;
use maud::{html, Markup};
use serde::Deserialize;

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "—".into(),
        |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

fn every(secs: Option<i64>) -> String {
    match secs {
        None => "not scheduled".into(),
        Some(s) if s % 3600 == 0 => format!("every {} h", s / 3600),
        Some(s) if s % 60 == 0 => format!("every {} min", s / 60),
        Some(s) => format!("every {s} s"),
    }
}

/// Records a run reports: read (new).
fn records(run: &JobRun) -> String {
    #[derive(Deserialize)]
    struct Counts {
        #[serde(default)]
        read: u64,
        #[serde(default)]
        inserted: u64,
        #[serde(default)]
        at: String,
    }
    match run
        .progress
        .as_deref()
        .and_then(|p| serde_json::from_str::<Counts>(p).ok())
    {
        Some(c) if c.at.is_empty() => format!("{} read, {} new", c.read, c.inserted),
        Some(c) => format!("{} read, {} new ({})", c.read, c.inserted, c.at),
        None => "—".into(),
    }
}

fn duration(run: &JobRun) -> String {
    match (run.started_at, run.finished_at) {
        (Some(s), Some(f)) => format!("{:.1} s", (f - s).num_milliseconds() as f64 / 1000.0),
        (Some(s), None) if run.state == "running" => {
            format!("{} s so far", (Utc::now() - s).num_seconds())
        }
        _ => "—".into(),
    }
}

fn run_rows(runs: &[JobRun]) -> Markup {
    html! {
        @for r in runs {
            tr data-state=(r.state) {
                td { code { (r.dedup_key) } }
                td { (r.state) " (" (r.attempts) "/" (r.max_attempts) ")" }
                td { (when(r.started_at)) }
                td { (duration(r)) }
                td { (records(r)) }
                td.error { (r.last_error.as_deref().unwrap_or("")) }
            }
        }
    }
}

/// `GET /admin/jobs`.
pub async fn board(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    let board = state.app.job_board(admin).await.or_page()?;
    let busy = board
        .iter()
        .any(|s| s.runs.first().is_some_and(|r| r.state == "running"));
    let body = html! {
        h1 { "Background jobs" }
        p.meta { "Each schedule runs once per interval for the whole cluster. "
            "\"Run now\" queues a run at once; a paused schedule queues nothing until resumed (\"run now\" still works)." }
        table.jobs {
            thead { tr { th { "Schedule" } th { "Interval" } th { "Next run" } th { "Last success" } th { "Latest run" } th { "Actions" } } }
            tbody {
                @for s in &board {
                    tr id={"schedule-" (s.schedule.name.replace(':', "-"))} data-paused=(s.paused) {
                        td { strong { (s.schedule.label) } br; code { (s.schedule.name) } }
                        td { (every(s.schedule.every_secs)) }
                        td { @if s.paused { "paused" } @else { (when(s.next_run)) } }
                        td { (when(s.last_success)) }
                        td { @match s.runs.first() {
                            Some(r) => { (r.state) @if let Some(e) = &r.last_error { ": " span.error { (e) } } }
                            None => { "never run" }
                        } }
                        td {
                            form.inline method="post" action="/admin/jobs/run" {
                                (csrf_field(&viewer.csrf))
                                input type="hidden" name="schedule" value=(s.schedule.name);
                                button type="submit" { "Run now" }
                            }
                            " "
                            form.inline method="post" action="/admin/jobs/pause" {
                                (csrf_field(&viewer.csrf))
                                input type="hidden" name="schedule" value=(s.schedule.name);
                                @if s.paused {
                                    input type="hidden" name="paused" value="false";
                                    button type="submit" { "Resume" }
                                } @else {
                                    input type="hidden" name="paused" value="true";
                                    button type="submit" { "Pause" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Recent runs" }
        @for s in board.iter().filter(|s| !s.runs.is_empty()) {
            h3 { (s.schedule.label) }
            table.runs {
                thead { tr { th { "Key" } th { "State (attempts)" } th { "Started" } th { "Duration" } th { "Records" } th { "Error" } } }
                tbody { (run_rows(&s.runs)) }
            }
        }
    };
    let mut f = Frame::new(state.site_name(), &viewer);
    if busy {
        f = f.refreshing(10);
    }
    Ok(frame(f, "Background jobs", body).into_response())
}

/// Form of "run now".
#[derive(Deserialize)]
pub struct RunForm {
    csrf: String,
    schedule: String,
}

/// `POST /admin/jobs/run`.
pub async fn run_now(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<RunForm>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    state.app.run_now(admin, &form.schedule).await.or_page()?;
    Ok(Redirect::to("/admin/jobs").into_response())
}

/// Form of pause and resume.
#[derive(Deserialize)]
pub struct PauseForm {
    csrf: String,
    schedule: String,
    paused: bool,
}

/// `POST /admin/jobs/pause`.
pub async fn pause(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<PauseForm>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    state
        .app
        .pause_schedule(admin, &form.schedule, form.paused)
        .await
        .or_page()?;
    Ok(Redirect::to("/admin/jobs").into_response())
}

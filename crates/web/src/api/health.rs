//! `/healthz` (the process is up) and `/readyz` (it can serve: the database answers).

use crate::{AppError, AppState};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// Liveness: always OK while the process runs.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: OK only when the store answers.
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, AppError> {
    state.app.ready().await?;
    Ok(Json(json!({ "status": "ready" })))
}

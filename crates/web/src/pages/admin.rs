//! The admin page: pending authorship claims to approve or reject.

use crate::auth::Viewer;
use crate::error::OrPage;
use crate::form::Form;
use crate::layout::{csrf_field, frame, Frame};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

/// `GET /admin`.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    let claims = state.app.pending_claims(admin).await.or_page()?;
    let body = html! {
        h1 { "Admin" }
        p.meta { "Hide papers and delete comments from their pages; ban accounts from their profiles. "
            a href="/admin/subscribers" { "E-mail subscribers and digest previews" } " · "
            a href="/admin/jobs" { "Background jobs (harvests, embeddings)" } }
        h2 { "Authorship claims waiting" }
        @if claims.is_empty() { p.empty { "No claims waiting." } } @else {
            table {
                thead { tr { th { "User" } th { "Claims to be" } th { "Paper" } th { "Decision" } } }
                tbody {
                    @for c in &claims {
                        tr id={"claim-" (c.id)} {
                            td { a href={"/users/" (c.username)} { (c.username) } }
                            td { (c.author_name) }
                            td { a href={"/papers/" (c.paper_id)} { (c.paper_title) } }
                            td {
                                form.inline method="post" action={"/admin/claims/" (c.id)} {
                                    (csrf_field(&viewer.csrf))
                                    button type="submit" name="decision" value="approve" { "Approve" }
                                    " "
                                    button type="submit" name="decision" value="reject" { "Reject" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(frame(Frame::new(state.site_name(), &viewer), "Admin", body).into_response())
}

/// Form of a claim decision.
#[derive(Deserialize)]
pub struct Decision {
    csrf: String,
    decision: String,
}

/// `POST /admin/claims/{id}`: approve or reject.
pub async fn decide_claim(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<Decision>,
) -> Result<Response, AppError> {
    let admin = viewer.require_admin()?;
    viewer.check_csrf(&form.csrf)?;
    let id = crate::params::path_number(&id)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::bad_request("decision must be approve or reject").page()),
    };
    state.app.decide_claim(admin, id, approve).await.or_page()?;
    Ok(Redirect::to("/admin").into_response())
}

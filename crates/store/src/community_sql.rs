//! The SQL of [`crate::community::Community`], written once for both databases.

/// Implements [`crate::community::Community`] for `$Store` (a struct with a `pool` field).
///
/// * `begin`: the statement opening a write transaction (see `sql_store!`);
/// * `next_seq`: a SQL expression giving the next value of the change cursor `papers.seq`;
/// * `wait`: an async fn `(&$Store, Duration)` waiting for a change made elsewhere.
macro_rules! community_sql {
    ($Store:ty, $DB:ty, begin = $begin:expr, next_seq = $next_seq:expr, wait = $wait:path, after_import = $after_import:path) => {
        mod community_impl {
            use super::*;
            use crate::community::{
                ChangedPaper, Community, PaperDetail, PaperSummary, SubmitOutcome, VoteState,
            };
            use crate::rows::{
                ClaimRow, CommentRow, TokenRow, UserRow, CLAIM_SELECT, COMMENT_SELECT,
                TOKEN_COLUMNS, USER_COLUMNS,
            };
            use dp_core::{ApiToken, Claim, ClaimState, Comment, TokenScope, User, Username};

            /// The upvotes and comments a reader sees of paper `p`: the newest list entry's
            /// counts from its source plus this server's.
            const SHOWN_COUNTS: &str = "p.local_upvotes + COALESCE((SELECT e.upvotes FROM feed_entries e WHERE e.paper_id = p.id ORDER BY e.day DESC LIMIT 1), 0) AS shown_upvotes, \
                 p.local_comments + COALESCE((SELECT e.num_comments FROM feed_entries e WHERE e.paper_id = p.id ORDER BY e.day DESC LIMIT 1), 0) AS shown_comments";

            #[derive(sqlx::FromRow)]
            struct SummaryRow {
                #[sqlx(flatten)]
                paper: PaperRow,
                shown_upvotes: i64,
                shown_comments: i64,
            }

            impl SummaryRow {
                fn into_summary(self) -> Result<PaperSummary, StoreError> {
                    Ok(PaperSummary {
                        upvotes: self.shown_upvotes,
                        comments: self.shown_comments,
                        paper: self.paper.into_paper()?,
                    })
                }
            }

            async fn begin(pool: &sqlx::Pool<$DB>) -> Result<sqlx::Transaction<'_, $DB>, StoreError> {
                Ok(match $begin {
                    Some(statement) => pool.begin_with(statement).await?,
                    None => pool.begin().await?,
                })
            }

            /// Raises a paper's change cursor, so caches and indexes see the change.
            async fn touch(
                tx: &mut sqlx::Transaction<'_, $DB>,
                paper_id: &str,
            ) -> Result<(), StoreError> {
                sqlx::query(&format!("UPDATE papers SET seq = {} WHERE id = $1", $next_seq))
                    .bind(paper_id)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            async fn shown_upvotes(
                tx: &mut sqlx::Transaction<'_, $DB>,
                paper_id: &str,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(
                    "SELECT p.local_upvotes + COALESCE((SELECT e.upvotes FROM feed_entries e \
                     WHERE e.paper_id = p.id ORDER BY e.day DESC LIMIT 1), 0) FROM papers p WHERE p.id = $1",
                )
                .bind(paper_id)
                .fetch_one(&mut **tx)
                .await?)
            }

            async fn claim_by_id(
                pool: &sqlx::Pool<$DB>,
                id: i64,
            ) -> Result<Option<Claim>, StoreError> {
                let row: Option<ClaimRow> =
                    sqlx::query_as(&format!("{CLAIM_SELECT} WHERE c.id = $1"))
                        .bind(id)
                        .fetch_optional(pool)
                        .await?;
                row.map(ClaimRow::into_claim).transpose()
            }

            fn table_spec(
                table: &str,
            ) -> Result<(&'static [(&'static str, crate::community::ColumnKind)], &'static str), StoreError> {
                crate::community::COMMUNITY_TABLES
                    .iter()
                    .find(|t| t.0 == table)
                    .map(|t| (t.1, t.2))
                    .ok_or_else(|| StoreError::Unsupported(format!("no community table {table:?}")))
            }

            fn papers_of(rows: Vec<PaperRow>) -> Result<Vec<Paper>, StoreError> {
                rows.into_iter().map(PaperRow::into_paper).collect()
            }

            #[async_trait]
            impl Community for $Store {
                async fn create_user(
                    &self,
                    name: &Username,
                    password_hash: &str,
                    admin: bool,
                ) -> Result<User, StoreError> {
                    let mut tx = begin(&self.pool).await?;
                    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                        .fetch_one(&mut *tx)
                        .await?;
                    let row: Option<UserRow> = sqlx::query_as(&format!(
                        "INSERT INTO users (name, name_key, password_hash, is_admin, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name_key) DO NOTHING RETURNING {USER_COLUMNS}"
                    ))
                    .bind(name.as_str())
                    .bind(name.as_str().to_lowercase())
                    .bind(password_hash)
                    .bind(admin || existing == 0)
                    .bind(now_millis())
                    .fetch_optional(&mut *tx)
                    .await?;
                    let row = row.ok_or_else(|| {
                        StoreError::Conflict(format!("the user name {name} is taken"))
                    })?;
                    tx.commit().await?;
                    row.into_user()
                }

                async fn user_credentials(
                    &self,
                    name: &str,
                ) -> Result<Option<(User, String)>, StoreError> {
                    let row: Option<(String,)> =
                        sqlx::query_as("SELECT password_hash FROM users WHERE name_key = $1")
                            .bind(name.trim().to_lowercase())
                            .fetch_optional(&self.pool)
                            .await?;
                    match row {
                        None => Ok(None),
                        Some((hash,)) => Ok(self.user_by_name(name).await?.map(|u| (u, hash))),
                    }
                }

                async fn user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
                    let row: Option<UserRow> = sqlx::query_as(&format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE name_key = $1"
                    ))
                    .bind(name.trim().to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(UserRow::into_user).transpose()
                }

                async fn set_admin(&self, user_id: i64, admin: bool) -> Result<(), StoreError> {
                    sqlx::query("UPDATE users SET is_admin = $1 WHERE id = $2")
                        .bind(admin)
                        .bind(user_id)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn set_banned(&self, user_id: i64, banned: bool) -> Result<(), StoreError> {
                    let mut tx = begin(&self.pool).await?;
                    sqlx::query("UPDATE users SET banned = $1 WHERE id = $2")
                        .bind(banned)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                    if banned {
                        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                            .bind(user_id)
                            .execute(&mut *tx)
                            .await?;
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn create_session(
                    &self,
                    token_hash: &str,
                    user_id: i64,
                    ttl: Duration,
                ) -> Result<(), StoreError> {
                    let now = now_millis();
                    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
                    sqlx::query(
                        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(now)
                    .bind(now.saturating_add(ttl_ms))
                    .execute(&self.pool)
                    .await?;
                    Ok(())
                }

                async fn session_user(&self, token_hash: &str) -> Result<Option<User>, StoreError> {
                    let cols = prefixed(USER_COLUMNS, "u");
                    let row: Option<UserRow> = sqlx::query_as(&format!(
                        "SELECT {cols} FROM sessions s JOIN users u ON u.id = s.user_id \
                         WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.banned"
                    ))
                    .bind(token_hash)
                    .bind(now_millis())
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(UserRow::into_user).transpose()
                }

                async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn set_vote(
                    &self,
                    user_id: i64,
                    paper: &ArxivId,
                    up: bool,
                ) -> Result<Option<VoteState>, StoreError> {
                    let id = paper.base();
                    let mut tx = begin(&self.pool).await?;
                    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    if exists == 0 {
                        return Ok(None);
                    }
                    // The count moves only when the vote row really appears or disappears, so
                    // double clicks and concurrent requests never count twice.
                    let changed = if up {
                        sqlx::query(
                            "INSERT INTO votes (user_id, paper_id, created_at) VALUES ($1, $2, $3) \
                             ON CONFLICT (user_id, paper_id) DO NOTHING",
                        )
                        .bind(user_id)
                        .bind(id)
                        .bind(now_millis())
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                    } else {
                        sqlx::query("DELETE FROM votes WHERE user_id = $1 AND paper_id = $2")
                            .bind(user_id)
                            .bind(id)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected()
                    };
                    if changed == 1 {
                        sqlx::query(&format!(
                            "UPDATE papers SET local_upvotes = local_upvotes + $1, seq = {} WHERE id = $2",
                            $next_seq
                        ))
                        .bind(if up { 1i64 } else { -1i64 })
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    }
                    let upvotes = shown_upvotes(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(Some(VoteState { voted: up, upvotes }))
                }

                async fn voted_papers(
                    &self,
                    user_id: i64,
                    paper_ids: &[String],
                ) -> Result<Vec<String>, StoreError> {
                    let mut out = Vec::new();
                    for chunk in paper_ids.chunks(CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$DB>::new(
                            "SELECT paper_id FROM votes WHERE user_id = ",
                        );
                        q.push_bind(user_id);
                        q.push(" AND paper_id IN (");
                        let mut sep = q.separated(", ");
                        for id in chunk {
                            sep.push_bind(id.as_str());
                        }
                        q.push(")");
                        let rows: Vec<(String,)> = q.build_query_as().fetch_all(&self.pool).await?;
                        out.extend(rows.into_iter().map(|r| r.0));
                    }
                    Ok(out)
                }

                async fn add_comment(
                    &self,
                    paper: &ArxivId,
                    user_id: i64,
                    parent: Option<i64>,
                    body: &str,
                ) -> Result<Option<Comment>, StoreError> {
                    let id = paper.base();
                    let mut tx = begin(&self.pool).await?;
                    let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                    if exists == 0 {
                        return Ok(None);
                    }
                    let parent = match parent {
                        None => None,
                        Some(p) => {
                            let row: Option<(Option<i64>,)> = sqlx::query_as(
                                "SELECT parent_id FROM comments WHERE id = $1 AND paper_id = $2",
                            )
                            .bind(p)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                            match row {
                                None => return Ok(None),
                                // One level of replies: a reply to a reply joins the thread.
                                Some((grand,)) => Some(grand.unwrap_or(p)),
                            }
                        }
                    };
                    let new_id: i64 = sqlx::query_scalar(
                        "INSERT INTO comments (paper_id, user_id, parent_id, body, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    )
                    .bind(id)
                    .bind(user_id)
                    .bind(parent)
                    .bind(body)
                    .bind(now_millis())
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query(&format!(
                        "UPDATE papers SET local_comments = local_comments + 1, seq = {} WHERE id = $1",
                        $next_seq
                    ))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    self.comment(new_id).await
                }

                async fn comment(&self, id: i64) -> Result<Option<Comment>, StoreError> {
                    let row: Option<CommentRow> =
                        sqlx::query_as(&format!("{COMMENT_SELECT} WHERE c.id = $1"))
                            .bind(id)
                            .fetch_optional(&self.pool)
                            .await?;
                    row.map(CommentRow::into_comment).transpose()
                }

                async fn edit_comment(&self, id: i64, body: &str) -> Result<bool, StoreError> {
                    let mut tx = begin(&self.pool).await?;
                    let paper: Option<String> = sqlx::query_scalar(
                        "UPDATE comments SET body = $1, edited_at = $2 WHERE id = $3 AND NOT deleted RETURNING paper_id",
                    )
                    .bind(body)
                    .bind(now_millis())
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(p) = &paper {
                        touch(&mut tx, p).await?;
                    }
                    tx.commit().await?;
                    Ok(paper.is_some())
                }

                async fn delete_comment(&self, id: i64) -> Result<bool, StoreError> {
                    let mut tx = begin(&self.pool).await?;
                    let paper: Option<String> = sqlx::query_scalar(
                        "UPDATE comments SET deleted = $1, body = '' WHERE id = $2 AND NOT deleted RETURNING paper_id",
                    )
                    .bind(true)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(p) = &paper {
                        sqlx::query(&format!(
                            "UPDATE papers SET local_comments = local_comments - 1, seq = {} WHERE id = $1",
                            $next_seq
                        ))
                        .bind(p)
                        .execute(&mut *tx)
                        .await?;
                    }
                    tx.commit().await?;
                    Ok(paper.is_some())
                }

                async fn comments(&self, paper: &ArxivId) -> Result<Vec<Comment>, StoreError> {
                    let rows: Vec<CommentRow> = sqlx::query_as(&format!(
                        "{COMMENT_SELECT} WHERE c.paper_id = $1 ORDER BY c.id"
                    ))
                    .bind(paper.base())
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(CommentRow::into_comment).collect()
                }

                async fn paper_detail(&self, paper: &ArxivId) -> Result<Option<PaperDetail>, StoreError> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        #[sqlx(flatten)]
                        paper: PaperRow,
                        hidden: bool,
                        local_upvotes: i64,
                        local_comments: i64,
                    }
                    let row: Option<Row> = sqlx::query_as(&format!(
                        "SELECT {PAPER_COLUMNS}, hidden, local_upvotes, local_comments FROM papers WHERE id = $1"
                    ))
                    .bind(paper.base())
                    .fetch_optional(&self.pool)
                    .await?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let rows: Vec<EntryRow> = sqlx::query_as(&format!(
                        "SELECT {ENTRY_COLUMNS} FROM feed_entries WHERE paper_id = $1 ORDER BY day DESC"
                    ))
                    .bind(paper.base())
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(Some(PaperDetail {
                        paper: row.paper.into_paper()?,
                        hidden: row.hidden,
                        local_upvotes: row.local_upvotes,
                        local_comments: row.local_comments,
                        entries: rows
                            .into_iter()
                            .map(EntryRow::into_entry)
                            .collect::<Result<_, _>>()?,
                    }))
                }

                async fn set_hidden(&self, paper: &ArxivId, hidden: bool) -> Result<bool, StoreError> {
                    let r = sqlx::query(&format!(
                        "UPDATE papers SET hidden = $1, seq = {} WHERE id = $2",
                        $next_seq
                    ))
                    .bind(hidden)
                    .bind(paper.base())
                    .execute(&self.pool)
                    .await?;
                    Ok(r.rows_affected() == 1)
                }

                async fn period_feed(
                    &self,
                    from: NaiveDate,
                    to: NaiveDate,
                ) -> Result<Vec<FeedItem>, StoreError> {
                    let cols = prefixed(ENTRY_COLUMNS, "e");
                    let sql = format!(
                        "SELECT {cols}, {FEED_PAPER_COLUMNS} FROM feed_entries e JOIN papers p ON p.id = e.paper_id \
                         WHERE e.day >= $1 AND e.day <= $2 AND NOT p.hidden \
                         ORDER BY e.upvotes + p.local_upvotes DESC, e.published_at DESC, e.position ASC"
                    );
                    let rows: Vec<FeedRow> = sqlx::query_as(&sql)
                        .bind(from.format("%Y-%m-%d").to_string())
                        .bind(to.format("%Y-%m-%d").to_string())
                        .fetch_all(&self.pool)
                        .await?;
                    let mut seen = std::collections::HashSet::new();
                    let mut out = Vec::new();
                    for row in rows {
                        if seen.insert(row.entry.paper_id.clone()) {
                            out.push(row.into_item()?);
                        }
                    }
                    Ok(out)
                }

                async fn submit_paper(
                    &self,
                    user: &User,
                    paper: &ArxivId,
                    day: NaiveDate,
                    max_per_day: i64,
                ) -> Result<SubmitOutcome, StoreError> {
                    let id = paper.base();
                    let now = now_millis();
                    let mut tx = begin(&self.pool).await?;
                    let on_list: Option<String> = sqlx::query_scalar(
                        "SELECT MAX(day) FROM feed_entries WHERE paper_id = $1",
                    )
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                    if let Some(d) = on_list {
                        return Ok(SubmitOutcome::Duplicate(parse_day_text(&d)?));
                    }
                    let recent: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM submissions WHERE user_id = $1 AND created_at > $2",
                    )
                    .bind(user.id)
                    .bind(now - 86_400_000)
                    .fetch_one(&mut *tx)
                    .await?;
                    if recent >= max_per_day {
                        return Ok(SubmitOutcome::TooMany);
                    }
                    let d = day.format("%Y-%m-%d").to_string();
                    // Two people submitting the same paper at once: the second finds the row.
                    let inserted = sqlx::query(
                        "INSERT INTO submissions (paper_id, user_id, day, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (paper_id) DO NOTHING",
                    )
                    .bind(id)
                    .bind(user.id)
                    .bind(&d)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if inserted == 0 {
                        let existing: String =
                            sqlx::query_scalar("SELECT day FROM submissions WHERE paper_id = $1")
                                .bind(id)
                                .fetch_one(&mut *tx)
                                .await?;
                        return Ok(SubmitOutcome::Duplicate(parse_day_text(&existing)?));
                    }
                    sqlx::query(
                        "INSERT INTO feed_entries (day, paper_id, position, published_at, submitted_at, \
                         submitted_by, upvotes, num_comments, ai_keywords) \
                         VALUES ($1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM feed_entries WHERE day = $3), \
                         $4, $5, $6, 0, 0, '[]')",
                    )
                    .bind(&d)
                    .bind(id)
                    .bind(&d)
                    .bind(now)
                    .bind(now)
                    .bind(&user.name)
                    .execute(&mut *tx)
                    .await?;
                    touch(&mut tx, id).await?;
                    tx.commit().await?;
                    Ok(SubmitOutcome::Submitted(day))
                }

                async fn add_claim(
                    &self,
                    user_id: i64,
                    paper: &ArxivId,
                    author_name: &str,
                ) -> Result<Claim, StoreError> {
                    let id: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO claims (paper_id, user_id, author_name, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (paper_id, user_id, author_name) DO NOTHING RETURNING id",
                    )
                    .bind(paper.base())
                    .bind(user_id)
                    .bind(author_name)
                    .bind(now_millis())
                    .fetch_optional(&self.pool)
                    .await?;
                    let id = id.ok_or_else(|| {
                        StoreError::Conflict("you already claimed this author name".into())
                    })?;
                    claim_by_id(&self.pool, id)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt(format!("claim {id} vanished")))
                }

                async fn claims(
                    &self,
                    state: Option<ClaimState>,
                    paper: Option<&ArxivId>,
                    user_id: Option<i64>,
                ) -> Result<Vec<Claim>, StoreError> {
                    let mut q = sqlx::QueryBuilder::<$DB>::new(CLAIM_SELECT);
                    q.push(" WHERE 1 = 1");
                    if let Some(s) = state {
                        q.push(" AND c.state = ").push_bind(s.as_str());
                    }
                    if let Some(p) = paper {
                        q.push(" AND c.paper_id = ").push_bind(p.base().to_string());
                    }
                    if let Some(u) = user_id {
                        q.push(" AND c.user_id = ").push_bind(u);
                    }
                    q.push(" ORDER BY c.id DESC LIMIT 500");
                    let rows: Vec<ClaimRow> = q.build_query_as().fetch_all(&self.pool).await?;
                    rows.into_iter().map(ClaimRow::into_claim).collect()
                }

                async fn decide_claim(
                    &self,
                    id: i64,
                    approve: bool,
                    admin_id: i64,
                ) -> Result<Option<Claim>, StoreError> {
                    let state = if approve { ClaimState::Approved } else { ClaimState::Rejected };
                    let mut tx = begin(&self.pool).await?;
                    let paper: Option<String> = sqlx::query_scalar(
                        "UPDATE claims SET state = $1, decided_at = $2, decided_by = $3 \
                         WHERE id = $4 AND state = 'pending' RETURNING paper_id",
                    )
                    .bind(state.as_str())
                    .bind(now_millis())
                    .bind(admin_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some(paper) = paper else {
                        return Ok(None);
                    };
                    touch(&mut tx, &paper).await?;
                    tx.commit().await?;
                    claim_by_id(&self.pool, id).await
                }

                async fn submitted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError> {
                    let cols = prefixed(PAPER_COLUMNS, "p");
                    let rows: Vec<PaperRow> = sqlx::query_as(&format!(
                        "SELECT {cols} FROM submissions s JOIN papers p ON p.id = s.paper_id \
                         WHERE s.user_id = $1 ORDER BY s.created_at DESC LIMIT $2"
                    ))
                    .bind(user_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    papers_of(rows)
                }

                async fn upvoted_by(&self, user_id: i64, limit: i64) -> Result<Vec<Paper>, StoreError> {
                    let cols = prefixed(PAPER_COLUMNS, "p");
                    let rows: Vec<PaperRow> = sqlx::query_as(&format!(
                        "SELECT {cols} FROM votes v JOIN papers p ON p.id = v.paper_id \
                         WHERE v.user_id = $1 ORDER BY v.created_at DESC LIMIT $2"
                    ))
                    .bind(user_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    papers_of(rows)
                }

                async fn hit_rate_limit(&self, key: &str, window: Duration) -> Result<i64, StoreError> {
                    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1);
                    let start = now_millis() / window_ms * window_ms;
                    Ok(sqlx::query_scalar(
                        "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
                         ON CONFLICT (key) DO UPDATE SET \
                         count = CASE WHEN rate_limits.window_start = excluded.window_start \
                                      THEN rate_limits.count + 1 ELSE 1 END, \
                         window_start = excluded.window_start \
                         RETURNING count",
                    )
                    .bind(key)
                    .bind(start)
                    .fetch_one(&self.pool)
                    .await?)
                }

                async fn purge_expired(&self) -> Result<(), StoreError> {
                    let now = now_millis();
                    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                        .bind(now)
                        .execute(&self.pool)
                        .await?;
                    sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                        .bind(now - 86_400_000)
                        .execute(&self.pool)
                        .await?;
                    Ok(())
                }

                async fn papers_by_ids(&self, ids: &[String]) -> Result<Vec<PaperSummary>, StoreError> {
                    let cols = prefixed(PAPER_COLUMNS, "p");
                    let mut out = Vec::with_capacity(ids.len());
                    for chunk in ids.chunks(CHUNK) {
                        let mut q = sqlx::QueryBuilder::<$DB>::new(format!(
                            "SELECT {cols}, {SHOWN_COUNTS} FROM papers p WHERE p.id IN ("
                        ));
                        let mut sep = q.separated(", ");
                        for id in chunk {
                            sep.push_bind(id.as_str());
                        }
                        q.push(")");
                        let rows: Vec<SummaryRow> = q.build_query_as().fetch_all(&self.pool).await?;
                        for r in rows {
                            out.push(r.into_summary()?);
                        }
                    }
                    Ok(out)
                }

                async fn papers_page(
                    &self,
                    after: Option<(i64, String)>,
                    limit: i64,
                ) -> Result<Vec<PaperSummary>, StoreError> {
                    let cols = prefixed(PAPER_COLUMNS, "p");
                    let (at, id) = after.unwrap_or((i64::MAX, String::new()));
                    // Without a cursor every paper is after (MAX, ""): the time test decides.
                    let rows: Vec<SummaryRow> = sqlx::query_as(&format!(
                        "SELECT {cols}, {SHOWN_COUNTS} FROM papers p \
                         WHERE p.published_at IS NOT NULL AND NOT p.hidden \
                         AND (p.published_at < $1 OR (p.published_at = $1 AND p.id < $2)) \
                         ORDER BY p.published_at DESC, p.id DESC LIMIT $3"
                    ))
                    .bind(at)
                    .bind(id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(SummaryRow::into_summary).collect()
                }

                async fn submitter_feed(
                    &self,
                    submitter: &str,
                    limit: i64,
                ) -> Result<Vec<FeedItem>, StoreError> {
                    let cols = prefixed(ENTRY_COLUMNS, "e");
                    let rows: Vec<FeedRow> = sqlx::query_as(&format!(
                        "SELECT {cols}, {FEED_PAPER_COLUMNS} FROM feed_entries e JOIN papers p ON p.id = e.paper_id \
                         WHERE e.submitted_by = $1 AND NOT p.hidden \
                         ORDER BY e.day DESC, e.upvotes + p.local_upvotes DESC, e.published_at DESC, e.position ASC \
                         LIMIT $2"
                    ))
                    .bind(submitter)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(FeedRow::into_item).collect()
                }

                async fn create_api_token(
                    &self,
                    user_id: i64,
                    name: &str,
                    token_hash: &str,
                    scope: TokenScope,
                ) -> Result<ApiToken, StoreError> {
                    let row: TokenRow = sqlx::query_as(&format!(
                        "INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
                    ))
                    .bind(user_id)
                    .bind(name)
                    .bind(token_hash)
                    .bind(scope.as_str())
                    .bind(now_millis())
                    .fetch_one(&self.pool)
                    .await?;
                    row.into_token()
                }

                async fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
                    let rows: Vec<TokenRow> = sqlx::query_as(&format!(
                        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY id DESC"
                    ))
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(TokenRow::into_token).collect()
                }

                async fn revoke_api_token(&self, user_id: i64, token_id: i64) -> Result<bool, StoreError> {
                    let r = sqlx::query(
                        "UPDATE api_tokens SET revoked_at = $1 \
                         WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
                    )
                    .bind(now_millis())
                    .bind(token_id)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                    Ok(r.rows_affected() == 1)
                }

                async fn api_token_user(
                    &self,
                    token_hash: &str,
                ) -> Result<Option<(User, TokenScope)>, StoreError> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        #[sqlx(flatten)]
                        user: UserRow,
                        token_id: i64,
                        scope: String,
                        last_used_at: Option<i64>,
                    }
                    let cols = prefixed(USER_COLUMNS, "u");
                    let row: Option<Row> = sqlx::query_as(&format!(
                        "SELECT {cols}, t.id AS token_id, t.scope, t.last_used_at \
                         FROM api_tokens t JOIN users u ON u.id = t.user_id \
                         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.banned"
                    ))
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?;
                    let Some(row) = row else { return Ok(None) };
                    let now = now_millis();
                    if row.last_used_at.is_none_or(|t| now - t > 60_000) {
                        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                            .bind(now)
                            .bind(row.token_id)
                            .execute(&self.pool)
                            .await?;
                    }
                    Ok(Some((row.user.into_user()?, crate::rows::scope(&row.scope)?)))
                }

                async fn export_rows(
                    &self,
                    table: &str,
                    offset: i64,
                    limit: i64,
                ) -> Result<Vec<Vec<serde_json::Value>>, StoreError> {
                    use crate::community::ColumnKind::*;
                    use sqlx::Row;
                    let (cols, key) = table_spec(table)?;
                    let from = if table == "paper_flags" { "papers" } else { table };
                    let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
                    let sql = format!(
                        "SELECT {} FROM {from} ORDER BY {key} LIMIT $1 OFFSET $2",
                        names.join(", ")
                    );
                    let rows = sqlx::query(&sql).bind(limit).bind(offset).fetch_all(&self.pool).await?;
                    let mut out = Vec::with_capacity(rows.len());
                    for r in rows {
                        let mut v = Vec::with_capacity(cols.len());
                        for (i, (_, kind)) in cols.iter().enumerate() {
                            v.push(match kind {
                                Int => serde_json::json!(r.try_get::<i64, _>(i)?),
                                OptInt => serde_json::json!(r.try_get::<Option<i64>, _>(i)?),
                                Text => serde_json::json!(r.try_get::<String, _>(i)?),
                                OptText => serde_json::json!(r.try_get::<Option<String>, _>(i)?),
                                Bool => serde_json::json!(r.try_get::<bool, _>(i)?),
                            });
                        }
                        out.push(v);
                    }
                    Ok(out)
                }

                async fn import_rows(&self, table: &str, rows: &[Vec<serde_json::Value>]) -> Result<(), StoreError> {
                    use crate::community::ColumnKind::*;
                    let (cols, key) = table_spec(table)?;
                    let bad = |what: &str| StoreError::Corrupt(format!("{table}: {what}"));
                    let mut tx = begin(&self.pool).await?;
                    for row in rows {
                        if row.len() != cols.len() {
                            return Err(bad("wrong number of columns"));
                        }
                        let mut q = if table == "paper_flags" {
                            sqlx::QueryBuilder::<$DB>::new(
                                "UPDATE papers SET hidden = ",
                            )
                        } else {
                            let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
                            sqlx::QueryBuilder::<$DB>::new(format!("INSERT INTO {table} ({}) VALUES (", names.join(", ")))
                        };
                        if table == "paper_flags" {
                            q.push_bind(row[1].as_bool().ok_or_else(|| bad("hidden"))?);
                            q.push(", local_upvotes = ").push_bind(row[2].as_i64().ok_or_else(|| bad("local_upvotes"))?);
                            q.push(", local_comments = ").push_bind(row[3].as_i64().ok_or_else(|| bad("local_comments"))?);
                            q.push(" WHERE id = ").push_bind(row[0].as_str().ok_or_else(|| bad("id"))?.to_string());
                        } else {
                            let mut sep = q.separated(", ");
                            for ((name, kind), v) in cols.iter().zip(row) {
                                match kind {
                                    Int => { sep.push_bind(v.as_i64().ok_or_else(|| bad(name))?); }
                                    OptInt => { sep.push_bind(v.as_i64()); }
                                    Text => { sep.push_bind(v.as_str().ok_or_else(|| bad(name))?.to_string()); }
                                    OptText => { sep.push_bind(v.as_str().map(str::to_string)); }
                                    Bool => { sep.push_bind(v.as_bool().ok_or_else(|| bad(name))?); }
                                }
                            }
                            q.push(format!(") ON CONFLICT ({key}) DO NOTHING"));
                        }
                        q.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                    $after_import(&self.pool, table).await
                }

                async fn papers_since(&self, after: i64, limit: i64) -> Result<Vec<ChangedPaper>, StoreError> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        #[sqlx(flatten)]
                        paper: PaperRow,
                        seq: i64,
                        hidden: bool,
                    }
                    let rows: Vec<Row> = sqlx::query_as(&format!(
                        "SELECT {PAPER_COLUMNS}, seq, hidden FROM papers WHERE seq > $1 ORDER BY seq LIMIT $2"
                    ))
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter()
                        .map(|r| {
                            Ok(ChangedPaper {
                                seq: r.seq,
                                hidden: r.hidden,
                                paper: r.paper.into_paper()?,
                            })
                        })
                        .collect()
                }

                async fn change_marker(&self) -> Result<i64, StoreError> {
                    Ok(sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM papers")
                        .fetch_one(&self.pool)
                        .await?)
                }

                async fn wait_for_change(&self, timeout: Duration) {
                    $wait(self, timeout).await
                }
            }

            #[async_trait::async_trait]
            impl crate::vectors::Vectors for $Store {
                async fn put_vectors(
                    &self,
                    model: &str,
                    rows: &[crate::vectors::StoredVector],
                ) -> Result<usize, StoreError> {
                    let Some(first) = rows.first() else { return Ok(0) };
                    let dim = first.1.len();
                    if rows.iter().any(|(_, v)| v.len() != dim) {
                        return Err(StoreError::Conflict("vectors of different lengths in one batch".into()));
                    }
                    let mut tx = begin(&self.pool).await?;
                    let stored: Option<i64> =
                        sqlx::query_scalar("SELECT dim FROM paper_vectors WHERE model = $1 LIMIT 1")
                            .bind(model)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if let Some(stored) = stored {
                        if stored != dim as i64 {
                            return Err(StoreError::Conflict(format!(
                                "model {model} has {stored}-dimensional vectors in the store; refusing {dim}-dimensional ones"
                            )));
                        }
                    }
                    let now = crate::now_millis();
                    let mut n = 0;
                    for (id, v) in rows {
                        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM papers WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if exists.is_none() {
                            continue;
                        }
                        sqlx::query(
                            "INSERT INTO paper_vectors (paper_id, model, dim, vector, created_at) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (model, paper_id) DO UPDATE \
                             SET dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at",
                        )
                        .bind(id)
                        .bind(model)
                        .bind(dim as i64)
                        .bind(crate::vectors::encode(v))
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                        touch(&mut tx, id).await?;
                        n += 1;
                    }
                    tx.commit().await?;
                    Ok(n)
                }

                async fn vectors_for(
                    &self,
                    model: &str,
                    ids: &[String],
                ) -> Result<Vec<crate::vectors::StoredVector>, StoreError> {
                    let mut out = Vec::with_capacity(ids.len());
                    for chunk in ids.chunks(500) {
                        let mut q = sqlx::QueryBuilder::<$DB>::new(
                            "SELECT paper_id, vector FROM paper_vectors WHERE model = ",
                        );
                        q.push_bind(model.to_string()).push(" AND paper_id IN (");
                        let mut sep = q.separated(", ");
                        for id in chunk {
                            sep.push_bind(id.clone());
                        }
                        q.push(")");
                        let rows: Vec<(String, Vec<u8>)> = q.build_query_as().fetch_all(&self.pool).await?;
                        out.extend(rows.into_iter().map(|(id, b)| (id, crate::vectors::decode(&b))));
                    }
                    Ok(out)
                }

                async fn vectors_after(
                    &self,
                    model: &str,
                    after: Option<&str>,
                    limit: i64,
                ) -> Result<Vec<crate::vectors::StoredVector>, StoreError> {
                    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
                        "SELECT v.paper_id, v.vector FROM paper_vectors v JOIN papers p ON p.id = v.paper_id \
                         WHERE v.model = $1 AND v.paper_id > $2 AND NOT p.hidden ORDER BY v.paper_id LIMIT $3",
                    )
                    .bind(model)
                    .bind(after.unwrap_or(""))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    Ok(rows.into_iter().map(|(id, b)| (id, crate::vectors::decode(&b))).collect())
                }

                async fn vector_stats(&self, model: &str) -> Result<(i64, Option<i64>), StoreError> {
                    let (count, dim): (i64, Option<i64>) = sqlx::query_as(
                        "SELECT COUNT(*), MAX(dim) FROM paper_vectors WHERE model = $1",
                    )
                    .bind(model)
                    .fetch_one(&self.pool)
                    .await?;
                    Ok((count, dim))
                }

                async fn unembedded(
                    &self,
                    model: &str,
                    limit: i64,
                ) -> Result<Vec<crate::vectors::Unembedded>, StoreError> {
                    let rows: Vec<(String, String, String)> = sqlx::query_as(
                        "SELECT p.id, p.title, p.abstract FROM papers p \
                         WHERE NOT p.hidden AND NOT EXISTS (SELECT 1 FROM paper_vectors v \
                         WHERE v.model = $1 AND v.paper_id = p.id) \
                         ORDER BY COALESCE((SELECT MAX(e.day) FROM feed_entries e WHERE e.paper_id = p.id), '') DESC, \
                         p.local_upvotes + COALESCE((SELECT MAX(e.upvotes) FROM feed_entries e WHERE e.paper_id = p.id), 0) DESC, \
                         COALESCE(p.published_at, 0) DESC, p.id DESC LIMIT $2",
                    )
                    .bind(model)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter()
                        .map(|(id, title, abstract_text)| {
                            Ok(crate::vectors::Unembedded {
                                id: dp_core::ArxivId::parse(&id)
                                    .map_err(|e| StoreError::Corrupt(format!("stored id {id}: {e}")))?,
                                title,
                                abstract_text,
                            })
                        })
                        .collect()
                }
            }

            /// The columns of `subscribers` a `SubscriberRow` reads.
            const SUB_COLUMNS: &str = "id, email, cadence, state, user_id, searches, last_sent_day, last_error, created_at";

            #[derive(sqlx::FromRow)]
            struct SubscriberRow {
                id: i64,
                email: String,
                cadence: String,
                state: String,
                user_id: Option<i64>,
                searches: String,
                last_sent_day: Option<String>,
                last_error: Option<String>,
                created_at: i64,
            }

            impl SubscriberRow {
                fn into_subscriber(self) -> Result<crate::mail::Subscriber, StoreError> {
                    use crate::mail::{Cadence, SubState};
                    Ok(crate::mail::Subscriber {
                        id: self.id,
                        email: self.email,
                        cadence: Cadence::parse(&self.cadence).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown cadence {:?}", self.cadence))
                        })?,
                        state: SubState::parse(&self.state).ok_or_else(|| {
                            StoreError::Corrupt(format!("unknown subscription state {:?}", self.state))
                        })?,
                        user_id: self.user_id,
                        searches: serde_json::from_str(&self.searches).map_err(|e| {
                            StoreError::Corrupt(format!("saved searches of subscriber {}: {e}", self.id))
                        })?,
                        last_sent_day: self.last_sent_day.as_deref().map(parse_day_text).transpose()?,
                        last_error: self.last_error,
                        created_at: chrono::DateTime::from_timestamp_millis(self.created_at)
                            .ok_or_else(|| StoreError::Corrupt("subscriber time".into()))?,
                    })
                }
            }

            #[async_trait::async_trait]
            impl crate::mail::Mail for $Store {
                async fn subscribe(
                    &self,
                    email: &str,
                    email_key: &str,
                    cadence: crate::mail::Cadence,
                    user_id: Option<i64>,
                    searches: &[String],
                ) -> Result<crate::mail::Subscriber, StoreError> {
                    let now = now_millis();
                    let searches = serde_json::to_string(searches)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let row: SubscriberRow = sqlx::query_as(&format!(
                        "INSERT INTO subscribers (email, email_key, cadence, state, user_id, searches, created_at, changed_at) \
                         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6) \
                         ON CONFLICT (email_key) DO UPDATE SET \
                           email = CASE WHEN subscribers.state = 'confirmed' THEN subscribers.email ELSE excluded.email END, \
                           cadence = CASE WHEN subscribers.state = 'confirmed' THEN subscribers.cadence ELSE excluded.cadence END, \
                           searches = CASE WHEN subscribers.state = 'confirmed' THEN subscribers.searches ELSE excluded.searches END, \
                           user_id = COALESCE(subscribers.user_id, excluded.user_id), \
                           state = CASE WHEN subscribers.state IN ('unsubscribed', 'failed') THEN 'pending' ELSE subscribers.state END, \
                           changed_at = excluded.changed_at \
                         RETURNING {SUB_COLUMNS}"
                    ))
                    .bind(email)
                    .bind(email_key)
                    .bind(cadence.as_str())
                    .bind(user_id)
                    .bind(searches)
                    .bind(now)
                    .fetch_one(&self.pool)
                    .await?;
                    row.into_subscriber()
                }

                async fn subscriber(&self, id: i64) -> Result<Option<crate::mail::Subscriber>, StoreError> {
                    let row: Option<SubscriberRow> = sqlx::query_as(&format!(
                        "SELECT {SUB_COLUMNS} FROM subscribers WHERE id = $1"
                    ))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                    row.map(SubscriberRow::into_subscriber).transpose()
                }

                async fn subscribers_of_user(&self, user_id: i64) -> Result<Vec<crate::mail::Subscriber>, StoreError> {
                    let rows: Vec<SubscriberRow> = sqlx::query_as(&format!(
                        "SELECT {SUB_COLUMNS} FROM subscribers WHERE user_id = $1 ORDER BY id"
                    ))
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(SubscriberRow::into_subscriber).collect()
                }

                async fn subscribers(&self, after: i64, limit: i64) -> Result<Vec<crate::mail::Subscriber>, StoreError> {
                    let rows: Vec<SubscriberRow> = sqlx::query_as(&format!(
                        "SELECT {SUB_COLUMNS} FROM subscribers WHERE id > $1 ORDER BY id LIMIT $2"
                    ))
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(SubscriberRow::into_subscriber).collect()
                }

                async fn update_subscription(
                    &self,
                    id: i64,
                    user_id: i64,
                    cadence: crate::mail::Cadence,
                    searches: &[String],
                ) -> Result<bool, StoreError> {
                    let searches = serde_json::to_string(searches)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let r = sqlx::query(
                        "UPDATE subscribers SET cadence = $1, searches = $2, changed_at = $3 WHERE id = $4 AND user_id = $5",
                    )
                    .bind(cadence.as_str())
                    .bind(searches)
                    .bind(now_millis())
                    .bind(id)
                    .bind(user_id)
                    .execute(&self.pool)
                    .await?;
                    Ok(r.rows_affected() == 1)
                }

                async fn set_subscriber_state(&self, id: i64, state: crate::mail::SubState) -> Result<bool, StoreError> {
                    let r = sqlx::query(
                        "UPDATE subscribers SET state = $1, changed_at = $2, \
                         last_error = CASE WHEN $1 = 'confirmed' THEN NULL ELSE last_error END WHERE id = $3",
                    )
                    .bind(state.as_str())
                    .bind(now_millis())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                    Ok(r.rows_affected() == 1)
                }

                async fn confirmed_subscribers(
                    &self,
                    cadence: crate::mail::Cadence,
                    after: i64,
                    limit: i64,
                ) -> Result<Vec<crate::mail::Subscriber>, StoreError> {
                    let rows: Vec<SubscriberRow> = sqlx::query_as(&format!(
                        "SELECT {SUB_COLUMNS} FROM subscribers WHERE state = 'confirmed' AND cadence = $1 AND id > $2 \
                         ORDER BY id LIMIT $3"
                    ))
                    .bind(cadence.as_str())
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                    rows.into_iter().map(SubscriberRow::into_subscriber).collect()
                }

                async fn plan_run(
                    &self,
                    run_key: &str,
                    cadence: crate::mail::Cadence,
                    after: i64,
                    limit: i64,
                ) -> Result<Option<i64>, StoreError> {
                    let now = now_millis();
                    let mut tx = begin(&self.pool).await?;
                    let ids: Vec<i64> = sqlx::query_scalar(
                        "SELECT id FROM subscribers WHERE state = 'confirmed' AND cadence = $1 AND id > $2 ORDER BY id LIMIT $3",
                    )
                    .bind(cadence.as_str())
                    .bind(after)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    let Some(last) = ids.last().copied() else {
                        return Ok(None);
                    };
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "INSERT INTO outbox (subscriber_id, run_key, state, next_attempt, created_at) ",
                    );
                    q.push_values(&ids, |mut b, id| {
                        b.push_bind(*id)
                            .push_bind(run_key)
                            .push("'queued'")
                            .push_bind(now)
                            .push_bind(now);
                    });
                    q.push(" ON CONFLICT (subscriber_id, run_key) DO NOTHING");
                    q.build().execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(Some(last))
                }

                async fn requeue_sending(&self, run_key: &str) -> Result<u64, StoreError> {
                    let r = sqlx::query("UPDATE outbox SET state = 'queued' WHERE run_key = $1 AND state = 'sending'")
                        .bind(run_key)
                        .execute(&self.pool)
                        .await?;
                    Ok(r.rows_affected())
                }

                async fn claim_outbox(
                    &self,
                    run_key: &str,
                    limit: i64,
                ) -> Result<Vec<crate::mail::OutboxItem>, StoreError> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        outbox_id: i64,
                        attempts: i64,
                        #[sqlx(flatten)]
                        sub: SubscriberRow,
                    }
                    let now = now_millis();
                    let mut tx = begin(&self.pool).await?;
                    let ids: Vec<i64> = sqlx::query_scalar(
                        "SELECT id FROM outbox WHERE run_key = $1 AND state = 'queued' AND next_attempt <= $2 \
                         ORDER BY id LIMIT $3",
                    )
                    .bind(run_key)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&mut *tx)
                    .await?;
                    if ids.is_empty() {
                        return Ok(Vec::new());
                    }
                    let mut q = sqlx::QueryBuilder::<$DB>::new(
                        "UPDATE outbox SET state = 'sending' WHERE state = 'queued' AND id IN (",
                    );
                    let mut sep = q.separated(", ");
                    for id in &ids {
                        sep.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut *tx).await?;
                    let cols = prefixed(SUB_COLUMNS, "s");
                    let mut q = sqlx::QueryBuilder::<$DB>::new(format!(
                        "SELECT o.id AS outbox_id, o.attempts, {cols} FROM outbox o JOIN subscribers s ON s.id = o.subscriber_id \
                         WHERE o.id IN ("
                    ));
                    let mut sep = q.separated(", ");
                    for id in &ids {
                        sep.push_bind(*id);
                    }
                    q.push(") ORDER BY o.id");
                    let rows: Vec<Row> = q.build_query_as().fetch_all(&mut *tx).await?;
                    tx.commit().await?;
                    rows.into_iter()
                        .map(|r| {
                            Ok(crate::mail::OutboxItem {
                                id: r.outbox_id,
                                run_key: run_key.to_string(),
                                attempts: r.attempts,
                                subscriber: r.sub.into_subscriber()?,
                            })
                        })
                        .collect()
                }

                async fn finish_outbox(
                    &self,
                    item: &crate::mail::OutboxItem,
                    delivery: &crate::mail::Delivery,
                    day: NaiveDate,
                ) -> Result<(), StoreError> {
                    use crate::mail::Delivery;
                    let now = now_millis();
                    let mut tx = begin(&self.pool).await?;
                    match delivery {
                        Delivery::Sent | Delivery::Skipped => {
                            let state = if matches!(delivery, Delivery::Sent) { "sent" } else { "skipped" };
                            sqlx::query("UPDATE outbox SET state = $1, finished_at = $2 WHERE id = $3")
                                .bind(state)
                                .bind(now)
                                .bind(item.id)
                                .execute(&mut *tx)
                                .await?;
                            sqlx::query("UPDATE subscribers SET last_sent_day = $1 WHERE id = $2")
                                .bind(day.format("%Y-%m-%d").to_string())
                                .bind(item.subscriber.id)
                                .execute(&mut *tx)
                                .await?;
                        }
                        Delivery::Retry { error, retry_at } => {
                            sqlx::query(
                                "UPDATE outbox SET state = 'queued', attempts = attempts + 1, last_error = $1, next_attempt = $2 WHERE id = $3",
                            )
                            .bind(error)
                            .bind(retry_at.timestamp_millis())
                            .bind(item.id)
                            .execute(&mut *tx)
                            .await?;
                        }
                        Delivery::Failed { error } => {
                            sqlx::query(
                                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $1, finished_at = $2 WHERE id = $3",
                            )
                            .bind(error)
                            .bind(now)
                            .bind(item.id)
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query(
                                "UPDATE subscribers SET state = 'failed', last_error = $1, changed_at = $2 WHERE id = $3",
                            )
                            .bind(error)
                            .bind(now)
                            .bind(item.subscriber.id)
                            .execute(&mut *tx)
                            .await?;
                        }
                    }
                    tx.commit().await?;
                    Ok(())
                }

                async fn outbox_counts(&self, run_key: &str) -> Result<crate::mail::OutboxCounts, StoreError> {
                    let rows: Vec<(String, i64)> = sqlx::query_as(
                        "SELECT state, COUNT(*) FROM outbox WHERE run_key = $1 GROUP BY state",
                    )
                    .bind(run_key)
                    .fetch_all(&self.pool)
                    .await?;
                    let mut c = crate::mail::OutboxCounts::default();
                    for (state, n) in rows {
                        match state.as_str() {
                            "queued" => c.queued = n,
                            "sending" => c.sending = n,
                            "sent" => c.sent = n,
                            "skipped" => c.skipped = n,
                            "failed" => c.failed = n,
                            _ => {}
                        }
                    }
                    Ok(c)
                }
            }
        }
    };
}

pub(crate) use community_sql;

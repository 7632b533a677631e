//! The SQL shared by the SQLite and PostgreSQL stores, written once.
//!
//! Both backends run the same statements (sqlx accepts `$1` placeholders on both); the few
//! differences are parameters of [`sql_store!`]: how the change cursor `seq` is numbered and
//! which row locks a backend takes.

/// Implements [`crate::Store`] for `$Store` (a struct with a `pool: sqlx::Pool<$DB>` field).
///
/// * `begin`: the statement opening a write transaction (`Some("BEGIN IMMEDIATE")` on SQLite,
///   so a writer waits for the write lock up front instead of failing to upgrade a read);
/// * `seq_expr`: `None` to number `seq` from `MAX(seq) + 1` (one writer at a time), or
///   `Some("nextval('paper_seq')")` for a database sequence;
/// * `id_lock`: `None`, or a SQL expression of `x` taking a transaction lock on paper id `x`
///   (`pg_advisory_xact_lock(hashtext(x))`), so concurrent writers of one paper take turns;
/// * `row_lock`: appended to the SELECT that loads the papers a batch touches (`" FOR UPDATE"`);
/// * `claim_lock`: appended to the job-claim subquery (`" FOR UPDATE SKIP LOCKED"`);
/// * `backup`: an async fn `(&Pool, &Path) -> Result<(), StoreError>` writing a consistent copy.
macro_rules! sql_store {
    ($Store:ty, $DB:ty, begin = $begin:expr, seq_expr = $seq_expr:expr, id_lock = $id_lock:expr, row_lock = $row_lock:expr, claim_lock = $claim_lock:expr, backup = $backup:path) => {
        async fn load_papers(
            tx: &mut sqlx::Transaction<'_, $DB>,
            ids: &[String],
        ) -> Result<Vec<Paper>, StoreError> {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<$DB>::new(format!(
                    "SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ("
                ));
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(id.as_str());
                }
                q.push(")");
                q.push($row_lock);
                let rows: Vec<PaperRow> = q.build_query_as().fetch_all(&mut **tx).await?;
                for row in rows {
                    out.push(row.into_paper()?);
                }
            }
            Ok(out)
        }

        async fn load_entries(
            tx: &mut sqlx::Transaction<'_, $DB>,
            ids: &[String],
        ) -> Result<Vec<FeedEntry>, StoreError> {
            let mut out = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<$DB>::new(format!(
                    "SELECT {ENTRY_COLUMNS} FROM feed_entries WHERE paper_id IN ("
                ));
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push_bind(id.as_str());
                }
                q.push(")");
                let rows: Vec<EntryRow> = q.build_query_as().fetch_all(&mut **tx).await?;
                for row in rows {
                    out.push(row.into_entry()?);
                }
            }
            Ok(out)
        }

        async fn write_papers(
            tx: &mut sqlx::Transaction<'_, $DB>,
            papers: &[Paper],
            first_seq: i64,
        ) -> Result<(), StoreError> {
            let mut seq = first_seq;
            for chunk in papers.chunks(CHUNK) {
                let mut q =
                    sqlx::QueryBuilder::<$DB>::new(format!("INSERT INTO papers ({PAPER_COLUMNS}, seq) "));
                q.push_values(chunk, |mut b, p| {
                    b.push_bind(p.id.base().to_string())
                        .push_bind(p.version.map(i64::from))
                        .push_bind(p.title.as_str())
                        .push_bind(p.abstract_text.as_str())
                        .push_bind(to_json_list(&p.authors))
                        .push_bind(to_json_list(&p.categories))
                        .push_bind(p.published.map(millis))
                        .push_bind(p.updated.map(millis))
                        .push_bind(p.comment.as_deref())
                        .push_bind(p.doi.as_deref())
                        .push_bind(p.journal_ref.as_deref())
                        .push_bind(p.github_repo.as_deref())
                        .push_bind(p.project_page.as_deref());
                    match $seq_expr {
                        Some(expr) => {
                            b.push(expr);
                        }
                        None => {
                            seq += 1;
                            b.push_bind(seq);
                        }
                    }
                });
                q.push(
                    " ON CONFLICT (id) DO UPDATE SET version = excluded.version, title = excluded.title, \
                     abstract = excluded.abstract, authors = excluded.authors, \
                     categories = excluded.categories, published_at = excluded.published_at, \
                     updated_at = excluded.updated_at, comment = excluded.comment, doi = excluded.doi, \
                     journal_ref = excluded.journal_ref, github_repo = excluded.github_repo, \
                     project_page = excluded.project_page, seq = excluded.seq",
                );
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        async fn write_entries(
            tx: &mut sqlx::Transaction<'_, $DB>,
            entries: &[FeedEntry],
        ) -> Result<(), StoreError> {
            for chunk in entries.chunks(CHUNK) {
                let mut q =
                    sqlx::QueryBuilder::<$DB>::new(format!("INSERT INTO feed_entries ({ENTRY_COLUMNS}) "));
                q.push_values(chunk, |mut b, e| {
                    b.push_bind(e.day.format("%Y-%m-%d").to_string())
                        .push_bind(e.paper_id.base().to_string())
                        .push_bind(e.position)
                        .push_bind(millis(e.published_at))
                        .push_bind(e.submitted_at.map(millis))
                        .push_bind(e.submitted_by.as_deref())
                        .push_bind(e.upvotes)
                        .push_bind(e.num_comments)
                        .push_bind(e.ai_summary.as_deref())
                        .push_bind(to_json_list(&e.ai_keywords))
                        .push_bind(e.github_repo.as_deref())
                        .push_bind(e.github_stars)
                        .push_bind(e.project_page.as_deref())
                        .push_bind(e.organization.as_deref())
                        .push_bind(e.source_json.as_deref());
                });
                q.push(
                    " ON CONFLICT (day, paper_id) DO UPDATE SET position = excluded.position, \
                     published_at = excluded.published_at, submitted_at = excluded.submitted_at, \
                     submitted_by = excluded.submitted_by, upvotes = excluded.upvotes, \
                     num_comments = excluded.num_comments, ai_summary = excluded.ai_summary, \
                     ai_keywords = excluded.ai_keywords, github_repo = excluded.github_repo, \
                     github_stars = excluded.github_stars, project_page = excluded.project_page, \
                     organization = excluded.organization, source_json = excluded.source_json",
                );
                q.build().execute(&mut **tx).await?;
            }
            Ok(())
        }

        fn parse_day_text(s: &str) -> Result<NaiveDate, StoreError> {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| StoreError::Corrupt(format!("day {s:?}: {e}")))
        }

        #[async_trait]
        impl Store for $Store {
            async fn upsert_records(&self, records: Vec<Record>) -> Result<Vec<Outcome>, StoreError> {
                if records.is_empty() {
                    return Ok(Vec::new());
                }
                let ids = batch_ids(&records);
                let mut tx = match $begin {
                    Some(statement) => self.pool.begin_with(statement).await?,
                    None => self.pool.begin().await?,
                };
        // Writers that touch the same papers take turns (locks in id order: no deadlocks),
        // so concurrent merges never lose a newer version.
        if let Some(lock) = $id_lock {
            for chunk in ids.chunks(CHUNK) {
                let mut q = sqlx::QueryBuilder::<$DB>::new(format!("SELECT {lock} FROM (VALUES "));
                let mut sep = q.separated(", ");
                for id in chunk {
                    sep.push("(");
                    sep.push_bind_unseparated(id.as_str());
                    sep.push_unseparated(")");
                }
                q.push(") AS v(x) ORDER BY x");
                q.build().execute(&mut *tx).await?;
            }
        }
                let stored_papers = load_papers(&mut tx, &ids).await?;
                let stored_entries = if records.iter().any(|r| r.entry.is_some()) {
                    load_entries(&mut tx, &ids).await?
                } else {
                    Vec::new()
                };
                let plan = plan(records, stored_papers, stored_entries);
                if !plan.papers.is_empty() {
                    // With a database sequence each row takes its next value; otherwise (SQLite, one
                    // writer at a time) numbers continue from the highest stored one.
                    let max_seq: i64 = match $seq_expr {
                        Some(_) => 0,
                        None => {
                            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM papers")
                                .fetch_one(&mut *tx)
                                .await?
                        }
                    };
                    write_papers(&mut tx, &plan.papers, max_seq).await?;
                }
                write_entries(&mut tx, &plan.entries).await?;
                tx.commit().await?;
                Ok(plan.outcomes)
            }

            async fn paper(&self, id: &ArxivId) -> Result<Option<Paper>, StoreError> {
                let row: Option<PaperRow> =
                    sqlx::query_as(&format!("SELECT {PAPER_COLUMNS} FROM papers WHERE id = $1"))
                        .bind(id.base())
                        .fetch_optional(&self.pool)
                        .await?;
                row.map(PaperRow::into_paper).transpose()
            }

            async fn day_feed(&self, day: NaiveDate) -> Result<Vec<FeedItem>, StoreError> {
                let cols = prefixed(ENTRY_COLUMNS, "e");
                let sql = format!(
                    "SELECT {cols}, {FEED_PAPER_COLUMNS} FROM feed_entries e JOIN papers p ON p.id = e.paper_id \
                     WHERE e.day = $1 AND NOT p.hidden \
                     ORDER BY e.upvotes + p.local_upvotes DESC, e.published_at DESC, e.position ASC"
                );
                let rows: Vec<FeedRow> = sqlx::query_as(&sql)
                    .bind(day.format("%Y-%m-%d").to_string())
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(FeedRow::into_item).collect()
            }

            async fn latest_day(&self) -> Result<Option<NaiveDate>, StoreError> {
                let d: Option<String> = sqlx::query_scalar("SELECT MAX(day) FROM feed_entries")
                    .fetch_one(&self.pool)
                    .await?;
                d.as_deref().map(parse_day_text).transpose()
            }

            async fn adjacent_days(
                &self,
                day: NaiveDate,
            ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
                let d = day.format("%Y-%m-%d").to_string();
                let prev: Option<String> =
                    sqlx::query_scalar("SELECT MAX(day) FROM feed_entries WHERE day < $1")
                        .bind(&d)
                        .fetch_one(&self.pool)
                        .await?;
                let next: Option<String> =
                    sqlx::query_scalar("SELECT MIN(day) FROM feed_entries WHERE day > $1")
                        .bind(&d)
                        .fetch_one(&self.pool)
                        .await?;
                Ok((
                    prev.as_deref().map(parse_day_text).transpose()?,
                    next.as_deref().map(parse_day_text).transpose()?,
                ))
            }

            async fn stats(&self) -> Result<Stats, StoreError> {
                let papers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM papers")
                    .fetch_one(&self.pool)
                    .await?;
                let (feed_entries, days, first, last): (i64, i64, Option<String>, Option<String>) =
                    sqlx::query_as(
                        "SELECT COUNT(*), COUNT(DISTINCT day), MIN(day), MAX(day) FROM feed_entries",
                    )
                    .fetch_one(&self.pool)
                    .await?;
                let (jobs_queued, jobs_failed): (i64, i64) = sqlx::query_as(
                    "SELECT COALESCE(SUM(CASE WHEN state = 'queued' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0) FROM jobs",
                )
                .fetch_one(&self.pool)
                .await?;
                Ok(Stats {
                    papers,
                    feed_entries,
                    days,
                    first_day: first.as_deref().map(parse_day_text).transpose()?,
                    latest_day: last.as_deref().map(parse_day_text).transpose()?,
                    jobs_queued,
                    jobs_failed,
                })
            }

            async fn watermark(&self, name: &str) -> Result<Option<String>, StoreError> {
                Ok(
                    sqlx::query_scalar("SELECT value FROM watermarks WHERE name = $1")
                        .bind(name)
                        .fetch_optional(&self.pool)
                        .await?,
                )
            }

            async fn set_watermark(&self, name: &str, value: &str) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO watermarks (name, value, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                )
                .bind(name)
                .bind(value)
                .bind(now_millis())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn enqueue_job(&self, job: &NewJob) -> Result<bool, StoreError> {
                let r = sqlx::query(
                    "INSERT INTO jobs (kind, dedup_key, payload, run_after, max_attempts, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedup_key) DO NOTHING",
                )
                .bind(&job.kind)
                .bind(&job.dedup_key)
                .bind(&job.payload)
                .bind(millis(job.run_after))
                .bind(job.max_attempts)
                .bind(now_millis())
                .execute(&self.pool)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn claim_job(&self, worker: &str, lease: Duration) -> Result<Option<Job>, StoreError> {
                let now = now_millis();
                let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
                // One statement, so the claim is atomic (SQLite: one writer; PostgreSQL: SKIP LOCKED).
                let row: Option<(i64, String, String, String, i64)> = sqlx::query_as(
                    &format!(
                        "UPDATE jobs SET state = 'running', locked_by = $1, lease_until = $2, attempts = attempts + 1 \
                         WHERE id = (SELECT id FROM jobs \
                                     WHERE (state = 'queued' AND run_after <= $3) \
                                        OR (state = 'running' AND lease_until < $4) \
                                     ORDER BY run_after, id LIMIT 1{}) \
                         RETURNING id, kind, dedup_key, payload, attempts",
                        $claim_lock
                    ),
                )
                .bind(worker)
                .bind(now + lease_ms)
                .bind(now)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(id, kind, dedup_key, payload, attempts)| Job {
                    id,
                    kind,
                    dedup_key,
                    payload,
                    attempts,
                }))
            }

            async fn renew_job(&self, job: &Job, worker: &str, lease: Duration) -> Result<bool, StoreError> {
                let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
                let r = sqlx::query(
                    "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND locked_by = $3 AND state = 'running'",
                )
                .bind(now_millis() + lease_ms)
                .bind(job.id)
                .bind(worker)
                .execute(&self.pool)
                .await?;
                Ok(r.rows_affected() == 1)
            }

            async fn finish_job(&self, job: &Job, result: Result<(), String>) -> Result<(), StoreError> {
                let now = now_millis();
                match result {
                    Ok(()) => {
                        sqlx::query(
                            "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2",
                        )
                        .bind(now)
                        .bind(job.id)
                        .execute(&self.pool)
                        .await?;
                    }
                    Err(message) => {
                        // Exponential backoff: 30 s, 1 min, 2 min, ... capped at one hour.
                        let backoff = 30_000i64
                            .saturating_mul(1 << (job.attempts - 1).clamp(0, 7))
                            .min(3_600_000);
                        sqlx::query(
                            "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
                             run_after = $1, lease_until = NULL, last_error = $2, \
                             finished_at = CASE WHEN attempts >= max_attempts THEN $3 ELSE NULL END WHERE id = $4",
                        )
                        .bind(now + backoff)
                        .bind(message)
                        .bind(now)
                        .bind(job.id)
                        .execute(&self.pool)
                        .await?;
                    }
                }
                Ok(())
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn papers_after(
                &self,
                after: Option<&str>,
                limit: i64,
            ) -> Result<Vec<Paper>, StoreError> {
                let rows: Vec<PaperRow> = sqlx::query_as(&format!(
                    "SELECT {PAPER_COLUMNS} FROM papers WHERE id > $1 ORDER BY id LIMIT $2"
                ))
                .bind(after.unwrap_or(""))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(PaperRow::into_paper).collect()
            }

            async fn entries_after(
                &self,
                after: Option<(NaiveDate, &str)>,
                limit: i64,
            ) -> Result<Vec<FeedItem>, StoreError> {
                let cols = prefixed(ENTRY_COLUMNS, "e");
                let (day, id) = match after {
                    Some((d, id)) => (d.format("%Y-%m-%d").to_string(), id.to_string()),
                    None => (String::new(), String::new()),
                };
                let sql = format!(
                    "SELECT {cols}, {FEED_PAPER_COLUMNS} FROM feed_entries e JOIN papers p ON p.id = e.paper_id \
                     WHERE e.day > $1 OR (e.day = $1 AND e.paper_id > $2) \
                     ORDER BY e.day, e.paper_id LIMIT $3"
                );
                let rows: Vec<FeedRow> = sqlx::query_as(&sql)
                    .bind(day)
                    .bind(id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.into_iter().map(FeedRow::into_item).collect()
            }

            async fn watermarks(&self) -> Result<Vec<(String, String)>, StoreError> {
                Ok(sqlx::query_as("SELECT name, value FROM watermarks ORDER BY name")
                    .fetch_all(&self.pool)
                    .await?)
            }

            fn pool_status(&self) -> crate::PoolStatus {
                crate::PoolStatus {
                    size: self.pool.size(),
                    idle: self.pool.num_idle(),
                }
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError> {
                $backup(&self.pool, dest).await
            }
        }
    };
}

pub(crate) use sql_store;

//! RSS 2.0 and Atom feeds of the lists and of any search:
//!
//! | feed | RSS | Atom |
//! |---|---|---|
//! | the latest daily list | `/papers/feed.rss` | `/papers/feed.atom` |
//! | any day's list | `/papers/date/YYYY-MM-DD/feed.rss` | `/papers/date/YYYY-MM-DD/feed.atom` |
//! | the latest week | `/papers/week/feed.rss` | `/papers/week/feed.atom` |
//! | any week or month | `/papers/week/YYYY-Www/feed.rss`, `/papers/month/YYYY-MM/feed.rss` | the same with `.atom` |
//! | trending | `/papers/trending/feed.rss` | `/papers/trending/feed.atom` |
//! | a search | `/search/feed.rss?q=...` | `/search/feed.atom?q=...` |
//!
//! Each feed has the same papers, in the same order, as its HTML page. An item's GUID is the
//! paper's address on this site (stable: a paper is on a list once). HTML pages point at their
//! feeds with `<link rel="alternate">`.

use crate::error::OrPage;
use crate::params::{SearchForm, PAGE};
use crate::{AppError, AppState};
use atom_syndication as atom;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dp_core::{FeedItem, Paper, Period};
use std::collections::BTreeMap;

/// RSS or Atom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RSS 2.0.
    Rss,
    /// Atom 1.0.
    Atom,
}

impl Format {
    /// The format a feed's path asks for (`.atom`, else RSS).
    pub(crate) fn of(uri: &Uri) -> (Format, String) {
        let path = uri.path();
        let file = path.rsplit('/').next().unwrap_or("feed.rss").to_string();
        let format = if path.ends_with(".atom") {
            Format::Atom
        } else {
            Format::Rss
        };
        (format, file)
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
        }
    }
}

/// One paper of a feed.
pub struct Entry {
    /// The paper.
    pub paper: Paper,
    /// When it arrived on the list (or was published, for search results).
    pub at: DateTime<Utc>,
    /// Upvotes as shown.
    pub upvotes: i64,
}

impl Entry {
    fn of(item: &FeedItem) -> Entry {
        Entry {
            paper: item.paper.clone(),
            at: item.entry.submitted_at.unwrap_or(item.entry.published_at),
            upvotes: item.upvotes(),
        }
    }
}

/// A feed: its title, the page it mirrors, and its papers.
pub struct Feed {
    /// Title.
    pub title: String,
    /// Path of the HTML page with the same papers.
    pub page: String,
    /// Path of this feed (with its query).
    pub path: String,
    /// The papers, in the page's order.
    pub entries: Vec<Entry>,
}

fn description(p: &Paper, upvotes: i64) -> String {
    format!(
        "{}\n\n{} upvotes · arXiv {}",
        p.abstract_text, upvotes, p.id
    )
}

/// Writes the feed as RSS 2.0.
pub fn rss(feed: &Feed, base: &str, site: &str) -> String {
    use rss::extension::dublincore::DublinCoreExtension;
    let items: Vec<rss::Item> = feed
        .entries
        .iter()
        .map(|e| {
            let p = &e.paper;
            let link = format!("{base}/papers/{}", p.id);
            let mut item = rss::Item::default();
            item.set_title(p.title.clone());
            item.set_link(link.clone());
            let mut guid = rss::Guid::default();
            guid.set_value(link);
            guid.set_permalink(true);
            item.set_guid(guid);
            item.set_description(description(p, e.upvotes));
            item.set_pub_date(e.at.to_rfc2822());
            item.set_categories(
                p.categories
                    .iter()
                    .map(|c| {
                        let mut cat = rss::Category::default();
                        cat.set_name(c.clone());
                        cat
                    })
                    .collect::<Vec<_>>(),
            );
            let mut dc = DublinCoreExtension::default();
            dc.set_creators(p.authors.clone());
            item.set_dublin_core_ext(dc);
            item
        })
        .collect();
    let mut channel = rss::Channel::default();
    channel.set_title(format!("{} · {site}", feed.title));
    channel.set_link(format!("{base}{}", feed.page));
    channel.set_description(format!("{} on {site}", feed.title));
    channel.set_generator("dailypapers".to_string());
    let mut ns = BTreeMap::new();
    ns.insert(
        "dc".to_string(),
        "http://purl.org/dc/elements/1.1/".to_string(),
    );
    channel.set_namespaces(ns);
    if let Some(last) = feed.entries.iter().map(|e| e.at).max() {
        channel.set_last_build_date(last.to_rfc2822());
    }
    channel.set_items(items);
    channel.to_string()
}

/// Writes the feed as Atom 1.0.
pub fn atom(feed: &Feed, base: &str, site: &str) -> String {
    let updated = feed
        .entries
        .iter()
        .map(|e| e.at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH)
        .fixed_offset();
    let entries: Vec<atom::Entry> = feed
        .entries
        .iter()
        .map(|e| {
            let p = &e.paper;
            let link = format!("{base}/papers/{}", p.id);
            let mut entry = atom::Entry::default();
            entry.set_title(atom::Text::plain(p.title.clone()));
            entry.set_id(link.clone());
            let mut l = atom::Link::default();
            l.set_href(link);
            l.set_rel("alternate");
            entry.set_links(vec![l]);
            entry.set_authors(
                p.authors
                    .iter()
                    .map(|a| atom::Person {
                        name: a.clone(),
                        ..Default::default()
                    })
                    .collect::<Vec<_>>(),
            );
            entry.set_summary(Some(atom::Text::plain(description(p, e.upvotes))));
            entry.set_updated(e.at.fixed_offset());
            if let Some(published) = p.published {
                entry.set_published(Some(published.fixed_offset()));
            }
            entry.set_categories(
                p.categories
                    .iter()
                    .map(|c| atom::Category {
                        term: c.clone(),
                        ..Default::default()
                    })
                    .collect::<Vec<_>>(),
            );
            entry
        })
        .collect();
    let mut out = atom::Feed::default();
    out.set_title(atom::Text::plain(format!("{} · {site}", feed.title)));
    out.set_id(format!("{base}{}", feed.path));
    out.set_updated(updated);
    let mut alternate = atom::Link::default();
    alternate.set_href(format!("{base}{}", feed.page));
    alternate.set_rel("alternate");
    let mut this = atom::Link::default();
    this.set_href(format!("{base}{}", feed.path));
    this.set_rel("self");
    out.set_links(vec![alternate, this]);
    out.set_generator(Some(atom::Generator {
        value: "dailypapers".into(),
        ..Default::default()
    }));
    out.set_entries(entries);
    out.to_string()
}

/// A feed that is one reader's (or changes with a reader's edits): kept by no shared cache.
pub async fn respond_private(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
    feed: Feed,
) -> Result<Response, AppError> {
    let mut resp = respond(state, headers, format, feed).await?;
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    Ok(resp)
}

async fn respond(
    state: &AppState,
    headers: &HeaderMap,
    format: Format,
    feed: Feed,
) -> Result<Response, AppError> {
    let base = state.base_url(headers);
    let site = state.site_name();
    let body = match format {
        Format::Rss => rss(&feed, &base, site),
        Format::Atom => atom(&feed, &base, site),
    };
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type()),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        Bytes::from(body),
    )
        .into_response())
}

/// `/papers/{feed.rss | feed.atom}`: the latest daily list.
pub async fn daily(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let (format, file) = Format::of(&uri);
    let (title, entries) = match state.app.latest_day().await.or_page()? {
        Some(day) => (
            format!("Daily Papers · {day}"),
            state
                .app
                .day_list(day)
                .await
                .or_page()?
                .items
                .iter()
                .map(Entry::of)
                .collect(),
        ),
        None => ("Daily Papers".to_string(), Vec::new()),
    };
    let feed = Feed {
        title,
        page: "/papers".into(),
        path: format!("/papers/{file}"),
        entries,
    };
    respond(&state, &headers, format, feed).await
}

/// `/papers/date/{day}/{feed.rss | feed.atom}`: one day's list.
pub async fn day(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(day): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let (format, file) = Format::of(&uri);
    let day = dp_core::parse_day(&day).map_err(|e| AppError::bad_request(e.to_string()).page())?;
    let items = state.app.day_list(day).await.or_page()?.items;
    let feed = Feed {
        title: format!("Daily Papers · {day}"),
        page: format!("/papers/date/{day}"),
        path: format!("/papers/date/{day}/{file}"),
        entries: items.iter().map(Entry::of).collect(),
    };
    respond(&state, &headers, format, feed).await
}

/// `/papers/week/{week}/{feed.rss | feed.atom}` and `/papers/month/{month}/...`: one week's or
/// month's papers.
pub async fn period(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    uri: Uri,
) -> Result<Response, AppError> {
    let (format, file) = Format::of(&uri);
    let period = if uri.path().starts_with("/papers/week/") {
        Period::parse_week(&name)
    } else {
        Period::parse_month(&name)
    }
    .map_err(|e| AppError::bad_request(e.to_string()).page())?;
    let items = state.app.period_list(period).await.or_page()?;
    let feed = Feed {
        title: period.label(),
        page: period.path(),
        path: format!("{}/{file}", period.path()),
        entries: items.iter().map(Entry::of).collect(),
    };
    respond(&state, &headers, format, feed).await
}

/// `/papers/week/{feed.rss | feed.atom}`: the week of the latest list.
pub async fn weekly(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let (format, file) = Format::of(&uri);
    let day = state.app.current_day().await.or_page()?;
    let period = Period::week_of(day);
    let items = state.app.period_list(period).await.or_page()?;
    let feed = Feed {
        title: period.label(),
        page: period.path(),
        path: format!("/papers/week/{file}"),
        entries: items.iter().map(Entry::of).collect(),
    };
    respond(&state, &headers, format, feed).await
}

/// `/papers/trending/{feed.rss | feed.atom}`.
pub async fn trending(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, AppError> {
    let (format, file) = Format::of(&uri);
    let ranked = state.app.trending().await.or_page()?;
    let feed = Feed {
        title: "Trending papers".into(),
        page: "/papers/trending".into(),
        path: format!("/papers/trending/{file}"),
        entries: ranked.iter().map(|t| Entry::of(&t.item)).collect(),
    };
    respond(&state, &headers, format, feed).await
}

/// `/search/{feed.rss | feed.atom}?q=...` (and the search page's other fields): the first page
/// of results.
pub async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    Query(form): Query<SearchForm>,
) -> Result<Response, AppError> {
    let (format, file) = Format::of(&uri);
    let raw = form.combined();
    let query = form.query_string();
    let entries = if raw.trim().is_empty() {
        Vec::new()
    } else {
        let mode = dp_app::search::parse_mode(&form.mode).or_page()?;
        state
            .app
            .search(&raw, PAGE, mode)
            .await
            .or_page()?
            .into_iter()
            .map(|(_, s)| Entry {
                at: s
                    .paper
                    .published
                    .or(s.paper.updated)
                    .unwrap_or(DateTime::UNIX_EPOCH),
                upvotes: s.upvotes,
                paper: s.paper,
            })
            .collect()
    };
    let feed = Feed {
        title: format!("Search: {}", raw.trim()),
        page: format!("/search?{query}"),
        path: format!("/search/{file}?{query}"),
        entries,
    };
    respond(&state, &headers, format, feed).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use dp_core::ArxivId;

    fn feed() -> Feed {
        let id = ArxivId::parse("2503.00001").unwrap();
        let mut p = Paper::new(
            &id,
            "A <b>bold</b> & \"quoted\" title",
            "We show $x<y$ & more ]]> <![CDATA[ end.",
        );
        p.authors = vec!["Ada Lovelace".into(), "Alan Turing".into()];
        p.categories = vec!["cs.LG".into()];
        Feed {
            title: "Daily Papers · 2025-03-17".into(),
            page: "/papers".into(),
            path: "/papers/feed.rss".into(),
            entries: vec![Entry {
                paper: p,
                at: DateTime::UNIX_EPOCH,
                upvotes: 3,
            }],
        }
    }

    #[test]
    fn rss_escapes_and_carries_authors() {
        let xml = rss(&feed(), "http://h", "Site");
        assert!(
            xml.contains("<dc:creator>Ada Lovelace</dc:creator>"),
            "{xml}"
        );
        assert!(xml.contains("&lt;b&gt;bold&lt;/b&gt; &amp;"), "{xml}");
        assert!(
            xml.contains("<guid>http://h/papers/2503.00001</guid>"),
            "{xml}"
        );
        let parsed = rss::Channel::read_from(xml.as_bytes()).unwrap();
        let d = parsed.items()[0].description().unwrap();
        assert!(
            d.starts_with("We show $x<y$ & more ]]> <![CDATA[ end."),
            "{d}"
        );
    }

    #[test]
    fn atom_escapes_and_carries_authors() {
        let xml = atom(&feed(), "http://h", "Site");
        assert!(xml.contains("<name>Alan Turing</name>"), "{xml}");
        assert!(xml.contains("$x&lt;y$ &amp; more ]]&gt;"), "{xml}");
        let parsed: atom::Feed = xml.parse().unwrap();
        assert_eq!(parsed.entries().len(), 1);
        assert_eq!(parsed.entries()[0].id(), "http://h/papers/2503.00001");
    }
}

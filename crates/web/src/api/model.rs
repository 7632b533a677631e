//! The JSON shapes of the API, as Hugging Face's papers API writes them (field names, nesting,
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` times), built from the store's types. The same types describe the
//! responses in `/api/openapi.json`, so the description cannot drift from what is sent.
//!
//! Items that came from Hugging Face keep what only the source knows (author and discussion ids,
//! claimed authors, the submitter's profile, organisation, media), as parsed once at import
//! ([`HfExtras`]); everything else is ours.

use chrono::{DateTime, Utc};
use dp_core::hf::{HfAuthor, HfExtras, HfUser};
use dp_core::{Comment, FeedEntry, FeedItem, Paper};
use dp_store::{PaperDetail, PaperSummary};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A time as the Hugging Face API writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A stable 24-hex id (the shape of Hugging Face's object ids) for something that has none.
pub fn object_id(kind: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{kind}\u{0}{key}").as_bytes());
    digest[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// A user as the API shows one. Hugging Face's web reads `name` and its Python client reads
/// `user`; both carry the user name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    /// Object id.
    #[serde(rename = "_id")]
    pub id: String,
    /// User name.
    pub user: String,
    /// User name (again, for clients that read this key).
    pub name: String,
    /// Display name.
    pub fullname: String,
    /// Avatar address (may be relative or empty).
    pub avatar_url: String,
    /// `user` or `org`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Hugging Face's paid plan flag; always `false` for local users.
    pub is_pro: bool,
}

impl UserJson {
    /// A user of this server.
    pub fn local(name: &str) -> UserJson {
        UserJson {
            id: object_id("user", &name.to_lowercase()),
            user: name.to_string(),
            name: name.to_string(),
            fullname: name.to_string(),
            avatar_url: String::new(),
            kind: "user".into(),
            is_pro: false,
        }
    }

    /// A Hugging Face account as its item showed it, with the name under both keys.
    fn from_hf(u: &HfUser) -> UserJson {
        let name = u.name.clone();
        UserJson {
            id: u
                .id
                .clone()
                .unwrap_or_else(|| object_id("user", &name.to_lowercase())),
            fullname: u.fullname.clone().unwrap_or_else(|| name.clone()),
            avatar_url: u.avatar_url.clone().unwrap_or_default(),
            kind: u.kind.clone().unwrap_or_else(|| "user".into()),
            is_pro: u.is_pro,
            user: name.clone(),
            name,
        }
    }
}

/// One author of a paper.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthorJson {
    /// Object id of the author entry.
    #[serde(rename = "_id")]
    pub id: String,
    /// The name as on the paper.
    pub name: String,
    /// Hidden by the paper's authors (never on this server).
    pub hidden: bool,
    /// The account that claimed this author entry, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserJson>,
    /// Claim status from the source (`claimed_verified`, ...), or `claimed_verified` for a claim
    /// an admin of this server approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When that status last changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_last_changed_at: Option<String>,
}

/// The organisation a paper was submitted for.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrganizationJson {
    /// Object id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Short name.
    pub name: String,
    /// Full name.
    pub fullname: String,
    /// Avatar address (Hugging Face's key).
    pub avatar: String,
    /// Avatar address again (the Python client's key).
    pub avatar_url: String,
}

/// The `paper` object of a list item; also the top level of `GET /api/papers/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperJson {
    /// Bare arXiv id.
    pub id: String,
    /// Authors in order.
    pub authors: Vec<AuthorJson>,
    /// First publication on arXiv.
    pub published_at: String,
    /// When the paper was put on a daily list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_at: Option<String>,
    /// Who put it there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_on_daily_by: Option<UserJson>,
    /// Title.
    pub title: String,
    /// Abstract.
    pub summary: String,
    /// Upvotes: the source's count plus this server's.
    pub upvotes: i64,
    /// Object id of the paper's discussion.
    pub discussion_id: String,
    /// One-sentence AI summary, when known.
    #[serde(rename = "ai_summary", skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<String>,
    /// AI-extracted keywords, when known.
    #[serde(rename = "ai_keywords", skip_serializing_if = "Option::is_none")]
    pub ai_keywords: Option<Vec<String>>,
    /// Code repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_repo: Option<String>,
    /// Stars of the code repository when last seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_stars: Option<i64>,
    /// Project page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_page: Option<String>,
    /// Organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationJson>,
    /// Images and videos the submitter attached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_urls: Option<Vec<String>>,
}

/// An item of `GET /api/daily_papers`: the paper, plus the list entry's own fields. The paper's
/// AI summary, keywords and links are repeated at the top level, where Hugging Face's Python
/// client looks for them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DailyItem {
    /// The paper.
    pub paper: PaperJson,
    /// The list entry's timestamp.
    pub published_at: String,
    /// Title.
    pub title: String,
    /// Abstract.
    pub summary: String,
    /// Thumbnail address from the source, or empty.
    pub thumbnail: String,
    /// Comments: the source's count plus this server's.
    pub num_comments: i64,
    /// Who put the paper on the list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<UserJson>,
    /// Whether an author takes part in the discussion.
    pub is_author_participating: bool,
    /// Images and videos the submitter attached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_urls: Option<Vec<String>>,
    /// Organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationJson>,
    /// Copy of `paper.ai_summary`.
    #[serde(rename = "ai_summary", skip_serializing_if = "Option::is_none")]
    pub ai_summary: Option<String>,
    /// Copy of `paper.ai_keywords`.
    #[serde(rename = "ai_keywords", skip_serializing_if = "Option::is_none")]
    pub ai_keywords: Option<Vec<String>>,
    /// Copy of `paper.githubRepo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_repo: Option<String>,
    /// Copy of `paper.githubStars`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_stars: Option<i64>,
    /// Copy of `paper.projectPage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_page: Option<String>,
}

/// `GET /api/papers/{id}`: the paper's fields at the top level.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperDetailJson {
    /// The paper.
    #[serde(flatten)]
    pub paper: PaperJson,
    /// Comments: the source's count plus this server's.
    pub num_comments: i64,
    /// Whether an author takes part in the discussion.
    pub is_author_participating: bool,
    /// arXiv categories, primary first (our addition).
    pub categories: Vec<String>,
    /// The days of the daily lists the paper is on, newest first (our addition).
    pub daily_dates: Vec<String>,
    /// Models on the Hub citing the paper, as the Hub describes them (each has `id`); absent
    /// until the Hub was asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub linked_models: Option<Vec<serde_json::Value>>,
    /// Datasets on the Hub citing the paper.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub linked_datasets: Option<Vec<serde_json::Value>>,
    /// Spaces on the Hub citing the paper.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub linked_spaces: Option<Vec<serde_json::Value>>,
    /// How many models cite it (more than `linkedModels` lists when there are many).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_total_models: Option<i64>,
    /// How many datasets cite it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_total_datasets: Option<i64>,
    /// How many Spaces cite it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_total_spaces: Option<i64>,
}

/// `GET /api/arxiv/{id}/repos`: the Hub repositories citing a paper, as arXiv's abstract
/// pages ask Hugging Face for them.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReposJson {
    /// Models (the Hub's objects: `id`, `likes`, `downloads`, `tags`, ...).
    #[schema(value_type = Vec<Object>)]
    pub models: Vec<serde_json::Value>,
    /// Datasets.
    #[schema(value_type = Vec<Object>)]
    pub datasets: Vec<serde_json::Value>,
    /// Spaces.
    #[schema(value_type = Vec<Object>)]
    pub spaces: Vec<serde_json::Value>,
}

/// The Hub's objects of one kind, as stored.
pub fn hub_objects(hub: &dp_core::HubRepos, kind: dp_core::HubKind) -> Vec<serde_json::Value> {
    hub.of(kind)
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.json)
                .ok()
                .filter(|v| v.get("id").is_some_and(|id| id.is_string()))
                .unwrap_or_else(|| serde_json::json!({ "id": r.id }))
        })
        .collect()
}

impl ReposJson {
    /// What the Hub said (empty lists when it was never asked).
    pub fn of(hub: Option<&dp_core::HubRepos>) -> ReposJson {
        use dp_core::HubKind;
        let list = |k| hub.map(|h| hub_objects(h, k)).unwrap_or_default();
        ReposJson {
            models: list(HubKind::Model),
            datasets: list(HubKind::Dataset),
            spaces: list(HubKind::Space),
        }
    }
}

/// A highlighted piece of a search result's title or abstract.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Segment {
    /// `text` or `highlight`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The text.
    pub text: String,
}

/// An item of `GET /api/papers/search`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchItem {
    /// The paper, as in a list item.
    #[serde(flatten)]
    pub item: DailyItem,
    /// Whether the reader upvoted it (always `false`: the API is anonymous for reads).
    pub upvoted: bool,
    /// The title in pieces, matched words highlighted.
    pub highlighted_title: Vec<Segment>,
    /// A passage of the abstract in pieces, matched words highlighted.
    pub highlighted_summary: Vec<Segment>,
}

/// An item of `GET /api/papers`: a flat summary.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperListItem {
    /// Bare arXiv id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Thumbnail address, or empty.
    pub thumbnail_url: String,
    /// Upvotes: the source's count plus this server's.
    pub upvotes: i64,
    /// Comments: the source's count plus this server's (our addition).
    pub num_comments: i64,
    /// First publication on arXiv.
    pub published_at: String,
    /// Authors in order.
    pub authors: Vec<AuthorJson>,
    /// Abstract.
    pub summary: String,
    /// Project page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_page: Option<String>,
    /// Code repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub github_repo: Option<String>,
}

/// A similar paper, for `GET /api/papers/{id}/similar`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimilarItem {
    /// The paper.
    pub paper: PaperListItem,
    /// Comments: the source's count plus this server's.
    pub num_comments: i64,
    /// Cosine similarity of the two papers' embeddings.
    pub similarity: f32,
}

/// What a comment says.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommentText {
    /// The comment's text as written (Markdown), empty when deleted.
    pub raw: String,
}

/// A comment's state and text.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommentData {
    /// Edited after it was posted.
    pub edited: bool,
    /// Deleted by its author or an admin.
    pub hidden: bool,
    /// The current text.
    pub latest: CommentText,
}

/// A comment, in the shape of Hugging Face's paper pages, with `parentId` for replies.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentJson {
    /// The comment's id.
    pub id: String,
    /// The comment replied to, for a reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Who wrote it.
    pub author: UserJson,
    /// When it was posted.
    pub created_at: String,
    /// Always `comment`.
    #[serde(rename = "type")]
    pub kind: String,
    /// State and text.
    pub data: CommentData,
}

impl CommentJson {
    /// The API shape of a stored comment.
    pub fn of(c: &Comment) -> CommentJson {
        CommentJson {
            id: c.id.to_string(),
            parent_id: c.parent_id.map(|p| p.to_string()),
            author: UserJson::local(&c.author),
            created_at: ts(c.created_at),
            kind: "comment".into(),
            data: CommentData {
                edited: c.edited_at.is_some(),
                hidden: c.deleted,
                latest: CommentText {
                    raw: if c.deleted {
                        String::new()
                    } else {
                        c.body.clone()
                    },
                },
            },
        }
    }
}

/// Body of `POST /api/papers/{id}/comment` and of a reply.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CommentBody {
    /// The comment (Markdown), 1 to 10,000 characters.
    pub comment: String,
}

/// Body of `POST /api/papers/submit`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SubmitBody {
    /// arXiv id or address of the paper (`arxivId` and `paperId` are accepted too).
    #[serde(alias = "arxivId", alias = "paperId")]
    pub paper_id: String,
}

/// Body of `POST /api/papers/index`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IndexBody {
    /// The arXiv id, `YYMM.NNNNN`.
    #[serde(alias = "paperId", alias = "paper_id")]
    pub arxiv_id: String,
}

/// A field that tells "absent" (`None`) from "null" (`Some(None)`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Body of `POST /api/papers/{id}/links`: a link left out stays, `null` removes it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinksBody {
    /// The code repository (`http(s)://`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub github_repo: Option<Option<String>>,
    /// The project page (`http(s)://`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub project_page: Option<Option<String>>,
    /// Hugging Face's organisation id: accepted and ignored (this server has no organisations).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub organization_id: Option<Option<String>>,
}

/// A paper's links after `POST /api/papers/{id}/links`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinksJson {
    /// Bare arXiv id.
    pub id: String,
    /// The code repository.
    pub github_repo: Option<String>,
    /// The project page.
    pub project_page: Option<String>,
}

/// Body of `POST /api/settings/papers/claim`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimBody {
    /// The paper's arXiv id.
    pub paper_id: String,
    /// The `_id` of the author entry claimed (from `GET /api/papers/{id}`); when left out, the
    /// author whose name is the caller's user name.
    pub claim_author_id: Option<String>,
    /// Claiming for someone else: not supported here (400).
    pub target_user_id: Option<String>,
}

/// A claim, waiting for an admin (`pending`) or decided.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimJson {
    /// The claim's number.
    pub id: i64,
    /// Bare arXiv id.
    pub paper_id: String,
    /// The author name claimed.
    pub author_name: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
}

/// What a submission did.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitJson {
    /// Bare arXiv id.
    pub id: String,
    /// The day of the list the paper is on.
    pub date: String,
    /// `true` when the paper was on a list already (nothing changed).
    pub duplicate: bool,
}

/// The state of an upvote.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VoteJson {
    /// The caller's upvote stands.
    pub upvoted: bool,
    /// The paper's upvotes as shown.
    pub upvotes: i64,
}

/// An error.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorJson {
    /// What went wrong, for people (names the parameter at fault).
    pub error: String,
    /// A stable code for programs: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
    /// `rate_limited`, `unavailable`, `internal`.
    pub code: String,
}

/// Approved authorship claims of this server: (bare paper id, author name) to user name.
pub type Claimed = HashMap<(String, String), String>;

/// The authors of a paper: the source's entries where it has them (ids, claimed accounts),
/// with this server's approved claims on top.
fn authors(p: &Paper, source: Option<&HfExtras>, claimed: &Claimed) -> Vec<AuthorJson> {
    let pid = p.id.to_string();
    let from_source: &[HfAuthor] = source.map_or(&[], |s| &s.authors);
    p.authors
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let src = from_source
                .get(i)
                .filter(|a| a.name.as_deref() == Some(name.as_str()));
            let mut a = AuthorJson {
                id: src
                    .and_then(|a| a.id.clone())
                    .unwrap_or_else(|| object_id("author", &format!("{pid}/{i}"))),
                name: name.clone(),
                hidden: false,
                user: src.and_then(|a| a.user.as_ref()).map(UserJson::from_hf),
                status: src.and_then(|a| a.status.clone()),
                status_last_changed_at: src.and_then(|a| a.status_changed_at.clone()),
            };
            if let Some(user) = claimed.get(&(pid.clone(), name.clone())) {
                a.user = Some(UserJson::local(user));
                a.status = Some("claimed_verified".into());
            }
            a
        })
        .collect()
}

fn organization(source: Option<&HfExtras>) -> Option<OrganizationJson> {
    let o = source?.organization.as_ref()?;
    let avatar = o.avatar.clone().unwrap_or_default();
    Some(OrganizationJson {
        id: o.id.clone().unwrap_or_else(|| object_id("org", &o.name)),
        fullname: o.fullname.clone().unwrap_or_else(|| o.name.clone()),
        name: o.name.clone(),
        avatar_url: avatar.clone(),
        avatar,
    })
}

fn media(source: Option<&HfExtras>) -> Option<Vec<String>> {
    source
        .map(|s| &s.media_urls)
        .filter(|m| !m.is_empty())
        .cloned()
}

fn extras_of(entry: Option<&FeedEntry>) -> Option<&HfExtras> {
    entry.and_then(|e| e.hf.as_ref())
}

/// The `paper` object of a paper, from its list entry when it is on one.
fn paper_of(
    p: &Paper,
    e: Option<&FeedEntry>,
    upvotes: i64,
    source: Option<&HfExtras>,
    claimed: &Claimed,
) -> PaperJson {
    let links = dp_core::Links::of(p, e);
    let submitter = source
        .and_then(|s| s.submitter.as_ref())
        .map(UserJson::from_hf)
        .or_else(|| {
            e.and_then(|e| e.submitted_by.as_deref())
                .map(UserJson::local)
        });
    let published = p
        .published
        .or(e.map(|e| e.published_at))
        .or(p.updated)
        .unwrap_or(DateTime::UNIX_EPOCH);
    PaperJson {
        id: p.id.to_string(),
        authors: authors(p, source, claimed),
        published_at: ts(published),
        submitted_on_daily_at: e.and_then(|e| e.submitted_at).map(ts),
        submitted_on_daily_by: submitter,
        title: p.title.clone(),
        summary: p.abstract_text.clone(),
        upvotes,
        discussion_id: source
            .and_then(|s| s.discussion_id.clone())
            .unwrap_or_else(|| object_id("discussion", &p.id.to_string())),
        ai_summary: e.and_then(|e| e.ai_summary.clone()),
        ai_keywords: e
            .filter(|e| !e.ai_keywords.is_empty())
            .map(|e| e.ai_keywords.clone()),
        github_repo: links.github_repo.map(str::to_string),
        github_stars: links.github_stars,
        project_page: links.project_page.map(str::to_string),
        organization: organization(source),
        media_urls: media(source),
    }
}

/// A list item of `paper`: its entry's fields when it is on a list, else the paper's own.
fn item_of(
    paper: PaperJson,
    e: Option<&FeedEntry>,
    comments: i64,
    source: Option<&HfExtras>,
) -> DailyItem {
    let submitted_by = source
        .and_then(|s| s.submitted_by.as_ref())
        .map(UserJson::from_hf)
        .or_else(|| paper.submitted_on_daily_by.clone());
    DailyItem {
        published_at: e.map_or_else(|| paper.published_at.clone(), |e| ts(e.published_at)),
        title: paper.title.clone(),
        summary: paper.summary.clone(),
        thumbnail: source.and_then(|s| s.thumbnail.clone()).unwrap_or_default(),
        num_comments: comments,
        submitted_by,
        is_author_participating: participating(source),
        media_urls: paper.media_urls.clone(),
        organization: paper.organization.clone(),
        ai_summary: paper.ai_summary.clone(),
        ai_keywords: paper.ai_keywords.clone(),
        github_repo: paper.github_repo.clone(),
        github_stars: paper.github_stars,
        project_page: paper.project_page.clone(),
        paper,
    }
}

fn participating(source: Option<&HfExtras>) -> bool {
    source.is_some_and(|s| s.author_participating)
}

/// A list entry in the API's shape.
pub fn daily_item(item: &FeedItem, claimed: &Claimed) -> DailyItem {
    let e = Some(&item.entry);
    let source = extras_of(e);
    let paper = paper_of(&item.paper, e, item.upvotes(), source, claimed);
    item_of(paper, e, item.comments(), source)
}

/// `GET /api/papers/{id}` of a stored paper (its newest list entry gives the list fields).
pub fn detail(detail: &PaperDetail, claimed: &Claimed) -> PaperDetailJson {
    use dp_core::HubKind;
    let hub = detail.hub.as_ref();
    let e = detail.entries.first();
    let source = extras_of(e);
    PaperDetailJson {
        paper: paper_of(&detail.paper, e, detail.upvotes(), source, claimed),
        num_comments: detail.comments(),
        is_author_participating: participating(source),
        categories: detail.paper.categories.clone(),
        daily_dates: detail
            .entries
            .iter()
            .map(|e| e.day.format("%Y-%m-%d").to_string())
            .collect(),
        linked_models: hub.map(|h| hub_objects(h, HubKind::Model)),
        linked_datasets: hub.map(|h| hub_objects(h, HubKind::Dataset)),
        linked_spaces: hub.map(|h| hub_objects(h, HubKind::Space)),
        num_total_models: hub.map(|h| h.num_models),
        num_total_datasets: hub.map(|h| h.num_datasets),
        num_total_spaces: hub.map(|h| h.num_spaces),
    }
}

/// The `_id` and name of each of a paper's author entries, as `GET /api/papers/{id}` shows them.
pub fn author_entries(detail: &PaperDetail) -> Vec<(String, String)> {
    let source = extras_of(detail.entries.first());
    authors(&detail.paper, source, &Claimed::new())
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect()
}

/// A paper that may be on no list, as a list item (search results).
pub fn summary_item(s: &PaperSummary) -> DailyItem {
    let paper = paper_of(&s.paper, None, s.upvotes, None, &Claimed::new());
    item_of(paper, None, s.comments, None)
}

/// A flat summary for `GET /api/papers`.
pub fn list_item(s: &PaperSummary) -> PaperListItem {
    let p = &s.paper;
    PaperListItem {
        id: p.id.to_string(),
        title: p.title.clone(),
        thumbnail_url: String::new(),
        upvotes: s.upvotes,
        num_comments: s.comments,
        published_at: ts(p.published.or(p.updated).unwrap_or(DateTime::UNIX_EPOCH)),
        authors: authors(p, None, &Claimed::new()),
        summary: p.abstract_text.clone(),
        project_page: p.project_page.clone(),
        github_repo: p.github_repo.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_ids_have_the_hugging_face_shape() {
        let t = DateTime::parse_from_rfc3339("2025-03-17T09:05:01.5+00:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(t), "2025-03-17T09:05:01.500Z");
        let id = object_id("author", "2503.00001/0");
        assert_eq!(id.len(), 24);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, object_id("author", "2503.00001/0"));
        assert_ne!(id, object_id("author", "2503.00001/1"));
    }

    #[test]
    fn source_users_carry_the_name_under_both_keys() {
        let u = UserJson::from_hf(&HfUser {
            id: Some("x".into()),
            name: "akhaliq".into(),
            ..HfUser::default()
        });
        assert_eq!((u.user.as_str(), u.name.as_str()), ("akhaliq", "akhaliq"));
        assert_eq!(
            (u.id.as_str(), u.fullname.as_str(), u.kind.as_str()),
            ("x", "akhaliq", "user")
        );
        let u = UserJson::from_hf(&HfUser {
            name: "bob".into(),
            fullname: Some("Bob B".into()),
            ..HfUser::default()
        });
        assert_eq!(
            (u.user.as_str(), u.name.as_str(), u.fullname.as_str()),
            ("bob", "bob", "Bob B")
        );
        assert_eq!(u.id, object_id("user", "bob"));
    }
}

//! What a Hugging Face daily-papers item knows beyond the paper's metadata (author and
//! discussion ids, claimed author accounts, the submitter's profile, organisation, media,
//! thumbnail), parsed once when the item is imported and stored with its list entry, so that
//! answers in Hugging Face's shape never go back to the item's text.
//!
//! Every field is what the item says, or `None`/empty where it says nothing (an empty string
//! counts as nothing); filling in defaults is for whoever shows it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The source's extras of one list entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HfExtras {
    /// The item's author entries, in the item's order (`paper.authors`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<HfAuthor>,
    /// Who put the paper on the list (`paper.submittedOnDailyBy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitter: Option<HfUser>,
    /// The submitter as the item's top level shows them (`submittedBy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_by: Option<HfUser>,
    /// The object id of the paper's discussion (`paper.discussionId`, kept even when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discussion_id: Option<String>,
    /// The organisation (`organization`, else `paper.organization`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<HfOrganization>,
    /// Attached images and videos (`mediaUrls`, else `paper.mediaUrls`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media_urls: Vec<String>,
    /// The card's picture (`thumbnail`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// An author takes part in the discussion (`isAuthorParticipating`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub author_participating: bool,
}

/// A Hugging Face account as an item shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HfUser {
    /// Object id (`_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// User name (`user`, else `name`).
    pub name: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullname: Option<String>,
    /// Avatar address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// `user` or `org` (`type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Hugging Face's paid-plan flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_pro: bool,
}

/// One author entry of an item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HfAuthor {
    /// Object id of the entry (`_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The name exactly as the item writes it (compared with the paper's author list).
    #[serde(default)]
    pub name: Option<String>,
    /// The account that claimed the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<HfUser>,
    /// Claim status (`claimed_verified`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the status last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<String>,
}

/// An organisation as an item shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HfOrganization {
    /// Object id (`_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Short name.
    pub name: String,
    /// Full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fullname: Option<String>,
    /// Avatar address (`avatar`, else `avatarUrl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

/// One item of Hugging Face's `/api/daily_papers` as it is read: the fields this server uses,
/// typed. The importer builds the paper and its list entry from it; [`HfItem::extras`] keeps
/// the rest. Fields only kept as extras are read leniently: a value of an unexpected type
/// counts as absent instead of refusing the item.
#[derive(Debug, Deserialize)]
pub struct HfItem {
    /// The paper.
    pub paper: HfItemPaper,
    /// The entry's own timestamp.
    #[serde(rename = "publishedAt")]
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The abstract, when the paper object has none.
    pub summary: Option<String>,
    /// Comments on Hugging Face.
    #[serde(rename = "numComments", default)]
    pub num_comments: Option<i64>,
    #[serde(rename = "submittedBy", default, deserialize_with = "lenient")]
    submitted_by: Option<RawUser>,
    #[serde(default, deserialize_with = "lenient")]
    organization: Option<RawOrganization>,
    #[serde(rename = "mediaUrls", default, deserialize_with = "lenient")]
    media_urls: Option<Vec<Value>>,
    #[serde(default, deserialize_with = "lenient")]
    thumbnail: Option<String>,
    #[serde(
        rename = "isAuthorParticipating",
        default,
        deserialize_with = "lenient"
    )]
    author_participating: Option<bool>,
}

/// The `paper` object of an [`HfItem`].
#[derive(Debug, Deserialize)]
pub struct HfItemPaper {
    /// arXiv id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Abstract.
    pub summary: Option<String>,
    /// Authors in order.
    #[serde(default)]
    pub authors: Vec<HfItemAuthor>,
    /// First publication on arXiv.
    #[serde(rename = "publishedAt")]
    pub published_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When it was put on the list.
    #[serde(rename = "submittedOnDailyAt")]
    pub submitted_on_daily_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Upvotes on Hugging Face.
    #[serde(default)]
    pub upvotes: Option<i64>,
    /// One-sentence AI summary.
    pub ai_summary: Option<String>,
    /// AI-extracted keywords.
    pub ai_keywords: Option<Vec<String>>,
    /// Code repository.
    #[serde(rename = "githubRepo")]
    pub github_repo: Option<String>,
    /// Stars of the code repository.
    #[serde(rename = "githubStars")]
    pub github_stars: Option<i64>,
    /// Project page.
    #[serde(rename = "projectPage")]
    pub project_page: Option<String>,
    #[serde(rename = "submittedOnDailyBy", default, deserialize_with = "lenient")]
    submitted_on_daily_by: Option<RawUser>,
    #[serde(default, deserialize_with = "lenient")]
    organization: Option<RawOrganization>,
    #[serde(rename = "mediaUrls", default, deserialize_with = "lenient")]
    media_urls: Option<Vec<Value>>,
    #[serde(rename = "discussionId", default, deserialize_with = "lenient")]
    discussion_id: Option<String>,
}

/// An author entry of an [`HfItemPaper`].
#[derive(Debug, Deserialize)]
pub struct HfItemAuthor {
    /// The name as written.
    pub name: String,
    #[serde(rename = "_id", default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    user: Option<RawUser>,
    #[serde(default, deserialize_with = "lenient")]
    status: Option<String>,
    #[serde(rename = "statusLastChangedAt", default, deserialize_with = "lenient")]
    status_changed_at: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawUser {
    #[serde(rename = "_id", default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    user: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    fullname: Option<String>,
    #[serde(rename = "avatarUrl", default, deserialize_with = "lenient")]
    avatar_url: Option<String>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    kind: Option<String>,
    #[serde(rename = "isPro", default, deserialize_with = "lenient")]
    is_pro: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct RawOrganization {
    #[serde(rename = "_id", default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    fullname: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    avatar: Option<String>,
    #[serde(rename = "avatarUrl", default, deserialize_with = "lenient")]
    avatar_url: Option<String>,
}

/// A value of the expected type, or `None` for anything else (null, another type).
fn lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let v = Option::<Value>::deserialize(d)?;
    Ok(v.and_then(|v| serde_json::from_value(v).ok()))
}

/// Empty text is no text.
fn some(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl RawUser {
    /// `None` without a user name (`user`, else `name`).
    fn into_user(self) -> Option<HfUser> {
        Some(HfUser {
            name: some(self.user).or_else(|| some(self.name))?,
            id: some(self.id),
            fullname: some(self.fullname),
            avatar_url: some(self.avatar_url),
            kind: some(self.kind),
            is_pro: self.is_pro.unwrap_or(false),
        })
    }

    /// The user name, as the list entry keeps it.
    fn name_of(&self) -> Option<String> {
        some(self.user.clone()).or_else(|| some(self.name.clone()))
    }
}

fn media(urls: Vec<Value>) -> Vec<String> {
    urls.into_iter()
        .filter_map(|u| u.as_str().map(str::to_string))
        .collect()
}

impl HfItem {
    /// Parses an item's JSON text.
    pub fn parse(raw: &str) -> Result<HfItem, serde_json::Error> {
        serde_json::from_str(raw)
    }

    /// Who put the paper on the list, by user name: `paper.submittedOnDailyBy`, else the top
    /// level's `submittedBy`.
    pub fn submitter_name(&self) -> Option<String> {
        self.paper
            .submitted_on_daily_by
            .as_ref()
            .and_then(RawUser::name_of)
            .or_else(|| {
                self.submitted_by
                    .as_ref()
                    .and_then(|u| some(u.name.clone()).or_else(|| some(u.user.clone())))
            })
    }

    /// The organisation's short name (`organization`, else `paper.organization`).
    pub fn organization_name(&self) -> Option<String> {
        let o = self
            .organization
            .as_ref()
            .or(self.paper.organization.as_ref())?;
        some(o.name.clone()).or_else(|| some(o.fullname.clone()))
    }

    /// What the item knows beyond the paper and its list entry.
    ///
    /// ```
    /// let raw = r#"{"paper": {"id": "2503.07677", "title": "T", "discussionId": "67d2",
    ///     "authors": [{"_id": "a1", "name": "Kwanyoung Kim", "user": {"user": "kwanyoung"}}]},
    ///     "thumbnail": "https://example.org/t.png", "isAuthorParticipating": true}"#;
    /// let x = dp_core::hf::HfItem::parse(raw).unwrap().extras();
    /// assert_eq!(x.authors[0].user.as_ref().unwrap().name, "kwanyoung");
    /// assert_eq!(x.discussion_id.as_deref(), Some("67d2"));
    /// assert!(x.author_participating);
    /// ```
    pub fn extras(self) -> HfExtras {
        let HfItem {
            paper,
            submitted_by,
            organization,
            media_urls,
            thumbnail,
            author_participating,
            ..
        } = self;
        HfExtras {
            authors: paper
                .authors
                .into_iter()
                .map(|a| HfAuthor {
                    id: some(a.id),
                    name: Some(a.name),
                    user: a.user.and_then(RawUser::into_user),
                    status: some(a.status),
                    status_changed_at: some(a.status_changed_at),
                })
                .collect(),
            submitter: paper.submitted_on_daily_by.and_then(RawUser::into_user),
            submitted_by: submitted_by.and_then(RawUser::into_user),
            discussion_id: paper.discussion_id,
            organization: organization.or(paper.organization).and_then(|o| {
                Some(HfOrganization {
                    name: some(o.name)?,
                    id: some(o.id),
                    fullname: some(o.fullname),
                    avatar: some(o.avatar).or_else(|| some(o.avatar_url)),
                })
            }),
            media_urls: media_urls
                .or(paper.media_urls)
                .map(media)
                .unwrap_or_default(),
            thumbnail: some(thumbnail),
            author_participating: author_participating.unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extras(item: serde_json::Value) -> HfExtras {
        let mut item = item;
        item["paper"]["id"] = "2503.07677".into();
        item["paper"]["title"] = "T".into();
        HfItem::parse(&item.to_string()).unwrap().extras()
    }

    #[test]
    fn users_take_the_name_from_either_key_and_need_one() {
        let x = extras(serde_json::json!({"paper": {"authors": [
            {"name": "A", "user": {"_id": "x", "name": "akhaliq"}},
            {"name": "B", "user": {"user": "bob", "fullname": "Bob B"}},
            {"name": "C", "user": {"fullname": "no name"}}]}}));
        assert_eq!(x.authors[0].user.as_ref().unwrap().name, "akhaliq");
        let bob = x.authors[1].user.as_ref().unwrap();
        assert_eq!(
            (bob.name.as_str(), bob.fullname.as_deref()),
            ("bob", Some("Bob B"))
        );
        assert!(x.authors[2].user.is_none());
    }

    #[test]
    fn fields_of_an_unexpected_type_count_as_absent() {
        let x = extras(serde_json::json!({"paper": {"discussionId": 7},
            "thumbnail": 5, "isAuthorParticipating": "yes", "submittedBy": "someone"}));
        assert_eq!(x, HfExtras::default());
    }

    #[test]
    fn organisations_and_media_come_from_the_top_level_first() {
        let item = serde_json::json!({
            "paper": {"organization": {"name": "inner"}, "mediaUrls": ["b"]},
            "organization": {"name": "hf", "avatarUrl": "/a.png"}, "mediaUrls": ["a"],
        });
        let x = extras(item);
        let o = x.organization.unwrap();
        assert_eq!(
            (o.name.as_str(), o.avatar.as_deref()),
            ("hf", Some("/a.png"))
        );
        assert_eq!(x.media_urls, ["a"]);
    }

    #[test]
    fn stored_form_round_trips() {
        let item = serde_json::json!({"paper": {"authors": [{"name": "A", "status": "claimed_verified"}]},
            "submittedBy": {"name": "s", "isPro": true}, "thumbnail": ""});
        let x = extras(item);
        assert_eq!(x.thumbnail, None, "empty strings are nothing");
        let back: HfExtras = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
        assert_eq!(back, x);
    }
}

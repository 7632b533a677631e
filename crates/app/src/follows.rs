//! Follows: a reader follows authors (a name as printed, or an account whose authorship claims
//! an admin approved), categories and searches; "Following" lists the newest papers of all of
//! them, each with why it is there. Private feeds of follows and collections are reached with a
//! secret key in their address, which the reader can replace (the old one then stops working).

use crate::tokens::{random_token, token_hash};
use crate::{App, Error};
use dp_core::follow::{in_category, same_author, Target};
use dp_core::{ClaimState, Follow, FollowKind, Paper, User};
use dp_search::Mode;
use dp_store::Followed;
use std::collections::HashMap;

/// The most things an account follows.
pub const MAX_FOLLOWS: i64 = 200;
/// Papers a "Following" list shows.
pub const FOLLOWING_SHOWN: usize = 100;
/// Papers taken from each followed search.
const PER_SEARCH: usize = 50;

/// A paper of the "Following" list and the follows it is there for.
#[derive(Debug, Clone)]
pub struct FollowedPaper {
    /// The paper.
    pub paper: Paper,
    /// Labels of the follows that bring it (`author Ada Lovelace`, `category cs.CL`).
    pub because: Vec<String>,
}

impl App {
    /// Follows an author, account, category or search (followed already: the same follow).
    pub async fn follow(&self, user: &User, kind: &str, value: &str) -> Result<Follow, Error> {
        let target = Target::parse(kind, value).map_err(|e| Error::Invalid(e.to_string()))?;
        let target = if target.kind == FollowKind::Account {
            let account = self
                .store
                .user_by_name(&target.value)
                .await?
                .ok_or_else(|| Error::NotFound("There is no user by that name.".into()))?;
            Target {
                kind: FollowKind::Account,
                value: account.name,
            }
        } else {
            target
        };
        self.write_limit(user).await?;
        match self.store.add_follow(user.id, &target, MAX_FOLLOWS).await? {
            Followed::New(f) | Followed::Exists(f) => Ok(f),
            Followed::Full => Err(Error::Refused(format!(
                "You follow {MAX_FOLLOWS} things, the most an account may: stop following one first."
            ))),
        }
    }

    /// Stops a follow of `user`.
    pub async fn unfollow(&self, user: &User, follow_id: i64) -> Result<(), Error> {
        self.write_limit(user).await?;
        if self.store.remove_follow(user.id, follow_id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("You do not follow that.".into()))
        }
    }

    /// `user`'s follows, oldest first.
    pub async fn follows(&self, user: &User) -> Result<Vec<Follow>, Error> {
        Ok(self.store.follows_of(user.id).await?)
    }

    /// One of `user`'s follows.
    pub async fn follow_of(&self, user: &User, follow_id: i64) -> Result<Follow, Error> {
        self.follows(user)
            .await?
            .into_iter()
            .find(|f| f.id == follow_id)
            .ok_or_else(|| Error::NotFound("You do not follow that.".into()))
    }

    /// The newest papers of these follows of `user` (at most `limit`), newest first, each
    /// with the follows that bring it; papers `user` is not interested in are left out. A
    /// followed search needs search on this server; without it, the search brings nothing.
    pub async fn papers_of_follows(
        &self,
        user: &User,
        follows: &[Follow],
        limit: usize,
    ) -> Result<Vec<FollowedPaper>, Error> {
        let mut authors: Vec<(String, String)> = Vec::new(); // (name, label)
        let mut categories: Vec<(String, String)> = Vec::new();
        let mut searches: Vec<(String, String)> = Vec::new();
        for f in follows {
            match f.kind {
                FollowKind::Author => authors.push((f.value.clone(), f.label())),
                FollowKind::Account => {
                    if let Some(account) = self.store.user_by_name(&f.value).await? {
                        let approved = self
                            .store
                            .claims(Some(ClaimState::Approved), None, Some(account.id))
                            .await?;
                        for c in approved {
                            authors.push((c.author_name, f.label()));
                        }
                    }
                }
                FollowKind::Category => categories.push((f.value.clone(), f.label())),
                FollowKind::Search => searches.push((f.value.clone(), f.label())),
            }
        }
        let mut found: HashMap<String, FollowedPaper> = HashMap::new();
        let names: Vec<String> = authors.iter().map(|(n, _)| n.clone()).collect();
        let cats: Vec<String> = categories.iter().map(|(c, _)| c.clone()).collect();
        let limit_i = i64::try_from(limit).unwrap_or(i64::MAX);
        for p in self
            .store
            .recent_papers_by(&names, &cats, None, limit_i)
            .await?
        {
            let mut because: Vec<String> = authors
                .iter()
                .filter(|(n, _)| p.authors.iter().any(|a| same_author(n, a)))
                .map(|(_, l)| l.clone())
                .collect();
            because.extend(
                categories
                    .iter()
                    .filter(|(c, _)| in_category(c, &p))
                    .map(|(_, l)| l.clone()),
            );
            because.dedup();
            if !because.is_empty() {
                found.insert(p.id.base().to_string(), FollowedPaper { paper: p, because });
            }
        }
        if self.search.is_some() {
            for (q, label) in &searches {
                let hits = match self.search(q, PER_SEARCH, Mode::Keyword).await {
                    Ok(hits) => hits,
                    Err(Error::Invalid(_)) => continue,
                    Err(e) => return Err(e),
                };
                for (_, s) in hits {
                    found
                        .entry(s.paper.id.base().to_string())
                        .or_insert_with(|| FollowedPaper {
                            paper: s.paper,
                            because: Vec::new(),
                        })
                        .because
                        .push(label.clone());
                }
            }
        }
        let ids: Vec<String> = found.keys().cloned().collect();
        for id in self.not_interested_among(Some(user), &ids).await? {
            found.remove(&id);
        }
        let mut out: Vec<FollowedPaper> = found.into_values().collect();
        out.sort_by(|a, b| {
            (b.paper.published, b.paper.id.base()).cmp(&(a.paper.published, a.paper.id.base()))
        });
        out.truncate(limit);
        Ok(out)
    }

    /// The "Following" list of `user`.
    pub async fn following(&self, user: &User) -> Result<Vec<FollowedPaper>, Error> {
        let follows = self.follows(user).await?;
        self.papers_of_follows(user, &follows, FOLLOWING_SHOWN)
            .await
    }

    /// Makes a new private-feed key for `user` and returns it (shown in feed addresses; only
    /// its hash is stored). The old key stops working.
    pub async fn reset_feed_key(&self, user: &User) -> Result<String, Error> {
        self.write_limit(user).await?;
        let key = random_token();
        self.store.set_feed_key(user.id, &token_hash(&key)).await?;
        Ok(key)
    }

    /// The account whose private-feed key this is (`None` for an unknown or replaced key).
    pub async fn feed_key_user(&self, key: &str) -> Result<Option<User>, Error> {
        if key.is_empty() || key.len() > 100 {
            return Ok(None);
        }
        Ok(self.store.user_by_feed_key(&token_hash(key)).await?)
    }

    /// Whether `user` has a private-feed key.
    pub async fn has_feed_key(&self, user: &User) -> Result<bool, Error> {
        Ok(self.store.has_feed_key(user.id).await?)
    }
}

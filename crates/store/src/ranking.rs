//! The ranking and shown counts of `dp_core` ([`dp_core::LIST_RANKING`],
//! [`dp_core::shown_count`]) as SQL, so that lists ranked by the database and counts summed by
//! it follow the same definitions as the Rust code. `tests/it/ranking.rs` checks both sides on
//! the same data.

use dp_core::{RankBy, LIST_RANKING};
use std::sync::LazyLock;

/// [`dp_core::FeedItem::upvotes`] of entry `e` of paper `p`.
pub(crate) const ENTRY_UPVOTES: &str = "e.upvotes + p.local_upvotes";

/// [`dp_core::shown_count`] of paper `p`'s upvotes: its newest list entry's source count plus
/// this server's votes.
pub(crate) const PAPER_UPVOTES: &str =
    "p.local_upvotes + COALESCE((SELECT e.upvotes FROM feed_entries e \
     WHERE e.paper_id = p.id ORDER BY e.day DESC LIMIT 1), 0)";

/// [`dp_core::shown_count`] of paper `p`'s comments, as [`PAPER_UPVOTES`].
pub(crate) const PAPER_COMMENTS: &str =
    "p.local_comments + COALESCE((SELECT e.num_comments FROM feed_entries e \
     WHERE e.paper_id = p.id ORDER BY e.day DESC LIMIT 1), 0)";

/// The `ORDER BY` terms of [`LIST_RANKING`] for entries `e` joined with their papers `p`.
pub(crate) fn list_order() -> &'static str {
    static ORDER: LazyLock<String> = LazyLock::new(|| {
        LIST_RANKING
            .iter()
            .map(|by| match by {
                RankBy::ShownUpvotes => format!("{ENTRY_UPVOTES} DESC"),
                RankBy::Newest => "e.published_at DESC".to_string(),
                RankBy::SourcePosition => "e.position ASC".to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    &ORDER
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_list_order_follows_the_core_ranking() {
        assert_eq!(
            super::list_order(),
            "e.upvotes + p.local_upvotes DESC, e.published_at DESC, e.position ASC"
        );
    }
}

//! Pieces of pages that several pages show: a paper's address, its authors as a reader scans
//! them, the upvote control, and the rule for links that may go in an `href`.

use crate::layout::csrf_field;
use maud::{html, Markup};

/// Authors as a reader scans them: up to three names, then how many more.
pub fn short_authors(authors: &[String]) -> String {
    match authors.len() {
        0 => String::new(),
        1..=3 => authors.join(", "),
        n => format!("{}, {}, … and {} more", authors[0], authors[1], n - 2),
    }
}

/// The path of a paper's page (old-style ids keep their slash, percent-encoded).
pub fn paper_path(id: &dp_core::ArxivId) -> String {
    format!("/papers/{}", id.base().replace('/', "%2F"))
}

/// The upvote control: a form for signed-in readers, a sign-in link otherwise.
pub fn vote_button(
    id: &dp_core::ArxivId,
    upvotes: i64,
    voted: bool,
    csrf: Option<&str>,
    here: &str,
) -> Markup {
    let path = paper_path(id);
    html! {
        @if let Some(token) = csrf {
            form.votes method="post" action={(path) "/upvote"} data-enhance="vote" {
                (csrf_field(token))
                input type="hidden" name="up" value=(if voted { "0" } else { "1" });
                input type="hidden" name="next" value=(here);
                button.vote type="submit" aria-pressed=(if voted { "true" } else { "false" }) aria-label={"Upvote (" (upvotes) ")"} {
                    span aria-hidden="true" { "▲" }
                    span.count { (upvotes) }
                }
            }
        } @else {
            div.votes {
                a.vote href={"/login?next=" (path)} aria-label={"Log in to upvote (" (upvotes) " upvotes)"} {
                    span aria-hidden="true" { "▲" }
                    span.count { (upvotes) }
                }
            }
        }
    }
}

/// Only http(s) links are ever put in an `href` (no `javascript:`).
pub fn is_http(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortens_long_author_lists() {
        let a: Vec<String> = ["A", "B", "C", "D", "E"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(short_authors(&a[..2]), "A, B");
        assert_eq!(short_authors(&a), "A, B, … and 3 more");
    }

    #[test]
    fn only_http_links() {
        assert!(is_http("https://github.com/x"));
        assert!(!is_http("javascript:alert(1)"));
    }
}

//! Composing messages: a digest (or a confirmation) as `multipart/alternative` with a plain-text
//! part and an HTML part with inline styles only (no external images, fonts or scripts), and the
//! headers mail clients use: `List-Unsubscribe` with `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click` (RFC 8058), `Message-ID`, `Date` and the configured `From`.

use crate::{Email, MailError};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;
use maud::{html, Markup, DOCTYPE};
use std::time::SystemTime;

/// A paper as a digest lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestPaper {
    /// Bare arXiv id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Authors in order.
    pub authors: Vec<String>,
    /// The first lines of the abstract.
    pub excerpt: String,
    /// Upvotes as shown on the site.
    pub upvotes: i64,
    /// The paper's page on the site.
    pub url: String,
}

/// Everything one digest says.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestContent {
    /// The site's name.
    pub site: String,
    /// E.g. "Top papers of Friday, August 21, 2026".
    pub heading: String,
    /// The page of the list on the site.
    pub list_url: String,
    /// The top papers of the day or week.
    pub top: Vec<DigestPaper>,
    /// Per saved search, the new papers that match it.
    pub searches: Vec<(String, Vec<DigestPaper>)>,
    /// New papers of what the subscriber's account follows (when they asked for them).
    pub follows: Vec<DigestPaper>,
    /// New papers ranked for the subscriber's account ("For you"), each with its reason.
    pub for_you: Vec<(DigestPaper, String)>,
    /// One-click unsubscribe address (also in `List-Unsubscribe`).
    pub unsubscribe_url: String,
}

impl DigestContent {
    /// Whether there is anything to send.
    pub fn is_empty(&self) -> bool {
        self.top.is_empty()
            && self.searches.iter().all(|(_, p)| p.is_empty())
            && self.follows.is_empty()
            && self.for_you.is_empty()
    }

    /// Papers listed in all.
    pub fn paper_count(&self) -> usize {
        self.top.len()
            + self.searches.iter().map(|(_, p)| p.len()).sum::<usize>()
            + self.follows.len()
            + self.for_you.len()
    }
}

fn authors_line(a: &[String]) -> String {
    match a.len() {
        0 => String::new(),
        1..=3 => a.join(", "),
        n => format!("{}, {} and {} others", a[0], a[1], n - 2),
    }
}

/// The plain-text part.
pub fn text(c: &DigestContent) -> String {
    let mut out = format!(
        "{}\n{}\n\n",
        c.heading,
        "=".repeat(c.heading.chars().count())
    );
    let paper = |out: &mut String, i: usize, p: &DigestPaper| {
        out.push_str(&format!(
            "{}. {} ({} upvotes)\n   {}\n   {}\n   {}\n\n",
            i + 1,
            p.title,
            p.upvotes,
            authors_line(&p.authors),
            p.excerpt,
            p.url
        ));
    };
    for (i, p) in c.top.iter().enumerate() {
        paper(&mut out, i, p);
    }
    for (q, papers) in &c.searches {
        if papers.is_empty() {
            continue;
        }
        let title = format!("New papers for your search \"{q}\"");
        out.push_str(&format!(
            "{title}\n{}\n\n",
            "-".repeat(title.chars().count())
        ));
        for (i, p) in papers.iter().enumerate() {
            paper(&mut out, i, p);
        }
    }
    if !c.follows.is_empty() {
        let title = "New papers of what you follow";
        out.push_str(&format!(
            "{title}\n{}\n\n",
            "-".repeat(title.chars().count())
        ));
        for (i, p) in c.follows.iter().enumerate() {
            paper(&mut out, i, p);
        }
    }
    if !c.for_you.is_empty() {
        let title = "For you";
        out.push_str(&format!(
            "{title}\n{}\n\n",
            "-".repeat(title.chars().count())
        ));
        for (i, (p, why)) in c.for_you.iter().enumerate() {
            paper(&mut out, i, p);
            out.truncate(out.trim_end().len());
            out.push_str(&format!("\n   Why: {why}\n\n"));
        }
    }
    out.push_str(&format!(
        "All papers: {}\n\nYou get this because you subscribed on {}. Unsubscribe (one click): {}\n",
        c.list_url, c.site, c.unsubscribe_url
    ));
    out
}

const BODY: &str = "margin:0;padding:0;background:#f6f6f4;";
const WRAP: &str = "max-width:640px;margin:0 auto;padding:24px 16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#1d1d1f;line-height:1.45;";
const H1: &str = "font-size:20px;margin:0 0 16px;";
const H2: &str = "font-size:16px;margin:24px 0 8px;";
const CARD: &str = "background:#ffffff;border:1px solid #e2e2de;border-radius:8px;padding:12px 14px;margin:0 0 10px;";
const TITLE: &str = "font-size:15px;font-weight:600;color:#0b57d0;text-decoration:none;";
const META: &str = "font-size:13px;color:#5f6368;margin:4px 0;";
const EXCERPT: &str = "font-size:14px;margin:6px 0 0;";
const FOOT: &str = "font-size:12px;color:#5f6368;margin-top:24px;";

fn card(p: &DigestPaper) -> Markup {
    html! {
        div style=(CARD) {
            a href=(p.url) style=(TITLE) { (p.title) }
            p style=(META) { "▲ " (p.upvotes) " · " (authors_line(&p.authors)) }
            p style=(EXCERPT) { (p.excerpt) }
        }
    }
}

/// The HTML part (everything escaped; inline styles only).
pub fn html(c: &DigestContent) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (c.heading) }
            }
            body style=(BODY) {
                div style=(WRAP) {
                    h1 style=(H1) { (c.heading) }
                    @for p in &c.top { (card(p)) }
                    @for (q, papers) in &c.searches {
                        @if !papers.is_empty() {
                            h2 style=(H2) { "New papers for your search “" (q) "”" }
                            @for p in papers { (card(p)) }
                        }
                    }
                    @if !c.follows.is_empty() {
                        h2 style=(H2) { "New papers of what you follow" }
                        @for p in &c.follows { (card(p)) }
                    }
                    @if !c.for_you.is_empty() {
                        h2 style=(H2) { "For you" }
                        @for (p, why) in &c.for_you {
                            (card(p))
                            p style=(META) { "Why: " (why) }
                        }
                    }
                    p style=(META) { a href=(c.list_url) style="color:#0b57d0;" { "See all papers on " (c.site) } }
                    p style=(FOOT) {
                        "You get this because you subscribed on " (c.site) ". "
                        a href=(c.unsubscribe_url) style="color:#5f6368;" { "Unsubscribe" } " (one click)."
                    }
                }
            }
        }
    }
    .into_string()
}

/// `List-Unsubscribe: <https://...>`.
#[derive(Debug, Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Debug, Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_string())
    }
}

/// The configured sender, e.g. `Daily Papers <digest@papers.example.org>`.
pub fn mailbox(from: &str) -> Result<Mailbox, MailError> {
    if from.chars().any(char::is_control) {
        return Err(MailError::Config("mail.from has control characters".into()));
    }
    from.parse::<Mailbox>()
        .map_err(|e| MailError::Config(format!("mail.from {from:?}: {e}")))
}

/// What a message is made of.
pub struct Parts<'a> {
    /// Sender.
    pub from: &'a Mailbox,
    /// Recipient.
    pub to: &'a Email,
    /// Subject (control characters are removed).
    pub subject: &'a str,
    /// Plain-text part.
    pub text: String,
    /// HTML part.
    pub html: String,
    /// `Message-ID` without angle brackets, the same for every attempt of one message.
    pub message_id: String,
    /// One-click unsubscribe address, for digests.
    pub unsubscribe_url: Option<&'a str>,
}

/// Builds the message.
pub fn message(p: Parts<'_>) -> Result<Message, MailError> {
    let to: Mailbox =
        p.to.as_str()
            .parse()
            .map_err(|e| MailError::Build(format!("recipient: {e}")))?;
    let subject: String = p.subject.chars().filter(|c| !c.is_control()).collect();
    let mut b = Message::builder()
        .from(p.from.clone())
        .to(to)
        .subject(subject)
        .message_id(Some(format!("<{}>", p.message_id)))
        .date(SystemTime::now());
    if let Some(url) = p.unsubscribe_url {
        b = b
            .header(ListUnsubscribe(url.to_string()))
            .header(ListUnsubscribePost);
    }
    b.multipart(MultiPart::alternative_plain_html(p.text, p.html))
        .map_err(|e| MailError::Build(e.to_string()))
}

/// The double opt-in mail: the only one sent before the link in it is followed.
pub fn confirmation(site: &str, confirm_url: &str) -> (String, String, String) {
    let subject = format!("Confirm your subscription to {site}");
    let text = format!(
        "Someone (hopefully you) asked to get the top papers of {site} by e-mail.\n\n\
         Confirm with this link (valid for 7 days):\n{confirm_url}\n\n\
         If it was not you, ignore this mail: nothing more will be sent.\n"
    );
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (subject) } }
            body style=(BODY) {
                div style=(WRAP) {
                    h1 style=(H1) { (subject) }
                    p { "Someone (hopefully you) asked to get the top papers of " (site) " by e-mail." }
                    p { a href=(confirm_url) style="display:inline-block;background:#0b57d0;color:#ffffff;padding:10px 16px;border-radius:6px;text-decoration:none;" { "Confirm my subscription" } }
                    p style=(FOOT) { "The link is valid for 7 days. If it was not you, ignore this mail: nothing more will be sent." }
                }
            }
        }
    }
    .into_string();
    (subject, text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> DigestContent {
        let p = DigestPaper {
            id: "2503.00001".into(),
            title: "Bounds <b>& \"quotes\"</b>".into(),
            authors: vec!["Ada".into(), "Alan".into(), "Grace".into(), "Edsger".into()],
            excerpt: "We show $x<y$ & more.".into(),
            upvotes: 7,
            url: "http://h/papers/2503.00001".into(),
        };
        DigestContent {
            site: "Daily Papers".into(),
            heading: "Top papers of Monday, March 17, 2025".into(),
            list_url: "http://h/papers/date/2025-03-17".into(),
            top: vec![p.clone()],
            searches: vec![("diffusion".into(), vec![p]), ("none".into(), vec![])],
            follows: Vec::new(),
            for_you: Vec::new(),
            unsubscribe_url: "http://h/unsubscribe?token=1.2.x".into(),
        }
    }

    #[test]
    fn followed_papers_get_a_section_of_their_own() {
        let mut c = content();
        c.follows = c.top.clone();
        assert!(text(&c).contains("New papers of what you follow\n-----"));
        assert!(html(&c).contains("New papers of what you follow"));
        assert_eq!(c.paper_count(), 3);
        assert!(
            !text(&content()).contains("what you follow"),
            "none: no section"
        );
    }

    #[test]
    fn both_parts_say_the_same_and_html_is_escaped() {
        let c = content();
        let t = text(&c);
        assert!(
            t.contains("1. Bounds <b>& \"quotes\"</b> (7 upvotes)"),
            "{t}"
        );
        assert!(t.contains("Ada, Alan and 2 others"));
        assert!(t.contains("New papers for your search \"diffusion\""));
        assert!(!t.contains("\"none\""), "empty searches are left out");
        let h = html(&c);
        assert!(
            h.contains("Bounds &lt;b&gt;&amp; &quot;quotes&quot;&lt;/b&gt;"),
            "{h}"
        );
        assert!(!h.contains("<script") && !h.contains("<img") && !h.contains("<link"));
        assert!(h.contains("http://h/unsubscribe?token=1.2.x"));
        assert_eq!(c.paper_count(), 2);
    }

    #[test]
    fn messages_carry_the_list_headers_and_refuse_injection() {
        let c = content();
        let from = mailbox("Daily Papers <digest@example.org>").unwrap();
        let to = Email::parse("reader@example.org").unwrap();
        let m = message(Parts {
            from: &from,
            to: &to,
            subject: "Top papers\r\nBcc: victim@example.org",
            text: text(&c),
            html: html(&c),
            message_id: "digest.1.daily-2025-03-17@example.org".into(),
            unsubscribe_url: Some(&c.unsubscribe_url),
        })
        .unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(
            raw.contains("List-Unsubscribe: <http://h/unsubscribe?token=1.2.x>"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("Message-ID: <digest.1.daily-2025-03-17@example.org>"));
        assert!(raw.contains("multipart/alternative"));
        assert!(!raw.contains("\r\nBcc:"), "no header injection: {raw}");
        assert!(mailbox("x <a@b.co>\r\nBcc: v@x.org").is_err());
    }
}

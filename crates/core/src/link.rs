//! Web addresses readers give (a paper's code repository or project page), checked once.

use std::fmt;

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not `http://` or `https://`.
    #[error("links start with http:// or https://")]
    Scheme,
    /// No host after the scheme.
    #[error("the link has no host")]
    NoHost,
    /// Spaces, control characters or quotes.
    #[error("links cannot contain spaces, quotes, angle brackets or control characters")]
    Characters,
    /// Longer than [`WebLink::MAX_LEN`].
    #[error("links are at most 2000 characters")]
    TooLong,
}

/// An `http(s)` address with a host, at most 2,000 characters, without white space, control
/// characters, quotes or angle brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebLink(String);

impl WebLink {
    /// The longest address accepted.
    pub const MAX_LEN: usize = 2000;

    /// Checks `s` (surrounding white space is dropped).
    pub fn parse(s: &str) -> Result<WebLink, LinkError> {
        let s = s.trim();
        if s.len() > Self::MAX_LEN {
            return Err(LinkError::TooLong);
        }
        let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
        let rest = if lower.starts_with("https://") {
            &s[8..]
        } else if lower.starts_with("http://") {
            &s[7..]
        } else {
            return Err(LinkError::Scheme);
        };
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
        {
            return Err(LinkError::Characters);
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit('@').next().unwrap_or("");
        if host.is_empty() || host.starts_with(':') {
            return Err(LinkError::NoHost);
        }
        Ok(WebLink(s.to_string()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository on GitHub, `owner/name`, as its API names it (`/repos/{owner}/{name}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GithubRepo {
    owner: String,
    name: String,
}

impl GithubRepo {
    /// The repository a link points into: `https://github.com/OWNER/NAME[.git][/anything]`
    /// (`http`, `www.`, any case). `None` for anything else.
    pub fn from_url(url: &str) -> Option<GithubRepo> {
        let url = url.trim();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .or_else(|| url.strip_prefix("HTTPS://"))?;
        let (host, path) = rest.split_once('/')?;
        let host = host.to_ascii_lowercase();
        if host != "github.com" && host != "www.github.com" {
            return None;
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let mut parts = path.split('/');
        let owner = parts.next()?;
        let name = parts.next()?;
        let name = name.strip_suffix(".git").unwrap_or(name);
        let ok = |s: &str| {
            !s.is_empty()
                && s.len() <= 100
                && s != "."
                && s != ".."
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if !ok(owner) || !ok(name) {
            return None;
        }
        Some(GithubRepo {
            owner: owner.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        })
    }

    /// `owner/name`, in lower case (GitHub's names are case-insensitive).
    pub fn key(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_repositories_from_the_links_papers_carry() {
        let k = |u: &str| GithubRepo::from_url(u).map(|r| r.key());
        assert_eq!(
            k("https://github.com/Owner/Repo"),
            Some("owner/repo".into())
        );
        assert_eq!(
            k("https://github.com/owner/repo.git"),
            Some("owner/repo".into())
        );
        assert_eq!(
            k("http://www.github.com/owner/repo/tree/main/src?x=1"),
            Some("owner/repo".into())
        );
        assert_eq!(
            k("https://github.com/owner/re.po#readme"),
            Some("owner/re.po".into())
        );
        assert_eq!(k("https://github.com/owner"), None);
        assert_eq!(k("https://github.com/owner/"), None);
        assert_eq!(k("https://gitlab.com/owner/repo"), None);
        assert_eq!(k("https://github.com/../etc"), None);
        assert_eq!(k("https://github.com/a/b%2Fc"), None);
        assert_eq!(k("github.com/owner/repo"), None);
    }

    #[test]
    fn only_http_addresses_with_a_host() {
        assert_eq!(
            WebLink::parse(" https://github.com/a/b ").unwrap().as_str(),
            "https://github.com/a/b"
        );
        assert!(WebLink::parse("HTTP://example.org").is_ok());
        assert_eq!(
            WebLink::parse("javascript:alert(1)"),
            Err(LinkError::Scheme)
        );
        assert_eq!(WebLink::parse("ftp://x.org"), Err(LinkError::Scheme));
        assert_eq!(WebLink::parse("https://"), Err(LinkError::NoHost));
        assert_eq!(WebLink::parse("https:///path"), Err(LinkError::NoHost));
        assert_eq!(
            WebLink::parse("https://x.org/\"><script>"),
            Err(LinkError::Characters)
        );
        assert_eq!(
            WebLink::parse("https://x.org/a b"),
            Err(LinkError::Characters)
        );
        let long = format!("https://x.org/{}", "a".repeat(2000));
        assert_eq!(WebLink::parse(&long), Err(LinkError::TooLong));
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

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

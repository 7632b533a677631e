//! `Email`: an address checked once, so deeper code never sees raw strings.

use std::fmt;

/// Why an address is refused. The message is shown to the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Empty, too long, or not of the form `name@domain.tld`.
    #[error("enter an e-mail address of the form name@example.org (at most 254 characters)")]
    Invalid,
}

/// A validated e-mail address: at most 254 characters, one `@`, a local part of printable
/// characters without spaces, quotes or brackets, and a domain of letters, digits and hyphens
/// with at least one dot. No control characters anywhere, so it can never break a header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks `raw` (surrounding white space is ignored).
    pub fn parse(raw: &str) -> Result<Email, EmailError> {
        let s = raw.trim();
        if s.is_empty() || s.len() > 254 || !s.is_ascii() {
            return Err(EmailError::Invalid);
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError::Invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if local_ok && domain_ok {
            Ok(Email(s.to_string()))
        } else {
            Err(EmailError::Invalid)
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key one subscription per address is found by: the address in lower case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_addresses() {
        for ok in [
            "a@b.co",
            " Ada.Lovelace+papers@Example.org ",
            "x_y-z@mail.uni-x.de",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Email::parse("Ada@Example.ORG").unwrap().key(),
            "ada@example.org"
        );
        let long = format!("{}@example.org", "a".repeat(250));
        for bad in [
            "",
            "plain",
            "a@b",
            "a@@b.co",
            "a b@c.co",
            "a@b.co\r\nBcc: victim@x.org",
            "a@b.co\nX: y",
            "<a@b.co>",
            "\"q\"@b.co",
            "a@-b.co",
            "a@b..co",
            ".a@b.co",
            "é@b.co",
            long.as_str(),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}

//! Signed, expiring links: `ID.EXPIRY.SIGNATURE`, where the signature is an HMAC-SHA256 of the
//! purpose, the id and the expiry under a secret only the servers know. A confirmation link
//! cannot be turned into an unsubscribe link (or the other way round), changed, or used late.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Why a link is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not of the form this server issues.
    #[error("this link is not valid")]
    Malformed,
    /// The signature does not match (changed, or made for another purpose).
    #[error("this link is not valid")]
    BadSignature,
    /// Past its expiry.
    #[error("this link has expired; ask for a new one")]
    Expired,
}

/// Signs and checks links with one secret.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl Signer {
    /// A signer with `secret` (at least 16 bytes; shared by every server).
    pub fn new(secret: &[u8]) -> Signer {
        Signer {
            secret: secret.to_vec(),
        }
    }

    fn mac(&self, purpose: &str, id: i64, expires: i64) -> HmacSha256 {
        // Any key length is accepted by HMAC.
        let mut mac = match HmacSha256::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => unreachable_mac(),
        };
        mac.update(format!("{purpose}\0{id}\0{expires}").as_bytes());
        mac
    }

    /// A link token for `purpose` and `id`, valid until `expires`.
    pub fn sign(&self, purpose: &str, id: i64, expires: DateTime<Utc>) -> String {
        let exp = expires.timestamp();
        let sig = self.mac(purpose, id, exp).finalize().into_bytes();
        format!("{id}.{exp}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// The id a token for `purpose` carries, if it is genuine and not expired at `now`.
    pub fn verify(
        &self,
        purpose: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, TokenError> {
        if token.len() > 200 {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(id), Some(exp), Some(sig), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let id: i64 = id.parse().map_err(|_| TokenError::Malformed)?;
        let exp: i64 = exp.parse().map_err(|_| TokenError::Malformed)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| TokenError::Malformed)?;
        // Constant-time comparison.
        self.mac(purpose, id, exp)
            .verify_slice(&sig)
            .map_err(|_| TokenError::BadSignature)?;
        if now.timestamp() > exp {
            return Err(TokenError::Expired);
        }
        Ok(id)
    }
}

#[cold]
fn unreachable_mac() -> ! {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    panic!("HMAC refused a key")
}

/// The signer of this installation: the configured secret, else one generated once and kept in
/// the store (so every server on the store signs alike).
pub async fn installation_signer(
    store: &(impl dp_store::Watermarks + ?Sized),
    configured: Option<&str>,
) -> Result<Signer, crate::MailError> {
    if let Some(s) = configured {
        if s.len() < 16 {
            return Err(crate::MailError::Config(
                "mail.secret must be at least 16 characters".into(),
            ));
        }
        return Ok(Signer::new(s.as_bytes()));
    }
    const KEY: &str = "mail.secret";
    if let Some(s) = store.watermark(KEY).await? {
        return Ok(Signer::new(s.as_bytes()));
    }
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    store
        .set_watermark(KEY, &URL_SAFE_NO_PAD.encode(bytes))
        .await?;
    // Read back: when two servers raced, both use what was stored last.
    let s = store.watermark(KEY).await?.unwrap_or_default();
    Ok(Signer::new(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn tokens_verify_only_as_issued() {
        let s = Signer::new(b"a secret of sixteen bytes or more");
        let now = Utc::now();
        let t = s.sign("confirm", 42, now + Duration::days(7));
        assert_eq!(s.verify("confirm", &t, now), Ok(42));
        assert_eq!(
            s.verify("unsubscribe", &t, now),
            Err(TokenError::BadSignature),
            "another purpose"
        );
        assert_eq!(
            s.verify("confirm", &t, now + Duration::days(8)),
            Err(TokenError::Expired)
        );
        let other = Signer::new(b"another secret, another server");
        assert_eq!(
            other.verify("confirm", &t, now),
            Err(TokenError::BadSignature)
        );
        // Changing the id or the expiry breaks the signature.
        let (_, rest) = t.split_once('.').unwrap();
        assert_eq!(
            s.verify("confirm", &format!("43.{rest}"), now),
            Err(TokenError::BadSignature)
        );
        let parts: Vec<&str> = t.split('.').collect();
        let later = format!(
            "{}.{}.{}",
            parts[0],
            parts[1].parse::<i64>().unwrap() + 999,
            parts[2]
        );
        assert_eq!(
            s.verify("confirm", &later, now),
            Err(TokenError::BadSignature)
        );
        for bad in ["", "1.2", "a.b.c", "1.2.3.4", "1.2.!!!", &"x".repeat(500)] {
            assert!(s.verify("confirm", bad, now).is_err(), "{bad}");
        }
    }
}

//! E-mail subscriptions: subscribing is double opt-in (only the confirmation mail is sent until
//! its link is followed), links carry signed, expiring tokens (so none of this needs an
//! account), and readers who subscribed while signed in manage their subscriptions from their
//! settings.

use crate::limits::{self, Key};
use crate::{App, Error};
use dp_mail::compose::{self, Parts};
use dp_mail::{Email, Mailbox, Mailer, Signer};
use dp_store::{Cadence, SubState, Subscriber, MAX_SAVED_SEARCHES};
use std::sync::Arc;

/// Mail as a server has it set up.
pub struct MailSetup {
    /// Sends mail.
    pub mailer: Arc<dyn Mailer>,
    /// Signs and checks the links in mails.
    pub signer: Signer,
    /// The sender.
    pub from: Mailbox,
    /// Papers in a digest (for previews).
    pub top_n: usize,
    /// Papers per saved search in a digest (for previews).
    pub per_search: usize,
}

/// Longest saved search, in characters.
const MAX_SEARCH_CHARS: usize = 200;
/// Confirmation mails sent to one address per day at most.
const CONFIRMATIONS_PER_ADDRESS_PER_DAY: i64 = 3;
/// Subscription forms accepted from one client address per hour.
const SUBSCRIBES_PER_CLIENT_PER_HOUR: i64 = 10;
/// How long a confirmation link is valid.
pub const CONFIRM_DAYS: i64 = 7;
/// What confirmation links are signed for: a subscription request's id. (Links signed
/// `confirm`, for subscriber ids, came before requests and are no longer accepted.)
const CONFIRM_PURPOSE: &str = "subscribe";

/// The saved searches of a form (one per line, blank lines ignored), checked.
pub fn saved_searches(raw: &str) -> Result<Vec<String>, Error> {
    let lines: Vec<String> = raw
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    if lines.len() > MAX_SAVED_SEARCHES {
        return Err(Error::Invalid(format!(
            "At most {MAX_SAVED_SEARCHES} saved searches."
        )));
    }
    for l in &lines {
        if l.chars().count() > MAX_SEARCH_CHARS || l.chars().any(char::is_control) {
            return Err(Error::Invalid(format!(
                "A saved search is at most {MAX_SEARCH_CHARS} characters on one line."
            )));
        }
        dp_search::parse(l).map_err(|e| Error::Invalid(format!("Saved search \"{l}\": {e}")))?;
    }
    Ok(lines)
}

/// A cadence from a form; empty means daily.
pub fn cadence(raw: &str) -> Result<Cadence, Error> {
    Cadence::parse(if raw.is_empty() { "daily" } else { raw })
        .ok_or_else(|| Error::Invalid("Choose daily or weekly.".into()))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl App {
    fn mail(&self) -> Result<&MailSetup, Error> {
        self.mail
            .as_deref()
            .ok_or_else(|| Error::Unavailable("E-mail is not set up on this server.".into()))
    }

    /// Asks to subscribe an address (the form of `client`) and sends the confirmation mail.
    /// Nothing else changes until its link is followed ([`App::confirm_subscription`]), so the
    /// form never changes an existing subscription nor attaches an address to an account, and
    /// its answer is the same whether the address was subscribed before or not.
    pub async fn subscribe(
        &self,
        client: &str,
        email: &str,
        cadence_raw: &str,
        searches_raw: &str,
    ) -> Result<Email, Error> {
        let email = Email::parse(email).map_err(|e| Error::Invalid(e.to_string()))?;
        let cadence = cadence(cadence_raw)?;
        let searches = saved_searches(searches_raw)?;
        let mail = self.mail()?;
        let base_url = self.public_url()?;
        limits::hit(
            self.store.as_ref(),
            &Key::SubscribesFrom(client.to_string()),
            SUBSCRIBES_PER_CLIENT_PER_HOUR,
            limits::HOUR,
        )
        .await?;
        // A confirmed address is left as it is (its owner changes it from their settings, or
        // unsubscribes and subscribes again): no mail. The answer is the same either way.
        let current = self.store.subscriber_by_key(&email.key()).await?;
        if current.is_some_and(|s| s.state == SubState::Confirmed) {
            return Ok(email);
        }
        let sent_today = limits::count(
            self.store.as_ref(),
            &Key::ConfirmationsTo(email.key()),
            limits::DAY,
        )
        .await?;
        if sent_today > CONFIRMATIONS_PER_ADDRESS_PER_DAY {
            tracing::info!("confirmation mail not sent again today");
            return Ok(email);
        }
        let request = self
            .store
            .request_subscription(email.as_str(), &email.key(), cadence, &searches)
            .await?;
        self.send_confirmation(mail, &email, request, base_url)
            .await?;
        Ok(email)
    }

    /// The site's public address, which links in mails start with.
    fn public_url(&self) -> Result<&str, Error> {
        self.rules.public_url.as_deref().ok_or_else(|| {
            Error::Unavailable(
                "E-mail needs the site's public address (public_url) for its links.".into(),
            )
        })
    }

    async fn send_confirmation(
        &self,
        mail: &MailSetup,
        to: &Email,
        request: i64,
        base_url: &str,
    ) -> Result<(), Error> {
        let now = self.now();
        let token = mail.signer.sign(
            CONFIRM_PURPOSE,
            request,
            now + chrono::Duration::days(CONFIRM_DAYS),
        );
        let url = format!(
            "{}/subscribe/confirm?token={token}",
            base_url.trim_end_matches('/')
        );
        let (subject, text, html) = compose::confirmation(&self.rules.site_name, &url);
        let message = compose::message(Parts {
            from: &mail.from,
            to,
            subject: &subject,
            text,
            html,
            message_id: format!(
                "confirm.{request}.{}@{}",
                now.timestamp(),
                mail.from.email.domain()
            ),
            unsubscribe_url: None,
        })
        .map_err(Error::internal)?;
        mail.mailer.send(&message).await.map_err(|e| {
            tracing::warn!(error = %e, "confirmation mail not sent");
            Error::Unavailable(
                "The confirmation mail could not be sent; try again in a few minutes.".into(),
            )
        })
    }

    /// The subscription a signed link of `purpose` (`confirm`, `unsubscribe`) names.
    pub fn verify_link(&self, purpose: &str, token: &str) -> Result<i64, Error> {
        self.mail()?
            .signer
            .verify(purpose, token, self.now())
            .map_err(|e| Error::Invalid(format!("{}.", capitalised(&e.to_string()))))
    }

    /// Checks a confirmation link without using it (the page that asks for the click).
    pub fn check_confirmation(&self, token: &str) -> Result<(), Error> {
        self.verify_link(CONFIRM_PURPOSE, token).map(|_| ())
    }

    /// Confirms the request a confirmation link names (once): the address gets digests with
    /// the request's settings from now on. Confirmed by a signed-in `reader`, the subscription
    /// joins their account (following the link proves they own the address).
    pub async fn confirm_subscription(
        &self,
        token: &str,
        reader: Option<&dp_core::User>,
    ) -> Result<Subscriber, Error> {
        let request = self.verify_link(CONFIRM_PURPOSE, token)?;
        self.store
            .confirm_request(request, reader.map(|u| u.id))
            .await?
            .ok_or_else(|| {
                Error::NotFound(
                    "This link was used already; to change your subscription, subscribe again."
                        .into(),
                )
            })
    }

    /// Follows an unsubscribe link (or its one-click `POST`).
    pub async fn unsubscribe(&self, token: &str) -> Result<(), Error> {
        let id = self.verify_link("unsubscribe", token)?;
        self.store
            .set_subscriber_state(id, SubState::Unsubscribed)
            .await?;
        Ok(())
    }

    /// The subscriptions `user` made while signed in.
    pub async fn subscriptions_of(&self, user: &dp_core::User) -> Result<Vec<Subscriber>, Error> {
        Ok(self.store.subscribers_of_user(user.id).await?)
    }

    /// Changes (or, with `unsubscribe`, ends) one of `user`'s subscriptions.
    pub async fn update_subscription(
        &self,
        user: &dp_core::User,
        id: i64,
        unsubscribe: bool,
        cadence_raw: &str,
        searches_raw: &str,
        with_follows: bool,
    ) -> Result<(), Error> {
        let not_found = || Error::NotFound("No such subscription.".into());
        let own = self
            .subscriptions_of(user)
            .await?
            .into_iter()
            .any(|s| s.id == id);
        if !own {
            return Err(not_found());
        }
        if unsubscribe {
            self.store
                .set_subscriber_state(id, SubState::Unsubscribed)
                .await?;
            return Ok(());
        }
        let cadence = Cadence::parse(cadence_raw)
            .ok_or_else(|| Error::Invalid("Choose daily or weekly.".into()))?;
        let searches = saved_searches(searches_raw)?;
        self.store
            .update_subscription(id, user.id, cadence, &searches)
            .await?;
        self.store
            .set_digest_follows(id, user.id, with_follows)
            .await?;
        Ok(())
    }

    /// Subscribers for admins, after id `after`.
    pub async fn subscribers(
        &self,
        admin: &dp_core::User,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Subscriber>, Error> {
        crate::claims::require_admin(admin)?;
        Ok(self.store.subscribers(after, limit).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_searches_are_checked() {
        assert_eq!(
            saved_searches(" diffusion \n\n author:\"Ada Lovelace\" \n").unwrap(),
            ["diffusion", "author:\"Ada Lovelace\""]
        );
        assert!(saved_searches("a\nb\nc\nd\ne\nf").is_err());
        assert!(saved_searches(&"x".repeat(201)).is_err());
        assert!(saved_searches("").unwrap().is_empty());
    }
}

//! What admins do besides deciding claims: hide papers from every list, ban accounts.

use crate::claims::require_admin;
use crate::{App, Error};
use dp_core::{ArxivId, User};

impl App {
    /// Hides a paper from every list (or shows it again).
    pub async fn hide_paper(
        &self,
        admin: &User,
        paper: &ArxivId,
        hidden: bool,
    ) -> Result<(), Error> {
        require_admin(admin)?;
        self.write(admin, async {
            if self.store.set_hidden(paper, hidden).await? {
                Ok(())
            } else {
                Err(Error::NotFound("No such paper.".into()))
            }
        })
        .await
    }

    /// Bans an account (ending its sessions) or lifts the ban; returns the account.
    pub async fn ban(&self, admin: &User, name: &str, banned: bool) -> Result<User, Error> {
        require_admin(admin)?;
        self.write_limit(admin).await?;
        let user = self
            .store
            .user_by_name(name)
            .await?
            .ok_or_else(|| Error::NotFound("There is no user by that name.".into()))?;
        if user.id == admin.id {
            return Err(Error::Invalid("You cannot ban yourself.".into()));
        }
        self.store.set_banned(user.id, banned).await?;
        Ok(user)
    }
}

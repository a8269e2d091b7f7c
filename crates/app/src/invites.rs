use chrono::Duration;
use hearth_domain::{
    DisplayName, Email, FieldErrors, Invite, InviteId, Password, PasswordContext, Role, TimeZone,
    UserId,
};
use hearth_store::{NewInvite, NewUser};
use serde::Deserialize;

use crate::accounts::{EMAIL_TAKEN, required};
use crate::tokens::{hash_token, new_token};
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// How long an invitation link stays valid.
const INVITE_LIFETIME: Duration = Duration::days(7);

/// An invitation just made: the link's token is shown once, to the admin who made it.
#[derive(Debug)]
pub struct IssuedInvite {
    pub id: InviteId,
    pub token: String,
}

/// What a new staff member fills in when they follow their link.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct InviteAcceptance {
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub timezone: Option<String>,
}

impl App {
    /// An admin invites a therapist, coordinator or admin by email.
    pub async fn invite_staff(
        &self,
        admin: &Authenticated,
        email: &str,
        role: &str,
        ctx: &AuditContext,
    ) -> AppResult<IssuedInvite> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let mut errors = FieldErrors::new();
        let email = required(&mut errors, "email", Some(email), Email::parse);
        let role = required(&mut errors, "role", Some(role), Role::parse);
        if role == Some(Role::Client) {
            errors.add("role", "clients sign up themselves; invite staff only");
        }
        let (Some(email), Some(role)) = (email, role) else {
            return Err(AppError::Invalid(errors));
        };
        errors.into_result()?;
        if self.db.find_user_by_email(&email).await?.is_some() {
            return Err(AppError::invalid("email", EMAIL_TAKEN));
        }
        let now = self.clock.now();
        let token = new_token();
        let record = self.audited_with(|id: &InviteId| {
            vec![self.audit_entry(
                ctx,
                "staff.invited",
                format!("invite:{id}"),
                format!("role={role}"),
            )]
        });
        let id = self
            .db
            .insert_invite(
                &NewInvite {
                    email: &email,
                    role,
                    token_hash: &hash_token(&token),
                    invited_by: admin.user.id,
                    created_at: now,
                    expires_at: now + INVITE_LIFETIME,
                },
                record,
            )
            .await?;
        Ok(IssuedInvite { id, token })
    }

    /// The invitation behind a link, if it can still be accepted.
    pub async fn find_open_invite(&self, token: &str) -> AppResult<Invite> {
        let invite = self
            .db
            .find_invite_by_token_hash(&hash_token(token))
            .await?
            .ok_or(AppError::NotFound)?;
        let open = invite.accepted_at.is_none()
            && invite.revoked_at.is_none()
            && invite.expires_at > self.clock.now();
        if open { Ok(invite) } else { Err(AppError::NotFound) }
    }

    /// Creates the staff account from an invitation; the link then stops working.
    pub async fn accept_invite(
        &self,
        token: &str,
        form: &InviteAcceptance,
        ctx: &AuditContext,
    ) -> AppResult<UserId> {
        let invite = self.find_open_invite(token).await?;
        let mut errors = FieldErrors::new();
        let display_name =
            required(&mut errors, "display_name", form.display_name.as_deref(), DisplayName::parse);
        let password = required(&mut errors, "password", form.password.as_deref(), |raw| {
            let context = PasswordContext {
                email: Some(invite.email.as_str()),
                display_name: form.display_name.as_deref(),
            };
            Password::parse_new(raw, &context)
        });
        let timezone = required(&mut errors, "timezone", form.timezone.as_deref(), TimeZone::parse);
        let (Some(display_name), Some(password), Some(timezone)) =
            (display_name, password, timezone)
        else {
            return Err(AppError::Invalid(errors));
        };
        let user = NewUser {
            email: invite.email.clone(),
            password_hash: self.hasher.hash(&password).await?,
            role: invite.role,
            display_name,
            timezone,
            region: None,
            birth_date: None,
            created_at: self.clock.now(),
        };
        let record = self.audited_with(|&id: &UserId| {
            let ctx = AuditContext { actor: Some(id), ..ctx.clone() };
            let (subject, detail) = (format!("invite:{}", invite.id), format!("user={id}"));
            vec![self.audit_entry(&ctx, "staff.invite.accepted", subject, detail)]
        });
        let id = self.db.accept_invite(invite.id, &user, record).await.map_err(|err| {
            if err.is_conflict_on("users_email_normalized_key") {
                AppError::invalid("email", EMAIL_TAKEN)
            } else {
                err.into()
            }
        })?;
        self.accounts_changed();
        Ok(id)
    }

    pub async fn revoke_invite(
        &self,
        admin: &Authenticated,
        id: InviteId,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let record = self.audited(ctx, "staff.invite.revoked", format!("invite:{id}"), "");
        Ok(self.db.revoke_invite(id, self.clock.now(), record).await?)
    }
}

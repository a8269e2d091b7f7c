use hearth_domain::{
    BirthDate, DisplayName, Email, FieldErrors, Password, Region, Role, TimeZone, User, UserId,
};
use hearth_store::{AuditRecord, NewUser};
use serde::Deserialize;

use crate::paging::{self, Paged, Paging};
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// Staff accounts, and open invitations, on one page of the admin's staff page.
pub const STAFF_PAGE_SIZE: usize = 50;

/// The admin's staff page.
#[derive(Clone, Debug)]
pub struct StaffOverview {
    /// One page of staff accounts, by role then name.
    pub staff: Paged<User>,
    /// One page of the invitations neither accepted nor revoked, newest first.
    pub invites: Paged<hearth_domain::Invite>,
}

/// A client's sign-up as submitted; every field is checked and every problem reported.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClientSignUp {
    pub email: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
    pub timezone: Option<String>,
    pub region: Option<String>,
    pub birth_date: Option<String>,
}

/// What a sign-up answers. `id` is shown to the person either way; only a new account is
/// `created` (the web layer signs that one in, and sends anyone else to the login page).
#[derive(Clone, Copy, Debug)]
pub struct SignUp {
    pub id: UserId,
    pub created: bool,
}

/// A staff account created from the command line.
#[derive(Clone, Debug)]
pub struct NewStaff {
    pub email: String,
    pub password: String,
    pub role: String,
    pub display_name: Option<String>,
    pub timezone: Option<String>,
}

pub(crate) const EMAIL_TAKEN: &str = "an account with this email already exists";
const EMAIL_CONSTRAINT: &str = "users_email_normalized_key";

/// Parses a required field, recording "required" or the parser's message.
pub(crate) fn required<T, E: std::fmt::Display>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    match raw {
        Some(raw) if !raw.trim().is_empty() => errors.check(field, parse(raw)),
        _ => {
            errors.add(field, "this field is required");
            None
        }
    }
}

impl App {
    /// Creates a client account. Nothing is written unless every field is valid, and one
    /// email (in any letter case) is one account however many sign-ups race. A taken email
    /// gets the same answer as a new one (same work, an id from the same sequence) and no
    /// account: see [`SignUp`].
    pub async fn sign_up_client(
        &self,
        form: &ClientSignUp,
        ctx: &AuditContext,
    ) -> AppResult<SignUp> {
        let today = self.clock.now().date_naive();
        let mut errors = FieldErrors::new();
        let email = required(&mut errors, "email", form.email.as_deref(), Email::parse);
        let password = required(&mut errors, "password", form.password.as_deref(), |raw| {
            let context = hearth_domain::PasswordContext {
                email: form.email.as_deref(),
                display_name: form.display_name.as_deref(),
            };
            Password::parse_new(raw, &context)
        });
        let display_name =
            required(&mut errors, "display_name", form.display_name.as_deref(), DisplayName::parse);
        let timezone = required(&mut errors, "timezone", form.timezone.as_deref(), TimeZone::parse);
        let region = required(&mut errors, "region", form.region.as_deref(), Region::parse);
        let birth_date = required(&mut errors, "birth_date", form.birth_date.as_deref(), |raw| {
            BirthDate::parse(raw, today)
        });
        let (
            Some(email),
            Some(password),
            Some(display_name),
            Some(timezone),
            Some(region),
            Some(birth_date),
        ) = (email, password, display_name, timezone, region, birth_date)
        else {
            return Err(AppError::Invalid(errors));
        };
        let user = NewUser {
            email,
            password_hash: self.hasher.hash(&password).await?,
            role: Role::Client,
            display_name,
            timezone,
            region: Some(region),
            birth_date: Some(self.seal_birth_date(birth_date)),
            created_at: self.clock.now(),
        };
        let record = self.audited_with(|&(id, created): &(UserId, bool)| {
            vec![if created {
                let ctx = AuditContext { actor: Some(id), ..ctx.clone() };
                self.audit_entry(&ctx, "account.created", format!("user:{id}"), "role=client")
            } else {
                // The answer is the same as for a new account, so sign-up cannot be used to
                // learn who is a client here; the owner keeps their account and its password.
                self.audit_entry(
                    ctx,
                    "account.signup.email_taken",
                    "user:unknown",
                    format!("drawn={id}"),
                )
            }]
        });
        let (id, created) = self.db.insert_user_unless_taken(&user, record).await?;
        self.accounts_changed();
        Ok(SignUp { id, created })
    }

    /// Creates a staff account directly (the `hearth admin create` command).
    pub async fn create_staff(&self, staff: &NewStaff) -> AppResult<UserId> {
        let mut errors = FieldErrors::new();
        let email = errors.check("email", Email::parse(&staff.email));
        let context = hearth_domain::PasswordContext {
            email: Some(&staff.email),
            display_name: staff.display_name.as_deref(),
        };
        let password = errors.check("password", Password::parse_new(&staff.password, &context));
        let role = errors.check("role", Role::parse(&staff.role));
        if role == Some(Role::Client) {
            errors.add("role", "staff accounts are admin, coordinator or therapist");
        }
        let fallback_name = staff.email.split('@').next().unwrap_or("Staff").to_owned();
        let display_name = errors.check(
            "display_name",
            DisplayName::parse(staff.display_name.as_deref().unwrap_or(&fallback_name)),
        );
        let timezone = errors.check(
            "timezone",
            TimeZone::parse(staff.timezone.as_deref().unwrap_or("America/New_York")),
        );
        let (Some(email), Some(password), Some(role), Some(display_name), Some(timezone)) =
            (email, password, role, display_name, timezone)
        else {
            return Err(AppError::Invalid(errors));
        };
        if role == Role::Client {
            return Err(AppError::Invalid(errors));
        }
        let user = NewUser {
            email,
            password_hash: self.hasher.hash(&password).await?,
            role,
            display_name,
            timezone,
            region: None,
            birth_date: None,
            created_at: self.clock.now(),
        };
        let record = self.audited_with(move |id: &UserId| {
            let detail = format!("role={role} via=cli");
            vec![self.audit_entry(
                &AuditContext::default(),
                "account.created",
                format!("user:{id}"),
                detail,
            )]
        });
        self.insert_user(&user, record).await
    }

    /// Creates an account, `record` committing with it; a taken email is a field error.
    pub(crate) async fn insert_user(
        &self,
        user: &NewUser,
        record: AuditRecord<'_, UserId>,
    ) -> AppResult<UserId> {
        let id = self.db.insert_user(user, record).await.map_err(|err| {
            if err.is_conflict_on(EMAIL_CONSTRAINT) {
                AppError::invalid("email", EMAIL_TAKEN)
            } else {
                AppError::from(err)
            }
        })?;
        self.accounts_changed();
        Ok(id)
    }

    /// One page each (from 1; out of range is the nearest page) of the practice's staff,
    /// by role then name, and of the invitations still waiting, newest first: four
    /// statements, however many there are.
    pub async fn staff_overview(
        &self,
        admin: &Authenticated,
        staff_page: usize,
        invites_page: usize,
    ) -> AppResult<StaffOverview> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let total = paging::total(self.db.count_staff().await?);
        let paging = Paging::clamped(staff_page, total, STAFF_PAGE_SIZE);
        let items = self.db.list_staff_page(paging.offset(), paging.size).await?;
        let staff = Paged { items, paging };
        let total = paging::total(self.db.count_open_invites().await?);
        let paging = Paging::clamped(invites_page, total, STAFF_PAGE_SIZE);
        let items = self.db.list_open_invites_page(paging.offset(), paging.size).await?;
        Ok(StaffOverview { staff, invites: Paged { items, paging } })
    }

    /// Every member of the practice's staff (the API's staff list, the group form's
    /// therapists).
    pub async fn list_staff(&self, viewer: &User) -> AppResult<Vec<User>> {
        if viewer.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        Ok(self
            .staff_list
            .get_or_read(|| async { Ok::<_, AppError>(self.db.list_staff().await?) })
            .await?
            .to_vec())
    }

    /// Hashes a password with the configured argon2id parameters (the demo seeds many
    /// accounts with one hash).
    pub async fn hash_password(&self, password: &Password) -> AppResult<String> {
        Ok(self.hasher.hash(password).await?)
    }

    /// How many accounts hold `role` (the demo uses it to seed only once).
    pub async fn count_users(&self, role: Role) -> AppResult<i64> {
        Ok(self.db.count_users_by_role(role).await?)
    }
}

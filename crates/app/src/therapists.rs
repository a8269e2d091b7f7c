use chrono::NaiveDate;
use hearth_domain::TherapistProfile;
use hearth_domain::{
    DisplayName, Email, FieldErrors, License, LicenseKind, Password, PasswordContext, Region, Role,
    TimeZone, UserId,
};
use hearth_store::{NewTherapist, NewUser};
use serde::Deserialize;

use crate::accounts::{EMAIL_TAKEN, required};
use crate::paging::{self, Paged, Paging};
use crate::{App, AppError, AppResult, AuditContext, Authenticated};

const BIO_MAX: usize = 2000;

/// Therapists on one page of the admin's therapists page.
pub const THERAPISTS_PAGE_SIZE: usize = 25;

/// The admin's therapists page.
#[derive(Clone, Debug)]
pub struct TherapistsOverview {
    /// One page of therapists, each with their profile.
    pub therapists: Paged<(hearth_domain::User, TherapistProfile)>,
    /// Every topic, offered as specialties for a new therapist.
    pub topics: Vec<hearth_domain::Topic>,
}

/// A license as submitted.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LicenseInput {
    pub region: Option<String>,
    pub kind: Option<String>,
    pub number: Option<String>,
    pub expires_on: Option<String>,
}

/// A therapist as an admin submits them.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TherapistInput {
    pub email: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
    pub timezone: Option<String>,
    #[serde(default)]
    pub licenses: Vec<LicenseInput>,
    #[serde(default)]
    pub specialties: Vec<String>,
    pub license_kind: Option<String>,
    pub years_of_practice: Option<i32>,
    pub bio: Option<String>,
}

/// One license as entered; `today` (the practice's calendar day) refuses one already expired.
pub(crate) fn parse_license(
    errors: &mut FieldErrors,
    i: usize,
    input: &LicenseInput,
    today: NaiveDate,
) -> Option<License> {
    let field = |name: &str| format!("licenses[{i}].{name}");
    let region = required(errors, &field("region"), input.region.as_deref(), Region::parse);
    let kind = required(errors, &field("kind"), input.kind.as_deref(), LicenseKind::parse);
    let number = required(errors, &field("number"), input.number.as_deref(), |raw| {
        let raw = raw.trim();
        if raw.len() <= 40 {
            Ok(raw.to_owned())
        } else {
            Err("a license number has at most 40 characters")
        }
    });
    let expires_on = required(errors, &field("expires_on"), input.expires_on.as_deref(), |raw| {
        let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| "enter the expiry date as YYYY-MM-DD".to_owned())?;
        if date < today {
            return Err(format!(
                "this license expired on {date}; enter the current license and its expiry date"
            ));
        }
        Ok(date)
    });
    Some(License { region: region?, kind: kind?, number: number?, expires_on: expires_on? })
}

impl App {
    /// An admin adds a therapist: account, profile, licenses and specialties together.
    pub async fn create_therapist(
        &self,
        admin: &Authenticated,
        input: &TherapistInput,
        ctx: &AuditContext,
    ) -> AppResult<UserId> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let mut errors = FieldErrors::new();
        let email = required(&mut errors, "email", input.email.as_deref(), Email::parse);
        let password = required(&mut errors, "password", input.password.as_deref(), |raw| {
            let context = PasswordContext {
                email: input.email.as_deref(),
                display_name: input.display_name.as_deref(),
            };
            Password::parse_new(raw, &context)
        });
        let display_name = required(
            &mut errors,
            "display_name",
            input.display_name.as_deref(),
            DisplayName::parse,
        );
        let timezone =
            required(&mut errors, "timezone", input.timezone.as_deref(), TimeZone::parse);
        if input.licenses.is_empty() {
            errors.add(
                "licenses",
                "add at least one license: a therapist may only see clients where licensed",
            );
        }
        let licenses: Vec<Option<License>> = input
            .licenses
            .iter()
            .enumerate()
            .map(|(i, l)| parse_license(&mut errors, i, l, self.clock.now().date_naive()))
            .collect();
        let topics = self.topics().await?;
        for (i, slug) in input.specialties.iter().enumerate() {
            if !topics.iter().any(|t| &t.slug == slug) {
                errors.add(&format!("specialties[{i}]"), format!("unknown topic {slug:?}"));
            }
        }
        let license_kind = match input.license_kind.as_deref() {
            Some(raw) => errors.check("license_kind", LicenseKind::parse(raw)),
            None => licenses.iter().flatten().next().map(|l| l.kind),
        };
        let years = input.years_of_practice.unwrap_or(0);
        if !(0..=70).contains(&years) {
            errors.add("years_of_practice", "years of practice are between 0 and 70");
        }
        let bio = input.bio.clone().unwrap_or_default();
        if bio.chars().count() > BIO_MAX {
            errors.add("bio", format!("a bio has at most {BIO_MAX} characters"));
        }
        let (Some(email), Some(password), Some(display_name), Some(timezone)) =
            (email, password, display_name, timezone)
        else {
            return Err(AppError::Invalid(errors));
        };
        errors.into_result()?;
        let therapist = NewTherapist {
            user: NewUser {
                email,
                password_hash: self.hasher.hash(&password).await?,
                role: Role::Therapist,
                display_name,
                timezone,
                region: None,
                birth_date: None,
                created_at: self.clock.now(),
            },
            license_kind: license_kind.unwrap_or(LicenseKind::Lcsw),
            years_of_practice: years,
            bio: bio.trim().to_owned(),
            licenses: licenses.into_iter().flatten().collect(),
            specialties: input.specialties.clone(),
        };
        let record = self.audited_with(|id: &UserId| {
            vec![self.audit_entry(ctx, "account.created", format!("user:{id}"), "role=therapist")]
        });
        let id = self.db.insert_therapist(&therapist, record).await.map_err(|err| {
            if err.is_conflict_on("users_email_normalized_key") {
                AppError::invalid("email", EMAIL_TAKEN)
            } else if err.is_conflict_on("licenses_therapist_id_region_number_key") {
                AppError::invalid("licenses", "the same license is listed twice")
            } else {
                err.into()
            }
        })?;
        Ok(id)
    }

    /// An admin adds a license to a therapist (another state, or a renewal).
    pub async fn add_license(
        &self,
        admin: &Authenticated,
        therapist: UserId,
        input: &LicenseInput,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        self.db
            .find_user(therapist)
            .await?
            .filter(|u| u.role == Role::Therapist)
            .ok_or(AppError::NotFound)?;
        let mut errors = FieldErrors::new();
        let license = parse_license(&mut errors, 0, input, self.clock.now().date_naive());
        let license = match license {
            Some(l) if errors.is_empty() => l,
            _ => {
                // Single-license forms name plain fields, not licenses[0].…
                let mut plain = FieldErrors::new();
                for (field, message) in errors.iter() {
                    plain.add(field.trim_start_matches("licenses[0]."), message);
                }
                return Err(AppError::Invalid(plain));
            }
        };
        let record = self.audited(
            ctx,
            "therapist.license.added",
            format!("user:{therapist}"),
            format!("region={}", license.region),
        );
        self.db.insert_license(therapist, &license, record).await.map_err(|err| {
            if err.is_conflict_on("licenses_therapist_id_region_number_key") {
                AppError::invalid("number", "this license is already on file")
            } else {
                err.into()
            }
        })?;
        self.accounts_changed();
        Ok(())
    }

    /// One page (from 1; out of range is the nearest page) of the admin's therapists page:
    /// therapists with a profile by name, with their licenses, and the topics they may be
    /// given as specialties. Five statements, however many therapists there are.
    pub async fn therapists_overview(
        &self,
        admin: &Authenticated,
        page: usize,
    ) -> AppResult<TherapistsOverview> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        let total = paging::total(self.db.count_therapist_profiles().await?);
        let paging = Paging::clamped(page, total, THERAPISTS_PAGE_SIZE);
        let items = self.db.list_therapist_profiles_page(paging.offset(), paging.size).await?;
        let topics = self.topics().await?.to_vec();
        Ok(TherapistsOverview { therapists: Paged { items, paging }, topics })
    }

    /// A therapist's public profile (name, license kind, years, bio, licensed regions).
    pub async fn therapist_profile(
        &self,
        id: UserId,
    ) -> AppResult<(hearth_domain::User, TherapistProfile)> {
        let user = self
            .db
            .find_user(id)
            .await?
            .filter(|u| u.role == Role::Therapist)
            .ok_or(AppError::NotFound)?;
        let profile = self.db.find_therapist_profile(id).await?.ok_or(AppError::NotFound)?;
        Ok((user, profile))
    }
}

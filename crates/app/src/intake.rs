//! Intake: reasons, goals, service lines and topics of interest, preferences, weekly
//! availability, an emergency contact, and consent to telehealth and to the group
//! confidentiality agreement (versioned, with the time of signature).

use chrono::{DateTime, Utc};
use hearth_domain::access::{Action, Record};
use hearth_domain::{AvailabilityWindow, CONSENT_VERSION, FieldErrors, Role, UserId};
use hearth_store::IntakeRow;
use serde::{Deserialize, Serialize};

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

const TEXT_MAX: usize = 4000;
const SHORT_MAX: usize = 200;

/// An intake as a client submits it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IntakeInput {
    pub reasons: Option<String>,
    pub goals: Option<String>,
    #[serde(default)]
    pub service_lines: Vec<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    pub preferences: Option<String>,
    /// Weekly windows in the client's zone, e.g. `mon 18:00-21:00`.
    #[serde(default)]
    pub availability: Vec<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    /// The consent version the client saw and agreed to.
    pub consent_version: Option<String>,
    #[serde(default)]
    pub telehealth_consent: bool,
    #[serde(default)]
    pub group_agreement: bool,
}

/// The sealed part of an intake.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct IntakePrivate {
    pub reasons: String,
    pub goals: String,
    pub preferences: String,
    pub emergency_contact_name: String,
    pub emergency_contact_phone: String,
}

/// An intake as the care team reads it.
#[derive(Clone, Debug)]
pub struct Intake {
    pub private: IntakePrivate,
    pub service_lines: Vec<String>,
    pub topics: Vec<String>,
    pub availability: Vec<AvailabilityWindow>,
    pub consent_version: String,
    pub consented_at: DateTime<Utc>,
    pub submitted_at: DateTime<Utc>,
}

/// What an intake's sealed part is bound to: its client.
pub(crate) fn intake_context(client: i64) -> String {
    format!("intake:{client}")
}

fn text(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    required: bool,
    max: usize,
) -> String {
    let value = raw.unwrap_or_default().trim().to_owned();
    if required && value.is_empty() {
        errors.add(field, "this field is required");
    } else if value.chars().count() > max {
        errors.add(field, format!("at most {max} characters"));
    }
    value
}

impl App {
    /// A client submits (or updates) their intake. Nothing is saved unless all of it is valid.
    pub async fn submit_intake(
        &self,
        who: &Authenticated,
        input: &IntakeInput,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if who.user.role != Role::Client {
            return Err(AppError::refused("not_a_client", "only clients complete an intake"));
        }
        let mut errors = FieldErrors::new();
        let private = IntakePrivate {
            reasons: text(&mut errors, "reasons", input.reasons.as_deref(), true, TEXT_MAX),
            goals: text(&mut errors, "goals", input.goals.as_deref(), false, TEXT_MAX),
            preferences: text(
                &mut errors,
                "preferences",
                input.preferences.as_deref(),
                false,
                TEXT_MAX,
            ),
            emergency_contact_name: text(
                &mut errors,
                "emergency_contact_name",
                input.emergency_contact_name.as_deref(),
                true,
                SHORT_MAX,
            ),
            emergency_contact_phone: text(
                &mut errors,
                "emergency_contact_phone",
                input.emergency_contact_phone.as_deref(),
                true,
                40,
            ),
        };
        if !private.emergency_contact_phone.is_empty()
            && !private
                .emergency_contact_phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            errors.add("emergency_contact_phone", "use digits, spaces and + - ( ) only");
        }
        let programs = self.db.list_programs().await?;
        for (i, line) in input.service_lines.iter().enumerate() {
            if !programs.iter().any(|p| &p.slug == line) {
                errors
                    .add(&format!("service_lines[{i}]"), format!("unknown service line {line:?}"));
            }
        }
        let topics = self.topics().await?;
        for (i, topic) in input.topics.iter().enumerate() {
            if !topics.iter().any(|t| &t.slug == topic) {
                errors.add(&format!("topics[{i}]"), format!("unknown topic {topic:?}"));
            }
        }
        let mut windows = Vec::new();
        for (i, raw) in input.availability.iter().filter(|w| !w.trim().is_empty()).enumerate() {
            if let Some(w) =
                errors.check(&format!("availability[{i}]"), AvailabilityWindow::parse(raw))
            {
                windows.push(w);
            }
        }
        if input.consent_version.as_deref() != Some(CONSENT_VERSION) {
            errors.add("consent_version", "the consent text has changed; please read it again");
        }
        if !input.telehealth_consent {
            errors
                .add("telehealth_consent", "care at Hearth is by video: please agree to continue");
        }
        if !input.group_agreement {
            errors.add(
                "group_agreement",
                "please agree to keep what others share in the group private",
            );
        }
        errors.into_result()?;
        let now = self.clock.now();
        let sealed_json = serde_json::to_string(&private).map_err(anyhow::Error::from)?;
        let sealed = self
            .vault
            .seal(&sealed_json, &intake_context(who.user.id.get()))
            .map_err(|e| anyhow::anyhow!("sealing an intake: {e}"))?;
        let intake = hearth_store::IntakeRow {
            client_id: who.user.id.get(),
            sealed,
            service_lines: input.service_lines.join(","),
            topics: input.topics.join(","),
            availability: windows.iter().map(ToString::to_string).collect::<Vec<_>>().join(";"),
            consent_version: CONSENT_VERSION.to_owned(),
            consented_at: now,
            submitted_at: now,
        };
        let subject = format!("client:{}", who.user.id);
        let record =
            self.audited(ctx, "intake.submitted", subject, format!("consent={CONSENT_VERSION}"));
        self.db.upsert_intake(&intake, record).await?;
        // A new intake joins the people waiting for a place.
        self.waiting_cache.clear();
        Ok(())
    }

    /// A client's intake, for them and their care team (audited).
    pub async fn intake(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<Option<Intake>> {
        self.authorize(who, client, Record::Intake, Action::Read).await?;
        let intake = self.read_intake(client).await?;
        self.audit(ctx, "intake.read", format!("client:{client}"), "").await?;
        Ok(intake)
    }

    /// A client's intake, opened, with no check and no audit row: for callers that decided
    /// and audit the read themselves.
    pub(crate) async fn read_intake(&self, client: UserId) -> AppResult<Option<Intake>> {
        let Some(row) = self.db.find_intake(client).await? else { return Ok(None) };
        let private = self.open_intake(&row)?;
        let split = |s: &str, sep: char| {
            s.split(sep).filter(|x| !x.is_empty()).map(str::to_owned).collect::<Vec<_>>()
        };
        Ok(Some(Intake {
            private,
            service_lines: split(&row.service_lines, ','),
            topics: split(&row.topics, ','),
            availability: split(&row.availability, ';')
                .iter()
                .filter_map(|w| AvailabilityWindow::parse(w).ok())
                .collect(),
            consent_version: row.consent_version,
            consented_at: row.consented_at,
            submitted_at: row.submitted_at,
        }))
    }

    /// The sealed part of a stored intake. Callers check who may read it and audit.
    pub(crate) fn open_intake(&self, row: &IntakeRow) -> AppResult<IntakePrivate> {
        let json = self
            .vault
            .open(&row.sealed, &intake_context(row.client_id))
            .map_err(|e| anyhow::anyhow!("opening an intake: {e}"))?;
        Ok(serde_json::from_str(&json).map_err(|e| anyhow::anyhow!("a stored intake: {e}"))?)
    }

    /// Whether the client chose `topic` at intake.
    pub async fn chose_topic(&self, client: UserId, topic: &str) -> AppResult<bool> {
        Ok(self
            .db
            .find_intake(client)
            .await?
            .is_some_and(|i| i.topics.split(',').any(|t| t == topic)))
    }

    /// Whether the client has completed an intake (for the dashboard's next step).
    pub async fn has_intake(&self, client: UserId) -> AppResult<bool> {
        Ok(self.db.find_intake(client).await?.is_some())
    }
}

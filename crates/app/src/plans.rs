//! Treatment plans: goals, objectives, interventions, a target measure (e.g. PHQ-9 below 10
//! by a date) and a review date, signed by the client and the therapist. Changing a plan
//! clears both signatures. Started from a template for the client's topic.

use chrono::{DateTime, NaiveDate, Utc};
use hearth_domain::access::{Action, Record};
use hearth_domain::{FieldErrors, InstrumentId, PlanTemplate, Role, UserId, plan_template};
use hearth_store::PlanRow;
use serde::{Deserialize, Serialize};

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

/// What a plan says (sealed at rest).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanContent {
    pub goals: String,
    pub objectives: String,
    pub interventions: String,
}

/// A plan as the care team writes it.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PlanInput {
    #[serde(default)]
    pub goals: String,
    #[serde(default)]
    pub objectives: String,
    #[serde(default)]
    pub interventions: String,
    pub target_instrument: Option<String>,
    pub target_below: Option<i32>,
    pub target_by: Option<String>,
    pub review_on: Option<String>,
}

/// A stored plan with its signatures and whether the target is met.
#[derive(Clone, Debug)]
pub struct TreatmentPlan {
    pub content: PlanContent,
    /// PHQ-9 or GAD-7.
    pub target_instrument: InstrumentId,
    pub target_below: i32,
    pub target_by: NaiveDate,
    pub review_on: NaiveDate,
    /// Identifies the version signatures apply to.
    pub version: DateTime<Utc>,
    pub client_signed_at: Option<DateTime<Utc>>,
    pub therapist_signed_at: Option<DateTime<Utc>>,
    /// The latest score of the target measure is below the target.
    pub target_met: Option<bool>,
}

const TEXT_MAX: usize = 4000;

fn date(errors: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            errors.add(field, "this field is required");
            None
        }
        Some(raw) => errors.check(
            field,
            NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "enter a date as YYYY-MM-DD"),
        ),
    }
}

impl App {
    /// The template to start a client's plan from (their intake's first matching topic).
    pub async fn plan_template_for(&self, client: UserId) -> AppResult<PlanTemplate> {
        let topics = self.db.find_intake(client).await?.map(|i| i.topics).unwrap_or_default();
        let topic = if topics.split(',').any(|t| t == "compassion-fatigue") {
            "compassion-fatigue"
        } else {
            ""
        };
        Ok(plan_template(topic))
    }

    /// The care team writes (or rewrites) a client's plan; both signatures are cleared.
    pub async fn write_plan(
        &self,
        who: &Authenticated,
        client: UserId,
        input: &PlanInput,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        self.authorize(who, client, Record::TreatmentPlan, Action::Write).await?;
        let mut errors = FieldErrors::new();
        for (field, text) in [
            ("goals", &input.goals),
            ("objectives", &input.objectives),
            ("interventions", &input.interventions),
        ] {
            if text.trim().is_empty() {
                errors.add(field, "this field is required");
            } else if text.chars().count() > TEXT_MAX {
                errors.add(field, format!("at most {TEXT_MAX} characters"));
            }
        }
        let instrument = input.target_instrument.as_deref().unwrap_or("phq9");
        let max = match instrument {
            "phq9" => 27,
            "gad7" => 21,
            _ => {
                errors.add("target_instrument", "the target is a PHQ-9 or GAD-7 score");
                0
            }
        };
        let below = input.target_below.unwrap_or(10);
        if !(1..=max).contains(&below) && max > 0 {
            errors.add("target_below", format!("between 1 and {max}"));
        }
        let target_by = date(&mut errors, "target_by", input.target_by.as_deref());
        let review_on = date(&mut errors, "review_on", input.review_on.as_deref());
        let (Some(target_by), Some(review_on)) = (target_by, review_on) else {
            return Err(AppError::Invalid(errors));
        };
        // Dates are checked for what they mean, in the writer's own calendar: a target already
        // past, or a review already due before the plan exists, is a typing mistake.
        let today = self.clock.now().with_timezone(&who.user.timezone.tz()).date_naive();
        if target_by <= today {
            errors.add("target_by", "the target date must be after today");
        }
        if review_on < today {
            errors.add("review_on", "the review date cannot be before today");
        }
        let furthest = today + chrono::Duration::days(5 * 366);
        for (field, date) in [("target_by", target_by), ("review_on", review_on)] {
            if date > furthest {
                errors.add(field, "choose a date within the next five years");
            }
        }
        errors.into_result()?;
        let content = PlanContent {
            goals: input.goals.trim().to_owned(),
            objectives: input.objectives.trim().to_owned(),
            interventions: input.interventions.trim().to_owned(),
        };
        let sealed = self
            .vault
            .seal(
                &serde_json::to_string(&content).map_err(anyhow::Error::from)?,
                &format!("treatment_plan:{client}"),
            )
            .map_err(|e| anyhow::anyhow!("sealing a plan: {e}"))?;
        let record = self.audited(ctx, "plan.written", format!("client:{client}"), "");
        self.db
            .upsert_plan(
                &PlanRow {
                    client_id: client.get(),
                    content: sealed,
                    target_instrument: instrument.to_owned(),
                    target_below: below,
                    target_by,
                    review_on,
                    updated_by: who.user.id.get(),
                    updated_at: self.clock.now(),
                    client_signed_at: None,
                    therapist_signed_by: None,
                    therapist_signed_at: None,
                },
                record,
            )
            .await?;
        Ok(())
    }

    /// The client's plan, for them and their care team (audited).
    pub async fn treatment_plan(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<Option<TreatmentPlan>> {
        self.authorize(who, client, Record::TreatmentPlan, Action::Read).await?;
        let row = self.db.find_plan(client).await?;
        self.audit(ctx, "plan.read", format!("client:{client}"), "").await?;
        let Some(row) = row else { return Ok(None) };
        let json = self
            .vault
            .open(&row.content, &format!("treatment_plan:{client}"))
            .map_err(|e| anyhow::anyhow!("opening a plan: {e}"))?;
        let latest = self
            .opened_measures(client, Some(&row.target_instrument))
            .await?
            .into_iter()
            .filter(|m| m.taken_at.date_naive() <= row.target_by)
            .filter_map(|m| m.total)
            .next_back();
        let target_instrument = InstrumentId::parse(&row.target_instrument).ok_or_else(|| {
            anyhow::anyhow!(
                "a stored plan targets an unknown instrument {:?}",
                row.target_instrument
            )
        })?;
        Ok(Some(TreatmentPlan {
            content: serde_json::from_str(&json)
                .map_err(|e| anyhow::anyhow!("a stored plan: {e}"))?,
            target_met: latest.map(|total| total < row.target_below),
            target_instrument,
            target_below: row.target_below,
            target_by: row.target_by,
            review_on: row.review_on,
            version: row.updated_at,
            client_signed_at: row.client_signed_at,
            therapist_signed_at: row.therapist_signed_at,
        }))
    }

    /// The client signs their own plan, or a therapist on their care team signs it. The
    /// signature is for the version shown; a plan changed meanwhile is not signed.
    pub async fn sign_plan(
        &self,
        who: &Authenticated,
        client: UserId,
        version: DateTime<Utc>,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        self.authorize(who, client, Record::TreatmentPlan, Action::Sign).await?;
        let therapist = (who.user.role == Role::Therapist).then_some(who.user.id);
        let by = if therapist.is_some() { "therapist" } else { "client" };
        let record =
            self.audited(ctx, "plan.signed", format!("client:{client}"), format!("by={by}"));
        self.db.sign_plan(client, therapist, version, self.clock.now(), record).await.map_err(
            |e| match e {
                hearth_store::StoreError::NotFound => AppError::refused(
                    "plan_changed",
                    "the plan changed since it was shown; read it again before signing",
                ),
                other => other.into(),
            },
        )?;
        Ok(())
    }
}

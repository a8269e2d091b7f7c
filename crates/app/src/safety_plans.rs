//! Safety plans: what a client and their clinician write together for a hard moment —
//! warning signs, coping steps, people and places, professionals and crisis lines, and
//! making the environment safe. Sealed at rest; every read and write is audited.

use chrono::{DateTime, Utc};
use hearth_domain::access::{Action, Record};
use hearth_domain::{FieldErrors, UserId};
use serde::{Deserialize, Serialize};

use crate::{App, AppResult, AuditContext, Authenticated};

/// The plan's sections, in the order the plan is read in a crisis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyPlan {
    #[serde(default)]
    pub warning_signs: String,
    #[serde(default)]
    pub coping_steps: String,
    #[serde(default)]
    pub people_and_places: String,
    #[serde(default)]
    pub professionals_and_crisis_lines: String,
    #[serde(default)]
    pub making_the_environment_safe: String,
}

/// Each section's field name and what it asks.
pub const SAFETY_PLAN_SECTIONS: [(&str, &str); 5] = [
    (
        "warning_signs",
        "Warning signs: thoughts, moods, situations that tell me a crisis may be coming",
    ),
    ("coping_steps", "Things I can do on my own to take my mind off the problem"),
    (
        "people_and_places",
        "People and places that help me feel better, and people I can ask for help",
    ),
    (
        "professionals_and_crisis_lines",
        "Professionals and crisis lines I can contact (988, my therapist, my doctor)",
    ),
    ("making_the_environment_safe", "How I will make my surroundings safer"),
];

const SECTION_MAX: usize = 4000;

/// A plan with who last changed it.
#[derive(Clone, Debug)]
pub struct StoredSafetyPlan {
    pub plan: SafetyPlan,
    pub updated_at: DateTime<Utc>,
    pub updated_by: UserId,
}

impl SafetyPlan {
    fn sections(&self) -> [(&'static str, &str); 5] {
        [
            ("warning_signs", &self.warning_signs),
            ("coping_steps", &self.coping_steps),
            ("people_and_places", &self.people_and_places),
            ("professionals_and_crisis_lines", &self.professionals_and_crisis_lines),
            ("making_the_environment_safe", &self.making_the_environment_safe),
        ]
    }
}

impl App {
    /// A client's display name, for the care team's pages about them.
    pub async fn client_name(&self, who: &Authenticated, client: UserId) -> AppResult<String> {
        let user = self.client_profile(who, client).await?;
        Ok(user.display_name.to_string())
    }

    /// The client's plan, if one was written (audited).
    pub async fn safety_plan(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<Option<StoredSafetyPlan>> {
        self.authorize(who, client, Record::SafetyPlan, Action::Read).await?;
        let row = self.db.find_safety_plan(client).await?;
        self.audit(ctx, "safety_plan.read", format!("client:{client}"), "").await?;
        let Some(row) = row else { return Ok(None) };
        let json = self
            .vault
            .open(&row.content, &format!("safety_plan:{client}"))
            .map_err(|e| anyhow::anyhow!("opening a safety plan: {e}"))?;
        let plan: SafetyPlan = serde_json::from_str(&json)
            .map_err(|e| anyhow::anyhow!("a stored safety plan: {e}"))?;
        Ok(Some(StoredSafetyPlan {
            plan,
            updated_at: row.updated_at,
            updated_by: UserId::new(row.updated_by),
        }))
    }

    /// Saves the whole plan (audited). Nothing is saved if a section is too long.
    pub async fn save_safety_plan(
        &self,
        who: &Authenticated,
        client: UserId,
        plan: &SafetyPlan,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        self.authorize(who, client, Record::SafetyPlan, Action::Write).await?;
        let mut errors = FieldErrors::new();
        for (name, text) in plan.sections() {
            if text.chars().count() > SECTION_MAX {
                errors.add(name, format!("at most {SECTION_MAX} characters"));
            }
        }
        errors.into_result()?;
        let trimmed = SafetyPlan {
            warning_signs: plan.warning_signs.trim().to_owned(),
            coping_steps: plan.coping_steps.trim().to_owned(),
            people_and_places: plan.people_and_places.trim().to_owned(),
            professionals_and_crisis_lines: plan.professionals_and_crisis_lines.trim().to_owned(),
            making_the_environment_safe: plan.making_the_environment_safe.trim().to_owned(),
        };
        let json = serde_json::to_string(&trimmed).map_err(anyhow::Error::from)?;
        let sealed = self
            .vault
            .seal(&json, &format!("safety_plan:{client}"))
            .map_err(|e| anyhow::anyhow!("sealing a safety plan: {e}"))?;
        let record = self.audited(ctx, "safety_plan.written", format!("client:{client}"), "");
        Ok(self
            .db
            .upsert_safety_plan(client, &sealed, self.clock.now(), who.user.id, record)
            .await?)
    }
}

//! Recommendations: the groups a client may join, ranked by fit, each with its reasons.
//! The groups come from the shared snapshot of the practice and are scored in memory, so one
//! client against thousands of groups stays fast.

use chrono::{Datelike as _, Duration, Timelike as _};
use hearth_domain::Group;
use hearth_domain::access::{Action, Record};
use hearth_domain::{
    AvailabilityWindow, ClientNeeds, FitReason, GroupId, GroupOffer, MembershipStatus, Role,
    UserId, age_on, fit, fit_for_staff, may_treat, score,
};
use std::collections::HashMap;

use crate::browse::group_title;
use crate::{App, AppResult, AuditContext, Authenticated};

/// One ranked group.
#[derive(Clone, Debug)]
pub struct Recommendation {
    pub group: Group,
    /// The group's title on the client's clock ("Anger management · Tuesday evenings with
    /// Dr. Rivera"), so that two suggestions on one topic read differently.
    pub title: String,
    pub score: i32,
    /// Each with the meeting's hour as data, for a page to write on its reader's clock.
    pub reasons: Vec<FitReason>,
}

/// One ranked therapist for individual therapy.
#[derive(Clone, Debug)]
pub struct TherapistRecommendation {
    pub therapist: hearth_domain::User,
    pub score: i32,
    pub reasons: Vec<String>,
}

/// How many recommendations a client sees; coordinators see them all.
pub const CLIENT_SEES: usize = 3;

impl App {
    /// Groups `client` may join, best first; the client sees the top three. Every group is
    /// scored (from the shared [`crate::snapshot::Practice`], without words); only those
    /// returned are explained.
    pub async fn recommendations(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<Vec<Recommendation>> {
        // The reasons echo intake answers: the client and their care team only.
        self.authorize(who, client, Record::Intake, Action::Read).await?;
        let ranked = self.rank_groups(who, client).await?;
        self.audit(
            ctx,
            "recommendations.read",
            format!("client:{client}"),
            format!("count={}", ranked.len()),
        )
        .await?;
        Ok(ranked)
    }

    /// [`App::recommendations`] with no check and no audit row: for callers that decided and
    /// audit the read themselves.
    pub(crate) async fn rank_groups(
        &self,
        who: &Authenticated,
        client: UserId,
    ) -> AppResult<Vec<Recommendation>> {
        let user = self.find_client(client).await?;
        let needs = self.client_needs(client).await?;
        let practice = self.practice_snapshot().await?;
        let seated: Vec<GroupId> = self
            .db
            .list_client_memberships(client)
            .await?
            .into_iter()
            .filter(|m| m.status == MembershipStatus::Seated)
            .map(|m| m.group_id)
            .collect();
        let birth = self.birth_date(&user)?;
        let (Some(region), Some(birth)) = (&user.region, birth) else {
            return Ok(Vec::new());
        };
        let now = self.clock.now();
        let zone = user.timezone.tz();
        let today = now.with_timezone(&zone).date_naive();
        let empty = Vec::new();
        // Every group the client may join, as the ranking sees it, with its score.
        let mut candidates: Vec<(i32, &Group, GroupOffer<'_>)> = Vec::new();
        for group in &practice.groups {
            if seated.contains(&group.id)
                || !group.is_open()
                || group.ends_on.is_some_and(|e| e < today)
            {
                continue;
            }
            // Hard rules first: never offer a group the client may not join.
            let first_day = group.starts_on.max(today);
            let held = practice.licenses.get(&group.therapist_id).map_or(&[][..], Vec::as_slice);
            if !may_treat(held, region, first_day)
                || !group.age_band.admits(age_on(birth, first_day))
            {
                continue;
            }
            // The group's next meeting on the client's clock.
            let slot_zone = group.slot.zone().tz();
            let local_today = now.with_timezone(&slot_zone).date_naive().max(group.starts_on);
            let days_ahead = (7 + group.slot.weekday().num_days_from_monday()
                - local_today.weekday().num_days_from_monday())
                % 7;
            let Some(next) =
                group.slot.occurrence_on(local_today + Duration::days(i64::from(days_ahead)))
            else {
                continue;
            };
            let local = next.starts_at.with_timezone(&zone);
            let offer = GroupOffer {
                topic: &group.topic,
                topic_name: practice.topic_names.get(&group.topic).map_or(&group.topic, |n| n),
                weekday_local: local.weekday(),
                time_local: local.time(),
                minutes: group.slot.duration().num_minutes(),
                therapist_specialties: practice
                    .specialties
                    .get(&group.therapist_id)
                    .unwrap_or(&empty),
                seats_left: group.seats_left(),
                waitlist: group.waitlist,
            };
            candidates.push((score(&needs, &offer), group, offer));
        }
        candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
        if who.user.role == Role::Client {
            candidates.truncate(CLIENT_SEES);
        }
        let ranked = candidates
            .into_iter()
            .map(|(score, group, offer)| Recommendation {
                title: group_title(
                    offer.topic_name,
                    Some((offer.weekday_local, offer.time_local.hour())),
                    practice.therapist_names.get(&group.therapist_id).map_or("a therapist", |n| n),
                ),
                group: group.clone(),
                score,
                reasons: if who.user.role == Role::Client {
                    fit(&needs, &offer).reasons
                } else {
                    fit_for_staff(&needs, &offer).reasons
                },
            })
            .collect();
        Ok(ranked)
    }

    /// Therapists for one-to-one care: licensed where the client lives today, ranked by how
    /// many of the client's topics they specialise in, then experience.
    pub async fn therapist_recommendations(
        &self,
        who: &Authenticated,
        client: UserId,
        ctx: &AuditContext,
    ) -> AppResult<Vec<TherapistRecommendation>> {
        // The reasons echo intake answers: the client and their care team only.
        self.authorize(who, client, Record::Intake, Action::Read).await?;
        let user = self.find_client(client).await?;
        let Some(region) = user.region.clone() else { return Ok(Vec::new()) };
        let needs = self.client_needs(client).await?;
        let wanted: Vec<&str> = needs
            .topics
            .iter()
            .map(String::as_str)
            .chain(needs.topics_from_scores.iter().map(|(t, _)| t.as_str()))
            .collect();
        let topic_names: HashMap<String, String> =
            self.topics().await?.iter().map(|t| (t.slug.clone(), t.name.clone())).collect();
        let today = self.clock.now().with_timezone(&user.timezone.tz()).date_naive();
        let mut ranked = Vec::new();
        for therapist in
            self.db.list_staff().await?.into_iter().filter(|u| u.role == Role::Therapist)
        {
            let Some(profile) = self.db.find_therapist_profile(therapist.id).await? else {
                continue;
            };
            if !may_treat(&profile.licenses, &region, today) {
                continue;
            }
            let shared: Vec<&String> =
                profile.specialties.iter().filter(|s| wanted.contains(&s.as_str())).collect();
            let mut reasons = vec![format!("licensed in {region}")];
            for topic in &shared {
                reasons.push(format!(
                    "specialises in {}",
                    topic_names.get(*topic).map_or(topic.as_str(), String::as_str)
                ));
            }
            reasons.push(format!(
                "{} years of practice, {}",
                profile.years_of_practice, profile.license_kind
            ));
            let score = (i32::try_from(shared.len()).unwrap_or(0) * 30
                + profile.years_of_practice.min(20))
            .min(100);
            ranked.push(TherapistRecommendation { therapist, score, reasons });
        }
        ranked.sort_by(|a, b| b.score.cmp(&a.score).then(a.therapist.id.cmp(&b.therapist.id)));
        if who.user.role == Role::Client {
            ranked.truncate(CLIENT_SEES);
        }
        self.audit(
            ctx,
            "recommendations.therapists.read",
            format!("client:{client}"),
            format!("count={}", ranked.len()),
        )
        .await?;
        Ok(ranked)
    }

    /// Intake topics and availability, plus topics the latest scores point to.
    async fn client_needs(&self, client: UserId) -> AppResult<ClientNeeds> {
        let mut needs = ClientNeeds::default();
        if let Some(row) = self.db.find_intake(client).await? {
            needs.topics =
                row.topics.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect();
            needs.availability = row
                .availability
                .split(';')
                .filter_map(|w| AvailabilityWindow::parse(w).ok())
                .collect();
        }
        // Only the latest of each instrument is opened.
        let stored = self.db.list_measures(client, None).await?;
        let latest = |slug: &str| -> AppResult<Option<crate::MeasureRow>> {
            stored
                .iter()
                .rev()
                .find(|m| m.instrument == slug)
                .map(|m| self.open_measure(m))
                .transpose()
        };
        let phq = latest("phq9")?.and_then(|m| m.total).unwrap_or(0);
        let gad = latest("gad7")?.and_then(|m| m.total).unwrap_or(0);
        if phq >= i32::from(hearth_domain::CASENESS_PHQ9)
            || gad >= i32::from(hearth_domain::CASENESS_GAD7)
        {
            needs.topics_from_scores.push((
                "anxiety-depression".to_owned(),
                "recent check-ins are above the clinical cut-off",
            ));
        }
        // High burnout or secondary traumatic stress on the ProQOL-5 points to the
        // compassion-fatigue group.
        let strained = latest("proqol5")?
            .and_then(|m| serde_json::from_str::<serde_json::Value>(&m.subscales).ok())
            .and_then(|v| v.as_array().cloned())
            .is_some_and(|subscales| {
                subscales.iter().any(|s| {
                    matches!(s["slug"].as_str(), Some("burnout" | "secondary-traumatic-stress"))
                        && s["band"] == "high"
                })
            });
        if strained {
            needs.topics_from_scores.push((
                "compassion-fatigue".to_owned(),
                "the ProQOL-5 shows strain from caring for others",
            ));
        }
        Ok(needs)
    }
}

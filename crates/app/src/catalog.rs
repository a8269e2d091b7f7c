use hearth_domain::{FieldErrors, Role};
use hearth_domain::{Program, Topic, TopicPlanWeek};

use crate::{App, AppError, AppResult, AuditContext, Authenticated};

const NAME_MAX: usize = 80;
const DESCRIPTION_MAX: usize = 600;

impl App {
    /// Seeds the programs, topics and plans that are missing (at start-up).
    pub async fn seed_catalog(&self) -> AppResult<()> {
        self.db.seed_catalog().await?;
        self.kept_topics.clear();
        Ok(())
    }

    pub async fn list_topics(&self) -> AppResult<Vec<Topic>> {
        Ok(self.topics().await?.to_vec())
    }

    /// The active topics in catalog order, kept ([`crate::KEPT_TTL`]; an edit through this
    /// node shows at once): nearly every page names groups by their topic.
    pub(crate) async fn topics(&self) -> AppResult<std::sync::Arc<Vec<Topic>>> {
        self.kept_topics.get_or_read(|| async { Ok(self.db.list_topics().await?) }).await
    }

    pub async fn list_programs(&self) -> AppResult<Vec<Program>> {
        Ok(self.db.list_programs().await?)
    }

    /// The whole catalog, for the admin's catalog page: (service lines, group topics).
    pub async fn catalog(&self) -> AppResult<(Vec<Program>, Vec<Topic>)> {
        Ok((self.db.list_programs().await?, self.db.list_topics().await?))
    }

    /// A topic with its session plan (empty when it has none).
    pub async fn topic_with_plan(&self, slug: &str) -> AppResult<(Topic, Vec<TopicPlanWeek>)> {
        let topic = self.db.find_topic(slug).await?.ok_or(AppError::NotFound)?;
        let plan = self.db.list_plan_weeks(slug).await?;
        Ok((topic, plan))
    }

    /// An admin renames a topic or rewrites its description.
    pub async fn edit_topic(
        &self,
        admin: &Authenticated,
        slug: &str,
        name: &str,
        description: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let (name, description) = check_entry(admin, name, description)?;
        let record = self.audited(ctx, "catalog.topic.edited", format!("topic:{slug}"), "");
        self.db.update_topic(slug, name, description, record).await?;
        self.kept_topics.clear();
        Ok(())
    }

    /// An admin sets how many weeks apart a program's check-ins are due (1 to 12).
    pub async fn set_check_in_cadence(
        &self,
        admin: &Authenticated,
        slug: &str,
        weeks: i32,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        if admin.user.role != Role::Admin {
            return Err(AppError::Forbidden);
        }
        if !(1..=12).contains(&weeks) {
            return Err(AppError::invalid("check_in_cadence_weeks", "between 1 and 12 weeks"));
        }
        let record = self.audited(
            ctx,
            "catalog.program.cadence",
            format!("program:{slug}"),
            format!("weeks={weeks}"),
        );
        Ok(self.db.update_program_cadence(slug, weeks, record).await?)
    }

    /// An admin renames a service line or rewrites its description.
    pub async fn edit_program(
        &self,
        admin: &Authenticated,
        slug: &str,
        name: &str,
        description: &str,
        ctx: &AuditContext,
    ) -> AppResult<()> {
        let (name, description) = check_entry(admin, name, description)?;
        let record = self.audited(ctx, "catalog.program.edited", format!("program:{slug}"), "");
        Ok(self.db.update_program(slug, name, description, record).await?)
    }
}

/// An admin's new name and description for a catalog entry, trimmed and bounded.
fn check_entry<'a>(
    admin: &Authenticated,
    name: &'a str,
    description: &'a str,
) -> AppResult<(&'a str, &'a str)> {
    if admin.user.role != Role::Admin {
        return Err(AppError::Forbidden);
    }
    let mut errors = FieldErrors::new();
    let (name, description) = (name.trim(), description.trim());
    if name.is_empty() || name.chars().count() > NAME_MAX {
        errors.add("name", format!("a name has 1 to {NAME_MAX} characters"));
    }
    if description.chars().count() > DESCRIPTION_MAX {
        errors
            .add("description", format!("a description has at most {DESCRIPTION_MAX} characters"));
    }
    errors.into_result()?;
    Ok((name, description))
}

use hearth_domain::UserId;
use hearth_store::NewAuditEntry;

use crate::{App, AppResult, AuditVerification};

/// Who is acting and from where, carried from the request into every audited use case.
#[derive(Clone, Debug, Default)]
pub struct AuditContext {
    pub actor: Option<UserId>,
    pub source_ip: Option<String>,
}

impl AuditContext {
    pub fn anonymous(source_ip: Option<String>) -> Self {
        Self { actor: None, source_ip }
    }

    pub fn by(actor: UserId, source_ip: Option<String>) -> Self {
        Self { actor: Some(actor), source_ip }
    }
}

impl App {
    /// Appends one row to the audit log. `detail` holds ids and outcomes, never health data.
    pub async fn audit(
        &self,
        ctx: &AuditContext,
        action: &str,
        subject: impl Into<String>,
        detail: impl Into<String>,
    ) -> AppResult<()> {
        let entry = NewAuditEntry {
            at: self.clock.now(),
            actor: ctx.actor,
            action: action.to_owned(),
            subject: subject.into(),
            source_ip: ctx.source_ip.clone(),
            detail: detail.into(),
        };
        self.db.append_audit(&entry).await?;
        Ok(())
    }

    /// Walks the hash chain of the audit log.
    pub async fn verify_audit_log(&self) -> AppResult<AuditVerification> {
        Ok(self.db.verify_audit_chain().await?)
    }
}

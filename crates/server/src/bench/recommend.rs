//! `hearth bench recommend`: one client's recommendations against many groups.

use chrono::Utc;
use hearth_domain::Role;
use hearth_store::AuditRecord;
use std::time::{Duration, Instant};

use super::{bench_staff, bench_user, create_groups, median, on_scratch};

/// `hearth bench recommend`: one client's recommendations against `groups` groups, against
/// a raw read of the same groups. Returns (median recommendation, median raw read).
pub async fn recommend(groups: usize) -> anyhow::Result<(Duration, Duration)> {
    anyhow::ensure!(groups > 0, "--groups must be at least 1");
    on_scratch(None, |db| async move {
        db.migrate().await?;
        db.seed_catalog().await?;
        let now = Utc::now();
        create_groups(&db, groups, now).await?;
        let mut settings = crate::Settings::default();
        settings.encryption.keys = vec![hearth_app::Vault::generate_key("bench").into()];
        let app = crate::build_app(&settings, db.clone(), crate::system_clock())?;
        let client = bench_user("client", Role::Client, now, Some(&app))?;
        let client = db.insert_user(&client, AuditRecord::none()).await?;
        let (who, ctx) = bench_staff(&app, "coordinator").await?;
        let (mut ours, mut raw) = (Vec::new(), Vec::new());
        for _ in 0..21 {
            let started = Instant::now();
            let ranked = app
                .recommendations(&who, client, &ctx)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            ours.push(started.elapsed());
            anyhow::ensure!(
                ranked.len() == groups,
                "{} of {groups} groups recommended",
                ranked.len()
            );
            let started = Instant::now();
            let read = db.list_groups(&hearth_domain::GroupFilter::default()).await?;
            raw.push(started.elapsed());
            anyhow::ensure!(read.len() == groups, "read {} groups", read.len());
        }
        Ok((median(ours), median(raw)))
    })
    .await
}

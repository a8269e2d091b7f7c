//! The members of many groups at once, for pages that show several rosters.

use hearth_domain::GroupId;

use crate::db::{IN_CHUNK, in_list, on_pool};
use crate::{Db, MembershipRow, StoreResult};

impl Db {
    /// The current members of each of `groups`, by group then joining order.
    pub async fn list_members_of_groups(
        &self,
        groups: &[GroupId],
    ) -> StoreResult<Vec<MembershipRow>> {
        let mut out = Vec::new();
        for chunk in groups.chunks(IN_CHUNK) {
            let sql = format!(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE status = 'seated' AND group_id IN ({}) ORDER BY group_id, joined_at, id",
                in_list(1, chunk.len())
            );
            let rows: Vec<MembershipRow> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }
}

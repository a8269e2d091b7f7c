//! Reading seats and places.

use chrono::{DateTime, Utc};
use hearth_domain::{
    GroupId, MembershipRow, UserId, WaitlistEntryId, WaitlistPlace, WaitlistStatus,
};

use super::{StoredMembership, memberships, waitlist_status};
use crate::db::on_pool;
use crate::{Db, StoreResult};

impl Db {
    /// Offers not taken in time, oldest first: (waitlist entry, group).
    pub async fn list_due_offers(
        &self,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(WaitlistEntryId, GroupId)>> {
        let due: Vec<(i64, i64)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, group_id FROM waitlist_entries WHERE status = 'offered' AND offer_expires_at <= $1 \
                 ORDER BY id",
            )
            .bind(now)
            .fetch_all(pool)
            .await
        })?;
        Ok(due.into_iter().map(|(e, g)| (WaitlistEntryId::new(e), GroupId::new(g))).collect())
    }

    /// The client's place in the group's waitlist, if they are on it.
    pub async fn find_waitlist_place(
        &self,
        group: GroupId,
        client: UserId,
    ) -> StoreResult<Option<WaitlistPlace>> {
        let (g, c) = (group.get(), client.get());
        let place = on_pool!(self, |pool| {
            let mut conn = pool.acquire().await?;
            let entry: Option<(i64, String, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT id, status, offer_expires_at FROM waitlist_entries WHERE group_id = $1 \
                 AND client_id = $2 AND status IN ('waiting', 'offered')",
            )
            .bind(g)
            .bind(c)
            .fetch_optional(&mut *conn)
            .await?;
            match entry {
                None => None,
                Some((id, status, expires)) => {
                    let status = waitlist_status(&status)?;
                    let position = if status == WaitlistStatus::Offered {
                        0
                    } else {
                        position_of!(conn, g, id)
                    };
                    Some(WaitlistPlace {
                        entry: WaitlistEntryId::new(id),
                        status,
                        position,
                        offer_expires_at: expires,
                    })
                }
            }
        });
        Ok(place)
    }

    /// Every membership of a client, current and past, newest first.
    pub async fn list_client_memberships(&self, client: UserId) -> StoreResult<Vec<MembershipRow>> {
        let rows: Vec<StoredMembership> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE client_id = $1 ORDER BY joined_at DESC, id DESC",
            )
            .bind(client.get())
            .fetch_all(pool)
            .await
        })?;
        memberships(rows)
    }

    /// The seats these clients hold now, one statement per 500 clients.
    pub async fn list_seated_memberships(
        &self,
        clients: &[UserId],
    ) -> StoreResult<Vec<MembershipRow>> {
        let ids: Vec<i64> = clients.iter().map(|c| c.get()).collect();
        self.seated_where("client_id", &ids).await
    }

    /// The current members of each of `groups`, by group then joining order.
    pub async fn list_members_of_groups(
        &self,
        groups: &[GroupId],
    ) -> StoreResult<Vec<MembershipRow>> {
        let ids: Vec<i64> = groups.iter().map(|g| g.get()).collect();
        self.seated_where("group_id", &ids).await
    }

    /// How many members each of `groups` has (groups without any are left out): one row a
    /// group rather than one a member.
    pub async fn count_members_of_groups(
        &self,
        groups: &[GroupId],
    ) -> StoreResult<Vec<(GroupId, i64)>> {
        let mut out = Vec::new();
        for chunk in groups.chunks(crate::db::IN_CHUNK) {
            let sql = format!(
                "SELECT group_id, COUNT(*) FROM memberships \
                 WHERE status = 'seated' AND group_id IN ({}) GROUP BY group_id",
                crate::db::in_list(1, chunk.len())
            );
            let rows: Vec<(i64, i64)> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(id.get());
                }
                query.fetch_all(pool).await
            })?;
            out.extend(rows.into_iter().map(|(g, n)| (GroupId::new(g), n)));
        }
        Ok(out)
    }

    /// Seated memberships whose `column` is one of `ids`, by group then joining order.
    async fn seated_where(&self, column: &str, ids: &[i64]) -> StoreResult<Vec<MembershipRow>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(crate::db::IN_CHUNK) {
            let sql = format!(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE status = 'seated' AND {column} IN ({}) ORDER BY group_id, joined_at, id",
                crate::db::in_list(1, chunk.len())
            );
            let rows: Vec<StoredMembership> = on_pool!(self, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                query.fetch_all(pool).await
            })?;
            out.extend(memberships(rows)?);
        }
        Ok(out)
    }

    /// The current members of a group, in joining order.
    pub async fn list_group_members(&self, group: GroupId) -> StoreResult<Vec<MembershipRow>> {
        let rows: Vec<StoredMembership> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, group_id, client_id, status, joined_at, ended_at FROM memberships \
                 WHERE group_id = $1 AND status = 'seated' ORDER BY joined_at, id",
            )
            .bind(group.get())
            .fetch_all(pool)
            .await
        })?;
        memberships(rows)
    }

    /// Groups where the client waits or holds an offer: (group, place).
    pub async fn list_client_waitlists(
        &self,
        client: UserId,
    ) -> StoreResult<Vec<(GroupId, WaitlistPlace)>> {
        let groups: Vec<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT group_id FROM waitlist_entries WHERE client_id = $1 AND status IN ('waiting', 'offered') \
                 ORDER BY id",
            )
            .bind(client.get())
            .fetch_all(pool)
            .await
        })?;
        let mut places = Vec::with_capacity(groups.len());
        for g in groups {
            let group = GroupId::new(g);
            if let Some(place) = self.find_waitlist_place(group, client).await? {
                places.push((group, place));
            }
        }
        Ok(places)
    }
}

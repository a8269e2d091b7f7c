//! The staff's client directory: clients found by name, email or id, narrowed by care team,
//! group, waiting and open flags, a page at a time, with what a list row shows about each.
//! Two statements whatever the page or the practice's size: the count and the page.

use hearth_domain::{GroupId, User, UserId};

use crate::db::{on_pool, sql_count};
use crate::users::{USER_COLUMNS, UserRow};
use crate::{Db, StoreResult};

/// Which clients a directory page lists. Every condition set narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryFilter {
    /// Part of the display name (any letter case for ASCII letters), or a client's id.
    pub name_or_id: Option<String>,
    /// An email, normalized: the one client with exactly this address.
    pub email: Option<String>,
    /// Only clients seated in a group this therapist leads.
    pub treated_by: Option<UserId>,
    /// Only clients assigned to this coordinator.
    pub coordinated_by: Option<UserId>,
    /// Only clients seated in this group.
    pub group: Option<GroupId>,
    /// Only clients with no seat in any group (new, waiting or between groups).
    pub without_group: bool,
    /// Only clients with an open (unacknowledged) risk flag.
    pub flagged: bool,
}

/// One client as a directory row shows them.
#[derive(Clone, Debug)]
pub struct DirectoryRow {
    pub user: User,
    /// Groups the client holds a seat in.
    pub seats: i64,
    /// The first of those groups (lowest id) and its topic slug.
    pub first_group: Option<(GroupId, String)>,
    /// Waitlist places and held offers.
    pub waitlist_places: i64,
    /// The client has an open risk flag.
    pub open_flag: bool,
    /// The assigned coordinator's display name.
    pub coordinator: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    user: UserRow,
    seats: i64,
    first_group: Option<i64>,
    first_topic: Option<String>,
    waitlist_places: i64,
    open_flag: bool,
    coordinator: Option<String>,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// `filter` as the `FROM` clause and SQL conditions on `users u`, with their values numbered
/// from `$1`. A filter that names a few clients (a therapist's, a coordinator's, a group's,
/// the flagged) drives the query: `CROSS JOIN` keeps SQLite from walking the index on
/// (role, name) through every client and testing each (7–12 ms at 100,000 clients).
fn conditions(filter: &DirectoryFilter) -> (String, String, Vec<Bind>) {
    /// Adds a value and answers its placeholder.
    fn next(bind: Bind, binds: &mut Vec<Bind>) -> String {
        binds.push(bind);
        format!("${}", binds.len())
    }
    let mut clauses = vec!["u.role = 'client'".to_owned()];
    let mut sets = Vec::new();
    let mut binds = Vec::new();
    if let Some(text) = filter.name_or_id.as_deref() {
        let escaped =
            text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let like = next(Bind::Text(format!("%{escaped}%")), &mut binds);
        let name = format!("LOWER(u.display_name) LIKE {like} ESCAPE '\\'");
        clauses.push(match text.trim().parse::<i64>() {
            Ok(id) => format!("({name} OR u.id = {})", next(Bind::Int(id), &mut binds)),
            Err(_) => name,
        });
    }
    if let Some(email) = &filter.email {
        let p = next(Bind::Text(email.clone()), &mut binds);
        clauses.push(format!("u.email_normalized = {p}"));
    }
    if let Some(therapist) = filter.treated_by {
        let p = next(Bind::Int(therapist.get()), &mut binds);
        sets.push(format!(
            "SELECT m.client_id FROM groups g JOIN memberships m ON m.group_id = g.id \
             WHERE g.therapist_id = {p} AND m.status = 'seated'"
        ));
    }
    if let Some(coordinator) = filter.coordinated_by {
        let p = next(Bind::Int(coordinator.get()), &mut binds);
        sets.push(format!(
            "SELECT c.client_id FROM care_assignments c WHERE c.coordinator_id = {p}"
        ));
    }
    if let Some(group) = filter.group {
        let p = next(Bind::Int(group.get()), &mut binds);
        sets.push(format!(
            "SELECT m.client_id FROM memberships m WHERE m.group_id = {p} AND m.status = 'seated'"
        ));
    }
    if filter.without_group {
        clauses.push(
            "NOT EXISTS (SELECT 1 FROM memberships m WHERE m.client_id = u.id \
             AND m.status = 'seated')"
                .to_owned(),
        );
    }
    if filter.flagged {
        sets.push(
            "SELECT f.client_id FROM risk_flags f WHERE f.acknowledged_at IS NULL".to_owned(),
        );
    }
    let mut sets = sets.into_iter();
    let from = match sets.next() {
        Some(first) => {
            clauses.push("u.id = s.client_id".to_owned());
            format!("(SELECT DISTINCT client_id FROM ({first}) d) s CROSS JOIN users u")
        }
        None => "users u".to_owned(),
    };
    clauses.extend(sets.map(|set| format!("u.id IN ({set})")));
    (from, clauses.join(" AND "), binds)
}

impl Db {
    /// How many clients `filter` lists, counting no further than `up_to`.
    pub async fn count_directory(
        &self,
        filter: &DirectoryFilter,
        up_to: usize,
    ) -> StoreResult<i64> {
        let (from, conditions, binds) = conditions(filter);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {conditions} LIMIT {}) found",
            sql_count(up_to)
        );
        let n: i64 = on_pool!(self, |pool| {
            let mut query = sqlx::query_scalar(&sql);
            for bind in &binds {
                query = match bind {
                    Bind::Text(text) => query.bind(text.clone()),
                    Bind::Int(n) => query.bind(*n),
                };
            }
            query.fetch_one(pool).await
        })?;
        Ok(n)
    }

    /// `limit` clients from the `offset`-th that `filter` lists, by display name then id.
    pub async fn directory_page(
        &self,
        filter: &DirectoryFilter,
        offset: usize,
        limit: usize,
    ) -> StoreResult<Vec<DirectoryRow>> {
        let (from, conditions, binds) = conditions(filter);
        let (limit_at, offset_at) = (binds.len() + 1, binds.len() + 2);
        let seated = "FROM memberships m WHERE m.client_id = u.id AND m.status = 'seated'";
        let sql = format!(
            "SELECT {USER_COLUMNS}, \
               (SELECT COUNT(*) {seated}) AS seats, \
               (SELECT MIN(m.group_id) {seated}) AS first_group, \
               (SELECT g.topic FROM memberships m JOIN groups g ON g.id = m.group_id \
                 WHERE m.client_id = u.id AND m.status = 'seated' \
                 ORDER BY m.group_id LIMIT 1) AS first_topic, \
               (SELECT COUNT(*) FROM waitlist_entries w WHERE w.client_id = u.id \
                 AND w.status IN ('waiting', 'offered')) AS waitlist_places, \
               EXISTS (SELECT 1 FROM risk_flags f WHERE f.client_id = u.id \
                 AND f.acknowledged_at IS NULL) AS open_flag, \
               (SELECT d.display_name FROM care_assignments c JOIN users d ON d.id = c.coordinator_id \
                 WHERE c.client_id = u.id) AS coordinator \
             FROM {from} WHERE {conditions} \
             ORDER BY u.display_name, u.id LIMIT ${limit_at} OFFSET ${offset_at}"
        );
        let rows: Vec<Row> = on_pool!(self, |pool| {
            let mut query = sqlx::query_as(&sql);
            for bind in &binds {
                query = match bind {
                    Bind::Text(text) => query.bind(text.clone()),
                    Bind::Int(n) => query.bind(*n),
                };
            }
            query.bind(sql_count(limit)).bind(sql_count(offset)).fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(|row| {
                Ok(DirectoryRow {
                    user: User::try_from(row.user)?,
                    seats: row.seats,
                    first_group: row.first_group.map(GroupId::new).zip(row.first_topic),
                    waitlist_places: row.waitlist_places,
                    open_flag: row.open_flag,
                    coordinator: row.coordinator,
                })
            })
            .collect()
    }
}

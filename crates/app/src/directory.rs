//! The client directory: how staff find a client without knowing an address. Search by name,
//! email or id; narrow to one's own clients, one group, clients without a group, or clients
//! with an open risk flag; a page at a time. Who sees whom follows the access policy's
//! identity rule: coordinators and administrators every client, a therapist the clients
//! they treat. Open flags show only to those the policy lets read risk signals.

use chrono::{DateTime, Utc};
use hearth_domain::{Action, Actor, Email, GroupId, Record, Role, Ties, UserId, age_on, decide};
use hearth_store::DirectoryFilter;

use crate::paging::total;
use crate::{App, AppError, AppResult, AuditContext, Authenticated, Paged, Paging};

/// Clients a directory page lists.
pub const DIRECTORY_PAGE_SIZE: usize = 25;

/// The directory counts the clients a search finds up to this many; past it, the page says
/// "more than 1000 clients" and offers the first forty pages (search narrows the rest).
pub const DIRECTORY_COUNT_CAP: usize = 1000;

/// What the person asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectorySearch {
    /// A name or part of one, an email, or an id; blank lists everyone in scope.
    pub text: String,
    /// Only the viewer's own clients (a coordinator's assigned clients; a therapist sees only
    /// their own anyway).
    pub mine: bool,
    pub group: Option<GroupId>,
    /// Only clients not seated in any group.
    pub without_group: bool,
    /// Only clients with an open risk flag (ignored for viewers who may not see flags).
    pub flagged: bool,
}

/// One client as the directory lists them, with what tells namesakes apart.
#[derive(Clone, Debug)]
pub struct DirectoryEntry {
    pub id: UserId,
    pub name: String,
    pub region: Option<String>,
    /// "adult" or "teen" (from the birth date), when known.
    pub age_band: Option<&'static str>,
    /// The first group the client is seated in, by topic name, and how many more.
    pub group: Option<(GroupId, String)>,
    pub more_groups: i64,
    pub waitlist_places: i64,
    /// `None` when the viewer may not see risk signals.
    pub open_flag: Option<bool>,
    pub coordinator: Option<String>,
    pub joined: DateTime<Utc>,
}

/// A page of the directory, and what the page may offer this viewer.
#[derive(Clone, Debug)]
pub struct Directory {
    pub entries: Paged<DirectoryEntry>,
    /// The viewer may see open risk flags (and filter by them).
    pub sees_flags: bool,
    /// The list is the viewer's own clients only, whatever they ask (therapists).
    pub own_clients_only: bool,
}

/// Whether `role` may read identities, and risk signals, of clients it has no tie to.
fn may_see(role: Role, record: Record) -> bool {
    let ties = Ties { has_coordinator: true, has_therapist: true, ..Ties::default() };
    decide(&Actor { role, ties }, record, Action::Read).allowed()
}

impl App {
    /// Page `page` (from 1) of the clients `search` finds, as `who` may see them. One audit row
    /// per view names every client shown.
    pub async fn client_directory(
        &self,
        who: &Authenticated,
        search: &DirectorySearch,
        page: usize,
        ctx: &AuditContext,
    ) -> AppResult<Directory> {
        let role = who.user.role;
        if role == Role::Client {
            return Err(AppError::Forbidden);
        }
        // A therapist reads the identity of the clients they treat; roles that read every
        // client's identity (coordinators, administrators) search them all.
        let own_clients_only = !may_see(role, Record::Identity);
        let sees_flags = may_see(role, Record::RiskSignal);
        let text = search.text.trim();
        let email = text.contains('@').then(|| Email::parse(text).ok()).flatten();
        let filter = DirectoryFilter {
            name_or_id: (!text.is_empty() && !text.contains('@')).then(|| text.to_owned()),
            email: match (&email, text.contains('@')) {
                (Some(email), _) => Some(email.normalized()),
                // Not an address at all: nothing can match it.
                (None, true) => Some(String::new()),
                (None, false) => None,
            },
            treated_by: (own_clients_only || (search.mine && role == Role::Therapist))
                .then_some(who.user.id),
            coordinated_by: (search.mine && role == Role::Coordinator).then_some(who.user.id),
            group: search.group,
            without_group: search.without_group,
            flagged: search.flagged && sees_flags,
        };
        let count = total(self.db.count_directory(&filter, DIRECTORY_COUNT_CAP + 1).await?);
        let paging = Paging::counted_to(page, count, DIRECTORY_PAGE_SIZE, DIRECTORY_COUNT_CAP);
        let rows = self.db.directory_page(&filter, paging.offset(), paging.size).await?;
        let topics = self.topics().await?;
        let today = self.clock.now().date_naive();
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let age_band = self
                .birth_date(&row.user)?
                .map(|born| if age_on(born, today) >= 18 { "adult" } else { "teen" });
            let group = row.first_group.map(|(id, slug)| {
                let name = topics.iter().find(|t| t.slug == slug).map_or(slug, |t| t.name.clone());
                (id, name)
            });
            items.push(DirectoryEntry {
                id: row.user.id,
                name: row.user.display_name.to_string(),
                region: row.user.region.map(|r| r.to_string()),
                age_band,
                group,
                more_groups: (row.seats - 1).max(0),
                waitlist_places: row.waitlist_places,
                open_flag: sees_flags.then_some(row.open_flag),
                coordinator: row.coordinator,
                joined: row.user.created_at,
            });
        }
        let shown = items.iter().map(|e| e.id.to_string()).collect::<Vec<_>>().join(",");
        self.audit(ctx, "clients.directory.read", "client_directory", format!("clients={shown}"))
            .await?;
        Ok(Directory { entries: Paged { items, paging }, sees_flags, own_clients_only })
    }
}

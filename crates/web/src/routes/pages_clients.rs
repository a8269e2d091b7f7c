//! The client directory for staff (`/clients?q=…`): find a client by name, email or id,
//! narrow the list, and open their summary.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::response::Response;
use axum::routing::get;
use hearth_app::{DirectoryEntry, DirectorySearch};
use hearth_domain::GroupId;
use serde::Deserialize;

use crate::csrf::CsrfToken;
use crate::extract::{ClientMeta, PageUser};
use crate::json::Query;
use crate::pager::{Pager, asked_page};
use crate::templates::{Layout, page};
use crate::when::When;
use crate::{AppState, Result};

pub fn router() -> Router<AppState> {
    Router::new().route("/clients", get(directory))
}

/// The search as the address bar carries it (every field optional; checkboxes send "on").
#[derive(Deserialize, Default)]
struct DirectoryQuery {
    q: Option<String>,
    mine: Option<String>,
    group: Option<String>,
    waiting: Option<String>,
    flagged: Option<String>,
    page: Option<String>,
}

impl DirectoryQuery {
    fn search(&self) -> DirectorySearch {
        let ticked = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        DirectorySearch {
            text: self.q.clone().unwrap_or_default().chars().take(200).collect(),
            mine: ticked(&self.mine),
            group: self.group.as_deref().and_then(|g| g.trim().parse().ok()).map(GroupId::new),
            without_group: ticked(&self.waiting),
            flagged: ticked(&self.flagged),
        }
    }
}

/// The address of page `n` of the same search.
fn address(search: &DirectorySearch, n: usize) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if !search.text.is_empty() {
        query.append_pair("q", &search.text);
    }
    for (name, on) in
        [("mine", search.mine), ("waiting", search.without_group), ("flagged", search.flagged)]
    {
        if on {
            query.append_pair(name, "on");
        }
    }
    if let Some(group) = search.group {
        query.append_pair("group", &group.to_string());
    }
    query.append_pair("page", &n.to_string());
    format!("/clients?{}", query.finish())
}

/// One row: the name links to the summary; the rest tells namesakes apart.
struct Row {
    id: i64,
    name: String,
    /// "#412 · US-IL · adult · joined March 2026".
    who: String,
    care: String,
    group: Option<(i64, String)>,
    flag: bool,
}

fn row(entry: DirectoryEntry) -> Row {
    let mut who = vec![format!("#{}", entry.id)];
    who.extend(entry.region);
    who.extend(entry.age_band.map(str::to_owned));
    who.push(format!("joined {}", When::month(entry.joined.date_naive())));
    let mut care = Vec::new();
    if entry.more_groups > 0 {
        care.push(format!(
            "and {} more group{}",
            entry.more_groups,
            if entry.more_groups == 1 { "" } else { "s" }
        ));
    }
    if entry.group.is_none() {
        care.push("no group yet".to_owned());
    }
    if entry.waitlist_places > 0 {
        care.push(format!(
            "waiting for {} group{}",
            entry.waitlist_places,
            if entry.waitlist_places == 1 { "" } else { "s" }
        ));
    }
    care.push(match entry.coordinator {
        Some(name) => format!("coordinator {name}"),
        None => "no coordinator yet".to_owned(),
    });
    Row {
        id: entry.id.get(),
        name: entry.name,
        who: who.join(" · "),
        care: care.join(" · "),
        group: entry.group.map(|(id, name)| (id.get(), name)),
        flag: entry.open_flag == Some(true),
    }
}

#[derive(Template)]
#[template(path = "clients.html")]
struct DirectoryPage {
    layout: Layout,
    search: DirectorySearch,
    rows: Vec<Row>,
    pager: Pager,
    /// "25 clients", "1 client", "More than 1000 clients".
    found: String,
    sees_flags: bool,
    own_clients_only: bool,
    may_mine: bool,
}

async fn directory(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    meta: ClientMeta,
    PageUser(who): PageUser,
    Query(query): Query<DirectoryQuery>,
) -> Result<Response> {
    let search = query.search();
    let found = state
        .app
        .client_directory(&who, &search, asked_page(query.page.as_deref()), &meta.audit(Some(&who)))
        .await?;
    let paging = found.entries.paging;
    Ok(page(&DirectoryPage {
        layout: Layout::new("Clients", Some(&who), &csrf),
        pager: Pager::new("Pages of clients", paging, ("client", "clients"), |n| {
            address(&search, n)
        }),
        found: match (paging.more, paging.total) {
            (true, n) => format!("More than {n} clients"),
            (false, 1) => "1 client".to_owned(),
            (false, n) => format!("{n} clients"),
        },
        rows: found.entries.items.into_iter().map(row).collect(),
        sees_flags: found.sees_flags,
        own_clients_only: found.own_clients_only,
        may_mine: who.user.role == hearth_domain::Role::Coordinator,
        search,
    }))
}

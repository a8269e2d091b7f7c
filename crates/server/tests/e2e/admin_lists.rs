//! The admin's long lists come a page at a time: therapists 25 a page, staff accounts and
//! open invitations 50 a page, each with links to the pages around it; the forms on those
//! pages keep working from any page.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_app};

/// Therapists "Dr. 00" to "Dr. 29", created out of name order.
async fn thirty_therapists(app: &TestApp, admin: &str) {
    for i in 0..30 {
        let n = (i * 7) % 30;
        let body = json!({
            "email": format!("t{n}@example.org"), "password": PASSWORD,
            "display_name": format!("Dr. {n:02}"), "timezone": "America/Denver",
            "licenses": [{"region": "US-CO", "kind": "LCSW", "number": format!("CO-{n:02}"),
                          "expires_on": "2030-01-31"}],
            "specialties": ["grief-loss"], "years_of_practice": 5, "bio": "Groups.",
        });
        let created = app.post_therapist(admin, &body).await;
        assert_eq!(created.status(), StatusCode::CREATED, "therapist {n}");
    }
}

/// The page at `path`, which must answer 200.
async fn html(app: &TestApp, path: &str) -> String {
    let response = app.get_page(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.expect("html")
}

/// The therapists' names in the order the page shows them.
fn therapist_names(html: &str) -> Vec<String> {
    html.split("<h3 id=\"t")
        .skip(1)
        .map(|card| {
            let start = card.find('>').expect("heading") + 1;
            let end = card.find(", ").expect("name, kind");
            card[start..end].to_owned()
        })
        .collect()
}

fn names(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|n| format!("Dr. {n:02}")).collect()
}

#[tokio::test]
async fn the_admin_walks_thirty_therapists_twenty_five_a_page_by_name() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    thirty_therapists(&app, &admin).await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;

    let first = html(&app, "/admin/therapists").await;
    assert_eq!(therapist_names(&first), names(0..25), "page 1: the first 25 by name");
    assert!(first.contains("Page 1 of 2 (30 therapists)"), "{first}");
    assert!(first.contains("All therapists (30)"));
    assert!(first.contains(r#"<a href="/admin/therapists?page=2#therapists" rel="next">"#));
    assert!(!first.contains("rel=\"prev\""), "no page before the first");
    assert_eq!(first.matches("valid through 2030-01-31").count(), 25, "each one's license");
    assert!(first.contains("CO-24") && !first.contains("CO-25"));

    let second = html(&app, "/admin/therapists?page=2").await;
    assert_eq!(therapist_names(&second), names(25..30), "page 2: the last 5");
    assert!(second.contains("Page 2 of 2 (30 therapists)"));
    assert!(second.contains(r#"<a href="/admin/therapists?page=1#therapists" rel="prev">"#));
    assert!(!second.contains("rel=\"next\""), "no page after the last");
    assert_eq!(second.matches("valid through 2030-01-31").count(), 5, "only their licenses");
    assert!(second.contains("CO-25") && !second.contains("CO-24"));

    // A page that does not exist is the nearest that does; garbage is the first.
    for (asked, shown) in [("0", 0..25), ("3", 25..30), ("99999999999999999999", 0..25)] {
        let page = html(&app, &format!("/admin/therapists?page={asked}")).await;
        assert_eq!(therapist_names(&page), names(shown), "?page={asked}");
    }
    for asked in ["two", "", "-1"] {
        let page = html(&app, &format!("/admin/therapists?page={asked}")).await;
        assert_eq!(therapist_names(&page), names(0..25), "?page={asked}");
    }
}

#[tokio::test]
async fn the_add_a_therapist_and_license_forms_work_from_the_second_page() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    thirty_therapists(&app, &admin).await;
    app.log_in_with_form("admin@example.org", PASSWORD).await;
    let second = html(&app, "/admin/therapists?page=2").await;
    assert!(second.contains(r#"action="/admin/therapists?page=2#new-therapist""#));

    // A mistake: the second page comes back with the list and everything typed.
    let typed = [
        ("email", "zoe@example.org"),
        ("display_name", "Dr. Zoe"),
        ("password", PASSWORD),
        ("timezone", "America/Denver"),
        ("license_kind", "PsyD"),
        ("years_of_practice", "7"),
        ("bio", "Grief groups."),
        ("region", "Colorado"),
        ("number", "CO-99"),
        ("expires_on", "2031-01-31"),
        ("specialties", "trauma-ptsd"),
    ];
    let refused = app.submit_form("/admin/therapists?page=2", "/admin/therapists?page=2", &typed);
    let refused = refused.await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("html");
    assert!(page.contains("use a region code such as US-CA"), "the error on its field");
    assert_eq!(therapist_names(&page), names(25..30), "the second page's list is still there");
    assert!(page.contains("Page 2 of 2 (30 therapists)"));
    for value in ["zoe@example.org", "Dr. Zoe", "Grief groups.", "Colorado", "CO-99", "2031-01-31"]
    {
        assert!(page.contains(&format!("value=\"{value}\"")), "{value} is kept");
    }
    assert!(page.contains("<option selected>PsyD</option>"), "the license kind is kept");
    assert!(page.contains(r#"value="trauma-ptsd" checked"#), "the specialty stays ticked");
    assert!(!page.contains(r#"value="grief-loss" checked"#));
    assert!(!page.contains(PASSWORD), "the password is not sent back");

    // Corrected, it is added; the list now holds 31 and the new one sorts last.
    let mut fixed = typed;
    fixed[7] = ("region", "US-CO");
    let added = app.submit_form("/admin/therapists?page=2", "/admin/therapists?page=2", &fixed);
    let added = added.await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let to = added.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(to, "/admin/therapists?page=1", "the notice rides in a cookie, not the address");
    assert!(html(&app, &to).await.contains("Therapist added"));
    let second = html(&app, "/admin/therapists?page=2").await;
    let mut expected = names(25..30);
    expected.push("Dr. Zoe".to_owned());
    assert_eq!(therapist_names(&second), expected);
    assert!(second.contains("Page 2 of 2 (31 therapists)"));

    // A license added from the second page leads back to it.
    let id = second.split("<h3 id=\"t").nth(1).expect("a card");
    let id = &id[..id.find('"').expect("id")];
    let renewed = app
        .submit_form(
            "/admin/therapists?page=2",
            &format!("/admin/therapists/{id}/licenses?page=2"),
            &[
                ("region", "US-UT"),
                ("kind", "LCSW"),
                ("number", "UT-1"),
                ("expires_on", "2032-02-29"),
            ],
        )
        .await;
    assert_eq!(renewed.status(), StatusCode::SEE_OTHER);
    let to = renewed.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(to, "/admin/therapists?page=2");
    let back = html(&app, &to).await;
    assert!(back.contains("License added") && back.contains("US-UT no. UT-1"), "{back}");
}

/// The rows of the table labelled by `heading`.
fn rows_under(html: &str, heading: &str) -> usize {
    let table = html.split(&format!("aria-labelledby=\"{heading}\"")).nth(1).expect(heading);
    let body = &table[..table.find("</table>").expect("table end")];
    body.matches("<tr><td>").count()
}

#[tokio::test]
async fn staff_and_open_invitations_come_fifty_a_page_and_the_dashboard_counts_staff() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    for i in 0..54 {
        app.create_staff(&format!("coord{i}@example.org"), "coordinator").await;
    }
    for i in 0..52 {
        let invited = app.post_invite(&admin, &format!("new{i}@example.org"), "therapist").await;
        assert_eq!(invited.status(), StatusCode::CREATED);
    }
    app.log_in_with_form("admin@example.org", PASSWORD).await;

    let first = html(&app, "/admin/staff").await;
    assert_eq!(rows_under(&first, "staff-heading"), 50);
    assert_eq!(rows_under(&first, "invites-heading"), 50);
    assert!(first.contains("Staff accounts (55)") && first.contains("Open invitations (52)"));
    assert!(first.contains("Page 1 of 2 (55 accounts)"));
    assert!(first.contains("Page 1 of 2 (52 invitations)"));
    assert!(first.contains(r#"href="/admin/staff?page=2&#38;invites=1#staff-heading" rel="next""#));
    assert!(
        first.contains(r#"href="/admin/staff?page=1&#38;invites=2#invites-heading" rel="next""#)
    );

    // Each list turns its own pages, keeping the other's.
    let both = html(&app, "/admin/staff?page=2&invites=2").await;
    assert_eq!(rows_under(&both, "staff-heading"), 5);
    assert_eq!(rows_under(&both, "invites-heading"), 2, "the two oldest invitations");
    assert!(both.contains("new0@example.org") && both.contains("new1@example.org"));
    assert!(!both.contains("new51@example.org"));
    assert!(both.contains(r#"href="/admin/staff?page=1&#38;invites=2#staff-heading" rel="prev""#));
    let past = html(&app, "/admin/staff?page=9&invites=x").await;
    assert_eq!(rows_under(&past, "staff-heading"), 5, "past the end is the last page");
    assert_eq!(rows_under(&past, "invites-heading"), 50, "garbage is the first page");

    // Revoking from the second page of invitations comes back to it.
    let id = both.split("/admin/invites/").nth(1).expect("a revoke form");
    let id = &id[..id.find('/').expect("id")];
    let revoked = app
        .submit_form(
            "/admin/staff?page=2&invites=2",
            &format!("/admin/invites/{id}/revoke?page=2&invites=2"),
            &[],
        )
        .await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let to = revoked.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(to, "/admin/staff?page=2&invites=2#invites-heading");
    let after = html(&app, &to).await;
    assert_eq!(rows_under(&after, "invites-heading"), 1);
    assert!(after.contains("Open invitations (51)"));

    // A refused invitation keeps the address and the role, and the pages it was sent from.
    let refused = app
        .submit_form(
            "/admin/staff?page=2&invites=2",
            "/admin/invites?page=2&invites=2",
            &[("email", "not an email"), ("role", "coordinator")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("html");
    assert!(page.contains(r#"value="not an email""#));
    assert!(page.contains(r#"<option value="coordinator" selected>"#));
    assert_eq!(rows_under(&page, "staff-heading"), 5, "still the second page of staff");

    let dashboard = html(&app, "/dashboard").await;
    assert!(dashboard.contains("<dt>Staff</dt><dd>55</dd>"), "{dashboard}");
}

//! Every change commits with its audit row, in one transaction: when the row cannot be
//! written the change is not made either, and the request fails. The audit log's head row is
//! taken away to make every append fail (each append locks it first).

use hearth_app::{AuditContext, PlanInput};
use hearth_domain::UserId;
use hearth_store::AuditVerification;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, client_body, csrf_from, spawn_app};

async fn assert_failed(response: Response, what: &str) {
    let status = response.status();
    assert!(
        status.is_server_error(),
        "{what}: {status} {}",
        response.text().await.unwrap_or_default()
    );
}

fn assert_done(response: Response, what: &str) -> Response {
    let status = response.status();
    assert!(status.is_success() || status == StatusCode::SEE_OTHER, "{what}: {status}");
    response
}

async fn user_id(app: &TestApp, token: &str) -> UserId {
    UserId::new(app.get_json(token, "/me").await["id"].as_i64().expect("id"))
}

/// The requests of the test, in order: sign-up, a seat, a PHQ-9 with a risky answer, a care
/// note, a plan signature, an invitation and a topic edit.
struct Requests<'a> {
    app: &'a TestApp,
    admin: &'a str,
    sam: &'a str,
    ana: UserId,
    group: i64,
    csrf: &'a str,
    version: String,
}

impl Requests<'_> {
    async fn sign_up(&self) -> Response {
        self.app.post_clients(&client_body("lee@example.org")).await
    }

    async fn seat(&self) -> Response {
        self.app.post_seat(self.sam, self.group).await
    }

    async fn measure(&self) -> Response {
        self.app.post_measure(self.sam, "phq9", &json!([1, 1, 1, 1, 1, 1, 1, 1, 2])).await
    }

    async fn note(&self) -> Response {
        let action = format!("/clients/{}/notes", self.ana);
        self.app.post_form(&action, self.csrf, &[("body", "Called her back.")]).await
    }

    async fn sign(&self) -> Response {
        let action = format!("/clients/{}/plan/sign", self.ana);
        self.app.post_form(&action, self.csrf, &[("version", &self.version)]).await
    }

    async fn invite(&self) -> Response {
        self.app.post_invite(self.admin, "new.coordinator@example.org", "coordinator").await
    }

    async fn edit_topic(&self) -> Response {
        self.app
            .client
            .patch(self.app.url("/api/v1/topics/grief-loss"))
            .bearer_auth(self.admin)
            .json(&json!({"name": "Grief and loss", "description": "Renamed."}))
            .send()
            .await
            .expect("request")
    }
}

#[tokio::test]
async fn a_change_whose_audit_row_cannot_be_written_is_not_made_and_made_with_it_once_it_can() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let therapist = app
        .therapist(&admin, "rivera@example.org", "America/Chicago", &[("US-IL", "2031-01-01")])
        .await;
    let group = app.group(&admin, therapist, json!({"capacity": 2})).await;
    let sam = app.client_in("sam@example.org", "US-IL", "America/Chicago", "1990-05-01").await;
    let ana = app.client_in("ana@example.org", "US-IL", "America/Chicago", "1990-05-01").await;
    assert_eq!(app.post_seat(&ana, group).await.status(), StatusCode::CREATED);
    let (sam_id, ana_id) = (user_id(&app, &sam).await, user_id(&app, &ana).await);

    // Ana's therapist writes her plan and opens it in the browser, ready to sign it.
    let token = app.token("rivera@example.org", PASSWORD).await;
    let rivera = app.app.authenticate(&token).await.expect("signed in");
    let plan = PlanInput {
        goals: "Sleep through the night.".to_owned(),
        objectives: "A wind-down routine.".to_owned(),
        interventions: "CBT-I in group.".to_owned(),
        target_instrument: Some("phq9".to_owned()),
        target_below: Some(10),
        target_by: Some("2031-01-01".to_owned()),
        review_on: Some("2030-06-01".to_owned()),
    };
    let ctx = AuditContext::by(rivera.user.id, None);
    app.app.write_plan(&rivera, ana_id, &plan, &ctx).await.expect("the plan is written");
    let db = &app.db;
    let version = db.find_plan(ana_id).await.expect("find").expect("plan").updated_at;
    assert_eq!(app.log_in_with_form("rivera@example.org", PASSWORD).await.status(), 303);
    let page = app.get_page(&format!("/clients/{ana_id}/plan")).await;
    let csrf = csrf_from(&page.text().await.expect("html"));
    let requests = Requests {
        app: &app,
        admin: &admin,
        sam: &sam,
        ana: ana_id,
        group,
        csrf: &csrf,
        version: version.to_rfc3339(),
    };
    let users = app.count_users().await;
    let rows = app.audit_log().await.len();

    app.remove_audit_head().await;
    assert_failed(requests.sign_up().await, "sign-up").await;
    assert_failed(requests.seat().await, "seat").await;
    assert_failed(requests.measure().await, "measure").await;
    assert_failed(requests.note().await, "care note").await;
    assert_failed(requests.sign().await, "plan signature").await;
    assert_failed(requests.invite().await, "invitation").await;
    assert_failed(requests.edit_topic().await, "topic").await;

    assert_eq!(app.count_users().await, users, "no account for lee");
    assert!(db.list_client_memberships(sam_id).await.expect("list").is_empty(), "no seat");
    let found = db.find_group(hearth_domain::GroupId::new(group)).await.expect("find");
    assert_eq!(found.expect("group").seats_taken, 1, "the seat is still free");
    assert!(db.list_measures(sam_id, None).await.expect("list").is_empty(), "no measure");
    assert!(db.list_risk_flags(true).await.expect("list").is_empty(), "no risk flag");
    assert!(db.list_care_notes(ana_id).await.expect("list").is_empty(), "no note");
    let plan = db.find_plan(ana_id).await.expect("find").expect("plan");
    assert_eq!(plan.therapist_signed_at, None, "the plan is not signed");
    assert!(db.list_open_invites().await.expect("list").is_empty(), "no invitation");
    let topic = db.find_topic("grief-loss").await.expect("find").expect("topic");
    assert_ne!(topic.name, "Grief and loss", "the topic keeps its name");
    assert_eq!(app.audit_log().await.len(), rows);

    // With the head back, the same requests make their changes, each with its own row.
    app.restore_audit_head().await;
    let lee = assert_done(requests.sign_up().await, "sign-up");
    let lee: Value = lee.json().await.expect("json");
    assert_done(requests.seat().await, "seat");
    let measure = assert_done(requests.measure().await, "measure");
    let measure: Value = measure.json().await.expect("json");
    assert_done(requests.note().await, "care note");
    assert_done(requests.sign().await, "plan signature");
    let invite = assert_done(requests.invite().await, "invitation");
    let invite: Value = invite.json().await.expect("json");
    assert_done(requests.edit_topic().await, "topic");

    let membership = db.list_client_memberships(sam_id).await.expect("list")[0].id;
    let flag = db.list_risk_flags(true).await.expect("list")[0].id;
    let note = db.list_care_notes(ana_id).await.expect("list")[0].id;
    let (measure, invite) = (&measure["id"], &invite["id"]);
    let log = app.audit_log().await;
    let mut made = log[..log.len() - rows].to_vec();
    made.reverse();
    let expected = [
        ("account.created", "role=client".to_owned()),
        ("group.seat.taken", format!("membership={membership}")),
        ("measure.submitted", format!("measure={measure} instrument=phq9")),
        ("risk.flag.raised", format!("flag={flag} measure={measure}")),
        ("care.note.written", format!("note={note}")),
        ("plan.signed", "by=therapist".to_owned()),
        ("staff.invited", "role=coordinator".to_owned()),
        ("catalog.topic.edited", String::new()),
    ];
    let expected: Vec<(String, String)> =
        expected.into_iter().map(|(action, detail)| (action.to_owned(), detail)).collect();
    assert_eq!(made, expected, "lee is {lee}, the invitation {invite}");
    assert!(matches!(
        app.app.verify_audit_log().await.expect("verify"),
        AuditVerification::Intact { .. }
    ));
}

//! One story of what the store must do, told on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` names a server.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use hearth_domain::{BirthDate, DisplayName, Email, LoginThrottle, Region, Role, TimeZone, UserId};
use hearth_store::{
    AuditVerification, Db, NewAuditEntry, NewInvite, NewSession, NewUser, SessionKind, StoreError,
};
use hearth_testkit::TestDatabase;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("valid instant")
}

fn new_user(email: &str, role: Role) -> NewUser {
    NewUser {
        email: Email::parse(email).expect("valid email"),
        password_hash: "$argon2id$stub-for-store-tests".to_owned(),
        role,
        display_name: DisplayName::parse("Sam").expect("valid name"),
        timezone: TimeZone::parse("America/Chicago").expect("valid zone"),
        region: Some(Region::parse("US-IL").expect("valid region")),
        birth_date: Some(BirthDate::parse("1990-05-01", t0().date_naive()).expect("valid date")),
        created_at: t0(),
    }
}

async fn story(db: Db) {
    db.migrate().await.expect("migrations apply");
    db.migrate().await.expect("migrations are idempotent");
    let id = accounts(&db).await;
    sessions(&db, id).await;
    login_strikes(&db).await;
    sign_ups_draw_ids_whether_or_not_the_email_is_taken(&db).await;
    invitations(&db).await;
    audit_log(&db, id).await;
}

async fn accounts(db: &Db) -> UserId {
    // Accounts: one email in any case is one account.
    let id = db.insert_user(&new_user("Sam@Example.org", Role::Client)).await.expect("insert");
    let err =
        db.insert_user(&new_user("sam@example.ORG", Role::Client)).await.expect_err("duplicate");
    assert!(err.is_conflict_on("users_email_normalized_key"), "got {err:?}");
    let found = db
        .find_user_by_email(&Email::parse("SAM@example.org").expect("valid"))
        .await
        .expect("query")
        .expect("found");
    assert_eq!(found.id, id);
    assert_eq!(found.email.as_str(), "Sam@Example.org");
    assert_eq!(found.birth_date.map(|d| d.to_string()).as_deref(), Some("1990-05-01"));
    assert_eq!(found.created_at, t0());
    id
}

async fn sessions(db: &Db, id: UserId) {
    // Sessions: stored by token hash, touched, revoked once.
    let session = db
        .insert_session(&NewSession {
            user_id: id,
            token_hash: "hash-1",
            kind: SessionKind::Browser,
            created_at: t0(),
            absolute_expires_at: t0() + Duration::hours(12),
            user_agent: "test",
            ip: "127.0.0.1",
        })
        .await
        .expect("session");
    let later = t0() + Duration::minutes(5);
    db.touch_session(session, later).await.expect("touch");
    let (stored, user) =
        db.find_session_by_token_hash("hash-1").await.expect("query").expect("found");
    assert_eq!((stored.id, stored.last_seen_at, user.id), (session, later, id));
    assert_eq!(db.list_live_sessions(id, later).await.expect("list").len(), 1);
    db.revoke_session(id, session, later).await.expect("revoke");
    assert!(matches!(db.revoke_session(id, session, later).await, Err(StoreError::NotFound)));
    assert!(db.list_live_sessions(id, later).await.expect("list").is_empty());
}

async fn sign_ups_draw_ids_whether_or_not_the_email_is_taken(db: &Db) {
    let (first, created) = db
        .insert_user_unless_taken(&new_user("drawn@example.org", Role::Client))
        .await
        .expect("new");
    assert!(created);
    let (taken, created) = db
        .insert_user_unless_taken(&new_user("DRAWN@example.org", Role::Client))
        .await
        .expect("taken");
    assert!(!created);
    assert!(taken.get() > first.get(), "a fresh id is drawn for a taken email");
    assert!(db.find_user(taken).await.expect("find").is_none(), "and no account is made");
    let (next, created) = db
        .insert_user_unless_taken(&new_user("next@example.org", Role::Client))
        .await
        .expect("next");
    assert!(created);
    assert_eq!(next.get(), taken.get() + 1, "ids run on from the drawn one");
}

async fn login_strikes(db: &Db) {
    // An attempt is counted on every key or on none; the longest wait wins.
    let rules = LoginThrottle::default();
    let keys = [
        ("account:sam|ip:1.2.3.4".to_owned(), rules.account_from_address),
        ("account:sam".to_owned(), rules.account),
        ("ip:1.2.3.4".to_owned(), rules.address),
    ];
    for _ in 0..5 {
        assert_eq!(db.admit_login_attempt(&keys, t0()).await.expect("admit"), Ok(()));
    }
    let refused = db.admit_login_attempt(&keys, t0()).await.expect("admit");
    assert_eq!(refused, Err(Duration::seconds(30)));
    let pair = db.find_login_strikes("account:sam|ip:1.2.3.4").await.expect("find").expect("row");
    assert_eq!((pair.count, pair.blocked_until), (5, Some(t0() + Duration::seconds(30))));
    assert_eq!(db.find_login_strikes("ip:1.2.3.4").await.expect("find").expect("row").count, 5);

    db.settle_login_success(&["account:sam|ip:1.2.3.4", "account:sam"], &["ip:1.2.3.4"])
        .await
        .expect("settle");
    let pair = db.find_login_strikes("account:sam|ip:1.2.3.4").await.expect("find").expect("row");
    assert_eq!(pair, hearth_domain::Strikes::default());
    assert_eq!(db.find_login_strikes("ip:1.2.3.4").await.expect("find").expect("row").count, 4);

    // Old, unblocked keys are forgotten.
    let gone = db.delete_stale_login_strikes(t0() + Duration::days(2)).await.expect("forget");
    assert_eq!(gone, 3);
    assert_eq!(db.find_login_strikes("account:sam").await.expect("find"), None);
}

async fn invitations(db: &Db) {
    // Invitations are redeemed once, atomically with the account.
    let admin = db.insert_user(&new_user("admin@example.org", Role::Admin)).await.expect("admin");
    let invited = Email::parse("new.therapist@example.org").expect("valid");
    let invite = db
        .insert_invite(&NewInvite {
            email: &invited,
            role: Role::Therapist,
            token_hash: "invite-hash",
            invited_by: admin,
            created_at: t0(),
            expires_at: t0() + Duration::days(7),
        })
        .await
        .expect("invite");
    let mut therapist = new_user("new.therapist@example.org", Role::Therapist);
    therapist.created_at = t0() + Duration::hours(1);
    db.accept_invite(invite, &therapist).await.expect("accepted");
    assert!(matches!(db.accept_invite(invite, &therapist).await, Err(StoreError::NotFound)));
    assert_eq!(db.count_users_by_role(Role::Therapist).await.expect("count"), 1);
}

async fn audit_log(db: &Db, id: UserId) {
    // The audit log chains, refuses edits, and detects tampering.
    for (i, action) in ["auth.login.succeeded", "record.read", "auth.logout"].iter().enumerate() {
        db.append_audit(&NewAuditEntry {
            at: t0() + Duration::nanoseconds(i64::try_from(i).expect("small") * 1_234_567),
            actor: Some(id),
            action: (*action).to_owned(),
            subject: format!("user:{id}"),
            source_ip: Some("127.0.0.1".to_owned()),
            detail: String::new(),
        })
        .await
        .expect("append");
    }
    assert_eq!(
        db.verify_audit_chain().await.expect("verify"),
        AuditVerification::Intact { rows: 3 }
    );
    let rows = db.list_audit(None, 10).await.expect("list");
    let second = rows[1].id;
    assert!(tamper(db, second, false).await.is_err(), "the append-only trigger refuses edits");
    tamper(db, second, true).await.expect("tampering with the trigger dropped");
    match db.verify_audit_chain().await.expect("verify") {
        AuditVerification::Broken { row_id, .. } => assert_eq!(row_id, second),
        intact @ AuditVerification::Intact { .. } => panic!("tampering went unnoticed: {intact:?}"),
    }
}

/// Edits one audit row as an attacker with database access would (dropping the guard first).
async fn tamper(db: &Db, row: i64, drop_guard: bool) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(pool) => {
            if drop_guard {
                sqlx::query("DROP TRIGGER audit_log_no_update").execute(pool).await?;
            }
            sqlx::query("UPDATE audit_log SET action = 'nothing.happened' WHERE id = $1")
                .bind(row)
                .execute(pool)
                .await?;
        }
        Db::Postgres(pool) => {
            if drop_guard {
                sqlx::query("DROP TRIGGER audit_log_no_change ON audit_log").execute(pool).await?;
            }
            sqlx::query("UPDATE audit_log SET action = 'nothing.happened' WHERE id = $1")
                .bind(row)
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_store_story_holds_on_sqlite() {
    let database = TestDatabase::sqlite().expect("temp database");
    story(Db::connect(&database.url).await.expect("connect")).await;
}

#[tokio::test]
async fn the_store_story_holds_on_postgres() {
    let Some(url) = TestDatabase::postgres_url() else {
        hearth_testkit::skip("the_store_story_holds_on_postgres", "TEST_DATABASE_URL is not set");
        return;
    };
    let database = TestDatabase::postgres(&url).await.expect("fresh database");
    let db = Db::connect(&database.url).await.expect("connect");
    story(db.clone()).await;
    db.close().await;
}

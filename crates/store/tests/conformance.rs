//! One story of what the store must do, told on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` names a server.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use hearth_domain::{
    AgeBand, DisplayName, Email, GroupId, LoginThrottle, Region, Role, SessionKind, TimeZone,
    UserId, WeeklySlot,
};
use hearth_store::{
    AuditKey, AuditKeyring, AuditRecord, AuditVerification, Db, NewAuditEntry, NewGroup, NewInvite,
    NewMeasure, NewSession, NewUser, SealForRow, SealedMeasure, SeatOutcome, StoreError,
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
        // The app's vault stands behind this; the store must hand it the new account's id.
        birth_date: Some(SealForRow::new(|id| Ok(format!("sealed 1990-05-01 for {id}")))),
        created_at: t0(),
    }
}

async fn story(db: Db) {
    db.migrate().await.expect("migrations apply");
    db.migrate().await.expect("migrations are idempotent");
    let id = accounts(&db).await;
    sessions(&db, id).await;
    second_factors(&db, id).await;
    login_strikes(&db).await;
    sign_ups_draw_ids_whether_or_not_the_email_is_taken(&db).await;
    invitations(&db).await;
    audit_log(&db, id).await;
    measures(&db, id).await;
    directory_counts(&db).await;
}

async fn directory_counts(db: &Db) {
    let everyone = hearth_store::DirectoryFilter::default();
    let all = db.count_directory(&everyone, 10_000).await.expect("count");
    assert!(all >= 2, "the story made clients: {all}");
    assert_eq!(db.count_directory(&everyone, 1).await.expect("count"), 1, "counting stops there");
    let page = db.directory_page(&everyone, 0, 100).await.expect("page");
    assert_eq!(i64::try_from(page.len()).expect("small"), all);
    let ids: Vec<UserId> = page.iter().map(|row| row.user.id).collect();
    let names = db.find_display_names(&ids).await.expect("names");
    assert_eq!(names.len(), ids.len(), "one name for each account");
}

async fn accounts(db: &Db) -> UserId {
    // Accounts: one email in any case is one account.
    let id = db
        .insert_user(&new_user("Sam@Example.org", Role::Client), AuditRecord::none())
        .await
        .expect("insert");
    let err = db
        .insert_user(&new_user("sam@example.ORG", Role::Client), AuditRecord::none())
        .await
        .expect_err("duplicate");
    assert!(err.is_conflict_on("users_email_normalized_key"), "got {err:?}");
    let found = db
        .find_user_by_email(&Email::parse("SAM@example.org").expect("valid"))
        .await
        .expect("query")
        .expect("found");
    assert_eq!(found.id, id);
    assert_eq!(found.email.as_str(), "Sam@Example.org");
    assert_eq!(
        found.birth_date_sealed,
        Some(format!("sealed 1990-05-01 for {id}")),
        "sealed for the account's own id, in the inserting transaction"
    );
    assert_eq!(found.created_at, t0());
    id
}

async fn sessions(db: &Db, id: UserId) {
    // Sessions: stored by token hash, touched, revoked once.
    let session = db
        .insert_session(
            &NewSession {
                user_id: id,
                token_hash: "hash-1",
                kind: SessionKind::Browser,
                created_at: t0(),
                absolute_expires_at: t0() + Duration::hours(12),
                user_agent: "test",
                ip: "127.0.0.1",
                enrol_only: true,
            },
            AuditRecord::none(),
        )
        .await
        .expect("session");
    let later = t0() + Duration::minutes(5);
    db.touch_session(session, later).await.expect("touch");
    let (stored, user) =
        db.find_session_by_token_hash("hash-1").await.expect("query").expect("found");
    assert_eq!((stored.id, stored.last_seen_at, user.id), (session, later, id));
    assert!(stored.enrol_only);
    db.end_enrol_only(session).await.expect("lift");
    let (stored, _) = db.find_session_by_token_hash("hash-1").await.expect("query").expect("found");
    assert!(!stored.enrol_only);
    assert_eq!(db.list_live_sessions(id, later).await.expect("list").len(), 1);
    db.revoke_session(id, session, later, AuditRecord::none()).await.expect("revoke");
    let again = db.revoke_session(id, session, later, AuditRecord::none()).await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    assert!(db.list_live_sessions(id, later).await.expect("list").is_empty());
}

async fn second_factors(db: &Db, id: UserId) {
    // A factor is pending until confirmed; a pending one may be replaced, a confirmed one not.
    assert!(db.find_second_factor(id).await.expect("query").is_none());
    let start = |sealed| db.upsert_pending_second_factor(id, sealed, t0(), AuditRecord::none());
    assert!(start("sealed-1").await.expect("pending"));
    assert!(start("sealed-2").await.expect("replaced"));
    let pending = db.find_second_factor(id).await.expect("query").expect("found");
    assert_eq!((pending.secret_sealed.as_str(), pending.confirmed_at), ("sealed-2", None));
    // Steps can only be claimed on a confirmed factor.
    assert!(!db.claim_second_factor_step(id, 10).await.expect("claim"));
    let hashes = vec!["code-a".to_owned(), "code-b".to_owned()];
    let confirm =
        |step| db.confirm_second_factor(id, Some(step), t0(), &hashes, AuditRecord::none());
    assert!(confirm(10).await.expect("confirm"));
    assert!(!confirm(11).await.expect("twice"));
    assert!(!start("sealed-3").await.expect("kept"));
    let confirmed = db.find_second_factor(id).await.expect("query").expect("found");
    assert_eq!((confirmed.confirmed_at, confirmed.last_used_step), (Some(t0()), Some(10)));
    // A step is used once, and never an earlier one after a later.
    assert!(!db.claim_second_factor_step(id, 10).await.expect("replay"));
    assert!(db.claim_second_factor_step(id, 12).await.expect("later"));
    assert!(!db.claim_second_factor_step(id, 11).await.expect("earlier"));
    // Recovery codes work once each, for their owner only.
    assert_eq!(db.count_unused_recovery_codes(id).await.expect("count"), 2);
    assert!(db.use_recovery_code(id, "code-a", t0()).await.expect("use"));
    assert!(!db.use_recovery_code(id, "code-a", t0()).await.expect("reuse"));
    assert!(!db.use_recovery_code(id, "code-nope", t0()).await.expect("unknown"));
    assert_eq!(db.count_unused_recovery_codes(id).await.expect("count"), 1);
    // Login challenges: found while fresh and unused, consumed once.
    let challenge = hearth_store::LoginChallenge {
        user_id: id,
        expires_at: t0() + Duration::minutes(5),
        settle_clear: vec!["account:a".to_owned(), "account:a|ip:1".to_owned()],
        settle_forgive: vec!["ip:1".to_owned()],
        device_known: false,
    };
    db.insert_login_challenge("challenge-1", &challenge, t0()).await.expect("challenge");
    let found = db.find_login_challenge("challenge-1", t0()).await.expect("q").expect("found");
    assert_eq!(
        (found.user_id, found.settle_clear, found.settle_forgive, found.device_known),
        (id, challenge.settle_clear.clone(), challenge.settle_forgive.clone(), false)
    );
    let late = t0() + Duration::minutes(6);
    assert!(db.find_login_challenge("challenge-1", late).await.expect("q").is_none());
    assert!(!db.consume_login_challenge("challenge-1", late).await.expect("expired"));
    assert!(db.consume_login_challenge("challenge-1", t0()).await.expect("consume"));
    assert!(!db.consume_login_challenge("challenge-1", t0()).await.expect("once"));
    assert!(db.find_login_challenge("challenge-1", t0()).await.expect("q").is_none());
    assert_eq!(db.delete_stale_login_challenges(late).await.expect("stale"), 1);
}

async fn sign_ups_draw_ids_whether_or_not_the_email_is_taken(db: &Db) {
    let sign_up = async |email| {
        db.insert_user_unless_taken(&new_user(email, Role::Client), AuditRecord::none()).await
    };
    let (first, created) = sign_up("drawn@example.org").await.expect("new");
    assert!(created);
    let (taken, created) = sign_up("DRAWN@example.org").await.expect("taken");
    assert!(!created);
    assert!(taken.get() > first.get(), "a fresh id is drawn for a taken email");
    assert!(db.find_user(taken).await.expect("find").is_none(), "and no account is made");
    let (next, created) = sign_up("next@example.org").await.expect("next");
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
    let admin = db
        .insert_user(&new_user("admin@example.org", Role::Admin), AuditRecord::none())
        .await
        .expect("admin");
    let invited = Email::parse("new.therapist@example.org").expect("valid");
    let invite = db
        .insert_invite(
            &NewInvite {
                email: &invited,
                role: Role::Therapist,
                token_hash: "invite-hash",
                invited_by: admin,
                created_at: t0(),
                expires_at: t0() + Duration::days(7),
            },
            AuditRecord::none(),
        )
        .await
        .expect("invite");
    assert_eq!(db.count_open_invites().await.expect("count"), 1);
    let open = db.list_open_invites_page(0, 50).await.expect("a page");
    assert_eq!(open.iter().map(|i| i.id).collect::<Vec<_>>(), [invite]);
    assert!(db.list_open_invites_page(1, 50).await.expect("past the end").is_empty());
    let staff_before = db.count_staff().await.expect("count");
    let mut therapist = new_user("new.therapist@example.org", Role::Therapist);
    therapist.created_at = t0() + Duration::hours(1);
    db.accept_invite(invite, &therapist, AuditRecord::none()).await.expect("accepted");
    let again = db.accept_invite(invite, &therapist, AuditRecord::none()).await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    assert_eq!(db.count_users_by_role(Role::Therapist).await.expect("count"), 1);
    assert_eq!(db.count_open_invites().await.expect("count"), 0, "accepted is not open");
    // The staff count and pages agree with the whole list, which holds no client.
    let staff = db.count_staff().await.expect("count");
    assert_eq!(staff, staff_before + 1);
    let all = db.list_staff().await.expect("every staff account");
    assert_eq!(i64::try_from(all.len()).expect("small"), staff);
    let (first, rest) = (db.list_staff_page(0, 1).await, db.list_staff_page(1, 50).await);
    let paged: Vec<_> = first.expect("page 1").into_iter().chain(rest.expect("page 2")).collect();
    assert_eq!(
        paged.iter().map(|u| u.id).collect::<Vec<_>>(),
        all.iter().map(|u| u.id).collect::<Vec<_>>()
    );
    assert!(all.iter().all(|u| u.role != Role::Client));
}

fn audit_keys(ids: &[&str], current: &str) -> AuditKeyring {
    let keys = ids.iter().map(|id| AuditKey::new(*id, &[id.len().to_le_bytes()[0]; 32]));
    AuditKeyring::new(keys, current).expect("the current key is among them")
}

fn audit_entry(id: Option<UserId>, action: &str, i: usize) -> NewAuditEntry {
    NewAuditEntry {
        at: t0() + Duration::nanoseconds(i64::try_from(i).expect("small") * 1_234_567),
        actor: id,
        action: action.to_owned(),
        subject: id.map(|id| format!("user:{id}")).unwrap_or_default(),
        source_ip: Some("127.0.0.1".to_owned()),
        detail: String::new(),
    }
}

async fn audit_log(db: &Db, id: UserId) {
    // The audit log chains under the audit key, refuses edits, and detects tampering.
    let keys = audit_keys(&["k1"], "k1");
    for (i, action) in ["auth.login.succeeded", "record.read", "auth.logout"].iter().enumerate() {
        db.append_audit(&audit_entry(Some(id), action, i), keys.current()).await.expect("append");
    }
    assert_eq!(
        db.verify_audit_chain(&keys, None).await.expect("verify"),
        AuditVerification::Intact { rows: 3 }
    );
    let rows = db.list_audit(None, 10).await.expect("list");
    assert!(rows.iter().all(|r| r.key_id.as_deref() == Some("k1")), "every new row is keyed");
    let head = db.audit_head().await.expect("head").expect("a non-empty log has a head");
    assert_eq!((head.rows, head.last_id, &head.last_hash), (3, rows[0].id, &rows[0].hash));
    assert_eq!(
        db.verify_audit_chain(&keys, Some(&head)).await.expect("verify"),
        AuditVerification::Intact { rows: 3 },
        "the log reaches its own head"
    );
    let second = rows[1].id;
    assert!(tamper(db, second, false).await.is_err(), "the append-only trigger refuses edits");
    tamper(db, second, true).await.expect("tampering with the trigger dropped");
    match db.verify_audit_chain(&keys, None).await.expect("verify") {
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

/// Runs one statement on either engine; `Ok(rows affected)`.
async fn execute(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|d| d.rows_affected()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|d| d.rows_affected()),
    }
}

/// An open adult group of `capacity` seats led by `therapist`.
async fn group(db: &Db, therapist: UserId, capacity: i32) -> GroupId {
    let time = chrono::NaiveTime::from_hms_opt(18, 0, 0).expect("time");
    let zone = TimeZone::parse("America/Chicago").expect("zone");
    let group = NewGroup {
        topic: hearth_domain::TOPICS[0].slug.to_owned(),
        therapist_id: therapist,
        slot: WeeklySlot::new(chrono::Weekday::Tue, time, zone, 60).expect("slot"),
        capacity,
        age_band: AgeBand::Adult,
        starts_on: t0().date_naive(),
        ends_on: None,
        created_at: t0(),
    };
    db.insert_group(&group, AuditRecord::none()).await.expect("group")
}

/// The audit rows, oldest first, as (action, detail).
async fn audit_rows(db: &Db) -> Vec<(String, String)> {
    let mut rows = db.list_audit(None, 100).await.expect("list");
    rows.reverse();
    rows.into_iter().map(|r| (r.action, r.detail)).collect()
}

/// A store write commits the audit rows the app gave it in its own transaction: with the
/// change, made from what the write did, or not at all.
async fn writes_commit_with_their_audit_rows(db: Db) {
    db.migrate().await.expect("migrations apply");
    db.seed_catalog().await.expect("catalog");
    let keys = audit_keys(&["k1"], "k1");
    let key = keys.current();
    let row =
        |action: &str, detail: String| NewAuditEntry { detail, ..audit_entry(None, action, 0) };
    let seat_row = |outcome: &SeatOutcome| match outcome {
        SeatOutcome::Seated { membership } => vec![row("seat.taken", format!("m={membership}"))],
        SeatOutcome::Waitlisted { entry, .. } => vec![row("waitlist.joined", format!("e={entry}"))],
        _ => Vec::new(),
    };

    // The rows are made from the write's result and commit with it.
    let sign_up = async |email: &str| {
        let record =
            AuditRecord::new(key, |id: &UserId| vec![row("account.created", format!("id={id}"))]);
        db.insert_user(&new_user(email, Role::Client), record).await
    };
    let sam = sign_up("sam@example.org").await.expect("sam");
    let ana = sign_up("ana@example.org").await.expect("ana");
    // A write that fails or changes nothing appends nothing.
    let taken = sign_up("SAM@example.org").await.expect_err("taken");
    assert!(taken.is_conflict_on("users_email_normalized_key"));
    let therapist = db
        .insert_user(&new_user("t@example.org", Role::Therapist), AuditRecord::none())
        .await
        .expect("therapist");
    let g = group(&db, therapist, 2).await;
    let hold = Duration::hours(48);
    let seated = db
        .reserve_seat(g, sam, t0(), None, hold, AuditRecord::new(key, seat_row))
        .await
        .expect("seat");
    let SeatOutcome::Seated { membership } = seated else { panic!("seated: {seated:?}") };
    let again = db.reserve_seat(g, sam, t0(), None, hold, AuditRecord::new(key, seat_row));
    assert_eq!(again.await.expect("again"), SeatOutcome::AlreadySeated);
    let left =
        db.leave_group(g, ana, t0(), hold, AuditRecord::row(key, row("seat.left", String::new())));
    assert!(matches!(left.await, Err(StoreError::NotFound)), "ana holds no seat");
    assert_eq!(
        audit_rows(&db).await,
        [
            ("account.created".to_owned(), format!("id={sam}")),
            ("account.created".to_owned(), format!("id={ana}")),
            ("seat.taken".to_owned(), format!("m={membership}")),
        ]
    );

    // Without the audit log's head row no row can be appended, and the change goes with it.
    assert_eq!(execute(&db, "DELETE FROM audit_head").await.expect("delete the head"), 1);
    let refused = db.reserve_seat(g, ana, t0(), None, hold, AuditRecord::new(key, seat_row));
    refused.await.expect_err("the audit row cannot be appended");
    assert!(db.list_client_memberships(ana).await.expect("list").is_empty(), "ana has no seat");
    let found = db.find_group(g).await.expect("find").expect("group");
    assert_eq!(found.seats_taken, 1, "the seat is still free");
    sign_up("lee@example.org").await.expect_err("the audit row cannot be appended");
    let lee = Email::parse("lee@example.org").expect("valid");
    assert!(db.find_user_by_email(&lee).await.expect("find").is_none(), "no account for lee");
    // A write that records nothing takes no audit lock.
    let quiet = new_user("quiet@example.org", Role::Client);
    db.insert_user(&quiet, AuditRecord::none()).await.expect("no row, no head needed");

    // With the head back, the same requests go through and the chain holds.
    let restore = "INSERT INTO audit_head (id, count, last_hash) \
                   SELECT 1, COUNT(*), (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) \
                   FROM audit_log";
    execute(&db, restore).await.expect("restore");
    let seated = db.reserve_seat(g, ana, t0(), None, hold, AuditRecord::new(key, seat_row));
    let SeatOutcome::Seated { membership } = seated.await.expect("seated") else {
        panic!("ana takes the free seat")
    };
    let lee = sign_up("lee@example.org").await.expect("lee");
    let rows = audit_rows(&db).await;
    assert_eq!(
        rows[3..],
        [
            ("seat.taken".to_owned(), format!("m={membership}")),
            ("account.created".to_owned(), format!("id={lee}")),
        ]
    );

    // Appenders racing each other still make one chain: each reads the hash it chains from in
    // the statement that waits for the head.
    let mut racing = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (db, keys) = (db.clone(), keys.clone());
        racing.spawn(async move {
            db.append_audit(&audit_entry(None, "race", i), keys.current()).await
        });
    }
    while let Some(done) = racing.join_next().await {
        done.expect("joined").expect("appended");
    }
    let head = db.audit_head().await.expect("head").expect("head");
    assert_eq!(head.rows, 45);
    assert_eq!(
        db.verify_audit_chain(&keys, Some(&head)).await.expect("verify"),
        AuditVerification::Intact { rows: 45 }
    );
}

#[tokio::test]
async fn writes_commit_with_their_audit_rows_on_sqlite() {
    let database = TestDatabase::sqlite().expect("temp database");
    writes_commit_with_their_audit_rows(Db::connect(&database.url).await.expect("connect")).await;
}

#[tokio::test]
async fn writes_commit_with_their_audit_rows_on_postgres() {
    let Some(url) = TestDatabase::postgres_url() else {
        hearth_testkit::skip(
            "writes_commit_with_their_audit_rows_on_postgres",
            "TEST_DATABASE_URL is not set",
        );
        return;
    };
    let database = TestDatabase::postgres(&url).await.expect("fresh database");
    let db = Db::connect(&database.url).await.expect("connect");
    writes_commit_with_their_audit_rows(db.clone()).await;
    db.close().await;
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

/// The unkeyed SHA-256 that rows got before migration 0015, as that code computed it.
fn pre_0015_hash(prev: &str, at: DateTime<Utc>, actor: Option<i64>, action: &str) -> String {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let at = at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let actor = actor.map(|a| a.to_string()).unwrap_or_default();
    for field in [prev, &at, &actor, action, "audit:legacy", "-", "old"] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The same body on either engine's pool.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// A database with the schema before migration 0015 and three rows written as that code did,
/// then migrated to the keyed chain.
async fn log_from_before_the_keyed_chain(db: &Db) -> Vec<i64> {
    let engine = match db {
        Db::Sqlite(_) => "sqlite",
        Db::Postgres(_) => "postgres",
    };
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine);
    let old = tempfile::tempdir().expect("dir");
    for file in std::fs::read_dir(&source).expect("migrations") {
        let path = file.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().to_string();
        if name.as_str() < "0015" {
            std::fs::copy(&path, old.path().join(&name)).expect("copy");
        }
    }
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.expect("old migrations");
    on_pool!(db, |pool| migrator.run(pool).await).expect("the schema before 0015");
    let mut prev = "0".repeat(64);
    let mut ids = Vec::new();
    for i in 0..3_i64 {
        let at = t0() + Duration::minutes(i);
        let action = format!("legacy.{i}");
        let hash = pre_0015_hash(&prev, at, Some(i), &action);
        let id: i64 = on_pool!(db, |pool| {
            sqlx::query_scalar(
            "INSERT INTO audit_log (at, actor_id, action, subject, source_ip, detail, prev_hash, \
             hash) VALUES ($1, $2, $3, 'audit:legacy', NULL, 'old', $4, $5) RETURNING id"
        )
        .bind(at)
        .bind(i)
        .bind(&action)
        .bind(&prev)
        .bind(&hash)
        .fetch_one(pool)
        .await
        })
        .expect("a row as written before 0015");
        on_pool!(db, |pool| sqlx::query("UPDATE audit_head SET count = count + 1")
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .expect("count");
        ids.push(id);
        prev = hash;
    }
    db.migrate().await.expect("migration 0015 applies over the old rows");
    ids
}

async fn rows_made_before_the_keyed_chain_still_verify(db: Db) {
    let legacy = log_from_before_the_keyed_chain(&db).await;
    let k1 = audit_keys(&["k1"], "k1");
    for i in 3..5 {
        db.append_audit(&audit_entry(None, "after.migration", i), k1.current())
            .await
            .expect("append");
    }
    assert_eq!(
        db.verify_audit_chain(&k1, None).await.expect("verify"),
        AuditVerification::Intact { rows: 5 }
    );
    let head = db.audit_head().await.expect("head").expect("head");
    assert_eq!(head.rows, 5, "the migration keeps the row count exact");

    // The key rotates: new rows use the new one, older rows verify with theirs while it is kept.
    let rotated = audit_keys(&["k1", "k22"], "k22");
    db.append_audit(&audit_entry(None, "after.rotation", 5), rotated.current())
        .await
        .expect("append");
    assert_eq!(
        db.verify_audit_chain(&rotated, None).await.expect("verify"),
        AuditVerification::Intact { rows: 6 }
    );
    let first_keyed = db.list_audit(None, 10).await.expect("list")[2].id;
    match db.verify_audit_chain(&audit_keys(&["k22"], "k22"), None).await.expect("verify") {
        AuditVerification::Broken { row_id, reason } => {
            assert_eq!(row_id, first_keyed);
            assert!(reason.contains("\"k1\""), "{reason}");
        }
        intact @ AuditVerification::Intact { .. } => {
            panic!("a missing key went unnoticed: {intact:?}")
        }
    }

    // Rewriting an old row and recomputing the old rows after it breaks the first keyed row,
    // whose HMAC covers the old chain's last hash.
    on_pool!(&db, |pool| {
        let drop = match db.engine() {
            hearth_store::Engine::Sqlite => "DROP TRIGGER audit_log_no_update",
            hearth_store::Engine::Postgres => "DROP TRIGGER audit_log_no_change ON audit_log",
        };
        sqlx::query(drop).execute(pool).await.expect("drop the guard");
        let mut prev = "0".repeat(64);
        for (i, id) in (0..).zip(&legacy) {
            let action = if i == 1 { "nothing.happened".to_owned() } else { format!("legacy.{i}") };
            let hash = pre_0015_hash(&prev, t0() + Duration::minutes(i), Some(i), &action);
            sqlx::query(
                "UPDATE audit_log SET action = $1, prev_hash = $2, hash = $3 WHERE id = $4",
            )
            .bind(&action)
            .bind(&prev)
            .bind(&hash)
            .bind(id)
            .execute(pool)
            .await
            .expect("rewrite");
            prev = hash;
        }
    });
    match db.verify_audit_chain(&rotated, None).await.expect("verify") {
        AuditVerification::Broken { row_id, .. } => assert_eq!(row_id, first_keyed),
        intact @ AuditVerification::Intact { .. } => panic!("a rewrite went unnoticed: {intact:?}"),
    }
}

#[tokio::test]
async fn rows_made_before_the_keyed_chain_still_verify_on_sqlite() {
    let database = TestDatabase::sqlite().expect("temp database");
    rows_made_before_the_keyed_chain_still_verify(
        Db::connect(&database.url).await.expect("connect"),
    )
    .await;
}

#[tokio::test]
async fn rows_made_before_the_keyed_chain_still_verify_on_postgres() {
    let Some(url) = TestDatabase::postgres_url() else {
        hearth_testkit::skip(
            "rows_made_before_the_keyed_chain_still_verify_on_postgres",
            "TEST_DATABASE_URL is not set",
        );
        return;
    };
    let database = TestDatabase::postgres(&url).await.expect("fresh database");
    let db = Db::connect(&database.url).await.expect("connect");
    rows_made_before_the_keyed_chain_still_verify(db.clone()).await;
    db.close().await;
}

/// A measure to store for `client` at `minutes` after t0.
fn new_measure(client: UserId, minutes: i64, raises_flag: bool) -> NewMeasure {
    NewMeasure {
        client_id: client,
        instrument: "phq9",
        taken_at: t0() + Duration::minutes(minutes),
        raises_flag,
    }
}

/// What the stand-in sealer makes of a measure's ids (it cannot fail; the store's callback
/// can).
#[allow(clippy::unnecessary_wraps, reason = "the shape of the store's sealing callback")]
fn stand_in_seal(id: i64, flag: Option<i64>) -> Result<SealedMeasure, StoreError> {
    Ok(SealedMeasure {
        record: format!("sealed record of measure {id}"),
        total: Some(format!("sealed total of measure {id}")),
        flag_level: flag.map(|flag| format!("sealed level of flag {flag}")),
    })
}

async fn measures(db: &Db, client: UserId) {
    // A measure's values are sealed for its own id and its flag's, before the commit.
    let (first, flag) = db
        .insert_measure(&new_measure(client, 0, true), stand_in_seal, AuditRecord::none())
        .await
        .expect("insert");
    let flag = flag.expect("a flag is raised");
    let stored = db.list_measures(client, None).await.expect("list");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].sealed.as_deref(),
        Some(format!("sealed record of measure {first}").as_str())
    );
    let found = db.find_risk_flag(flag).await.expect("find").expect("flag");
    assert_eq!((found.measure_id, found.client_id), (first, client.get()));
    assert_eq!(found.level_sealed, Some(format!("sealed level of flag {flag}")));

    // When sealing fails, nothing is stored: neither the measure nor its flag.
    let failed = db
        .insert_measure(
            &new_measure(client, 1, true),
            |_, _| Err(StoreError::Other(anyhow::anyhow!("no key"))),
            AuditRecord::none(),
        )
        .await;
    assert!(failed.is_err());
    assert_eq!(db.list_measures(client, None).await.expect("list").len(), 1);
    assert_eq!(db.list_risk_flags(true).await.expect("list").len(), 1);
    // A flag comes with its sealed level, and only then.
    let mismatched = db
        .insert_measure(
            &new_measure(client, 1, false),
            |id, _| {
                Ok(SealedMeasure {
                    record: format!("{id}"),
                    total: None,
                    flag_level: Some("level".to_owned()),
                })
            },
            AuditRecord::none(),
        )
        .await;
    assert!(mismatched.is_err());

    // The queue: every open flag, oldest first, then the most recently acknowledged.
    let (_, second) = db
        .insert_measure(&new_measure(client, 10, true), stand_in_seal, AuditRecord::none())
        .await
        .expect("insert");
    let (_, third) = db
        .insert_measure(&new_measure(client, 20, true), stand_in_seal, AuditRecord::none())
        .await
        .expect("insert");
    let (second, third) = (second.expect("flag"), third.expect("flag"));
    db.insert_measure(&new_measure(client, 30, false), stand_in_seal, AuditRecord::none())
        .await
        .expect("no flag");
    db.acknowledge_risk_flag(
        flag,
        client,
        t0() + Duration::hours(1),
        "sealed disposition",
        AuditRecord::none(),
    )
    .await
    .expect("acknowledge");
    db.acknowledge_risk_flag(
        third,
        client,
        t0() + Duration::hours(2),
        "sealed disposition",
        AuditRecord::none(),
    )
    .await
    .expect("acknowledge");
    let ids =
        |rows: Vec<hearth_store::StoredRiskFlag>| rows.iter().map(|f| f.id).collect::<Vec<_>>();
    assert_eq!(ids(db.list_risk_flags(false).await.expect("open")), [second]);
    assert_eq!(ids(db.list_risk_flags(true).await.expect("all")), [second, third, flag]);

    // The report reads PHQ-9 and GAD-7 rows, sealed, by client then time.
    let report = db.list_report_scores(Some(&[client.get()])).await.expect("report");
    assert_eq!(report.len(), 4);
    assert!(report.windows(2).all(|w| w[0].taken_at <= w[1].taken_at));
    assert_eq!(
        report[0].total_sealed.as_deref(),
        Some(format!("sealed total of measure {first}").as_str())
    );

    // Nothing written from now on is plain.
    assert!(db.list_plain_measures(0).await.expect("plain").is_empty());
    assert!(db.list_plain_risk_levels(0).await.expect("plain").is_empty());
    assert!(db.list_plain_birth_dates(0).await.expect("plain").is_empty());
}

/// Runs the migrations before `before` (a file-name prefix such as "0017") on `db`.
async fn migrate_before(db: &Db, before: &str) {
    let engine = match db {
        Db::Sqlite(_) => "sqlite",
        Db::Postgres(_) => "postgres",
    };
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine);
    let old = tempfile::tempdir().expect("dir");
    for file in std::fs::read_dir(&source).expect("migrations") {
        let path = file.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().to_string();
        if name.as_str() < before {
            std::fs::copy(&path, old.path().join(&name)).expect("copy");
        }
    }
    let migrator = sqlx::migrate::Migrator::new(old.path()).await.expect("old migrations");
    on_pool!(db, |pool| migrator.run(pool).await).expect("the older schema");
}

/// Rows as the code before migration 0017 wrote them: answers, scores, risk levels, birth
/// dates and phone numbers in plain text.
async fn rows_written_plain_before_0017_survive_it_and_are_sealed_once(db: Db) {
    migrate_before(&db, "0017").await;
    on_pool!(&db, |pool| {
        for sql in [
            "INSERT INTO users (email, email_normalized, password_hash, role, display_name, timezone, \
             region, birth_date, created_at) VALUES ('sam@example.org', 'sam@example.org', 'x', \
             'client', 'Sam', 'America/Chicago', 'US-IL', '1990-05-01', '2026-03-01T12:00:00Z')",
            "INSERT INTO users (email, email_normalized, password_hash, role, display_name, timezone, \
             created_at) VALUES ('coord@example.org', 'coord@example.org', 'x', 'coordinator', \
             'Kim', 'America/Chicago', '2026-03-01T12:00:00Z')",
            "INSERT INTO measures (client_id, instrument, answers, total, severity, subscales, risk, taken_at) \
             VALUES (1, 'phq9', '[0,1,0,0,0,0,0,0,2]', 3, 'minimal', '[]', 'self-harm-thoughts', '2026-03-01T12:00:00Z')",
            "INSERT INTO measures (client_id, instrument, answers, total, severity, subscales, risk, taken_at) \
             VALUES (1, 'asq', '[1,0,1,0,1]', NULL, 'acute-positive', '[]', 'acute-positive-screen', '2026-03-01T12:01:00Z')",
            "INSERT INTO measures (client_id, instrument, answers, total, severity, subscales, risk, taken_at) \
             VALUES (1, 'gad7', '[0,0,0,0,0,0,0]', 0, 'minimal', '[]', 'none', '2026-03-01T12:02:00Z')",
            "DELETE FROM measures WHERE id = 3",
            "INSERT INTO risk_flags (client_id, measure_id, level, raised_at) \
             VALUES (1, 1, 'self_harm_thoughts', '2026-03-01T12:00:00Z')",
            "INSERT INTO risk_flags (client_id, measure_id, level, raised_at) \
             VALUES (1, 2, 'acute', '2026-03-01T12:01:00Z')",
            "INSERT INTO consult_calls (client_id, coordinator_id, starts_at, phone, status, created_at) \
             VALUES (1, 2, '2026-03-02T15:00:00Z', '+1 312 555 0100', 'booked', '2026-03-01T12:00:00Z')",
        ] {
            sqlx::query(sql).execute(pool).await.expect(sql);
        }
    });
    db.migrate().await.expect("migration 0017 applies over plain rows");

    // Every plain value is still there for the app to seal, and nothing else.
    let measures = db.list_plain_measures(0).await.expect("plain measures");
    assert_eq!(measures.iter().map(|m| m.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(measures[0].answers.as_deref(), Some("[0,1,0,0,0,0,0,0,2]"));
    assert_eq!(
        (measures[0].total, measures[0].severity.as_deref(), measures[0].risk.as_deref()),
        (Some(3), Some("minimal"), Some("self-harm-thoughts"))
    );
    let levels = db.list_plain_risk_levels(0).await.expect("plain levels");
    assert_eq!(
        levels.iter().map(|l| (l.id, l.level.as_deref())).collect::<Vec<_>>(),
        [(1, Some("self_harm_thoughts")), (2, Some("acute"))]
    );
    let births = db.list_plain_birth_dates(0).await.expect("plain birth dates");
    assert_eq!(
        births.iter().map(|(id, d)| (*id, d.to_string())).collect::<Vec<_>>(),
        [(1, "1990-05-01".to_owned())]
    );
    let phones = db.list_plain_phones(0).await.expect("plain phones");
    assert_eq!(phones, [(1, 1, "+1 312 555 0100".to_owned())]);
    assert_eq!(db.list_plain_measures(1).await.expect("after 1").len(), 1, "keyset pages");

    // Sealing stores the sealed value and empties the plain columns; again, it does nothing.
    let sealed: Vec<(i64, String, Option<String>)> = measures
        .iter()
        .map(|m| (m.id, format!("v1.m{}", m.id), m.total.map(|t| format!("v1.t{t}"))))
        .collect();
    assert_eq!(db.seal_plain_measures(&sealed).await.expect("seal"), 2);
    assert_eq!(db.seal_plain_measures(&sealed).await.expect("again"), 0);
    let levels: Vec<(i64, String)> =
        levels.iter().map(|l| (l.id, format!("v1.l{}", l.id))).collect();
    assert_eq!(db.seal_plain_risk_levels(&levels).await.expect("seal"), 2);
    assert_eq!(db.seal_plain_risk_levels(&levels).await.expect("again"), 0);
    assert_eq!(db.seal_plain_birth_dates(&[(1, "v1.b1".to_owned())]).await.expect("seal"), 1);
    assert_eq!(db.seal_plain_birth_dates(&[(1, "v1.b1".to_owned())]).await.expect("again"), 0);
    let phone = [(1, "+1 312 555 0100".to_owned(), "v1.p1".to_owned())];
    assert_eq!(db.seal_plain_phones(&phone).await.expect("seal"), 1);
    assert_eq!(db.seal_plain_phones(&phone).await.expect("again"), 0);
    assert!(db.list_plain_measures(0).await.expect("plain").is_empty());
    assert!(db.list_plain_risk_levels(0).await.expect("plain").is_empty());
    assert!(db.list_plain_birth_dates(0).await.expect("plain").is_empty());
    assert!(db.list_plain_phones(0).await.expect("plain").is_empty());

    // The plain columns are empty; the sealed ones hold the values.
    let (plain, sealed): (i64, i64) = on_pool!(&db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM measures WHERE answers IS NOT NULL OR total IS NOT NULL \
         OR severity IS NOT NULL OR subscales IS NOT NULL OR risk IS NOT NULL) \
         + (SELECT COUNT(*) FROM risk_flags WHERE level IS NOT NULL) \
         + (SELECT COUNT(*) FROM users WHERE birth_date IS NOT NULL), \
         (SELECT COUNT(*) FROM measures WHERE sealed LIKE 'v1.%') \
         + (SELECT COUNT(*) FROM measures WHERE total_sealed LIKE 'v1.%') \
         + (SELECT COUNT(*) FROM risk_flags WHERE level_sealed LIKE 'v1.%') \
         + (SELECT COUNT(*) FROM users WHERE birth_date_sealed LIKE 'v1.%')"
    )
    .fetch_one(pool)
    .await)
    .expect("count");
    assert_eq!(
        (plain, sealed),
        (0, 6),
        "two records, one total (the ASQ has none), two levels, a birth date"
    );
    assert_eq!(db.list_risk_flags(true).await.expect("flags").len(), 2, "the flags survive");

    // Ids are never reused: the deleted measure 3 keeps its number on both engines.
    let (next, _) = db
        .insert_measure(&new_measure(UserId::new(1), 60, false), stand_in_seal, AuditRecord::none())
        .await
        .expect("insert");
    assert_eq!(next, 4);
}

#[tokio::test]
async fn rows_written_plain_before_0017_survive_it_and_are_sealed_once_on_sqlite() {
    let database = TestDatabase::sqlite().expect("temp database");
    rows_written_plain_before_0017_survive_it_and_are_sealed_once(
        Db::connect(&database.url).await.expect("connect"),
    )
    .await;
}

#[tokio::test]
async fn rows_written_plain_before_0017_survive_it_and_are_sealed_once_on_postgres() {
    let Some(url) = TestDatabase::postgres_url() else {
        hearth_testkit::skip(
            "rows_written_plain_before_0017_survive_it_and_are_sealed_once_on_postgres",
            "TEST_DATABASE_URL is not set",
        );
        return;
    };
    let database = TestDatabase::postgres(&url).await.expect("fresh database");
    let db = Db::connect(&database.url).await.expect("connect");
    rows_written_plain_before_0017_survive_it_and_are_sealed_once(db.clone()).await;
    db.close().await;
}

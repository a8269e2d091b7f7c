//! One story of what the store must do, told on SQLite always and on PostgreSQL when
//! `TEST_DATABASE_URL` names a server.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use hearth_domain::{
    AgeBand, BirthDate, DisplayName, Email, GroupId, LoginThrottle, Region, Role, TimeZone, UserId,
    WeeklySlot,
};
use hearth_store::{
    AuditKey, AuditKeyring, AuditRecord, AuditVerification, Db, NewAuditEntry, NewGroup, NewInvite,
    NewSession, NewUser, SeatOutcome, SessionKind, StoreError,
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
    second_factors(&db, id).await;
    login_strikes(&db).await;
    sign_ups_draw_ids_whether_or_not_the_email_is_taken(&db).await;
    invitations(&db).await;
    audit_log(&db, id).await;
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
    assert_eq!(found.birth_date.map(|d| d.to_string()).as_deref(), Some("1990-05-01"));
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
    let mut therapist = new_user("new.therapist@example.org", Role::Therapist);
    therapist.created_at = t0() + Duration::hours(1);
    db.accept_invite(invite, &therapist, AuditRecord::none()).await.expect("accepted");
    let again = db.accept_invite(invite, &therapist, AuditRecord::none()).await;
    assert!(matches!(again, Err(StoreError::NotFound)));
    assert_eq!(db.count_users_by_role(Role::Therapist).await.expect("count"), 1);
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

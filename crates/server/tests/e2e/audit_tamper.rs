//! Tampering with the audit log as someone who owns the database but not the data
//! directory's keys: each attack drops the triggers that refuse UPDATE and DELETE first, then
//! `hearth audit verify` must exit 3 naming the row.

use crate::cli::{create_coordinators, database, hearth};
use hearth_store::{AuditEntry, AuditKey, Db};
use hearth_testkit::TestDatabase;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Four audit rows (one per staff account made) and a checkpoint of them.
async fn checkpointed_log() -> (TestDatabase, tempfile::TempDir) {
    let (db, dir) = database().await;
    create_coordinators(
        &["a@example.org", "b@example.org", "c@example.org", "d@example.org"],
        dir.path(),
        &db.url,
    );
    let out = hearth(&["audit", "checkpoint"], dir.path(), &db.url);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    (db, dir)
}

/// The rows oldest first, with the guards against UPDATE and DELETE dropped.
async fn open_for_tampering(url: &str) -> (Db, Vec<AuditEntry>) {
    let db = Db::connect(url).await.expect("connect");
    let drops: &[&str] = match db {
        Db::Sqlite(_) => &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
        Db::Postgres(_) => &["DROP TRIGGER audit_log_no_change ON audit_log"],
    };
    for sql in drops {
        execute(&db, sql, None).await;
    }
    let mut rows = db.list_audit(None, 100).await.expect("rows");
    rows.reverse();
    (db, rows)
}

/// Runs `sql` with an optional id bound to `$1`.
async fn execute(db: &Db, sql: &str, id: Option<i64>) {
    let done = match db {
        Db::Sqlite(pool) => {
            let query = sqlx::query(sql);
            let query = if let Some(id) = id { query.bind(id) } else { query };
            query.execute(pool).await.map(|_| ())
        }
        Db::Postgres(pool) => {
            let query = sqlx::query(sql);
            let query = if let Some(id) = id { query.bind(id) } else { query };
            query.execute(pool).await.map(|_| ())
        }
    };
    done.expect("the tampering statement runs");
}

/// Relinks each of `rows` to the one before it (`prev_hash`, the genesis for the first row)
/// and recomputes its hash: with `key`, or with none the old unkeyed SHA-256.
async fn rewrite(db: &Db, prev_hash: &str, rows: &mut [AuditEntry], key: Option<&AuditKey>) {
    let mut prev = prev_hash.to_owned();
    for row in rows {
        row.prev_hash.clone_from(&prev);
        row.key_id = key.map(|k| k.id().to_owned());
        row.hash = row.chain_hash(key);
        let sql = "UPDATE audit_log SET detail = $2, prev_hash = $3, hash = $4, key_id = $5 \
                   WHERE id = $1";
        let done = match db {
            Db::Sqlite(pool) => sqlx::query(sql)
                .bind(row.id)
                .bind(&row.detail)
                .bind(&row.prev_hash)
                .bind(&row.hash)
                .bind(&row.key_id)
                .execute(pool)
                .await
                .map(|_| ()),
            Db::Postgres(pool) => sqlx::query(sql)
                .bind(row.id)
                .bind(&row.detail)
                .bind(&row.prev_hash)
                .bind(&row.hash)
                .bind(&row.key_id)
                .execute(pool)
                .await
                .map(|_| ()),
        };
        done.expect("rewrite");
        prev.clone_from(&row.hash);
    }
}

fn verify(dir: &Path, url: &str) -> (Option<i32>, String, String) {
    let Output { status, stdout, stderr } = hearth(&["audit", "verify"], dir, url);
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (status.code(), text(stdout), text(stderr))
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[tokio::test]
async fn an_intact_log_verifies_against_its_checkpoint() {
    let (db, dir) = checkpointed_log().await;
    let (code, stdout, stderr) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("intact: 4 rows") && stdout.contains("reaching the checkpoint"));
    let file = dir.path().join("audit.checkpoints");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("the checkpoint file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only this user reads the checkpoints");
    }
    let text = std::fs::read_to_string(&file).expect("checkpoints");
    assert!(text.starts_with("hearth-audit-checkpoint v1 ") && text.contains(" rows=4 "), "{text}");
}

#[tokio::test]
async fn deleting_the_newest_rows_after_a_checkpoint_is_detected() {
    let (db, dir) = checkpointed_log().await;
    let (store, rows) = open_for_tampering(&db.url).await;
    for row in &rows[2..] {
        execute(&store, "DELETE FROM audit_log WHERE id = $1", Some(row.id)).await;
    }
    store.close().await;
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at row {}", rows[3].id)), "{stdout}");
    assert!(stdout.contains("newest rows were deleted"), "{stdout}");

    // Without the checkpoint file the chain alone still holds, and verify says what it lacks.
    std::fs::remove_file(dir.path().join("audit.checkpoints")).expect("remove");
    let (code, stdout, stderr) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stderr.contains("warning: no audit checkpoint"), "{stderr}");
}

#[tokio::test]
async fn an_edited_row_rehashed_with_the_old_unkeyed_scheme_is_detected() {
    let (db, dir) = checkpointed_log().await;
    let (store, mut rows) = open_for_tampering(&db.url).await;
    rows[1].detail = "role=admin".to_owned();
    let prev = rows[0].hash.clone();
    rewrite(&store, &prev, &mut rows[1..], None).await;
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at row {}", rows[1].id)), "{stdout}");

    // Rewriting the whole log with the old scheme leaves a consistent chain that no longer
    // reaches the checkpoint.
    rewrite(&store, GENESIS, &mut rows, None).await;
    store.close().await;
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at row {}", rows[3].id)), "{stdout}");
    assert!(stdout.contains("differs from the one the checkpoint recorded"), "{stdout}");
}

#[tokio::test]
async fn an_edited_row_rehashed_with_a_wrong_key_is_detected() {
    let (db, dir) = checkpointed_log().await;
    let (store, mut rows) = open_for_tampering(&db.url).await;
    let key_id = rows[1].key_id.clone().expect("new rows are keyed");
    let guess = AuditKey::new(key_id, &[9; 32]);
    rows[1].detail = "role=admin".to_owned();
    let prev = rows[0].hash.clone();
    rewrite(&store, &prev, &mut rows[1..], Some(&guess)).await;
    store.close().await;
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at row {}", rows[1].id)), "{stdout}");
    assert!(stdout.contains("HMAC does not match"), "{stdout}");
}

#[tokio::test]
async fn a_deleted_middle_row_with_the_rest_relinked_is_detected() {
    let (db, dir) = checkpointed_log().await;
    let (store, mut rows) = open_for_tampering(&db.url).await;
    execute(&store, "DELETE FROM audit_log WHERE id = $1", Some(rows[1].id)).await;
    let prev = rows[0].hash.clone();
    let key_id = rows[2].key_id.clone().expect("keyed");
    rewrite(&store, &prev, &mut rows[2..], Some(&AuditKey::new(key_id, &[9; 32]))).await;
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at row {}", rows[2].id)), "{stdout}");

    // Relinked under the old scheme instead: the first relinked row has lost its key.
    rewrite(&store, &prev, &mut rows[2..], None).await;
    store.close().await;
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains(&format!("BROKEN at row {}", rows[2].id)), "{stdout}");
}

#[tokio::test]
async fn a_checkpoint_edited_to_match_a_truncated_log_does_not_verify() {
    let (db, dir) = checkpointed_log().await;
    let (store, rows) = open_for_tampering(&db.url).await;
    execute(&store, "DELETE FROM audit_log WHERE id = $1", Some(rows[3].id)).await;
    store.close().await;
    let file = dir.path().join("audit.checkpoints");
    let text = std::fs::read_to_string(&file).expect("checkpoints");
    let edited = text
        .replace(" rows=4 ", " rows=3 ")
        .replace(&format!("last_id={}", rows[3].id), &format!("last_id={}", rows[2].id))
        .replace(&rows[3].hash, &rows[2].hash);
    std::fs::write(&file, edited).expect("edit");
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(3), "{stdout}");
    assert!(stdout.contains("checkpoints BROKEN") && stdout.contains("line 1"), "{stdout}");
}

#[tokio::test]
async fn serve_writes_a_checkpoint_of_the_log_it_starts_with_and_at_shutdown() {
    let (db, dir) = checkpointed_log().await;
    let file = dir.path().join("audit.checkpoints");
    std::fs::remove_file(&file).expect("start without checkpoints");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hearth"))
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &db.url, "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hearth serve starts");
    let stdout = child.stdout.take().expect("stdout");
    tokio::task::spawn_blocking(move || {
        BufReader::new(stdout).read_line(&mut String::new()).expect("the listening line")
    })
    .await
    .expect("reader");
    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status =
        tokio::task::spawn_blocking(move || child.wait()).await.expect("join").expect("wait");
    assert!(status.success(), "{status}");
    let text = std::fs::read_to_string(&file).expect("the server wrote checkpoints");
    assert_eq!(text.lines().count(), 1, "one checkpoint while the log did not grow: {text}");
    let (code, stdout, _) = verify(dir.path(), &db.url);
    assert_eq!(code, Some(0), "{stdout}");
}

#[tokio::test]
async fn three_hundred_reads_at_once_are_each_on_record_in_one_unbroken_chain() {
    let app = crate::helpers::spawn_app().await;
    let id = app.sign_up("reader@example.org").await;
    let token = app.token("reader@example.org", crate::helpers::PASSWORD).await;
    let path = app.url(&format!("/api/v1/clients/{id}/measures"));
    let reads = (0..300).map(|_| app.client.get(&path).bearer_auth(&token).send());
    for response in futures::future::join_all(reads).await {
        assert_eq!(response.expect("request").status(), reqwest::StatusCode::OK);
    }
    let actions = app.audit_actions().await;
    assert_eq!(actions.iter().filter(|a| *a == "measure.read").count(), 300);
    let verified = app.app.verify_audit_log().await.expect("verify");
    assert!(
        matches!(verified, hearth_store::AuditVerification::Intact { rows } if rows >= 300),
        "{verified:?}"
    );
}

use std::fmt;

/// What a store call can fail with. Unique and foreign-key violations become `Conflict` with
/// the constraint's name, the same on both engines, so callers can turn them into field errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Whether this is a violation of the named constraint.
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, StoreError::Conflict { constraint } if constraint == name)
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        StoreError::Other(anyhow::anyhow!("stored data is not valid: {what}"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                let constraint = db
                    .constraint()
                    .map(str::to_owned)
                    .or_else(|| sqlite_constraint_name(db.message()))
                    .unwrap_or_else(|| "unknown".to_owned());
                StoreError::Conflict { constraint }
            }
            other => StoreError::Other(anyhow::Error::new(other)),
        }
    }
}

/// SQLite names the columns, not the constraint ("UNIQUE constraint failed: users.email_normalized");
/// rebuild PostgreSQL's default name (`users_email_normalized_key`) so callers see one name.
fn sqlite_constraint_name(message: &str) -> Option<String> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    let mut table = None;
    let mut names = Vec::new();
    for qualified in columns.split(", ") {
        let (t, column) = qualified.split_once('.')?;
        table.get_or_insert(t);
        names.push(column);
    }
    Some(format!("{}_{}_key", table?, names.join("_")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_map_to_postgres_constraint_names() {
        assert_eq!(
            sqlite_constraint_name("UNIQUE constraint failed: users.email_normalized").as_deref(),
            Some("users_email_normalized_key")
        );
        assert_eq!(sqlite_constraint_name("FOREIGN KEY constraint failed"), None);
    }
}

use hearth_domain::FieldErrors;
use hearth_store::StoreError;

/// What a use case can fail with. The web layer alone turns these into status codes.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    Unauthenticated,
    #[error("you may not do this")]
    Forbidden,
    /// The access policy refused; `reason` says why in words a person can act on (e.g. that
    /// breaking the glass would open the record).
    #[error("{reason}")]
    Denied { reason: &'static str },
    #[error("{0}")]
    Conflict(String),
    /// A request that is well-formed but not allowed by a rule of the practice (licensure,
    /// age band, already a member); `code` names the rule for API clients.
    #[error("{reason}")]
    Refused { code: &'static str, reason: String },
    #[error("some fields are not valid: {0}")]
    Invalid(FieldErrors),
    /// The password was right, but the account's second factor needs its code (missing
    /// or wrong).
    #[error("this account needs the code from its authenticator app")]
    SecondFactorRequired,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The server has no capacity for this now (every password-hashing turn is taken).
    #[error("busy; try again in {retry_after_secs} seconds")]
    Busy { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// One invalid field.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        let mut errors = FieldErrors::new();
        errors.add(field, message);
        AppError::Invalid(errors)
    }
}

impl AppError {
    pub fn refused(code: &'static str, reason: impl Into<String>) -> Self {
        AppError::Refused { code, reason: reason.into() }
    }
}

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { constraint } => {
                AppError::Unexpected(anyhow::anyhow!("unexpected conflict on {constraint}"))
            }
            StoreError::Other(err) => AppError::Unexpected(err),
        }
    }
}

impl From<crate::passwords::HashError> for AppError {
    fn from(err: crate::passwords::HashError) -> Self {
        match err {
            crate::passwords::HashError::Busy => AppError::Busy { retry_after_secs: 2 },
            crate::passwords::HashError::Failed(cause) => AppError::Unexpected(cause),
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Invalid(errors)
    }
}

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hearth_app::AppError;
use hearth_domain::FieldErrors;
use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The web layer's one error type. Its `IntoResponse` is the only place that picks status
/// codes; pages turn the same answer into HTML through `ErrorBody` (see `templates`).
#[derive(Debug)]
pub struct Error {
    status: StatusCode,
    code: &'static str,
    message: String,
    fields: Option<FieldErrors>,
    retry_after: Option<u64>,
}

/// The JSON body of every error (API.md), also left on the response for the HTML layer.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `not_found`, `invalid`, `conflict`, or a refusal's own code.
    pub error: &'static str,
    /// For people.
    pub message: String,
    /// Each field at fault, by name (`licenses[0].region`), with what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>, nullable = false)]
    pub fields: Option<FieldErrors>,
}

impl Error {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: None, retry_after: None }
    }

    pub fn invalid(fields: FieldErrors) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            message: format!("some fields are not valid: {}", fields.summary()),
            fields: Some(fields),
            retry_after: None,
        }
    }

    pub fn bad_request(field: Option<&str>, message: impl Into<String>) -> Self {
        let message = message.into();
        let fields = field.map(|name| {
            let mut f = FieldErrors::new();
            f.add(name, &message);
            f
        });
        Self { fields, ..Self::new(StatusCode::BAD_REQUEST, "bad_request", message) }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "nothing here")
    }

    /// A session that may only enrol a second factor asked for anything else.
    pub fn enrolment_required() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "second_factor_enrolment_required",
            "set up two-factor sign-in before anything else: POST /api/v1/me/second-factor, \
             then confirm a code at /api/v1/me/second-factor/confirm",
        )
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<AppError> for Error {
    fn from(err: AppError) -> Self {
        match err {
            AppError::NotFound => Error::not_found(),
            AppError::Unauthenticated => Error::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "the email or password is not right, or the session has ended",
            ),
            AppError::SecondFactorRequired => Error::new(
                StatusCode::UNAUTHORIZED,
                "second_factor_required",
                "this account signs in with a second factor: send the six-digit code from its \
                 authenticator app, or one of its recovery codes, as totp",
            ),
            AppError::Forbidden => {
                Error::new(StatusCode::FORBIDDEN, "forbidden", "you may not do this")
            }
            AppError::Denied { reason } => Error::new(StatusCode::FORBIDDEN, "forbidden", reason),
            AppError::Conflict(reason) => Error::new(StatusCode::CONFLICT, "conflict", reason),
            AppError::Refused { code, reason } => Error::new(StatusCode::CONFLICT, code, reason),
            AppError::Invalid(fields) => Error::invalid(fields),
            AppError::TooManyAttempts { retry_after_secs } => Error {
                retry_after: Some(retry_after_secs),
                ..Error::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    format!("too many failed attempts; try again in {retry_after_secs} seconds"),
                )
            },
            AppError::Busy { retry_after_secs } => Error {
                retry_after: Some(retry_after_secs),
                ..Error::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    format!("the server is busy; try again in {retry_after_secs} seconds"),
                )
            },
            AppError::Unexpected(cause) => {
                // The cause is logged here and nowhere shown; it may name internals.
                tracing::error!(error = ?cause, "unexpected error");
                Error::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; please try again",
                )
            }
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.code, message: self.message, fields: self.fields };
        let mut response = (self.status, Json(body.clone())).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(body);
        response
    }
}

/// Gives the error answers that axum writes itself (a method the route does not take, a
/// failed WebSocket upgrade, a handler's broken redirect) the one shape: the API answers its
/// JSON error, pages the HTML error page. Answers made from [`Error`], and pages rendered
/// with an error status, pass untouched.
pub async fn framework_errors(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let response = next.run(req).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if status.as_u16() < 400 || !plain || response.extensions().get::<ErrorBody>().is_some() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let error = if status.is_server_error() {
        // The text may name internals: logged, never shown.
        tracing::error!(%status, detail = %text, "an error answer written by the framework");
        Error::new(status, "internal", "something went wrong on our side; please try again")
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        Error::new(status, "method_not_allowed", format!("this address does not take {method}"))
    } else {
        let message = if text.is_empty() {
            status.canonical_reason().unwrap_or("the request was refused").to_owned()
        } else {
            text
        };
        Error::new(status, client_error_code(status), message)
    };
    let mut reshaped = error.into_response();
    // Keep what the answer said besides its body, such as `Allow` on a 405.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            reshaped.headers_mut().append(name.clone(), value.clone());
        }
    }
    reshaped
}

fn client_error_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid",
        StatusCode::TOO_MANY_REQUESTS => "too_many_requests",
        _ => "bad_request",
    }
}

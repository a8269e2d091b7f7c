//! The OpenAPI document of `/api/v1`, served at `GET /api/v1/openapi.json`. It is generated
//! (utoipa) from each handler's `#[utoipa::path]` and from the handlers' own types: path
//! parameters from their `Path<…>` arguments, query parameters from their `Query<…>` types,
//! request bodies from their `Json<…>` types and answers from the types they serialize. So it
//! cannot drift from the routes; a unit test below holds the router and the document to the
//! same list of operations.
//!
//! Handlers list what they answer and the errors their use case gives (404, 409, …). The
//! errors every request of a kind can meet are added here, once, from what the operation
//! takes (see [`ExtractorErrors`]): the rules live beside the extractors that make them.

use std::sync::LazyLock;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Type};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{
    api, api_calendars, api_care, api_catalog, api_consults, api_groups, api_measures, api_seats,
};
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Hearth API",
        version = "1",
        description = "The JSON API of Hearth. Every operation takes `Authorization: Bearer TOKEN` \
            (from POST /session) unless its `security` says otherwise. Errors are \
            `{error, message, fields?}` with a 4xx/5xx status, always: a body that is not \
            `application/json` is 415, malformed JSON or a field of the wrong type is 400 \
            naming the field, a body over 64 KiB is 413, a path or query parameter that does \
            not parse is 400 naming it, text holding a control character other than tab, line \
            feed or carriage return (NUL, for one) is 422 naming the field, and a method the \
            address does not take is 405 (with Allow)."
    ),
    servers((url = "/api/v1")),
    paths(
        api::openapi,
        api::create_session,
        api::delete_session,
        api::me,
        api::start_second_factor,
        api::confirm_second_factor,
        api::list_sessions,
        api::revoke_session,
        api::create_client,
        api::list_staff,
        api::create_invite,
        api_catalog::list_topics,
        api_catalog::edit_topic,
        api_catalog::list_programs,
        api_catalog::edit_program,
        api_catalog::create_therapist,
        api_catalog::therapist_profile,
        api_catalog::add_license,
        api_groups::list_groups,
        api_groups::create_group,
        api_groups::group_detail,
        api_groups::occurrences,
        api_groups::cancel_occurrence,
        api_groups::move_occurrence,
        api_groups::change_series,
        api_seats::reserve_seat,
        api_seats::leave_group,
        api_seats::leave_waitlist,
        api_seats::accept_offer,
        api_seats::decline_offer,
        api_seats::switch_group,
        api_seats::roster,
        api_calendars::group_calendar,
        api_seats::my_groups,
        api_seats::list_switch_requests,
        api_seats::create_switch_request,
        api_seats::approve_switch,
        api_seats::decline_switch,
        api_catalog::recommendations,
        api_catalog::therapist_recommendations,
        api_calendars::rotate_feed,
        api_calendars::revoke_feed,
        api_calendars::calendar_settings,
        api_calendars::set_calendar_settings,
        api_measures::submit_measure,
        api_measures::list_measures,
        api_measures::risk_queue,
        api_measures::acknowledge,
        api_measures::outcomes_report,
        api_care::get_safety_plan,
        api_care::put_safety_plan,
        api_care::put_intake,
        api_care::my_check_in,
        api_care::overdue_check_ins,
        api_care::get_intake,
        api_care::post_break_glass,
        api_consults::set_availability,
        api_consults::slots,
        api_consults::upcoming,
        api_consults::book,
        api_consults::cancel,
    ),
    components(
        schemas(ErrorBody),
        responses(
            BadRequest,
            Unauthenticated,
            Forbidden,
            PayloadTooLarge,
            UnsupportedMediaType,
            Invalid,
            TooManyRequests,
            Busy
        )
    ),
    security(("bearer" = [])),
    modifiers(&BearerScheme, &ExtractorErrors)
)]
pub struct ApiDoc;

/// The document as served, built once.
pub static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|err| {
        // Serializing a document built in memory does not fail; if it ever did, say so.
        tracing::error!(error = %err, "the OpenAPI document does not serialize");
        String::from("{}")
    })
});

/// A reusable error answer: the [`ErrorBody`] shape under one name in `components.responses`,
/// referred to by handlers as `(status = 404, response = NotFound)`.
macro_rules! error_responses {
    ($($name:ident, $retry_after:expr, $description:literal;)*) => {$(
        #[doc = $description]
        #[derive(Debug)]
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                (stringify!($name), RefOr::T(error_response($description, $retry_after)))
            }
        }
    )*};
}

error_responses! {
    BadRequest, false, "Malformed JSON, a field or parameter of the wrong type (named in `fields`), or a parameter that does not parse";
    Unauthenticated, false, "No bearer token, or one that has ended";
    Forbidden, false, "The caller may not do this; or the session may only enrol a second factor (`second_factor_enrolment_required`)";
    PayloadTooLarge, false, "The body is over 64 KiB";
    UnsupportedMediaType, false, "The body is not `application/json`";
    Invalid, false, "Invalid fields, each named in `fields` (text holding a control character is one)";
    TooManyRequests, true, "Too many failed attempts; see Retry-After";
    Busy, true, "The server is busy hashing passwords; see Retry-After";
}

fn error_response(description: &str, retry_after: bool) -> Response {
    let content =
        ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
    let mut response =
        ResponseBuilder::new().description(description).content("application/json", content);
    if retry_after {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(0)).build();
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(Some(seconds))
                .description(Some("seconds to wait before trying again"))
                .build(),
        );
    }
    response.build()
}

/// The `bearer` scheme every operation uses unless it says `security(())`.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Adds the errors that come from the extractors rather than from the use case, to every
/// operation that uses them, unless the handler already describes that status:
///
/// * a JSON body (`json::Json`): 400 malformed or mistyped, 413 too large, 415 not JSON,
///   422 a control character;
/// * path or query parameters (`extract::Path`, `json::Query`): 400 does not parse, 422 a
///   control character;
/// * a bearer token (`extract::ApiUser`, every operation not marked `security(())`): 401
///   without a live one, 403 for an enrol-only session.
struct ExtractorErrors;

impl Modify for ExtractorErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for op in
                [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch]
                    .into_iter()
                    .flatten()
            {
                add_extractor_errors(op);
            }
        }
    }
}

fn add_extractor_errors(op: &mut Operation) {
    // Read before `add` borrows the operation.
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let secured = !is_public(op);
    let mut add = |status: &str, name: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    };
    if has_body {
        add("400", "BadRequest");
        add("413", "PayloadTooLarge");
        add("415", "UnsupportedMediaType");
        add("422", "Invalid");
    }
    if has_params {
        add("400", "BadRequest");
        add("422", "Invalid");
    }
    if secured {
        add("401", "Unauthenticated");
        add("403", "Forbidden");
    }
}

/// An operation marked `security(())`: anyone may call it, with or without a token.
fn is_public(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|requirements| {
        requirements.iter().all(|r| {
            serde_json::to_value(r)
                .is_ok_and(|v| v.as_object().is_some_and(serde_json::Map::is_empty))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    fn routed() -> BTreeSet<(String, String)> {
        let found = crate::served_routes(&format!("{:?}", api::router()));
        assert!(found.len() > 50, "read the routes from axum's Debug: {found:?}");
        found
    }

    fn document() -> Value {
        serde_json::from_str(&DOCUMENT).expect("the document is JSON")
    }

    fn documented(doc: &Value) -> BTreeSet<(String, String)> {
        let mut found = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("a path item").keys() {
                found.insert((method.to_uppercase(), path.clone()));
            }
        }
        found
    }

    #[test]
    fn every_routed_operation_is_documented_and_every_documented_one_is_routed() {
        let routed = routed();
        let documented = documented(&document());
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(undocumented.is_empty(), "routed but not in the document: {undocumented:?}");
        assert!(unrouted.is_empty(), "in the document but not routed: {unrouted:?}");
    }

    /// Every 4xx/5xx answer of every operation is the one error shape, directly or through
    /// a shared response.
    #[test]
    fn every_documented_error_is_the_error_shape() {
        let doc = document();
        let error_ref = "#/components/schemas/ErrorBody";
        let mut errors = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                for (status, response) in op["responses"].as_object().expect("responses") {
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    errors += 1;
                    let response = match response["$ref"].as_str() {
                        Some(reference) => {
                            let name = reference
                                .strip_prefix("#/components/responses/")
                                .expect("a response reference");
                            &doc["components"]["responses"][name]
                        }
                        None => response,
                    };
                    assert_eq!(
                        response["content"]["application/json"]["schema"]["$ref"], error_ref,
                        "{method} {path} {status}"
                    );
                }
            }
        }
        assert!(errors > 100, "found {errors} error answers");
    }

    /// Status codes the extractors give are on every operation that uses them.
    #[test]
    fn extractor_errors_are_documented() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("a path item") {
                let has = |status: &str| op["responses"].get(status).is_some();
                let public = op["security"].as_array().is_some_and(|s| {
                    s.iter().all(|r| r.as_object().is_some_and(serde_json::Map::is_empty))
                });
                if !public {
                    assert!(has("401") && has("403"), "{method} {path} lists 401 and 403");
                }
                if op.get("requestBody").is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(has(status), "{method} {path} lists {status}");
                    }
                }
                if path.contains('{') {
                    assert!(has("400") && has("422"), "{method} {path} lists 400 and 422");
                }
            }
        }
    }

    #[test]
    fn the_document_is_openapi_3_1_with_the_bearer_scheme() {
        let doc = document();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(doc["servers"][0]["url"], "/api/v1");
    }
}

//! The request limits the OpenAPI document states are the domain's: utoipa's attributes
//! take only literals, so this test holds each documented number to the domain constant
//! that the `validator` rule beside it and the value type's `parse` both use.

use ai::job::InferenceInputs;
use ai::model::{Description, ModelName};
use ai::service::MAX_WAIT_SECS;
use board::board::values::{MAX_BOARD_IDS, MAX_MEMBER_IDS};
use board::comment::model::CommentContent;
use board::post::model::{PostContent, Title};
use board::{BoardInformation, BoardName, PostFilter};
use chat::{MessageContent, SessionInformation, SessionName};
use identity::{Email, UserName};
use serde_json::Value;

use crate::extract::page::{MAX_LIMIT, MIN_LIMIT};

fn document() -> Value {
    serde_json::to_value(crate::openapi()).unwrap_or_default()
}

#[test]
fn body_schemas_state_the_domain_limits() {
    let doc = document();
    let n = |v: usize| Value::from(v as u64);
    let checks: &[(&str, &str, &str, Value)] = &[
        ("SignupRequest", "name", "minLength", n(UserName::MIN_CHARS)),
        ("SignupRequest", "name", "maxLength", n(UserName::MAX_CHARS)),
        ("SignupRequest", "email", "maxLength", n(Email::MAX_CHARS)),
        ("ProfileUpdate", "name", "minLength", n(UserName::MIN_CHARS)),
        ("ProfileUpdate", "name", "maxLength", n(UserName::MAX_CHARS)),
        ("ProfileUpdate", "email", "maxLength", n(Email::MAX_CHARS)),
        ("PasswordResetRequest", "email", "maxLength", n(Email::MAX_CHARS)),
        ("NewPostRequest", "title", "maxLength", n(Title::MAX_CHARS)),
        ("NewPostRequest", "content", "maxLength", n(PostContent::MAX_CHARS)),
        ("PostPatchRequest", "title", "maxLength", n(Title::MAX_CHARS)),
        ("PostPatchRequest", "content", "maxLength", n(PostContent::MAX_CHARS)),
        ("CommentRequest", "content", "maxLength", n(CommentContent::MAX_CHARS)),
        ("BoardCreateRequest", "name", "maxLength", n(BoardName::MAX_CHARS)),
        ("BoardCreateRequest", "information", "maxLength", n(BoardInformation::MAX_CHARS)),
        ("BoardCreateRequest", "member_ids", "maxItems", n(MAX_MEMBER_IDS)),
        ("BoardUpdateRequest", "name", "maxLength", n(BoardName::MAX_CHARS)),
        ("BoardUpdateRequest", "information", "maxLength", n(BoardInformation::MAX_CHARS)),
        ("BoardUpdateRequest", "member_ids", "maxItems", n(MAX_MEMBER_IDS)),
        ("UserBoardsRequest", "board_ids", "maxItems", n(MAX_BOARD_IDS)),
        ("CreateSessionRequest", "name", "maxLength", n(SessionName::MAX_CHARS)),
        ("CreateSessionRequest", "information", "maxLength", n(SessionInformation::MAX_CHARS)),
        ("UpdateSessionRequest", "name", "maxLength", n(SessionName::MAX_CHARS)),
        ("UpdateSessionRequest", "information", "maxLength", n(SessionInformation::MAX_CHARS)),
        ("MessageRequest", "content", "maxLength", n(MessageContent::MAX_CHARS)),
        ("CreateModelRequest", "name", "maxLength", n(ModelName::MAX_CHARS)),
        ("CreateModelRequest", "description", "maxLength", n(Description::MAX_CHARS)),
        ("UpdateModelRequest", "description", "maxLength", n(Description::MAX_CHARS)),
        ("InferenceRequest", "inputs", "maxItems", n(InferenceInputs::MAX_ROWS)),
        ("InferenceRequest", "description", "maxLength", n(Description::MAX_CHARS)),
        ("UpdateInferenceRequest", "description", "maxLength", n(Description::MAX_CHARS)),
    ];
    for (schema, property, keyword, expected) in checks {
        let actual = &doc["components"]["schemas"][schema]["properties"][property][keyword];
        assert_eq!(actual, expected, "{schema}.{property} {keyword}");
    }
}

#[test]
fn query_parameters_state_the_domain_limits() {
    let doc = document();
    let mut limits = 0;
    for item in doc["paths"].as_object().into_iter().flat_map(|paths| paths.values()) {
        for operation in item.as_object().into_iter().flat_map(|ops| ops.values()) {
            for param in operation["parameters"].as_array().into_iter().flatten() {
                let schema = &param["schema"];
                match param["name"].as_str() {
                    Some("limit") => {
                        limits += 1;
                        assert_eq!(schema["minimum"], MIN_LIMIT, "{param}");
                        assert_eq!(schema["maximum"], MAX_LIMIT, "{param}");
                    }
                    Some("wait") => assert_eq!(schema["maximum"], MAX_WAIT_SECS, "{param}"),
                    Some("q") if param["in"] == "query" && operation["operationId"] == "list_posts" => {
                        assert_eq!(schema["maxLength"], PostFilter::MAX_QUERY_CHARS as u64, "{param}")
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(limits >= 10, "every list documents its limit range ({limits} found)");
}

/// The `validator` rules of the bodies refuse exactly at the domain's limits.
#[test]
fn body_rules_refuse_where_the_domain_refuses() {
    use validator::Validate;

    use crate::dto::posts::{CommentRequest, NewPostRequest};

    let post = |title: usize, content: usize| NewPostRequest { title: "t".repeat(title), content: "c".repeat(content) };
    assert!(post(Title::MAX_CHARS, PostContent::MAX_CHARS).validate().is_ok());
    assert!(Title::parse(&"t".repeat(Title::MAX_CHARS)).is_ok());
    let errors = post(Title::MAX_CHARS + 1, PostContent::MAX_CHARS + 1).validate().unwrap_err();
    assert!(errors.field_errors().contains_key("title") && errors.field_errors().contains_key("content"));
    assert!(Title::parse(&"t".repeat(Title::MAX_CHARS + 1)).is_err());
    assert!(post(0, 1).validate().is_err() && Title::parse("").is_err());
    let comment = CommentRequest { content: "c".repeat(CommentContent::MAX_CHARS + 1) };
    assert!(comment.validate().is_err() && CommentContent::parse(&comment.content).is_err());
}

/// Query strings are refused at the edge, naming the parameter.
#[test]
fn query_limits_are_refused_at_the_edge() {
    use crate::extract::PageQuery;
    use crate::extract::validation::validated;

    for limit in [MIN_LIMIT - 1, MAX_LIMIT + 1] {
        let err = validated(PageQuery { limit: Some(limit), cursor: None }).unwrap_err();
        assert_eq!(err.code, crate::errors::ErrorCode::RequestValidationFailed);
        assert!(err.errors.is_some_and(|e| e.fields().contains_key("limit")));
    }
    assert!(validated(PageQuery { limit: Some(MAX_LIMIT), cursor: None }).is_ok());
}

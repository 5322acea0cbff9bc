//! `validator` at the edge: request bodies and query structs derive `Validate` with the
//! domain's own limits (its length constants). Query strings are refused here, a failure
//! becoming the usual 422 problem with `errors: {field: [message]}`; bodies are refused by
//! the domain (see `extract::body`). The domain's value types still parse what passes, so
//! their invariants hold whatever the edge checks.

use kernel::FieldErrors;
use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::problem::ApiError;

/// Validates a request value, naming every failing field.
pub fn validated<T: Validate>(value: T) -> Result<T, ApiError> {
    match value.validate() {
        Ok(()) => Ok(value),
        Err(errors) => {
            let mut fields = FieldErrors::default();
            collect(&mut fields, "", &errors);
            Err(ApiError::validation(fields))
        }
    }
}

fn collect(fields: &mut FieldErrors, prefix: &str, errors: &ValidationErrors) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    fields.add(&name, message(error));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(fields, &name, inner),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(fields, &format!("{name}[{index}]"), inner);
                }
            }
        }
    }
}

/// The message of a failed rule, worded as the domain words the same rule.
fn message(error: &ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let param = |key: &str| error.params.get(key).map(ToString::to_string);
    let (min, max) = (param("min"), param("max"));
    match (error.code.as_ref(), min, max) {
        ("length", Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
        ("length", None, Some(max)) => format!("must be at most {max} characters long"),
        ("length", Some(min), None) => format!("must be at least {min} characters long"),
        ("items", _, Some(max)) => format!("must list at most {max} items"),
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        (code, _, _) => code.to_owned(),
    }
}

/// A domain length constant as `validator`'s `length` rule takes it.
pub const fn limit(n: usize) -> u64 {
    n as u64
}

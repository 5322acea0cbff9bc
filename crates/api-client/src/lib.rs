//! The one "sign up over HTTP" helper of the end-to-end suite, the fault drills and the
//! benchmarks: `POST /auth/signup`, then `POST /auth/login`, as any client would.

use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

/// An account signed up and logged in.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub id: i64,
    pub access_token: String,
    pub refresh_token: String,
}

/// Why signing up or logging in failed: the step, and the status and body or the
/// transport error.
#[derive(Debug)]
pub struct SignupError(String);

impl std::fmt::Display for SignupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SignupError {}

async fn post(client: &Client, url: String, body: Value, step: &str) -> Result<(StatusCode, Value), SignupError> {
    let response = client.post(url).json(&body).send().await.map_err(|e| SignupError(format!("{step}: {e}")))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| SignupError(format!("{step}: {e}")))?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, body))
}

/// Signs `name` up with `email` and `password` on the API at `api` (its base URL, e.g.
/// `http://127.0.0.1:8080/api/v1`), then logs it in.
pub async fn sign_up(
    client: &Client,
    api: &str,
    name: &str,
    email: &str,
    password: &str,
) -> Result<SignedUp, SignupError> {
    let signup = json!({"name": name, "email": email, "password": password});
    let (status, account) = post(client, format!("{api}/auth/signup"), signup, "signup").await?;
    if status != StatusCode::CREATED {
        return Err(SignupError(format!("signup of {name}: {status} {account}")));
    }
    let id = account["id"].as_i64().ok_or_else(|| SignupError(format!("signup of {name}: no id in {account}")))?;
    let login = json!({"username": name, "password": password});
    let (status, tokens) = post(client, format!("{api}/auth/login"), login, "login").await?;
    if status != StatusCode::OK {
        return Err(SignupError(format!("login of {name}: {status} {tokens}")));
    }
    let token = |field: &str| {
        tokens[field].as_str().map(str::to_owned).ok_or_else(|| SignupError(format!("login of {name}: no {field}")))
    };
    Ok(SignedUp { id, access_token: token("access_token")?, refresh_token: token("refresh_token")? })
}

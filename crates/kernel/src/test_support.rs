//! Test fixtures every domain's unit tests share (behind the `mocks` feature, which only
//! dev-dependencies enable): the callers a service is asked by.

use crate::{Actor, Role, UserId};

/// A user named `user{id}`.
pub fn user(id: UserId) -> Actor {
    Actor { id, name: format!("user{id}"), role: Role::User }
}

/// An admin named `admin{id}`.
pub fn admin(id: UserId) -> Actor {
    Actor { id, name: format!("admin{id}"), role: Role::Admin }
}

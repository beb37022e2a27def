//! The wire types under the module the handlers not yet moved to `gatehouse_shared::api` still name
//! (`users.rs`, `sessions.rs`); it goes once they name `api::...` themselves.

pub use gatehouse_shared::api::{AddressList, Expiration, Problem, SearchPage, Session, User, UserUpdate, Validity};

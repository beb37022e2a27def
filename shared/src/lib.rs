//! The login domain every side of Gatehouse speaks: the status and sub-status codes of the Zato SSO model, the
//! identifiers that can only be made by parsing, and the native API's request and response types (`api`). This
//! crate builds without the server's dependencies so a client or the web UI can use it alone.

pub mod account;
pub mod api;
pub mod error;
pub mod ids;
pub mod token;

pub use account::{ApprovalStatus, LoginStep, SignupStatus, Username, UsernameError};
pub use error::{Status, SubStatus};
pub use ids::{IdError, TenantSlug, UserId};
pub use token::Ust;

//! The domain's own types: what the services take and return, free of storage and wire concerns. They sit below
//! the store, which makes them from its rows, and above nothing but `gatehouse-shared`: a surface reads a
//! [`User`] or a [`Session`], never a row, and says what to change with a [`UserPatch`], never a JSON map.
//!
//! Values are parsed once, where they enter (`Username`, `Email`, the statuses): code holding one of these
//! types need not check it again.

mod email;
mod queries;
mod session;
mod user;
mod user_patch;

pub use email::{Email, EmailError};
pub use gatehouse_shared::{ApprovalStatus, LoginStep, SignupStatus, Username, UsernameError};
pub use queries::{AttrOwner, AuditFilter};
pub use session::Session;
pub use user::{Lock, User, UserRef};
pub use user_patch::{Clearable, UserPatch};

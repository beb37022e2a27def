//! Gatehouse: a multi-tenant single sign-on service on the model of Zato's SSO.

pub mod cli;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod mail;
pub mod metrics;
pub mod outbound;
pub mod sso;
pub mod store;
pub mod telemetry;

//! Integration tests: one binary, each test against a fresh PostgreSQL database and a fresh SQLite file.
#![allow(clippy::unwrap_used)]

mod authenticator;
mod common;

mod admin;
mod api;
mod architecture;
mod bootstrap;
mod brute_force;
mod cli;
mod config;
mod db_restart;
mod hardening;
mod hash_queue;
mod http;
mod instances;
mod isolation;
mod keys;
mod log_secrets;
mod login;
mod mail;
mod migrations;
mod notices;
mod oidc;
mod oidc_grants;
mod oidc_logout;
mod openapi;
mod ops;
mod pages;
mod passkeys;
mod row_security;
mod server_process;
mod session_cache;
mod signup;
mod tenants_users;
mod zato_api;
mod zato_import;

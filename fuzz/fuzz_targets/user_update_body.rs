//! The user update's JSON body: parsed as the handler does, then every text field through the checks that
//! run before any storage (username rules, e-mail address syntax); never a panic.
#![no_main]

use gatehouse::http::json;
use gatehouse::sso::user::check_username;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(fields) = json::parse::<Map<String, Value>>(data) else {
        return;
    };
    for (key, value) in &fields {
        if let Value::String(text) = value {
            match key.as_str() {
                "username" => {
                    let _ = check_username(text);
                }
                "email" => {
                    let _ = text.parse::<lettre::Address>();
                }
                _ => {}
            }
        }
    }
});

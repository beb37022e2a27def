//! The login call's JSON body: any bytes parse to a request or to a 400/413-style error, never a panic.
#![no_main]

use gatehouse::http::api_v1::session::LoginBody;
use gatehouse::http::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = json::parse::<LoginBody>(data) {
        let _ = body.into_request();
    }
});

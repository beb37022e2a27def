//! Passkey logins at saturation: each client holds one enrolled passkey (the tests' software authenticator,
//! shared with them) and loops over the two requests of a login, the options and the signed answer. The
//! client signs on the same cores as the server verifies, as the password logins' clients share them too.

#[path = "../../backend/tests/it/authenticator.rs"]
#[allow(dead_code)]
mod authenticator;

use crate::load::{Conn, Request};
use authenticator::Authenticator;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn call(method: &str, path: &str, ust: Option<&str>, body: Option<&Value>) -> Request {
    let auth = ust.map(|u| format!("Bearer {u}"));
    let mut headers = vec![("X-Current-App", "CRM")];
    if let Some(a) = &auth {
        headers.push(("Authorization", a.as_str()));
    }
    Request::new(method, path, &headers, body.map(Value::to_string).as_deref())
}

async fn send(conn: &mut Conn, request: &Request) -> Result<(u16, Value), String> {
    let (status, _) = conn.send(request).await.map_err(|e| e.to_string())?;
    let body = serde_json::from_slice(conn.body()).unwrap_or(Value::Null);
    Ok((status, body))
}

/// Enrols a passkey for the user of `ust` in `tenant`, whose password proves the account.
pub async fn enrol(addr: SocketAddr, tenant: &str, ust: &str, password: &str) -> Result<Authenticator, String> {
    let mut conn = Conn::open(addr).await.map_err(|e| e.to_string())?;
    let mut key = Authenticator::new();
    let base = format!("/api/v1/t/{tenant}/users/me/passkeys");
    let proof = json!({ "password": password });
    let options = call("POST", &format!("{base}/options"), Some(ust), Some(&proof));
    let (status, ceremony) = send(&mut conn, &options).await?;
    if status != 200 {
        return Err(format!("passkey options: {status} {ceremony}"));
    }
    let answer = json!({"ceremony": ceremony["ceremony"], "credential": key.create(&ceremony["options"])});
    let (status, added) = send(&mut conn, &call("POST", &base, Some(ust), Some(&answer))).await?;
    if status != 201 {
        return Err(format!("passkey registration: {status} {added}"));
    }
    Ok(key)
}

/// Username-less passkey logins by these clients for `duration`: the rate of sessions made, and the
/// authenticators back (their counters moved).
pub async fn logins(
    addr: SocketAddr,
    tenant: &str,
    keys: Vec<Authenticator>,
    duration: Duration,
) -> Result<(f64, Vec<Authenticator>), String> {
    let until = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut key in keys {
        let tenant = tenant.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(addr).await.map_err(|e| e.to_string())?;
            let options = call(
                "POST",
                &format!("/api/v1/t/{tenant}/login/passkey/options"),
                None,
                Some(&json!({})),
            );
            let mut done = 0u64;
            while Instant::now() < until {
                let (status, ceremony) = send(&mut conn, &options).await?;
                if status != 200 {
                    return Err(format!("passkey login options: {status} {ceremony}"));
                }
                let answer = json!({"ceremony": ceremony["ceremony"], "credential": key.get(&ceremony["options"])});
                let login = call(
                    "POST",
                    &format!("/api/v1/t/{tenant}/login/passkey"),
                    None,
                    Some(&answer),
                );
                let (status, session) = send(&mut conn, &login).await?;
                if status != 200 {
                    return Err(format!("passkey login: {status} {session}"));
                }
                done += 1;
            }
            Ok::<(u64, Authenticator), String>((done, key))
        }));
    }
    let mut total = 0;
    let mut back = Vec::new();
    for task in tasks {
        let (done, key) = task.await.map_err(|e| e.to_string())??;
        total += done;
        back.push(key);
    }
    Ok((total as f64 / started.elapsed().as_secs_f64(), back))
}

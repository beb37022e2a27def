//! The OpenAPI document: it parses, describes every route the server registers under `/api/v1` (and nothing
//! else), documents errors with their sub-status codes, and every schema it references exists.

use crate::both;
use crate::common::{Backend, TestApp, json_body};
use gatehouse::http::api_v1::{OPERATOR_ROUTES, TENANT_ROUTES};
use serde_json::Value;
use std::collections::BTreeSet;

fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref"
                    && let Some(r) = v.as_str()
                {
                    out.insert(r.to_owned());
                }
                refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

async fn the_document_matches_the_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut res = app.client.get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let doc = json_body(&mut res).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "OpenAPI 3.1");

    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    let registered: BTreeSet<(String, String)> = TENANT_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), format!("/api/v1/t/{{tenant}}{p}")))
        .chain(
            OPERATOR_ROUTES
                .iter()
                .map(|(m, p)| ((*m).to_owned(), format!("/api/v1/tenants{p}"))),
        )
        .collect();
    assert_eq!(documented, registered, "the document and the server's routes differ");

    // Every operation documents its failures with their codes and the problem shape.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path}: no success response"
            );
            if path.starts_with("/api/v1/t/") {
                assert!(
                    responses.contains_key("404"),
                    "{method} {path}: unknown tenant undocumented"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    let description = response["description"].as_str().unwrap();
                    assert!(
                        description.contains('E'),
                        "{method} {path} {status}: no sub-status in {description:?}"
                    );
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    let mut referenced = BTreeSet::new();
    refs(&doc["paths"], &mut referenced);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in &referenced {
        let name = r.trim_start_matches("#/components/schemas/");
        assert!(schemas.contains_key(name), "{r} is referenced but not defined");
    }
    for name in [
        "Problem",
        "SessionInfo",
        "User",
        "SearchPage",
        "Attr",
        "LoginBody",
        "CreateUser",
    ] {
        assert!(schemas.contains_key(name), "{name} missing");
    }
}
both!(the_document_matches_the_routes);

/// Every registered route answers (it may refuse the caller, but the router knows it).
async fn every_registered_route_is_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (method, path) in TENANT_ROUTES {
        let path = path
            .replace("{user_id}", "zusr1")
            .replace("{name}", "n")
            .replace("{session_id}", "zses1");
        let url = app.url(&format!("/api/v1/t/default{path}"));
        let mut res = app
            .client
            .request(method.to_uppercase().parse().unwrap(), url)
            .send_body("{}")
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.body().await.unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(
            status != 404 || !text.contains("E008002"),
            "{method} {path} is not routed: {status} {text}"
        );
        assert!(status < 500, "{method} {path}: {status} {text}");
    }
}
both!(every_registered_route_is_served);

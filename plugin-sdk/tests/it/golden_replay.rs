//! Replays what the Go manager sent to Go test plugins (the `transcript-manager-wire-*.txt`
//! recordings) against our router with fake implementations: every request must get a 200
//! whose JSON has the keys the Go plugin's answer had.
//!
//! Where the Go plugin failed (`/identity` of input: 404; of digest processors: 500; of resource
//! repositories: 400; W4) or answered `null` (blob transformer `/identity`), ours answers the
//! contract's `{"identity":{...}}`: a deliberate improvement.

use axum::{body::Body, http::Request};
use ocm_plugin_endpoints::AUTHORIZATION;
use ocm_plugin_sdk::{
    Plugin,
    types::{Credentials, JsonSchema},
};
use serde_json::Value;

use crate::{capabilities::GOLDEN, fakes::*, support::*};

/// One HTTP message of a recording.
#[derive(Debug)]
struct Message {
    start_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Parses the message at the start of `text`: CRLF head, then `Content-Length` bytes of body.
fn message(text: &str) -> Message {
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .expect("a head ends with CRLF CRLF");
    let mut lines = head.split("\r\n");
    let start_line = lines.next().unwrap().to_owned();
    let headers: Vec<(String, String)> = lines
        .map(|l| {
            let (k, v) = l.split_once(": ").unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().unwrap());
    Message {
        start_line,
        headers,
        body: rest[..length].to_owned(),
    }
}

/// The request/response pairs of a recording, in order.
fn exchanges(name: &str) -> Vec<(Message, Message)> {
    let text = std::fs::read_to_string(format!("{GOLDEN}{name}")).unwrap();
    let marker = "----- conn#";
    let mut requests = Vec::new();
    let mut responses = Vec::new();
    for section in text.split(marker).skip(1) {
        let (title, content) = section.split_once('\n').unwrap();
        if title.contains("manager -> plugin") {
            requests.push(message(content));
        } else if title.contains("plugin -> manager") {
            responses.push(message(content));
        }
    }
    assert_eq!(requests.len(), responses.len(), "{name}");
    requests.into_iter().zip(responses).collect()
}

fn object_keys(json: &str) -> Option<Vec<String>> {
    match serde_json::from_str::<Value>(json).ok()? {
        Value::Object(map) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}

/// Sends every recorded request to `router`; returns how many were replayed.
async fn replay(name: &str, plugin: Plugin, log: &Fake) -> usize {
    let router = plugin.into_router(config()).unwrap();
    let pairs = exchanges(name);
    for (go_request, go_response) in &pairs {
        let mut parts = go_request.start_line.split(' ');
        let (method, path) = (parts.next().unwrap(), parts.next().unwrap());
        let mut req = Request::builder().method(method).uri(path);
        if let Some(auth) = go_request.header(AUTHORIZATION) {
            req = req.header(AUTHORIZATION, auth);
        }
        if let Some(ct) = go_request.header("content-type") {
            req = req.header("content-type", ct);
        }
        let calls_before = log.calls().len();
        let answer = send(
            &router,
            req.body(Body::from(go_request.body.clone())).unwrap(),
        )
        .await;
        let what = format!("{name}: {method} {path}");
        assert_eq!(answer.status.as_u16(), 200, "{what}: {answer:?}");

        let go_ok = go_response.start_line.starts_with("HTTP/1.1 200");
        if go_response.body.is_empty() {
            assert!(go_ok, "{what}");
            assert_eq!(answer.body, "", "{what}");
            continue;
        }
        let ours =
            object_keys(answer.assert_json()).unwrap_or_else(|| panic!("{what}: {answer:?}"));
        match object_keys(&go_response.body).filter(|_| go_ok) {
            Some(go_keys) => assert_eq!(ours, go_keys, "{what}: {}", answer.body),
            None => {
                // Go failed or answered `null`: only ever on /identity.
                assert!(path.ends_with("/identity"), "{what}: {}", go_response.body);
                assert_eq!(ours, ["identity"], "{what}");
            }
        }
        // The implementation was called, with the recorded credentials.
        let calls = log.calls();
        assert_eq!(calls.len(), calls_before + 1, "{what}");
        let want: Credentials = go_request
            .header(AUTHORIZATION)
            .map(|a| serde_json::from_str(a).unwrap())
            .unwrap_or_default();
        assert_eq!(calls[calls_before].credentials, want, "{what}");
    }
    pairs.len()
}

fn dummy() -> (ocm_plugin_sdk::types::Type, JsonSchema) {
    (
        typ("DummyRepository/v1"),
        JsonSchema(crate::capabilities::golden(
            "DummyRepository-v1.schema.json",
        )),
    )
}

#[tokio::test]
async fn credential_repository() {
    let log = Fake::new("harness");
    let fake = log.clone();
    let plugin = Plugin::new("harnessplugin-credential-repository").credential_repository(
        typ("HarnessConsumer/v1"),
        typ("HarnessCredentialRepository/v1"),
        JsonSchema::permissive(),
        move |_| Ok(fake),
    );
    let n = replay(
        "transcript-manager-wire-credential-repository.txt",
        plugin,
        &log,
    )
    .await;
    assert_eq!(n, 4);
    let ops: Vec<_> = log.calls().into_iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [
            "consumer_identity_for_config",
            "consumer_identity_for_config",
            "resolve"
        ]
    );
}

#[tokio::test]
async fn input() {
    for (name, exchanges, ops) in [
        (
            "transcript-manager-wire-input.txt",
            4,
            &["process_resource", "process_source", "input_get_identity"][..],
        ),
        (
            "transcript-manager-wire-input-no-creds.txt",
            2,
            &["process_resource"][..],
        ),
    ] {
        let log = Fake::new("input");
        let fake = log.clone();
        let (t, schema) = dummy();
        let plugin = Plugin::new("testplugin-input").input(t, schema, move |_| Ok(fake));
        assert_eq!(replay(name, plugin, &log).await, exchanges, "{name}");
        let seen: Vec<_> = log.calls().into_iter().map(|c| c.op).collect();
        assert_eq!(seen, ops, "{name}");
    }
}

#[tokio::test]
async fn digest_processor() {
    let log = Fake::new("digester");
    let fake = log.clone();
    let (t, schema) = dummy();
    let plugin = Plugin::new("testplugin-digester").digest_processor(t, schema, move |_| Ok(fake));
    assert_eq!(
        replay("transcript-manager-wire-digester.txt", plugin, &log).await,
        3
    );
}

#[tokio::test]
async fn resource_repository() {
    let log = Fake::new("resource");
    let fake = log.clone();
    let (t, schema) = dummy();
    let plugin =
        Plugin::new("testplugin-resource").resource_repository(t, schema, move |_| Ok(fake));
    assert_eq!(
        replay("transcript-manager-wire-resource.txt", plugin, &log).await,
        3
    );
}

#[tokio::test]
async fn blob_transformer() {
    let log = Fake::new("blob");
    let fake = log.clone();
    let (t, schema) = dummy();
    let plugin =
        Plugin::new("testplugin-blobtransformer").blob_transformer(t, schema, move |_| Ok(fake));
    assert_eq!(
        replay("transcript-manager-wire-blobtransformer.txt", plugin, &log).await,
        3
    );
    let ops: Vec<_> = log
        .calls()
        .into_iter()
        .map(|c| (c.op, c.spec_type))
        .collect();
    let dummy = Some("DummyRepository/v1".to_owned());
    assert_eq!(
        ops,
        [
            ("blob_get_identity", dummy.clone()),
            ("transform_blob", dummy)
        ]
    );
}

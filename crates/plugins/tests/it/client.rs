//! `PluginClient` against in-test servers.

use std::collections::BTreeMap;

use ocm_plugin_endpoints::{builtin, component_version_repository as cvr, encode_json_param};
use ocm_plugin_runtime::{Endpoint, Error, PluginClient};
use ocm_plugin_types::Credentials;
use tokio::net::UnixListener;

use crate::util::{TestServer, raw_exchange};

fn creds() -> Credentials {
    Credentials::from([
        ("username".to_owned(), "u".to_owned()),
        ("password".to_owned(), "p".to_owned()),
    ])
}

fn identity_param() -> String {
    encode_json_param(r#"{"name":"test-resource","version":"v0.0.1"}"#)
}

/// The request line and headers match the Go manager's (golden `transcript-manager-wire.txt`),
/// minus Go's `User-Agent` and `Accept-Encoding: gzip`.
#[tokio::test]
async fn request_bytes_match_the_go_manager_over_unix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        raw_exchange(
            stream,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nnull\n",
        )
        .await
    });
    let client = PluginClient::new("test-plugin", Endpoint::Unix(path));
    let identity = identity_param();
    let body = client
        .call(
            &cvr::GET_LOCAL_RESOURCE,
            &[
                ("version", "1.0.0"),
                ("name", "test-component"),
                ("identity", &identity),
            ],
            Some(&creds()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(&body[..], b"null\n");
    let request = String::from_utf8(server.await.unwrap()).unwrap();
    assert_eq!(
        request,
        "GET /local-resource/download?identity=eyJuYW1lIjoidGVzdC1yZXNvdXJjZSIsInZlcnNpb24iOiJ2MC4wLjEifQ%3D%3D&name=test-component&version=1.0.0 HTTP/1.1\r\n\
         Host: unix\r\n\
         Accept: application/json\r\n\
         Authorization: {\"password\":\"p\",\"username\":\"u\"}\r\n\
         Content-Type: application/json\r\n\
         \r\n"
    );
}

#[tokio::test]
async fn post_bytes_over_unix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        raw_exchange(stream, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").await
    });
    let client = PluginClient::new("test-plugin", Endpoint::Unix(path));
    let body = br#"{"type":{"baseUrl":"https://ocm.software/test","type":"DummyRepository/v1"}}"#;
    let answer = client
        .call(&cvr::GET_IDENTITY, &[], Some(&creds()), Some(body.to_vec()))
        .await
        .unwrap();
    assert!(answer.is_empty());
    let request = String::from_utf8(server.await.unwrap()).unwrap();
    let (head, sent) = request.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("POST /identity HTTP/1.1"));
    let mut headers: Vec<&str> = lines.collect();
    headers.sort_unstable();
    // `/identity` carries no credentials (Auth::None), like Go.
    assert_eq!(
        headers,
        [
            "Accept: application/json",
            "Content-Length: 76",
            "Content-Type: application/json",
            "Host: unix",
        ]
    );
    assert_eq!(sent.as_bytes(), body);
}

#[tokio::test]
async fn headers_query_and_body_over_tcp() {
    let server = TestServer::tcp(|_| (200, b"[\"v0.0.1\",\"v0.0.2\"]\n".to_vec())).await;
    let Endpoint::Tcp(addr) = server.endpoint.clone() else {
        unreachable!()
    };
    let client = PluginClient::new("test-plugin", server.endpoint.clone());

    let versions: Vec<String> = client
        .call_json(
            &cvr::LIST_COMPONENT_VERSIONS,
            &[("name", "acme.org/a b")],
            Some(&creds()),
            None,
        )
        .await
        .unwrap();
    assert_eq!(versions, ["v0.0.1", "v0.0.2"]);
    // No credentials on a credentialed route: `{}`.
    let _: serde_json::Value = client
        .call_json(
            &cvr::GET_COMPONENT_VERSION,
            &[("name", "n"), ("version", "1")],
            None,
            None,
        )
        .await
        .unwrap();
    // A route without credentials, with a body.
    let _: serde_json::Value = client
        .call_json(
            &cvr::GET_IDENTITY,
            &[],
            Some(&creds()),
            Some(b"{\"type\":null}".to_vec()),
        )
        .await
        .unwrap();

    let seen = server.requests();
    assert_eq!(seen.len(), 3);
    let h = |i: usize, name: &str| {
        seen[i]
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };

    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].uri, "/component-versions?name=acme.org%2Fa+b");
    assert_eq!(h(0, "host").as_deref(), Some(addr.as_str()));
    assert_eq!(h(0, "content-type").as_deref(), Some("application/json"));
    assert_eq!(h(0, "accept").as_deref(), Some("application/json"));
    assert_eq!(
        h(0, "authorization").as_deref(),
        Some(r#"{"password":"p","username":"u"}"#)
    );
    assert!(seen[0].body.is_empty());

    assert_eq!(seen[1].uri, "/component-version/download?name=n&version=1");
    assert_eq!(h(1, "authorization").as_deref(), Some("{}"));

    assert_eq!(seen[2].method, "POST");
    assert_eq!(seen[2].uri, "/identity");
    assert_eq!(h(2, "authorization"), None);
    assert_eq!(h(2, "content-type").as_deref(), Some("application/json"));
    assert_eq!(seen[2].body, b"{\"type\":null}");

    // Keep-alive: all three calls used one connection.
    assert_eq!(server.connections(), 1);
}

#[tokio::test]
async fn non_ascii_credentials_are_sent_raw() {
    let server = TestServer::unix(|_| (200, b"{}".to_vec())).await;
    let client = PluginClient::new("p", server.endpoint.clone());
    let c = Credentials::from([("token".to_owned(), "pässwörd\"\u{1}".to_owned())]);
    client
        .call(&cvr::GET_COMPONENT_VERSION, &[], Some(&c), None)
        .await
        .unwrap();
    let seen = server.requests();
    let auth = seen[0].headers.get("authorization").unwrap().as_bytes();
    let back: BTreeMap<String, String> = serde_json::from_slice(auth).unwrap();
    assert_eq!(&back, c.properties());
}

#[tokio::test]
async fn error_texts_follow_go() {
    let server = TestServer::unix(|seen| match seen.uri.as_str() {
        u if u.starts_with("/component-version/download") => (400, b"Invalid request\n".to_vec()),
        u if u.starts_with("/component-versions") => (500, Vec::new()),
        "/identity" => (200, Vec::new()),
        "/component-version/upload" => (200, b"{not json".to_vec()),
        "/local-resource/upload" => (200, b"{\"a\":1}\n{\"b\":2}\ngarbage".to_vec()),
        "/healthz" => (
            405,
            b"this endpoint may only be called with either HEAD or GET method\n".to_vec(),
        ),
        _ => (404, b"404 page not found\n".to_vec()),
    })
    .await;
    let client = PluginClient::new("test-plugin", server.endpoint.clone());

    let e = client
        .call(&cvr::GET_COMPONENT_VERSION, &[], None, None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(!e.is_connect());
    assert_eq!(
        e.to_string(),
        "plugin test-plugin get-component-version: plugin returned status code 400: additional information: Invalid request\n"
    );
    assert!(matches!(&e, Error::Status { body, .. } if body == "Invalid request\n"));

    let e = client
        .call(&cvr::LIST_COMPONENT_VERSIONS, &[], None, None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(500));
    assert_eq!(
        e.to_string(),
        "plugin test-plugin list-component-versions: plugin returned status code: 500 (no details were given)"
    );

    // An empty 200 is fine for `call`, an error for `call_json`.
    assert!(
        client
            .call(&cvr::GET_IDENTITY, &[], None, None)
            .await
            .unwrap()
            .is_empty()
    );
    let e = client
        .call_json::<serde_json::Value>(&cvr::GET_IDENTITY, &[], None, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::EmptyBody { .. }), "{e:?}");
    assert!(
        e.to_string()
            .contains("failed to decode response from plugin: EOF"),
        "{e}"
    );

    let e = client
        .call_json::<serde_json::Value>(
            &cvr::ADD_COMPONENT_VERSION,
            &[],
            None,
            Some(b"{}".to_vec()),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(
            "plugin test-plugin add-component-version: failed to decode response from plugin: "
        ),
        "{e}"
    );
    assert_eq!(e.status(), None);

    // Only the first JSON value is read, like Go's streaming decoder.
    let v: serde_json::Value = client
        .call_json(&cvr::ADD_LOCAL_RESOURCE, &[], None, Some(b"{}".to_vec()))
        .await
        .unwrap();
    assert_eq!(v, serde_json::json!({"a": 1}));

    // Health needs a 200.
    let e = client.health().await.unwrap_err();
    assert_eq!(e.status(), Some(405));
}

#[tokio::test]
async fn health_is_a_plain_get() {
    let server = TestServer::unix(|_| (200, Vec::new())).await;
    let client = PluginClient::new("p", server.endpoint.clone());
    client.health().await.unwrap();
    let seen = server.requests();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].uri, builtin::HEALTHZ.path);
    assert_eq!(seen[0].headers.get("authorization"), None);
    assert_eq!(seen[0].headers.get("host").unwrap(), "unix");
}

#[tokio::test]
async fn connection_refused_is_a_connect_error() {
    // A socket path nobody listens on.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.sock");
    let client = PluginClient::new("test-plugin", Endpoint::Unix(path.clone()));
    let e = client
        .call(&cvr::GET_COMPONENT_VERSION, &[], None, None)
        .await
        .unwrap_err();
    assert!(e.is_connect(), "{e:?}");
    assert_eq!(e.status(), None);
    let text = e.to_string();
    assert!(
        text.starts_with(
            "plugin test-plugin get-component-version: failed to send request to plugin: "
        ),
        "{text}"
    );
    assert!(text.contains(&path.display().to_string()), "{text}");

    // A closed TCP port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let client = PluginClient::new("test-plugin", Endpoint::Tcp(addr.clone()));
    let e = client.health().await.unwrap_err();
    assert!(e.is_connect(), "{e:?}");
    assert!(e.to_string().contains(&addr), "{e}");
    assert!(
        e.to_string().contains("failed to send request to plugin"),
        "{e}"
    );
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let server = tokio::spawn(async move {
        // Read the request, then hang up without answering.
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await;
        drop(stream);
    });
    let client = PluginClient::new("p", Endpoint::Unix(path));
    let e = client
        .call(&cvr::GET_COMPONENT_VERSION, &[], None, None)
        .await
        .unwrap_err();
    server.await.unwrap();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(!e.is_connect());
    assert!(
        e.to_string().contains("failed to send request to plugin"),
        "{e}"
    );
}

#[tokio::test]
async fn clones_share_the_pool() {
    let server = TestServer::unix(|_| (200, b"1".to_vec())).await;
    let a = PluginClient::new("p", server.endpoint.clone());
    let b = a.clone();
    assert!(a.same_as(&b));
    assert_eq!(a.endpoint(), &server.endpoint);
    for c in [&a, &b, &a, &b] {
        let n: u32 = c
            .call_json(&cvr::GET_COMPONENT_VERSION, &[], None, None)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    assert_eq!(server.connections(), 1);
    assert!(!a.same_as(&PluginClient::new("p", server.endpoint.clone())));
}

/// What a v0.0.11+ plugin gets (spec §10.4, §10.6): typed credentials (type first for ones a
/// host gave flat, canonical for typed ones), `{}` for none on repository routes, and no header
/// for none on the other credentialed routes.
#[tokio::test]
async fn typed_credentials_for_current_plugins() {
    use ocm_plugin_endpoints::input;
    use ocm_plugin_runtime::CredentialsForm;
    let server = TestServer::unix(|_| (200, b"{}".to_vec())).await;
    let client =
        PluginClient::with_credentials_form("p", server.endpoint.clone(), CredentialsForm::Typed);
    let typed = Credentials::typed("Credentials/v1", [("username", "u"), ("password", "p")]);
    let none = Credentials::new();
    for (route, credentials) in [
        (&cvr::GET_COMPONENT_VERSION, &creds()),
        (&cvr::GET_COMPONENT_VERSION, &typed),
        (&cvr::GET_COMPONENT_VERSION, &none),
        (&input::PROCESS_RESOURCE, &none),
        (&cvr::GET_IDENTITY, &typed),
    ] {
        client
            .call(route, &[], Some(credentials), None)
            .await
            .unwrap();
    }
    let seen: Vec<Option<String>> = server
        .requests()
        .iter()
        .map(|s| {
            s.headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        seen,
        [
            Some(
                r#"{"type":"Credentials/v1","properties":{"password":"p","username":"u"}}"#.into()
            ),
            Some(
                r#"{"properties":{"password":"p","username":"u"},"type":"Credentials/v1"}"#.into()
            ),
            Some("{}".into()),
            None,
            None,
        ]
    );
    assert_eq!(client.credentials_form(), CredentialsForm::Typed);
}

/// A v0.0.11 to v0.0.15 plugin refuses typed credentials with one of Go's 401 texts: the
/// request is sent once more with the flat map, and the flat map is used from then on. Other
/// 401s are answers, not retried.
#[tokio::test]
async fn a_plugin_that_cannot_read_typed_credentials_gets_the_flat_map_once_asked() {
    use ocm_plugin_runtime::CredentialsForm;
    for refusal in [
        "incorrect authentication header format: json: cannot unmarshal object into Go value of type string\n",
        "failed to marshal credentials: json: cannot unmarshal object\n",
    ] {
        let server = TestServer::unix(move |seen| {
            let auth = seen
                .headers
                .get("authorization")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            if auth.contains("properties") {
                (401, refusal.as_bytes().to_vec())
            } else {
                (200, b"[\"v1\"]".to_vec())
            }
        })
        .await;
        let client = PluginClient::with_credentials_form(
            "p",
            server.endpoint.clone(),
            CredentialsForm::Typed,
        );
        for _ in 0..2 {
            let body = client
                .call(
                    &cvr::LIST_COMPONENT_VERSIONS,
                    &[("name", "c")],
                    Some(&creds()),
                    None,
                )
                .await
                .unwrap();
            assert_eq!(&body[..], b"[\"v1\"]");
        }
        let auths: Vec<String> = server
            .requests()
            .iter()
            .map(|s| s.headers["authorization"].to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            auths,
            [
                r#"{"type":"Credentials/v1","properties":{"password":"p","username":"u"}}"#,
                r#"{"password":"p","username":"u"}"#,
                r#"{"password":"p","username":"u"}"#,
            ],
            "{refusal}"
        );
        assert_eq!(client.credentials_form(), CredentialsForm::Flat);
    }

    // A 401 for another reason is the plugin's answer: no retry, still typed.
    let server = TestServer::unix(|_| (401, b"wrong password\n".to_vec())).await;
    let client =
        PluginClient::with_credentials_form("p", server.endpoint.clone(), CredentialsForm::Typed);
    let err = client
        .call(
            &cvr::LIST_COMPONENT_VERSIONS,
            &[("name", "c")],
            Some(&creds()),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Status { status: 401, .. }), "{err}");
    assert_eq!(server.requests().len(), 1);
    assert_eq!(client.credentials_form(), CredentialsForm::Typed);
}

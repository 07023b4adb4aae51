//! Several types for one capability, factories and the plugin context.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use ocm_plugin_endpoints::component_version_repository as cvr;
use ocm_plugin_sdk::{Error, Plugin, PluginContext, types::JsonSchema};
use serde::Deserialize;

use crate::support::*;

fn two_types() -> axum::Router {
    let (a, b) = (Memory::tagged("a"), Memory::tagged("b"));
    Plugin::new("two")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "A/v1",
            JsonSchema::permissive(),
            move |_| Ok(a),
        ))
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "B/v1",
            JsonSchema::permissive(),
            move |_| Ok(b),
        ))
        .into_router(config())
        .unwrap()
}

#[tokio::test]
async fn dispatches_by_the_spec_type() {
    let router = two_types();
    for tag in ["a", "b"] {
        let typ = tag.to_uppercase();
        // POST bodies carry the spec.
        let req = request(
            &cvr::GET_IDENTITY,
            &[],
            &format!(r#"{{"type":{{"type":"{typ}/v1","baseUrl":"h"}}}}"#),
        );
        let body = send(&router, req).await.assert_json().to_owned();
        assert_eq!(
            body,
            format!(r#"{{"identity":{{"hostname":"h","type":"{tag}"}}}}"#)
        );
        // GETs may carry it as the `repository` query parameter.
        let repo = b64(&format!(r#"{{"type":"{typ}/v1"}}"#));
        let req = request(
            &cvr::GET_LOCAL_SOURCE,
            &[("name", "c"), ("version", "1"), ("repository", &repo)],
            "",
        );
        let body = send(&router, req).await.assert_json().to_owned();
        assert!(body.contains(&format!("/tmp/{tag}-source")), "{body}");
    }
}

#[tokio::test]
async fn ambiguous_or_unknown_types_are_400() {
    let router = two_types();
    // A Go manager's GET has no spec: ambiguous with two implementations.
    let req = request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "component")], "");
    send(&router, req).await.assert_text_error(
        400,
        "the request names no component version repository type, and this plugin serves several (A/v1, B/v1): send the repository spec\n",
    );
    let req = request(&cvr::CHECK_HEALTH, &[], r#"{"repository":{"type":"C/v1"}}"#);
    send(&router, req).await.assert_text_error(
        400,
        "this plugin serves no component version repository of type C/v1; it serves: A/v1, B/v1\n",
    );
    let req = request(&cvr::GET_IDENTITY, &[], r#"{"type":{"type":"C/v1"}}"#);
    send(&router, req).await.assert_text_error(
        400,
        "this plugin serves no capability of type C/v1; it serves: A/v1, B/v1\n",
    );
    let req = request(&cvr::GET_IDENTITY, &[], r#"{"type":null}"#);
    assert_eq!(send(&router, req).await.status.as_u16(), 400);
}

#[tokio::test]
async fn a_single_implementation_serves_specless_and_untyped_requests() {
    let router = router();
    let req = request(&cvr::GET_IDENTITY, &[], r#"{"type":{"baseUrl":"h"}}"#);
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"identity":{"hostname":"h","type":"memory"}}"#
    );
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Potatoes {
    maximum_number_of_potatoes: String,
}

#[test]
fn factories_get_the_config_and_run_only_when_serving() {
    let ran = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(std::sync::Mutex::new(None));
    let plugin = {
        let (ran, seen) = (Arc::clone(&ran), Arc::clone(&seen));
        Plugin::new("cfg").config_type("custom.config/v1").register(
            ocm_plugin_sdk::component_version_repository::untyped(
                "Memory/v1",
                JsonSchema::permissive(),
                move |ctx: &PluginContext| {
                    ran.store(true, Ordering::SeqCst);
                    let potatoes: Option<Potatoes> =
                        ctx.config_entry(&"custom.config/v1".parse().unwrap())?;
                    *seen.lock().unwrap() = Some((ctx.config.id.clone(), potatoes));
                    Ok(Memory::tagged("cfg"))
                },
            ),
        )
    };
    let _ = plugin.capabilities_json();
    assert!(
        !ran.load(Ordering::SeqCst),
        "capabilities must not run factories"
    );
    let config = serde_json::from_str(
        r#"{"id":"cfg-1","type":"unix","configTypes":[{"type":"other/v1","maximumNumberOfPotatoes":"1"},{"maximumNumberOfPotatoes":"100","type":"custom.config/v1"}]}"#,
    )
    .unwrap();
    let _router = plugin.into_router(config).unwrap();
    assert!(ran.load(Ordering::SeqCst));
    let want = Potatoes {
        maximum_number_of_potatoes: "100".into(),
    };
    assert_eq!(
        *seen.lock().unwrap(),
        Some(("cfg-1".to_owned(), Some(want)))
    );
}

#[test]
fn config_entry_absent_and_malformed() {
    let ctx = PluginContext::new(config());
    let typ = "custom.config/v1".parse().unwrap();
    assert_eq!(ctx.config_entry::<Potatoes>(&typ).unwrap(), None);
    let ctx = PluginContext::new(
        serde_json::from_str(r#"{"id":"x","type":"tcp","configTypes":[{"type":"custom.config/v1","maximumNumberOfPotatoes":1}]}"#).unwrap(),
    );
    let err = ctx.config_entry::<Potatoes>(&typ).unwrap_err();
    assert!(matches!(err, Error::ConfigEntry { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("configuration entry of type custom.config/v1 cannot be decoded"),
        "{err}"
    );
}

#[test]
fn factory_errors_and_duplicate_types_stop_the_plugin() {
    let err = Plugin::new("bad")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "Memory/v1",
            JsonSchema::permissive(),
            |_| Err::<Memory, _>("no database".into()),
        ))
        .into_router(config())
        .unwrap_err();
    assert!(matches!(err, Error::Factory { .. }));
    assert_eq!(
        err.to_string(),
        "failed to set up componentVersionRepository Memory/v1: no database"
    );

    let err = Plugin::new("dup")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "Memory/v1",
            JsonSchema::permissive(),
            |_| Ok(Nothing),
        ))
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "Memory/v1",
            JsonSchema::permissive(),
            |_| Ok(Nothing),
        ))
        .into_router(config())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "componentVersionRepository type Memory/v1 is registered more than once"
    );
}

#[test]
fn a_panicking_factory_is_a_factory_error() {
    let err = Plugin::new("panics")
        .register(ocm_plugin_sdk::component_version_repository::untyped(
            "Memory/v1",
            JsonSchema::permissive(),
            |_| -> Result<Memory, _> { panic!("factory bug") },
        ))
        .into_router(config())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "failed to set up componentVersionRepository Memory/v1: the factory panicked"
    );
}

//! Several capabilities in one plugin (W5): one server, every route once, and `/identity`
//! dispatched by the declared type of the spec across all capabilities.

use ocm_plugin_endpoints::{
    blob_transformer, component_version_repository as cvr, digest_processor, input,
};
use ocm_plugin_sdk::{Plugin, PluginContext, types::JsonSchema};

use crate::{fakes::*, statuses::body, support::*};

/// Input `Fin/v1`, digest processor `Dig/v1`, blob transformer `Blob/v1`.
fn three(log: &Fake) -> axum::Router {
    let f = |tag| {
        let fake = Fake::sharing(tag, log);
        move |_: &PluginContext| Ok(fake)
    };
    Plugin::new("three")
        .register(ocm_plugin_sdk::input::untyped(
            typ("Fin/v1"),
            JsonSchema::permissive(),
            f("input"),
        ))
        .register(ocm_plugin_sdk::digest_processor::untyped(
            typ("Dig/v1"),
            JsonSchema::permissive(),
            f("digest"),
        ))
        .register(ocm_plugin_sdk::blob_transformer::untyped(
            typ("Blob/v1"),
            JsonSchema::permissive(),
            f("blob"),
        ))
        .into_router(config())
        .unwrap()
}

#[tokio::test]
async fn identity_goes_to_the_capability_serving_the_type() {
    let log = Fake::new("log");
    let router = three(&log);
    for (spec_type, tag) in [
        ("Blob/v1", "blob"),
        ("Fin/v1", "input"),
        ("Dig/v1", "digest"),
    ] {
        let req = request(
            &input::GET_IDENTITY,
            &[],
            &format!(r#"{{"type":{{"type":"{spec_type}","baseUrl":"x"}}}}"#),
        );
        assert_eq!(
            send(&router, req).await.assert_json(),
            format!(r#"{{"identity":{{"tag":"{tag}","type":"{spec_type}"}}}}"#)
        );
    }
    let ops: Vec<_> = log.calls().into_iter().map(|c| c.op).collect();
    assert_eq!(
        ops,
        [
            "blob_get_identity",
            "input_get_identity",
            "digest_get_identity"
        ]
    );
}

#[tokio::test]
async fn every_operation_route_is_served_by_one_server() {
    let router = three(&Fake::new("log"));
    for (route, typ) in [
        (&input::PROCESS_RESOURCE, "Fin/v1"),
        (&input::PROCESS_SOURCE, "Fin/v1"),
        (&digest_processor::PROCESS_RESOURCE_DIGEST, "Dig/v1"),
        (&blob_transformer::TRANSFORM_BLOB, "Blob/v1"),
    ] {
        send(&router, request(route, &[], &body(route, typ, "ok")))
            .await
            .assert_json();
    }
}

#[tokio::test]
async fn identity_without_a_spec_is_400() {
    let router = three(&Fake::new("log"));
    for bad in [r#"{"type":null}"#, "{}", r#"{"typed":{"type":"Fin/v1"}}"#] {
        send(&router, request(&input::GET_IDENTITY, &[], bad))
            .await
            .assert_text_error(
                400,
                "the identity request carries no spec: `type` must be the spec object whose identity is wanted, not null or missing; this plugin serves: Fin/v1, Dig/v1, Blob/v1\n",
            );
    }
    // Even when only one type is served: there is no spec to hand over.
    let single = Plugin::new("one")
        .register(ocm_plugin_sdk::digest_processor::untyped(
            typ("Dig/v1"),
            JsonSchema::permissive(),
            |_| Ok(Fake::new("digest")),
        ))
        .into_router(config())
        .unwrap();
    let answer = send(
        &single,
        request(&digest_processor::GET_IDENTITY, &[], r#"{"type":null}"#),
    )
    .await;
    assert_eq!(answer.status.as_u16(), 400, "{answer:?}");
    // A spec without a type: several types served, so it is ambiguous.
    send(&router, request(&input::GET_IDENTITY, &[], r#"{"type":{"baseUrl":"x"}}"#))
        .await
        .assert_text_error(
            400,
            "the request names no capability type, and this plugin serves several (Fin/v1, Dig/v1, Blob/v1): send the spec\n",
        );
    // ... but with one type it is that one's (as for component version repositories).
    let answer = send(
        &single,
        request(
            &digest_processor::GET_IDENTITY,
            &[],
            r#"{"type":{"baseUrl":"x"}}"#,
        ),
    )
    .await;
    assert_eq!(
        answer.assert_json(),
        r#"{"identity":{"tag":"digest","type":""}}"#
    );
}

#[tokio::test]
async fn the_first_registered_capability_answers_identity_for_a_shared_type() {
    let same = |first_input: bool| {
        let (i, b) = (Fake::new("input"), Fake::new("blob"));
        let plugin = Plugin::new("same");
        let plugin = if first_input {
            plugin
                .register(ocm_plugin_sdk::input::untyped(
                    typ("Same/v1"),
                    JsonSchema::permissive(),
                    move |_| Ok(i),
                ))
                .register(ocm_plugin_sdk::blob_transformer::untyped(
                    typ("Same/v1"),
                    JsonSchema::permissive(),
                    move |_| Ok(b),
                ))
        } else {
            plugin
                .register(ocm_plugin_sdk::blob_transformer::untyped(
                    typ("Same/v1"),
                    JsonSchema::permissive(),
                    move |_| Ok(b),
                ))
                .register(ocm_plugin_sdk::input::untyped(
                    typ("Same/v1"),
                    JsonSchema::permissive(),
                    move |_| Ok(i),
                ))
        };
        plugin.into_router(config()).unwrap()
    };
    for (first_input, tag) in [(true, "input"), (false, "blob")] {
        let router = same(first_input);
        let req = request(&input::GET_IDENTITY, &[], r#"{"type":{"type":"Same/v1"}}"#);
        assert_eq!(
            send(&router, req).await.assert_json(),
            format!(r#"{{"identity":{{"tag":"{tag}","type":"Same/v1"}}}}"#)
        );
        // The operation routes still reach both.
        let req = request(
            &blob_transformer::TRANSFORM_BLOB,
            &[],
            &body(&blob_transformer::TRANSFORM_BLOB, "Same/v1", "ok"),
        );
        assert!(send(&router, req).await.assert_json().contains("-by-blob"));
        let req = request(
            &input::PROCESS_RESOURCE,
            &[],
            &body(&input::PROCESS_RESOURCE, "Same/v1", "ok"),
        );
        assert!(
            send(&router, req)
                .await
                .assert_json()
                .contains("/tmp/input-resource")
        );
    }
}

#[tokio::test]
async fn all_six_capabilities_in_one_plugin() {
    let log = Fake::new("log");
    let memory = Memory::tagged("cv");
    let router = fakes_plus_cv(&log, memory).into_router(config()).unwrap();
    // The component version repository's routes and identity work next to the others'.
    let req = request(&cvr::LIST_COMPONENT_VERSIONS, &[("name", "component")], "");
    assert_eq!(send(&router, req).await.assert_json(), r#"["1.0.0"]"#);
    let req = request(
        &cvr::GET_IDENTITY,
        &[],
        r#"{"type":{"type":"Memory/v1","baseUrl":"h"}}"#,
    );
    assert_eq!(
        send(&router, req).await.assert_json(),
        r#"{"identity":{"hostname":"h","type":"cv"}}"#
    );
    for (typ, tag) in [
        (VAULT, "credential"),
        (INPUT, "input"),
        (TRANSFORMER, "blob"),
    ] {
        let req = request(
            &input::GET_IDENTITY,
            &[],
            &body(&input::GET_IDENTITY, typ, "ok"),
        );
        assert!(
            send(&router, req)
                .await
                .assert_json()
                .contains(&format!(r#""tag":"{tag}""#)),
            "{typ}"
        );
    }
}

fn fakes_plus_cv(log: &Fake, memory: Memory) -> Plugin {
    five_plugin(log).register(ocm_plugin_sdk::component_version_repository::untyped(
        typ("Memory/v1"),
        JsonSchema::permissive(),
        move |_| Ok(memory),
    ))
}

#[test]
fn the_multi_capability_document_lists_every_key_sorted() {
    let plugin = fakes_plus_cv(&Fake::new("log"), Memory::tagged("cv"));
    assert_eq!(
        plugin.capabilities_json(),
        crate::support::dual(
            r#"{"types":{"blobTransformer":[{"type":"FakeTransformer/v1","jsonSchema":"e30="}],"componentVersionRepository":[{"type":"Memory/v1","jsonSchema":"e30="}],"credentialRepository":[{"type":"FakeConsumer/v1","jsonSchema":"e30="},{"type":"FakeVault/v1","jsonSchema":"e30="}],"digestProcessorRepository":[{"type":"FakeDigestAccess/v1","jsonSchema":"e30="}],"inputRepository":[{"type":"FakeInput/v1","jsonSchema":"e30="}],"resourceRepository":[{"type":"FakeResourceAccess/v1","jsonSchema":"e30="}]}}"#,
            // One entry per kind, in registration order, keys sorted inside each.
            r#"{"capabilities":[{"supportedConsumerIdentityTypes":[{"aliases":null,"jsonSchema":null,"type":"FakeConsumer/v1"}],"supportedCredentialRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"FakeVault/v1"}],"type":"credentialRepository"},{"supportedInputTypes":[{"aliases":null,"jsonSchema":"e30=","type":"FakeInput/v1"}],"type":"inputRepository"},{"supportedAccessTypes":[{"aliases":null,"jsonSchema":"e30=","type":"FakeDigestAccess/v1"}],"type":"digestProcessorRepository"},{"supportedAccessTypes":[{"aliases":null,"jsonSchema":"e30=","type":"FakeResourceAccess/v1"}],"type":"resourceRepository"},{"supportedTransformerSpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"FakeTransformer/v1"}],"type":"blobTransformer"},{"supportedRepositorySpecTypes":[{"aliases":null,"jsonSchema":"e30=","type":"Memory/v1"}],"type":"componentVersionRepository"}]}"#,
        )
    );
}

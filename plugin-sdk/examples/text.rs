//! An input method that turns `{"type":"Text/v1","text":"…"}` into a blob: the whole plugin.
use ocm_plugin_sdk::{Plugin, TypedSpec, async_trait, contracts::Result, input::*, schemars};

/// Text that becomes the resource's content.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "ocm_plugin_sdk::schemars")]
#[serde(rename_all = "camelCase")]
struct TextSpec {
    /// The text to store.
    text: String,
    /// Its media type; `text/plain` if not given.
    media_type: Option<String>,
}

impl TypedSpec for TextSpec {
    const TYPE: &'static str = "Text/v1";
}

struct Text;

#[async_trait]
impl InputMethod for Text {
    type Spec = TextSpec;

    async fn process_resource(
        &self,
        spec: TextSpec,
        request: ProcessResourceRequest,
        _: &Credentials,
    ) -> Result<ProcessResourceResponse> {
        let media_type = spec.media_type.as_deref().unwrap_or("text/plain");
        let blob = LocalBlob::from_bytes(spec.text, Some(media_type)).await?;
        resource_answer(request.resource, blob)
    }
}

fn main() -> std::process::ExitCode {
    Plugin::new("text").register(typed(|_| Ok(Text))).run()
}

/// Called in process as a manager calls it.
#[cfg(test)]
mod tests {
    use super::*;
    use ocm_plugin_sdk::contracts::input::v1::InputMethod as _;
    use ocm_plugin_sdk::testing::{TestClient, block_on};
    use ocm_plugin_sdk::types::Raw;

    #[test]
    fn turns_text_into_a_local_blob() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let plugin = Plugin::new("text").register(typed(|_| Ok(Text)));
        let input = TestClient::new(plugin, Vec::new())?.traits();
        let resource = ConstructorResource {
            name: "greeting".into(),
            version: "1.0.0".into(),
            resource_type: "plainText".into(),
            input: Some(Raw::from_json(r#"{"type":"Text/v1","text":"hello"}"#)?),
            ..ConstructorResource::default()
        };
        let request = ProcessResourceRequest { resource };
        let answer = block_on(input.process_resource(request, &Credentials::new()))??;
        assert_eq!(std::fs::read_to_string(&answer.location.value)?, "hello");
        std::fs::remove_file(&answer.location.value)?;
        assert_eq!(answer.location.media_type.as_deref(), Some("text/plain"));
        let digest = answer.resource.digest.ok_or("no digest")?;
        // sha256("hello")
        assert!(
            digest.value.starts_with("2cf24dba5fb0a30e"),
            "{}",
            digest.value
        );
        let access = answer.resource.access.ok_or("no access")?;
        assert_eq!(
            access.get("localReference"),
            Some(&format!("sha256:{}", digest.value).into())
        );

        // A spec without `text` never reaches the implementation: 400 naming the property.
        let resource = ConstructorResource {
            name: "greeting".into(),
            input: Some(Raw::from_json(r#"{"type":"Text/v1"}"#)?),
            ..ConstructorResource::default()
        };
        let refused = block_on(
            input.process_resource(ProcessResourceRequest { resource }, &Credentials::new()),
        )?;
        let Err(e) = refused else {
            return Err("a spec without `text` was accepted".into());
        };
        assert!(
            e.to_string().contains("\"text\" is a required property"),
            "{e}"
        );
        Ok(())
    }
}

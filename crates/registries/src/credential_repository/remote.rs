//! The remote client: the contract trait implemented by HTTP calls to an external plugin.

use ocm_plugin_contracts::{
    Result, async_trait,
    credential_repository::v1::{
        ConsumerIdentityForConfigRequest, CredentialRepository, GetIdentityRequest,
        GetIdentityResponse, ResolveRequest,
    },
};
use ocm_plugin_endpoints::credential_repository as routes;
use ocm_plugin_types::{Credentials, Identity, Raw};
use serde_json::Value;

use super::CAPABILITY;
use crate::ExternalPlugin;

/// A credential repository served by an external plugin. When it was looked up by config
/// ([`Registry::get`](super::Registry::get)) it is bound to that config; when looked up by
/// consumer identity it is not. Either way each request's `config` is validated against the
/// plugin's schema for the config's type before anything is sent.
#[derive(Debug, Clone)]
pub struct RemoteCredentialRepository {
    plugin: ExternalPlugin,
    config: Option<Raw>,
}

impl RemoteCredentialRepository {
    pub(crate) fn new(plugin: ExternalPlugin, config: Option<Raw>) -> Self {
        Self { plugin, config }
    }

    /// The plugin behind this handle.
    pub fn plugin(&self) -> &ExternalPlugin {
        &self.plugin
    }
}

/// The `/resolve` answer as a flat map. v0.0.1–v0.0.15 plugins answer a flat string map;
/// v0.0.16+ a typed object `{"type": …, "properties": {…}}`, whose properties are taken
/// (spec §10.4, §10.6). Non-string values become their JSON text; `null` is no credentials.
fn flatten_credentials(answer: Value) -> std::result::Result<Credentials, String> {
    let mut object = match answer {
        Value::Null => return Ok(Credentials::new()),
        Value::Object(object) => object,
        other => return Err(format!("expected a credentials object, got {other}")),
    };
    let entries = match object.remove("properties") {
        Some(Value::Object(properties)) => properties,
        Some(other) => {
            object.insert("properties".into(), other);
            object
        }
        None => object,
    };
    Ok(entries
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k, s),
            other => (k, other.to_string()),
        })
        .collect())
}

#[async_trait]
impl CredentialRepository for RemoteCredentialRepository {
    async fn consumer_identity_for_config(
        &self,
        request: ConsumerIdentityForConfigRequest,
    ) -> Result<Identity> {
        self.plugin
            .check(CAPABILITY, self.config.as_ref(), &request.config)?;
        // A bare identity map; a Go plugin returning nil answers `null`.
        let identity: Option<Identity> = self
            .plugin
            .post(&routes::CONSUMER_IDENTITY, &request, None)
            .await?;
        Ok(identity.unwrap_or_default())
    }

    async fn resolve(
        &self,
        request: ResolveRequest,
        credentials: &Credentials,
    ) -> Result<Credentials> {
        let route = &routes::RESOLVE;
        self.plugin
            .check(CAPABILITY, self.config.as_ref(), &request.config)?;
        let answer: Value = self.plugin.post(route, &request, Some(credentials)).await?;
        flatten_credentials(answer)
            .map_err(|problem| self.plugin.invalid_response(CAPABILITY, route, problem))
    }

    /// Our extension: Go SDK credential plugins answer 404 (`NotFound`).
    async fn get_identity(&self, request: GetIdentityRequest) -> Result<GetIdentityResponse> {
        self.plugin
            .get_identity(
                CAPABILITY,
                &routes::GET_IDENTITY,
                self.config.as_ref(),
                &request,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::flatten_credentials;

    #[test]
    fn flat_and_typed_answers_flatten() {
        let flat = flatten_credentials(json!({"username": "u", "password": "p"})).unwrap();
        assert_eq!(flat["username"], "u");
        assert_eq!(flat["password"], "p");
        let typed = flatten_credentials(
            json!({"type": "Credentials/v1", "properties": {"username": "u", "port": 5}}),
        )
        .unwrap();
        assert_eq!(typed.len(), 2);
        assert_eq!(typed["username"], "u");
        assert_eq!(typed["port"], "5");
        // `properties` that is not an object is just a credential.
        let odd = flatten_credentials(json!({"properties": "x"})).unwrap();
        assert_eq!(odd["properties"], "x");
        assert!(flatten_credentials(json!(null)).unwrap().is_empty());
        assert!(flatten_credentials(json!(["u"])).is_err());
    }
}

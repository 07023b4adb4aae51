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

/// The `/resolve` answer. v0.0.1–v0.0.15 plugins answer a flat string map; v0.0.16+ a typed
/// object `{"type": …, "properties": {…}}`, kept typed (spec §10.4, §10.6). Non-string values
/// become their JSON text; `null` is no credentials.
fn read_credentials(answer: Value) -> std::result::Result<Credentials, String> {
    let mut object = match answer {
        Value::Null => return Ok(Credentials::new()),
        Value::Object(object) => object,
        other => return Err(format!("expected a credentials object, got {other}")),
    };
    let (typ, entries) = match object.remove("properties") {
        Some(Value::Object(properties)) => {
            let typ = object
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_owned);
            (typ, properties)
        }
        Some(other) => {
            object.insert("properties".into(), other);
            (None, object)
        }
        None => (None, object),
    };
    let properties = entries.into_iter().map(|(k, v)| match v {
        Value::String(s) => (k, s),
        other => (k, other.to_string()),
    });
    Ok(match typ {
        Some(typ) => Credentials::typed(typ, properties),
        None => properties.collect(),
    })
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
        read_credentials(answer)
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

    use super::read_credentials;

    #[test]
    fn flat_and_typed_answers_are_read() {
        let flat = read_credentials(json!({"username": "u", "password": "p"})).unwrap();
        assert_eq!(flat["username"], "u");
        assert_eq!(flat["password"], "p");
        let typed = read_credentials(
            json!({"type": "Credentials/v1", "properties": {"username": "u", "port": 5}}),
        )
        .unwrap();
        assert_eq!(typed.len(), 2);
        assert_eq!(typed["username"], "u");
        assert_eq!(typed["port"], "5");
        // The type is kept: hosts see which kind of credentials a plugin resolved.
        assert_eq!(typed.credential_type(), Some("Credentials/v1"));
        assert_eq!(flat.credential_type(), None);
        // `properties` that is not an object is just a credential.
        let odd = read_credentials(json!({"properties": "x"})).unwrap();
        assert_eq!(odd["properties"], "x");
        assert!(read_credentials(json!(null)).unwrap().is_empty());
        assert!(read_credentials(json!(["u"])).is_err());
    }
}

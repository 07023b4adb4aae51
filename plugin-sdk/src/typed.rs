//! Typed specs: a Rust type per spec type, its JSON schema derived, its values decoded.
//!
//! A plugin author describes a spec as a struct that derives [`serde::Deserialize`] and
//! [`schemars::JsonSchema`] and names its type in [`TypedSpec::TYPE`]. The SDK then
//!
//! * derives the JSON schema (draft 2020-12) for the capabilities document, so managers check
//!   specs before they call;
//! * checks every incoming spec against it as well (a spec that fails is a 400 naming the path
//!   and the rule), so an implementation only sees valid specs;
//! * decodes the spec for the implementation with [`SpecExt::decode_spec`].
//!
//! The derive needs `#[schemars(crate = "ocm_plugin_sdk::schemars")]` when the plugin does not
//! depend on `schemars` itself.

use ocm_plugin_contracts::Error as ContractError;
use ocm_plugin_types::{JsonSchema, Raw, Type};
use serde::de::DeserializeOwned;

use crate::{Error, Result};

/// A spec type as a Rust type.
///
/// ```
/// use ocm_plugin_sdk::{TypedSpec, schemars};
///
/// /// `{"type":"Memory/v1","name":"cache"}`
/// #[derive(serde::Deserialize, schemars::JsonSchema)]
/// #[schemars(crate = "ocm_plugin_sdk::schemars")]
/// #[serde(deny_unknown_fields)]
/// struct MemorySpec {
///     r#type: String,
///     /// Which in-memory store.
///     name: String,
/// }
///
/// impl TypedSpec for MemorySpec {
///     const TYPE: &'static str = "Memory/v1";
/// }
///
/// let (typ, schema) = MemorySpec::declaration()?;
/// assert_eq!(typ.to_string(), "Memory/v1");
/// let schema: serde_json::Value = serde_json::from_slice(&schema.0)?;
/// assert_eq!(schema["required"], serde_json::json!(["type", "name"]));
/// assert_eq!(schema["additionalProperties"], false);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait TypedSpec: DeserializeOwned + schemars::JsonSchema {
    /// The spec type, `Name/Version`, e.g. `Memory/v1`.
    const TYPE: &'static str;

    /// The type and the derived JSON schema (draft 2020-12), as the builder methods of
    /// [`Plugin`](crate::Plugin) take them.
    fn declaration() -> Result<(Type, JsonSchema)> {
        let typ: Type = Self::TYPE.parse().map_err(|source| Error::TypedSpec {
            spec: Self::TYPE,
            reason: format!("`TYPE` is not a type: {source}"),
        })?;
        let schema =
            schemars::SchemaGenerator::new(schemars::generate::SchemaSettings::draft2020_12())
                .into_root_schema_for::<Self>();
        let bytes = serde_json::to_vec(&schema).map_err(|e| Error::TypedSpec {
            spec: Self::TYPE,
            reason: format!("the derived schema does not serialise: {e}"),
        })?;
        Ok((typ, JsonSchema(bytes)))
    }
}

/// Decoding a request's spec into its [`TypedSpec`].
pub trait SpecExt {
    /// The spec as `T`; a spec that does not decode is [`ContractError::InvalidArgument`]
    /// naming the type and the field. The SDK checked the spec against `T`'s schema before the
    /// implementation was called, so this fails only for specs the schema lets through but the
    /// type does not (or a request that carries no spec).
    fn decode_spec<T: TypedSpec>(&self) -> ocm_plugin_contracts::Result<T>;
}

impl SpecExt for Raw {
    fn decode_spec<T: TypedSpec>(&self) -> ocm_plugin_contracts::Result<T> {
        self.decode()
            .map_err(|e| ContractError::InvalidArgument(format!("invalid {} spec: {e}", T::TYPE)))
    }
}

impl SpecExt for Option<Raw> {
    fn decode_spec<T: TypedSpec>(&self) -> ocm_plugin_contracts::Result<T> {
        match self {
            Some(spec) => spec.decode_spec(),
            None => Err(ContractError::InvalidArgument(format!(
                "the request carries no {} spec (Go managers send none on reads: take it from \
                 the plugin configuration)",
                T::TYPE
            ))),
        }
    }
}

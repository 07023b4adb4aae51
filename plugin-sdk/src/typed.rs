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

    /// Other names of the type (`Memory`, `memory/v1`), declared with it: specs carrying an
    /// alias reach the same implementation (see [`Registration::aliases`](crate::Registration::aliases)).
    const ALIASES: &'static [&'static str] = &[];

    /// [`Self::ALIASES`] parsed; one that is not a type is an error naming it.
    fn declared_aliases() -> Result<Vec<Type>> {
        Self::ALIASES
            .iter()
            .map(|alias| {
                alias.parse().map_err(|source| Error::TypedSpec {
                    spec: Self::TYPE,
                    reason: format!("alias {alias:?} is not a type: {source}"),
                })
            })
            .collect()
    }

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
        admits_own_type(Self::TYPE, &bytes).map_err(|reason| Error::TypedSpec {
            spec: Self::TYPE,
            reason,
        })?;
        Ok((typ, JsonSchema(bytes)))
    }
}

/// Whether a derived schema lets a spec carry its own `type` field with the value `typ`. Every
/// spec has one, so a schema that refuses it refuses every spec: a struct without a `type`
/// field under `deny_unknown_fields`, or one whose `type` field is not a string. Better said at
/// declaration than as a 400 on every request.
fn admits_own_type(typ: &str, schema: &[u8]) -> std::result::Result<(), String> {
    const FIX: &str = "give the struct a `type` field (`r#type: String`, or \
        `#[serde(rename = \"type\")] _type: String`)";
    let root: serde_json::Value = serde_json::from_slice(schema)
        .map_err(|e| format!("the derived schema is not JSON: {e}"))?;
    let declared = root
        .get("properties")
        .and_then(|p| p.as_object())
        .is_some_and(|p| p.contains_key("type"));
    let closed = root.get("additionalProperties") == Some(&serde_json::Value::Bool(false))
        || root.get("unevaluatedProperties") == Some(&serde_json::Value::Bool(false));
    if closed && !declared {
        return Err(format!(
            "its schema refuses every spec: it does not allow the spec's own `type` field; {FIX}"
        ));
    }
    let validator = ocm_plugin_endpoints::SchemaValidator::compile(schema)
        .map_err(|e| format!("the derived schema does not compile: {e}"))?;
    let problems = validator
        .problems_at(&serde_json::json!({ "type": typ }), "/type")
        .map_err(|e| format!("the derived schema does not compile: {e}"))?;
    if let Some(problem) = problems.first() {
        return Err(format!(
            "its schema refuses every spec: the `type` field does not admit {typ:?} ({}); {FIX}",
            problem.message
        ));
    }
    Ok(())
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
        decode(self.as_ref())
    }
}

/// What requests carry: `ConstructorResource::spec()` and the like.
impl SpecExt for Option<&Raw> {
    fn decode_spec<T: TypedSpec>(&self) -> ocm_plugin_contracts::Result<T> {
        decode(*self)
    }
}

/// The spec a request carries as `T`; no spec is [`ContractError::InvalidArgument`].
pub(crate) fn decode<T: TypedSpec>(spec: Option<&Raw>) -> ocm_plugin_contracts::Result<T> {
    match spec {
        Some(spec) => spec.decode_spec(),
        None => Err(ContractError::InvalidArgument(format!(
            "the request carries no {} spec",
            T::TYPE
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{"type":…}` under `deny_unknown_fields` without a `type` field: refused at declaration.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct NoType {
        path: String,
    }

    impl TypedSpec for NoType {
        const TYPE: &'static str = "NoType/v1";
    }

    /// A `type` field that cannot hold a string.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct NumericType {
        r#type: u32,
    }

    impl TypedSpec for NumericType {
        const TYPE: &'static str = "Numeric/v1";
    }

    /// Open to other fields: its own `type` passes, as it always did.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Open {
        path: Option<String>,
    }

    impl TypedSpec for Open {
        const TYPE: &'static str = "Open/v1";
    }

    #[test]
    fn a_schema_that_refuses_its_own_type_is_refused_at_declaration() {
        let Err(e) = NoType::declaration() else {
            panic!("a schema without `type` under deny_unknown_fields was accepted");
        };
        let text = e.to_string();
        assert!(text.contains("NoType/v1"), "{text}");
        assert!(
            text.contains("does not allow the spec's own `type` field"),
            "{text}"
        );
        assert!(text.contains("r#type: String"), "{text}");

        let Err(e) = NumericType::declaration() else {
            panic!("a numeric `type` field was accepted");
        };
        assert!(
            e.to_string()
                .contains("the `type` field does not admit \"Numeric/v1\""),
            "{e}"
        );
        assert!(Open::declaration().is_ok());
    }

    struct Repo;
    impl ocm_plugin_contracts::component_version_repository::v1::ComponentVersionRepository for Repo {}

    struct TypedRepo;
    #[ocm_plugin_contracts::async_trait]
    impl crate::component_version_repository::ComponentVersionRepository for TypedRepo {
        type Spec = NoType;
    }

    /// Aliases declared with a typed spec, and given to its registration, go with it.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Aliased {
        r#type: String,
    }

    impl TypedSpec for Aliased {
        const TYPE: &'static str = "Aliased/v1";
        const ALIASES: &'static [&'static str] = &["Aliased", "aliased/v1"];
    }

    struct AliasedRepo;
    #[ocm_plugin_contracts::async_trait]
    impl crate::component_version_repository::ComponentVersionRepository for AliasedRepo {
        type Spec = Aliased;
    }

    #[test]
    fn a_typed_spec_declares_its_aliases() -> std::result::Result<(), Box<dyn std::error::Error>> {
        let plugin = crate::Plugin::new("p").register(
            crate::component_version_repository::typed(|_| Ok(AliasedRepo)).aliases(["More/v1"]),
        );
        let json = plugin.capabilities_document()?;
        assert!(
            json.contains(r#""aliases":["Aliased","aliased/v1","More/v1"]"#),
            "{json}"
        );
        Ok(())
    }

    /// An alias that is not a type is refused at declaration, naming it.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[allow(dead_code)]
    struct BadAlias {
        r#type: String,
    }

    impl TypedSpec for BadAlias {
        const TYPE: &'static str = "BadAlias/v1";
        const ALIASES: &'static [&'static str] = &["a/b/c"];
    }

    #[test]
    fn an_alias_that_is_not_a_type_is_refused() {
        let Err(e) = BadAlias::declared_aliases() else {
            panic!("a malformed alias was accepted");
        };
        assert!(
            e.to_string().contains(r#"alias "a/b/c" is not a type"#),
            "{e}"
        );
    }

    /// Aliases after a typed declaration that failed go with it, not to the type before.
    #[test]
    fn aliases_after_a_failed_declaration_attach_to_nothing()
    -> std::result::Result<(), Box<dyn std::error::Error>> {
        let plugin = crate::Plugin::new("p")
            .register(crate::component_version_repository::untyped(
                "Good/v1",
                JsonSchema::permissive(),
                |_| Ok(Repo),
            ))
            .register(
                crate::component_version_repository::typed(|_| Ok(TypedRepo)).aliases(["Meant/v1"]),
            );
        assert!(plugin.registrations.iter().all(|r| r.aliases.is_empty()));
        let Err(e) = plugin.check() else {
            panic!("a failed declaration must stop the plugin");
        };
        assert!(e.to_string().contains("NoType/v1"), "{e}");
        Ok(())
    }
}

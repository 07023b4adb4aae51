use std::sync::Arc;

use jsonschema::Validator;
use serde_json::Value;

/// A JSON schema a plugin declared for a type, compiled once and shared: the manager checks
/// specs against it before it sends them, and the SDK before it hands them to an
/// implementation.
///
/// **Draft:** JSON Schema draft 2020-12, unless the schema's `$schema` names another draft
/// (4, 6, 7 and 2019-09 are understood). Remote `$ref`s are never fetched: a schema that needs
/// one fails to compile.
///
/// Go recompiles the schema on every call; compiling costs tens of microseconds while
/// validating costs tens of nanoseconds, so callers compile at registration and keep this
/// (`Clone` is an `Arc` clone). Draft 2020-12 is the default (the `$schema` keyword may choose
/// another); remote `$ref`s are never fetched: a schema that needs one fails to compile.
#[derive(Clone)]
pub struct SchemaValidator {
    inner: Arc<Validator>,
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaValidator").finish_non_exhaustive()
    }
}

impl SchemaValidator {
    /// Compiles schema bytes. Empty bytes (Go: `EOF`), malformed JSON and invalid schemas are
    /// errors carrying a readable message.
    pub fn compile(schema: &[u8]) -> Result<Self, String> {
        if schema.iter().all(u8::is_ascii_whitespace) {
            return Err("empty JSON schema: EOF".to_owned());
        }
        let value: Value = serde_json::from_slice(schema)
            .map_err(|e| format!("JSON schema is not valid JSON: {e}"))?;
        // Draft 2020-12 unless `$schema` says otherwise; no retriever, so no remote `$ref`.
        let validator = jsonschema::options()
            .build(&value)
            .map_err(|e| format!("invalid JSON schema: {e}"))?;
        Ok(Self {
            inner: Arc::new(validator),
        })
    }

    /// Checks an instance. The error lists every failing instance path with its message, e.g.
    /// `jsonschema validation failed: at '': "baseUrl" is a required property`.
    ///
    /// A JSON string instance is always invalid: the Go manager refuses to validate (and so
    /// to send) specs that are bare strings.
    pub fn validate(&self, instance: &Value) -> Result<(), String> {
        if instance.is_string() {
            return Err(
                "jsonschema validation failed: the instance is a JSON string, not a typed object"
                    .to_owned(),
            );
        }
        if self.inner.is_valid(instance) {
            return Ok(());
        }
        let problems: Vec<String> = self
            .inner
            .iter_errors(instance)
            .map(|e| format!("at '{}': {e}", e.instance_path()))
            .collect();
        Err(format!(
            "jsonschema validation failed: {}",
            problems.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests;

use std::sync::Arc;

use jsonschema::Validator;
use serde_json::Value;

/// A JSON schema a plugin declared for a type, compiled once and shared.
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

    /// [`validate`](Self::validate) as the check before a call: a failure is
    /// [`Error::Validation`](crate::Error::Validation) naming the plugin and the operation, and
    /// the request must not be sent.
    pub fn check(&self, plugin_id: &str, operation: &str, instance: &Value) -> crate::Result<()> {
        self.validate(instance)
            .map_err(|message| crate::Error::Validation {
                plugin_id: plugin_id.to_owned(),
                operation: operation.to_owned(),
                message,
            })
    }
}

#[cfg(test)]
mod tests;

use std::sync::{Arc, OnceLock};

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
/// **Two engines.** A schema within the part of draft 2020-12 that specs use (what `schemars`
/// derives and what OCM's Go plugins declare: types, properties, bounds, simple patterns,
/// local `$ref`s, combinators) is checked by a small validator of this crate; any other by the
/// `jsonschema` crate. Why: `jsonschema` first checks a schema against the draft's
/// meta-schema, and preparing that costs about 2 ms the first time in a process, most of a
/// plugin's cold start. Both accept the same instances (a differential test holds them to
/// it); messages always come from `jsonschema`, compiled on the first rejected instance.
///
/// Go recompiles the schema on every call; compiling costs tens of microseconds while
/// validating costs tens of nanoseconds, so callers compile at registration and keep this
/// (`Clone` is an `Arc` clone).
#[derive(Clone)]
pub struct SchemaValidator {
    inner: Arc<Compiled>,
}

/// The schema's bytes and, once compiled, the engines.
struct Compiled {
    /// The schema as declared: compiled from on first use when deferred, and read again on the
    /// error path to name what an object allows.
    schema: Vec<u8>,
    /// The light engine, or `None` when the schema is outside what it understands (or is not
    /// JSON: the full engine then reports why).
    light: OnceLock<Option<light::Light>>,
    /// The `jsonschema` validator: built at once for schemas the light engine does not
    /// understand, and on the first rejected instance for the others (for its messages).
    full: OnceLock<Result<Validator, SchemaError>>,
}

/// Why a schema could not be used or an instance did not satisfy it. Typed, so that a caller
/// can tell a broken schema from a rejected spec and list the problems without parsing text;
/// the `Display` text is the one callers showed before (Go's wording where it has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema itself is unusable: empty, not JSON, or not a valid schema (a remote `$ref`
    /// included).
    #[error("{message}")]
    Invalid {
        /// What is wrong with it, e.g. `empty JSON schema: EOF`.
        message: String,
    },
    /// The instance is a JSON string: the Go manager refuses to validate (and so to send) a
    /// spec that is a bare string.
    #[error("jsonschema validation failed: the instance is a JSON string, not a typed object")]
    StringInstance,
    /// The instance does not satisfy the schema; every failure is listed.
    #[error("jsonschema validation failed: {}", join(problems))]
    Rejected {
        /// Each failing place in the instance with its error.
        problems: Vec<Problem>,
    },
}

/// One place where an instance fails its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON pointer into the instance (`/flag`); empty for the instance itself.
    pub instance_path: String,
    /// The validator's message, e.g. `"baseUrl" is a required property`.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // An empty pointer (a missing or unexpected top-level property) reads better in words.
        if self.instance_path.is_empty() {
            write!(f, "at the spec's top level: {}", self.message)
        } else {
            write!(f, "at '{}': {}", self.instance_path, self.message)
        }
    }
}

fn join(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn invalid(message: String) -> SchemaError {
    SchemaError::Invalid { message }
}

impl Compiled {
    /// The light engine for `value`, or, outside its subset, `None` with the full one built
    /// from the same parse (its error kept for every later use).
    fn engines(&self, value: &Value) -> Option<light::Light> {
        let light = light::compile(value);
        if light.is_none() {
            let _ = self.full.set(build(value));
        }
        light
    }
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaValidator").finish_non_exhaustive()
    }
}

impl SchemaValidator {
    /// Compiles schema bytes. Empty bytes (Go: `EOF`), malformed JSON and invalid schemas are
    /// errors carrying a readable message.
    pub fn compile(schema: &[u8]) -> Result<Self, SchemaError> {
        let value = parse(schema)?;
        let compiled = Compiled {
            schema: schema.to_vec(),
            light: OnceLock::new(),
            full: OnceLock::new(),
        };
        let _ = compiled.light.set(compiled.engines(&value));
        if let Some(Err(e)) = compiled.full.get() {
            return Err(e.clone());
        }
        Ok(Self {
            inner: Arc::new(compiled),
        })
    }

    /// A validator compiled on its first use, for a schema that is known to compile (the
    /// manager's capability cache holds only documents whose schemas compiled when the plugin
    /// was probed). Registering fifty plugins from the cache then compiles nothing; a schema
    /// that fails after all fails each validation with the compile error.
    pub fn deferred(schema: &[u8]) -> Self {
        Self {
            inner: Arc::new(Compiled {
                schema: schema.to_vec(),
                light: OnceLock::new(),
                full: OnceLock::new(),
            }),
        }
    }

    /// Compiles now if that has not happened yet (a [`deferred`](Self::deferred) validator
    /// compiled ahead of its first use, on a thread where the time does not matter). The
    /// error is the compile error every validation would report.
    pub fn precompile(&self) -> Result<(), SchemaError> {
        match self.light() {
            Some(_) => Ok(()),
            None => self.full().map(drop),
        }
    }

    /// Whether the light engine checks this schema. One outside its subset costs about 2 ms
    /// of CPU the first time in a process (the meta-schema); plugin authors and tests can ask,
    /// for instance to keep a derived schema on the fast path.
    pub fn is_light(&self) -> bool {
        self.light().is_some()
    }

    fn light(&self) -> Option<&light::Light> {
        let compiled = &*self.inner;
        compiled
            .light
            .get_or_init(|| {
                parse(&compiled.schema)
                    .ok()
                    .and_then(|v| compiled.engines(&v))
            })
            .as_ref()
    }

    fn full(&self) -> Result<&Validator, SchemaError> {
        let compiled = &*self.inner;
        compiled
            .full
            .get_or_init(|| build(&parse(&compiled.schema)?))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Checks an instance. The error lists every failing instance path with its message, e.g.
    /// `jsonschema validation failed: at the spec's top level: "baseUrl" is a required property`.
    /// A property the schema does not allow is named with the ones it does
    /// (`Additional properties are not allowed ('bsaeUrl' was unexpected); allowed: baseUrl,
    /// subPath, type`).
    ///
    /// A JSON string instance is always invalid: the Go manager refuses to validate (and so
    /// to send) specs that are bare strings.
    pub fn validate(&self, instance: &Value) -> Result<(), SchemaError> {
        if instance.is_string() {
            return Err(SchemaError::StringInstance);
        }
        if self.light().is_some_and(|l| l.is_valid(instance)) {
            return Ok(());
        }
        let validator = self.full()?;
        // For a light schema this is the first word of the authority on a rejection.
        if validator.is_valid(instance) {
            return Ok(());
        }
        // Read again only now, on the error path, to name what an object allows.
        let schema: Option<Value> = serde_json::from_slice(&self.inner.schema).ok();
        let problems = validator
            .iter_errors(instance)
            .map(|e| {
                let mut message = e.to_string();
                if matches!(
                    e.kind(),
                    jsonschema::error::ValidationErrorKind::AdditionalProperties { .. }
                ) && let Some(allowed) = schema
                    .as_ref()
                    .and_then(|s| allowed_properties(s, e.schema_path().as_str()))
                {
                    message.push_str("; allowed: ");
                    message.push_str(&allowed);
                }
                Problem {
                    instance_path: e.instance_path().to_string(),
                    message,
                }
            })
            .collect();
        Err(SchemaError::Rejected { problems })
    }

    /// The problems of `instance` at `instance_path` (a JSON pointer, `/type`) only; empty
    /// when the instance fails nowhere there. Why: to ask whether a schema can admit one field
    /// (the SDK asks whether a spec's `type` field can hold the spec's type) without the cost
    /// of the full engine unless the answer is yes.
    pub fn problems_at(
        &self,
        instance: &Value,
        instance_path: &str,
    ) -> Result<Vec<Problem>, SchemaError> {
        if let Some(light) = self.light()
            && !light
                .failing_paths(instance)
                .iter()
                .any(|p| p == instance_path)
        {
            return Ok(Vec::new());
        }
        match self.validate(instance) {
            Ok(()) => Ok(Vec::new()),
            Err(SchemaError::Rejected { problems }) => Ok(problems
                .into_iter()
                .filter(|p| p.instance_path == instance_path)
                .collect()),
            Err(e) => Err(e),
        }
    }
}

/// The property names the object schema owning the `additionalProperties` keyword at
/// `keyword` (a JSON pointer into `schema`) declares, sorted and comma-separated; `None` when
/// it declares none or the pointer leads nowhere.
fn allowed_properties(schema: &Value, keyword: &str) -> Option<String> {
    let owner = keyword.strip_suffix("/additionalProperties")?;
    let properties = schema.pointer(owner)?.get("properties")?.as_object()?;
    let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
    if names.is_empty() {
        return None;
    }
    names.sort_unstable();
    Some(names.join(", "))
}

fn parse(schema: &[u8]) -> Result<Value, SchemaError> {
    if schema.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid("empty JSON schema: EOF".to_owned()));
    }
    serde_json::from_slice(schema)
        .map_err(|e| invalid(format!("JSON schema is not valid JSON: {e}")))
}

fn build(value: &Value) -> Result<Validator, SchemaError> {
    // Draft 2020-12 unless `$schema` says otherwise; no retriever, so no remote `$ref`.
    jsonschema::options()
        .build(value)
        .map_err(|e| invalid(format!("invalid JSON schema: {e}")))
}

mod light;

#[cfg(test)]
mod tests;

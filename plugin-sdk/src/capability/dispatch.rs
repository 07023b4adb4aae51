//! Choosing the implementation for a request when a capability serves several types.

use ocm_plugin_types::{Raw, Type};

use crate::response::ApiError;

/// Implementations of one capability, by the type they serve.
///
/// Entries are searched in insertion order, so when a type was inserted twice the first entry
/// wins (the shared identity route relies on this: the capability registered first answers).
#[derive(Debug)]
pub(crate) struct TypeDispatch<T> {
    what: &'static str,
    spec: &'static str,
    entries: Vec<(Type, T)>,
    /// Other names of entries' types: alias -> type.
    aliases: Vec<(Type, Type)>,
}

impl<T> TypeDispatch<T> {
    /// `what` names the capability in error messages, e.g. "component version repository";
    /// `spec` names what a request should carry to pick one, e.g. "repository spec".
    pub(crate) fn new(what: &'static str, spec: &'static str) -> Self {
        Self {
            what,
            spec,
            entries: Vec::new(),
            aliases: Vec::new(),
        }
    }

    /// What the capability is called in messages.
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    /// Makes `alias` another name of `typ`.
    pub(crate) fn alias(&mut self, alias: Type, typ: Type) {
        self.aliases.push((alias, typ));
    }

    pub(crate) fn insert(&mut self, typ: Type, value: T) {
        self.entries.push((typ, value));
    }

    /// The implementation for a spec: by its type when it has one; the only implementation when
    /// the spec or its type is absent (Go managers send no spec on GET requests); else 400.
    pub(crate) fn pick(&self, spec: Option<&Raw>) -> Result<&T, ApiError> {
        match spec.and_then(Raw::type_) {
            Some(typ) => {
                let typ = self
                    .aliases
                    .iter()
                    .find(|(alias, _)| alias == typ)
                    .map_or(typ, |(_, t)| t);
                self.entries
                    .iter()
                    .find(|(t, _)| t == typ)
                    .map(|(_, v)| v)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "this plugin serves no {} of type {typ}; it serves: {}",
                            self.what,
                            self.types()
                        ))
                    })
            }
            None => match self.only() {
                Some(only) => Ok(only),
                None => Err(ApiError::bad_request(format!(
                    "the request names no {} type, and this plugin serves several ({}): send the {}",
                    self.what,
                    self.types(),
                    self.spec
                ))),
            },
        }
    }

    /// The implementation for a request that carries no spec, only a type name (the credential
    /// plugin's `/resolve` names an identity whose `type` is the spec type's name): the entry of
    /// that type or alias, else the one whose name it is, else the only implementation; else 400.
    pub(crate) fn pick_by_name(&self, name: Option<&str>) -> Result<&T, ApiError> {
        if let Some(name) = name {
            let exact = |t: &Type| t.to_string() == name;
            let by_type = self
                .entries
                .iter()
                .find(|(t, _)| exact(t))
                .or_else(|| {
                    let (_, typ) = self.aliases.iter().find(|(a, _)| exact(a))?;
                    self.entries.iter().find(|(t, _)| t == typ)
                })
                .or_else(|| {
                    let mut named = self.entries.iter().filter(|(t, _)| t.name() == name);
                    match (named.next(), named.next()) {
                        (Some(one), None) => Some(one),
                        _ => None,
                    }
                });
            if let Some((_, value)) = by_type {
                return Ok(value);
            }
        }
        match self.only() {
            Some(only) => Ok(only),
            None => Err(ApiError::bad_request(format!(
                "the request names no {} this plugin can tell apart ({}), and this plugin serves several: {}",
                self.what,
                name.map_or_else(|| "no type".to_owned(), |n| format!("type {n}")),
                self.types()
            ))),
        }
    }

    /// The entry that answers when a request names no type: the first, if every entry serves
    /// one and the same type (as when two capabilities share the identity route for it).
    fn only(&self) -> Option<&T> {
        let (first_type, first) = self.entries.first()?;
        self.entries
            .iter()
            .all(|(t, _)| t == first_type)
            .then_some(first)
    }

    /// The served types, comma separated, each once, in insertion order.
    pub(crate) fn types(&self) -> String {
        let mut types: Vec<String> = Vec::new();
        for (t, _) in &self.entries {
            let t = t.to_string();
            if !types.contains(&t) {
                types.push(t);
            }
        }
        types.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Raw {
        Raw::from_json(json).unwrap()
    }

    #[test]
    fn picks_by_type_or_the_only_one() {
        let mut one = TypeDispatch::new("thing", "thing spec");
        one.insert("A/v1".parse().unwrap(), 1);
        assert_eq!(*one.pick(None).unwrap(), 1);
        assert_eq!(*one.pick(Some(&raw(r#"{"x":1}"#))).unwrap(), 1);
        assert_eq!(*one.pick(Some(&raw(r#"{"type":"A/v1"}"#))).unwrap(), 1);
        let e = one.pick(Some(&raw(r#"{"type":"B/v1"}"#))).unwrap_err();
        assert_eq!(
            e.message,
            "this plugin serves no thing of type B/v1; it serves: A/v1"
        );

        let mut two = one;
        two.insert("B/v1".parse().unwrap(), 2);
        assert_eq!(*two.pick(Some(&raw(r#"{"type":"B/v1"}"#))).unwrap(), 2);
        let e = two.pick(None).unwrap_err();
        assert!(
            e.message
                .ends_with("serves several (A/v1, B/v1): send the thing spec"),
            "{}",
            e.message
        );
        // Versions must match exactly.
        assert!(two.pick(Some(&raw(r#"{"type":"A"}"#))).is_err());

        // A type inserted twice: the first entry answers, and it is listed once.
        let mut dup = two;
        dup.insert("A/v1".parse().unwrap(), 3);
        assert_eq!(*dup.pick(Some(&raw(r#"{"type":"A/v1"}"#))).unwrap(), 1);
        assert_eq!(dup.types(), "A/v1, B/v1");

        // An alias picks its type's entry, and still counts as one implementation.
        let mut aliased = TypeDispatch::new("thing", "thing spec");
        aliased.insert("A/v1".parse().unwrap(), 1);
        aliased.alias("A".parse().unwrap(), "A/v1".parse().unwrap());
        assert_eq!(*aliased.pick(Some(&raw(r#"{"type":"A"}"#))).unwrap(), 1);
        assert_eq!(*aliased.pick(None).unwrap(), 1);
    }

    #[test]
    fn picks_by_name_for_specless_requests() {
        let mut two = TypeDispatch::new("thing", "thing spec");
        two.insert("A/v1".parse().unwrap(), 1);
        two.insert("B/v1".parse().unwrap(), 2);
        two.alias("Bee".parse().unwrap(), "B/v1".parse().unwrap());
        assert_eq!(*two.pick_by_name(Some("A/v1")).unwrap(), 1);
        assert_eq!(*two.pick_by_name(Some("A")).unwrap(), 1, "the type's name");
        assert_eq!(*two.pick_by_name(Some("Bee")).unwrap(), 2, "an alias");
        let e = two.pick_by_name(Some("C")).unwrap_err();
        assert_eq!(
            e.message,
            "the request names no thing this plugin can tell apart (type C), and this plugin serves several: A/v1, B/v1"
        );
        assert!(two.pick_by_name(None).is_err());
        let mut one = TypeDispatch::new("thing", "thing spec");
        one.insert("A/v1".parse().unwrap(), 1);
        assert_eq!(*one.pick_by_name(Some("Z")).unwrap(), 1, "the only one");
        assert_eq!(*one.pick_by_name(None).unwrap(), 1);
    }
}

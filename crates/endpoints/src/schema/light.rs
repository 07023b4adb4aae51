//! A small validator for the part of JSON Schema draft 2020-12 that plugin specs use: what
//! `schemars` derives and what OCM's Go plugins declare (types, properties, required,
//! `additionalProperties`, enums, bounds, simple patterns, local `$ref`s, combinators).
//!
//! Why: the full validator checks every schema against the draft 2020-12 meta-schema, and
//! preparing that meta-schema costs about 2 ms of CPU the first time in a process, which is
//! most of a plugin's cold start above the cost of spawning it. A schema this module
//! understands completely skips it; any other schema (an unknown keyword, another draft, a
//! remote reference, a pattern whose meaning could differ between ECMA-262 and Rust) is left
//! to the full validator, which stays the authority for messages (see `SchemaValidator`).
//!
//! Compiling is strict: a keyword whose value has the wrong shape (a negative `minLength`, a
//! `required` with duplicates) is not compiled here, so the full validator reports it as it
//! always did. Validity must equal the full validator's; a differential test checks it.

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};

/// Nesting deeper than this in a schema is left to the full validator; while validating, a
/// chain of references this deep answers "invalid", which sends the caller to the full
/// validator (a reference cycle that consumes nothing cannot loop).
const MAX_DEPTH: usize = 64;

/// A compiled schema: nodes in an arena, so that references (and cycles of them) are indices.
#[derive(Debug)]
pub(super) struct Light {
    nodes: Vec<Node>,
}

#[derive(Debug)]
enum Node {
    Bool(bool),
    Checks(Vec<Check>),
}

#[derive(Debug)]
enum Check {
    Type(u8),
    Enum(Vec<Value>),
    Const(Value),
    Properties(Vec<(String, usize)>),
    Required(Vec<String>),
    /// `additionalProperties`: the schema for names not in `properties`.
    Additional(Vec<String>, usize),
    MinProperties(u64),
    MaxProperties(u64),
    Items(usize),
    PrefixItems(Vec<usize>),
    /// `items` after `prefixItems`: applies from this index on.
    ItemsAfter(usize, usize),
    MinItems(u64),
    MaxItems(u64),
    UniqueItems,
    MinLength(u64),
    MaxLength(u64),
    Pattern(Box<fancy_regex::Regex>),
    Minimum(Number),
    Maximum(Number),
    ExclusiveMinimum(Number),
    ExclusiveMaximum(Number),
    AllOf(Vec<usize>),
    AnyOf(Vec<usize>),
    OneOf(Vec<usize>),
    Not(usize),
    Ref(usize),
}

const NULL: u8 = 1;
const BOOLEAN: u8 = 2;
const OBJECT: u8 = 4;
const ARRAY: u8 = 8;
const NUMBER: u8 = 16;
const STRING: u8 = 32;
const INTEGER: u8 = 64;

fn type_bit(name: &str) -> Option<u8> {
    Some(match name {
        "null" => NULL,
        "boolean" => BOOLEAN,
        "object" => OBJECT,
        "array" => ARRAY,
        "number" => NUMBER,
        "string" => STRING,
        "integer" => INTEGER,
        _ => return None,
    })
}

/// Keywords that only annotate: accepted when their value has the meta-schema's shape.
fn annotation_shape_ok(keyword: &str, value: &Value) -> Option<bool> {
    Some(match keyword {
        "title" | "description" | "$comment" | "format" => value.is_string(),
        "default" => true,
        "examples" => value.is_array(),
        "deprecated" | "readOnly" | "writeOnly" => value.is_boolean(),
        _ => return None,
    })
}

/// Compiles `root`, or `None` when any part of it is outside what this module understands.
pub(super) fn compile(root: &Value) -> Option<Light> {
    let obj = match root {
        Value::Bool(_) => None,
        Value::Object(o) => Some(o),
        _ => return None,
    };
    if let Some(o) = obj {
        if let Some(dialect) = o.get("$schema") {
            let dialect = dialect.as_str()?;
            if dialect.trim_end_matches('#') != "https://json-schema.org/draft/2020-12/schema" {
                return None;
            }
        }
        // A root `$id` sets the base URI; references here are all `#...`, which it does not
        // change. One with a fragment is not a valid `$id`.
        if let Some(id) = o.get("$id") {
            let id = id.as_str()?;
            let uri = |c: char| c.is_ascii_graphic() && !"\"<>\\^`{|}".contains(c);
            if id.trim_end_matches('#').contains('#') || !id.chars().all(uri) {
                return None;
            }
        }
    }
    let mut compiler = Compiler {
        root,
        nodes: Vec::new(),
        by_pointer: HashMap::new(),
    };
    let index = compiler.node(root, 0, true)?;
    debug_assert_eq!(index, 0);
    Some(Light {
        nodes: compiler.nodes,
    })
}

struct Compiler<'a> {
    root: &'a Value,
    nodes: Vec<Node>,
    by_pointer: HashMap<String, usize>,
}

impl Compiler<'_> {
    fn node(&mut self, schema: &Value, depth: usize, is_root: bool) -> Option<usize> {
        let index = self.nodes.len();
        self.nodes.push(Node::Bool(true));
        let node = self.build(schema, depth, is_root)?;
        self.nodes[index] = node;
        Some(index)
    }

    fn schemas(&mut self, value: &Value, depth: usize) -> Option<Vec<usize>> {
        let list = value.as_array().filter(|a| !a.is_empty())?;
        list.iter()
            .map(|s| self.node(s, depth + 1, false))
            .collect()
    }

    fn build(&mut self, schema: &Value, depth: usize, is_root: bool) -> Option<Node> {
        if depth > MAX_DEPTH {
            return None;
        }
        let obj = match schema {
            Value::Bool(b) => return Some(Node::Bool(*b)),
            Value::Object(o) => o,
            _ => return None,
        };
        let mut checks = Vec::new();
        for (keyword, value) in obj {
            if let Some(ok) = annotation_shape_ok(keyword, value) {
                if !ok {
                    return None;
                }
                continue;
            }
            let check = match keyword.as_str() {
                "$schema" | "$id" if is_root => continue,
                "$defs" => {
                    // Compiled even when nothing refers to them: the meta-schema checks them,
                    // so one this module cannot compile leaves the schema to `jsonschema`.
                    for def in value.as_object()?.values() {
                        self.node(def, depth + 1, false)?;
                    }
                    continue;
                }
                "type" => Check::Type(types(value)?),
                "enum" => Check::Enum(value.as_array()?.clone()),
                "const" => Check::Const(value.clone()),
                "properties" => {
                    let props = value.as_object()?;
                    let mut compiled = Vec::with_capacity(props.len());
                    for (name, s) in props {
                        compiled.push((name.clone(), self.node(s, depth + 1, false)?));
                    }
                    Check::Properties(compiled)
                }
                "required" => Check::Required(unique_strings(value)?),
                "additionalProperties" => {
                    let known = match obj.get("properties") {
                        Some(p) => p.as_object()?.keys().cloned().collect(),
                        None => Vec::new(),
                    };
                    Check::Additional(known, self.node(value, depth + 1, false)?)
                }
                "minProperties" => Check::MinProperties(value.as_u64()?),
                "maxProperties" => Check::MaxProperties(value.as_u64()?),
                "items" => {
                    let items = self.node(value, depth + 1, false)?;
                    match obj.get("prefixItems") {
                        Some(p) => Check::ItemsAfter(p.as_array()?.len(), items),
                        None => Check::Items(items),
                    }
                }
                "prefixItems" => Check::PrefixItems(self.schemas(value, depth)?),
                "minItems" => Check::MinItems(value.as_u64()?),
                "maxItems" => Check::MaxItems(value.as_u64()?),
                "uniqueItems" => match value.as_bool()? {
                    true => Check::UniqueItems,
                    false => continue,
                },
                "minLength" => Check::MinLength(value.as_u64()?),
                "maxLength" => Check::MaxLength(value.as_u64()?),
                "pattern" => Check::Pattern(Box::new(pattern(value.as_str()?)?)),
                "minimum" => Check::Minimum(value.as_number()?.clone()),
                "maximum" => Check::Maximum(value.as_number()?.clone()),
                "exclusiveMinimum" => Check::ExclusiveMinimum(value.as_number()?.clone()),
                "exclusiveMaximum" => Check::ExclusiveMaximum(value.as_number()?.clone()),
                "allOf" => Check::AllOf(self.schemas(value, depth)?),
                "anyOf" => Check::AnyOf(self.schemas(value, depth)?),
                "oneOf" => Check::OneOf(self.schemas(value, depth)?),
                "not" => Check::Not(self.node(value, depth + 1, false)?),
                "$ref" => Check::Ref(self.reference(value.as_str()?, depth)?),
                // Anything else (`patternProperties`, `if`, `unevaluatedProperties`, `$anchor`,
                // a nested `$id` or `$schema`, an unknown keyword...) is the full validator's.
                _ => return None,
            };
            checks.push(check);
        }
        Some(Node::Checks(checks))
    }

    /// A reference within this document (`#` or `#/json/pointer`), compiled once per target.
    fn reference(&mut self, reference: &str, depth: usize) -> Option<usize> {
        let pointer = reference.strip_prefix('#')?;
        // Characters a URI reference carries as they are; anything else (`%`, a space) is
        // left to `jsonschema`, which may read it as an invalid reference.
        let plain = |c: char| c.is_ascii_alphanumeric() || "/_.~$-".contains(c);
        if !pointer.chars().all(plain) || !(pointer.is_empty() || pointer.starts_with('/')) {
            return None;
        }
        if let Some(&index) = self.by_pointer.get(pointer) {
            return Some(index);
        }
        if pointer.is_empty() {
            return Some(0);
        }
        let target = self.root.pointer(pointer)?;
        // Registered before it is built, so a reference cycle ends at this index.
        let index = self.nodes.len();
        self.nodes.push(Node::Bool(true));
        self.by_pointer.insert(pointer.to_owned(), index);
        let node = self.build(target, depth + 1, false)?;
        self.nodes[index] = node;
        Some(index)
    }
}

fn types(value: &Value) -> Option<u8> {
    match value {
        Value::String(s) => type_bit(s),
        Value::Array(list) if !list.is_empty() => {
            let mut bits = 0;
            for t in list {
                let bit = type_bit(t.as_str()?)?;
                if bits & bit != 0 {
                    return None;
                }
                bits |= bit;
            }
            Some(bits)
        }
        _ => None,
    }
}

fn unique_strings(value: &Value) -> Option<Vec<String>> {
    let list = value.as_array()?;
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for v in list {
        let s = v.as_str()?;
        if out.iter().any(|o| o == s) {
            return None;
        }
        out.push(s.to_owned());
    }
    Some(out)
}

/// Compiles a pattern whose meaning is the same under ECMA-262 (what the schema means) and
/// the Rust engine: literals, classes of literals and ranges, groups, `(?:`, quantifiers on an
/// atom, anchors and alternation. `.`, `\d`, `\w`, `\s`, `\b`, look-arounds,
/// back-references, non-ASCII text, braces that are not a quantifier and nested or
/// set-operation classes are left to the full validator, which translates ECMA-262 syntax.
fn pattern(source: &str) -> Option<fancy_regex::Regex> {
    let mut chars = source.chars().peekable();
    // Whether the previous token is an atom a quantifier may follow.
    let mut atom = false;
    let mut groups = 0_usize;
    while let Some(c) = chars.next() {
        if !c.is_ascii() || c.is_ascii_control() {
            return None;
        }
        match c {
            '\\' => {
                escape(chars.next()?, false)?;
                atom = true;
            }
            '[' => {
                class(&mut chars)?;
                atom = true;
            }
            '(' => {
                if chars.peek() == Some(&'?') {
                    chars.next();
                    if chars.next() != Some(':') {
                        return None;
                    }
                }
                groups += 1;
                atom = false;
            }
            ')' => {
                groups = groups.checked_sub(1)?;
                atom = true;
            }
            '*' | '+' | '?' | '{' => {
                if !atom {
                    return None;
                }
                if c == '{' {
                    counted(&mut chars)?;
                }
                if chars.peek() == Some(&'?') {
                    chars.next();
                }
                atom = false;
            }
            '|' | '^' | '$' => atom = false,
            c if c.is_ascii_alphanumeric() || "-_/:@=#!'\"<>;%,& ~".contains(c) => atom = true,
            // `.`, `]`, `}`, `` ` `` and the like.
            _ => return None,
        }
    }
    if groups != 0 {
        return None;
    }
    fancy_regex::Regex::new(source).ok()
}

/// An escaped character: one of ECMA-262's syntax characters (or `-`), which every mode of it
/// and Rust read as the literal (`\:` is an error in ECMA-262's Unicode mode; `\<` a word
/// boundary in Rust).
fn escape(c: char, in_class: bool) -> Option<()> {
    ("^$\\.*+?()[]{}|/".contains(c) || (in_class && c == '-')).then_some(())
}

/// The rest of a class after `[`: literals, escaped punctuation and ranges, no `[`, `&&`,
/// `--` or `~~` (set operations in Rust), not empty.
fn class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<()> {
    if chars.peek() == Some(&'^') {
        chars.next();
    }
    let mut empty = true;
    let mut prev = '\0';
    loop {
        let c = chars.next()?;
        if !c.is_ascii() || c.is_ascii_control() {
            return None;
        }
        match c {
            ']' if !empty => return Some(()),
            '\\' => escape(chars.next()?, true)?,
            '[' | ']' => return None,
            '&' | '-' | '~' if prev == c => return None,
            c if c.is_ascii_alphanumeric() || "-_./:@=#!'\"<>;%,+*?(){}|$^& ~".contains(c) => {}
            _ => return None,
        }
        prev = c;
        empty = false;
    }
}

/// The rest of a counted quantifier after `{`: `n}`, `n,}` or `n,m}` with `n <= m`.
fn counted(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<()> {
    fn number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<u32> {
        let mut n: Option<u32> = None;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            n = Some(n.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
        }
        n
    }
    let low = number(chars)?;
    let high = match chars.next()? {
        '}' => return Some(()),
        ',' => number(chars),
        _ => return None,
    };
    if chars.next()? != '}' || high.is_some_and(|h| h < low) {
        return None;
    }
    Some(())
}

/// Where failures are collected when the caller wants their instance paths.
struct Sink<'p> {
    path: Vec<String>,
    out: &'p mut Vec<String>,
}

impl Sink<'_> {
    fn fail(&mut self) {
        let mut p = String::new();
        for seg in &self.path {
            p.push('/');
            p.push_str(&seg.replace('~', "~0").replace('/', "~1"));
        }
        self.out.push(p);
    }
}

impl Light {
    /// Whether `instance` is valid.
    pub(super) fn is_valid(&self, instance: &Value) -> bool {
        self.eval(0, instance, 0, &mut None)
    }

    /// The instance paths (JSON pointers) where `instance` fails, as the full validator would
    /// report them for the checks this module knows (combinators at their own place).
    pub(super) fn failing_paths(&self, instance: &Value) -> Vec<String> {
        let mut out = Vec::new();
        let mut sink = Some(Sink {
            path: Vec::new(),
            out: &mut out,
        });
        self.eval(0, instance, 0, &mut sink);
        out
    }

    fn eval(&self, node: usize, v: &Value, depth: usize, sink: &mut Option<Sink<'_>>) -> bool {
        if depth > MAX_DEPTH {
            if let Some(s) = sink {
                s.fail();
            }
            return false;
        }
        let checks = match &self.nodes[node] {
            Node::Bool(true) => return true,
            Node::Bool(false) => {
                if let Some(s) = sink {
                    s.fail();
                }
                return false;
            }
            Node::Checks(c) => c,
        };
        let mut valid = true;
        for check in checks {
            let ok = self.check(check, v, depth, sink);
            if !ok {
                valid = false;
                if sink.is_none() {
                    return false;
                }
            }
        }
        valid
    }

    /// Descends into a property or item: its segment is on the sink's path meanwhile.
    fn child(
        &self,
        node: usize,
        v: &Value,
        segment: impl FnOnce() -> String,
        depth: usize,
        sink: &mut Option<Sink<'_>>,
    ) -> bool {
        if let Some(s) = sink {
            s.path.push(segment());
        }
        let ok = self.eval(node, v, depth + 1, sink);
        if let Some(s) = sink {
            s.path.pop();
        }
        ok
    }

    fn check(&self, check: &Check, v: &Value, depth: usize, sink: &mut Option<Sink<'_>>) -> bool {
        // Checks that fail at the current place (no descent) report it here.
        let here = match check {
            Check::Type(bits) => type_matches(*bits, v),
            Check::Enum(values) => values.iter().any(|e| equal(e, v)),
            Check::Const(c) => equal(c, v),
            Check::Required(names) => v
                .as_object()
                .is_none_or(|o| names.iter().all(|n| o.contains_key(n))),
            Check::MinProperties(n) => v.as_object().is_none_or(|o| len(o.len()) >= *n),
            Check::MaxProperties(n) => v.as_object().is_none_or(|o| len(o.len()) <= *n),
            Check::MinItems(n) => v.as_array().is_none_or(|a| len(a.len()) >= *n),
            Check::MaxItems(n) => v.as_array().is_none_or(|a| len(a.len()) <= *n),
            Check::UniqueItems => v.as_array().is_none_or(|a| {
                a.iter()
                    .enumerate()
                    .all(|(i, x)| a[i + 1..].iter().all(|y| !equal(x, y)))
            }),
            Check::MinLength(n) => v.as_str().is_none_or(|s| chars(s) >= *n),
            Check::MaxLength(n) => v.as_str().is_none_or(|s| chars(s) <= *n),
            Check::Pattern(re) => v.as_str().is_none_or(|s| re.is_match(s).unwrap_or(false)),
            Check::Minimum(m) => number_is(v, m, |o| o != Ordering::Less),
            Check::Maximum(m) => number_is(v, m, |o| o != Ordering::Greater),
            Check::ExclusiveMinimum(m) => number_is(v, m, |o| o == Ordering::Greater),
            Check::ExclusiveMaximum(m) => number_is(v, m, |o| o == Ordering::Less),
            Check::AnyOf(list) => list.iter().any(|&s| self.eval(s, v, depth + 1, &mut None)),
            Check::OneOf(list) => {
                list.iter()
                    .filter(|&&s| self.eval(s, v, depth + 1, &mut None))
                    .take(2)
                    .count()
                    == 1
            }
            Check::Not(s) => !self.eval(*s, v, depth + 1, &mut None),
            Check::Additional(known, schema)
                if matches!(self.nodes[*schema], Node::Bool(false)) =>
            {
                // `false` is reported once, at the object, naming the unexpected names.
                v.as_object()
                    .is_none_or(|o| o.keys().all(|k| known.iter().any(|n| n == k)))
            }
            // The rest descend and report below.
            Check::AllOf(list) => {
                let mut ok = true;
                for &s in list {
                    if !self.eval(s, v, depth + 1, sink) {
                        ok = false;
                        if sink.is_none() {
                            break;
                        }
                    }
                }
                return ok;
            }
            Check::Ref(s) => return self.eval(*s, v, depth + 1, sink),
            Check::Properties(props) => {
                let Some(o) = v.as_object() else { return true };
                let mut ok = true;
                for (name, s) in props {
                    if let Some(pv) = o.get(name)
                        && !self.child(*s, pv, || name.clone(), depth, sink)
                    {
                        ok = false;
                        if sink.is_none() {
                            break;
                        }
                    }
                }
                return ok;
            }
            Check::Additional(known, s) => {
                let Some(o) = v.as_object() else { return true };
                let mut ok = true;
                for (k, pv) in o {
                    if !known.iter().any(|n| n == k)
                        && !self.child(*s, pv, || k.clone(), depth, sink)
                    {
                        ok = false;
                        if sink.is_none() {
                            break;
                        }
                    }
                }
                return ok;
            }
            Check::Items(s) => return self.items(v, |_| Some(*s), depth, sink),
            Check::ItemsAfter(from, s) => {
                let from = *from;
                return self.items(v, |i| (i >= from).then_some(*s), depth, sink);
            }
            Check::PrefixItems(list) => {
                return self.items(v, |i| list.get(i).copied(), depth, sink);
            }
        };
        if !here && let Some(s) = sink {
            s.fail();
        }
        here
    }

    fn items(
        &self,
        v: &Value,
        schema_for: impl Fn(usize) -> Option<usize>,
        depth: usize,
        sink: &mut Option<Sink<'_>>,
    ) -> bool {
        let Some(a) = v.as_array() else { return true };
        let mut ok = true;
        for (i, item) in a.iter().enumerate() {
            if let Some(s) = schema_for(i)
                && !self.child(s, item, || i.to_string(), depth, sink)
            {
                ok = false;
                if sink.is_none() {
                    break;
                }
            }
        }
        ok
    }
}

fn len(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// String length in Unicode code points, as JSON Schema counts it.
fn chars(s: &str) -> u64 {
    len(s.chars().count())
}

fn type_matches(bits: u8, v: &Value) -> bool {
    let bit = match v {
        Value::Null => NULL,
        Value::Bool(_) => BOOLEAN,
        Value::Object(_) => OBJECT,
        Value::Array(_) => ARRAY,
        Value::String(_) => STRING,
        Value::Number(n) => {
            // An integer is any number without a fractional part (1.0 included).
            let integral = n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0);
            return bits & NUMBER != 0 || (integral && bits & INTEGER != 0);
        }
    };
    bits & bit != 0
}

fn number_is(v: &Value, limit: &Number, ok: impl Fn(Ordering) -> bool) -> bool {
    match v {
        Value::Number(n) => compare(n, limit).is_some_and(ok),
        _ => true,
    }
}

/// Compares two JSON numbers exactly (integers beyond 2^53 included).
fn compare(a: &Number, b: &Number) -> Option<Ordering> {
    match (integer(a), integer(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        (Some(x), None) => Some(compare_int_float(x, b.as_f64()?)),
        (None, Some(y)) => Some(compare_int_float(y, a.as_f64()?).reverse()),
        (None, None) => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

fn compare_int_float(i: i128, f: f64) -> Ordering {
    // |f| beyond 2^120 is beyond every integer a JSON number parses to here.
    const BIG: f64 = 1.329_228e36;
    if f >= BIG {
        return Ordering::Less;
    }
    if f <= -BIG {
        return Ordering::Greater;
    }
    let whole = f.trunc();
    // Exact: |whole| < 2^120 fits i128, and an integral f64 converts without rounding.
    #[allow(clippy::cast_possible_truncation)]
    let w = whole as i128;
    match i.cmp(&w) {
        Ordering::Equal if f > whole => Ordering::Less,
        Ordering::Equal if f < whole => Ordering::Greater,
        other => other,
    }
}

/// JSON equality: numbers by value (`1` equals `1.0`), objects regardless of key order.
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare(x, y) == Some(Ordering::Equal),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => objects_equal(x, y),
        _ => a == b,
    }
}

fn objects_equal(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
}

#[cfg(test)]
mod tests;

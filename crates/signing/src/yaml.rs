//! A descriptor file (YAML, or JSON, which is YAML flow syntax) read into the JSON value OCM's
//! Go code reads from it.
//!
//! Why this exists: OCM (`bindings/go` v0.0.5) decodes a descriptor file with
//! `sigs.k8s.io/yaml`, which first parses the text with go-yaml **v2** into Go values and turns
//! those into JSON; only then is the JSON decoded. go-yaml v2 resolves plain scalars by the
//! **YAML 1.1** rules, so in a descriptor `yes` and `on` are `true`, `0755` is the integer 493,
//! `0x1F` is 31 and `1.0e+3` is a number, while a JSON reader (or a YAML 1.2 one) would read
//! other values. A digest is taken over the decoded value, so reading any scalar differently
//! from Go gives a different digest, and a signature made by one side would not verify on the
//! other. [`to_json`] therefore reproduces Go's reading exactly where it is known, on top of
//! `saphyr-parser`'s YAML events (the events carry each scalar's style, so the YAML 1.1 rules
//! are applied here, to plain scalars only).
//!
//! What Go does, and so what [`to_json`] does:
//!
//! * Only the first document is read; an empty stream is `null`.
//! * Plain scalars: `~`, `null`, `Null`, `NULL` and the empty scalar are null;
//!   `y Y yes Yes YES on On ON true True TRUE` are true, `n N no No NO off Off OFF false False
//!   FALSE` false; integers as Go's `strconv.ParseInt(s, 0, 64)` reads them after every `_` is
//!   removed (sign, decimal, `0x`, `0o`, `0b`, and a leading `0` for octal: `0755` is 493), then
//!   `ParseUint` (up to 2^64-1); then floats matching
//!   `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$` (`08` is 8.0, `1e3` is 1000.0;
//!   a float beyond the f64 range stays a string, as Go's `ParseFloat` fails on it). Anything
//!   else is a string, dates and timestamps included (go-yaml v2 hands timestamps to an
//!   `interface{}` as strings). `.inf`, `-.inf`, `.nan` (and their capitalised forms) are
//!   floats JSON cannot hold: an error, `json: unsupported value: +Inf`, as Go's
//!   `json.Marshal` gives.
//! * Quoted, literal (`|`) and folded (`>`) scalars are strings. `!!str`, `!!int`, `!!float`,
//!   `!!bool`, `!!null` and `!!timestamp` resolve the scalar and fail when it is of another
//!   kind (`cannot decode !!str `x` as a !!int`), an integer under `!!float` becoming a float;
//!   `!!binary` is base64-decoded; any other tag leaves the scalar a string (go-yaml v2 does
//!   not resolve scalars under tags it does not know). Tags on collections are ignored.
//! * A double-quoted `\uD800`..`\uDFFF` escape (a UTF-16 surrogate, as JSON's `"\ud83d\ude80"`
//!   spells U+1F680) is refused: `found invalid Unicode character escape code`.
//! * Mapping keys become strings as `sigs.k8s.io/yaml` makes them: booleans `true`/`false`,
//!   integers in decimal, floats as Go's `strconv.FormatFloat(f, 'g', -1, 32)` (shortest
//!   float32 digits, `1e+06` past six digits; `.inf`, `-.inf`, `.nan`). A null key or an
//!   integer key above 2^63-1 is an error there (`unsupported map key of type: ...`), and so
//!   here; a sequence or mapping as key is go-yaml's `invalid map key`.
//! * A key given twice in one mapping: the later value wins. go-yaml v2's `Unmarshal` (the
//!   one `sigs.k8s.io/yaml.Unmarshal` uses; only `UnmarshalStrict` refuses duplicates) sets map
//!   entries one after another, and so does this reader. Keys that differ in YAML but become
//!   the same string (`1` and `"1"`) collapse the same way (Go's order is random there).
//! * Anchors and aliases are resolved (the alias is a copy of the anchored value); an alias
//!   inside its own anchor is `anchor 'a' value contains itself`, and go-yaml v2's limit on
//!   alias expansion (`document contains excessive aliasing`) is applied with its formula.
//! * Merge keys (`<<`, plain, or tagged `!!merge`) take a mapping, an alias to one, or a
//!   sequence of those. go-yaml v2 writes the merged entries into the mapping at the place of
//!   the `<<` key, so later keys override merged ones and merged ones override earlier keys;
//!   in a sequence, earlier mappings take precedence over later ones. Anything else is
//!   `map merge requires map or sequence of maps as the value`.
//! * Errors come in Go's order: a syntax error anywhere in the document before a decoding
//!   error (go-yaml parses the whole document first), decoding errors before key conversion
//!   errors, and those before unsupported (non-finite) numbers.
//!
//! Beyond Go: nesting deeper than [`MAX_DEPTH`] collections is refused (Go allows 10000); it
//! keeps every later recursive walk of the value far from the stack's end.
//!
//! Not identical to Go: syntax error messages are `saphyr-parser`'s (with libyaml's
//! `while parsing ..., ` context dropped, as Go drops it), and saphyr is a YAML 1.2 parser, so
//! rare syntax corner cases may be accepted or refused differently (e.g. a tab right after
//! `key:` is refused). Line numbers follow Go's rule (1-based for errors of the scanner, none on
//! the first line; for errors of the parser, one less). `!!timestamp` values are checked
//! against Go's four timestamp layouts without every detail of Go's `time.Parse`.

use std::{
    borrow::Cow,
    collections::HashMap,
    fmt,
    panic::{AssertUnwindSafe, catch_unwind},
};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};
use serde_json::{Map, Number, Value};

/// The deepest nesting of sequences and mappings read.
pub(crate) const MAX_DEPTH: usize = 512;

/// A YAML text that could not be read, with the line where the parser stopped when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct YamlError {
    /// 1-based line, as Go reports it (`None` where Go names no line).
    pub(crate) line: Option<usize>,
    /// Go's message, without the `yaml: ` prefix and the line.
    pub(crate) message: String,
}

impl YamlError {
    fn new(line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
        }
    }
}

/// `yaml: line N: message` or `yaml: message`, as go-yaml words its errors. Errors that Go
/// raises after YAML (`sigs.k8s.io/yaml`'s key conversion, `json.Marshal`) carry their own
/// prefix (`unsupported map key ...`, `json: ...`) and get no `yaml: `.
impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let not_yaml =
            self.message.starts_with("json: ") || self.message.starts_with("unsupported map key");
        if !not_yaml {
            f.write_str("yaml: ")?;
        }
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Reads `text` (one YAML document; JSON is YAML too) into the JSON value OCM's Go code reads
/// from it: see the [module documentation](self) for the rules.
pub(crate) fn to_json(text: &str) -> Result<Value, YamlError> {
    // The parser is not expected to panic; should it ever, a malformed descriptor must still be
    // an error and not bring its reader down.
    catch_unwind(AssertUnwindSafe(|| Reader::new(text).read())).unwrap_or_else(|_| {
        Err(YamlError::new(
            None,
            "internal error: the YAML parser failed on this text",
        ))
    })
}

// ---------------------------------------------------------------------------------------------
// Building the value from the events

/// A scalar as go-yaml v2 resolves it into an `interface{}`.
#[derive(Debug, Clone, PartialEq)]
enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(String),
}

/// A finished node: scalars keep their Go type (keys need it), collections are JSON already.
#[derive(Debug, Clone)]
enum Node {
    Scalar {
        value: Resolved,
        /// A `<<` key that go-yaml takes for a merge.
        merge: bool,
    },
    Seq(Vec<Value>),
    Map(Map<String, Value>),
}

/// What the next value of a mapping is for.
#[derive(Debug)]
enum Slot {
    Key(String),
    Merge,
    /// A key that cannot be one (its error is recorded): the value is read and dropped.
    Drop,
}

#[derive(Debug)]
enum Open {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        slot: Option<Slot>,
    },
}

#[derive(Debug)]
struct Frame {
    open: Open,
    anchor: usize,
    /// `decode_count` before this collection was counted (its size is the difference at its end).
    start_count: u64,
}

#[derive(Debug)]
struct Anchored {
    node: Node,
    /// How many nodes go-yaml decodes when it decodes this one (aliases inside expanded).
    size: u64,
}

#[derive(Debug)]
struct Reader<'t> {
    text: &'t str,
    frames: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    root: Option<Node>,
    /// go-yaml's `decodeCount` and `aliasCount` (its guard against alias bombs).
    decode_count: u64,
    alias_count: u64,
    /// The first error go-yaml's decoder would raise (raised after the document is parsed).
    decode_error: Option<YamlError>,
    /// The first error of `sigs.k8s.io/yaml`'s key conversion.
    key_error: Option<YamlError>,
    /// The first error `json.Marshal` would raise (a non-finite float).
    json_error: Option<YamlError>,
}

impl<'t> Reader<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            frames: Vec::new(),
            anchors: HashMap::new(),
            root: None,
            decode_count: 0,
            alias_count: 0,
            decode_error: None,
            key_error: None,
            json_error: None,
        }
    }

    fn read(mut self) -> Result<Value, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        // Up to the first document.
        loop {
            match self.next(&mut parser)?.0 {
                Event::DocumentStart(_) => break,
                Event::StreamEnd => return Ok(Value::Null),
                _ => {}
            }
        }
        // go-yaml counts the document node too.
        self.decode_count = 1;
        while self.root.is_none() {
            let (event, span) = self.next(&mut parser)?;
            match event {
                Event::Scalar(value, style, anchor, tag) => {
                    self.count(1, 0);
                    match scalar(&value, style, tag.as_deref()) {
                        Ok(node) => {
                            if anchor > 0 {
                                self.anchors.insert(
                                    anchor,
                                    Anchored {
                                        node: node.clone(),
                                        size: 1,
                                    },
                                );
                            }
                            self.complete(node, false);
                        }
                        Err(message) => self.decode_fail(message),
                    }
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(Open::Seq(Vec::new()), anchor, span)?
                }
                Event::MappingStart(anchor, _) => {
                    self.open(
                        Open::Map {
                            map: Map::new(),
                            slot: None,
                        },
                        anchor,
                        span,
                    )?;
                }
                Event::SequenceEnd | Event::MappingEnd => self.close(),
                Event::Alias(id) => self.alias(id, span),
                Event::DocumentEnd | Event::StreamEnd => {
                    // Not expected before the root is complete; take what there is.
                    self.root = Some(Node::Scalar {
                        value: Resolved::Null,
                        merge: false,
                    });
                }
                Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
            }
            if self.decode_error.is_some() {
                self.skip_rest(&mut parser)?;
                break;
            }
        }
        // go-yaml expects the document's end (a syntax error there is still reported).
        if self.root.is_some() || self.decode_error.is_some() {
            let _ = self.next(&mut parser)?;
        }
        if let Some(error) = self.decode_error.take().or(self.key_error.take()) {
            return Err(error);
        }
        let root = self
            .root
            .take()
            .map_or(Value::Null, |node| self.value(node));
        match self.json_error.take() {
            Some(error) => Err(error),
            None => Ok(root),
        }
    }

    fn next(
        &self,
        parser: &mut Parser<'t, saphyr_parser::StrInput<'t>>,
    ) -> Result<(Event<'t>, Span), YamlError> {
        match parser.next_event() {
            None => Ok((Event::StreamEnd, Span::default())),
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(scan_error(self.text, &error)),
        }
    }

    /// After a decoding error: the rest of the document, for its syntax errors only.
    fn skip_rest(
        &self,
        parser: &mut Parser<'t, saphyr_parser::StrInput<'t>>,
    ) -> Result<(), YamlError> {
        let mut depth = self.frames.len();
        while depth > 0 {
            let (event, span) = self.next(parser)?;
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(depth_error(span));
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => depth -= 1,
                Event::DocumentEnd | Event::StreamEnd => break,
                _ => {}
            }
        }
        Ok(())
    }

    /// go-yaml's `unmarshal` bookkeeping: `decode` more nodes decoded, `alias` of them through
    /// aliases; fails as go-yaml does when aliases make up too much of the document.
    fn count(&mut self, decode: u64, alias: u64) {
        self.decode_count = self.decode_count.saturating_add(decode);
        self.alias_count = self.alias_count.saturating_add(alias);
        if self.alias_count > 100
            && self.decode_count > 1000
            && self.alias_count as f64 / self.decode_count as f64
                > allowed_alias_ratio(self.decode_count)
        {
            self.decode_fail("document contains excessive aliasing".to_owned());
        }
    }

    fn decode_fail(&mut self, message: String) {
        if self.decode_error.is_none() {
            self.decode_error = Some(YamlError::new(None, message));
        }
    }

    fn open(&mut self, open: Open, anchor: usize, span: Span) -> Result<(), YamlError> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(depth_error(span));
        }
        let start_count = self.decode_count;
        self.count(1, 0);
        self.frames.push(Frame {
            open,
            anchor,
            start_count,
        });
        Ok(())
    }

    fn close(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        let node = match frame.open {
            Open::Seq(items) => Node::Seq(items),
            Open::Map { map, .. } => Node::Map(map),
        };
        if frame.anchor > 0 {
            let size = self.decode_count.saturating_sub(frame.start_count);
            self.anchors.insert(
                frame.anchor,
                Anchored {
                    node: node.clone(),
                    size,
                },
            );
        }
        self.complete(node, false);
    }

    fn alias(&mut self, id: usize, span: Span) {
        if self.frames.iter().any(|frame| frame.anchor == id) {
            let name = alias_name(self.text, span.start.index());
            self.decode_fail(format!("anchor '{name}' value contains itself"));
            return;
        }
        let Some(size) = self.anchors.get(&id).map(|anchored| anchored.size) else {
            let name = alias_name(self.text, span.start.index());
            self.decode_fail(format!("unknown anchor '{name}' referenced"));
            return;
        };
        // Counted before the copy is made: the limit is what keeps the copies small.
        self.count(size.saturating_add(1), size);
        if self.decode_error.is_some() {
            return;
        }
        if let Some(anchored) = self.anchors.get(&id) {
            let mut node = anchored.node.clone();
            if let Node::Scalar { merge, .. } = &mut node {
                // go-yaml only takes a `<<` written as the key itself for a merge.
                *merge = false;
            }
            self.complete(node, true);
        }
    }

    /// A finished node goes where it belongs: the root, a sequence item, a key or a value.
    fn complete(&mut self, node: Node, from_alias: bool) {
        match self.frames.last() {
            None => self.root = Some(node),
            Some(Frame {
                open: Open::Seq(_), ..
            }) => {
                let value = self.value(node);
                if let Some(Frame {
                    open: Open::Seq(items),
                    ..
                }) = self.frames.last_mut()
                {
                    items.push(value);
                }
            }
            Some(Frame {
                open: Open::Map { slot: None, .. },
                ..
            }) => {
                if let Some(slot) = self.key_slot(node)
                    && let Some(Frame {
                        open: Open::Map { slot: waiting, .. },
                        ..
                    }) = self.frames.last_mut()
                {
                    *waiting = Some(slot);
                }
            }
            Some(Frame {
                open: Open::Map { .. },
                ..
            }) => self.set_entry(node, from_alias),
        }
    }

    /// What a key node is for; `None` after a decoding error.
    fn key_slot(&mut self, node: Node) -> Option<Slot> {
        match node {
            Node::Scalar { merge: true, .. } => Some(Slot::Merge),
            Node::Scalar { value, .. } => Some(match key_string(value) {
                Ok(key) => Slot::Key(key),
                Err(message) => {
                    if self.key_error.is_none() {
                        self.key_error = Some(YamlError::new(None, message));
                    }
                    Slot::Drop
                }
            }),
            Node::Seq(items) => {
                self.decode_fail(format!("invalid map key: {}", Value::Array(items)));
                None
            }
            Node::Map(map) => {
                self.decode_fail(format!("invalid map key: {}", Value::Object(map)));
                None
            }
        }
    }

    /// The value for the mapping on top, whose key is waiting.
    fn set_entry(&mut self, node: Node, from_alias: bool) {
        let slot = match self.frames.last_mut() {
            Some(Frame {
                open: Open::Map { slot, .. },
                ..
            }) => slot.take(),
            _ => None,
        };
        match slot {
            Some(Slot::Key(key)) => {
                let value = self.value(node);
                if let Some(Frame {
                    open: Open::Map { map, .. },
                    ..
                }) = self.frames.last_mut()
                {
                    map.insert(key, value);
                }
            }
            Some(Slot::Merge) => {
                // go-yaml v2 `merge`: a mapping, an alias to one, or a sequence of those.
                let merged: Vec<Map<String, Value>> = match node {
                    Node::Map(map) => vec![map],
                    Node::Seq(items) if !from_alias && items.iter().all(Value::is_object) => items
                        .into_iter()
                        .rev() // earlier mappings take precedence: written last
                        .filter_map(|item| match item {
                            Value::Object(map) => Some(map),
                            _ => None,
                        })
                        .collect(),
                    _ => {
                        self.decode_fail(
                            "map merge requires map or sequence of maps as the value".to_owned(),
                        );
                        return;
                    }
                };
                if let Some(Frame {
                    open: Open::Map { map, .. },
                    ..
                }) = self.frames.last_mut()
                {
                    for entries in merged {
                        map.extend(entries);
                    }
                }
            }
            Some(Slot::Drop) | None => {}
        }
    }

    /// The JSON value of a node; a non-finite float is `json.Marshal`'s error (recorded) and
    /// stands as null meanwhile.
    fn value(&mut self, node: Node) -> Value {
        match node {
            Node::Seq(items) => Value::Array(items),
            Node::Map(map) => Value::Object(map),
            Node::Scalar { value, .. } => match value {
                Resolved::Null => Value::Null,
                Resolved::Bool(b) => Value::Bool(b),
                Resolved::Int(i) => Value::Number(Number::from(i)),
                Resolved::Uint(u) => Value::Number(Number::from(u)),
                Resolved::Str(s) => Value::String(s),
                Resolved::Float(f) => match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => {
                        if self.json_error.is_none() {
                            let shown = if f.is_nan() {
                                "NaN"
                            } else if f > 0.0 {
                                "+Inf"
                            } else {
                                "-Inf"
                            };
                            self.json_error = Some(YamlError::new(
                                None,
                                format!("json: unsupported value: {shown}"),
                            ));
                        }
                        Value::Null
                    }
                },
            },
        }
    }
}

fn depth_error(span: Span) -> YamlError {
    let line = span.start.line();
    YamlError::new(
        (line > 1).then_some(line),
        format!("exceeded max depth of {MAX_DEPTH}"),
    )
}

/// go-yaml v2's `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    const LOW: u64 = 400_000;
    const HIGH: u64 = 4_000_000;
    if decode_count <= LOW {
        0.99
    } else if decode_count >= HIGH {
        0.10
    } else {
        0.99 - 0.89 * ((decode_count - LOW) as f64 / (HIGH - LOW) as f64)
    }
}

/// A mapping key as `sigs.k8s.io/yaml` turns it into a JSON key.
fn key_string(key: Resolved) -> Result<String, String> {
    match key {
        Resolved::Str(s) => Ok(s),
        Resolved::Int(i) => Ok(i.to_string()),
        Resolved::Bool(b) => Ok(b.to_string()),
        Resolved::Float(f) => Ok(go_format_float32(f)),
        Resolved::Uint(u) => Err(format!("unsupported map key of type: uint64, key: {u:#x}")),
        Resolved::Null => Err("unsupported map key of type: %!s(<nil>), key: <nil>".to_owned()),
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`, with `sigs.k8s.io/yaml`'s names for the
/// non-finite values.
pub(crate) fn go_format_float32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return ".nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { ".inf" } else { "-.inf" }.to_owned();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0");
    }
    // Rust's `{:e}` gives the shortest digits that read back as the same f32, as Go's does.
    let shortest = format!("{:e}", x.abs());
    let (mantissa, exponent) = shortest.split_once('e').unwrap_or((shortest.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exponent.parse().unwrap_or(0);
    let nd = digits.len() as i32;
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{dot}e{exp_sign}{:02}", exp.abs())
    } else {
        let dp = exp + 1; // digits before the point
        if dp <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-dp) as usize))
        } else if dp >= nd {
            format!("{sign}{digits}{}", "0".repeat((dp - nd) as usize))
        } else {
            let (int, frac) = digits.split_at(dp as usize);
            format!("{sign}{int}.{frac}")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scalars

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Core {
    Str,
    Bool,
    Int,
    Float,
    Null,
    Timestamp,
}

impl Core {
    fn short(self) -> &'static str {
        match self {
            Self::Str => "!!str",
            Self::Bool => "!!bool",
            Self::Int => "!!int",
            Self::Float => "!!float",
            Self::Null => "!!null",
            Self::Timestamp => "!!timestamp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Core(Core),
    Binary,
    Merge,
    /// `!` alone.
    NonSpecific,
    Other,
}

fn tag_kind(tag: &Tag) -> TagKind {
    if tag.handle.is_empty() && tag.suffix == "!" {
        return TagKind::NonSpecific;
    }
    let full = format!("{}{}", tag.handle, tag.suffix);
    match full.strip_prefix("tag:yaml.org,2002:") {
        Some("str") => TagKind::Core(Core::Str),
        Some("bool") => TagKind::Core(Core::Bool),
        Some("int") => TagKind::Core(Core::Int),
        Some("float") => TagKind::Core(Core::Float),
        Some("null") => TagKind::Core(Core::Null),
        Some("timestamp") => TagKind::Core(Core::Timestamp),
        Some("binary") => TagKind::Binary,
        Some("merge") => TagKind::Merge,
        _ => TagKind::Other,
    }
}

/// A scalar event as go-yaml v2 decodes it into an `interface{}`; `Err` is its decoding error.
fn scalar(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Node, String> {
    let kind = tag.map(tag_kind);
    let plain = style == ScalarStyle::Plain;
    // go-yaml's `isMerge`: `<<` that is implicit (plain and untagged, or tagged `!`) or `!!merge`.
    let merge = value == "<<"
        && matches!(
            (plain, kind),
            (true, None) | (_, Some(TagKind::NonSpecific | TagKind::Merge))
        );
    let resolved = match kind {
        None if plain => resolve(None, value)?,
        None => Resolved::Str(value.to_owned()),
        Some(TagKind::Core(core)) => resolve(Some(core), value)?,
        Some(TagKind::Binary) => {
            Resolved::Str(go_string(&base64_decode(value).ok_or_else(|| {
                "!!binary value contains invalid base64 data".to_owned()
            })?))
        }
        Some(TagKind::Merge | TagKind::NonSpecific | TagKind::Other) => {
            Resolved::Str(value.to_owned())
        }
    };
    Ok(Node::Scalar {
        value: resolved,
        merge,
    })
}

/// go-yaml v2's `resolve(tag, in)` for the tags it resolves (`None`: a plain untagged scalar),
/// with its check that the result is of the tag's kind.
fn resolve(tag: Option<Core>, input: &str) -> Result<Resolved, String> {
    let (rtag, out) = resolve_untyped(tag, input);
    match tag {
        None | Some(Core::Str) => Ok(out),
        Some(t) if t == rtag => Ok(out),
        Some(Core::Float) if rtag == Core::Int => match out {
            Resolved::Int(i) => Ok(Resolved::Float(i as f64)),
            // go-yaml converts int and int64 only, not uint64.
            _ => Err(format!("cannot decode !!int `{input}` as a !!float")),
        },
        Some(t) => Err(format!(
            "cannot decode {} `{input}` as a {}",
            rtag.short(),
            t.short()
        )),
    }
}

fn resolve_untyped(tag: Option<Core>, input: &str) -> (Core, Resolved) {
    let string = || (Core::Str, Resolved::Str(input.to_owned()));
    // go-yaml's `resolveTable`: the first character decides what the scalar may be.
    let hint = match input.as_bytes().first() {
        None => b'N',
        Some(b'+' | b'-') => b'S',
        Some(b'0'..=b'9') => b'D',
        Some(b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~') => b'M',
        Some(b'.') => b'.',
        Some(_) => return string(),
    };
    if tag == Some(Core::Str) {
        return string();
    }
    if let Some(known) = resolve_map(input) {
        return known;
    }
    match hint {
        b'.' => {
            if let Some(f) = go_parse_float(input) {
                return (Core::Float, Resolved::Float(f));
            }
        }
        b'D' | b'S' => {
            if matches!(tag, None | Some(Core::Timestamp)) && is_timestamp(input) {
                // Into an `interface{}`, go-yaml v2 keeps a timestamp as its text.
                return (Core::Timestamp, Resolved::Str(input.to_owned()));
            }
            let plain: String = input.chars().filter(|&c| c != '_').collect();
            if let Some(i) = go_parse_int(&plain, 0) {
                return (Core::Int, Resolved::Int(i));
            }
            if let Some(u) = go_parse_uint(&plain, 0) {
                return (Core::Int, Resolved::Uint(u));
            }
            if is_yaml_style_float(&plain)
                && let Ok(f) = plain.parse::<f64>()
                && f.is_finite()
            {
                return (Core::Float, Resolved::Float(f));
            }
            if let Some(binary) = plain.strip_prefix("0b") {
                if let Some(i) = go_parse_int(binary, 2) {
                    return (Core::Int, Resolved::Int(i));
                }
                if let Some(u) = go_parse_uint(binary, 2) {
                    return (Core::Int, Resolved::Uint(u));
                }
            } else if let Some(binary) = plain.strip_prefix("-0b")
                && let Some(i) = go_parse_int(&format!("-{binary}"), 2)
            {
                return (Core::Int, Resolved::Int(i));
            }
        }
        _ => {}
    }
    string()
}

/// go-yaml v2's `resolveMap`.
fn resolve_map(input: &str) -> Option<(Core, Resolved)> {
    Some(match input {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (Core::Bool, Resolved::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (Core::Bool, Resolved::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (Core::Null, Resolved::Null),
        ".nan" | ".NaN" | ".NAN" => (Core::Float, Resolved::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (Core::Float, Resolved::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (Core::Float, Resolved::Float(f64::NEG_INFINITY)),
        _ => return None,
    })
}

/// Go's `strconv.ParseUint(s, base, 64)` (`base` 0: the prefix decides; `s` without `_`).
fn go_parse_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let bytes = s.as_bytes();
    let (digits, radix) = if base == 0 {
        if bytes[0] == b'0' {
            match bytes.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if s.len() >= 3 => (&s[2..], 2),
                Some(b'o') if s.len() >= 3 => (&s[2..], 8),
                Some(b'x') if s.len() >= 3 => (&s[2..], 16),
                _ => (&s[1..], 8),
            }
        } else {
            (s, 10)
        }
    } else {
        (s, base)
    };
    let mut n: u64 = 0;
    for c in digits.chars() {
        let d = c.to_digit(36)?;
        if d >= radix {
            return None;
        }
        n = n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Go's `strconv.ParseInt(s, base, 64)`.
fn go_parse_int(s: &str, base: u32) -> Option<i64> {
    let (negative, magnitude) = match s.as_bytes().first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let u = go_parse_uint(magnitude, base)?;
    if negative {
        if u > 1 << 63 {
            return None;
        }
        Some(0i64.wrapping_sub_unsigned(u))
    } else {
        i64::try_from(u).ok()
    }
}

/// go-yaml v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseFloat(s, 64)` for the scalars go-yaml hands it (those starting with
/// `.`): digits after the point, an optional exponent, `_` between digits; out of range fails.
fn go_parse_float(s: &str) -> Option<f64> {
    let plain: Cow<'_, str> = if s.contains('_') {
        if !go_underscores_ok(s) {
            return None;
        }
        Cow::Owned(s.replace('_', ""))
    } else {
        Cow::Borrowed(s)
    };
    if !plain.starts_with('.') || !is_yaml_style_float(&plain) {
        return None;
    }
    plain.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's `strconv.underscoreOK` (no base prefix can occur here): every `_` between digits.
fn go_underscores_ok(s: &str) -> bool {
    let mut saw = b'^';
    for &c in s.as_bytes() {
        if c.is_ascii_digit() {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// go-yaml v2's `parseTimestamp`: one of `2006-1-2T15:4:5.999999999Z07:00` (`T` or `t`),
/// `2006-1-2 15:4:5.999999999` and `2006-1-2`, with Go's ranges for each field.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    // Up to two digits (Go's `getnum` for the one-digit layout fields).
    let num = |i: &mut usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && *i - start < 2 && b[*i].is_ascii_digit() {
            *i += 1;
        }
        s.get(start..*i).filter(|d| !d.is_empty())?.parse().ok()
    };
    let expect = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    let parsed = (|| -> Option<()> {
        let year: u32 = s
            .get(0..4)?
            .parse()
            .ok()
            .filter(|_| b[..4].iter().all(u8::is_ascii_digit))?;
        i = 4;
        expect(&mut i, b'-')?;
        let month = num(&mut i).filter(|m| (1..=12).contains(m))?;
        expect(&mut i, b'-')?;
        let day = num(&mut i)?;
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if day < 1 || day > days {
            return None;
        }
        if i == b.len() {
            return Some(());
        }
        let zoned = match b[i] {
            b'T' | b't' => true,
            b' ' => false,
            _ => return None,
        };
        i += 1;
        num(&mut i).filter(|h| *h < 24)?;
        expect(&mut i, b':')?;
        num(&mut i).filter(|m| *m < 60)?;
        expect(&mut i, b':')?;
        num(&mut i).filter(|s| *s < 60)?;
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        if zoned {
            match b.get(i) {
                Some(b'Z') => i += 1,
                Some(b'+' | b'-') => {
                    let hh: u32 = s.get(i + 1..i + 3)?.parse().ok()?;
                    if b.get(i + 3) != Some(&b':') {
                        return None;
                    }
                    let mm: u32 = s.get(i + 4..i + 6)?.parse().ok()?;
                    if hh > 24 || mm > 60 {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            }
        }
        (i == b.len()).then_some(())
    })();
    parsed.is_some()
}

/// Go's `base64.StdEncoding.DecodeString` (padding required, `\r` and `\n` skipped).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = text.bytes().filter(|&c| c != b'\r' && c != b'\n').collect();
    if !symbols.len().is_multiple_of(4) {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let quads = symbols.chunks(4);
    let count = quads.len();
    for (n, quad) in quads.enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && n + 1 != count) {
            return None;
        }
        let mut bits = 0u32;
        for &c in &quad[..4 - pad] {
            bits = (bits << 6) | value(c)?;
        }
        bits <<= 6 * pad as u32;
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - pad]);
    }
    Some(out)
}

/// Bytes as Go's `json.Marshal` writes a string of them: each byte of an invalid UTF-8
/// sequence becomes U+FFFD.
fn go_string(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    loop {
        match std::str::from_utf8(bytes) {
            Ok(valid) => {
                out.push_str(valid);
                return out;
            }
            Err(error) => {
                let (valid, rest) = bytes.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = error.error_len().unwrap_or(rest.len());
                out.extend(std::iter::repeat_n('\u{FFFD}', bad));
                bytes = &rest[bad..];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors of the parser

/// The messages of `saphyr-parser`'s parser (not its scanner): go-yaml reports these one line
/// earlier than its scanner errors.
const PARSER_MESSAGES: &[&str] = &[
    "while parsing a node,",
    "while parsing a block mapping,",
    "while parsing a flow mapping,",
    "while parsing a flow sequence,",
    "while parsing a block collection,",
    "did not find expected <",
    "unexpected eof",
];

fn scan_error(text: &str, error: &ScanError) -> YamlError {
    let info = error.info();
    let marker = error.marker();
    if info.ends_with("found unknown anchor") {
        let name = alias_name(text, marker.index());
        return YamlError::new(None, format!("unknown anchor '{name}' referenced"));
    }
    // libyaml's "while <context>, <problem>": Go shows the problem only.
    let message = match info.split_once(", ") {
        Some((context, problem)) if context.starts_with("while ") => problem,
        _ => info,
    };
    // go-yaml counts lines from 0, adds 1 for scanner errors only, and names no line 0. Its
    // parser errors thus name the 1-based line before the problem (saphyr's lines are 1-based).
    let line = if PARSER_MESSAGES.iter().any(|p| info.starts_with(p)) {
        marker.line().saturating_sub(1)
    } else {
        marker.line()
    };
    let line = (line >= 2 || (line == 1 && PARSER_MESSAGES.iter().any(|p| info.starts_with(p))))
        .then_some(line);
    YamlError::new(line, message)
}

/// The name of the alias (`*name`) at character `index` of `text`.
fn alias_name(text: &str, index: usize) -> String {
    text.chars()
        .skip(index)
        .skip_while(|&c| c == '*')
        .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(text: &str) -> Value {
        match to_json(text) {
            Ok(value) => value,
            Err(error) => panic!("{text:?} should read: {error}"),
        }
    }

    fn fails(text: &str) -> YamlError {
        match to_json(text) {
            Ok(value) => panic!("{text:?} should fail, read {value}"),
            Err(error) => error,
        }
    }

    /// The value of `v` in `v: <scalar>`.
    fn scalar_of(yaml_scalar: &str) -> Value {
        read(&format!("v: {yaml_scalar}\n"))["v"].take()
    }

    #[test]
    fn yaml_descriptor_golden_15_label_value() {
        let text = "\
meta:
  schemaVersion: v2
component:
  name: example.com/yaml
  version: 1.0.0
  labels:
  - name: yaml-scalars
    signing: true
    value:
      yes-word: yes
      on-word: on
      octal: 0755
      hex: 0x1F
      float-exp: 1.0e+3
      date: 2024-01-02
      tilde: ~
      multiline: |
        line one
        line two
      folded: >
        folded
        text
      quoted-number: \"42\"
";
        let value = read(text);
        let component = &value["component"];
        assert_eq!(component["version"], json!("1.0.0"));
        assert_eq!(component["name"], json!("example.com/yaml"));
        assert_eq!(value["meta"], json!({"schemaVersion": "v2"}));
        let label = &component["labels"][0];
        assert_eq!(label["signing"], json!(true));
        assert_eq!(
            label["value"],
            json!({
                "yes-word": true,
                "on-word": true,
                "octal": 493,
                "hex": 31,
                "float-exp": 1000.0,
                "date": "2024-01-02",
                "tilde": null,
                "multiline": "line one\nline two\n",
                "folded": "folded text\n",
                "quoted-number": "42"
            })
        );
        // Integers are JSON integers, the exponent form a float.
        assert!(label["value"]["octal"].is_i64());
        assert!(label["value"]["float-exp"].is_f64());
    }

    #[test]
    fn yaml_json_text_reads_as_serde_json_reads_it() {
        let text = r#"{
  "meta": {"schemaVersion": "v2"},
  "component": {
    "name": "example.com/json",
    "version": "1.0.0",
    "provider": "acme.org",
    "labels": [
      {"name": "numbers", "signing": true,
       "value": {"f": 1.5, "n": -7, "max": 18446744073709551615, "big": 1e21, "z": 0,
                 "list": [1, 2.25, -3e-7, true, false, null], "empty": {}, "none": []}},
      {"name":"escapes","value":"a\nb \"q\" caf\u00e9 \\ / \t tab"},
      {"name": "unicode", "value": "résumé – 日本語 😀"}
    ],
    "resources": [{"name": "r", "version": "1.0.0", "type": "blob", "relation": "local",
                   "digest": {"hashAlgorithm": "SHA-256", "value": "0123abcd"}}],
    "sources": [],
    "componentReferences": []
  }
}"#;
        let expected: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => panic!("test JSON: {error}"),
        };
        assert_eq!(read(text), expected);
        // Minified, too.
        assert_eq!(read(&expected.to_string()), expected);
        assert!(read(text)["component"]["labels"][0]["value"]["max"].is_u64());
    }

    #[test]
    fn yaml_surrogate_escape_is_refused() {
        let error = fails(r#"{"a":"\ud83d\ude80"}"#);
        assert!(
            error
                .message
                .contains("found invalid Unicode character escape code"),
            "{error}"
        );
        // On the first line Go names no line.
        assert_eq!(error.line, None);
        assert_eq!(
            error.to_string(),
            "yaml: found invalid Unicode character escape code"
        );
        // Golden 16: the escape on line 7.
        let text = r#"{
  "meta": {"schemaVersion": "v2"},
  "component": {
    "name": "example.com/surrogate-escape",
    "version": "1.0.0",
    "provider": "acme.org",
    "labels": [{"name": "emoji", "signing": true, "value": "\ud83d\ude80"}],
    "repositoryContexts": [],
    "resources": [],
    "sources": [],
    "componentReferences": []
  }
}"#;
        assert_eq!(
            fails(text).to_string(),
            "yaml: line 7: found invalid Unicode character escape code"
        );
        // A lone low surrogate, in YAML.
        assert!(
            fails("a:\n  b: \"x\\udc00\"\n")
                .message
                .contains("invalid Unicode character")
        );
        // Not a surrogate: fine; the raw character is fine.
        assert_eq!(scalar_of(r#""\u00e9\U0001F680""#), json!("é🚀"));
        assert_eq!(scalar_of("\"🚀\""), json!("🚀"));
    }

    #[test]
    fn yaml_plain_null_and_bool_words() {
        for word in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(scalar_of(word), Value::Null, "{word:?}");
        }
        for word in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(scalar_of(word), json!(true), "{word:?}");
        }
        for word in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(scalar_of(word), json!(false), "{word:?}");
        }
        for word in ["yES", "nULL", "t", "f", "tRUE", "Nope", "o"] {
            assert_eq!(scalar_of(word), json!(word), "{word:?}");
        }
        // Quoted: strings.
        assert_eq!(scalar_of("'yes'"), json!("yes"));
        assert_eq!(scalar_of("\"null\""), json!("null"));
        assert_eq!(scalar_of("''"), json!(""));
    }

    #[test]
    fn yaml_plain_integers_as_go_parses_them() {
        let cases: &[(&str, Value)] = &[
            ("0", json!(0)),
            ("-0", json!(0)),
            ("10", json!(10)),
            ("+685_230", json!(685_230)),
            ("-10", json!(-10)),
            ("0755", json!(493)),
            ("02472256", json!(685_230)),
            ("0o17", json!(15)),
            ("0O17", json!(15)),
            ("0xA", json!(10)),
            ("0x1F", json!(31)),
            ("0X1f", json!(31)),
            ("0x_0A_74_AE", json!(685_230)),
            ("0b1010_0111_0100_1010_1110", json!(685_230)),
            ("-0b101010", json!(-42)),
            ("0b-101", json!(-5)), // go-yaml's own 0b branch takes a sign after the prefix
            ("9223372036854775807", json!(i64::MAX)),
            ("-9223372036854775808", json!(i64::MIN)),
            ("9223372036854775808", json!(9_223_372_036_854_775_808_u64)),
            ("18446744073709551615", json!(u64::MAX)),
            ("0xFFFFFFFFFFFFFFFF", json!(u64::MAX)),
            (
                "0b1111111111111111111111111111111111111111111111111111111111111111",
                json!(u64::MAX),
            ),
        ];
        for (text, expected) in cases {
            let value = scalar_of(text);
            assert_eq!(&value, expected, "{text}");
            assert!(
                value.is_i64() || value.is_u64(),
                "{text} should be an integer"
            );
        }
    }

    #[test]
    fn yaml_plain_floats_as_go_parses_them() {
        let cases: &[(&str, f64)] = &[
            ("08", 8.0),
            ("09.5", 9.5),
            ("1e3", 1000.0),
            ("1.0e+3", 1000.0),
            ("6.8523e+5", 685_230.0),
            ("685.230_15e+03", 685_230.15),
            ("685_230.15", 685_230.15),
            ("0.1", 0.1),
            (".1", 0.1),
            ("-.1", -0.1),
            ("+.5", 0.5),
            ("1.", 1.0),
            (".5e3", 500.0),
            ("123456e1", 1_234_560.0),
            ("1e-400", 0.0),
            ("-9223372036854775809", -9_223_372_036_854_775_809.0),
            ("18446744073709551616", 18_446_744_073_709_551_616.0),
            ("+18446744073709551615", 18_446_744_073_709_551_615.0),
            ("123456789012345678901234567890", 1.234_567_890_123_456_8e29),
        ];
        for (text, expected) in cases {
            let value = scalar_of(text);
            assert!(value.is_f64(), "{text} should be a float: {value}");
            assert_eq!(value.as_f64(), Some(*expected), "{text}");
        }
        // -0.0 keeps its sign, as Go's float64 does.
        assert!(
            scalar_of("-0.0")
                .as_f64()
                .is_some_and(|f| f == 0.0 && f.is_sign_negative())
        );
    }

    #[test]
    fn yaml_plain_strings_that_look_like_other_things() {
        for text in [
            "2024-01-02",
            "2015-02-24T18:19:39Z",
            "2015-02-24 18:19:39",
            "1.0.0",
            "1:1",
            "190:20:30",
            "-b_c",
            "+b_c",
            "50cent_of_dollar",
            "0x",
            "0b",
            "0b2",
            "0x1G",
            "1e",
            "1e400",
            ".5.",
            "._5",
            ".",
            "+",
            "1_000x",
            "0x10000000000000000",
            "<<",
            "=",
            "Infinity",
            "NaN",
            "inf",
            "3s",
            "1,000",
            "v1",
        ] {
            assert_eq!(scalar_of(text), json!(text), "{text}");
        }
        // Underscores between digits in a `.` float, as Go's ParseFloat allows.
        assert_eq!(scalar_of(".5_0"), json!(0.5));
    }

    #[test]
    fn yaml_non_finite_floats_are_json_errors() {
        for (text, shown) in [
            (".inf", "+Inf"),
            (".Inf", "+Inf"),
            (".INF", "+Inf"),
            ("+.inf", "+Inf"),
            ("-.inf", "-Inf"),
            ("-.INF", "-Inf"),
            (".nan", "NaN"),
            (".NaN", "NaN"),
            (".NAN", "NaN"),
        ] {
            let error = fails(&format!("v: {text}\n"));
            assert_eq!(
                error.message,
                format!("json: unsupported value: {shown}"),
                "{text}"
            );
            assert_eq!(
                error.to_string(),
                format!("json: unsupported value: {shown}")
            );
        }
        // Quoted, it is a string.
        assert_eq!(scalar_of("'.inf'"), json!(".inf"));
        // `.iNf` is no float word.
        assert_eq!(scalar_of(".iNf"), json!(".iNf"));
    }

    #[test]
    fn yaml_quoted_and_block_scalars_are_strings() {
        assert_eq!(scalar_of("\"42\""), json!("42"));
        assert_eq!(scalar_of("'0755'"), json!("0755"));
        assert_eq!(scalar_of("\"true\""), json!("true"));
        assert_eq!(scalar_of("'it''s'"), json!("it's"));
        assert_eq!(
            scalar_of(r#""a\tb\\c\"d\/e\x41\N""#),
            json!("a\tb\\c\"d/eA\u{85}")
        );
        assert_eq!(read("v: |\n  42\n")["v"], json!("42\n"));
        assert_eq!(read("v: |-\n  yes\n")["v"], json!("yes"));
        assert_eq!(read("v: >\n  1\n  2\n\n  3\n")["v"], json!("1 2\n3\n"));
        assert_eq!(read("v: >-\n  on\n")["v"], json!("on"));
        // Multi-line plain scalar: folded, then resolved.
        assert_eq!(read("v: a\n  b\n")["v"], json!("a b"));
    }

    #[test]
    fn yaml_explicit_tags() {
        assert_eq!(scalar_of("!!str 1"), json!("1"));
        assert_eq!(scalar_of("!!str yes"), json!("yes"));
        assert_eq!(scalar_of("!!str"), json!(""));
        assert_eq!(scalar_of("!!int \"0755\""), json!(493));
        assert_eq!(scalar_of("!<tag:yaml.org,2002:int> '0x1F'"), json!(31));
        assert_eq!(scalar_of("!!float '1.1'"), json!(1.1));
        assert_eq!(scalar_of("!!float 0"), json!(0.0));
        assert_eq!(scalar_of("!!float -1"), json!(-1.0));
        assert_eq!(scalar_of("!!bool 'yes'"), json!(true));
        assert_eq!(scalar_of("!!null ''"), Value::Null);
        assert_eq!(scalar_of("!!null"), Value::Null);
        assert_eq!(scalar_of("!!timestamp 2015-01-01"), json!("2015-01-01"));
        assert_eq!(
            scalar_of("!!timestamp \"2015-02-24T18:19:39.12+01:00\""),
            json!("2015-02-24T18:19:39.12+01:00")
        );
        assert_eq!(
            read("%TAG !y! tag:yaml.org,2002:\n---\nv: !y!int '1'\n")["v"],
            json!(1)
        );
        // Tags go-yaml v2 does not resolve leave the text a string.
        assert_eq!(scalar_of("!foo 123"), json!("123"));
        assert_eq!(scalar_of("! test"), json!("test"));
        assert_eq!(scalar_of("!!merge x"), json!("x"));
        // Tags on collections are ignored.
        assert_eq!(read("v: !!map {a: 1}\n")["v"], json!({"a": 1}));
        assert_eq!(read("v: !foo [1, yes]\n")["v"], json!([1, true]));
        // !!binary: base64, bytes that are not UTF-8 as U+FFFD each.
        assert_eq!(scalar_of("!!binary aGVsbG8="), json!("hello"));
        assert_eq!(read("v: !!binary |\n  aGVs\n  bG8=\n")["v"], json!("hello"));
        assert_eq!(
            scalar_of("!!binary gIGC"),
            json!("\u{FFFD}\u{FFFD}\u{FFFD}")
        );

        for (text, message) in [
            (
                "!!float 'error'",
                "cannot decode !!str `error` as a !!float",
            ),
            ("!!int 1.5", "cannot decode !!float `1.5` as a !!int"),
            ("!!int 08", "cannot decode !!float `08` as a !!int"),
            ("!!int ''", "cannot decode !!null `` as a !!int"),
            ("!!bool 1", "cannot decode !!int `1` as a !!bool"),
            ("!!null x", "cannot decode !!str `x` as a !!null"),
            (
                "!!float 18446744073709551615",
                "cannot decode !!int `18446744073709551615` as a !!float",
            ),
            (
                "!!timestamp 2015-13-01",
                "cannot decode !!str `2015-13-01` as a !!timestamp",
            ),
            (
                "!!timestamp 2015-02-30",
                "cannot decode !!str `2015-02-30` as a !!timestamp",
            ),
            ("!!binary ==", "!!binary value contains invalid base64 data"),
        ] {
            let error = fails(&format!("v: {text}\n"));
            assert_eq!(error, YamlError::new(None, message), "{text}");
            assert_eq!(error.to_string(), format!("yaml: {message}"));
        }
    }

    #[test]
    fn yaml_timestamps_by_go_layouts() {
        for ok in [
            "2015-01-01",
            "2015-1-1",
            "2016-02-29",
            "2015-02-24T18:19:39Z",
            "2015-02-24t18:19:39Z",
            "2015-2-3T3:4:5Z",
            "2015-02-24T18:19:39.123456789-03:00",
            "2015-02-24 18:19:39",
            "2015-02-24 18:19:39.5",
        ] {
            assert!(is_timestamp(ok), "{ok}");
        }
        for not in [
            "2015",
            "15-01-01",
            "2015-00-01",
            "2015-02-29",
            "2015-01-32",
            "2015-01-01T24:00:00Z",
            "2015-01-01T18:19:39",
            "2015-01-01 18:19:39Z",
            "2001-12-14 21:59:43.10 -5",
            "2015-01-01x",
        ] {
            assert!(!is_timestamp(not), "{not}");
        }
    }

    #[test]
    fn yaml_keys_become_strings_as_sigs_yaml_makes_them() {
        let value = read(
            "yes: a\nno: b\n1: c\n-2: d\n0x10: e\n1.5: f\n1.0: g\n1e6: h\n0.00001: i\n\
             .inf: j\n-.inf: k\n.nan: l\n2024-01-02: m\n\"quoted\": q\n100000: o\n",
        );
        assert_eq!(
            value,
            json!({
                "true": "a", "false": "b", "1": "g", "-2": "d", "16": "e", "1.5": "f",
                "1e+06": "h", "1e-05": "i", ".inf": "j", "-.inf": "k", ".nan": "l",
                "2024-01-02": "m", "quoted": "q", "100000": "o"
            })
        );
        assert_eq!(go_format_float32(1_234_567.0), "1.234567e+06");
        assert_eq!(go_format_float32(123_456.0), "123456");
        assert_eq!(go_format_float32(0.1), "0.1");
        assert_eq!(go_format_float32(0.0001), "0.0001");
        assert_eq!(go_format_float32(std::f64::consts::PI), "3.1415927");
        assert_eq!(go_format_float32(-2.5e-10), "-2.5e-10");
        assert_eq!(go_format_float32(1e300), ".inf");
        assert_eq!(go_format_float32(-0.0), "-0");
        assert_eq!(go_format_float32(1e21), "1e+21");

        for (text, message) in [
            (
                "~: x\n",
                "unsupported map key of type: %!s(<nil>), key: <nil>",
            ),
            (
                "null: x\n",
                "unsupported map key of type: %!s(<nil>), key: <nil>",
            ),
            (
                ": x\n",
                "unsupported map key of type: %!s(<nil>), key: <nil>",
            ),
            (
                "18446744073709551615: x\n",
                "unsupported map key of type: uint64, key: 0xffffffffffffffff",
            ),
        ] {
            let error = fails(text);
            assert_eq!(error, YamlError::new(None, message), "{text}");
            assert_eq!(error.to_string(), message);
        }
        assert_eq!(
            fails("? [a]\n: 1\n").to_string(),
            r#"yaml: invalid map key: ["a"]"#
        );
        assert_eq!(
            fails("{{a: 1}: 2}").to_string(),
            r#"yaml: invalid map key: {"a":1}"#
        );
    }

    #[test]
    fn yaml_duplicate_keys_last_wins_as_go_yaml_v2_unmarshal() {
        assert_eq!(read("a: 1\nb: 2\na: 3\n"), json!({"a": 3, "b": 2}));
        assert_eq!(read("{a: 1, a: {x: z}}"), json!({"a": {"x": "z"}}));
        assert_eq!(read(r#"{"a": 1, "a": 2}"#), json!({"a": 2}));
        // Keys that become the same string collapse too.
        assert_eq!(read("1: a\n\"1\": b\n"), json!({"1": "b"}));
    }

    #[test]
    fn yaml_anchors_and_aliases() {
        assert_eq!(
            read("a: &x 1\nb: &y {c: [yes, *x]}\nc: *x\nd: *y\n"),
            json!({"a": 1, "b": {"c": [true, 1]}, "c": 1, "d": {"c": [true, 1]}})
        );
        // A redefined anchor: later aliases see the new value.
        assert_eq!(
            read("First: &anchor Foo\nSecond: *anchor\nOverride: &anchor Bar\nReuse: *anchor\n"),
            json!({"First": "Foo", "Second": "Foo", "Override": "Bar", "Reuse": "Bar"})
        );
        // An alias as key keeps the anchored scalar's type; `<<` through an alias is a key.
        assert_eq!(read("a: &k 7\n*k : seven\n"), json!({"a": 7, "7": "seven"}));
        assert_eq!(read("a: &m <<\n*m : x\n"), json!({"a": "<<", "<<": "x"}));
        assert_eq!(
            fails("a: *b\n").to_string(),
            "yaml: unknown anchor 'b' referenced"
        );
        assert_eq!(
            fails("a: &a\n  b: *a\n").to_string(),
            "yaml: anchor 'a' value contains itself"
        );
        assert_eq!(
            fails("a: &a [1, *a]\n").to_string(),
            "yaml: anchor 'a' value contains itself"
        );
    }

    #[test]
    fn yaml_excessive_aliasing_is_refused() {
        let bomb = "a: &a [00,00,00,00,00,00,00,00,00]\n\
                    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n\
                    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n\
                    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n\
                    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n\
                    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n\
                    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n\
                    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n\
                    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
        assert_eq!(
            fails(bomb).to_string(),
            "yaml: document contains excessive aliasing"
        );
        // Moderate reuse is fine (well under the ratio).
        let reuse: String = std::iter::once("base: &b {x: 1, z: [1, 2, 3]}\n".to_owned())
            .chain((0..200).map(|i| format!("k{i}: *b\n")))
            .collect();
        let value = read(&reuse);
        assert_eq!(value["k199"], json!({"x": 1, "z": [1, 2, 3]}));
    }

    #[test]
    fn yaml_merge_keys_as_go_yaml_v2() {
        // go-yaml's own merge test: every map equals {x:1, y:2, r:10, label:center/big}.
        let text = r#"
anchors:
  list:
    - &CENTER { "x": 1, "y": 2 }
    - &LEFT   { "x": 0, "y": 2 }
    - &BIG    { "r": 10 }
    - &SMALL  { "r": 1 }
plain:
  "x": 1
  "y": 2
  "r": 10
  label: center/big
mergeOne:
  << : *CENTER
  "r": 10
  label: center/big
mergeMultiple:
  << : [ *CENTER, *BIG ]
  label: center/big
override:
  << : [ *BIG, *LEFT, *SMALL ]
  "x": 1
  label: center/big
shortTag:
  !!merge "<<" : [ *CENTER, *BIG ]
  label: center/big
longTag:
  !<tag:yaml.org,2002:merge> "<<" : [ *CENTER, *BIG ]
  label: center/big
inlineMap:
  << : {"x": 1, "y": 2, "r": 10}
  label: center/big
inlineSequenceMap:
  << : [ *CENTER, {"r": 10} ]
  label: center/big
"#;
        let value = read(text);
        let want = json!({"x": 1, "y": 2, "r": 10, "label": "center/big"});
        let Some(all) = value.as_object() else {
            panic!("not an object: {value}")
        };
        assert_eq!(all.len(), 9);
        for (name, map) in all {
            if name != "anchors" {
                assert_eq!(map, &want, "{name}");
            }
        }
        // go-yaml v2 writes merged entries at the place of `<<`: later keys win either way.
        assert_eq!(
            read("b: &b {a: 2}\nm:\n  a: 1\n  <<: *b\n")["m"],
            json!({"a": 2})
        );
        assert_eq!(
            read("b: &b {a: 2}\nm:\n  <<: *b\n  a: 1\n")["m"],
            json!({"a": 1})
        );
        // A quoted `<<` is an ordinary key.
        assert_eq!(read("\"<<\": {a: 1}\n"), json!({"<<": {"a": 1}}));
        // An empty sequence merges nothing.
        assert_eq!(read("<<: []\na: 1\n"), json!({"a": 1}));

        for text in [
            "a: &x null\n<<:\n- *x\nb: &x {}\n",
            "<<: 1\n",
            "<<:\n",
            "<<: [1]\n",
            "<<: [[{a: 1}]]\n",
            "s: &s [{a: 1}]\n<<: *s\n",
        ] {
            assert_eq!(
                fails(text).to_string(),
                "yaml: map merge requires map or sequence of maps as the value",
                "{text}"
            );
        }
    }

    #[test]
    fn yaml_documents() {
        assert_eq!(read(""), Value::Null);
        assert_eq!(read("# only a comment\n"), Value::Null);
        assert_eq!(read("---\n"), Value::Null);
        assert_eq!(read("--- \n...\n"), Value::Null);
        assert_eq!(read("42"), json!(42));
        assert_eq!(read("- a\n- 1\n"), json!(["a", 1]));
        // The first document only; what follows its end is not read.
        assert_eq!(read("a: 1\n---\nb: 2\n"), json!({"a": 1}));
        assert_eq!(read("---\nhello\n...\n}not yaml"), json!("hello"));
        // Byte order mark and CRLF line ends.
        assert_eq!(
            read("\u{feff}a: 1\r\nb: yes\r\n"),
            json!({"a": 1, "b": true})
        );
        assert_eq!(read("%YAML 1.1\n---\na: on\n"), json!({"a": true}));
    }

    #[test]
    fn yaml_syntax_errors_with_go_lines() {
        for (text, display) in [
            ("v: [A,", "yaml: line 1: did not find expected node content"),
            (
                "v:\n- [A,",
                "yaml: line 2: did not find expected node content",
            ),
            (
                "value: -",
                "yaml: block sequence entries are not allowed in this context",
            ),
        ] {
            let error = fails(text);
            assert_eq!(error.to_string(), display, "{text:?}");
        }
        // Display without and with a line.
        assert_eq!(
            YamlError::new(Some(3), "boom").to_string(),
            "yaml: line 3: boom"
        );
        assert_eq!(YamlError::new(None, "boom").to_string(), "yaml: boom");
    }

    #[test]
    fn yaml_errors_in_go_order() {
        // A syntax error later in the document wins over an earlier decoding error.
        let error = fails("a: !!int x\nb: [\n");
        assert!(error.line.is_some(), "{error}");
        // A decoding error wins over an earlier key error, which wins over a non-finite value.
        assert_eq!(
            fails("~: 1\nb: !!int x\n").message,
            "cannot decode !!str `x` as a !!int"
        );
        assert_eq!(
            fails("a: .inf\n~: 1\n").message,
            "unsupported map key of type: %!s(<nil>), key: <nil>"
        );
        // A non-finite value copied through an alias is reported once, all the same.
        assert_eq!(
            fails("a: &x .nan\nb: *x\n").message,
            "json: unsupported value: NaN"
        );
    }

    #[test]
    fn yaml_deep_nesting_is_capped_without_overflow() {
        fn unwrap_depth(mut value: Value, depth: usize) -> Value {
            for _ in 0..depth {
                value = value[0].take();
            }
            value
        }
        // Block nesting up to MAX_DEPTH collections.
        let ok = format!("{}1\n", "- ".repeat(MAX_DEPTH));
        assert_eq!(unwrap_depth(read(&ok), MAX_DEPTH), json!(1));
        let deep = format!("{}1\n", "- ".repeat(MAX_DEPTH + 1));
        assert_eq!(
            fails(&deep).message,
            format!("exceeded max depth of {MAX_DEPTH}")
        );
        let block: String = (0..2000)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect();
        assert!(fails(&block).message.contains("max depth"));
        // saphyr-parser's own limit on flow nesting ([ and {) is 255 levels.
        let flow = format!("{}1{}", "[".repeat(255), "]".repeat(255));
        assert_eq!(unwrap_depth(read(&flow), 255), json!(1));
        let deeper = "[".repeat(200_000);
        assert_eq!(fails(&deeper).message, "recursion limit exceeded");
        // After a decoding error the rest is still read, capped the same way.
        let after = format!("a: !!int x\nb:\n{}1\n", "- ".repeat(100_000));
        let error = fails(&after);
        assert!(error.message.contains("max depth"), "{error}");
    }

    #[test]
    fn yaml_never_panics_on_odd_input() {
        // Deterministic pseudo-random texts over YAML's punctuation.
        const ALPHABET: &[u8] = b" \n\t-:?,[]{}#&*!|>'\"%@`\\~.0123456789abexyn<=_+";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| char::from(ALPHABET[(next() % ALPHABET.len() as u64) as usize]))
                .collect();
            let _ = to_json(&text);
        }
        for text in [
            "&a [*a]",
            "*a",
            "!!",
            "? ? ? ?",
            "- - - -",
            "{:}",
            "[:]",
            "\"\\",
            "'",
            "&",
            "!<>",
            "%TAG",
            "\u{feff}",
            "\u{feff}\u{feff}a",
        ] {
            let _ = to_json(text);
        }
    }
}

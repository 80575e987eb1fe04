use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value as Json};

/// A named segment: the customers for whom its predicate holds.
///
/// The JSON form is a contract:
///
/// ```json
/// {"name": "lapsing loyal", "where": {"all": [
///     {"field": "stage", "in": ["loyal", "evangelist"]},
///     {"field": "recency_days", "gt": 60},
///     {"not": {"field": "complaints", "gt": 0}}]}}
/// ```
///
/// # Example
///
/// ```
/// use customer_lifecycle::segment::{Predicate, Segment};
///
/// let built = Segment::new(
///     "lapsing loyal",
///     Predicate::all([
///         Predicate::field("stage").is_in(["loyal", "evangelist"]),
///         Predicate::field("recency_days").gt(60),
///         Predicate::not(Predicate::field("complaints").gt(0)),
///     ]),
/// );
/// let read = Segment::from_json(
///     r#"{"name": "lapsing loyal", "where": {"all": [
///         {"field": "stage", "in": ["loyal", "evangelist"]},
///         {"field": "recency_days", "gt": 60},
///         {"not": {"field": "complaints", "gt": 0}}]}}"#,
/// )?;
/// assert_eq!(read, built);
/// # Ok::<(), customer_lifecycle::segment::DefinitionError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// The segment's name, unique within a set of segments.
    pub name: String,
    /// Who belongs.
    pub predicate: Predicate,
}

/// A condition on a customer's features.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// Every part holds (at least one part).
    All(Vec<Predicate>),
    /// Some part holds (at least one part).
    Any(Vec<Predicate>),
    /// The part does not hold: plain two-valued negation.
    Not(Box<Predicate>),
    /// A comparison of one feature with a value.
    Compare(Comparison),
}

/// `{"field": NAME, OP: VALUE}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The feature's name.
    pub field: String,
    /// The comparison.
    pub op: Op,
}

/// A comparison operator with its operand.
///
/// A missing feature value satisfies no comparison but [`Op::Ne`]. A number
/// compared with a string (or a boolean) is false, `ne` true. Strings compare
/// byte for byte, case-sensitive and untrimmed; the orderings compare them by
/// code point.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Equal.
    Eq(Value),
    /// Not equal (also true where the value is missing or of another type).
    Ne(Value),
    /// Less than.
    Lt(Value),
    /// Less than or equal.
    Le(Value),
    /// Greater than.
    Gt(Value),
    /// Greater than or equal.
    Ge(Value),
    /// Equal to one of the values (a non-empty list).
    In(Vec<Value>),
    /// Between the two values, both included.
    Between(Value, Value),
}

impl Op {
    /// The operator's JSON name.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Eq(_) => "eq",
            Op::Ne(_) => "ne",
            Op::Lt(_) => "lt",
            Op::Le(_) => "le",
            Op::Gt(_) => "gt",
            Op::Ge(_) => "ge",
            Op::In(_) => "in",
            Op::Between(..) => "between",
        }
    }

    /// The operand values.
    pub fn values(&self) -> Vec<&Value> {
        match self {
            Op::Eq(v) | Op::Ne(v) | Op::Lt(v) | Op::Le(v) | Op::Gt(v) | Op::Ge(v) => vec![v],
            Op::In(vs) => vs.iter().collect(),
            Op::Between(lo, hi) => vec![lo, hi],
        }
    }
}

/// A value in a definition or a feature cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A finite number.
    Number(f64),
    /// Text.
    Text(String),
    /// Yes or no.
    Bool(bool),
}

impl Value {
    fn to_json(&self) -> Json {
        match self {
            Value::Number(x) => serde_json::Number::from_f64(*x).map_or(Json::Null, Json::Number),
            Value::Text(s) => Json::String(s.clone()),
            Value::Bool(b) => Json::Bool(*b),
        }
    }

    /// The type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Number(_) => "number",
            Value::Text(_) => "string",
            Value::Bool(_) => "boolean",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(x) => write!(f, "{x}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Number(x)
    }
}

impl From<i32> for Value {
    fn from(x: i32) -> Self {
        Value::Number(f64::from(x))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// An invalid segment definition, with the path to the offending place:
/// `where.all[1].field`, or `[2].where.all[1].field` in a list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct DefinitionError {
    /// Where in the definition (empty for the document itself).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

fn err<T>(path: &str, reason: impl Into<String>) -> Result<T, DefinitionError> {
    let path = if path.is_empty() { "(document)".to_owned() } else { path.to_owned() };
    Err(DefinitionError { path, reason: reason.into() })
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

const OPERATORS: [&str; 8] = ["eq", "ne", "lt", "le", "gt", "ge", "in", "between"];

impl Segment {
    /// A segment.
    pub fn new(name: impl Into<String>, predicate: Predicate) -> Self {
        Segment { name: name.into(), predicate }
    }

    /// Reads one segment from JSON.
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] with the path to the first problem.
    pub fn from_json(text: &str) -> Result<Segment, DefinitionError> {
        let json: Json = serde_json::from_str(text).or_else(|e| err("", format!("not JSON: {e}")))?;
        Segment::from_value(&json)
    }

    /// Reads a file's worth of segments: one segment or a list of them.
    /// Names must be unique.
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] with the path to the first problem; in a list the
    /// path starts with the index, as in `[2].where.all[1].field`.
    pub fn list_from_json(text: &str) -> Result<Vec<Segment>, DefinitionError> {
        let json: Json = serde_json::from_str(text).or_else(|e| err("", format!("not JSON: {e}")))?;
        let segments = match &json {
            Json::Array(items) => {
                if items.is_empty() {
                    return err("", "the list holds no segment");
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| Segment::parse(item, &format!("[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?
            }
            _ => vec![Segment::from_value(&json)?],
        };
        for (i, segment) in segments.iter().enumerate() {
            if segments[..i].iter().any(|s| s.name == segment.name) {
                return err(&format!("[{i}].name"), format!("duplicate segment name {:?}", segment.name));
            }
        }
        Ok(segments)
    }

    /// Reads a segment from parsed JSON ([`serde_json::Value`], re-exported
    /// as [`customer_lifecycle::serde_json`](crate::serde_json)).
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] with the path to the first problem.
    pub fn from_value(json: &Json) -> Result<Segment, DefinitionError> {
        Segment::parse(json, "")
    }

    /// Reads a segment from parsed JSON; `path` prefixes error paths.
    fn parse(json: &Json, path: &str) -> Result<Segment, DefinitionError> {
        let Json::Object(map) = json else { return err(path, "a segment is an object with \"name\" and \"where\"") };
        for key in map.keys() {
            if !matches!(key.as_str(), "name" | "where" | "description") {
                return err(&join(path, key), "unknown key; a segment has \"name\" and \"where\"");
            }
        }
        let name = match map.get("name") {
            Some(Json::String(name)) if !name.is_empty() => name.clone(),
            Some(_) => return err(&join(path, "name"), "the name must be a non-empty string"),
            None => return err(path, "missing \"name\""),
        };
        let predicate = match map.get("where") {
            Some(json) => Predicate::parse(json, &join(path, "where"))?,
            None => return err(path, "missing \"where\""),
        };
        Ok(Segment { name, predicate })
    }

    /// The contract's JSON form.
    pub fn to_value(&self) -> Json {
        let mut map = Map::new();
        map.insert("name".into(), Json::String(self.name.clone()));
        map.insert("where".into(), self.predicate.to_value());
        Json::Object(map)
    }

    /// Every feature name the segment uses.
    pub fn fields(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.predicate.collect_fields(&mut out);
        out
    }
}

impl Predicate {
    /// Starts a comparison on a feature: `Predicate::field("recency_days").gt(60)`.
    pub fn field(name: impl Into<String>) -> FieldRef {
        FieldRef(name.into())
    }

    /// Every part holds.
    pub fn all(parts: impl IntoIterator<Item = Predicate>) -> Predicate {
        Predicate::All(parts.into_iter().collect())
    }

    /// Some part holds.
    pub fn any(parts: impl IntoIterator<Item = Predicate>) -> Predicate {
        Predicate::Any(parts.into_iter().collect())
    }

    /// The part does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(part: Predicate) -> Predicate {
        Predicate::Not(Box::new(part))
    }

    fn collect_fields<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Predicate::All(parts) | Predicate::Any(parts) => parts.iter().for_each(|p| p.collect_fields(out)),
            Predicate::Not(part) => part.collect_fields(out),
            Predicate::Compare(c) => {
                if !out.contains(&c.field.as_str()) {
                    out.push(&c.field);
                }
            }
        }
    }

    /// Reads a predicate from parsed JSON ([`serde_json::Value`]).
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] with the path to the first problem.
    pub fn from_value(json: &Json) -> Result<Predicate, DefinitionError> {
        Predicate::parse(json, "")
    }

    /// Reads a predicate from parsed JSON; `path` prefixes error paths.
    fn parse(json: &Json, path: &str) -> Result<Predicate, DefinitionError> {
        let Json::Object(map) = json else {
            return err(
                path,
                "a predicate is an object: {\"all\": [..]}, {\"any\": [..]}, {\"not\": {..}} or {\"field\": .., OP: ..}",
            );
        };
        for combinator in ["all", "any"] {
            if let Some(parts) = map.get(combinator) {
                if map.len() > 1 {
                    return err(path, format!("\"{combinator}\" stands alone in its object"));
                }
                let here = join(path, combinator);
                let Json::Array(parts) = parts else { return err(&here, "expected a list of predicates") };
                if parts.is_empty() {
                    return err(&here, format!("an empty \"{combinator}\" list"));
                }
                let parts = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| Predicate::parse(p, &format!("{here}[{i}]")))
                    .collect::<Result<Vec<_>, _>>()?;
                return Ok(if combinator == "all" { Predicate::All(parts) } else { Predicate::Any(parts) });
            }
        }
        if let Some(part) = map.get("not") {
            if map.len() > 1 {
                return err(path, "\"not\" stands alone in its object");
            }
            return Ok(Predicate::Not(Box::new(Predicate::parse(part, &join(path, "not"))?)));
        }
        let field = match map.get("field") {
            Some(Json::String(f)) if !f.is_empty() => f.clone(),
            Some(_) => return err(&join(path, "field"), "the field must be a non-empty string"),
            None => return err(path, "expected \"all\", \"any\", \"not\" or \"field\""),
        };
        let mut op = None;
        for (key, value) in map {
            if key == "field" {
                continue;
            }
            let here = join(path, key);
            if !OPERATORS.contains(&key.as_str()) {
                return err(&here, format!("unknown operator {key:?}; expected one of {}", OPERATORS.join(", ")));
            }
            if op.is_some() {
                return err(&here, "a comparison has exactly one operator");
            }
            op = Some(parse_op(key, value, &here)?);
        }
        let Some(op) = op else { return err(path, "a comparison needs an operator") };
        Ok(Predicate::Compare(Comparison { field, op }))
    }

    /// The contract's JSON form.
    pub fn to_value(&self) -> Json {
        let mut map = Map::new();
        match self {
            Predicate::All(parts) => {
                map.insert("all".into(), Json::Array(parts.iter().map(Predicate::to_value).collect()));
            }
            Predicate::Any(parts) => {
                map.insert("any".into(), Json::Array(parts.iter().map(Predicate::to_value).collect()));
            }
            Predicate::Not(part) => {
                map.insert("not".into(), part.to_value());
            }
            Predicate::Compare(c) => {
                map.insert("field".into(), Json::String(c.field.clone()));
                let operand = match &c.op {
                    Op::Eq(v) | Op::Ne(v) | Op::Lt(v) | Op::Le(v) | Op::Gt(v) | Op::Ge(v) => v.to_json(),
                    Op::In(vs) => Json::Array(vs.iter().map(Value::to_json).collect()),
                    Op::Between(lo, hi) => Json::Array(vec![lo.to_json(), hi.to_json()]),
                };
                map.insert(c.op.name().into(), operand);
            }
        }
        Json::Object(map)
    }
}

fn parse_value(json: &Json, path: &str) -> Result<Value, DefinitionError> {
    match json {
        Json::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() => Ok(Value::Number(x)),
            _ => err(path, "the number is out of range"),
        },
        Json::String(s) => Ok(Value::Text(s.clone())),
        Json::Bool(b) => Ok(Value::Bool(*b)),
        _ => err(path, "expected a number, a string or a boolean"),
    }
}

fn parse_op(name: &str, json: &Json, path: &str) -> Result<Op, DefinitionError> {
    let list = |json: &Json| match json {
        Json::Array(items) => items.iter().enumerate().map(|(i, v)| parse_value(v, &format!("{path}[{i}]"))).collect(),
        _ => err(path, format!("\"{name}\" takes a list")),
    };
    Ok(match name {
        "eq" => Op::Eq(parse_value(json, path)?),
        "ne" => Op::Ne(parse_value(json, path)?),
        "lt" => Op::Lt(parse_value(json, path)?),
        "le" => Op::Le(parse_value(json, path)?),
        "gt" => Op::Gt(parse_value(json, path)?),
        "ge" => Op::Ge(parse_value(json, path)?),
        "in" => {
            let values: Vec<Value> = list(json)?;
            if values.is_empty() {
                return err(path, "an empty \"in\" list");
            }
            Op::In(values)
        }
        _ => {
            let values: Vec<Value> = list(json)?;
            let [lo, hi] = <[Value; 2]>::try_from(values).or_else(|_| err(path, "\"between\" takes two values"))?;
            let inverted = match (&lo, &hi) {
                (Value::Number(a), Value::Number(b)) => a > b,
                (Value::Text(a), Value::Text(b)) => a > b,
                (Value::Bool(_), _) | (_, Value::Bool(_)) => return err(path, "\"between\" takes numbers or strings"),
                _ => return err(path, "\"between\" takes two values of the same type"),
            };
            if inverted {
                return err(path, format!("inverted range: {lo} is above {hi}"));
            }
            Op::Between(lo, hi)
        }
    })
}

/// A feature named in the builder API; finish it with an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef(String);

macro_rules! builder_ops {
    ($($(#[$doc:meta])* $method:ident => $variant:ident;)*) => {
        impl FieldRef {
            $(
                $(#[$doc])*
                pub fn $method(self, value: impl Into<Value>) -> Predicate {
                    Predicate::Compare(Comparison { field: self.0, op: Op::$variant(value.into()) })
                }
            )*

            /// Equal to one of the values.
            pub fn is_in<V: Into<Value>>(self, values: impl IntoIterator<Item = V>) -> Predicate {
                Predicate::Compare(Comparison { field: self.0, op: Op::In(values.into_iter().map(Into::into).collect()) })
            }

            /// Between the two values, both included.
            pub fn between(self, lo: impl Into<Value>, hi: impl Into<Value>) -> Predicate {
                Predicate::Compare(Comparison { field: self.0, op: Op::Between(lo.into(), hi.into()) })
            }
        }
    };
}

builder_ops! {
    /// Equal.
    eq => Eq;
    /// Not equal.
    ne => Ne;
    /// Less than.
    lt => Lt;
    /// Less than or equal.
    le => Le;
    /// Greater than.
    gt => Gt;
    /// Greater than or equal.
    ge => Ge;
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(deserializer)?;
        Segment::from_value(&json).map_err(D::Error::custom)
    }
}

impl Serialize for Predicate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Predicate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Json::deserialize(deserializer)?;
        Predicate::from_value(&json).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_of(text: &str) -> String {
        Segment::list_from_json(text).unwrap_err().path
    }

    #[test]
    fn errors_point_at_the_place() {
        let ok = r#"{"field": "x", "gt": 1}"#;
        let list = |bad: &str| {
            format!(r#"[{{"name": "a", "where": {ok}}}, {{"name": "b", "where": {{"all": [{ok}, {bad}]}}}}]"#)
        };
        assert_eq!(path_of(&list(r#"{"field": "x", "gte": 1}"#)), "[1].where.all[1].gte");
        assert_eq!(path_of(&list(r#"{"field": "x", "gt": 1, "lt": 2}"#)), "[1].where.all[1].lt");
        assert_eq!(path_of(&list(r#"{"field": 3, "gt": 1}"#)), "[1].where.all[1].field");
        assert_eq!(path_of(&list(r#"{"field": "x", "in": []}"#)), "[1].where.all[1].in");
        assert_eq!(path_of(&list(r#"{"field": "x", "between": [5, 1]}"#)), "[1].where.all[1].between");
        assert_eq!(path_of(&list(r#"{"all": []}"#)), "[1].where.all[1].all");
        assert_eq!(path_of(&list(r#"{"any": []}"#)), "[1].where.all[1].any");
        assert_eq!(path_of(&list(r#"{"field": "x"}"#)), "[1].where.all[1]");
        assert_eq!(path_of(&list(r#"{"field": "x", "eq": null}"#)), "[1].where.all[1].eq");
        let dup = format!(r#"[{{"name": "a", "where": {ok}}}, {{"name": "a", "where": {ok}}}]"#);
        assert_eq!(path_of(&dup), "[1].name");
        assert_eq!(Segment::from_json(r#"{"name": "a", "where": {"not": []}}"#).unwrap_err().path, "where.not");
    }

    #[test]
    fn json_round_trips() {
        let text = r#"{"name":"s","where":{"any":[{"field":"a","between":[1.5,2]},{"not":{"field":"b","in":["x",true]}},{"field":"c","ne":"y"}]}}"#;
        let segment = Segment::from_json(text).unwrap();
        let again = Segment::from_json(&serde_json::to_string(&segment).unwrap()).unwrap();
        assert_eq!(again, segment);
        assert_eq!(segment.fields(), vec!["a", "b", "c"]);
    }
}

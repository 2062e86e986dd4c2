//! Typed access to ACVP JSON with errors that name where the problem is.

use serde_json::{Map, Value};
use std::fmt;

/// An error in the input (or in processing it), with its location:
/// "vector set 1234 (SHA2-256) / group tgId 2 / test tcId 7".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcvpError {
    pub location: String,
    pub message: String,
}

impl AcvpError {
    pub fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        AcvpError {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for AcvpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.location, self.message)
        }
    }
}

impl std::error::Error for AcvpError {}

pub type Result<T> = std::result::Result<T, AcvpError>;

/// The JSON type name of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decodes a hex string (either letter case).
pub fn decode_hex(s: &str) -> std::result::Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits ({})", s.len()));
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for (i, pair) in bytes.chunks(2).enumerate() {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => return Err(format!("non-hex character near offset {}", i * 2)),
        }
    }
    Ok(out)
}

/// Upper-case hex, as the ACVP server writes it.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// A JSON object together with its location.
#[derive(Clone, Copy)]
pub struct Obj<'a> {
    pub map: &'a Map<String, Value>,
    pub loc: &'a str,
}

impl<'a> Obj<'a> {
    /// Views `v` as an object; `what` names it in the error.
    pub fn from_value(v: &'a Value, loc: &'a str, what: &str) -> Result<Self> {
        match v {
            Value::Object(map) => Ok(Obj { map, loc }),
            other => Err(AcvpError::new(
                loc,
                format!("{what} must be an object, found {}", type_name(other)),
            )),
        }
    }

    pub fn err(&self, message: impl Into<String>) -> AcvpError {
        AcvpError::new(self.loc, message)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub fn opt(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    pub fn get(&self, key: &str) -> Result<&'a Value> {
        self.map
            .get(key)
            .ok_or_else(|| self.err(format!("missing field \"{key}\"")))
    }

    fn wrong_type(&self, key: &str, want: &str, found: &Value) -> AcvpError {
        self.err(format!(
            "field \"{key}\" must be {want}, found {}",
            type_name(found)
        ))
    }

    /// A field read with `as_t`, or an error saying it must be `want`.
    fn typed<T>(&self, key: &str, want: &str, as_t: fn(&'a Value) -> Option<T>) -> Result<T> {
        let v = self.get(key)?;
        as_t(v).ok_or_else(|| self.wrong_type(key, want, v))
    }

    /// The same for an optional field: absent or null gives `None`.
    fn opt_typed<T>(
        &self,
        key: &str,
        want: &str,
        as_t: fn(&'a Value) -> Option<T>,
    ) -> Result<Option<T>> {
        match self.opt(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => as_t(v)
                .map(Some)
                .ok_or_else(|| self.wrong_type(key, want, v)),
        }
    }

    pub fn str(&self, key: &str) -> Result<&'a str> {
        self.typed(key, "a string", Value::as_str)
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        self.opt_typed(key, "a string", Value::as_str)
    }

    pub fn u64(&self, key: &str) -> Result<u64> {
        self.typed(key, "a non-negative integer", Value::as_u64)
    }

    pub fn usize(&self, key: &str) -> Result<usize> {
        let n = self.u64(key)?;
        usize::try_from(n).map_err(|_| self.err(format!("field \"{key}\" is too large ({n})")))
    }

    pub fn bool(&self, key: &str) -> Result<bool> {
        self.typed(key, "a boolean", Value::as_bool)
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.opt_typed(key, "a boolean", Value::as_bool)
    }

    pub fn array(&self, key: &str) -> Result<&'a Vec<Value>> {
        self.typed(key, "an array", Value::as_array)
    }

    /// The tests of a group: `"tests": null` (the ACVP server's way of
    /// saying it has no samples for the group) is an empty list; a missing
    /// field or another type is still an error.
    pub fn tests(&self) -> Result<&'a [Value]> {
        match self.get("tests")? {
            Value::Null => Ok(&[]),
            v => v
                .as_array()
                .map(Vec::as_slice)
                .ok_or_else(|| self.wrong_type("tests", "an array (or null)", v)),
        }
    }

    /// A nested object; its location is this one's.
    pub fn object(&self, key: &str) -> Result<Obj<'a>> {
        let map = self.typed(key, "an object", Value::as_object)?;
        Ok(Obj { map, loc: self.loc })
    }

    pub fn hex(&self, key: &str) -> Result<Vec<u8>> {
        let s = self.str(key)?;
        decode_hex(s).map_err(|e| self.err(format!("field \"{key}\" is not valid hex: {e}")))
    }

    /// Optional hex; absent or empty gives an empty vector.
    pub fn opt_hex(&self, key: &str) -> Result<Vec<u8>> {
        match self.opt_str(key)? {
            None => Ok(Vec::new()),
            Some(_) => self.hex(key),
        }
    }

    /// Hex holding `bits` bits (a multiple of 8): ACVP writes a zero-length
    /// value as "" or "00", so the declared length decides.
    pub fn hex_bits(&self, key: &str, bits: u64) -> Result<Vec<u8>> {
        if !bits.is_multiple_of(8) {
            return Err(self.err(format!(
                "field \"{key}\": bit length {bits} is not a multiple of 8 (not claimed)"
            )));
        }
        let mut v = self.hex(key)?;
        let want = usize::try_from(bits / 8)
            .map_err(|_| self.err(format!("field \"{key}\": length {bits} too large")))?;
        if v.len() < want {
            return Err(self.err(format!(
                "field \"{key}\" has {} bytes, its declared length is {bits} bits",
                v.len()
            )));
        }
        v.truncate(want);
        Ok(v)
    }
}

/// `tcId` of a test, tolerating its absence for the location text.
pub fn id_text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => format!("\"{s}\""),
        _ => "?".to_string(),
    }
}

/// Iterates the `tests` of a group: yields (location, test object).
pub fn tests_of<'a>(group: &Obj<'a>) -> Result<Vec<(String, &'a Value)>> {
    let tests = group.tests()?;
    Ok(tests
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let id = match t.get("tcId") {
                Some(_) => format!("tcId {}", id_text(t, "tcId")),
                None => format!("#{}", i + 1),
            };
            (format!("{} / test {}", group.loc, id), t)
        })
        .collect())
}

/// Reads a test's `tcId` as an integer.
pub fn tc_id(test: &Obj<'_>) -> Result<u64> {
    test.u64("tcId")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hex_round_trip() {
        assert_eq!(decode_hex("00aBff").unwrap(), vec![0, 0xab, 0xff]);
        assert_eq!(hex(&[0, 0xab, 0xff]), "00ABFF");
        assert!(decode_hex("abc").is_err());
        assert!(decode_hex("g0").is_err());
        assert_eq!(decode_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn hex_bits_uses_the_declared_length() {
        let v = json!({ "a": "00", "b": "0102", "c": "01" });
        let o = Obj::from_value(&v, "here", "x").unwrap();
        assert_eq!(o.hex_bits("a", 0).unwrap(), Vec::<u8>::new());
        assert_eq!(o.hex_bits("b", 8).unwrap(), vec![1]);
        let e = o.hex_bits("c", 16).unwrap_err();
        assert_eq!(e.location, "here");
        assert!(e.message.contains("declared length"));
        assert!(
            o.hex_bits("c", 4)
                .unwrap_err()
                .message
                .contains("multiple of 8")
        );
    }
}
